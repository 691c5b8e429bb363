import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DescribeNetworkInterfacesCommand } from '@aws-sdk/client-ec2';
import {
  AddTagsCommand,
  CreateLoadBalancerCommand,
  DeleteLoadBalancerCommand,
  DescribeLoadBalancerAttributesCommand,
  DescribeLoadBalancersCommand,
  DescribeTagsCommand,
  ModifyLoadBalancerAttributesCommand,
  RemoveTagsCommand,
  waitUntilLoadBalancerAvailable,
  waitUntilLoadBalancersDeleted,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { EndpointService } from '../../src/control/model/privatelink.js';
import {
  CONSUMER,
  PROVIDER,
  REGION,
  elbClient,
  expectAwsError,
  signedRaw,
  startPrivlink,
} from '../helpers/privlink.js';
import { network, nlb } from './elbv2-fixtures.js';

test('CreateLoadBalancer (network) makes one node ENI per subnet and becomes active', async (t) => {
  const p = await startPrivlink(t);
  const net = await network(p);
  const out = await net.elb.send(
    new CreateLoadBalancerCommand({
      Name: 'my-nlb',
      Type: 'network',
      Scheme: 'internal',
      SubnetMappings: [
        { SubnetId: net.subnets[0], PrivateIPv4Address: '10.0.1.50' },
        { SubnetId: net.subnets[1] },
      ],
      Tags: [{ Key: 'env', Value: 'test' }],
    }),
  );
  const lb = out.LoadBalancers?.[0];
  assert.ok(lb?.LoadBalancerArn);
  assert.match(
    lb.LoadBalancerArn,
    new RegExp(`^arn:aws:elasticloadbalancing:${REGION}:${PROVIDER}:loadbalancer/net/my-nlb/[0-9a-f]{16}$`),
  );
  const hex = lb.LoadBalancerArn.split('/').at(-1);
  assert.equal(lb.DNSName, `my-nlb-${hex}.elb.${REGION}.amazonaws.com`);
  assert.equal(lb.CanonicalHostedZoneId, 'Z26RNL4JYFTOTI');
  assert.equal(lb.State?.Code, 'provisioning');
  assert.equal(lb.Type, 'network');
  assert.equal(lb.Scheme, 'internal');
  assert.equal(lb.VpcId, net.vpcId);
  assert.equal(lb.IpAddressType, 'ipv4');
  assert.ok(lb.CreatedTime instanceof Date);
  assert.deepEqual(
    lb.AvailabilityZones?.map((z) => [z.ZoneName, z.SubnetId]),
    [
      [`${REGION}a`, net.subnets[0]],
      [`${REGION}b`, net.subnets[1]],
    ],
  );
  assert.equal(lb.AvailabilityZones?.[0]?.LoadBalancerAddresses?.[0]?.PrivateIPv4Address, '10.0.1.50');

  await waitUntilLoadBalancerAvailable(
    { client: net.elb, maxWaitTime: 10, minDelay: 1, maxDelay: 1 },
    { LoadBalancerArns: [lb.LoadBalancerArn] },
  );
  const desc = await net.elb.send(new DescribeLoadBalancersCommand({ Names: ['my-nlb'] }));
  assert.equal(desc.LoadBalancers?.[0]?.State?.Code, 'active');

  const enis = await net.ec2.send(
    new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'vpc-id', Values: [net.vpcId] }] }),
  );
  const nodeEnis = (enis.NetworkInterfaces ?? []).filter((e) => e.InterfaceType === 'network_load_balancer');
  assert.equal(nodeEnis.length, 2);
  for (const e of nodeEnis) {
    assert.equal(e.Description, `ELB net/my-nlb/${hex}`);
    assert.equal(e.RequesterManaged, true);
  }
  assert.ok(nodeEnis.some((e) => e.PrivateIpAddress === '10.0.1.50'));

  const tags = await net.elb.send(new DescribeTagsCommand({ ResourceArns: [lb.LoadBalancerArn] }));
  assert.deepEqual(tags.TagDescriptions?.[0]?.Tags, [{ Key: 'env', Value: 'test' }]);
});

