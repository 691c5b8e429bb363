/**
 * Concurrency: two waves of ~100 parallel mutating requests each (CreateVpcEndpoint from two
 * consumer accounts with and without shared ClientTokens, into a nearly full /28, Accept and
 * Reject racing on the same connections, double deletes, permission adds and removes, reads in
 * between). Every answer is a success or a 4xx AWS error, and the final state is consistent:
 * unique IDs and IPs, no orphan or missing ENIs, idempotent creates collapsed to one endpoint,
 * the provider's view of connections and permissions matches the store.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AcceptVpcEndpointConnectionsCommand,
  CreateSubnetCommand,
  CreateVpcEndpointCommand,
  DeleteVpcEndpointsCommand,
  DescribeVpcEndpointConnectionsCommand,
  DescribeVpcEndpointServicePermissionsCommand,
  DescribeVpcEndpointsCommand,
  ModifyVpcEndpointServicePermissionsCommand,
  RejectVpcEndpointConnectionsCommand,
  type EC2Client,
} from '@aws-sdk/client-ec2';
import { cidrContainsIp, isReservedInSubnet, parseCidr } from '../../src/control/cidr.js';
import { CONSUMER, PROVIDER, REGION, ec2Client, eventually, startPrivlink } from '../helpers/privlink.js';
import { buildNet, buildWorld } from './world.js';

const THIRD = '333333333333';
const role = (i: number) => `arn:aws:iam::${CONSUMER}:role/r${i}`;

interface Outcome<T> {
  ok?: T;
  error?: { name: string; status: number | undefined; message: string };
}

/** Runs one request and files its outcome; a 5xx or an error without a code fails the test. */
async function settleOne<T>(p: Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: await p };
  } catch (e) {
    const err = e as Error & { $metadata?: { httpStatusCode?: number } };
    return { error: { name: err.name, status: err.$metadata?.httpStatusCode, message: err.message } };
  }
}

function assertClean(outcomes: readonly Outcome<unknown>[], what: string): void {
  for (const o of outcomes) {
    if (!o.error) continue;
    const { name, status, message } = o.error;
    assert.ok(status !== undefined && status >= 400 && status < 500, `${what}: ${name} ${status} ${message}`);
    assert.ok(name && name !== 'Error' && name !== 'InternalError', `${what}: uncoded error ${message}`);
  }
}

const createIn = (c: EC2Client, vpcId: string, serviceName: string, subnetIds: string[], token?: string) =>
  c.send(
    new CreateVpcEndpointCommand({
      VpcEndpointType: 'Interface',
      VpcId: vpcId,
      ServiceName: serviceName,
      SubnetIds: subnetIds,
      ...(token ? { ClientToken: token } : {}),
    }),
  );

