/**
 * Private DNS in real namespaces: a resolver at VPC base+2 in every VPC namespace. Two consumer
 * VPCs with the same CIDR each get their own answers for the same private DNS name; the name
 * resolves only while verified (else the loopback upstream's public answer comes back); a
 * rejected endpoint's names stop resolving; an instance resolves through its resolv.conf;
 * enableDnsSupport=false refuses; the host resolver answers too; nothing is left behind.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateVpcEndpointCommand,
  RejectVpcEndpointConnectionsCommand,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import { createComponents, createDataplane } from '../../src/components.js';
import { DnsComponent } from '../../src/dns/dns-component.js';
import { run } from '../../src/dataplane/netns/run.js';
import { startStaticZoneServer } from '../../src/dns/static-zone-server.js';
import type { Privlink } from '../../src/emulator.js';
import {
  rootArn,
  seedService,
  seedVpc,
  setState,
  setVerification,
} from '../api/privatelink-consumer-fixtures.js';
import { CONSUMER, PROVIDER, ec2Client, eventually, startPrivlink } from '../helpers/privlink.js';
import { dig, digStatus } from './dns-client.js';
import { netnsSkip } from '../helpers/netns.js';

const PREFIX = 'tdn';
const skip = await netnsSkip('VPC resolver tests');

async function namespaces(): Promise<string[]> {
  const { stdout } = await run(['ip', '-j', 'netns', 'list']);
  const list = stdout.trim() ? (JSON.parse(stdout) as { name: string }[]) : [];
  return list.map((n) => n.name).filter((n) => n.startsWith(PREFIX + '-'));
}

test(
  'VPC resolvers at base+2: per-VPC private DNS, verification, rejection, instances',
  { skip, timeout: 60_000 },
  async (t) => {
    const upstream = await startStaticZoneServer({ records: { 'api.example.com': { A: ['192.0.2.10'] } } });
    t.after(() => upstream.close());
    let dns: DnsComponent | undefined;
    const p = await startPrivlink(
      t,
      { dataplane: 'netns', netnsPrefix: PREFIX, dnsPort: 0, dnsUpstream: `127.0.0.1:${upstream.port}` },
      {
        dataplane: createDataplane,
        components: (pl: Privlink) => {
          const cs = createComponents(pl);
          dns = cs.find((c): c is DnsComponent => c instanceof DnsComponent);
          return cs;
        },
      },
    );
    assert.ok(dns);
    const dnsc = dns;
    try {
      const consumer = ec2Client(p, { account: CONSUMER });
      const provider = ec2Client(p, { account: PROVIDER });
      // Two VPCs with the same CIDR (and the same resolver address 10.1.0.2).
      const vpc1 = seedVpc(p, { account: CONSUMER, cidr: '10.1.0.0/16' });
      const vpc2 = seedVpc(p, { account: CONSUMER, cidr: '10.1.0.0/16' });
      const ns1 = `${PREFIX}-${vpc1.vpcId}`;
      const ns2 = `${PREFIX}-${vpc2.vpcId}`;
      await eventually(
        () => dnsc.describe()['vpcResolvers'],
        (n) => n === 2,
        { timeoutMs: 15_000 },
      );
      const svc = seedService(p, {
        allow: [rootArn(CONSUMER)],
        privateDnsName: 'api.example.com',
        verified: true,
      });
      const create = async (vpcId: string, subnets: [string, string][]) => {
        const out = await consumer.send(
          new CreateVpcEndpointCommand({
            VpcEndpointType: 'Interface',
            VpcId: vpcId,
            ServiceName: svc.serviceName,
            SubnetConfigurations: subnets.map(([SubnetId, Ipv4]) => ({ SubnetId, Ipv4 })),
            PrivateDnsEnabled: true,
          }),
        );
        const ep = out.VpcEndpoint;
        // The seeded provider has no real NLB nodes: do not wait for the data plane's readiness.
        setState(p, ep?.VpcEndpointId ?? '', 'available');
        return { id: ep?.VpcEndpointId ?? '', names: (ep?.DnsEntries ?? []).map((d) => d.DnsName ?? '') };
      };
      const ep1 = await create(vpc1.vpcId, [
        [vpc1.subnetIds[0] ?? '', '10.1.1.50'],
        [vpc1.subnetIds[1] ?? '', '10.1.2.50'],
      ]);
      await create(vpc2.vpcId, [[vpc2.subnetIds[0] ?? '', '10.1.1.60']]);
      const [regional1, zonalA1, zonalB1] = ep1.names;
      assert.ok(regional1 && zonalA1 && zonalB1);

      const at = (ns: string, name: string, extra: string[] = []) => dig(['@10.1.0.2', ...extra, name], ns);
      // Regional and zonal names from inside the VPC.
      assert.deepEqual(await at(ns1, regional1), ['10.1.1.50', '10.1.2.50']);
      assert.deepEqual(await at(ns1, zonalA1), ['10.1.1.50']);
      assert.deepEqual(await at(ns1, zonalB1, ['+tcp']), ['10.1.2.50']);
      // Same CIDR, same resolver address, different answers for the private name.
      assert.deepEqual(await at(ns1, 'api.example.com'), ['10.1.1.50', '10.1.2.50']);
      assert.deepEqual(await at(ns2, 'api.example.com'), ['10.1.1.60']);
      // Names privlink does not own go to the loopback upstream, even from inside a VPC.
      assert.equal(await digStatus(['@10.1.0.2', 'nothing.example.com'], ns1), 'NXDOMAIN');

      // An instance resolves through its resolv.conf (nameserver = VPC base+2).
      const run1 = await consumer.send(
        new RunInstancesCommand({
          ImageId: 'ami-0123456789abcdef0',
          MinCount: 1,
          MaxCount: 1,
          SubnetId: vpc2.subnetIds[0],
        }),
      );
      const instanceId = run1.Instances?.[0]?.InstanceId ?? '';
      const fromInstance = await eventually(
        () => dig(['api.example.com'], `${PREFIX}-${instanceId}`).catch(() => []),
        (a) => a.length > 0,
        { timeoutMs: 15_000, intervalMs: 200 },
      );
      assert.deepEqual(fromInstance, ['10.1.1.60']);

      // Verification lost: the private name is no longer answered locally (the public answer wins).
      setVerification(p, svc.serviceId, 'failed');
      assert.deepEqual(await at(ns1, 'api.example.com'), ['192.0.2.10']);
      setVerification(p, svc.serviceId, 'verified');
      assert.deepEqual(await at(ns1, 'api.example.com'), ['10.1.1.50', '10.1.2.50']);

      // The host resolver answers the endpoint names (the ENI IPs in netns mode).
      const port = String(dnsc.port);
      assert.deepEqual(await dig(['@127.0.0.1', '-p', port, regional1]), ['10.1.1.50', '10.1.2.50']);

      // Rejected: the endpoint's names stop resolving at once.
      await provider.send(
        new RejectVpcEndpointConnectionsCommand({ ServiceId: svc.serviceId, VpcEndpointIds: [ep1.id] }),
      );
      assert.equal(await digStatus(['@10.1.0.2', regional1], ns1), 'NXDOMAIN');
      assert.deepEqual(await at(ns1, 'api.example.com'), ['192.0.2.10']);
      assert.deepEqual(await at(ns2, 'api.example.com'), ['10.1.1.60']);

      // enableDnsSupport=false: the VPC's resolver is off.
      p.store.transaction(() => {
        const v = p.store.find('vpc', vpc2.vpcId);
        if (v) p.store.put('vpc', { ...v, enableDnsSupport: false });
      });
      assert.equal(await digStatus(['@10.1.0.2', 'api.example.com'], ns2), 'REFUSED');
    } finally {
      await p.close();
    }
    assert.deepEqual(await namespaces(), []);
  },
);
