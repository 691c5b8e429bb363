/**
 * Records derived from the store, checked through the derivation itself, the per-VPC views and the
 * host resolver (dataplane off, dnsPort 0): regional and zonal names, the private DNS name only in
 * the endpoint's VPC and only once verified, rejection/deletion/modification followed at once,
 * enableDnsSupport=false switching a VPC's resolver off.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateVpcEndpointCommand,
  DeleteVpcEndpointsCommand,
  DescribeNetworkInterfacesCommand,
  DescribeVpcEndpointsCommand,
  ModifyVpcEndpointCommand,
  RejectVpcEndpointConnectionsCommand,
} from '@aws-sdk/client-ec2';
import { createComponents, createDataplane } from '../../src/components.js';
import { DnsComponent } from '../../src/dns/dns-component.js';
import { deriveEndpointRecords } from '../../src/dns/derive-records.js';
import { vpcView } from '../../src/dns/views.js';
import type { Privlink } from '../../src/emulator.js';
import {
  rootArn,
  seedService,
  seedVpc,
  setState,
  setVerification,
} from '../api/privatelink-consumer-fixtures.js';
import { CONSUMER, PROVIDER, ec2Client, eventually, startPrivlink } from '../helpers/privlink.js';
import { addresses, dig, query, rcodeOf } from './dns-client.js';

async function setup(t: { after(fn: () => unknown): void }) {
  let dns: DnsComponent | undefined;
  const p = await startPrivlink(
    t,
    { dnsPort: 0 },
    {
      components: (pl: Privlink) => {
        const cs = createComponents(pl);
        dns = cs.find((c): c is DnsComponent => c instanceof DnsComponent);
        return cs;
      },
    },
  );
  assert.ok(dns);
  const port = dns.port ?? 0;
  assert.ok(port > 0);
  return {
    p,
    dns,
    port,
    consumer: ec2Client(p, { account: CONSUMER }),
    provider: ec2Client(p, { account: PROVIDER }),
  };
}

async function createEndpoint(
  ec2: ReturnType<typeof ec2Client>,
  vpcId: string,
  serviceName: string,
  subnetIds: string[],
  privateDns = false,
  force?: Privlink,
) {
  const out = await ec2.send(
    new CreateVpcEndpointCommand({
      VpcEndpointType: 'Interface',
      VpcId: vpcId,
      ServiceName: serviceName,
      SubnetIds: subnetIds,
      PrivateDnsEnabled: privateDns,
    }),
  );
  const id = out.VpcEndpoint?.VpcEndpointId ?? '';
  // With a data plane, the seeded provider has no real NLB nodes: do not wait for readiness.
  if (force) setState(force, id, 'available');
  const ep = await eventually(
    async () => (await ec2.send(new DescribeVpcEndpointsCommand({ VpcEndpointIds: [id] }))).VpcEndpoints?.[0],
    (e) => String(e?.State) === 'available',
  );
  const names = (ep?.DnsEntries ?? []).map((d) => d.DnsName ?? '');
  const ips = await Promise.all(
    (ep?.NetworkInterfaceIds ?? []).map(async (eniId) => {
      const r = await ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [eniId] }));
      return r.NetworkInterfaces?.[0]?.PrivateIpAddress ?? '';
    }),
  );
  return { id, names, ips };
}

test('regional and zonal names; AAAA is NODATA; pending endpoints do not resolve', async (t) => {
  const { p, port, consumer } = await setup(t);
  const net = seedVpc(p, { account: CONSUMER });
  const svc = seedService(p, { allow: [rootArn(CONSUMER)] });
  const ep = await createEndpoint(consumer, net.vpcId, svc.serviceName, [
    net.subnetIds[0] ?? '',
    net.subnetIds[1] ?? '',
  ]);
  const [regional, zonalA, zonalB] = ep.names;
  assert.ok(regional && zonalA && zonalB);
  assert.match(zonalA, /-us-east-1a\./);
  assert.deepEqual(addresses(await query(port, regional)), [...ep.ips].sort());
  assert.deepEqual(addresses(await query(port, zonalA)), [ep.ips[0]]);
  assert.deepEqual(addresses(await query(port, zonalB.toUpperCase(), 'A', { transport: 'tcp' })), [
    ep.ips[1],
  ]);
  const aaaa = await query(port, regional, 'AAAA');
  assert.equal(rcodeOf(aaaa), 'NOERROR');
  assert.equal(aaaa.answers?.length, 0);
  assert.deepEqual(await dig(['@127.0.0.1', '-p', String(port), regional]), [...ep.ips].sort());

  // The derivation itself: public records only (no private DNS here).
  const stored = p.store.find('vpcEndpoint', ep.id);
  assert.ok(stored);
  const recs = deriveEndpointRecords(p.control, stored);
  assert.equal(recs.publicRecords.length, 4);
  assert.equal(recs.privateRecords.length, 0);
  assert.equal(deriveEndpointRecords(p.control, { ...stored, state: 'pending' }).publicRecords.length, 0);
});

test('private DNS: only in the endpoint VPC, only while verified; follows modify, reject and delete', async (t) => {
  const { p, dns, port, consumer, provider } = await setup(t);
  const vpc1 = seedVpc(p, { account: CONSUMER, cidr: '10.1.0.0/16' });
  const vpc2 = seedVpc(p, { account: CONSUMER, cidr: '10.1.0.0/16' });
  const svc = seedService(p, {
    allow: [rootArn(CONSUMER)],
    privateDnsName: 'api.example.com',
    verified: true,
    acceptanceRequired: false,
  });
  const ep1 = await createEndpoint(consumer, vpc1.vpcId, svc.serviceName, [vpc1.subnetIds[0] ?? ''], true);
  const ep2 = await createEndpoint(consumer, vpc2.vpcId, svc.serviceName, [vpc2.subnetIds[0] ?? ''], false);
  const v1 = vpcView(dns.feeder, vpc1.vpcId);
  const v2 = vpcView(dns.feeder, vpc2.vpcId);
  const a = (v: typeof v1, n: string) => {
    const r = v.lookup(n, 'A');
    return r.kind === 'answer' ? r.records.map((x) => x.address).sort() : r.kind;
  };
  assert.deepEqual(a(v1, 'api.example.com'), ep1.ips);
  assert.equal(a(v2, 'api.example.com'), 'notmine');
  // Public names resolve in every VPC (as AWS's public zone does).
  assert.deepEqual(a(v2, ep1.names[0] ?? ''), ep1.ips);
  assert.deepEqual(a(v1, ep2.names[0] ?? ''), ep2.ips);
  // The host resolver (no VPC resolvers with the data plane off) answers the private name too.
  assert.deepEqual(addresses(await query(port, 'API.example.com')), ep1.ips);
  assert.equal(rcodeOf(await query(port, 'other.api.example.com')), 'NXDOMAIN');

  // Verification falls back: the name stops resolving.
  setVerification(p, svc.serviceId, 'failed');
  assert.equal(a(v1, 'api.example.com'), 'notmine');
  setVerification(p, svc.serviceId, 'verified');
  assert.deepEqual(a(v1, 'api.example.com'), ep1.ips);

  // ModifyVpcEndpoint PrivateDnsEnabled=false drops it; true brings it back.
  await consumer.send(new ModifyVpcEndpointCommand({ VpcEndpointId: ep1.id, PrivateDnsEnabled: false }));
  assert.equal(a(v1, 'api.example.com'), 'notmine');
  await consumer.send(new ModifyVpcEndpointCommand({ VpcEndpointId: ep1.id, PrivateDnsEnabled: true }));
  assert.deepEqual(a(v1, 'api.example.com'), ep1.ips);

  // Adding a subnet adds an address and a zonal name.
  await consumer.send(
    new ModifyVpcEndpointCommand({ VpcEndpointId: ep1.id, AddSubnetIds: [vpc1.subnetIds[1] ?? ''] }),
  );
  const after = await eventually(
    () => a(v1, ep1.names[0] ?? ''),
    (x) => Array.isArray(x) && x.length === 2,
  );
  assert.equal(after.length, 2);
  await consumer.send(
    new ModifyVpcEndpointCommand({ VpcEndpointId: ep1.id, RemoveSubnetIds: [vpc1.subnetIds[1] ?? ''] }),
  );
  assert.deepEqual(
    await eventually(
      () => a(v1, ep1.names[0] ?? ''),
      (x) => Array.isArray(x) && x.length === 1,
    ),
    ep1.ips,
  );

  // Rejected by the provider: every name stops resolving at once.
  await provider.send(
    new RejectVpcEndpointConnectionsCommand({ ServiceId: svc.serviceId, VpcEndpointIds: [ep1.id] }),
  );
  assert.equal(a(v1, 'api.example.com'), 'notmine');
  assert.equal(rcodeOf(await query(port, ep1.names[0] ?? '')), 'NXDOMAIN');
  assert.equal(rcodeOf(await query(port, 'api.example.com')), 'SERVFAIL');

  // Deleted: gone too.
  await consumer.send(new DeleteVpcEndpointsCommand({ VpcEndpointIds: [ep2.id] }));
  assert.equal(rcodeOf(await query(port, ep2.names[0] ?? '')), 'NXDOMAIN');
});

test('wildcard private names; enableDnsSupport=false switches the VPC resolver off', async (t) => {
  const { p, dns, consumer } = await setup(t);
  const vpc = seedVpc(p, { account: CONSUMER, cidr: '10.2.0.0/16' });
  const svc = seedService(p, { allow: [rootArn(CONSUMER)], privateDnsName: '*.example.net', verified: true });
  const ep = await createEndpoint(consumer, vpc.vpcId, svc.serviceName, [vpc.subnetIds[0] ?? ''], true);
  const v = vpcView(dns.feeder, vpc.vpcId);
  const a = (n: string) => {
    const r = v.lookup(n, 'A');
    return r.kind === 'answer' ? r.records.map((x) => x.address) : r.kind;
  };
  assert.deepEqual(a('foo.example.net'), ep.ips);
  assert.deepEqual(a('a.b.example.net'), ep.ips);
  assert.equal(a('example.net'), 'nodata');
  assert.equal(v.enabled(), true);
  p.store.transaction(() => {
    const stored = p.store.find('vpc', vpc.vpcId);
    if (stored) p.store.put('vpc', { ...stored, enableDnsSupport: false });
  });
  assert.equal(v.enabled(), false);
  // Private DNS also needs the attribute: the private name is gone, public names stay.
  assert.equal(a('foo.example.net'), 'notmine');
  assert.deepEqual(a(ep.names[0] ?? ''), ep.ips);
});

test('loopback data plane: the host resolver answers the 127.77.x.y the endpoint proxies use', async (t) => {
  let dns: DnsComponent | undefined;
  const p = await startPrivlink(
    t,
    { dnsPort: 0, dataplane: 'loopback' },
    {
      dataplane: createDataplane,
      components: (pl: Privlink) => {
        const cs = createComponents(pl);
        dns = cs.find((c): c is DnsComponent => c instanceof DnsComponent);
        return cs;
      },
    },
  );
  const port = dns?.port ?? 0;
  const consumer = ec2Client(p, { account: CONSUMER });
  const vpc = seedVpc(p, { account: CONSUMER, cidr: '10.3.0.0/16' });
  const svc = seedService(p, {
    allow: [rootArn(CONSUMER)],
    privateDnsName: 'lb.example.com',
    verified: true,
  });
  const ep = await createEndpoint(consumer, vpc.vpcId, svc.serviceName, [vpc.subnetIds[0] ?? ''], true, p);
  const regional = ep.names[0] ?? '';
  const answer = await eventually(
    async () => addresses(await query(port, regional)),
    (a) => a.length === 1 && a[0]?.startsWith('127.') === true,
  );
  assert.match(answer[0] ?? '', /^127\.77\./);
  // Private names are answered on the host too (no VPC resolvers in loopback mode).
  assert.deepEqual(addresses(await query(port, 'lb.example.com')), answer);
});