test('concurrent creates, accepts, rejects, deletes and permission changes stay consistent', async (t) => {
  const p = await startPrivlink(t, { pendingMs: 30 });
  const w = await buildWorld(p);
  const prov = ec2Client(p, { account: PROVIDER });
  const cons = ec2Client(p, { account: CONSUMER });
  const third = ec2Client(p, { account: THIRD });
  await prov.send(
    new ModifyVpcEndpointServicePermissionsCommand({
      ServiceId: w.serviceId,
      AddAllowedPrincipals: [`arn:aws:iam::${THIRD}:root`],
    }),
  );
  const net3 = await buildNet(third); // the same 10.0.0.0/16 as the other consumer
  const small = await cons.send(
    new CreateSubnetCommand({
      VpcId: w.consumer.vpcId,
      CidrBlock: '10.0.9.0/28',
      AvailabilityZone: `${REGION}a`,
    }),
  );
  const smallId = small.Subnet?.SubnetId ?? '';

  // ---- wave 1: creates (plain, idempotent pairs, into the /28), permission adds, reads
  const wave1: Promise<Outcome<unknown>>[] = [];
  const creates: Promise<Outcome<{ VpcEndpoint?: { VpcEndpointId?: string } }>>[] = [];
  const tokenCreates: [string, Promise<Outcome<{ VpcEndpoint?: { VpcEndpointId?: string } }>>][] = [];
  const smallCreates: Promise<Outcome<unknown>>[] = [];
  for (let i = 0; i < 25; i++) {
    creates.push(settleOne(createIn(cons, w.consumer.vpcId, w.serviceName, w.consumer.subnetIds)));
    creates.push(settleOne(createIn(third, net3.vpcId, w.serviceName, net3.subnetIds)));
  }
  for (let i = 0; i < 10; i++) {
    const token = `tok-${i % 5}`;
    tokenCreates.push([
      token,
      settleOne(createIn(cons, w.consumer.vpcId, w.serviceName, w.consumer.subnetIds, token)),
    ]);
  }
  for (let i = 0; i < 20; i++) {
    smallCreates.push(settleOne(createIn(cons, w.consumer.vpcId, w.serviceName, [smallId])));
  }
  for (let i = 0; i < 15; i++) {
    wave1.push(
      settleOne(
        prov.send(
          new ModifyVpcEndpointServicePermissionsCommand({
            ServiceId: w.serviceId,
            AddAllowedPrincipals: [role(i)],
          }),
        ),
      ),
    );
  }
  for (let i = 0; i < 10; i++) {
    wave1.push(settleOne(cons.send(new DescribeVpcEndpointsCommand({}))));
    wave1.push(settleOne(prov.send(new DescribeVpcEndpointConnectionsCommand({}))));
  }
  const created = await Promise.all(creates);
  const tokened = await Promise.all(tokenCreates.map(async ([tok, pr]) => [tok, await pr] as const));
  const smalls = await Promise.all(smallCreates);
  const others1 = await Promise.all(wave1);
  assertClean([...created, ...tokened.map(([, o]) => o), ...smalls, ...others1], 'wave 1');
  t.diagnostic(`wave 1: ${created.length + tokened.length + smalls.length + others1.length} requests`);

  // Plain creates all succeed; a shared ClientToken yields one endpoint.
  assert.equal(created.filter((o) => o.ok).length, 50);
  const byToken = new Map<string, Set<string>>();
  for (const [tok, o] of tokened) {
    assert.ok(o.ok, `idempotent create ${tok}: ${o.error?.name}`);
    byToken.set(tok, (byToken.get(tok) ?? new Set()).add(o.ok.VpcEndpoint?.VpcEndpointId ?? ''));
  }
  for (const [tok, ids] of byToken)
    assert.equal(ids.size, 1, `ClientToken ${tok} made ${ids.size} endpoints`);
  // The /28 has 11 usable addresses (AWS reserves 5); the rest fail cleanly.
  const smallOk = smalls.filter((o) => o.ok).length;
  assert.ok(smallOk >= 1 && smallOk <= 11, `${smallOk} endpoints fit in a /28`);
  for (const o of smalls.filter((x) => x.error))
    assert.equal(o.error?.name, 'InsufficientFreeAddressesInSubnet');

  const pendingIds = p.store
    .listAll('vpcEndpoint')
    .filter((e) => e.serviceId === w.serviceId && e.state === 'pendingAcceptance')
    .map((e) => e.id);
  assert.equal(pendingIds.length, 50 + 5 + smallOk + 1, 'every new endpoint waits for acceptance');

  // ---- wave 2: accept / reject (some racing on the same endpoints), deletes (some twice),
  // permission removes and adds.
  const accept = pendingIds.slice(0, 20);
  const reject = pendingIds.slice(20, 30);
  const race = pendingIds.slice(30, 36);
  const del = pendingIds.slice(36, 46);
  const wave2: Promise<Outcome<unknown>>[] = [];
  const acceptOut: Promise<Outcome<{ Unsuccessful?: { ResourceId?: string }[] }>>[] = [];
  const rejectOut: Promise<Outcome<{ Unsuccessful?: { ResourceId?: string }[] }>>[] = [];
  for (const id of [...accept, ...race]) {
    acceptOut.push(
      settleOne(
        prov.send(new AcceptVpcEndpointConnectionsCommand({ ServiceId: w.serviceId, VpcEndpointIds: [id] })),
      ),
    );
  }
  for (const id of [...reject, ...race]) {
    rejectOut.push(
      settleOne(
        prov.send(new RejectVpcEndpointConnectionsCommand({ ServiceId: w.serviceId, VpcEndpointIds: [id] })),
      ),
    );
  }
  for (const id of [...del, ...del.slice(0, 5)]) {
    const owner = p.store.find('vpcEndpoint', id)?.accountId === THIRD ? third : cons;
    wave2.push(settleOne(owner.send(new DeleteVpcEndpointsCommand({ VpcEndpointIds: [id] }))));
  }
  for (let i = 0; i < 10; i++) {
    wave2.push(
      settleOne(
        prov.send(
          new ModifyVpcEndpointServicePermissionsCommand({
            ServiceId: w.serviceId,
            RemoveAllowedPrincipals: [role(i)],
          }),
        ),
      ),
    );
  }
  for (let i = 20; i < 25; i++) {
    wave2.push(
      settleOne(
        prov.send(
          new ModifyVpcEndpointServicePermissionsCommand({
            ServiceId: w.serviceId,
            AddAllowedPrincipals: [role(i)],
          }),
        ),
      ),
    );
  }
  for (let i = 0; i < 10; i++) wave2.push(settleOne(third.send(new DescribeVpcEndpointsCommand({}))));
  const accepted = await Promise.all(acceptOut);
  const rejected = await Promise.all(rejectOut);
  const others2 = await Promise.all(wave2);
  assertClean([...accepted, ...rejected, ...others2], 'wave 2');
  t.diagnostic(`wave 2: ${accepted.length + rejected.length + others2.length} requests`);
  for (const o of [...accepted.slice(0, 20), ...rejected.slice(0, 10)]) {
    assert.deepEqual(o.ok?.Unsuccessful ?? [], [], 'uncontested accept/reject succeeds');
  }
  // Racing accept and reject: reject works from pendingAcceptance, pending and available, and a
  // rejected endpoint cannot be accepted, so whichever order they ran in, reject wins.
  for (const [i, id] of race.entries()) {
    assert.deepEqual(rejected[10 + i]?.ok?.Unsuccessful, [], `${id}: reject succeeds`);
  }

  // ---- settle, then check the invariants
  await eventually(
    () =>
      p.store.listAll('vpcEndpoint').filter((e) => e.state === 'pending' || e.state === 'deleting').length,
    (n) => n === 0,
  );
  const endpoints = p.store.listAll('vpcEndpoint');
  const enis = p.store.listAll('networkInterface');
  assert.equal(new Set(endpoints.map((e) => e.id)).size, endpoints.length, 'unique endpoint IDs');
  assert.equal(new Set(enis.map((e) => e.id)).size, enis.length, 'unique ENI IDs');
  const subnets = new Map(p.store.listAll('subnet').map((s) => [s.id, s]));
  const seenIps = new Set<string>();
  for (const eni of enis) {
    const key = `${eni.subnetId}/${eni.privateIpAddress}`;
    assert.ok(!seenIps.has(key), `duplicate IP ${key}`);
    seenIps.add(key);
    const sn = subnets.get(eni.subnetId);
    assert.ok(
      sn && cidrContainsIp(parseCidr(sn.cidrBlock), eni.privateIpAddress),
      `${eni.id} inside its subnet`,
    );
    assert.ok(
      !isReservedInSubnet(parseCidr(sn.cidrBlock), eni.privateIpAddress),
      `${eni.id} not on a reserved address`,
    );
  }
  const eniById = new Map(enis.map((e) => [e.id, e]));
  const claimed = new Set<string>();
  for (const ep of endpoints.filter((e) => e.endpointType === 'Interface')) {
    const live = ep.state !== 'deleted' && ep.state !== 'rejected' && ep.state !== 'failed';
    if (live)
      assert.equal(ep.networkInterfaceIds.length, ep.subnetIds.length, `${ep.id} has one ENI per subnet`);
    for (const id of ep.networkInterfaceIds) {
      assert.equal(eniById.get(id)?.ownerResourceId, ep.id, `${id} belongs to ${ep.id}`);
      claimed.add(id);
    }
  }
  const orphans = enis.filter((e) => e.interfaceType === 'vpc_endpoint' && !claimed.has(e.id));
  assert.deepEqual(
    orphans.map((e) => e.id),
    [],
    'no orphan endpoint ENIs',
  );
  // The small subnet holds exactly the ENIs of the endpoints that fit in it.
  assert.equal(enis.filter((e) => e.subnetId === smallId).length, smallOk);

  const state = (id: string) => p.store.find('vpcEndpoint', id)?.state;
  for (const id of accept) assert.equal(state(id), 'available');
  for (const id of reject) assert.equal(state(id), 'rejected');
  for (const id of race) assert.equal(state(id), 'rejected');
  for (const id of del) assert.ok(['deleted', undefined].includes(state(id)), `${id}: ${state(id)}`);

  // The provider's connection view and the permission list agree with the store.
  const conns = await prov.send(new DescribeVpcEndpointConnectionsCommand({}));
  const inStore = endpoints.filter((e) => e.serviceId === w.serviceId);
  const listed = new Map(
    (conns.VpcEndpointConnections ?? []).map((c) => [c.VpcEndpointId, c.VpcEndpointState]),
  );
  for (const ep of inStore) {
    if (listed.has(ep.id)) assert.equal(listed.get(ep.id), ep.state, `${ep.id} state in connections`);
  }
  assert.ok([...listed.keys()].every((id) => inStore.some((e) => e.id === id)));
  const perms = await prov.send(new DescribeVpcEndpointServicePermissionsCommand({ ServiceId: w.serviceId }));
  const principals = new Set((perms.AllowedPrincipals ?? []).map((x) => x.Principal));
  const expected = new Set([
    `arn:aws:iam::${CONSUMER}:root`,
    `arn:aws:iam::${THIRD}:root`,
    ...[10, 11, 12, 13, 14, 20, 21, 22, 23, 24].map(role),
  ]);
  assert.deepEqual([...principals].sort(), [...expected].sort());
  assert.equal(p.store.listAll('servicePermission').length, expected.size, 'no duplicate permission records');
});
