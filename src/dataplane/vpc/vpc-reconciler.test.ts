import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { silentLogger } from '../../shared/logger.js';
import { RecordingRunner } from '../netns/recording-runner.js';
import { fakeStore } from '../testing/fake-store.js';
import { VpcReconciler } from './vpc-reconciler.js';

test('VPC reconciler applies the difference: build, add a router, rebuild after a CIDR change, remove', async () => {
  const records = {
    vpc: [{ id: 'vpc-1', accountId: '111111111111', cidrBlock: '10.0.0.0/16' }],
    subnet: [{ id: 'subnet-1', vpcId: 'vpc-1', cidrBlock: '10.0.1.0/24' }],
  };
  const runner = new RecordingRunner();
  const events = new EventEmitter();
  const seen: string[] = [];
  events.on('vpc-up', (e: { vpcId: string; namespace: string }) => seen.push(`up ${e.vpcId} ${e.namespace}`));
  events.on('vpc-down', (e: { vpcId: string }) => seen.push(`down ${e.vpcId}`));
  const r = new VpcReconciler({
    store: fakeStore(records),
    runner,
    prefix: 'pl',
    mode: 'netns',
    logger: silentLogger,
    events,
  });
  await r.reconcile();
  assert.ok(r.networks.isReady('vpc-1'));
  assert.equal(r.networks.get('vpc-1')?.resolverIp, '10.0.0.2');
  assert.match(runner.transcript, /\$ ip netns add pl-vpc-1\n/);
  assert.match(runner.transcript, /\$ ip -n pl-vpc-1 -batch -\n {2}addr replace 10\.0\.1\.1\/24 dev br0\n/);

  runner.calls.length = 0;
  await r.reconcile();
  assert.deepEqual(runner.calls, [], 'nothing to do when nothing changed');

  records.subnet.push({ id: 'subnet-2', vpcId: 'vpc-1', cidrBlock: '10.0.2.0/24' });
  await r.reconcile();
  assert.equal(runner.transcript, '$ ip -n pl-vpc-1 -batch -\n  addr replace 10.0.2.1/24 dev br0\n');

  runner.calls.length = 0;
  records.vpc = [];
  await r.reconcile();
  assert.equal(r.networks.isReady('vpc-1'), false);
  assert.equal(runner.transcript, '$ ip netns pids pl-vpc-1\n$ ip netns delete pl-vpc-1\n');
  assert.deepEqual(seen, ['up vpc-1 pl-vpc-1', 'down vpc-1']);
});
