/**
 * VPC networks in real namespaces: one namespace per VPC with br0, subnet routers, the resolver
 * and IMDS addresses; subnets added/removed later; everything removed at close.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CreateSubnetCommand, CreateVpcCommand, DeleteSubnetCommand } from '@aws-sdk/client-ec2';
import { createComponents, createDataplane } from '../../src/components.js';
import { run, systemRunner } from '../../src/dataplane/netns/run.js';
import { Dataplane } from '../../src/dataplane/dataplane.js';
import { DEFAULT_FABRIC_CIDR, Fabric, FABRIC_BRIDGE } from '../../src/dataplane/fabric/fabric.js';
import { silentLogger } from '../../src/shared/logger.js';
import { ec2Client, eventually, startPrivlink } from '../helpers/privlink.js';
import { netnsSkip } from '../helpers/netns.js';

const PREFIX = 'tvp';
const skip = await netnsSkip('VPC namespace tests');

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
    { dataplane: createDataplane, components: createComponents },
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
    { dataplane: createDataplane, components: createComponents },
  );
  await ec2Client(p).send(new CreateVpcCommand({ CidrBlock: '10.1.0.0/16' }));
  await eventually(namespaces, (l) => l.length === 1);
  await p.reset();
  assert.deepEqual(await namespaces(), []);
  await p.close();
});

async function macOf(ns: string, dev: string): Promise<string> {
  const { stdout } = await run(['ip', '-n', ns, '-j', 'link', 'show', 'dev', dev]);
  return (JSON.parse(stdout) as { address: string }[])[0]?.address ?? '';
}

/** Plugs a veth with a MAC lower than any stable one into `bridge`: an unpinned bridge adopts it. */
async function plugLowMacPort(ns: string, bridge: string): Promise<void> {
  await run([
    'ip',
    '-n',
    ns,
    'link',
    'add',
    'lowmac0',
    'address',
    '02:00:00:00:00:01',
    'type',
    'veth',
    'peer',
    'name',
    'lowmac1',
  ]);
  await run(['ip', '-n', ns, 'link', 'set', 'lowmac0', 'master', bridge, 'up']);
}

test(
  'bridges keep their MAC when ports join (router and agent addresses stay valid in ARP caches)',
  { skip },
  async (t) => {
    const p = await startPrivlink(
      t,
      { dataplane: 'netns', netnsPrefix: PREFIX },
      { dataplane: createDataplane, components: createComponents },
    );
    const vpc = await ec2Client(p).send(new CreateVpcCommand({ CidrBlock: '10.2.0.0/16' }));
    const ns = `${PREFIX}-${vpc.Vpc?.VpcId ?? ''}`;
    await eventually(namespaces, (l) => l.includes(ns));
    // The namespace appears a moment before its bridge: wait for the bridge itself.
    const before = await eventually(
      () => macOf(ns, 'br0').catch(() => ''),
      (m) => m !== '',
    );
    await plugLowMacPort(ns, 'br0');
    assert.equal(await macOf(ns, 'br0'), before);
    assert.notEqual(before, '02:00:00:00:00:01');

    const fabric = new Fabric(systemRunner, PREFIX, DEFAULT_FABRIC_CIDR, silentLogger);
    t.after(() => fabric.close());
    await fabric.ensure();
    const fabBefore = await macOf(fabric.namespace, FABRIC_BRIDGE);
    await plugLowMacPort(fabric.namespace, FABRIC_BRIDGE);
    assert.equal(await macOf(fabric.namespace, FABRIC_BRIDGE), fabBefore);
    await fabric.close();
    await p.close();
    assert.deepEqual(await namespaces(), []);
  },
);

test('a leftover namespace with the prefix is swept at start', { skip }, async (t) => {
  await run(['ip', 'netns', 'add', `${PREFIX}-vpc-leftover`]);
  const p = await startPrivlink(
    t,
    { dataplane: 'netns', netnsPrefix: PREFIX },
    { dataplane: createDataplane, components: createComponents },
  );
  assert.deepEqual(await namespaces(), []);
  await p.close();
});

test('loopback mode is chosen on request and described', async (t) => {
  const p = await startPrivlink(
    t,
    { dataplane: 'loopback', netnsPrefix: PREFIX },
    { dataplane: createDataplane, components: createComponents },
  );
  const health = p.health() as { components: { dataplane: { mode: string; reason: string } } };
  assert.equal(health.components.dataplane.mode, 'loopback');
  assert.match(health.components.dataplane.reason, /loopback/);
  assert.ok(Dataplane);
});