test('CreateLoadBalancer is idempotent for identical settings and validates its input', async (t) => {
  const p = await startPrivlink(t);
  const net = await network(p);
  const first = await nlb(net, 'dup');
  const again = await nlb(net, 'dup');
  assert.equal(again.LoadBalancerArn, first.LoadBalancerArn);
  await expectAwsError(nlb(net, 'dup', net.subnets.slice(0, 1)), 'DuplicateLoadBalancerName', 400);

  const create = (input: ConstructorParameters<typeof CreateLoadBalancerCommand>[0]) =>
    net.elb.send(new CreateLoadBalancerCommand(input));
  await expectAwsError(create({ Name: 'alb', Subnets: net.subnets }), 'InvalidConfigurationRequest', 400);
  await expectAwsError(
    create({ Name: 'alb', Type: 'application', Subnets: net.subnets }),
    'InvalidConfigurationRequest',
  );
  await expectAwsError(
    create({ Name: '-bad', Type: 'network', Subnets: net.subnets }),
    'ValidationError',
    400,
  );
  await expectAwsError(
    create({ Name: 'internal-x', Type: 'network', Subnets: net.subnets }),
    'ValidationError',
  );
  await expectAwsError(
    create({ Name: 'a'.repeat(33), Type: 'network', Subnets: net.subnets }),
    'ValidationError',
  );
  await expectAwsError(
    create({ Name: 'x', Type: 'network', Subnets: ['subnet-0123456789abcdef0'] }),
    'SubnetNotFound',
    400,
  );
  await expectAwsError(
    create({ Name: 'x', Type: 'network', Subnets: [net.subnets[0] ?? '', net.extraSubnetA] }),
    'InvalidConfigurationRequest',
  );
  await expectAwsError(create({ Name: 'x', Type: 'network' }), 'ValidationError');
  const other = await network(p, { cidr: '10.1.0.0/16' });
  await expectAwsError(
    create({ Name: 'x', Type: 'network', Subnets: [net.subnets[0] ?? '', other.subnets[1] ?? ''] }),
    'InvalidConfigurationRequest',
  );
  await expectAwsError(
    create({
      Name: 'x',
      Type: 'network',
      SubnetMappings: [{ SubnetId: net.subnets[0], PrivateIPv4Address: '10.9.9.9' }],
    }),
    'InvalidConfigurationRequest',
  );
  await expectAwsError(
    create({ Name: 'x', Type: 'network', Subnets: net.subnets, SecurityGroups: ['sg-0123456789abcdef0'] }),
    'InvalidSecurityGroup',
  );
  await expectAwsError(
    create({ Name: 'x', Type: 'gateway', Subnets: net.subnets, SecurityGroups: [net.sgId] }),
    'InvalidConfigurationRequest',
  );
  await expectAwsError(
    create({
      Name: 'x',
      Type: 'network',
      Subnets: net.subnets,
      Tags: [
        { Key: 'a', Value: '1' },
        { Key: 'a', Value: '2' },
      ],
    }),
    'DuplicateTagKeys',
  );
  // Nothing was half-created by the failures above.
  const all = await net.elb.send(new DescribeLoadBalancersCommand({}));
  assert.deepEqual(
    all.LoadBalancers?.map((l) => l.LoadBalancerName),
    ['dup'],
  );
  const enis = await net.ec2.send(new DescribeNetworkInterfacesCommand({}));
  assert.equal(enis.NetworkInterfaces?.length, 2);

  const withSg = await create({
    Name: 'sg-nlb',
    Type: 'network',
    Subnets: net.subnets,
    SecurityGroups: [net.sgId],
  });
  assert.deepEqual(withSg.LoadBalancers?.[0]?.SecurityGroups, [net.sgId]);
  assert.equal(withSg.LoadBalancers?.[0]?.EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic, 'on');
});

