/**
 * Reads infrastructure-as-code tools make on every VPC, through the real AWS SDK v3: the
 * ClassicLink reads AWS keeps for old clients, the default network ACL, and the answer for an
 * action AWS has but privlink does not implement (UnsupportedOperation, never InvalidAction).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeNetworkAclsCommand,
  DescribeVpcClassicLinkCommand,
  DescribeVpcClassicLinkDnsSupportCommand,
  EnableVpcClassicLinkCommand,
} from '@aws-sdk/client-ec2';
import {
  CreateLoadBalancerCommand,
  DescribeCapacityReservationCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { CONSUMER, ec2Client, elbClient, signedRaw, startPrivlink } from '../helpers/privlink.js';

async function vpcWithSubnets(ec2: ReturnType<typeof ec2Client>, cidr: string) {
  const vpc = (await ec2.send(new CreateVpcCommand({ CidrBlock: cidr }))).Vpc?.VpcId ?? '';
  const subnets: string[] = [];
  for (const third of [1, 2]) {
    const base = cidr.split('.').slice(0, 2).join('.');
    const s = await ec2.send(
      new CreateSubnetCommand({
        VpcId: vpc,
        CidrBlock: `${base}.${third}.0/24`,
        AvailabilityZone: 'us-east-1a',
      }),
    );
    subnets.push(s.Subnet?.SubnetId ?? '');
  }
  return { vpc, subnets };
}

test('ClassicLink reads answer disabled for every VPC of the caller, NotFound for others', async (t) => {
  const p = await startPrivlink(t);
  const ec2 = ec2Client(p);
  const a = await vpcWithSubnets(ec2, '10.0.0.0/16');
  const b = await vpcWithSubnets(ec2, '10.1.0.0/16');

  const all = await ec2.send(new DescribeVpcClassicLinkCommand({}));
  assert.deepEqual(
    all.Vpcs?.map((v) => [v.VpcId, v.ClassicLinkEnabled]).sort(),
    [
      [a.vpc, false],
      [b.vpc, false],
    ].sort(),
  );
  const one = await ec2.send(new DescribeVpcClassicLinkCommand({ VpcIds: [a.vpc] }));
  assert.deepEqual(
    one.Vpcs?.map((v) => v.VpcId),
    [a.vpc],
  );
  const enabled = await ec2.send(
    new DescribeVpcClassicLinkCommand({ Filters: [{ Name: 'is-classic-link-enabled', Values: ['true'] }] }),
  );
  assert.deepEqual(enabled.Vpcs, []);

  const dns = await ec2.send(new DescribeVpcClassicLinkDnsSupportCommand({ VpcIds: [b.vpc] }));
  assert.deepEqual(dns.Vpcs, [{ VpcId: b.vpc, ClassicLinkDnsSupported: false }]);

  // Another account's VPC is simply unknown to this caller.
  await assert.rejects(
    ec2Client(p, { account: CONSUMER }).send(new DescribeVpcClassicLinkCommand({ VpcIds: [a.vpc] })),
    (e: Error & { $metadata?: { httpStatusCode?: number } }) =>
      e.name === 'InvalidVpcID.NotFound' && e.$metadata?.httpStatusCode === 400,
  );
  await assert.rejects(
    ec2.send(new DescribeVpcClassicLinkDnsSupportCommand({ VpcIds: ['vpc-nothex'] })),
    (e: Error) => e.name === 'InvalidVpcID.Malformed',
  );
});

test('every VPC has one default network ACL associated with all its subnets, stable across reads', async (t) => {
  const p = await startPrivlink(t);
  const ec2 = ec2Client(p);
  const a = await vpcWithSubnets(ec2, '10.0.0.0/16');
  const b = await vpcWithSubnets(ec2, '10.1.0.0/16');

  const res = await ec2.send(
    new DescribeNetworkAclsCommand({
      Filters: [
        { Name: 'vpc-id', Values: [a.vpc] },
        { Name: 'default', Values: ['true'] },
      ],
    }),
  );
  assert.equal(res.NetworkAcls?.length, 1);
  const acl = res.NetworkAcls?.[0];
  assert.match(acl?.NetworkAclId ?? '', /^acl-[0-9a-f]{17}$/);
  assert.equal(acl?.IsDefault, true);
  assert.equal(acl?.OwnerId, '111111111111');
  assert.deepEqual(acl?.Associations?.map((x) => x.SubnetId).sort(), [...a.subnets].sort());
  for (const assoc of acl?.Associations ?? []) {
    assert.match(assoc.NetworkAclAssociationId ?? '', /^aclassoc-[0-9a-f]{17}$/);
    assert.equal(assoc.NetworkAclId, acl?.NetworkAclId);
  }
  const entries = (acl?.Entries ?? []).map((e) => [
    e.Egress,
    e.RuleNumber,
    e.RuleAction,
    e.Protocol,
    e.CidrBlock,
  ]);
  assert.deepEqual(
    entries.sort(),
    [
      [false, 100, 'allow', '-1', '0.0.0.0/0'],
      [false, 32767, 'deny', '-1', '0.0.0.0/0'],
      [true, 100, 'allow', '-1', '0.0.0.0/0'],
      [true, 32767, 'deny', '-1', '0.0.0.0/0'],
    ].sort(),
  );

  const bySubnet = await ec2.send(
    new DescribeNetworkAclsCommand({
      Filters: [{ Name: 'association.subnet-id', Values: [b.subnets[0] ?? ''] }],
    }),
  );
  assert.equal(bySubnet.NetworkAcls?.length, 1);
  assert.equal(bySubnet.NetworkAcls?.[0]?.VpcId, b.vpc);
  assert.notEqual(bySubnet.NetworkAcls?.[0]?.NetworkAclId, acl?.NetworkAclId);

  const byId = await ec2.send(new DescribeNetworkAclsCommand({ NetworkAclIds: [acl?.NetworkAclId ?? ''] }));
  assert.deepEqual(byId.NetworkAcls, res.NetworkAcls);
  await assert.rejects(
    ec2.send(new DescribeNetworkAclsCommand({ NetworkAclIds: ['acl-0123456789abcdef0'] })),
    (e: Error) => e.name === 'InvalidNetworkAclID.NotFound',
  );
  const other = await ec2Client(p, { account: CONSUMER }).send(new DescribeNetworkAclsCommand({}));
  assert.deepEqual(other.NetworkAcls, []);
});

test('an action AWS has but privlink lacks answers UnsupportedOperation; a made-up one InvalidAction', async (t) => {
  const p = await startPrivlink(t);
  const ec2 = ec2Client(p);
  const { vpc } = await vpcWithSubnets(ec2, '10.0.0.0/16');
  await assert.rejects(
    ec2.send(new EnableVpcClassicLinkCommand({ VpcId: vpc })),
    (e: Error & { $metadata?: { httpStatusCode?: number } }) =>
      e.name === 'UnsupportedOperation' && e.$metadata?.httpStatusCode === 400,
  );
  const madeUp = await signedRaw(p, 'Action=DescribeUnicorns&Version=2016-11-15');
  assert.equal(madeUp.status, 400);
  assert.match(madeUp.body, /<Code>InvalidAction<\/Code>/);
  const elb = await signedRaw(p, 'Action=ModifyIpPools&Version=2015-12-01', {
    service: 'elasticloadbalancing',
  });
  assert.match(elb.body, /<Code>UnsupportedOperation<\/Code>/);
});

test('DescribeCapacityReservation answers a load balancer without a reservation; an unknown one is LoadBalancerNotFound', async (t) => {
  const p = await startPrivlink(t);
  const ec2 = ec2Client(p);
  const { subnets } = await vpcWithSubnets(ec2, '10.0.0.0/16');
  const elb = elbClient(p);
  const lb = await elb.send(
    new CreateLoadBalancerCommand({
      Name: 'cap',
      Type: 'network',
      Scheme: 'internal',
      Subnets: subnets.slice(0, 1),
    }),
  );
  const arn = lb.LoadBalancers?.[0]?.LoadBalancerArn ?? '';
  const res = await elb.send(new DescribeCapacityReservationCommand({ LoadBalancerArn: arn }));
  assert.deepEqual(res.CapacityReservationState, []);
  assert.equal(res.MinimumLoadBalancerCapacity, undefined);
  await assert.rejects(
    elb.send(
      new DescribeCapacityReservationCommand({
        LoadBalancerArn: arn.replace(/[0-9a-f]{16}$/, '0123456789abcdef'),
      }),
    ),
    (e: Error) => e.name === 'LoadBalancerNotFoundException' || e.name === 'LoadBalancerNotFound',
  );
});
