/**
 * VPC networks in real namespaces: one namespace per VPC with br0, subnet routers, the resolver
 * and IMDS addresses; subnets added/removed later; everything removed at close.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CreateSubnetCommand, CreateVpcCommand, DeleteSubnetCommand } from '@aws-sdk/client-ec2';
import { createComponents } from '../../src/components.js';
import { probeNetns, run } from '../../src/dataplane/netns/run.js';
import { Dataplane } from '../../src/dataplane/dataplane.js';
import { ec2Client, eventually, startPrivlink } from '../helpers/privlink.js';

const PREFIX = 'tvp';
const probe = await probeNetns();
const skip = probe.ok ? false : `no network namespaces here: ${probe.reason}`;
if (skip) console.log(`# skipping VPC namespace tests: ${probe.reason}`);

async function namespaces(): Promise<string[]> {
  const { stdout } = await run(['ip', '-j', 'netns', 'list']);
  const list = stdout.trim() ? (JSON.parse(stdout) as { name: string }[]) : [];
  return list.map((n) => n.name).filter((n) => n.startsWith(PREFIX + '-'));
}

async function addrs(ns: string, dev: string): Promise<string[]> {
  const { stdout } = await run(['ip', '-4', '-n', ns, '-j', 'addr', 'show', 'dev', dev]);
  const j = JSON.parse(stdout) as { addr_info: { local: string; prefixlen: number }[] }[];
  return (j[0]?.addr_info ?? []).map((a) => `${a.local}/${a.prefixlen}`).sort();
}

test('VPC namespaces: bridge, routers, resolver, IMDS address; swept at close', { skip }, async (t) => {
  const p = await startPrivlink(
    t,
    { dataplane: 'netns', netnsPrefix: PREFIX },
    { components: createComponents },
  );
  const ec2 = ec2Client(p);
  const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
  const vpcId = vpc.Vpc?.VpcId ?? '';
  const ns = `${PREFIX}-${vpcId}`;
  const s1 = await ec2.send(
    new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.0.1.0/24', AvailabilityZone: 'us-east-1a' }),
  );
  await ec2.send(
    new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.0.2.0/24', AvailabilityZone: 'us-east-1b' }),
  );
  await eventually(
    () => addrs(ns, 'br0').catch(() => []),
    (a) => a.length === 2,
  );
  assert.deepEqual(await addrs(ns, 'br0'), ['10.0.1.1/24', '10.0.2.1/24']);
  const lo = await addrs(ns, 'lo');
  assert.ok(lo.includes('10.0.0.2/32') && lo.includes('169.254.169.254/32'), lo.join(','));
  const fwd = await run(['ip', 'netns', 'exec', ns, 'sysctl', '-n', 'net.ipv4.ip_forward']);
  assert.equal(fwd.stdout.trim(), '1');

  await ec2.send(new DeleteSubnetCommand({ SubnetId: s1.Subnet?.SubnetId ?? '' }));
  await eventually(
    () => addrs(ns, 'br0'),
    (a) => a.length === 1,
  );
  assert.deepEqual(await addrs(ns, 'br0'), ['10.0.2.1/24']);

  const dp = JSON.stringify(p.health());
  assert.match(dp, /"mode":"netns"/);
  assert.match(dp, new RegExp(`"netnsPrefix":"${PREFIX}"`));
  await p.close();
  assert.deepEqual(await namespaces(), []);
});

test('reset() tears down every VPC network', { skip }, async (t) => {
  const p = await startPrivlink(
    t,
    { dataplane: 'netns', netnsPrefix: PREFIX },
    { components: createComponents },
  );
  await ec2Client(p).send(new CreateVpcCommand({ CidrBlock: '10.1.0.0/16' }));
  await eventually(namespaces, (l) => l.length === 1);
  await p.reset();
  assert.deepEqual(await namespaces(), []);
  await p.close();
});

test('a leftover namespace with the prefix is swept at start', { skip }, async (t) => {
  await run(['ip', 'netns', 'add', `${PREFIX}-vpc-leftover`]);
  const p = await startPrivlink(
    t,
    { dataplane: 'netns', netnsPrefix: PREFIX },
    { components: createComponents },
  );
  assert.deepEqual(await namespaces(), []);
  await p.close();
});

test('loopback mode is chosen on request and described', async (t) => {
  const p = await startPrivlink(
    t,
    { dataplane: 'loopback', netnsPrefix: PREFIX },
    { components: createComponents },
  );
  const health = p.health() as { components: { dataplane: { mode: string; reason: string } } };
  assert.equal(health.components.dataplane.mode, 'loopback');
  assert.match(health.components.dataplane.reason, /loopback/);
  assert.ok(Dataplane);
});