test('gateway load balancers have no DNS name and use gateway_load_balancer ENIs', async (t) => {
  const p = await startPrivlink(t);
  const net = await network(p);
  const out = await net.elb.send(
    new CreateLoadBalancerCommand({ Name: 'gwlb', Type: 'gateway', Subnets: net.subnets }),
  );
  const lb = out.LoadBalancers?.[0];
  assert.equal(lb?.Type, 'gateway');
  assert.equal(lb?.DNSName, undefined);
  assert.match(lb?.LoadBalancerArn ?? '', /:loadbalancer\/gwy\/gwlb\/[0-9a-f]{16}$/);
  assert.equal(lb?.AvailabilityZones?.length, 3);
  const enis = await net.ec2.send(new DescribeNetworkInterfacesCommand({}));
  assert.equal(enis.NetworkInterfaces?.filter((e) => e.InterfaceType === 'gateway_load_balancer').length, 3);
  const attrs = await net.elb.send(
    new DescribeLoadBalancerAttributesCommand({ LoadBalancerArn: lb?.LoadBalancerArn }),
  );
  assert.deepEqual(attrs.Attributes?.map((a) => a.Key).sort(), [
    'deletion_protection.enabled',
    'load_balancing.cross_zone.enabled',
  ]);
});

test('DescribeLoadBalancers by ARN, name and page; unknown ones are LoadBalancerNotFound', async (t) => {
  const p = await startPrivlink(t);
  const net = await network(p);
  const arns: string[] = [];
  for (const n of ['lb-1', 'lb-2', 'lb-3']) arns.push((await nlb(net, n)).LoadBalancerArn ?? '');
  const byArn = await net.elb.send(new DescribeLoadBalancersCommand({ LoadBalancerArns: [arns[1] ?? ''] }));
  assert.deepEqual(
    byArn.LoadBalancers?.map((l) => l.LoadBalancerName),
    ['lb-2'],
  );
  const page1 = await net.elb.send(new DescribeLoadBalancersCommand({ PageSize: 2 }));
  assert.equal(page1.LoadBalancers?.length, 2);
  assert.ok(page1.NextMarker);
  const page2 = await net.elb.send(
    new DescribeLoadBalancersCommand({ PageSize: 2, Marker: page1.NextMarker }),
  );
  assert.deepEqual(
    page2.LoadBalancers?.map((l) => l.LoadBalancerName),
    ['lb-3'],
  );
  assert.equal(page2.NextMarker, undefined);
  await expectAwsError(
    net.elb.send(new DescribeLoadBalancersCommand({ Names: ['nope'] })),
    'LoadBalancerNotFound',
    400,
  );
  const missing = (arns[0] ?? '').replace(/[0-9a-f]{16}$/, 'ffffffffffffffff');
  await expectAwsError(
    net.elb.send(new DescribeLoadBalancersCommand({ LoadBalancerArns: [missing] })),
    'LoadBalancerNotFound',
  );
  await expectAwsError(
    net.elb.send(new DescribeLoadBalancersCommand({ LoadBalancerArns: ['garbage'] })),
    'ValidationError',
  );
  await expectAwsError(net.elb.send(new DescribeLoadBalancersCommand({ PageSize: 0 })), 'ValidationError');
  await expectAwsError(
    net.elb.send(new DescribeLoadBalancersCommand({ Marker: 'bogus' })),
    'ValidationError',
  );
  // Scoped by account: the consumer sees none of the provider's load balancers.
  const consumer = elbClient(p, { account: CONSUMER });
  assert.deepEqual((await consumer.send(new DescribeLoadBalancersCommand({}))).LoadBalancers, []);
  await expectAwsError(
    consumer.send(new DescribeLoadBalancersCommand({ LoadBalancerArns: [arns[0] ?? ''] })),
    'LoadBalancerNotFound',
  );
});

