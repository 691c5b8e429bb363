/**
 * Loopback mode (no namespaces): each endpoint ENI is a 127.77.x.y address with userspace
 * proxies, NLB nodes balance in userspace, targets are host addresses (here a provider VPC of
 * 127.0.0.0/16 so that its IP targets are loopback addresses). Same gating as netns mode:
 * refused before acceptance, both targets reached after, PPv2 carries the endpoint ID, reject
 * cuts open connections.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import {
  AcceptVpcEndpointConnectionsCommand,
  CreateVpcEndpointCommand,
  CreateVpcEndpointServiceConfigurationCommand,
  RejectVpcEndpointConnectionsCommand,
} from '@aws-sdk/client-ec2';
import { ModifyTargetGroupAttributesCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { createComponents, createDataplane } from '../../src/components.js';
import { parsePpv2 } from '../../src/dataplane/proxy/ppv2.js';
import { PROVIDER, ec2Client, elbClient, eventually, startPrivlink } from '../helpers/privlink.js';
import { networkLoadBalancer, vpcWithSubnets } from './privatelink-builders.js';

interface Seen {
  name: string;
  remote: string;
  pp: Buffer | undefined;
}

/** A target answering every request with its name, the peer address and any PPv2 header. */
async function target(t: { after(fn: () => unknown): void }, ip: string, name: string): Promise<net.Server> {
  const open = new Set<net.Socket>();
  const srv = net.createServer((s) => {
    let buf = Buffer.alloc(0);
    open.add(s);
    s.on('close', () => open.delete(s));
    s.on('error', () => undefined);
    s.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      let pp: Buffer | undefined;
      let rest = buf;
      try {
        const h = parsePpv2(buf);
        if (!h) return;
        pp = buf.subarray(0, h.length);
        rest = buf.subarray(h.length);
      } catch {
        // no header
      }
      if (rest.toString().startsWith('HOLD')) return void s.write('held');
      if (!rest.includes('\r\n\r\n')) return;
      const body = JSON.stringify({ name, remote: s.remoteAddress, pp: pp?.toString('hex') ?? '' });
      s.end(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`);
    });
  });
  await new Promise<void>((r) => srv.listen(8080, ip, r));
  // A held connection whose upstream leg is still being torn down would keep close() waiting.
  t.after(
    () =>
      new Promise((r) => {
        srv.close(r);
        for (const s of open) s.destroy();
      }),
  );
  return srv;
}

function get(host: string, port: number): Promise<Seen | { error: string }> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    let buf = '';
    s.on('connect', () => s.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    s.on('data', (d: Buffer) => (buf += d.toString()));
    s.on('error', (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message }));
    s.on('close', () => {
      const i = buf.indexOf('\r\n\r\n');
      if (i < 0) return resolve({ error: 'EMPTY' });
      const j = JSON.parse(buf.slice(i + 4)) as { name: string; remote: string; pp: string };
      resolve({ name: j.name, remote: j.remote, pp: j.pp ? Buffer.from(j.pp, 'hex') : undefined });
    });
  });
}

test(
  'loopback mode: gating, balancing, PPv2 and reject cut without namespaces',
  { timeout: 60_000 },
  async (t) => {
    const p = await startPrivlink(
      t,
      { dataplane: 'loopback', pendingMs: 20 },
      { dataplane: createDataplane, components: createComponents },
    );
    const ec2 = ec2Client(p, { account: PROVIDER });
    const elb = elbClient(p, { account: PROVIDER });
    const {
      vpcId,
      subnets: [subnetId],
    } = await vpcWithSubnets(ec2, '127.0.0.0/16', ['127.0.1.0/24']);
    await target(t, '127.0.2.10', 'target1');
    await target(t, '127.0.2.11', 'target2');
    const { lbArn, tgArn } = await networkLoadBalancer(elb, {
      name: 'lo',
      vpcId,
      subnetId,
      targets: ['127.0.2.10', '127.0.2.11'],
      ports: [18080],
    });
    const svc = await ec2.send(
      new CreateVpcEndpointServiceConfigurationCommand({
        NetworkLoadBalancerArns: [lbArn],
        AcceptanceRequired: true,
      }),
    );
    const serviceId = svc.ServiceConfiguration?.ServiceId ?? '';
    const ep = await ec2.send(
      new CreateVpcEndpointCommand({
        VpcEndpointType: 'Interface',
        VpcId: vpcId,
        ServiceName: svc.ServiceConfiguration?.ServiceName ?? '',
        SubnetIds: [subnetId],
      }),
    );
    const epId = ep.VpcEndpoint?.VpcEndpointId ?? '';
    const eniId = ep.VpcEndpoint?.NetworkInterfaceIds?.[0] ?? '';
    const addressOf = () => {
      const h = p.health() as {
        components: {
          dataplane?: {
            mode: string;
            reconcilers: Record<string, { loopbackAddresses?: Record<string, string> }>;
          };
        };
      };
      assert.equal(h.components.dataplane?.mode, 'loopback');
      return h.components.dataplane?.reconcilers['endpoint-interfaces']?.loopbackAddresses?.[eniId];
    };
    const found = await eventually(addressOf, (a) => a !== undefined);
    const addr = found ?? '';
    assert.ok(addr.startsWith('127.77.'));

    assert.deepEqual(await get(addr, 18080), { error: 'ECONNREFUSED' });
    await ec2.send(new AcceptVpcEndpointConnectionsCommand({ ServiceId: serviceId, VpcEndpointIds: [epId] }));
    await eventually(
      () => get(addr, 18080),
      (r) => 'name' in r,
      { timeoutMs: 5000, intervalMs: 10 },
    );
    const names = new Set<string>();
    for (let i = 0; i < 6; i++) {
      const r = await get(addr, 18080);
      assert.ok('name' in r, JSON.stringify(r));
      names.add(r.name);
      assert.ok(r.remote.startsWith('127.77.'), `target saw ${r.remote}, not the NLB node address`);
    }
    assert.deepEqual([...names].sort(), ['target1', 'target2']);

    await elb.send(
      new ModifyTargetGroupAttributesCommand({
        TargetGroupArn: tgArn,
        Attributes: [{ Key: 'proxy_protocol_v2.enabled', Value: 'true' }],
      }),
    );
    const withPp = await eventually(
      () => get(addr, 18080),
      (r) => 'pp' in r && r.pp !== undefined,
      { timeoutMs: 5000, intervalMs: 20 },
    );
    assert.ok('pp' in withPp && withPp.pp);
    const h = parsePpv2(withPp.pp);
    assert.equal(h?.vpceId, epId);
    assert.equal(h?.addresses?.sourceAddress, '127.0.0.1');
    assert.equal(h?.addresses?.destinationPort, 18080);

    // An open connection is cut by the reject; new ones are refused.
    const held = net.connect({ host: addr, port: 18080 });
    const closed = new Promise<number>((resolve) => held.on('close', () => resolve(Date.now())));
    held.on('error', () => undefined);
    await new Promise<void>((r) => held.once('data', () => r()).write('HOLD\n'));
    const rejectAt = Date.now();
    await ec2.send(new RejectVpcEndpointConnectionsCommand({ ServiceId: serviceId, VpcEndpointIds: [epId] }));
    const cutMs = (await closed) - rejectAt;
    assert.ok(cutMs < 1000, `cut took ${cutMs} ms`);
    assert.deepEqual(await get(addr, 18080), { error: 'ECONNREFUSED' });
  },
);
