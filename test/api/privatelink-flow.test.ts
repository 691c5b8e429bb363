/**
 * The two-account PrivateLink flow end to end, through the real AWS SDK clients only: the
 * provider builds a VPC, an internal NLB and an endpoint service (acceptance required) and allows
 * the consumer; the consumer, whose VPC uses the very same CIDR, discovers the service and
 * connects; the provider accepts; the endpoint goes pendingAcceptance → pending → available the
 * way Terraform polls for it; ENIs, gateway routes and deletion are checked with the EC2 calls
 * clients make around endpoints (reference §3.6, §6.20).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AcceptVpcEndpointConnectionsCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  CreateVpcEndpointCommand,
  CreateVpcEndpointServiceConfigurationCommand,
  DeleteVpcEndpointsCommand,
  DescribeNetworkInterfacesCommand,
  DescribeRouteTablesCommand,
  DescribeVpcEndpointConnectionsCommand,
  DescribeVpcEndpointServicesCommand,
  DescribeVpcEndpointsCommand,
  ModifyVpcAttributeCommand,
  ModifyVpcEndpointServicePermissionsCommand,
  type EC2Client,
} from '@aws-sdk/client-ec2';
import { CreateLoadBalancerCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  CONSUMER,
  PROVIDER,
  REGION,
  ec2Client,
  elbClient,
  eventually,
  expectAwsError,
  startPrivlink,
} from '../helpers/privlink.js';

const STRANGER = '333333333333';
const CIDR = '10.0.0.0/16';

async function network(ec2: EC2Client, zones: string[]) {
  const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: CIDR }));
  const vpcId = vpc.Vpc?.VpcId ?? '';
  assert.ok(vpcId);
  await ec2.send(new ModifyVpcAttributeCommand({ VpcId: vpcId, EnableDnsHostnames: { Value: true } }));
  const subnetIds: string[] = [];
  for (const [i, zone] of zones.entries()) {
    const s = await ec2.send(
      new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: `10.0.${i + 1}.0/24`, AvailabilityZone: zone }),
    );
    subnetIds.push(s.Subnet?.SubnetId ?? '');
  }
  return { vpcId, subnetIds };
}

async function endpointState(ec2: EC2Client, id: string): Promise<string | undefined> {
  const out = await ec2.send(new DescribeVpcEndpointsCommand({ VpcEndpointIds: [id] }));
  return out.VpcEndpoints?.[0]?.State;
}

/** Polls like Terraform's waiters: fails on any state outside `pending`, returns on `target`. */
async function waitFor(ec2: EC2Client, id: string, pending: string[], target: string): Promise<string[]> {
  const seen: string[] = [];
  await eventually(
    async () => {
      const s = (await endpointState(ec2, id)) ?? 'missing';
      if (seen.at(-1) !== s) seen.push(s);
      if (s !== target && !pending.includes(s)) throw new Error(`unexpected state ${s}`);
      return s;
    },
    (s) => s === target,
    { timeoutMs: 5000, intervalMs: 10 },
  );
  return seen;
}

