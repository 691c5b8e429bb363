import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderCommands } from '../netns/commands.js';
import { fakeStore } from '../testing/fake-store.js';
import { assertGolden } from '../testing/golden.js';
import { desiredVpcs, routerChanges, routerResetLines, vpcNamespacePlan } from './vpc-desired.js';

test('desiredVpcs: each VPC with its resolver (base+2) and subnet routers (base+1/len)', () => {
  const store = fakeStore({
    vpc: [
      { id: 'vpc-a', accountId: '111111111111', cidrBlock: '10.0.0.0/16' },
      { id: 'vpc-b', accountId: '222222222222', cidrBlock: '100.64.0.0/16' },
    ],
    subnet: [
      { id: 'subnet-1', vpcId: 'vpc-a', cidrBlock: '10.0.1.0/24' },
      { id: 'subnet-2', vpcId: 'vpc-a', cidrBlock: '10.0.128.0/20' },
      { id: 'subnet-3', vpcId: 'vpc-b', cidrBlock: '100.64.0.0/24' },
      { id: 'subnet-x', vpcId: 'vpc-gone', cidrBlock: '10.9.0.0/24' },
    ],
  });
  const d = desiredVpcs(store);
  assert.deepEqual([...d.keys()], ['vpc-a', 'vpc-b']);
  assert.equal(d.get('vpc-a')?.resolverIp, '10.0.0.2');
  assert.deepEqual(
    [...(d.get('vpc-a')?.routers ?? [])],
    [
      ['subnet-1', '10.0.1.1/24'],
      ['subnet-2', '10.0.128.1/20'],
    ],
  );
  assert.deepEqual([...(d.get('vpc-b')?.routers ?? [])], [['subnet-3', '100.64.0.1/24']]);
  assert.equal(d.get('vpc-b')?.accountId, '222222222222');
});

test('routerChanges: deletes what went, replaces what is new or moved, keeps the rest', () => {
  const have = new Map([
    ['s1', '10.0.1.1/24'],
    ['s2', '10.0.2.1/24'],
    ['s3', '10.0.3.1/24'],
  ]);
  const want = new Map([
    ['s1', '10.0.1.1/24'],
    ['s3', '10.0.30.1/24'],
    ['s4', '10.0.4.1/24'],
  ]);
  const { lines, next } = routerChanges(have, want);
  assert.deepEqual(lines, [
    'addr del 10.0.2.1/24 dev br0',
    'addr del 10.0.3.1/24 dev br0',
    'addr replace 10.0.30.1/24 dev br0',
    'addr replace 10.0.4.1/24 dev br0',
  ]);
  assert.deepEqual(next, want);
  assert.deepEqual(routerChanges(want, want).lines, []);
  assert.deepEqual(routerResetLines(want), [
    'addr flush dev br0',
    'addr replace 10.0.1.1/24 dev br0',
    'addr replace 10.0.30.1/24 dev br0',
    'addr replace 10.0.4.1/24 dev br0',
  ]);
});

test('VPC namespace set-up (golden)', () => {
  assertGolden(
    import.meta.url,
    'vpc-namespace.txt',
    renderCommands(vpcNamespacePlan('vpc-a', 'pl-vpc-a', '10.0.0.2')),
  );
});