test('load balancer attributes: defaults, modify, validation and deletion protection', async (t) => {
  const p = await startPrivlink(t);
  const net = await network(p);
  const lb = await nlb(net, 'attrs');
  const arn = lb.LoadBalancerArn ?? '';
  const attrs = await net.elb.send(new DescribeLoadBalancerAttributesCommand({ LoadBalancerArn: arn }));
  const map = Object.fromEntries((attrs.Attributes ?? []).map((a) => [a.Key, a.Value]));
  assert.equal(map['deletion_protection.enabled'], 'false');
  assert.equal(map['load_balancing.cross_zone.enabled'], 'false');
  assert.equal(map['dns_record.client_routing_policy'], 'any_availability_zone');
  assert.equal(map['secondary_ips.auto_assigned.per_subnet'], '0');
  assert.equal(map['access_logs.s3.enabled'], 'false');

  const mod = await net.elb.send(
    new ModifyLoadBalancerAttributesCommand({
      LoadBalancerArn: arn,
      Attributes: [
        { Key: 'load_balancing.cross_zone.enabled', Value: 'true' },
        { Key: 'deletion_protection.enabled', Value: 'true' },
        { Key: 'secondary_ips.auto_assigned.per_subnet', Value: '3' },
      ],
    }),
  );
  const modMap = Object.fromEntries((mod.Attributes ?? []).map((a) => [a.Key, a.Value]));
  assert.equal(modMap['load_balancing.cross_zone.enabled'], 'true');
  assert.equal(modMap['secondary_ips.auto_assigned.per_subnet'], '3');

  const modify = (Key: string, Value: string) =>
    net.elb.send(
      new ModifyLoadBalancerAttributesCommand({ LoadBalancerArn: arn, Attributes: [{ Key, Value }] }),
    );
  await expectAwsError(modify('no.such.key', 'true'), 'ValidationError', 400);
  await expectAwsError(modify('deletion_protection.enabled', 'yes'), 'InvalidConfigurationRequest', 400);
  await expectAwsError(modify('secondary_ips.auto_assigned.per_subnet', '8'), 'InvalidConfigurationRequest');
  await expectAwsError(modify('access_logs.s3.enabled', 'true'), 'InvalidConfigurationRequest');

  await expectAwsError(
    net.elb.send(new DeleteLoadBalancerCommand({ LoadBalancerArn: arn })),
    'OperationNotPermitted',
    400,
  );
  await modify('deletion_protection.enabled', 'false');
  await net.elb.send(new DeleteLoadBalancerCommand({ LoadBalancerArn: arn }));
  await expectAwsError(
    net.elb.send(new DescribeLoadBalancerAttributesCommand({ LoadBalancerArn: arn })),
    'LoadBalancerNotFound',
  );
});

test('DeleteLoadBalancer: ResourceInUse while an endpoint service uses it; then ENIs go and waiters see it deleted', async (t) => {
  const p = await startPrivlink(t);
  const net = await network(p);
  const lb = await nlb(net, 'backing');
  const arn = lb.LoadBalancerArn ?? '';
  const svc: EndpointService = {
    id: 'vpce-svc-0123456789abcdef0',
    accountId: PROVIDER,
    region: REGION,
    createdAt: p.clock.now(),
    tags: [],
    serviceName: `com.amazonaws.vpce.${REGION}.vpce-svc-0123456789abcdef0`,
    serviceType: 'Interface',
    state: 'Available',
    acceptanceRequired: false,
    managesVpcEndpoints: false,
    networkLoadBalancerArns: [arn],
    gatewayLoadBalancerArns: [],
    supportedIpAddressTypes: ['ipv4'],
    supportedRegions: [REGION],
  };
  p.store.transaction(() => p.store.put('endpointService', svc));
  const err = await expectAwsError(
    net.elb.send(new DeleteLoadBalancerCommand({ LoadBalancerArn: arn })),
    'ResourceInUse',
    400,
  );
  assert.match(err.message, /cannot be deleted because it is currently associated with another service/);
  p.store.transaction(() => p.store.delete('endpointService', svc.id));

  await net.elb.send(new DeleteLoadBalancerCommand({ LoadBalancerArn: arn }));
  await waitUntilLoadBalancersDeleted(
    { client: net.elb, maxWaitTime: 10, minDelay: 1, maxDelay: 1 },
    { LoadBalancerArns: [arn] },
  );
  await expectAwsError(
    net.elb.send(new DescribeLoadBalancersCommand({ LoadBalancerArns: [arn] })),
    'LoadBalancerNotFound',
  );
  const enis = await net.ec2.send(new DescribeNetworkInterfacesCommand({}));
  assert.equal(enis.NetworkInterfaces?.length, 0);
  // Deleting again (or an unknown ARN) succeeds, as on AWS.
  await net.elb.send(new DeleteLoadBalancerCommand({ LoadBalancerArn: arn }));
  await expectAwsError(
    net.elb.send(new DeleteLoadBalancerCommand({ LoadBalancerArn: 'nope' })),
    'ValidationError',
  );
});

