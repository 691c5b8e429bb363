/**
 * Interface endpoint traffic through real namespaces, driven only through the AWS SDK clients:
 * provider and consumer VPCs with the same CIDR (and a client with the same IP as a target),
 * an NLB with two IP targets, an endpoint service requiring acceptance. Checks: nothing flows
 * before acceptance (refused, not timed out); after acceptance requests reach both targets and
 * targets see the NLB IP; a security group blocks a port; the VPCs cannot reach each other; a
 * stopped target turns unhealthy (DescribeTargetHealth) and is skipped; PPv2 carries the
 * endpoint ID and consumer address; reject cuts an open connection within a second; delete
 * refuses; every namespace is gone after close.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DeleteVpcEndpointsCommand,
  DescribeVpcEndpointsCommand,
  RejectVpcEndpointConnectionsCommand,
  type EC2Client,
} from '@aws-sdk/client-ec2';
import {
  DescribeTargetHealthCommand,
  ModifyTargetGroupAttributesCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { createComponents, createDataplane } from '../../src/components.js';
import { run } from '../../src/dataplane/netns/run.js';
import { eniNamespace } from '../../src/dataplane/netns/naming.js';
import { CONSUMER, PROVIDER, ec2Client, elbClient, eventually, startPrivlink } from '../helpers/privlink.js';
import {
  VpcHosts,
  nftConnCounter,
  ppv2Of,
  prefixedNamespaces,
  publishService,
  untilAnswer,
  type TargetAnswer,
} from './traffic-helpers.js';
import {
  FAST_HEALTH_CHECKS,
  acceptEndpoints,
  interfaceEndpoint,
  networkLoadBalancer,
  nlbNodeIp,
  vpcWithSubnets,
} from './privatelink-builders.js';
import { netnsSkip } from '../helpers/netns.js';

const PREFIX = 'tra';
const skip = await netnsSkip('traffic tests');
const namespaces = () => prefixedNamespaces(PREFIX);

async function endpointState(ec2: EC2Client, id: string): Promise<string> {
  const out = await ec2.send(new DescribeVpcEndpointsCommand({ VpcEndpointIds: [id] }));
  return out.VpcEndpoints?.[0]?.State ?? 'missing';
}

test(
  'interface endpoint traffic: gating, balancing, SG, health, PPv2, reject cut',
  { skip, timeout: 90_000 },
  async (t) => {
    const p = await startPrivlink(
      t,
      { dataplane: 'netns', netnsPrefix: PREFIX, pendingMs: 50, logLevel: 'warn' },
      { dataplane: createDataplane, components: createComponents },
    );
    const hosts = new VpcHosts(t, PREFIX);
    const provider = ec2Client(p, { account: PROVIDER });
    const consumer = ec2Client(p, { account: CONSUMER });
    const elb = elbClient(p, { account: PROVIDER });

    // Provider: VPC, two targets in 10.0.2.0/24, NLB in 10.0.1.0/24 with listeners 80 and 81.
    const prov = await vpcWithSubnets(provider, '10.0.0.0/16', ['10.0.1.0/24', '10.0.2.0/24']);
    const { lbArn, tgArn } = await networkLoadBalancer(elb, {
      name: 'traffic',
      vpcId: prov.vpcId,
      subnetId: prov.subnets[0],
      targets: ['10.0.2.10', '10.0.2.11'],
      ports: [80, 81],
      healthCheck: FAST_HEALTH_CHECKS,
    });
    const { serviceId, serviceName } = await publishService(provider, lbArn, CONSUMER);
    const t1 = await hosts.add('target1', prov.vpcId, '10.0.2.10/24', '10.0.2.1');
    const t2 = await hosts.add('target2', prov.vpcId, '10.0.2.11/24', '10.0.2.1');
    await t1.serve('10.0.2.10', 8080, 'target1');
    await t2.serve('10.0.2.11', 8080, 'target2');

    // Consumer: the same CIDR; its client has the same IP as target1.
    const cons = await vpcWithSubnets(consumer, '10.0.0.0/16', ['10.0.1.0/24', '10.0.2.0/24']);
    const ep = await interfaceEndpoint(consumer, {
      vpcId: cons.vpcId,
      subnetId: cons.subnets[0],
      serviceName,
      allow: { port: 80, cidr: '10.0.0.0/16' },
    });
    const { epId, eniIp } = ep;
    assert.equal(ep.state, 'pendingAcceptance');
    assert.ok(eniIp);
    const client = await hosts.add('client', cons.vpcId, '10.0.2.10/24', '10.0.2.1');

    // pendingAcceptance: the ENI exists and refuses (a reset, not a timeout).
    const before = await eventually(
      () => client.http(eniIp, 80, 1500),
      (r) => r.error === 'ECONNREFUSED',
      { timeoutMs: 10_000, intervalMs: 100 },
    );
    assert.equal(before.error, 'ECONNREFUSED');

    // Accept: pending → available, then requests reach both targets, which see the NLB IP.
    const acceptedAt = Date.now();
    await acceptEndpoints(provider, serviceId, [epId]);
    const first = await untilAnswer(client, eniIp, 80, undefined, { intervalMs: 10 });
    t.diagnostic(`accept → first response through the endpoint: ${Date.now() - acceptedAt} ms`);
    assert.equal(await endpointState(consumer, epId), 'available');
    const nodeIp = await nlbNodeIp(elb, lbArn);
    const seen = new Set<string>();
    for (let i = 0; i < 30 && seen.size < 2; i++) {
      const r = await client.http(eniIp, 80);
      assert.ok(r.body, `request ${i} failed: ${r.error}`);
      const b = JSON.parse(r.body) as TargetAnswer;
      seen.add(b.name);
      if (nodeIp) assert.equal(b.remote, nodeIp, 'targets see the NLB node IP');
    }
    assert.deepEqual([...seen].sort(), ['target1', 'target2']);
    assert.ok(first.body);

    // Endpoint traffic takes the point-to-point link to the NLB node, not the fabric bridge.
    const eniNs = eniNamespace(PREFIX, ep.eniId);
    const legStats = async () => {
      const { stdout } = await run(['ip', '-n', eniNs, '-j', '-s', 'link', 'show']);
      const links = JSON.parse(stdout) as { ifname: string; stats64: { tx: { packets: number } } }[];
      return links.filter((l) => l.ifname.startsWith('u-')).map((l) => l.stats64.tx.packets);
    };
    const described = JSON.stringify(p.health());
    assert.match(described, /"nodeLinks":1/);
    assert.match(described, /"agents":\{"workers":\d+,"generation":\d+\}/);
    const txBefore = await legStats();
    assert.equal(txBefore.length, 1, 'one point-to-point leg (one NLB node in this zone)');
    // BPF data path: redirect_peer hands packets to the peer without counting them on the leg;
    // the fast path's own link and the nft path's untouched connection counter show the route.
    const nftConns = () => nftConnCounter(eniNs);
    const bpf = /"datapath":"bpf"/.test(described);
    const connsBefore = await nftConns();
    for (let i = 0; i < 5; i++) assert.ok((await client.http(eniIp, 80)).body);
    const txAfter = await legStats();
    if (bpf) {
      assert.match(described, /"fastLinks":1/);
      assert.equal(await nftConns(), connsBefore, 'fast-path flows skip the nft path');
    } else {
      assert.ok(
        (txAfter[0] ?? 0) >= (txBefore[0] ?? 0) + 5 * 3,
        `requests left through the leg: ${String(txBefore)} → ${String(txAfter)}`,
      );
    }

    // The security group allows 80 only: 81 is dropped (timeout), not refused.
    const blocked = await client.http(eniIp, 81, 700);
    assert.equal(blocked.error, 'ETIMEDOUT');

    // The VPCs are isolated: the client cannot reach provider addresses directly.
    const direct = await client.http('10.0.2.11', 8080, 700);
    assert.ok(direct.error, 'consumer reached a provider target directly');

    // Health: both healthy, then target2 stops → unhealthy and skipped.
    const health = async () =>
      (await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: tgArn }))).TargetHealthDescriptions ??
      [];
    await eventually(health, (d) => d.every((x) => x.TargetHealth?.State === 'healthy'), {
      timeoutMs: 15_000,
      intervalMs: 250,
    });
    await t2.unserve(8080);
    const unhealthy = await eventually(
      health,
      (d) => d.find((x) => x.Target?.Id === '10.0.2.11')?.TargetHealth?.State === 'unhealthy',
      { timeoutMs: 20_000, intervalMs: 250 },
    );
    assert.equal(
      unhealthy.find((x) => x.Target?.Id === '10.0.2.11')?.TargetHealth?.Reason,
      'Target.FailedHealthChecks',
    );
    for (let i = 0; i < 10; i++) {
      const r = await client.http(eniIp, 80);
      assert.ok(r.body, `request after target2 stopped failed: ${r.error}`);
      assert.equal((JSON.parse(r.body) as { name: string }).name, 'target1');
    }

    // PPv2: the target sees the consumer address, the ENI address and the endpoint ID.
    await elb.send(
      new ModifyTargetGroupAttributesCommand({
        TargetGroupArn: tgArn,
        Attributes: [{ Key: 'proxy_protocol_v2.enabled', Value: 'true' }],
      }),
    );
    const header = ppv2Of(await untilAnswer(client, eniIp, 80, (a) => a.pp !== ''));
    assert.equal(header?.command, 'PROXY');
    assert.equal(header?.vpceId, epId);
    assert.equal(header?.addresses?.sourceAddress, '10.0.2.10');
    assert.equal(header?.addresses?.destinationAddress, eniIp);
    assert.equal(header?.addresses?.destinationPort, 80);
    assert.equal(header?.crcValid, true);

    // The fabric agents die: the data plane starts new ones and serves the PPv2 port again.
    const fabricPids = (await run(['ip', 'netns', 'pids', `${PREFIX}-fabric`])).stdout
      .split('\n')
      .filter(Boolean)
      .map(Number);
    assert.ok(fabricPids.length > 0, 'the fabric agents run in the fabric namespace');
    for (const pid of fabricPids) process.kill(pid, 'SIGKILL');
    const header2 = ppv2Of(await untilAnswer(client, eniIp, 80, (a) => a.pp !== '', { intervalMs: 100 }));
    assert.equal(header2?.vpceId, epId);
    const newPids = (await run(['ip', 'netns', 'pids', `${PREFIX}-fabric`])).stdout
      .split('\n')
      .filter(Boolean);
    assert.ok(
      newPids.every((p) => !fabricPids.includes(Number(p))),
      'new agent processes',
    );

    // Reject cuts an open connection within a second; new ones are refused.
    await elb.send(
      new ModifyTargetGroupAttributesCommand({
        TargetGroupArn: tgArn,
        Attributes: [{ Key: 'proxy_protocol_v2.enabled', Value: 'false' }],
      }),
    );
    await untilAnswer(client, eniIp, 80, (a) => a.pp === '');
    const k = await client.hold(eniIp, 80);
    await eventually(
      () => client.held(k),
      (h) => h?.got.includes('held') === true,
      { timeoutMs: 3000 },
    );
    const rejectAt = Date.now();
    await provider.send(
      new RejectVpcEndpointConnectionsCommand({ ServiceId: serviceId, VpcEndpointIds: [epId] }),
    );
    const cut = await eventually(
      () => client.held(k),
      (h) => (h?.endedAt ?? 0) > 0,
      { timeoutMs: 3000, intervalMs: 20 },
    );
    const cutMs = (cut?.endedAt ?? 0) - rejectAt;
    t.diagnostic(`reject → open connection cut: ${cutMs} ms (${cut?.error})`);
    assert.ok(cutMs < 1000, `cut took ${cutMs} ms`);
    assert.equal((await client.http(eniIp, 80, 1500)).error, 'ECONNREFUSED');

    // Delete: still refused while deleting, ENI namespace removed once the ENI is gone.
    await consumer.send(new DeleteVpcEndpointsCommand({ VpcEndpointIds: [epId] }));
    const after = await client.http(eniIp, 80, 1500);
    assert.ok(after.error, 'a deleted endpoint carried traffic');

    await hosts.close();
    await p.close();
    assert.deepEqual(await namespaces(), []);
  },
);
