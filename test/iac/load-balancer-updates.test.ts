/** ELBv2 SetSecurityGroups, SetSubnets and SetIpAddressType through the real SDK, as aws_lb updates call them. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeNetworkInterfacesCommand,
} from '@aws-sdk/client-ec2';
import {
  CreateLoadBalancerCommand,
  DescribeLoadBalancersCommand,
  SetIpAddressTypeCommand,
  SetSecurityGroupsCommand,
  SetSubnetsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { ec2Client, elbClient, startPrivlink } from '../helpers/privlink.js';

async function setup(t: Parameters<typeof startPrivlink>[0]) {
  const p = await startPrivlink(t);
  const ec2 = ec2Client(p);
  const elb = elbClient(p);
  const vpc = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }))).Vpc?.VpcId ?? '';
  const subnet = async (cidr: string, az: string) =>
    (await ec2.send(new CreateSubnetCommand({ VpcId: vpc, CidrBlock: cidr, AvailabilityZone: az }))).Subnet
      ?.SubnetId ?? '';
  const a = await subnet('10.0.1.0/24', 'us-east-1a');
  const b = await subnet('10.0.2.0/24', 'us-east-1b');
  const sg = async (name: string) =>
    (await ec2.send(new CreateSecurityGroupCommand({ VpcId: vpc, GroupName: name, Description: name })))
      .GroupId ?? '';
  return { p, ec2, elb, vpc, a, b, sg };
}

test("SetSecurityGroups swaps an NLB's groups (and its node ENIs'), never adds the first or removes the last", async (t) => {
  const { ec2, elb, a, sg } = await setup(t);
  const [g1, g2] = [await sg('one'), await sg('two')];
  const withGroups = await elb.send(
    new CreateLoadBalancerCommand({
      Name: 'with',
      Type: 'network',
      Scheme: 'internal',
      Subnets: [a],
      SecurityGroups: [g1],
    }),
  );
  const arn = withGroups.LoadBalancers?.[0]?.LoadBalancerArn ?? '';
  const res = await elb.send(
    new SetSecurityGroupsCommand({
      LoadBalancerArn: arn,
      SecurityGroups: [g2],
      EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic: 'off',
    }),
  );
  assert.deepEqual(res.SecurityGroupIds, [g2]);
  assert.equal(res.EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic, 'off');
  const lb = (await elb.send(new DescribeLoadBalancersCommand({ LoadBalancerArns: [arn] })))
    .LoadBalancers?.[0];
  assert.deepEqual(lb?.SecurityGroups, [g2]);
  assert.equal(lb?.EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic, 'off');
  const enis = await ec2.send(
    new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'description', Values: ['ELB net/with/*'] }] }),
  );
  assert.deepEqual(
    enis.NetworkInterfaces?.map((n) => n.Groups?.map((g) => g.GroupId)),
    [[g2]],
  );

  await assert.rejects(
    elb.send(new SetSecurityGroupsCommand({ LoadBalancerArn: arn, SecurityGroups: [] })),
    (e: Error) => e.name === 'InvalidConfigurationRequestException',
  );
  const without = await elb.send(
    new CreateLoadBalancerCommand({ Name: 'without', Type: 'network', Scheme: 'internal', Subnets: [a] }),
  );
  await assert.rejects(
    elb.send(
      new SetSecurityGroupsCommand({
        LoadBalancerArn: without.LoadBalancers?.[0]?.LoadBalancerArn ?? '',
        SecurityGroups: [g1],
      }),
    ),
    (e: Error) => e.name === 'InvalidConfigurationRequestException',
  );
});

test('SetSubnets adds an Availability Zone with a new node and never drops one; SetIpAddressType', async (t) => {
  const { elb, a, b } = await setup(t);
  const created = await elb.send(
    new CreateLoadBalancerCommand({ Name: 'grow', Type: 'network', Scheme: 'internal', Subnets: [a] }),
  );
  const arn = created.LoadBalancers?.[0]?.LoadBalancerArn ?? '';
  const res = await elb.send(new SetSubnetsCommand({ LoadBalancerArn: arn, Subnets: [a, b] }));
  assert.deepEqual(res.AvailabilityZones?.map((z) => z.SubnetId).sort(), [a, b].sort());
  const zones = (await elb.send(new DescribeLoadBalancersCommand({ LoadBalancerArns: [arn] })))
    .LoadBalancers?.[0]?.AvailabilityZones;
  assert.equal(zones?.length, 2);
  assert.ok(
    zones?.every((z) => /^10\.0\.[12]\.\d+$/.test(z.LoadBalancerAddresses?.[0]?.PrivateIPv4Address ?? '')),
  );
  await assert.rejects(
    elb.send(new SetSubnetsCommand({ LoadBalancerArn: arn, Subnets: [b] })),
    (e: Error) => e.name === 'InvalidConfigurationRequestException',
  );

  const ip = await elb.send(
    new SetIpAddressTypeCommand({ LoadBalancerArn: arn, IpAddressType: 'dualstack' }),
  );
  assert.equal(ip.IpAddressType, 'dualstack');
  await assert.rejects(
    elb.send(
      new SetIpAddressTypeCommand({ LoadBalancerArn: arn, IpAddressType: 'dualstack-without-public-ipv4' }),
    ),
    (e: Error) => e.name === 'InvalidConfigurationRequestException',
  );
});
