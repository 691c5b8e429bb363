/** ModifySubnetAttribute through the real SDK: one attribute per call, shown at once by DescribeSubnets. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeSubnetsCommand,
  ModifySubnetAttributeCommand,
} from '@aws-sdk/client-ec2';
import { CONSUMER, ec2Client, startPrivlink } from '../helpers/privlink.js';

test('ModifySubnetAttribute changes one attribute per call and DescribeSubnets shows it', async (t) => {
  const p = await startPrivlink(t);
  const ec2 = ec2Client(p);
  const vpc = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }))).Vpc?.VpcId ?? '';
  const subnet =
    (await ec2.send(new CreateSubnetCommand({ VpcId: vpc, CidrBlock: '10.0.1.0/24' }))).Subnet?.SubnetId ??
    '';
  const read = async () => (await ec2.send(new DescribeSubnetsCommand({ SubnetIds: [subnet] }))).Subnets?.[0];

  assert.equal((await read())?.MapPublicIpOnLaunch, false);
  await ec2.send(
    new ModifySubnetAttributeCommand({ SubnetId: subnet, MapPublicIpOnLaunch: { Value: true } }),
  );
  assert.equal((await read())?.MapPublicIpOnLaunch, true);
  const filtered = await ec2.send(
    new DescribeSubnetsCommand({ Filters: [{ Name: 'map-public-ip-on-launch', Values: ['true'] }] }),
  );
  assert.deepEqual(
    filtered.Subnets?.map((s) => s.SubnetId),
    [subnet],
  );

  await ec2.send(
    new ModifySubnetAttributeCommand({ SubnetId: subnet, PrivateDnsHostnameTypeOnLaunch: 'resource-name' }),
  );
  await ec2.send(
    new ModifySubnetAttributeCommand({
      SubnetId: subnet,
      EnableResourceNameDnsARecordOnLaunch: { Value: true },
    }),
  );
  const after = await read();
  assert.equal(after?.PrivateDnsNameOptionsOnLaunch?.HostnameType, 'resource-name');
  assert.equal(after?.PrivateDnsNameOptionsOnLaunch?.EnableResourceNameDnsARecord, true);
  assert.equal(after?.MapPublicIpOnLaunch, true);

  // Turning an IPv6 attribute off is a no-op; on is unsupported (privlink has no IPv6 CIDRs).
  await ec2.send(
    new ModifySubnetAttributeCommand({ SubnetId: subnet, AssignIpv6AddressOnCreation: { Value: false } }),
  );
  const rejects = (input: ConstructorParameters<typeof ModifySubnetAttributeCommand>[0], code: string) =>
    assert.rejects(ec2.send(new ModifySubnetAttributeCommand(input)), (e: Error) => e.name === code);
  await rejects({ SubnetId: subnet, AssignIpv6AddressOnCreation: { Value: true } }, 'UnsupportedOperation');
  await rejects(
    { SubnetId: subnet, MapPublicIpOnLaunch: { Value: false }, EnableDns64: { Value: false } },
    'InvalidParameterCombination',
  );
  await rejects({ SubnetId: subnet }, 'MissingParameter');
  await rejects(
    { SubnetId: subnet, PrivateDnsHostnameTypeOnLaunch: 'fqdn' as never },
    'InvalidParameterValue',
  );
  await rejects(
    { SubnetId: 'subnet-0123456789abcdef0', MapPublicIpOnLaunch: { Value: true } },
    'InvalidSubnetID.NotFound',
  );
  await assert.rejects(
    ec2Client(p, { account: CONSUMER }).send(
      new ModifySubnetAttributeCommand({ SubnetId: subnet, MapPublicIpOnLaunch: { Value: false } }),
    ),
    (e: Error) => e.name === 'InvalidSubnetID.NotFound',
  );
  // Failed calls changed nothing.
  assert.equal((await read())?.MapPublicIpOnLaunch, true);
});

test('CreateVpc refuses the ranges AWS restricts (link-local, multicast, this-network)', async (t) => {
  const p = await startPrivlink(t);
  const ec2 = ec2Client(p);
  for (const cidr of ['169.254.0.0/16', '169.254.128.0/20', '224.0.0.0/16', '0.0.0.0/16']) {
    await assert.rejects(
      ec2.send(new CreateVpcCommand({ CidrBlock: cidr })),
      (e: Error) => e.name === 'InvalidVpcRange' && /restricted/.test(e.message),
      cidr,
    );
  }
  // Every other range AWS allows, including the shared address space, is fine.
  for (const cidr of ['100.64.0.0/16', '198.19.0.0/16', '10.0.0.0/16']) {
    await ec2.send(new CreateVpcCommand({ CidrBlock: cidr }));
  }
});
