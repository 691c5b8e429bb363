/**
 * Security groups and rules, route tables and routes, and DescribeNetworkInterfaces through the
 * real @aws-sdk/client-ec2.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AssociateRouteTableCommand,
  AuthorizeSecurityGroupEgressCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateRouteCommand,
  CreateRouteTableCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DeleteRouteCommand,
  DeleteRouteTableCommand,
  DeleteSecurityGroupCommand,
  DeleteSubnetCommand,
  DeleteVpcCommand,
  DescribeNetworkInterfacesCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupRulesCommand,
  DescribeSecurityGroupsCommand,
  DisassociateRouteTableCommand,
  RevokeSecurityGroupEgressCommand,
  RevokeSecurityGroupIngressCommand,
  type EC2Client,
  type IpPermission,
} from '@aws-sdk/client-ec2';
import { CONSUMER, ec2Client, expectAwsError, signedRaw, startPrivlink } from '../helpers/privlink.js';
import { createNetworkInterface } from '../../src/control/network/addresses.js';
import type { Privlink } from '../../src/emulator.js';

async function network(ec2: EC2Client) {
  const v = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
  const vpcId = v.Vpc?.VpcId ?? '';
  const sn = await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.0.1.0/24' }));
  return { vpcId, subnetId: sn.Subnet?.SubnetId ?? '' };
}

function addEni(p: Privlink, subnetId: string, groupIds: string[], description: string) {
  return p.store.transaction(() => {
    const subnet = p.store.find('subnet', subnetId);
    assert.ok(subnet);
    return createNetworkInterface(p.control, {
      subnet,
      interfaceType: 'vpc_endpoint',
      description,
      requesterManaged: true,
      requesterId: '727180483921',
      groupIds,
    });
  });
}

test('security groups: create, duplicate, reserved, default rules, delete', async (t) => {
  const p = await startPrivlink(t);
  const ec2 = ec2Client(p);
  const { vpcId, subnetId } = await network(ec2);
  const sg = await ec2.send(
    new CreateSecurityGroupCommand({
      VpcId: vpcId,
      GroupName: 'web',
      Description: 'web tier',
      TagSpecifications: [{ ResourceType: 'security-group', Tags: [{ Key: 'Name', Value: 'web' }] }],
    }),
  );
  const groupId = sg.GroupId ?? '';
  assert.match(groupId, /^sg-[0-9a-f]{17}$/);
  assert.equal(sg.SecurityGroupArn, `arn:aws:ec2:us-east-1:111111111111:security-group/${groupId}`);
  await expectAwsError(
    ec2.send(new CreateSecurityGroupCommand({ VpcId: vpcId, GroupName: 'web', Description: 'again' })),
    'InvalidGroup.Duplicate',
  );
  await expectAwsError(
    ec2.send(new CreateSecurityGroupCommand({ VpcId: vpcId, GroupName: 'default', Description: 'x' })),
    'InvalidGroup.Reserved',
  );
  await expectAwsError(
    ec2.send(new CreateSecurityGroupCommand({ GroupName: 'novpc', Description: 'x' })),
    'VPCIdNotSpecified',
  );
  const described = await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [groupId] }));
  const g = described.SecurityGroups?.[0];
  assert.equal(g?.Description, 'web tier');
  assert.deepEqual(g?.IpPermissions, []);
  assert.equal(g?.IpPermissionsEgress?.[0]?.IpProtocol, '-1');
  assert.deepEqual(g?.Tags, [{ Key: 'Name', Value: 'web' }]);
  const byName = await ec2.send(new DescribeSecurityGroupsCommand({ GroupNames: ['web'] }));
  assert.equal(byName.SecurityGroups?.[0]?.GroupId, groupId);

  const def = await ec2.send(
    new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-name', Values: ['default'] }] }),
  );
  const defId = def.SecurityGroups?.[0]?.GroupId ?? '';
  await expectAwsError(ec2.send(new DeleteSecurityGroupCommand({ GroupId: defId })), 'CannotDelete');

  // In use by an ENI → DependencyViolation; once the ENI is gone the group deletes.
  const eni = addEni(p, subnetId, [groupId], 'VPC Endpoint Interface vpce-0123456789abcdef0');
  await expectAwsError(ec2.send(new DeleteSecurityGroupCommand({ GroupId: groupId })), 'DependencyViolation');
  p.store.transaction(() => p.store.delete('networkInterface', eni.id));
  await expectAwsError(
    ec2.send(new DeleteSecurityGroupCommand({ GroupId: groupId, DryRun: true })),
    'DryRunOperation',
    412,
  );
  const del = await ec2.send(new DeleteSecurityGroupCommand({ GroupId: groupId }));
  assert.equal(del.GroupId, groupId);
  await expectAwsError(
    ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [groupId] })),
    'InvalidGroup.NotFound',
  );
  await expectAwsError(
    ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: ['sg-bad'] })),
    'InvalidGroupId.Malformed',
  );
  const consumer = ec2Client(p, { account: CONSUMER });
  await expectAwsError(
    consumer.send(new DeleteSecurityGroupCommand({ GroupId: defId })),
    'InvalidGroup.NotFound',
  );
});

test('authorize and revoke rules in both wire forms', async (t) => {
  const p = await startPrivlink(t);
  const ec2 = ec2Client(p);
  const { vpcId } = await network(ec2);
  const a = await ec2.send(
    new CreateSecurityGroupCommand({ VpcId: vpcId, GroupName: 'a', Description: 'a' }),
  );
  const b = await ec2.send(
    new CreateSecurityGroupCommand({ VpcId: vpcId, GroupName: 'b', Description: 'b' }),
  );
  const groupId = a.GroupId ?? '';
  const out = await ec2.send(
    new AuthorizeSecurityGroupIngressCommand({
      GroupId: groupId,
      IpPermissions: [
        {
          IpProtocol: 'tcp',
          FromPort: 443,
          ToPort: 443,
          IpRanges: [{ CidrIp: '10.0.0.0/16', Description: 'vpc' }, { CidrIp: '192.168.0.0/24' }],
          UserIdGroupPairs: [{ GroupId: b.GroupId }],
        },
      ],
    }),
  );
  assert.equal(out.Return, true);
  assert.equal(out.SecurityGroupRules?.length, 3);
  assert.match(out.SecurityGroupRules?.[0]?.SecurityGroupRuleId ?? '', /^sgr-[0-9a-f]{17}$/);
  assert.equal(out.SecurityGroupRules?.[0]?.CidrIpv4, '10.0.0.0/16');
  assert.equal(out.SecurityGroupRules?.[0]?.Description, 'vpc');
  assert.equal(out.SecurityGroupRules?.[2]?.ReferencedGroupInfo?.GroupId, b.GroupId);
  assert.equal(out.SecurityGroupRules?.[0]?.IsEgress, false);

  // Legacy flat form; protocol number 6 is tcp.
  await ec2.send(
    new AuthorizeSecurityGroupIngressCommand({
      GroupId: groupId,
      IpProtocol: '6',
      FromPort: 22,
      ToPort: 22,
      CidrIp: '0.0.0.0/0',
    }),
  );
  const authorize = (perm: IpPermission) =>
    ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: groupId, IpPermissions: [perm] }));
  const ssh22 = { IpProtocol: 'tcp', FromPort: 22, ToPort: 22 };
  await expectAwsError(
    authorize({ ...ssh22, IpRanges: [{ CidrIp: '0.0.0.0/0', Description: 'd' }] }),
    'InvalidPermission.Duplicate',
  );
  await expectAwsError(
    authorize({ ...ssh22, UserIdGroupPairs: [{ GroupId: 'sg-0123456789abcdef0' }] }),
    'InvalidGroup.NotFound',
  );
  await expectAwsError(
    authorize({ IpProtocol: 'tcp', IpRanges: [{ CidrIp: '1.2.3.0/24' }] }),
    'InvalidParameterValue',
  );
  await expectAwsError(
    authorize({ IpProtocol: 'tcp', FromPort: 1, ToPort: 2, IpRanges: [{ CidrIp: '1.2.3.4/24' }] }),
    'InvalidParameterValue',
  );

  const g = (await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [groupId] }))).SecurityGroups?.[0];
  const https = g?.IpPermissions?.find((x) => x.FromPort === 443);
  assert.deepEqual(
    https?.IpRanges?.map((r) => r.CidrIp),
    ['10.0.0.0/16', '192.168.0.0/24'],
  );
  assert.equal(https?.UserIdGroupPairs?.[0]?.UserId, '111111111111');
  const ssh = g?.IpPermissions?.find((x) => x.FromPort === 22);
  assert.equal(ssh?.IpProtocol, 'tcp');

  const rules = await ec2.send(
    new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [groupId] }] }),
  );
  assert.equal(rules.SecurityGroupRules?.length, 5); // 4 ingress + default egress
  const page = await ec2.send(
    new DescribeSecurityGroupRulesCommand({
      Filters: [{ Name: 'group-id', Values: [groupId] }],
      MaxResults: 5,
    }),
  );
  assert.equal(page.NextToken, undefined);
  const sgFilter = await ec2.send(
    new DescribeSecurityGroupsCommand({
      Filters: [{ Name: 'ip-permission.cidr', Values: ['192.168.0.0/24'] }],
    }),
  );
  assert.deepEqual(
    sgFilter.SecurityGroups?.map((x) => x.GroupId),
    [groupId],
  );

  // Revoke by rule and by ID.
  const rev = await ec2.send(
    new RevokeSecurityGroupIngressCommand({
      GroupId: groupId,
      IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
    }),
  );
  assert.equal(rev.Return, true);
  assert.equal(rev.RevokedSecurityGroupRules?.length, 1);
  await expectAwsError(
    ec2.send(
      new RevokeSecurityGroupIngressCommand({
        GroupId: groupId,
        IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
      }),
    ),
    'InvalidPermission.NotFound',
  );
  const ruleId = out.SecurityGroupRules?.[1]?.SecurityGroupRuleId ?? '';
  await ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: groupId, SecurityGroupRuleIds: [ruleId] }));
  await expectAwsError(
    ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: groupId, SecurityGroupRuleIds: [ruleId] })),
    'InvalidSecurityGroupRuleId.NotFound',
  );

  // Egress: revoke the default all-traffic rule, add a narrow one.
  await ec2.send(
    new RevokeSecurityGroupEgressCommand({
      GroupId: groupId,
      IpPermissions: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
    }),
  );
  const eg = await ec2.send(
    new AuthorizeSecurityGroupEgressCommand({
      GroupId: groupId,
      IpPermissions: [
        { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, PrefixListIds: [{ PrefixListId: 'pl-63a5400a' }] },
      ],
    }),
  );
  assert.equal(eg.SecurityGroupRules?.[0]?.IsEgress, true);
  assert.equal(eg.SecurityGroupRules?.[0]?.PrefixListId, 'pl-63a5400a');
  const after = (await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [groupId] })))
    .SecurityGroups?.[0];
  assert.deepEqual(
    after?.IpPermissionsEgress?.map((x) => [x.IpProtocol, x.FromPort, x.PrefixListIds?.[0]?.PrefixListId]),
    [['tcp', 443, 'pl-63a5400a']],
  );

  // b is referenced by a's rule: cannot be deleted until the rule goes.
  await expectAwsError(
    ec2.send(new DeleteSecurityGroupCommand({ GroupId: b.GroupId })),
    'DependencyViolation',
  );
});

test('route tables: associations, routes, deletion rules', async (t) => {
  const p = await startPrivlink(t);
  const ec2 = ec2Client(p);
  const { vpcId, subnetId } = await network(ec2);
  const created = await ec2.send(
    new CreateRouteTableCommand({
      VpcId: vpcId,
      TagSpecifications: [{ ResourceType: 'route-table', Tags: [{ Key: 'Name', Value: 'private' }] }],
    }),
  );
  const rtbId = created.RouteTable?.RouteTableId ?? '';
  assert.match(rtbId, /^rtb-[0-9a-f]{17}$/);
  assert.deepEqual(created.RouteTable?.Associations, []);
  assert.equal(created.RouteTable?.Routes?.[0]?.GatewayId, 'local');

  const assoc = await ec2.send(new AssociateRouteTableCommand({ RouteTableId: rtbId, SubnetId: subnetId }));
  assert.match(assoc.AssociationId ?? '', /^rtbassoc-[0-9a-f]{17}$/);
  assert.equal(assoc.AssociationState?.State, 'associated');
  await expectAwsError(
    ec2.send(new AssociateRouteTableCommand({ RouteTableId: rtbId, SubnetId: subnetId })),
    'Resource.AlreadyAssociated',
  );
  const bySubnet = await ec2.send(
    new DescribeRouteTablesCommand({ Filters: [{ Name: 'association.subnet-id', Values: [subnetId] }] }),
  );
  assert.deepEqual(
    bySubnet.RouteTables?.map((r) => r.RouteTableId),
    [rtbId],
  );
  await expectAwsError(ec2.send(new DeleteRouteTableCommand({ RouteTableId: rtbId })), 'DependencyViolation');
  const main = await ec2.send(
    new DescribeRouteTablesCommand({ Filters: [{ Name: 'association.main', Values: ['true'] }] }),
  );
  const mainId = main.RouteTables?.[0]?.RouteTableId ?? '';
  await expectAwsError(
    ec2.send(new DeleteRouteTableCommand({ RouteTableId: mainId })),
    'DependencyViolation',
  );
  const mainAssoc = main.RouteTables?.[0]?.Associations?.[0]?.RouteTableAssociationId ?? '';
  await expectAwsError(
    ec2.send(new DisassociateRouteTableCommand({ AssociationId: mainAssoc })),
    'InvalidParameterValue',
  );

  await ec2.send(
    new CreateRouteCommand({
      RouteTableId: rtbId,
      DestinationCidrBlock: '0.0.0.0/0',
      GatewayId: 'igw-0123456789abcdef0',
    }),
  );
  await expectAwsError(
    ec2.send(
      new CreateRouteCommand({
        RouteTableId: rtbId,
        DestinationCidrBlock: '0.0.0.0/0',
        GatewayId: 'igw-0123456789abcdef0',
      }),
    ),
    'RouteAlreadyExists',
  );
  await expectAwsError(
    ec2.send(
      new CreateRouteCommand({
        RouteTableId: rtbId,
        DestinationPrefixListId: 'pl-63a5400a',
        GatewayId: 'vpce-0123456789abcdef0',
      }),
    ),
    'InvalidParameterValue',
  );
  await expectAwsError(
    ec2.send(
      new CreateRouteCommand({
        RouteTableId: rtbId,
        DestinationCidrBlock: '1.0.0.0/8',
        VpcEndpointId: 'vpce-0123456789abcdef0',
      }),
    ),
    'InvalidVpcEndpointId.NotFound',
  );
  const eni = addEni(p, subnetId, [], 'appliance');
  await ec2.send(
    new CreateRouteCommand({
      RouteTableId: rtbId,
      DestinationCidrBlock: '172.16.0.0/12',
      NetworkInterfaceId: eni.id,
    }),
  );
  const rt = (await ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: [rtbId] }))).RouteTables?.[0];
  assert.deepEqual(
    rt?.Routes?.map((r) => [r.DestinationCidrBlock, r.GatewayId ?? r.NetworkInterfaceId, r.Origin, r.State]),
    [
      ['10.0.0.0/16', 'local', 'CreateRouteTable', 'active'],
      ['0.0.0.0/0', 'igw-0123456789abcdef0', 'CreateRoute', 'active'],
      ['172.16.0.0/12', eni.id, 'CreateRoute', 'active'],
    ],
  );
  assert.deepEqual(rt?.Tags, [{ Key: 'Name', Value: 'private' }]);
  await expectAwsError(
    ec2.send(new DeleteRouteCommand({ RouteTableId: rtbId, DestinationCidrBlock: '10.0.0.0/16' })),
    'InvalidParameterValue',
  );
  await ec2.send(new DeleteRouteCommand({ RouteTableId: rtbId, DestinationCidrBlock: '0.0.0.0/0' }));
  await expectAwsError(
    ec2.send(new DeleteRouteCommand({ RouteTableId: rtbId, DestinationCidrBlock: '0.0.0.0/0' })),
    'InvalidRoute.NotFound',
  );

  // Gateway-endpoint routes (written by the endpoint service) show and cannot be deleted directly.
  p.store.transaction(() => {
    const stored = p.store.find('routeTable', rtbId);
    assert.ok(stored);
    p.store.put('routeTable', {
      ...stored,
      routes: [
        ...stored.routes,
        {
          destinationPrefixListId: 'pl-63a5400a',
          gatewayId: 'vpce-0123456789abcdef0',
          origin: 'CreateRoute',
          state: 'active',
        },
      ],
    });
  });
  const withGw = (await ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: [rtbId] })))
    .RouteTables?.[0];
  const gwRoute = withGw?.Routes?.find((r) => r.DestinationPrefixListId === 'pl-63a5400a');
  assert.equal(gwRoute?.GatewayId, 'vpce-0123456789abcdef0');
  await expectAwsError(
    ec2.send(new DeleteRouteCommand({ RouteTableId: rtbId, DestinationPrefixListId: 'pl-63a5400a' })),
    'InvalidParameterValue',
  );

  await ec2.send(new DisassociateRouteTableCommand({ AssociationId: assoc.AssociationId }));
  await expectAwsError(
    ec2.send(new DisassociateRouteTableCommand({ AssociationId: assoc.AssociationId })),
    'InvalidAssociationID.NotFound',
  );
  await ec2.send(new DeleteRouteTableCommand({ RouteTableId: rtbId }));
  await expectAwsError(
    ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: [rtbId] })),
    'InvalidRouteTableID.NotFound',
  );
  p.store.transaction(() => p.store.delete('networkInterface', eni.id));
  await ec2.send(new DeleteSubnetCommand({ SubnetId: subnetId }));
  await ec2.send(new DeleteVpcCommand({ VpcId: vpcId }));
});

test('CreateRouteTable is idempotent per ClientToken', async (t) => {
  const p = await startPrivlink(t);
  const ec2 = ec2Client(p);
  const { vpcId } = await network(ec2);
  const a = await ec2.send(new CreateRouteTableCommand({ VpcId: vpcId, ClientToken: 'tok-1' }));
  const b = await ec2.send(new CreateRouteTableCommand({ VpcId: vpcId, ClientToken: 'tok-1' }));
  assert.equal(a.RouteTable?.RouteTableId, b.RouteTable?.RouteTableId);
  assert.equal(b.ClientToken, 'tok-1');
});

test('DescribeNetworkInterfaces shows endpoint ENIs with filters', async (t) => {
  const p = await startPrivlink(t);
  const ec2 = ec2Client(p);
  const { vpcId, subnetId } = await network(ec2);
  const sg = await ec2.send(
    new CreateSecurityGroupCommand({ VpcId: vpcId, GroupName: 'ep', Description: 'ep' }),
  );
  const eni = addEni(p, subnetId, [sg.GroupId ?? ''], 'VPC Endpoint Interface vpce-0123456789abcdef0');
  const out = await ec2.send(new DescribeNetworkInterfacesCommand({}));
  assert.equal(out.NetworkInterfaces?.length, 1);
  const n = out.NetworkInterfaces?.[0];
  assert.equal(n?.NetworkInterfaceId, eni.id);
  assert.equal(n?.InterfaceType, 'vpc_endpoint');
  assert.equal(n?.RequesterManaged, true);
  assert.equal(n?.Status, 'in-use');
  assert.equal(n?.Description, 'VPC Endpoint Interface vpce-0123456789abcdef0');
  assert.equal(n?.PrivateIpAddress, eni.privateIpAddress);
  assert.equal(n?.Groups?.[0]?.GroupName, 'ep');
  assert.equal(n?.AvailabilityZone, 'us-east-1a');
  assert.equal(n?.PrivateIpAddresses?.[0]?.Primary, true);
  assert.match(n?.PrivateDnsName ?? '', /^ip-10-0-1-\d+\.ec2\.internal$/);

  for (const [name, value] of [
    ['interface-type', 'vpc_endpoint'],
    ['vpc-id', vpcId],
    ['subnet-id', subnetId],
    ['requester-managed', 'true'],
    ['description', 'VPC Endpoint Interface *'],
    ['addresses.private-ip-address', eni.privateIpAddress],
    ['group-id', sg.GroupId ?? ''],
    ['availability-zone', 'us-east-1a'],
    ['status', 'in-use'],
  ] as const) {
    const r = await ec2.send(
      new DescribeNetworkInterfacesCommand({ Filters: [{ Name: name, Values: [value] }] }),
    );
    assert.equal(r.NetworkInterfaces?.length, 1, name);
  }
  const none = await ec2.send(
    new DescribeNetworkInterfacesCommand({
      Filters: [{ Name: 'interface-type', Values: ['network_load_balancer'] }],
    }),
  );
  assert.equal(none.NetworkInterfaces?.length, 0);
  await expectAwsError(
    ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: ['eni-0123456789abcdef0'] })),
    'InvalidNetworkInterfaceID.NotFound',
  );
  const consumer = ec2Client(p, { account: CONSUMER });
  assert.equal((await consumer.send(new DescribeNetworkInterfacesCommand({}))).NetworkInterfaces?.length, 0);
  const raw = await signedRaw(
    p,
    'Action=DescribeNetworkInterfaces&Version=2016-11-15&NetworkInterfaceId=eni-1',
  );
  assert.equal(raw.status, 400);
});
