/**
 * Consumer-side PrivateLink over time and change: ModifyVpcEndpoint, DeleteVpcEndpoints, the
 * lifecycle driver on a ManualClock (no sleeping), its data-plane readiness seam, restart safety,
 * and DescribeVpcEndpoints by ID with 10,000 endpoints stored.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  CreateVpcEndpointCommand,
  DeleteVpcEndpointsCommand,
  DescribeVpcEndpointsCommand,
  ModifyVpcEndpointCommand,
  type EC2Client,
} from '@aws-sdk/client-ec2';
import { ManualClock } from '../../src/shared/clock.js';
import type { VpcEndpoint } from '../../src/control/model/privatelink.js';
import { describeVpcEndpoints } from '../../src/control/privatelink/vpc-endpoints.js';
import { renderVpcEndpoint } from '../../src/api/actions/ec2/endpoints/render.js';
import { handleRequest } from '../../src/api/pipeline.js';
import {
  CONSUMER,
  REGION,
  ec2Client,
  expectAwsError,
  signedRaw,
  fakeDataplane,
  startPrivlink,
} from '../helpers/privlink.js';
import {
  createInterfaceEndpoint,
  rootArn,
  seedService,
  seedVpc,
  setState,
  startConsumer,
} from './privatelink-consumer-fixtures.js';

const PENDING_MS = 200;
const RETENTION_MS = 5_000;
const scope = { accountId: CONSUMER, region: REGION };

const setup = (t: Parameters<typeof startPrivlink>[0]) =>
  startConsumer(t, { pendingMs: PENDING_MS, deletedRetentionMs: RETENTION_MS });

async function state(ec2: EC2Client, id: string): Promise<string | undefined> {
  const out = await ec2.send(new DescribeVpcEndpointsCommand({ VpcEndpointIds: [id] }));
  return out.VpcEndpoints?.[0]?.State;
}

async function createInterface(ec2: EC2Client, vpcId: string, subnetIds: string[], service = 'ssm') {
  const out = await ec2.send(
    new CreateVpcEndpointCommand({
      VpcEndpointType: 'Interface',
      VpcId: vpcId,
      ServiceName: `com.amazonaws.${REGION}.${service}`,
      SubnetIds: subnetIds,
    }),
  );
  const id = out.VpcEndpoint?.VpcEndpointId;
  assert.ok(id);
  return id;
}

test('ModifyVpcEndpoint on an interface endpoint: subnets, ENIs, groups, policy, private DNS', async (t) => {
  const { p, consumer, net } = await setup(t);
  const [a, b, c] = net.subnetIds as [string, string, string];
  const id = await createInterface(consumer, net.vpcId, [a, b]);
  const before = p.store.find('vpcEndpoint', id);
  assert.ok(before);
  const eniA = before.networkInterfaceIds[0] ?? '';

  const mod = await consumer.send(
    new ModifyVpcEndpointCommand({
      VpcEndpointId: id,
      AddSubnetIds: [c],
      RemoveSubnetIds: [b],
      AddSecurityGroupIds: [net.extraSgId],
      SubnetConfigurations: [{ SubnetId: a, Ipv4: '10.0.1.200' }],
    }),
  );
  assert.equal(mod.Return, true);
  const ep = (await consumer.send(new DescribeVpcEndpointsCommand({ VpcEndpointIds: [id] })))
    .VpcEndpoints?.[0];
  assert.deepEqual(ep?.SubnetIds, [a, c]);
  assert.deepEqual(
    ep?.Groups?.map((g) => g.GroupId),
    [net.defaultSgId, net.extraSgId],
  );
  assert.equal(ep?.NetworkInterfaceIds?.length, 2);
  assert.ok(!ep?.NetworkInterfaceIds?.includes(eniA), 'a new address replaces the ENI');
  assert.equal(p.store.find('networkInterface', eniA), undefined);
  const enis = (ep?.NetworkInterfaceIds ?? []).map((x) => p.store.find('networkInterface', x));
  assert.equal(enis[0]?.privateIpAddress, '10.0.1.200');
  assert.equal(enis[1]?.subnetId, c);
  for (const eni of enis) assert.deepEqual(eni?.groupIds, [net.defaultSgId, net.extraSgId]);
  assert.equal(p.store.list('networkInterface', scope).length, 2, 'the removed subnet lost its ENI');
  // Zonal DNS names follow the subnets.
  assert.ok(ep?.DnsEntries?.some((d) => d.DnsName?.includes(`-${REGION}c.ssm.`)));
  assert.ok(!ep?.DnsEntries?.some((d) => d.DnsName?.includes(`-${REGION}b.ssm.`)));

  // Policy: custom, then reset; both together is a combination error.
  const custom = JSON.stringify({
    Statement: [{ Effect: 'Deny', Principal: '*', Action: '*', Resource: '*' }],
  });
  await consumer.send(new ModifyVpcEndpointCommand({ VpcEndpointId: id, PolicyDocument: custom }));
  assert.equal(p.store.find('vpcEndpoint', id)?.policyDocument, custom);
  await expectAwsError(
    consumer.send(
      new ModifyVpcEndpointCommand({ VpcEndpointId: id, PolicyDocument: custom, ResetPolicy: true }),
    ),
    'InvalidParameterCombination',
  );
  await consumer.send(new ModifyVpcEndpointCommand({ VpcEndpointId: id, ResetPolicy: true }));
  assert.match(p.store.find('vpcEndpoint', id)?.policyDocument ?? '', /^\{\n {2}"Statement"/);

  // Private DNS off and on; a second endpoint for the same service cannot also claim the name.
  await consumer.send(new ModifyVpcEndpointCommand({ VpcEndpointId: id, PrivateDnsEnabled: false }));
  const second = await createInterfaceEndpoint(consumer, net, `com.amazonaws.${REGION}.ssm`, {
    SubnetIds: [b],
  });
  assert.equal(second.VpcEndpoint?.PrivateDnsEnabled, true);
  const conflict = await expectAwsError(
    consumer.send(new ModifyVpcEndpointCommand({ VpcEndpointId: id, PrivateDnsEnabled: true })),
    'InvalidParameter',
  );
  assert.match(conflict.message, /conflicting DNS domain for ssm\.us-east-1\.amazonaws\.com/);

  // Errors change nothing.
  const snapshot = p.store.find('vpcEndpoint', id);
  await expectAwsError(
    consumer.send(new ModifyVpcEndpointCommand({ VpcEndpointId: id, AddSubnetIds: [net.extraSubnetA] })),
    'DuplicateSubnetsInSameZone',
  );
  await expectAwsError(
    consumer.send(
      new ModifyVpcEndpointCommand({
        VpcEndpointId: id,
        RemoveSecurityGroupIds: [net.defaultSgId, net.extraSgId],
      }),
    ),
    'InvalidParameter',
  );
  await expectAwsError(
    consumer.send(new ModifyVpcEndpointCommand({ VpcEndpointId: id, AddRouteTableIds: [net.routeTableId] })),
    'InvalidParameter',
  );
  await expectAwsError(
    consumer.send(new ModifyVpcEndpointCommand({ VpcEndpointId: id, RemoveSubnetIds: [b] })),
    'InvalidParameter',
  );
  assert.deepEqual(p.store.find('vpcEndpoint', id), snapshot);
  await expectAwsError(
    consumer.send(
      new ModifyVpcEndpointCommand({ VpcEndpointId: 'vpce-0123456789abcdef0', ResetPolicy: true }),
    ),
    'InvalidVpcEndpointId.NotFound',
  );
  await expectAwsError(
    consumer.send(new ModifyVpcEndpointCommand({ VpcEndpointId: 'nope', ResetPolicy: true })),
    'InvalidVpcEndpointId.Malformed',
  );
  const other = ec2Client(p, { account: '333333333333' });
  await expectAwsError(
    other.send(new ModifyVpcEndpointCommand({ VpcEndpointId: id, ResetPolicy: true })),
    'InvalidVpcEndpointId.NotFound',
  );
});

test('ModifyVpcEndpoint on a gateway endpoint moves its routes', async (t) => {
  const { p, consumer, net } = await setup(t);
  const out = await consumer.send(
    new CreateVpcEndpointCommand({
      VpcId: net.vpcId,
      ServiceName: `com.amazonaws.${REGION}.dynamodb`,
      RouteTableIds: [net.mainRouteTableId],
    }),
  );
  const id = out.VpcEndpoint?.VpcEndpointId ?? '';
  const routesTo = (rtb: string) =>
    p.store.find('routeTable', rtb)?.routes.filter((r) => r.gatewayId === id) ?? [];
  assert.equal(routesTo(net.mainRouteTableId).length, 1);
  await consumer.send(
    new ModifyVpcEndpointCommand({
      VpcEndpointId: id,
      AddRouteTableIds: [net.routeTableId],
      RemoveRouteTableIds: [net.mainRouteTableId],
      PolicyDocument: JSON.stringify({
        Statement: [{ Effect: 'Allow', Principal: '*', Action: 'dynamodb:*' }],
      }),
    }),
  );
  assert.equal(routesTo(net.mainRouteTableId).length, 0);
  assert.equal(routesTo(net.routeTableId)[0]?.destinationPrefixListId, 'pl-02cd2c6b');
  const ep = p.store.find('vpcEndpoint', id);
  assert.deepEqual(ep?.routeTableIds, [net.routeTableId]);
  await expectAwsError(
    consumer.send(
      new ModifyVpcEndpointCommand({ VpcEndpointId: id, AddSubnetIds: [net.subnetIds[0] ?? ''] }),
    ),
    'InvalidParameter',
  );
  await expectAwsError(
    consumer.send(
      new ModifyVpcEndpointCommand({ VpcEndpointId: id, AddRouteTableIds: ['rtb-0000000000000dead'] }),
    ),
    'InvalidRouteTableID.NotFound',
  );
  // Delete removes the routes at once.
  const del = await consumer.send(new DeleteVpcEndpointsCommand({ VpcEndpointIds: [id] }));
  assert.deepEqual(del.Unsuccessful, []);
  assert.equal(routesTo(net.routeTableId).length, 0);
  assert.equal(await state(consumer, id), 'deleting');
});

test('lifecycle: pending → available, delete → deleting → deleted → gone, on the injected clock', async (t) => {
  const { p, clock, consumer, net } = await setup(t);
  const id = await createInterface(consumer, net.vpcId, [net.subnetIds[0] ?? '']);
  assert.equal(await state(consumer, id), 'pending');
  clock.advance(PENDING_MS - 1);
  assert.equal(await state(consumer, id), 'pending');
  clock.advance(1);
  assert.equal(await state(consumer, id), 'available');

  // Acceptance: pendingAcceptance has no timer; Accept (simulated) → pending → available.
  const svc = seedService(p, { acceptanceRequired: true, allow: [rootArn(CONSUMER)] });
  const out = await createInterfaceEndpoint(consumer, net, svc.serviceName, {
    SubnetIds: [net.subnetIds[1] ?? ''],
  });
  const accepted = out.VpcEndpoint?.VpcEndpointId ?? '';
  clock.advance(10 * PENDING_MS);
  assert.equal(await state(consumer, accepted), 'pendingAcceptance');
  setState(p, accepted, 'pending');
  assert.equal(await state(consumer, accepted), 'pending');
  clock.advance(PENDING_MS);
  assert.equal(await state(consumer, accepted), 'available');

  // Delete: in-band failures for unknown IDs and other accounts' endpoints.
  const otherNet = seedVpc(p, { account: '333333333333', cidr: '10.0.0.0/16' });
  const otherId = await createInterface(ec2Client(p, { account: '333333333333' }), otherNet.vpcId, [
    otherNet.subnetIds[0] ?? '',
  ]);
  const del = await consumer.send(
    new DeleteVpcEndpointsCommand({ VpcEndpointIds: [id, 'vpce-0123456789abcdef0', otherId] }),
  );
  assert.deepEqual(del.Unsuccessful, [
    {
      Error: {
        Code: 'InvalidVpcEndpoint.NotFound',
        Message: 'The VPC endpoint vpce-0123456789abcdef0 does not exist',
      },
      ResourceId: 'vpce-0123456789abcdef0',
    },
    {
      Error: { Code: 'InvalidVpcEndpoint.NotFound', Message: `The VPC endpoint ${otherId} does not exist` },
      ResourceId: otherId,
    },
  ]);
  const deleting = (await consumer.send(new DescribeVpcEndpointsCommand({ VpcEndpointIds: [id] })))
    .VpcEndpoints?.[0];
  assert.equal(deleting?.State, 'deleting');
  assert.deepEqual(deleting?.NetworkInterfaceIds, []);
  assert.equal(
    p.store.list('networkInterface', scope).filter((e) => e.ownerResourceId === id).length,
    0,
    'ENIs go at once',
  );
  await expectAwsError(
    consumer.send(new ModifyVpcEndpointCommand({ VpcEndpointId: id, ResetPolicy: true })),
    'IncorrectState',
  );
  // Deleting again is harmless.
  assert.deepEqual(
    (await consumer.send(new DeleteVpcEndpointsCommand({ VpcEndpointIds: [id] }))).Unsuccessful,
    [],
  );
  clock.advance(PENDING_MS);
  assert.equal(await state(consumer, id), 'deleted');
  const deletedList = await consumer.send(
    new DescribeVpcEndpointsCommand({ Filters: [{ Name: 'vpc-endpoint-state', Values: ['deleted'] }] }),
  );
  assert.deepEqual(
    deletedList.VpcEndpoints?.map((e) => e.VpcEndpointId),
    [id],
  );
  clock.advance(RETENTION_MS - 1);
  assert.equal(await state(consumer, id), 'deleted');
  clock.advance(1);
  await expectAwsError(
    consumer.send(new DescribeVpcEndpointsCommand({ VpcEndpointIds: [id] })),
    'InvalidVpcEndpointId.NotFound',
  );
  assert.equal(await state(consumer, accepted), 'available', 'other endpoints untouched');
});

test('the data plane can hold endpoints in pending until traffic can flow', async (t) => {
  let ready = false;
  const asked: string[] = [];
  const readiness = {
    isReady: (ep: { id: string }) => {
      asked.push(ep.id);
      return ready;
    },
  };
  const { clock, consumer, net } = await startConsumer(
    t,
    { pendingMs: PENDING_MS, deletedRetentionMs: RETENTION_MS },
    { dataplane: fakeDataplane({ readiness }) },
  );
  const id = await createInterface(consumer, net.vpcId, [net.subnetIds[0] ?? '']);
  clock.advance(5 * PENDING_MS);
  assert.equal(await state(consumer, id), 'pending');
  assert.ok(asked.length >= 2, 'asked again while not ready');
  ready = true;
  clock.advance(PENDING_MS);
  assert.equal(await state(consumer, id), 'available');
});

test('a restarted server finishes transitions that fell due while it was down', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'privlink-h4-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const clock1 = new ManualClock();
  const first = await startPrivlink(
    t,
    { ephemeral: false, dataDir: dir, pendingMs: PENDING_MS, deletedRetentionMs: RETENTION_MS },
    { clock: clock1 },
  );
  const net = seedVpc(first, { account: CONSUMER });
  const c1 = ec2Client(first, { account: CONSUMER });
  const pendingId = await createInterface(c1, net.vpcId, [net.subnetIds[0] ?? '']);
  const doomed = await createInterface(c1, net.vpcId, [net.subnetIds[1] ?? ''], 'sts');
  clock1.advance(PENDING_MS);
  await c1.send(new DeleteVpcEndpointsCommand({ VpcEndpointIds: [doomed] }));
  const stillPending = await createInterface(c1, net.vpcId, [net.subnetIds[2] ?? ''], 'kms');
  await first.close();

  const clock2 = new ManualClock(clock1.now() + 10 * RETENTION_MS);
  const second = await startPrivlink(
    t,
    { ephemeral: false, dataDir: dir, pendingMs: PENDING_MS, deletedRetentionMs: RETENTION_MS },
    { clock: clock2 },
  );
  const c2 = ec2Client(second, { account: CONSUMER });
  clock2.advance(0);
  assert.equal(await state(c2, pendingId), 'available');
  assert.equal(await state(c2, stillPending), 'available');
  assert.equal(await state(c2, doomed), 'deleted', 'deleting → deleted first');
  clock2.advance(RETENTION_MS);
  await expectAwsError(
    c2.send(new DescribeVpcEndpointsCommand({ VpcEndpointIds: [doomed] })),
    'InvalidVpcEndpointId.NotFound',
  );
});

test('DescribeVpcEndpoints by ID stays O(1) with 10,000 endpoints stored', async (t) => {
  const clock = new ManualClock();
  const p = await startPrivlink(t, { pendingMs: PENDING_MS }, { clock });
  const net = seedVpc(p, { account: CONSUMER });
  const ids: string[] = [];
  p.store.transaction(() => {
    for (let i = 0; i < 10_000; i++) {
      const id = p.control.ids.resourceId('vpce');
      ids.push(id);
      const ep: VpcEndpoint = {
        id,
        accountId: i % 2 ? CONSUMER : '333333333333',
        region: REGION,
        createdAt: clock.now(),
        tags: [{ key: 'n', value: String(i) }],
        endpointType: 'Interface',
        vpcId: net.vpcId,
        serviceName: `com.amazonaws.${REGION}.ssm`,
        serviceOwner: 'amazon',
        serviceRegion: REGION,
        state: 'available',
        stateChangedAt: clock.now(),
        routeTableIds: [],
        subnetIds: [net.subnetIds[0] ?? ''],
        groupIds: [net.defaultSgId],
        networkInterfaceIds: [],
        ipAddressType: 'ipv4',
        dnsOptions: { dnsRecordIpType: 'ipv4', privateDnsOnlyForInboundResolverEndpoint: false },
        privateDnsEnabled: true,
        dnsLabel: 'abcdefgh',
        requesterArn: rootArn(CONSUMER),
      };
      p.store.put('vpcEndpoint', ep);
    }
  });
  const mine = ids.filter((_, i) => i % 2 === 1);
  const caller = {
    requestId: 'r',
    accountId: CONSUMER,
    region: REGION,
    principal: { accountId: CONSUMER, arn: rootArn(CONSUMER) },
  };
  // Control + rendering, the part a request adds on top of the fixed HTTP cost.
  const runs = 2_000;
  const started = performance.now();
  for (let i = 0; i < runs; i++) {
    const id = mine[(i * 7919) % mine.length] ?? '';
    const page = describeVpcEndpoints(p.control, caller, { ids: [id], filters: [] });
    assert.equal(page.items.length, 1);
    renderVpcEndpoint(p.control, page.items[0] ?? assert.fail());
  }
  const perCallMs = (performance.now() - started) / runs;
  t.diagnostic(
    `describe-by-id (control + render) with 10,000 endpoints: ${(perCallMs * 1000).toFixed(1)} µs/call`,
  );
  assert.ok(perCallMs < 0.5, `${perCallMs} ms per call`);
  // The whole server-side pipeline (auth parse, decode, transaction, encode) without the socket.
  const deps = { control: p.control, logger: p.logger, defaultRegion: REGION };
  const auth = `AWS4-HMAC-SHA256 Credential=${CONSUMER}/20260101/${REGION}/ec2/aws4_request, SignedHeaders=host, Signature=0`;
  const pipeRuns = 1_000;
  const q0 = performance.now();
  for (let i = 0; i < pipeRuns; i++) {
    const res = await handleRequest(
      deps,
      {
        method: 'POST',
        path: '/',
        query: new URLSearchParams(),
        headers: { authorization: auth, 'content-type': 'application/x-www-form-urlencoded' },
        body: Buffer.from(
          `Action=DescribeVpcEndpoints&Version=2016-11-15&VpcEndpointId.1=${mine[i % mine.length] ?? ''}`,
        ),
      },
      `req-${i}`,
    );
    assert.equal(res.status, 200);
  }
  const pipeMs = (performance.now() - q0) / pipeRuns;
  t.diagnostic(
    `describe-by-id through the request pipeline with 10,000 endpoints: ${(pipeMs * 1000).toFixed(0)} µs/request`,
  );
  assert.ok(pipeMs < 2, `${pipeMs} ms per request`);
  // End to end over HTTP (signed request, pipeline, XML): reported, loosely bounded.
  const httpRuns = 100;
  const h0 = performance.now();
  for (let i = 0; i < httpRuns; i++) {
    const res = await signedRaw(
      p,
      `Action=DescribeVpcEndpoints&Version=2016-11-15&VpcEndpointId.1=${mine[i] ?? ''}`,
      {
        account: CONSUMER,
      },
    );
    assert.equal(res.status, 200);
  }
  const httpMs = (performance.now() - h0) / httpRuns;
  t.diagnostic(`describe-by-id over HTTP with 10,000 endpoints: ${httpMs.toFixed(2)} ms/request`);
  assert.ok(httpMs < 100, `${httpMs} ms per request`);
});
