/**
 * Interface endpoint traffic when the VPCs use the shared address space AWS allows for VPCs
 * (100.64.0.0/10): a consumer and a provider VPC both in 100.64.0.0/16, the endpoint ENI and the
 * NLB node in 100.64.0.0/24, clients and targets in 100.64.2.0/24. The fabric joining endpoint
 * ENIs to NLB nodes must never be confused with a VPC address, whatever CIDR the VPCs use:
 * requests reach the targets (which see the NLB node IP), with and without PROXY v2.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AcceptVpcEndpointConnectionsCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  CreateVpcEndpointCommand,
  DescribeNetworkInterfacesCommand,
  type EC2Client,
} from '@aws-sdk/client-ec2';
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateTargetGroupCommand,
  DescribeLoadBalancersCommand,
  ModifyTargetGroupAttributesCommand,
  RegisterTargetsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { createComponents, createDataplane } from '../../src/components.js';
import { run } from '../../src/dataplane/netns/run.js';
import { netnsSkip } from '../helpers/netns.js';
import { parsePpv2 } from '../../src/dataplane/proxy/ppv2.js';
import {
  CONSUMER,
  PROVIDER,
  REGION,
  ec2Client,
  elbClient,
  eventually,
  startPrivlink,
} from '../helpers/privlink.js';
import { NsHost, publishService } from './traffic-helpers.js';

const PREFIX = 'tcg';
const skip = await netnsSkip('CGNAT-range traffic tests');

async function namespaces(): Promise<string[]> {
  const { stdout } = await run(['ip', '-j', 'netns', 'list']);
  const list = stdout.trim() ? (JSON.parse(stdout) as { name: string }[]) : [];
  return list.map((n) => n.name).filter((n) => n.startsWith(PREFIX + '-'));
}

async function cgnatVpc(ec2: EC2Client) {
  const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: '100.64.0.0/16' }));
  const vpcId = vpc.Vpc?.VpcId ?? '';
  const subnet = async (cidr: string) =>
    (
      await ec2.send(
        new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: cidr, AvailabilityZone: `${REGION}a` }),
      )
    ).Subnet?.SubnetId ?? '';
  return { vpcId, subnetId: await subnet('100.64.0.0/24'), hostSubnetId: await subnet('100.64.2.0/24') };
}

test('interface endpoint traffic between two VPCs in 100.64.0.0/16', { skip, timeout: 60_000 }, async (t) => {
  const p = await startPrivlink(
    t,
    { dataplane: 'netns', netnsPrefix: PREFIX, pendingMs: 50, logLevel: 'warn' },
    { dataplane: createDataplane, components: createComponents },
  );
  const hosts: NsHost[] = [];
  t.after(async () => {
    for (const h of hosts) await h.close().catch(() => undefined);
  });
  const provider = ec2Client(p, { account: PROVIDER });
  const consumer = ec2Client(p, { account: CONSUMER });
  const elb = elbClient(p, { account: PROVIDER });

  const prov = await cgnatVpc(provider);
  const lb = await elb.send(
    new CreateLoadBalancerCommand({
      Name: 'cgnat-nlb',
      Type: 'network',
      Scheme: 'internal',
      Subnets: [prov.subnetId],
    }),
  );
  const lbArn = lb.LoadBalancers?.[0]?.LoadBalancerArn ?? '';
  const tg = await elb.send(
    new CreateTargetGroupCommand({
      Name: 'cgnat-tg',
      Protocol: 'TCP',
      Port: 8080,
      VpcId: prov.vpcId,
      TargetType: 'ip',
      HealthCheckIntervalSeconds: 5,
      HealthCheckTimeoutSeconds: 2,
    }),
  );
  const tgArn = tg.TargetGroups?.[0]?.TargetGroupArn ?? '';
  await elb.send(new RegisterTargetsCommand({ TargetGroupArn: tgArn, Targets: [{ Id: '100.64.2.10' }] }));
  await elb.send(
    new CreateListenerCommand({
      LoadBalancerArn: lbArn,
      Protocol: 'TCP',
      Port: 80,
      DefaultActions: [{ Type: 'forward', TargetGroupArn: tgArn }],
    }),
  );
  const { serviceId, serviceName } = await publishService(provider, lbArn, CONSUMER);
  const provNs = `${PREFIX}-${prov.vpcId}`;
  await eventually(namespaces, (l) => l.includes(provNs), { timeoutMs: 10_000 });
  const target = await NsHost.create(`${PREFIX}-target`, provNs, '100.64.2.10/24', '100.64.2.1');
  hosts.push(target);
  await target.serve('100.64.2.10', 8080, 'target');

  const cons = await cgnatVpc(consumer);
  const sg = await consumer.send(
    new CreateSecurityGroupCommand({ GroupName: 'ep', Description: 'ep', VpcId: cons.vpcId }),
  );
  await consumer.send(
    new AuthorizeSecurityGroupIngressCommand({
      GroupId: sg.GroupId ?? '',
      IpPermissions: [
        { IpProtocol: 'tcp', FromPort: 80, ToPort: 80, IpRanges: [{ CidrIp: '100.64.0.0/16' }] },
      ],
    }),
  );
  const ep = await consumer.send(
    new CreateVpcEndpointCommand({
      VpcEndpointType: 'Interface',
      VpcId: cons.vpcId,
      ServiceName: serviceName,
      SubnetIds: [cons.subnetId],
      SecurityGroupIds: [sg.GroupId ?? ''],
    }),
  );
  const epId = ep.VpcEndpoint?.VpcEndpointId ?? '';
  const enis = await consumer.send(
    new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: ep.VpcEndpoint?.NetworkInterfaceIds ?? [] }),
  );
  const eniIp = enis.NetworkInterfaces?.[0]?.PrivateIpAddress ?? '';
  assert.ok(eniIp.startsWith('100.64.0.'), eniIp);
  const consNs = `${PREFIX}-${cons.vpcId}`;
  await eventually(namespaces, (l) => l.includes(consNs), { timeoutMs: 10_000 });
  const client = await NsHost.create(`${PREFIX}-client`, consNs, '100.64.2.20/24', '100.64.2.1');
  hosts.push(client);

  await provider.send(
    new AcceptVpcEndpointConnectionsCommand({ ServiceId: serviceId, VpcEndpointIds: [epId] }),
  );
  const lbs = await elb.send(new DescribeLoadBalancersCommand({ LoadBalancerArns: [lbArn] }));
  const nodeIp =
    lbs.LoadBalancers?.[0]?.AvailabilityZones?.[0]?.LoadBalancerAddresses?.[0]?.PrivateIPv4Address;
  const plain = await eventually(
    () => client.http(eniIp, 80, 1000),
    (r) => r.body !== undefined,
    { timeoutMs: 10_000, intervalMs: 50 },
  ).catch(() => undefined);
  assert.ok(plain?.body, 'no answer through the endpoint (kernel path)');
  const b = JSON.parse(plain.body) as { name: string; remote: string };
  assert.equal(b.name, 'target');
  assert.equal(b.remote, nodeIp, 'the target sees the NLB node IP');

  // PROXY v2: the agent's path (fabric namespace → NLB node) carries the consumer's address.
  await elb.send(
    new ModifyTargetGroupAttributesCommand({
      TargetGroupArn: tgArn,
      Attributes: [{ Key: 'proxy_protocol_v2.enabled', Value: 'true' }],
    }),
  );
  const pp = await eventually(
    () => client.http(eniIp, 80, 1000),
    (r) => r.body !== undefined && (JSON.parse(r.body) as { pp: string }).pp !== '',
    { timeoutMs: 10_000, intervalMs: 50 },
  ).catch(() => undefined);
  assert.ok(pp?.body, 'no answer through the endpoint (PROXY v2 path)');
  const header = parsePpv2(Buffer.from((JSON.parse(pp.body) as { pp: string }).pp, 'hex'));
  assert.equal(header?.addresses?.sourceAddress, '100.64.2.20');
  assert.equal(header?.addresses?.destinationAddress, eniIp);
  assert.equal(header?.vpceId, epId);

  for (const h of hosts.splice(0)) await h.close();
  await p.close();
  assert.deepEqual(await namespaces(), []);
});
