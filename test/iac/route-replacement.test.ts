/** ReplaceRoute and ReplaceRouteTableAssociation through the real SDK, as Terraform's updates call them. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AssociateRouteTableCommand,
  CreateRouteCommand,
  CreateRouteTableCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeRouteTablesCommand,
  ReplaceRouteCommand,
  ReplaceRouteTableAssociationCommand,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import { ec2Client, startPrivlink } from '../helpers/privlink.js';

async function network(ec2: ReturnType<typeof ec2Client>) {
  const vpc = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }))).Vpc?.VpcId ?? '';
  const subnet =
    (await ec2.send(new CreateSubnetCommand({ VpcId: vpc, CidrBlock: '10.0.1.0/24' }))).Subnet?.SubnetId ??
    '';
  const eni = async () =>
    (
      await ec2.send(
        new RunInstancesCommand({
          ImageId: 'ami-0123456789abcdef0',
          MinCount: 1,
          MaxCount: 1,
          SubnetId: subnet,
        }),
      )
    ).Instances?.[0]?.NetworkInterfaces?.[0]?.NetworkInterfaceId ?? '';
  const rtb = async () =>
    (await ec2.send(new CreateRouteTableCommand({ VpcId: vpc }))).RouteTable?.RouteTableId ?? '';
  return { vpc, subnet, eni, rtb };
}

test('ReplaceRoute gives an existing route a new target; a missing route is InvalidRoute.NotFound', async (t) => {
  const p = await startPrivlink(t);
  const ec2 = ec2Client(p);
  const net = await network(ec2);
  const [rt, eniA, eniB] = [await net.rtb(), await net.eni(), await net.eni()];
  await ec2.send(
    new CreateRouteCommand({
      RouteTableId: rt,
      DestinationCidrBlock: '192.168.0.0/16',
      NetworkInterfaceId: eniA,
    }),
  );
  await ec2.send(
    new ReplaceRouteCommand({
      RouteTableId: rt,
      DestinationCidrBlock: '192.168.0.0/16',
      NetworkInterfaceId: eniB,
    }),
  );
  const routes = async () =>
    (await ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: [rt] }))).RouteTables?.[0]?.Routes ?? [];
  const route = (await routes()).find((r) => r.DestinationCidrBlock === '192.168.0.0/16');
  assert.equal(route?.NetworkInterfaceId, eniB);
  assert.equal(route?.Origin, 'CreateRoute');
  assert.equal(route?.State, 'active');

  await assert.rejects(
    ec2.send(
      new ReplaceRouteCommand({
        RouteTableId: rt,
        DestinationCidrBlock: '172.16.0.0/12',
        NetworkInterfaceId: eniA,
      }),
    ),
    (e: Error) => e.name === 'InvalidRoute.NotFound',
  );
  // A refused new target leaves the old route in place.
  await assert.rejects(
    ec2.send(
      new ReplaceRouteCommand({
        RouteTableId: rt,
        DestinationCidrBlock: '192.168.0.0/16',
        NetworkInterfaceId: 'eni-0123456789abcdef0',
      }),
    ),
    (e: Error) => e.name === 'InvalidNetworkInterfaceID.NotFound',
  );
  assert.equal(
    (await routes()).find((r) => r.DestinationCidrBlock === '192.168.0.0/16')?.NetworkInterfaceId,
    eniB,
  );
  // The local route stays local.
  await ec2.send(
    new ReplaceRouteCommand({ RouteTableId: rt, DestinationCidrBlock: '10.0.0.0/16', LocalTarget: true }),
  );
  assert.equal((await routes()).find((r) => r.DestinationCidrBlock === '10.0.0.0/16')?.GatewayId, 'local');
});

test('ReplaceRouteTableAssociation moves a subnet association and the main association under new IDs', async (t) => {
  const p = await startPrivlink(t);
  const ec2 = ec2Client(p);
  const net = await network(ec2);
  const [a, b] = [await net.rtb(), await net.rtb()];
  const assoc = (await ec2.send(new AssociateRouteTableCommand({ RouteTableId: a, SubnetId: net.subnet })))
    .AssociationId;
  const moved = await ec2.send(
    new ReplaceRouteTableAssociationCommand({ AssociationId: assoc ?? '', RouteTableId: b }),
  );
  assert.match(moved.NewAssociationId ?? '', /^rtbassoc-[0-9a-f]{17}$/);
  assert.notEqual(moved.NewAssociationId, assoc);
  assert.equal(moved.AssociationState?.State, 'associated');
  const bySubnet = await ec2.send(
    new DescribeRouteTablesCommand({ Filters: [{ Name: 'association.subnet-id', Values: [net.subnet] }] }),
  );
  assert.deepEqual(
    bySubnet.RouteTables?.map((r) => r.RouteTableId),
    [b],
  );

  const main = await ec2.send(
    new DescribeRouteTablesCommand({
      Filters: [
        { Name: 'vpc-id', Values: [net.vpc] },
        { Name: 'association.main', Values: ['true'] },
      ],
    }),
  );
  const mainAssoc = main.RouteTables?.[0]?.Associations?.find((x) => x.Main)?.RouteTableAssociationId ?? '';
  const newMain = await ec2.send(
    new ReplaceRouteTableAssociationCommand({ AssociationId: mainAssoc, RouteTableId: a }),
  );
  const nowMain = await ec2.send(
    new DescribeRouteTablesCommand({
      Filters: [
        { Name: 'vpc-id', Values: [net.vpc] },
        { Name: 'association.main', Values: ['true'] },
      ],
    }),
  );
  assert.deepEqual(
    nowMain.RouteTables?.map((r) => r.RouteTableId),
    [a],
  );
  assert.equal(
    nowMain.RouteTables?.[0]?.Associations?.find((x) => x.Main)?.RouteTableAssociationId,
    newMain.NewAssociationId,
  );
  await assert.rejects(
    ec2.send(new ReplaceRouteTableAssociationCommand({ AssociationId: mainAssoc, RouteTableId: b })),
    (e: Error) => e.name === 'InvalidAssociationID.NotFound',
  );
  const otherVpc = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.1.0.0/16' }))).Vpc?.VpcId ?? '';
  const foreign =
    (await ec2.send(new CreateRouteTableCommand({ VpcId: otherVpc }))).RouteTable?.RouteTableId ?? '';
  await assert.rejects(
    ec2.send(
      new ReplaceRouteTableAssociationCommand({
        AssociationId: moved.NewAssociationId ?? '',
        RouteTableId: foreign,
      }),
    ),
    (e: Error) => e.name === 'InvalidParameterValue',
  );
});
