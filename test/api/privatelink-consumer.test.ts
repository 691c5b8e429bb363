/**
 * Consumer-side PrivateLink with the real @aws-sdk/client-ec2: CreateVpcEndpoint for the three
 * endpoint types, DescribeVpcEndpoints and DescribeVpcEndpointServices, visibility and the main
 * errors. Networks and provider services are seeded (privatelink-consumer-fixtures.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateVpcEndpointCommand,
  DescribeVpcEndpointServicesCommand,
  DescribeVpcEndpointsCommand,
  DescribeVpcEndpointAssociationsCommand,
  ModifyVpcEndpointPayerResponsibilityCommand,
  type EC2Client,
} from '@aws-sdk/client-ec2';
import { CONSUMER, PROVIDER, REGION, ec2Client, expectAwsError, signedRaw } from '../helpers/privlink.js';
import {
  createInterfaceEndpoint,
  type CreateEndpointInput,
  rootArn,
  seedService,
  seedVpc,
  startConsumer,
} from './privatelink-consumer-fixtures.js';

const OTHER = '333333333333';

const setup = startConsumer;

async function describeOne(ec2: EC2Client, id: string) {
  const out = await ec2.send(new DescribeVpcEndpointsCommand({ VpcEndpointIds: [id] }));
  const ep = out.VpcEndpoints?.[0];
  assert.ok(ep, `endpoint ${id} described`);
  return ep;
}

test('Interface endpoint to an AWS service: full VpcEndpoint shape as AWS records it', async (t) => {
  const { p, consumer, net } = await setup(t);
  const out = await createInterfaceEndpoint(consumer, net, `com.amazonaws.${REGION}.logs`, {
    SubnetIds: [net.subnetIds[1] ?? '', net.subnetIds[0] ?? ''],
    TagSpecifications: [{ ResourceType: 'vpc-endpoint', Tags: [{ Key: 'Name', Value: 'logs' }] }],
  });
  const ep = out.VpcEndpoint;
  assert.ok(ep?.VpcEndpointId);
  assert.match(ep.VpcEndpointId, /^vpce-[0-9a-f]{17}$/);
  assert.equal(ep.VpcEndpointType, 'Interface');
  assert.equal(ep.State, 'pending');
  assert.equal(ep.ServiceName, `com.amazonaws.${REGION}.logs`);
  assert.equal(ep.ServiceRegion, REGION);
  assert.equal(ep.OwnerId, CONSUMER);
  assert.equal(ep.RequesterManaged, false);
  assert.equal(ep.PrivateDnsEnabled, true, 'AWS services default to private DNS');
  assert.equal(ep.IpAddressType, 'ipv4');
  assert.deepEqual(ep.DnsOptions, { DnsRecordIpType: 'ipv4' });
  assert.deepEqual(ep.RouteTableIds, []);
  assert.deepEqual(ep.SubnetIds, [net.subnetIds[1], net.subnetIds[0]]);
  assert.deepEqual(ep.Groups, [{ GroupId: net.defaultSgId, GroupName: 'default' }]);
  assert.deepEqual(ep.Tags, [{ Key: 'Name', Value: 'logs' }]);
  assert.ok(ep.CreationTimestamp instanceof Date);
  assert.deepEqual(JSON.parse(ep.PolicyDocument ?? ''), {
    Statement: [{ Action: '*', Effect: 'Allow', Principal: '*', Resource: '*' }],
  });
  assert.equal(ep.NetworkInterfaceIds?.length, 2);
  // DNS: regional, then zonal in subnet order, then the private name.
  const names = (ep.DnsEntries ?? []).map((d) => d.DnsName ?? '');
  const label = /^vpce-[0-9a-f]{17}-([a-z0-9]{8})\./.exec(names[0] ?? '')?.[1];
  assert.ok(label, `regional name ${names[0]}`);
  assert.deepEqual(names, [
    `${ep.VpcEndpointId}-${label}.logs.${REGION}.vpce.amazonaws.com`,
    `${ep.VpcEndpointId}-${label}-${REGION}b.logs.${REGION}.vpce.amazonaws.com`,
    `${ep.VpcEndpointId}-${label}-${REGION}a.logs.${REGION}.vpce.amazonaws.com`,
    `logs.${REGION}.amazonaws.com`,
  ]);
  assert.equal(ep.DnsEntries?.[0]?.HostedZoneId, 'Z7HUB22UULQXV');
  assert.notEqual(ep.DnsEntries?.[3]?.HostedZoneId, 'Z7HUB22UULQXV');
  // ENIs: requester-managed, in the consumer's account, one per subnet, default SG.
  for (const eniId of ep.NetworkInterfaceIds ?? []) {
    const eni = p.store.find('networkInterface', eniId);
    assert.ok(eni);
    assert.equal(eni.accountId, CONSUMER);
    assert.equal(eni.interfaceType, 'vpc_endpoint');
    assert.equal(eni.requesterManaged, true);
    assert.equal(eni.description, `VPC Endpoint Interface ${ep.VpcEndpointId}`);
    assert.deepEqual(eni.groupIds, [net.defaultSgId]);
  }
  // Describe shows the same thing.
  const again = await describeOne(consumer, ep.VpcEndpointId);
  assert.deepEqual(again.DnsEntries, ep.DnsEntries);
  assert.deepEqual(again.NetworkInterfaceIds, ep.NetworkInterfaceIds);
});

test('private DNS needs both VPC DNS attributes; explicit false works without them', async (t) => {
  const { p, consumer } = await setup(t);
  const net = seedVpc(p, { account: CONSUMER, cidr: '10.9.0.0/16', dns: false });
  const err = await expectAwsError(
    createInterfaceEndpoint(consumer, net, `com.amazonaws.${REGION}.ssm`, {
      SubnetIds: [net.subnetIds[0] ?? ''],
    }),
    'InvalidParameter',
    400,
  );
  assert.equal(
    err.message,
    `Enabling private DNS requires both enableDnsSupport and enableDnsHostnames VPC attributes set to true for ${net.vpcId}`,
  );
  assert.equal(
    p.store.list('networkInterface', { accountId: CONSUMER, region: REGION }).length,
    0,
    'nothing kept',
  );
  const ok = await createInterfaceEndpoint(consumer, net, `com.amazonaws.${REGION}.ssm`, {
    SubnetIds: [net.subnetIds[0] ?? ''],
    PrivateDnsEnabled: false,
    SecurityGroupIds: [net.extraSgId],
  });
  assert.equal(ok.VpcEndpoint?.PrivateDnsEnabled, false);
  assert.equal(ok.VpcEndpoint?.DnsEntries?.length, 2, 'regional + one zonal, no private name');
  assert.deepEqual(ok.VpcEndpoint?.Groups, [{ GroupId: net.extraSgId, GroupName: 'endpoint-sg' }]);
});

test('Gateway endpoint: default type, routes to the prefix list, compact default policy', async (t) => {
  const { p, consumer, net } = await setup(t);
  const out = await consumer.send(
    new CreateVpcEndpointCommand({
      VpcId: net.vpcId,
      ServiceName: `com.amazonaws.${REGION}.s3`,
      RouteTableIds: [net.routeTableId],
      ClientToken: 'tok-1',
    }),
  );
  const ep = out.VpcEndpoint;
  assert.ok(ep?.VpcEndpointId);
  assert.equal(out.ClientToken, 'tok-1');
  assert.equal(ep.VpcEndpointType, 'Gateway');
  assert.equal(ep.State, 'available');
  assert.deepEqual(ep.RouteTableIds, [net.routeTableId]);
  assert.deepEqual(ep.SubnetIds, []);
  assert.deepEqual(ep.NetworkInterfaceIds, []);
  assert.deepEqual(ep.DnsEntries, []);
  assert.deepEqual(ep.Groups, []);
  assert.equal(ep.PrivateDnsEnabled, false);
  assert.equal(
    ep.PolicyDocument,
    '{"Version":"2008-10-17","Statement":[{"Sid":"","Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}',
  );
  const rt = p.store.find('routeTable', net.routeTableId);
  const route = rt?.routes.find((r) => r.gatewayId === ep.VpcEndpointId);
  assert.equal(route?.destinationPrefixListId, 'pl-63a5400a');
  // Idempotent retry returns the same endpoint; other parameters with the token do not.
  const retry = await consumer.send(
    new CreateVpcEndpointCommand({
      VpcId: net.vpcId,
      ServiceName: `com.amazonaws.${REGION}.s3`,
      RouteTableIds: [net.routeTableId],
      ClientToken: 'tok-1',
    }),
  );
  assert.equal(retry.VpcEndpoint?.VpcEndpointId, ep.VpcEndpointId);
  await expectAwsError(
    consumer.send(
      new CreateVpcEndpointCommand({
        VpcId: net.vpcId,
        ServiceName: `com.amazonaws.${REGION}.dynamodb`,
        RouteTableIds: [net.routeTableId],
        ClientToken: 'tok-1',
      }),
    ),
    'IdempotentParameterMismatch',
    400,
  );
  // One endpoint per service per route table.
  await expectAwsError(
    consumer.send(
      new CreateVpcEndpointCommand({
        VpcId: net.vpcId,
        ServiceName: `com.amazonaws.${REGION}.s3`,
        RouteTableIds: [net.routeTableId],
      }),
    ),
    'RouteAlreadyExists',
    400,
  );
  const subnetErr = await expectAwsError(
    consumer.send(
      new CreateVpcEndpointCommand({
        VpcId: net.vpcId,
        ServiceName: `com.amazonaws.${REGION}.dynamodb`,
        SubnetIds: [net.subnetIds[0] ?? ''],
      }),
    ),
    'InvalidParameter',
  );
  assert.equal(
    subnetErr.message,
    'Subnet IDs are only supported for Interface and GatewayLoadBalancer type VPC Endpoints.',
  );
  await expectAwsError(
    consumer.send(
      new CreateVpcEndpointCommand({
        VpcId: net.vpcId,
        ServiceName: `com.amazonaws.${REGION}.dynamodb`,
        RouteTableIds: ['rtb-0000000000000dead'],
      }),
    ),
    'InvalidRouteTableID.NotFound',
  );
});

test('type/service mismatch, unknown services, VPCs and Lattice types', async (t) => {
  const { p, consumer, net } = await setup(t);
  const mismatch = await expectAwsError(
    consumer.send(
      new CreateVpcEndpointCommand({ VpcId: net.vpcId, ServiceName: `com.amazonaws.${REGION}.ssm` }),
    ),
    'InvalidParameter',
    400,
  );
  assert.equal(
    mismatch.message,
    'Endpoint type (Gateway) does not match available service types ([Interface]).',
  );
  const unknown = await expectAwsError(
    consumer.send(
      new CreateVpcEndpointCommand({
        VpcId: net.vpcId,
        ServiceName: 'com.amazonaws.vpce.us-east-1.vpce-svc-0123456789abcdef0',
      }),
    ),
    'InvalidServiceName',
    400,
  );
  assert.equal(
    unknown.message,
    "The Vpc Endpoint Service 'com.amazonaws.vpce.us-east-1.vpce-svc-0123456789abcdef0' does not exist",
  );
  await expectAwsError(
    consumer.send(
      new CreateVpcEndpointCommand({
        VpcId: 'vpc-0000000000000dead',
        ServiceName: `com.amazonaws.${REGION}.s3`,
      }),
    ),
    'InvalidVpcID.NotFound',
  );
  await expectAwsError(
    consumer.send(
      new CreateVpcEndpointCommand({
        VpcId: net.vpcId,
        VpcEndpointType: 'Resource',
        ResourceConfigurationArn: 'arn:aws:vpc-lattice:us-east-1:1:resourceconfiguration/rcfg-1',
      }),
    ),
    'UnsupportedOperation',
  );
  await expectAwsError(
    consumer.send(
      new CreateVpcEndpointCommand({
        VpcId: net.vpcId,
        VpcEndpointType: 'Bogus' as 'Interface',
        ServiceName: 'x',
      }),
    ),
    'InvalidVpcEndpointType',
  );
  // Another account's VPC is not found for this caller.
  await expectAwsError(
    ec2Client(p, { account: OTHER }).send(
      new CreateVpcEndpointCommand({ VpcId: net.vpcId, ServiceName: `com.amazonaws.${REGION}.s3` }),
    ),
    'InvalidVpcID.NotFound',
  );
  // Unknown parameters and wrong types never reach the handler.
  const raw = await signedRaw(p, `Action=CreateVpcEndpoint&Version=2016-11-15&VpcId=${net.vpcId}&Bogus=1`, {
    account: CONSUMER,
  });
  assert.equal(raw.status, 400);
  assert.match(raw.body, /UnknownParameter/);
  const badBool = await signedRaw(
    p,
    `Action=CreateVpcEndpoint&Version=2016-11-15&VpcId=${net.vpcId}&ServiceName=x&PrivateDnsEnabled=maybe`,
    { account: CONSUMER },
  );
  assert.equal(badBool.status, 400);
});

test('customer service: visibility, acceptance, AZ rules, policies and private DNS', async (t) => {
  const { p, consumer, net } = await setup(t);
  const hidden = seedService(p, {});
  await expectAwsError(
    createInterfaceEndpoint(consumer, net, hidden.serviceName, { SubnetIds: [net.subnetIds[0] ?? ''] }),
    'InvalidServiceName',
  );
  const svc = seedService(p, {
    acceptanceRequired: true,
    allow: [rootArn(CONSUMER)],
    privateDnsName: 'api.example.com',
  });
  const create = (extra: Partial<CreateEndpointInput> = {}) =>
    createInterfaceEndpoint(consumer, net, svc.serviceName, {
      SubnetIds: [net.subnetIds[0] ?? '', net.subnetIds[1] ?? ''],
      ...extra,
    });
  // Zone c is not offered by the service (its NLB has nodes in a and b only).
  const az = await expectAwsError(create({ SubnetIds: [net.subnetIds[2] ?? ''] }), 'InvalidParameter');
  assert.match(az.message, /does not support the availability zone of the subnet/);
  await expectAwsError(
    create({ SubnetIds: [net.subnetIds[0] ?? '', net.extraSubnetA] }),
    'DuplicateSubnetsInSameZone',
  );
  await expectAwsError(create({ SubnetIds: ['subnet-0000000000000dead'] }), 'InvalidSubnetID.NotFound');
  await expectAwsError(create({ SecurityGroupIds: ['sg-0000000000000dead'] }), 'InvalidGroup.NotFound');
  const policy = await expectAwsError(create({ PolicyDocument: '{"Statement":[]}' }), 'InvalidParameter');
  assert.match(policy.message, /does not support VPC endpoint policies/);
  const dns = await expectAwsError(create({ PrivateDnsEnabled: true }), 'InvalidParameter');
  assert.match(dns.message, /not verified/);
  await expectAwsError(create({ IpAddressType: 'dualstack' }), 'InvalidParameter');
  await expectAwsError(create({ DnsOptions: { DnsRecordIpType: 'ipv6' } }), 'InvalidParameter');
  await expectAwsError(create({ RouteTableIds: [net.routeTableId] }), 'InvalidParameter');

  const out = await create({
    SubnetConfigurations: [{ SubnetId: net.subnetIds[0] ?? '', Ipv4: '10.0.1.77' }],
  });
  const ep = out.VpcEndpoint;
  assert.ok(ep?.VpcEndpointId);
  assert.equal(ep.State, 'pendingAcceptance');
  assert.equal(ep.PrivateDnsEnabled, false, 'customer services default to no private DNS');
  const label = svc.serviceId;
  assert.match(
    ep.DnsEntries?.[0]?.DnsName ?? '',
    new RegExp(`^${ep.VpcEndpointId}-[a-z0-9]{8}\\.${label}\\.${REGION}\\.vpce\\.amazonaws\\.com$`),
  );
  assert.equal(ep.DnsEntries?.length, 3);
  const enis = (ep.NetworkInterfaceIds ?? []).map((id) => p.store.find('networkInterface', id));
  assert.equal(enis.find((e) => e?.subnetId === net.subnetIds[0])?.privateIpAddress, '10.0.1.77');
  assert.ok(p.store.find('vpcEndpoint', ep.VpcEndpointId)?.connectionId?.match(/^vpce-con-[0-9a-f]{17}$/));
  // The pinned address is now taken; reserved addresses are refused.
  await expectAwsError(
    create({
      SubnetIds: [],
      SubnetConfigurations: [{ SubnetId: net.subnetIds[0] ?? '', Ipv4: '10.0.1.77' }],
    }),
    'InvalidIPAddress.InUse',
  );
  await expectAwsError(
    create({ SubnetIds: [], SubnetConfigurations: [{ SubnetId: net.subnetIds[0] ?? '', Ipv4: '10.0.1.1' }] }),
    'InvalidParameterValue',
  );

  // A verified private name can be enabled; it is listed last with its own zone ID.
  const named = seedService(p, { allow: ['*'], privateDnsName: 'svc.example.org', verified: true });
  const withDns = await createInterfaceEndpoint(consumer, net, named.serviceName, {
    SubnetIds: [net.subnetIds[1] ?? ''],
    PrivateDnsEnabled: true,
  });
  assert.equal(withDns.VpcEndpoint?.State, 'pending');
  assert.equal(withDns.VpcEndpoint?.DnsEntries?.at(-1)?.DnsName, 'svc.example.org');
});

test('GatewayLoadBalancer endpoint: exactly one subnet, no SGs, no policy', async (t) => {
  const { p, consumer, net } = await setup(t);
  const svc = seedService(p, { type: 'GatewayLoadBalancer', allow: [rootArn(CONSUMER)] });
  const base = {
    VpcEndpointType: 'GatewayLoadBalancer' as const,
    VpcId: net.vpcId,
    ServiceName: svc.serviceName,
  };
  await expectAwsError(
    consumer.send(new CreateVpcEndpointCommand({ ...base, SubnetIds: [] })),
    'InvalidParameter',
  );
  await expectAwsError(
    consumer.send(
      new CreateVpcEndpointCommand({ ...base, SubnetIds: [net.subnetIds[0] ?? '', net.subnetIds[1] ?? ''] }),
    ),
    'InvalidParameter',
  );
  await expectAwsError(
    consumer.send(
      new CreateVpcEndpointCommand({
        ...base,
        SubnetIds: [net.subnetIds[0] ?? ''],
        SecurityGroupIds: [net.defaultSgId],
      }),
    ),
    'InvalidParameter',
  );
  await expectAwsError(
    consumer.send(
      new CreateVpcEndpointCommand({ ...base, SubnetIds: [net.subnetIds[0] ?? ''], PolicyDocument: '{}' }),
    ),
    'InvalidParameter',
  );
  await expectAwsError(
    consumer.send(
      new CreateVpcEndpointCommand({
        ...base,
        VpcEndpointType: 'Interface',
        SubnetIds: [net.subnetIds[0] ?? ''],
      }),
    ),
    'InvalidParameter',
  );
  const out = await consumer.send(
    new CreateVpcEndpointCommand({ ...base, SubnetIds: [net.subnetIds[0] ?? ''] }),
  );
  const ep = out.VpcEndpoint;
  assert.equal(ep?.State, 'pending');
  assert.equal(ep?.PolicyDocument, undefined);
  assert.deepEqual(ep?.Groups, []);
  assert.deepEqual(ep?.DnsEntries, []);
  const eni = p.store.find('networkInterface', ep?.NetworkInterfaceIds?.[0] ?? '');
  assert.equal(eni?.interfaceType, 'gateway_load_balancer_endpoint');
  assert.deepEqual(eni?.groupIds, []);
});

test('policy validation, quota and DryRun', async (t) => {
  const { p, consumer, net } = await setup(t);
  const create = (extra: Partial<CreateEndpointInput>) =>
    createInterfaceEndpoint(consumer, net, `com.amazonaws.${REGION}.sts`, {
      PrivateDnsEnabled: false,
      ...extra,
    });
  await expectAwsError(create({ PolicyDocument: 'not json' }), 'InvalidPolicyDocument');
  await expectAwsError(create({ PolicyDocument: '{"Version":"2012-10-17"}' }), 'InvalidPolicyDocument');
  await expectAwsError(
    create({ PolicyDocument: JSON.stringify({ Statement: [{ Effect: 'Allow', Action: '*' }] }) }),
    'InvalidPolicyDocument',
  );
  await expectAwsError(
    create({
      PolicyDocument: JSON.stringify({
        Statement: [{ Effect: 'Allow', Principal: '*', Action: '*', Sid: 'x'.repeat(21_000) }],
      }),
    }),
    'InvalidParameter',
  );
  const custom = JSON.stringify({
    Statement: [{ Effect: 'Allow', Principal: '*', Action: 'sts:GetCallerIdentity', Resource: '*' }],
  });
  const ok = await create({ PolicyDocument: custom });
  assert.equal(ok.VpcEndpoint?.PolicyDocument, custom);

  // DryRun: 412, nothing stored.
  const before = p.store.list('vpcEndpoint', { accountId: CONSUMER, region: REGION }).length;
  await expectAwsError(create({ DryRun: true, SubnetIds: [net.subnetIds[0] ?? ''] }), 'DryRunOperation', 412);
  assert.equal(p.store.list('vpcEndpoint', { accountId: CONSUMER, region: REGION }).length, before);
  assert.equal(p.store.list('networkInterface', { accountId: CONSUMER, region: REGION }).length, 0);

  // 50 interface + GWLB endpoints per VPC.
  for (let i = before; i < 50; i++) await create({});
  const limit = await expectAwsError(create({}), 'VpcEndpointLimitExceeded', 400);
  assert.match(limit.message, /50/);
});

test('DescribeVpcEndpoints: IDs, errors, filters, pagination, other accounts', async (t) => {
  const { p, consumer, net } = await setup(t);
  const gw = await consumer.send(
    new CreateVpcEndpointCommand({
      VpcId: net.vpcId,
      ServiceName: `com.amazonaws.${REGION}.s3`,
      RouteTableIds: [net.routeTableId],
      TagSpecifications: [{ ResourceType: 'vpc-endpoint', Tags: [{ Key: 'team', Value: 'a' }] }],
    }),
  );
  const ids = [gw.VpcEndpoint?.VpcEndpointId ?? ''];
  for (const svc of ['ssm', 'sts', 'kms']) {
    const out = await createInterfaceEndpoint(consumer, net, `com.amazonaws.${REGION}.${svc}`, {
      PrivateDnsEnabled: false,
    });
    ids.push(out.VpcEndpoint?.VpcEndpointId ?? '');
  }
  const all = await consumer.send(new DescribeVpcEndpointsCommand({}));
  assert.deepEqual(
    all.VpcEndpoints?.map((e) => e.VpcEndpointId),
    ids,
  );
  const byType = await consumer.send(
    new DescribeVpcEndpointsCommand({ Filters: [{ Name: 'vpc-endpoint-type', Values: ['Gateway'] }] }),
  );
  assert.deepEqual(
    byType.VpcEndpoints?.map((e) => e.VpcEndpointId),
    [ids[0]],
  );
  const byTag = await consumer.send(
    new DescribeVpcEndpointsCommand({ Filters: [{ Name: 'tag:team', Values: ['a'] }] }),
  );
  assert.equal(byTag.VpcEndpoints?.length, 1);
  const byState = await consumer.send(
    new DescribeVpcEndpointsCommand({
      Filters: [
        { Name: 'vpc-endpoint-state', Values: ['pending'] },
        { Name: 'service-name', Values: [`com.amazonaws.${REGION}.ssm`, `com.amazonaws.${REGION}.kms`] },
        { Name: 'vpc-id', Values: [net.vpcId] },
        { Name: 'ip-address-type', Values: ['ipv4'] },
        { Name: 'service-region', Values: [REGION] },
      ],
    }),
  );
  assert.deepEqual(
    byState.VpcEndpoints?.map((e) => e.VpcEndpointId),
    [ids[1], ids[3]],
  );
  await expectAwsError(
    consumer.send(new DescribeVpcEndpointsCommand({ Filters: [{ Name: 'bogus', Values: ['x'] }] })),
    'InvalidFilter',
  );
  // Pagination with changing tokens.
  const seen: string[] = [];
  let token: string | undefined;
  const tokens = new Set<string>();
  do {
    const page = await consumer.send(new DescribeVpcEndpointsCommand({ MaxResults: 3, NextToken: token }));
    seen.push(...(page.VpcEndpoints ?? []).map((e) => e.VpcEndpointId ?? ''));
    token = page.NextToken;
    if (token) {
      assert.ok(!tokens.has(token));
      tokens.add(token);
    }
  } while (token);
  assert.deepEqual(seen, ids);
  const clamped = await consumer.send(new DescribeVpcEndpointsCommand({ MaxResults: 5000 }));
  assert.equal(clamped.VpcEndpoints?.length, 4);
  // Unknown → top-level NotFound; malformed → Malformed; another account sees nothing.
  const nf = await expectAwsError(
    consumer.send(
      new DescribeVpcEndpointsCommand({ VpcEndpointIds: [ids[0] ?? '', 'vpce-0123456789abcdef0'] }),
    ),
    'InvalidVpcEndpointId.NotFound',
    400,
  );
  assert.match(nf.message, /vpce-0123456789abcdef0/);
  await expectAwsError(
    consumer.send(new DescribeVpcEndpointsCommand({ VpcEndpointIds: ['vpce-zz'] })),
    'InvalidVpcEndpointId.Malformed',
  );
  const other = ec2Client(p, { account: OTHER });
  assert.deepEqual((await other.send(new DescribeVpcEndpointsCommand({}))).VpcEndpoints, []);
  await expectAwsError(
    other.send(new DescribeVpcEndpointsCommand({ VpcEndpointIds: [ids[1] ?? ''] })),
    'InvalidVpcEndpointId.NotFound',
  );
  // The provider account is a different account too.
  const provider = ec2Client(p, { account: PROVIDER });
  assert.deepEqual((await provider.send(new DescribeVpcEndpointsCommand({}))).VpcEndpoints, []);
});

test('DescribeVpcEndpointServices: AWS catalogue plus visible customer services', async (t) => {
  const { p, consumer } = await setup(t);
  const mine = seedService(p, { account: CONSUMER, zones: [0, 1, 2] });
  const allowed = seedService(p, {
    allow: [rootArn(CONSUMER)],
    acceptanceRequired: true,
    privateDnsName: 'x.example.com',
  });
  const everyone = seedService(p, { allow: ['*'] });
  const hidden = seedService(p, { allow: [rootArn(OTHER)] });
  const out = await consumer.send(new DescribeVpcEndpointServicesCommand({}));
  const details = out.ServiceDetails ?? [];
  const names = out.ServiceNames ?? [];
  assert.ok(names.includes(`com.amazonaws.${REGION}.s3`));
  assert.equal(names.filter((n) => n === `com.amazonaws.${REGION}.s3`).length, 1);
  const s3 = details.filter((d) => d.ServiceName === `com.amazonaws.${REGION}.s3`);
  assert.deepEqual(
    s3.map((d) => d.ServiceType?.[0]?.ServiceType),
    ['Gateway', 'Interface'],
  );
  assert.equal(s3[0]?.Owner, 'amazon');
  assert.deepEqual(s3[0]?.BaseEndpointDnsNames, [`s3.${REGION}.amazonaws.com`]);
  assert.equal(s3[0]?.VpcEndpointPolicySupported, true);
  assert.deepEqual(s3[1]?.BaseEndpointDnsNames, [`s3.${REGION}.vpce.amazonaws.com`]);
  assert.equal(s3[0]?.AvailabilityZones?.length, 6);
  for (const svc of [mine, allowed, everyone]) assert.ok(names.includes(svc.serviceName), svc.serviceName);
  assert.ok(!names.includes(hidden.serviceName));
  const a = details.find((d) => d.ServiceName === allowed.serviceName);
  assert.equal(a?.Owner, PROVIDER);
  assert.equal(a?.ServiceId, allowed.serviceId);
  assert.equal(a?.AcceptanceRequired, true);
  assert.equal(a?.VpcEndpointPolicySupported, false);
  assert.equal(a?.ManagesVpcEndpoints, false);
  assert.deepEqual(a?.AvailabilityZones, [`${REGION}a`, `${REGION}b`]);
  assert.deepEqual(a?.AvailabilityZoneIds, ['use1-az1', 'use1-az2']);
  assert.deepEqual(a?.BaseEndpointDnsNames, [`${allowed.serviceId}.${REGION}.vpce.amazonaws.com`]);
  assert.equal(a?.PrivateDnsName, 'x.example.com');
  assert.deepEqual(a?.PrivateDnsNames, [{ PrivateDnsName: 'x.example.com' }]);
  // Whatever the provider's verifier has concluded meanwhile (no resolver here: failed).
  assert.equal(
    a?.PrivateDnsNameVerificationState,
    p.store.find('endpointService', allowed.serviceId)?.privateDnsNameConfiguration?.state,
  );
  assert.deepEqual(a?.SupportedIpAddressTypes, ['ipv4']);
  assert.equal(a?.ServiceRegion, REGION);
  const e = details.find((d) => d.ServiceName === everyone.serviceName);
  assert.equal(e?.PrivateDnsName, undefined);
  // By name, with filters, and the invisible name.
  const byName = await consumer.send(
    new DescribeVpcEndpointServicesCommand({ ServiceNames: [allowed.serviceName] }),
  );
  assert.deepEqual(byName.ServiceNames, [allowed.serviceName]);
  assert.equal(byName.ServiceDetails?.length, 1);
  const err = await expectAwsError(
    consumer.send(new DescribeVpcEndpointServicesCommand({ ServiceNames: [hidden.serviceName] })),
    'InvalidServiceName',
    400,
  );
  assert.equal(err.message, `The Vpc Endpoint Service '${hidden.serviceName}' does not exist`);
  const gateways = await consumer.send(
    new DescribeVpcEndpointServicesCommand({ Filters: [{ Name: 'service-type', Values: ['Gateway'] }] }),
  );
  assert.deepEqual(gateways.ServiceNames, [`com.amazonaws.${REGION}.dynamodb`, `com.amazonaws.${REGION}.s3`]);
  const owned = await consumer.send(
    new DescribeVpcEndpointServicesCommand({ Filters: [{ Name: 'owner', Values: [PROVIDER] }] }),
  );
  assert.deepEqual(new Set(owned.ServiceNames), new Set([allowed.serviceName, everyone.serviceName]));
  // Pagination over the whole catalogue.
  let token: string | undefined;
  let count = 0;
  do {
    const page = await consumer.send(
      new DescribeVpcEndpointServicesCommand({ MaxResults: 5, NextToken: token }),
    );
    count += page.ServiceDetails?.length ?? 0;
    token = page.NextToken;
  } while (token);
  assert.equal(count, details.length);
  // The hidden service's allowed account sees it.
  const otherNames = (await ec2Client(p, { account: OTHER }).send(new DescribeVpcEndpointServicesCommand({})))
    .ServiceNames;
  assert.ok(otherNames?.includes(hidden.serviceName));
  assert.ok(!otherNames?.includes(allowed.serviceName));
});

test('DescribeVpcEndpointAssociations and ModifyVpcEndpointPayerResponsibility', async (t) => {
  const { p, consumer, net } = await setup(t);
  const svc = seedService(p, { allow: [rootArn(CONSUMER)] });
  const ep = await createInterfaceEndpoint(consumer, net, svc.serviceName, {
    SubnetIds: [net.subnetIds[0] ?? ''],
  });
  const id = ep.VpcEndpoint?.VpcEndpointId ?? '';
  assert.deepEqual(ep.VpcEndpoint?.PayerResponsibilities, [
    { Scope: 'vpc-endpoint-charges', PayerResponsibilityType: 'vpc-endpoint-account' },
  ]);
  const assoc = await consumer.send(new DescribeVpcEndpointAssociationsCommand({ VpcEndpointIds: [id] }));
  assert.deepEqual(assoc.VpcEndpointAssociations, []);
  await expectAwsError(
    consumer.send(new DescribeVpcEndpointAssociationsCommand({ MaxResults: 101 })),
    'InvalidParameterValue',
  );
  await expectAwsError(
    consumer.send(new DescribeVpcEndpointAssociationsCommand({ VpcEndpointIds: ['vpce-0123456789abcdef0'] })),
    'InvalidVpcEndpointId.NotFound',
  );
  await expectAwsError(
    consumer.send(new DescribeVpcEndpointAssociationsCommand({ Filters: [{ Name: 'nope', Values: ['x'] }] })),
    'InvalidFilter',
  );
  const payer = await consumer.send(
    new ModifyVpcEndpointPayerResponsibilityCommand({
      VpcEndpointId: id,
      PayerResponsibility: 'vpc-endpoint-service-account',
      Scope: 'vpc-endpoint-charges',
    }),
  );
  assert.equal(payer.VpcEndpointId, id);
  assert.deepEqual(payer.PayerResponsibilities, [
    { Scope: 'vpc-endpoint-charges', PayerResponsibilityType: 'vpc-endpoint-service-account' },
  ]);
  assert.equal(
    (await describeOne(consumer, id)).PayerResponsibilities?.[0]?.PayerResponsibilityType,
    'vpc-endpoint-service-account',
  );
  await expectAwsError(
    consumer.send(
      new ModifyVpcEndpointPayerResponsibilityCommand({
        VpcEndpointId: id,
        PayerResponsibility: 'nobody' as 'vpc-endpoint-account',
        Scope: 'vpc-endpoint-charges',
      }),
    ),
    'InvalidParameterValue',
  );
  await expectAwsError(
    consumer.send(
      new ModifyVpcEndpointPayerResponsibilityCommand({
        VpcEndpointId: id,
        PayerResponsibility: 'resource-gateway-account',
        Scope: 'resource-gateway-charges',
      }),
    ),
    'InvalidParameter',
  );
  await expectAwsError(
    consumer.send(
      new ModifyVpcEndpointPayerResponsibilityCommand({
        VpcEndpointId: 'vpce-0123456789abcdef0',
        PayerResponsibility: 'vpc-endpoint-account',
        Scope: 'vpc-endpoint-charges',
      }),
    ),
    'InvalidVpcEndpointId.NotFound',
  );
});

test('S3 interface endpoint: wildcard names and PrivateDnsOnlyForInboundResolverEndpoint', async (t) => {
  const { consumer, net } = await setup(t);
  const s3 = `com.amazonaws.${REGION}.s3`;
  const iface = (extra: Partial<CreateEndpointInput> = {}) =>
    createInterfaceEndpoint(consumer, net, s3, { SubnetIds: [net.subnetIds[0] ?? ''], ...extra });
  const err = await expectAwsError(
    iface({ PrivateDnsEnabled: true, DnsOptions: { PrivateDnsOnlyForInboundResolverEndpoint: true } }),
    'InvalidParameter',
  );
  assert.equal(
    err.message,
    `To set PrivateDnsOnlyForInboundResolverEndpoint to true, the VPC ${net.vpcId} must have a Gateway endpoint for the service.`,
  );
  await consumer.send(
    new CreateVpcEndpointCommand({ VpcId: net.vpcId, ServiceName: s3, RouteTableIds: [net.routeTableId] }),
  );
  const out = await iface({
    PrivateDnsEnabled: true,
    DnsOptions: { PrivateDnsOnlyForInboundResolverEndpoint: true },
  });
  const ep = out.VpcEndpoint;
  assert.deepEqual(ep?.DnsOptions, {
    DnsRecordIpType: 'ipv4',
    PrivateDnsOnlyForInboundResolverEndpoint: true,
  });
  const names = ep?.DnsEntries?.map((d) => d.DnsName) ?? [];
  assert.match(
    names[0] ?? '',
    new RegExp(`^\\*\\.${ep?.VpcEndpointId}-[a-z0-9]{8}\\.s3\\.${REGION}\\.vpce\\.amazonaws\\.com$`),
  );
  assert.equal(names.at(-1), `*.s3.${REGION}.amazonaws.com`);
  // Without private DNS the option cannot be set; S3 interface endpoints default to no private DNS.
  await expectAwsError(
    iface({ DnsOptions: { PrivateDnsOnlyForInboundResolverEndpoint: true } }),
    'InvalidParameter',
  );
  await expectAwsError(iface({ DnsOptions: { PrivateDnsPreference: 'ALL_DOMAINS' } }), 'InvalidParameter');
});

test('cross-region interface endpoint to a customer service (ServiceRegion)', async (t) => {
  const { p, consumer, net } = await setup(t);
  const remote = seedService(p, {
    region: 'us-west-2',
    supportedRegions: ['us-west-2', REGION],
    allow: [rootArn(CONSUMER)],
  });
  const homeOnly = seedService(p, { region: 'us-west-2', allow: [rootArn(CONSUMER)] });
  const listed = await consumer.send(
    new DescribeVpcEndpointServicesCommand({ ServiceRegions: ['us-west-2'] }),
  );
  assert.deepEqual(listed.ServiceNames, [remote.serviceName]);
  assert.equal(listed.ServiceDetails?.[0]?.ServiceRegion, 'us-west-2');
  const out = await createInterfaceEndpoint(consumer, net, remote.serviceName, {
    ServiceRegion: 'us-west-2',
    SubnetIds: [net.subnetIds[2] ?? ''],
  });
  assert.equal(out.VpcEndpoint?.ServiceRegion, 'us-west-2');
  assert.deepEqual(
    out.VpcEndpoint?.DnsEntries?.map((d) => d.DnsName),
    [
      `${out.VpcEndpoint?.VpcEndpointId}-${/-([a-z0-9]{8})\./.exec(out.VpcEndpoint?.DnsEntries?.[0]?.DnsName ?? '')?.[1]}.${remote.serviceId}.us-west-2.vpce.amazonaws.com`,
    ],
    'regional name only',
  );
  const filtered = await consumer.send(
    new DescribeVpcEndpointsCommand({ Filters: [{ Name: 'service-region', Values: ['us-west-2'] }] }),
  );
  assert.equal(filtered.VpcEndpoints?.length, 1);
  await expectAwsError(
    createInterfaceEndpoint(consumer, net, homeOnly.serviceName, {
      ServiceRegion: 'us-west-2',
      SubnetIds: [net.subnetIds[0] ?? ''],
    }),
    'InvalidServiceName',
  );
  // Without ServiceRegion the remote name is not found in the caller's region.
  await expectAwsError(
    createInterfaceEndpoint(consumer, net, remote.serviceName, { SubnetIds: [net.subnetIds[0] ?? ''] }),
    'InvalidServiceName',
  );
});