test('AddTags / RemoveTags / DescribeTags on a load balancer, with ELB tag rules', async (t) => {
  const p = await startPrivlink(t);
  const net = await network(p);
  const arn = (await nlb(net, 'tagged')).LoadBalancerArn ?? '';
  await net.elb.send(
    new AddTagsCommand({
      ResourceArns: [arn],
      Tags: [
        { Key: 'a', Value: '1' },
        { Key: 'b', Value: '2' },
      ],
    }),
  );
  await net.elb.send(new AddTagsCommand({ ResourceArns: [arn], Tags: [{ Key: 'a', Value: '3' }] }));
  await net.elb.send(new RemoveTagsCommand({ ResourceArns: [arn], TagKeys: ['b'] }));
  const d = await net.elb.send(new DescribeTagsCommand({ ResourceArns: [arn] }));
  assert.deepEqual(d.TagDescriptions, [{ ResourceArn: arn, Tags: [{ Key: 'a', Value: '3' }] }]);
  await expectAwsError(
    net.elb.send(new AddTagsCommand({ ResourceArns: [arn], Tags: [{ Key: 'aws:x', Value: '1' }] })),
    'ValidationError',
  );
  const many = Array.from({ length: 50 }, (_, i) => ({ Key: `k${i}`, Value: 'v' }));
  await expectAwsError(net.elb.send(new AddTagsCommand({ ResourceArns: [arn], Tags: many })), 'TooManyTags');
  const missing = arn.replace(/[0-9a-f]{16}$/, 'ffffffffffffffff');
  await expectAwsError(
    net.elb.send(new DescribeTagsCommand({ ResourceArns: [missing] })),
    'LoadBalancerNotFound',
  );
});

test('raw requests: unknown parameters and bad types are 400 ValidationError/UnknownParameter', async (t) => {
  const p = await startPrivlink(t);
  const v = 'Version=2015-12-01';
  const opts = { service: 'elasticloadbalancing' };
  const unknown = await signedRaw(p, `Action=DescribeLoadBalancers&${v}&Bogus=1`, opts);
  assert.equal(unknown.status, 400);
  assert.match(unknown.body, /<Code>UnknownParameter<\/Code>/);
  const badType = await signedRaw(p, `Action=CreateLoadBalancer&${v}&Name=x&Type=classic`, opts);
  assert.equal(badType.status, 400);
  assert.match(badType.body, /<Code>ValidationError<\/Code>/);
  const missing = await signedRaw(p, `Action=DeleteLoadBalancer&${v}`, opts);
  assert.equal(missing.status, 400);
  assert.match(missing.body, /<Code>ValidationError<\/Code>/);
  const empty = await signedRaw(p, `Action=DescribeLoadBalancers&${v}&LoadBalancerArns=`, opts);
  assert.equal(empty.status, 200);
  assert.match(empty.body, /<DescribeLoadBalancersResult><LoadBalancers><\/LoadBalancers>/);
});
