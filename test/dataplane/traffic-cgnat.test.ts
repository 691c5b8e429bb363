/**
 * Interface endpoint traffic when the VPCs use the shared address space AWS allows for VPCs
 * (100.64.0.0/10): a consumer and a provider VPC both in 100.64.0.0/16, the endpoint ENI and the
 * NLB node in 100.64.0.0/24, clients and targets in 100.64.2.0/24. The fabric joining endpoint
 * ENIs to NLB nodes must never be confused with a VPC address, whatever CIDR the VPCs use:
 * requests reach the targets (which see the NLB node IP), with and without PROXY v2.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ModifyTargetGroupAttributesCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { createComponents, createDataplane } from '../../src/components.js';
import { netnsSkip } from '../helpers/netns.js';
import { CONSUMER, PROVIDER, ec2Client, elbClient, startPrivlink } from '../helpers/privlink.js';
import {
  VpcHosts,
  ppv2Of,
  prefixedNamespaces,
  publishService,
  untilAnswer,
  type TargetAnswer,
} from './traffic-helpers.js';
import {
  acceptEndpoints,
  interfaceEndpoint,
  networkLoadBalancer,
  nlbNodeIp,
  vpcWithSubnets,
} from './privatelink-builders.js';

const PREFIX = 'tcg';
const skip = await netnsSkip('CGNAT-range traffic tests');
const namespaces = () => prefixedNamespaces(PREFIX);
/** Each VPC: the NLB node or endpoint ENI in 100.64.0.0/24, clients and targets in 100.64.2.0/24. */
const SUBNETS = ['100.64.0.0/24', '100.64.2.0/24'] as const;

test('interface endpoint traffic between two VPCs in 100.64.0.0/16', { skip, timeout: 60_000 }, async (t) => {
  const p = await startPrivlink(
    t,
    { dataplane: 'netns', netnsPrefix: PREFIX, pendingMs: 50, logLevel: 'warn' },
    { dataplane: createDataplane, components: createComponents },
  );
  const hosts = new VpcHosts(t, PREFIX);
  const provider = ec2Client(p, { account: PROVIDER });
  const consumer = ec2Client(p, { account: CONSUMER });
  const elb = elbClient(p, { account: PROVIDER });

  const prov = await vpcWithSubnets(provider, '100.64.0.0/16', SUBNETS);
  const { lbArn, tgArn } = await networkLoadBalancer(elb, {
    name: 'cgnat',
    vpcId: prov.vpcId,
    subnetId: prov.subnets[0],
    targets: ['100.64.2.10'],
    healthCheck: { HealthCheckIntervalSeconds: 5, HealthCheckTimeoutSeconds: 2 },
  });
  const { serviceId, serviceName } = await publishService(provider, lbArn, CONSUMER);
  const target = await hosts.add('target', prov.vpcId, '100.64.2.10/24', '100.64.2.1');
  await target.serve('100.64.2.10', 8080, 'target');

  const cons = await vpcWithSubnets(consumer, '100.64.0.0/16', SUBNETS);
  const { epId, eniIp } = await interfaceEndpoint(consumer, {
    vpcId: cons.vpcId,
    subnetId: cons.subnets[0],
    serviceName,
    allow: { port: 80, cidr: '100.64.0.0/16' },
  });
  assert.ok(eniIp.startsWith('100.64.0.'), eniIp);
  const client = await hosts.add('client', cons.vpcId, '100.64.2.20/24', '100.64.2.1');

  await acceptEndpoints(provider, serviceId, [epId]);
  const nodeIp = await nlbNodeIp(elb, lbArn);
  const plain = await untilAnswer(client, eniIp, 80).catch(() => undefined);
  assert.ok(plain?.body, 'no answer through the endpoint (kernel path)');
  const b = JSON.parse(plain.body) as TargetAnswer;
  assert.equal(b.name, 'target');
  assert.equal(b.remote, nodeIp, 'the target sees the NLB node IP');

  // PROXY v2: the agent's path (fabric namespace → NLB node) carries the consumer's address.
  await elb.send(
    new ModifyTargetGroupAttributesCommand({
      TargetGroupArn: tgArn,
      Attributes: [{ Key: 'proxy_protocol_v2.enabled', Value: 'true' }],
    }),
  );
  const pp = await untilAnswer(client, eniIp, 80, (a) => a.pp !== '').catch(() => undefined);
  assert.ok(pp?.body, 'no answer through the endpoint (PROXY v2 path)');
  const header = ppv2Of(pp);
  assert.equal(header?.addresses?.sourceAddress, '100.64.2.20');
  assert.equal(header?.addresses?.destinationAddress, eniIp);
  assert.equal(header?.vpceId, epId);

  await hosts.close();
  await p.close();
  assert.deepEqual(await namespaces(), []);
});