test('provider and consumer with overlapping CIDRs: discover, connect, accept, use, delete', async (t) => {
  const p = await startPrivlink(t, { pendingMs: 100, deletedRetentionMs: 300 });
  const provider = ec2Client(p, { account: PROVIDER });
  const consumer = ec2Client(p, { account: CONSUMER });
  const stranger = ec2Client(p, { account: STRANGER });

  // Provider: VPC, NLB in two AZs, endpoint service requiring acceptance.
  const prov = await network(provider, [`${REGION}a`, `${REGION}b`]);
  const lb = await elbClient(p, { account: PROVIDER }).send(
    new CreateLoadBalancerCommand({
      Name: 'svc-nlb',
      Type: 'network',
      Scheme: 'internal',
      Subnets: prov.subnetIds,
    }),
  );
  const lbArn = lb.LoadBalancers?.[0]?.LoadBalancerArn ?? '';
  assert.ok(lbArn);
  const created = await provider.send(
    new CreateVpcEndpointServiceConfigurationCommand({
      NetworkLoadBalancerArns: [lbArn],
      AcceptanceRequired: true,
    }),
  );
  const serviceId = created.ServiceConfiguration?.ServiceId ?? '';
  const serviceName = created.ServiceConfiguration?.ServiceName ?? '';
  assert.equal(serviceName, `com.amazonaws.vpce.${REGION}.${serviceId}`);

  // Consumer: the same CIDR, subnets in a, b and c.
  const cons = await network(consumer, [`${REGION}a`, `${REGION}b`, `${REGION}c`]);

  // Not yet permitted: invisible to the consumer.
  await expectAwsError(
    consumer.send(new DescribeVpcEndpointServicesCommand({ ServiceNames: [serviceName] })),
    'InvalidServiceName',
    400,
  );
  await provider.send(
    new ModifyVpcEndpointServicePermissionsCommand({
      ServiceId: serviceId,
      AddAllowedPrincipals: [`arn:aws:iam::${CONSUMER}:root`],
    }),
  );
  const visible = await consumer.send(
    new DescribeVpcEndpointServicesCommand({ ServiceNames: [serviceName] }),
  );
  const detail = visible.ServiceDetails?.[0];
  assert.equal(detail?.Owner, PROVIDER);
  assert.equal(detail?.AcceptanceRequired, true);
  assert.deepEqual(detail?.AvailabilityZones, [`${REGION}a`, `${REGION}b`]);
  // A third account still cannot see or use it.
  await expectAwsError(
    stranger.send(new DescribeVpcEndpointServicesCommand({ ServiceNames: [serviceName] })),
    'InvalidServiceName',
  );
  const strangerNet = await network(stranger, [`${REGION}a`]);
  await expectAwsError(
    stranger.send(
      new CreateVpcEndpointCommand({
        VpcEndpointType: 'Interface',
        VpcId: strangerNet.vpcId,
        ServiceName: serviceName,
        SubnetIds: strangerNet.subnetIds,
      }),
    ),
    'InvalidServiceName',
  );

  // Zone c is not offered by the service.
  await expectAwsError(
    consumer.send(
      new CreateVpcEndpointCommand({
        VpcEndpointType: 'Interface',
        VpcId: cons.vpcId,
        ServiceName: serviceName,
        SubnetIds: [cons.subnetIds[2] ?? ''],
      }),
    ),
    'InvalidParameter',
  );
  const ep = await consumer.send(
    new CreateVpcEndpointCommand({
      VpcEndpointType: 'Interface',
      VpcId: cons.vpcId,
      ServiceName: serviceName,
      SubnetIds: cons.subnetIds.slice(0, 2),
      ClientToken: 'flow-1',
    }),
  );
  const id = ep.VpcEndpoint?.VpcEndpointId ?? '';
  assert.equal(ep.VpcEndpoint?.State, 'pendingAcceptance');
  assert.equal(ep.VpcEndpoint?.NetworkInterfaceIds?.length, 2);

  // The ENIs live in the consumer's overlapping range and are listed by DescribeNetworkInterfaces.
  const enis = await consumer.send(
    new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: ep.VpcEndpoint?.NetworkInterfaceIds }),
  );
  assert.equal(enis.NetworkInterfaces?.length, 2);
  for (const eni of enis.NetworkInterfaces ?? []) {
    assert.equal(eni.InterfaceType, 'vpc_endpoint');
    assert.equal(eni.RequesterManaged, true);
    assert.equal(eni.VpcId, cons.vpcId);
    assert.match(eni.PrivateIpAddress ?? '', /^10\.0\.[12]\.\d+$/);
    assert.equal(eni.Description, `VPC Endpoint Interface ${id}`);
  }
  const byType = await consumer.send(
    new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'interface-type', Values: ['vpc_endpoint'] }] }),
  );
  assert.equal(byType.NetworkInterfaces?.length, 2);

  // Provider sees the connection with the same DNS names (minus the private zone).
  const conns = await provider.send(
    new DescribeVpcEndpointConnectionsCommand({ Filters: [{ Name: 'service-id', Values: [serviceId] }] }),
  );
  const conn = conns.VpcEndpointConnections?.find((c) => c.VpcEndpointId === id);
  assert.equal(conn?.VpcEndpointState, 'pendingAcceptance');
  assert.equal(conn?.VpcEndpointOwner, CONSUMER);
  assert.deepEqual(
    conn?.DnsEntries?.map((d) => d.DnsName),
    ep.VpcEndpoint?.DnsEntries?.map((d) => d.DnsName),
  );

  // Terraform: wait pendingAcceptance → (accept) → pending → available.
  assert.deepEqual(await waitFor(consumer, id, [], 'pendingAcceptance'), ['pendingAcceptance']);
  const accept = await provider.send(
    new AcceptVpcEndpointConnectionsCommand({ ServiceId: serviceId, VpcEndpointIds: [id] }),
  );
  assert.deepEqual(accept.Unsuccessful, []);
  const states = await waitFor(consumer, id, ['pending'], 'available');
  assert.equal(states.at(-1), 'available');
  assert.ok(
    states.every((s) => s === 'pending' || s === 'available'),
    states.join(),
  );
  const provView = await provider.send(
    new DescribeVpcEndpointConnectionsCommand({ Filters: [{ Name: 'service-id', Values: [serviceId] }] }),
  );
  assert.equal(provView.VpcEndpointConnections?.[0]?.VpcEndpointState, 'available');

  // Gateway endpoint to S3 next to it: its route appears in DescribeRouteTables.
  const tables = await consumer.send(
    new DescribeRouteTablesCommand({ Filters: [{ Name: 'vpc-id', Values: [cons.vpcId] }] }),
  );
  const mainRt = tables.RouteTables?.[0]?.RouteTableId ?? '';
  assert.ok(mainRt);
  const gw = await consumer.send(
    new CreateVpcEndpointCommand({
      VpcId: cons.vpcId,
      ServiceName: `com.amazonaws.${REGION}.s3`,
      RouteTableIds: [mainRt],
    }),
  );
  const gwId = gw.VpcEndpoint?.VpcEndpointId ?? '';
  assert.equal(gw.VpcEndpoint?.State, 'available');
  const routesOf = async () =>
    (await consumer.send(new DescribeRouteTablesCommand({ RouteTableIds: [mainRt] }))).RouteTables?.[0]
      ?.Routes ?? [];
  const gwRoute = (await routesOf()).find((r) => r.GatewayId === gwId);
  assert.equal(gwRoute?.DestinationPrefixListId, 'pl-63a5400a');

  // Delete both: routes and ENIs go at once; deleting → deleted → gone (Terraform treats
  // deleted as gone, then NotFound).
  const del = await consumer.send(new DeleteVpcEndpointsCommand({ VpcEndpointIds: [id, gwId] }));
  assert.deepEqual(del.Unsuccessful, []);
  assert.equal(
    (await routesOf()).find((r) => r.GatewayId === gwId),
    undefined,
  );
  const left = await consumer.send(
    new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'interface-type', Values: ['vpc_endpoint'] }] }),
  );
  assert.deepEqual(left.NetworkInterfaces, []);
  assert.equal(await endpointState(consumer, id), 'deleting');
  await waitFor(consumer, id, ['deleting'], 'deleted');
  await eventually(
    () =>
      consumer.send(new DescribeVpcEndpointsCommand({ VpcEndpointIds: [id] })).then(
        () => 'present',
        (e: Error) => e.name,
      ),
    (v) => v === 'InvalidVpcEndpointId.NotFound',
    { timeoutMs: 3000 },
  );
  // The provider's view follows the endpoint away.
  await eventually(
    async () =>
      (
        await provider.send(
          new DescribeVpcEndpointConnectionsCommand({
            Filters: [{ Name: 'service-id', Values: [serviceId] }],
          }),
        )
      ).VpcEndpointConnections ?? [],
    (list) => !list.some((c) => c.VpcEndpointId === id),
  );
});
