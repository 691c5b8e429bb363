/**
 * Terraform's network resources and data sources replayed with the AWS SDK, one privlink for
 * the file: aws_vpc (ec2/vpc_.go), aws_subnet (vpc_subnet.go), aws_security_group
 * (vpc_security_group.go), aws_vpc_security_group_ingress_rule, aws_security_group_rule,
 * aws_route_table, aws_route_table_association, aws_route, and the data sources aws_prefix_list,
 * aws_availability_zones, aws_caller_identity. Each phase's calls must equal scripts/iac-calls.ts;
 * the fields asserted are the ones the provider's read copies into state.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AssociateRouteTableCommand,
  AuthorizeSecurityGroupEgressCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateRouteCommand,
  CreateRouteTableCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateTagsCommand,
  CreateVpcCommand,
  DeleteRouteCommand,
  DeleteRouteTableCommand,
  DeleteSecurityGroupCommand,
  DeleteSubnetCommand,
  DeleteTagsCommand,
  DeleteVpcCommand,
  DescribeAvailabilityZonesCommand,
  DescribeNetworkAclsCommand,
  DescribeNetworkInterfacesCommand,
  DescribePrefixListsCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupRulesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVpcAttributeCommand,
  DescribeVpcsCommand,
  DisassociateRouteTableCommand,
  ModifySecurityGroupRulesCommand,
  ModifySubnetAttributeCommand,
  ModifyVpcAttributeCommand,
  ReplaceRouteCommand,
  ReplaceRouteTableAssociationCommand,
  RevokeSecurityGroupEgressCommand,
  RevokeSecurityGroupIngressCommand,
  UpdateSecurityGroupRuleDescriptionsIngressCommand,
  type RouteTable,
  type VpcAttributeName,
} from '@aws-sdk/client-ec2';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { PROVIDER, startPrivlink } from '../../helpers/privlink.js';
import { phase, recordedClients, waitFor } from './replay.js';

const p = await startPrivlink({ after });
const { ec2, sts, calls } = recordedClients(p);
const shared = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.20.0.0/16' }));
const VPC = shared.Vpc?.VpcId ?? '';
let nextSubnet = 1;
async function newSubnet(): Promise<string> {
  const s = await ec2.send(
    new CreateSubnetCommand({
      VpcId: VPC,
      CidrBlock: `10.20.${nextSubnet++}.0/24`,
      AvailabilityZone: 'us-east-1a',
    }),
  );
  return s.Subnet?.SubnetId ?? '';
}
const IGW1 = 'igw-0123456789abcdef0';
const IGW2 = 'igw-0fedcba9876543210';

test('aws_vpc', async () => {
  const N = 'aws_vpc';
  const id = await phase(calls, N, 'create', async () => {
    const out = await ec2.send(
      new CreateVpcCommand({
        CidrBlock: '10.30.0.0/16',
        InstanceTenancy: 'default',
        AmazonProvidedIpv6CidrBlock: false,
        TagSpecifications: [{ ResourceType: 'vpc', Tags: [{ Key: 'Name', Value: 'main' }] }],
      }),
    );
    const vpcId = out.Vpc?.VpcId ?? '';
    await waitFor(
      () => ec2.send(new DescribeVpcsCommand({ VpcIds: [vpcId] })),
      (r) => r.Vpcs?.[0]?.State === 'available',
    );
    await ec2.send(new ModifyVpcAttributeCommand({ VpcId: vpcId, EnableDnsHostnames: { Value: true } }));
    await waitFor(
      () => ec2.send(new DescribeVpcAttributeCommand({ VpcId: vpcId, Attribute: 'enableDnsHostnames' })),
      (r) => r.EnableDnsHostnames?.Value === true,
    );
    return vpcId;
  });
  const read = () =>
    phase(calls, N, 'read', async () => {
      const vpc = (await ec2.send(new DescribeVpcsCommand({ VpcIds: [id] }))).Vpcs?.[0];
      const attr = (Attribute: VpcAttributeName) =>
        ec2.send(new DescribeVpcAttributeCommand({ VpcId: id, Attribute }));
      const hostnames = (await attr('enableDnsHostnames')).EnableDnsHostnames?.Value;
      const support = (await attr('enableDnsSupport')).EnableDnsSupport?.Value;
      const nau = (await attr('enableNetworkAddressUsageMetrics')).EnableNetworkAddressUsageMetrics?.Value;
      const vpcFilter = { Name: 'vpc-id', Values: [id] };
      const acl = await ec2.send(
        new DescribeNetworkAclsCommand({ Filters: [{ Name: 'default', Values: ['true'] }, vpcFilter] }),
      );
      const main = await ec2.send(
        new DescribeRouteTablesCommand({
          Filters: [{ Name: 'association.main', Values: ['true'] }, vpcFilter],
        }),
      );
      const sg = await ec2.send(
        new DescribeSecurityGroupsCommand({
          Filters: [{ Name: 'group-name', Values: ['default'] }, vpcFilter],
        }),
      );
      return {
        cidr: vpc?.CidrBlock,
        dhcp: vpc?.DhcpOptionsId,
        tenancy: vpc?.InstanceTenancy,
        owner: vpc?.OwnerId,
        ipv6: vpc?.Ipv6CidrBlockAssociationSet ?? [],
        tags: vpc?.Tags,
        hostnames,
        support,
        nau,
        acl: acl.NetworkAcls?.map((a) => a.NetworkAclId),
        main: main.RouteTables?.map((r) => r.RouteTableId),
        sg: sg.SecurityGroups?.map((g) => g.GroupId),
      };
    });
  const state = await read();
  assert.equal(state.cidr, '10.30.0.0/16');
  assert.ok(state.dhcp);
  assert.equal(state.tenancy, 'default');
  assert.equal(state.owner, PROVIDER);
  assert.deepEqual(state.ipv6, []);
  assert.deepEqual(state.tags, [{ Key: 'Name', Value: 'main' }]);
  assert.deepEqual([state.hostnames, state.support, state.nau], [true, true, false]);
  for (const one of [state.acl, state.main, state.sg]) assert.equal(one?.length, 1);
  assert.deepEqual(await read(), state, 'the plan-refresh read sees no change');
  await phase(calls, N, 'update', async () => {
    await ec2.send(new ModifyVpcAttributeCommand({ VpcId: id, EnableDnsHostnames: { Value: false } }));
    await waitFor(
      () => ec2.send(new DescribeVpcAttributeCommand({ VpcId: id, Attribute: 'enableDnsHostnames' })),
      (r) => r.EnableDnsHostnames?.Value === false,
    );
    await ec2.send(new CreateTagsCommand({ Resources: [id], Tags: [{ Key: 'env', Value: 'test' }] }));
  });
  assert.equal((await read()).hostnames, false);
  await phase(calls, N, 'delete', async () => {
    await ec2.send(new DeleteVpcCommand({ VpcId: id }));
    await assert.rejects(ec2.send(new DescribeVpcsCommand({ VpcIds: [id] })), {
      name: 'InvalidVpcID.NotFound',
    });
  });
});

test('aws_subnet', async () => {
  const N = 'aws_subnet';
  const wait = (id: string, want: boolean) =>
    waitFor(
      () => ec2.send(new DescribeSubnetsCommand({ SubnetIds: [id] })),
      (r) => r.Subnets?.[0]?.State === 'available' && r.Subnets[0].MapPublicIpOnLaunch === want,
    );
  const id = await phase(calls, N, 'create', async () => {
    const out = await ec2.send(
      new CreateSubnetCommand({
        VpcId: VPC,
        CidrBlock: '10.20.100.0/24',
        AvailabilityZone: 'us-east-1a',
        TagSpecifications: [{ ResourceType: 'subnet', Tags: [{ Key: 'Name', Value: 'public' }] }],
      }),
    );
    const sid = out.Subnet?.SubnetId ?? '';
    await wait(sid, false);
    await ec2.send(new ModifySubnetAttributeCommand({ SubnetId: sid, MapPublicIpOnLaunch: { Value: true } }));
    await wait(sid, true);
    return sid;
  });
  const read = () =>
    phase(
      calls,
      N,
      'read',
      async () => (await ec2.send(new DescribeSubnetsCommand({ SubnetIds: [id] }))).Subnets?.[0],
    );
  const s = await read();
  assert.match(s?.SubnetArn ?? '', /^arn:aws:ec2:us-east-1:\d{12}:subnet\/subnet-/);
  assert.equal(s?.MapPublicIpOnLaunch, true);
  assert.equal(s?.AssignIpv6AddressOnCreation, false);
  assert.equal(s?.EnableDns64, false);
  assert.equal(s?.Ipv6Native, false);
  assert.equal(s?.MapCustomerOwnedIpOnLaunch, false);
  assert.equal(s?.AvailabilityZone, 'us-east-1a');
  assert.ok(s?.AvailabilityZoneId);
  assert.equal(s?.CidrBlock, '10.20.100.0/24');
  assert.equal(s?.VpcId, VPC);
  assert.equal(s?.PrivateDnsNameOptionsOnLaunch?.HostnameType, 'ip-name');
  assert.deepEqual(s?.Tags, [{ Key: 'Name', Value: 'public' }]);
  assert.deepEqual(await read(), s);
  await phase(calls, N, 'update', async () => {
    await ec2.send(new ModifySubnetAttributeCommand({ SubnetId: id, MapPublicIpOnLaunch: { Value: false } }));
    await wait(id, false);
  });
  await phase(calls, N, 'delete', async () => {
    const enis = await ec2.send(
      new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'subnet-id', Values: [id] }] }),
    );
    assert.deepEqual(enis.NetworkInterfaces, []);
    await ec2.send(new DeleteSubnetCommand({ SubnetId: id }));
    await assert.rejects(ec2.send(new DescribeSubnetsCommand({ SubnetIds: [id] })), {
      name: 'InvalidSubnetID.NotFound',
    });
  });
});

test('aws_security_group', async () => {
  const N = 'aws_security_group';
  const describe = async (id: string) =>
    (await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [id] }))).SecurityGroups?.[0];
  const id = await phase(calls, N, 'create', async () => {
    const out = await ec2.send(
      new CreateSecurityGroupCommand({
        GroupName: 'app',
        Description: 'Managed by Terraform',
        VpcId: VPC,
        TagSpecifications: [{ ResourceType: 'security-group', Tags: [{ Key: 'Name', Value: 'app' }] }],
      }),
    );
    const gid = out.GroupId ?? '';
    assert.ok(await describe(gid));
    await ec2.send(
      new RevokeSecurityGroupEgressCommand({
        GroupId: gid,
        IpPermissions: [{ IpProtocol: '-1', FromPort: 0, ToPort: 0, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
      }),
    );
    await assert.rejects(
      ec2.send(
        new RevokeSecurityGroupEgressCommand({
          GroupId: gid,
          IpPermissions: [{ IpProtocol: '-1', FromPort: 0, ToPort: 0, Ipv6Ranges: [{ CidrIpv6: '::/0' }] }],
        }),
      ),
      { name: 'InvalidPermission.NotFound' },
    );
    assert.deepEqual((await describe(gid))?.IpPermissionsEgress, []);
    await ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: gid,
        IpPermissions: [
          {
            IpProtocol: 'tcp',
            FromPort: 443,
            ToPort: 443,
            IpRanges: [{ CidrIp: '10.0.0.0/8', Description: 'https' }],
          },
        ],
      }),
    );
    await ec2.send(
      new AuthorizeSecurityGroupEgressCommand({
        GroupId: gid,
        IpPermissions: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
      }),
    );
    return gid;
  });
  const read = () => phase(calls, N, 'read', () => describe(id));
  const g = await read();
  assert.equal(g?.GroupName, 'app');
  assert.equal(g?.Description, 'Managed by Terraform');
  assert.equal(g?.OwnerId, PROVIDER);
  assert.equal(g?.VpcId, VPC);
  assert.deepEqual(
    g?.IpPermissions?.map((x) => [
      x.IpProtocol,
      x.FromPort,
      x.ToPort,
      x.IpRanges?.[0]?.CidrIp,
      x.IpRanges?.[0]?.Description,
    ]),
    [['tcp', 443, 443, '10.0.0.0/8', 'https']],
  );
  assert.deepEqual(
    g?.IpPermissionsEgress?.map((x) => [x.IpProtocol, x.IpRanges?.[0]?.CidrIp]),
    [['-1', '0.0.0.0/0']],
  );
  assert.deepEqual(await read(), g);
  await phase(calls, N, 'update', async () => {
    await describe(id);
    await ec2.send(
      new RevokeSecurityGroupIngressCommand({
        GroupId: id,
        IpPermissions: [
          { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '10.0.0.0/8' }] },
        ],
      }),
    );
    await ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: id,
        IpPermissions: [
          { IpProtocol: 'tcp', FromPort: 8443, ToPort: 8443, IpRanges: [{ CidrIp: '10.0.0.0/8' }] },
        ],
      }),
    );
  });
  assert.deepEqual(
    (await describe(id))?.IpPermissions?.map((x) => x.FromPort),
    [8443],
  );
  await phase(calls, N, 'delete', async () => {
    await ec2.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'group-id', Values: [id] }] }));
    await ec2.send(new DeleteSecurityGroupCommand({ GroupId: id }));
    await assert.rejects(describe(id), { name: 'InvalidGroup.NotFound' });
  });
});

test('aws_vpc_security_group_ingress_rule', async () => {
  const N = 'aws_vpc_security_group_ingress_rule';
  const group = await ec2.send(
    new CreateSecurityGroupCommand({ GroupName: 'rules', Description: 'r', VpcId: VPC }),
  );
  const gid = group.GroupId ?? '';
  const ruleId = await phase(calls, N, 'create', async () => {
    const out = await ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: gid,
        IpPermissions: [
          {
            IpProtocol: 'tcp',
            FromPort: 80,
            ToPort: 80,
            IpRanges: [{ CidrIp: '10.1.0.0/16', Description: 'http' }],
          },
        ],
      }),
    );
    const rid = out.SecurityGroupRules?.[0]?.SecurityGroupRuleId ?? '';
    assert.match(rid, /^sgr-/);
    await ec2.send(new CreateTagsCommand({ Resources: [rid], Tags: [{ Key: 'Name', Value: 'http' }] }));
    return rid;
  });
  const describe = async () =>
    (await ec2.send(new DescribeSecurityGroupRulesCommand({ SecurityGroupRuleIds: [ruleId] })))
      .SecurityGroupRules?.[0];
  const r = await phase(calls, N, 'read', describe);
  assert.deepEqual(
    [r?.CidrIpv4, r?.Description, r?.FromPort, r?.ToPort, r?.IpProtocol, r?.GroupId, r?.IsEgress],
    ['10.1.0.0/16', 'http', 80, 80, 'tcp', gid, false],
  );
  assert.deepEqual(r?.Tags, [{ Key: 'Name', Value: 'http' }]);
  assert.deepEqual(await phase(calls, N, 'read', describe), r);
  await phase(calls, N, 'update', async () => {
    await ec2.send(
      new ModifySecurityGroupRulesCommand({
        GroupId: gid,
        SecurityGroupRules: [
          {
            SecurityGroupRuleId: ruleId,
            SecurityGroupRule: {
              IpProtocol: 'tcp',
              FromPort: 8080,
              ToPort: 8080,
              CidrIpv4: '10.1.0.0/16',
              Description: 'alt',
            },
          },
        ],
      }),
    );
    await ec2.send(new CreateTagsCommand({ Resources: [ruleId], Tags: [{ Key: 'env', Value: 'test' }] }));
    await ec2.send(new DeleteTagsCommand({ Resources: [ruleId], Tags: [{ Key: 'Name' }] }));
    const after = await describe();
    assert.deepEqual([after?.FromPort, after?.Description], [8080, 'alt']);
    assert.deepEqual(after?.Tags, [{ Key: 'env', Value: 'test' }]);
  });
  await phase(calls, N, 'delete', async () => {
    await ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: gid, SecurityGroupRuleIds: [ruleId] }));
  });
  await assert.rejects(describe(), { name: 'InvalidSecurityGroupRuleId.NotFound' });
  await assert.rejects(
    ec2.send(new CreateTagsCommand({ Resources: [ruleId], Tags: [{ Key: 'a', Value: 'b' }] })),
    {
      name: 'InvalidSecurityGroupRuleId.NotFound',
    },
  );
});

test('aws_security_group_rule', async () => {
  const N = 'aws_security_group_rule';
  const group = await ec2.send(
    new CreateSecurityGroupCommand({ GroupName: 'legacy', Description: 'l', VpcId: VPC }),
  );
  const gid = group.GroupId ?? '';
  const perm = {
    IpProtocol: 'tcp',
    FromPort: 22,
    ToPort: 22,
    IpRanges: [{ CidrIp: '10.9.0.0/16', Description: 'ssh' }],
  };
  const describe = async () =>
    (await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [gid] }))).SecurityGroups?.[0];
  await phase(calls, N, 'create', async () => {
    assert.equal((await describe())?.VpcId, VPC);
    await ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: gid, IpPermissions: [perm] }));
    await waitFor(describe, (g) => (g?.IpPermissions ?? []).some((x) => x.FromPort === 22));
  });
  const g = await phase(calls, N, 'read', describe);
  assert.equal(g?.IpPermissions?.[0]?.IpRanges?.[0]?.Description, 'ssh');
  await phase(calls, N, 'update', async () => {
    await ec2.send(
      new UpdateSecurityGroupRuleDescriptionsIngressCommand({
        GroupId: gid,
        IpPermissions: [{ ...perm, IpRanges: [{ CidrIp: '10.9.0.0/16', Description: 'ssh from ops' }] }],
      }),
    );
    assert.equal((await describe())?.IpPermissions?.[0]?.IpRanges?.[0]?.Description, 'ssh from ops');
  });
  await phase(calls, N, 'delete', async () => {
    await describe();
    await ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: gid, IpPermissions: [perm] }));
  });
  assert.deepEqual((await describe())?.IpPermissions, []);
});

const routeTable = async (id: string): Promise<RouteTable | undefined> =>
  (await ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: [id] }))).RouteTables?.[0];
const routeTo = (rt: RouteTable | undefined, cidr: string) =>
  rt?.Routes?.find((r) => r.DestinationCidrBlock === cidr);

test('aws_route_table', async () => {
  const N = 'aws_route_table';
  const id = await phase(calls, N, 'create', async () => {
    const out = await ec2.send(
      new CreateRouteTableCommand({
        VpcId: VPC,
        TagSpecifications: [{ ResourceType: 'route-table', Tags: [{ Key: 'Name', Value: 'public' }] }],
      }),
    );
    const rid = out.RouteTable?.RouteTableId ?? '';
    await routeTable(rid);
    await ec2.send(
      new CreateRouteCommand({ RouteTableId: rid, DestinationCidrBlock: '0.0.0.0/0', GatewayId: IGW1 }),
    );
    await waitFor(
      () => routeTable(rid),
      (rt) => routeTo(rt, '0.0.0.0/0')?.State === 'active',
    );
    return rid;
  });
  const read = () => phase(calls, N, 'read', () => routeTable(id));
  const rt = await read();
  assert.equal(rt?.OwnerId, PROVIDER);
  assert.equal(rt?.VpcId, VPC);
  assert.deepEqual(rt?.PropagatingVgws, []);
  assert.deepEqual(rt?.Tags, [{ Key: 'Name', Value: 'public' }]);
  const route = routeTo(rt, '0.0.0.0/0');
  assert.deepEqual([route?.GatewayId, route?.Origin, route?.State], [IGW1, 'CreateRoute', 'active']);
  assert.equal(routeTo(rt, '10.20.0.0/16')?.GatewayId, 'local');
  assert.deepEqual(await read(), rt);
  await phase(calls, N, 'update', async () => {
    await ec2.send(
      new ReplaceRouteCommand({ RouteTableId: id, DestinationCidrBlock: '0.0.0.0/0', GatewayId: IGW2 }),
    );
    await waitFor(
      () => routeTable(id),
      (x) => routeTo(x, '0.0.0.0/0')?.GatewayId === IGW2,
    );
  });
  const subnet = await newSubnet();
  await ec2.send(new AssociateRouteTableCommand({ RouteTableId: id, SubnetId: subnet }));
  await phase(calls, N, 'delete', async () => {
    const before = await routeTable(id);
    for (const a of before?.Associations ?? []) {
      await ec2.send(new DisassociateRouteTableCommand({ AssociationId: a.RouteTableAssociationId }));
    }
    await waitFor(
      () => routeTable(id),
      (x) => (x?.Associations ?? []).length === 0,
    );
    await ec2.send(new DeleteRouteTableCommand({ RouteTableId: id }));
    await assert.rejects(routeTable(id), { name: 'InvalidRouteTableID.NotFound' });
  });
});

test('aws_route_table_association', async () => {
  const N = 'aws_route_table_association';
  const a = await ec2.send(new CreateRouteTableCommand({ VpcId: VPC }));
  const b = await ec2.send(new CreateRouteTableCommand({ VpcId: VPC }));
  const subnet = await newSubnet();
  const byAssociation = async (assoc: string) =>
    (
      await ec2.send(
        new DescribeRouteTablesCommand({
          Filters: [{ Name: 'association.route-table-association-id', Values: [assoc] }],
        }),
      )
    ).RouteTables?.[0]?.Associations?.find((x) => x.RouteTableAssociationId === assoc);
  let assoc = await phase(calls, N, 'create', async () => {
    const out = await ec2.send(
      new AssociateRouteTableCommand({ RouteTableId: a.RouteTable?.RouteTableId, SubnetId: subnet }),
    );
    const id = out.AssociationId ?? '';
    await waitFor(
      () => byAssociation(id),
      (x) => x?.AssociationState?.State === 'associated',
    );
    return id;
  });
  const x = await phase(calls, N, 'read', () => byAssociation(assoc));
  assert.deepEqual([x?.RouteTableId, x?.SubnetId, x?.Main], [a.RouteTable?.RouteTableId, subnet, false]);
  assoc = await phase(calls, N, 'update', async () => {
    const out = await ec2.send(
      new ReplaceRouteTableAssociationCommand({
        AssociationId: assoc,
        RouteTableId: b.RouteTable?.RouteTableId,
      }),
    );
    const id = out.NewAssociationId ?? '';
    assert.equal(out.AssociationState?.State, 'associated');
    await waitFor(
      () => byAssociation(id),
      (y) => y?.RouteTableId === b.RouteTable?.RouteTableId,
    );
    return id;
  });
  await phase(calls, N, 'delete', async () => {
    await ec2.send(new DisassociateRouteTableCommand({ AssociationId: assoc }));
    await waitFor(
      () => byAssociation(assoc),
      (y) => y === undefined,
    );
  });
});

test('aws_route', async () => {
  const N = 'aws_route';
  const rt = await ec2.send(new CreateRouteTableCommand({ VpcId: VPC }));
  const id = rt.RouteTable?.RouteTableId ?? '';
  const cidr = '192.168.0.0/16';
  await phase(calls, N, 'create', async () => {
    await ec2.send(new CreateRouteCommand({ RouteTableId: id, DestinationCidrBlock: cidr, GatewayId: IGW1 }));
    await waitFor(
      () => routeTable(id),
      (x) => routeTo(x, cidr)?.State === 'active',
    );
  });
  const r = await phase(calls, N, 'read', async () => routeTo(await routeTable(id), cidr));
  assert.deepEqual([r?.GatewayId, r?.Origin, r?.State], [IGW1, 'CreateRoute', 'active']);
  await phase(calls, N, 'update', async () => {
    await ec2.send(
      new ReplaceRouteCommand({ RouteTableId: id, DestinationCidrBlock: cidr, GatewayId: IGW2 }),
    );
    await waitFor(
      () => routeTable(id),
      (x) => routeTo(x, cidr)?.GatewayId === IGW2,
    );
  });
  await phase(calls, N, 'delete', async () => {
    await ec2.send(new DeleteRouteCommand({ RouteTableId: id, DestinationCidrBlock: cidr }));
    await waitFor(
      () => routeTable(id),
      (x) => routeTo(x, cidr) === undefined,
    );
  });
});

test('data sources: aws_prefix_list, aws_availability_zones, aws_caller_identity', async () => {
  const pl = await phase(calls, 'data.aws_prefix_list', 'read', () =>
    ec2.send(
      new DescribePrefixListsCommand({
        Filters: [{ Name: 'prefix-list-name', Values: ['com.amazonaws.us-east-1.s3'] }],
      }),
    ),
  );
  const list = pl.PrefixLists?.[0];
  assert.match(list?.PrefixListId ?? '', /^pl-/);
  assert.equal(list?.PrefixListName, 'com.amazonaws.us-east-1.s3');
  assert.ok((list?.Cidrs ?? []).length > 0);
  const azs = await phase(calls, 'data.aws_availability_zones', 'read', () =>
    ec2.send(
      new DescribeAvailabilityZonesCommand({
        AllAvailabilityZones: false,
        Filters: [{ Name: 'state', Values: ['available'] }],
      }),
    ),
  );
  assert.ok((azs.AvailabilityZones ?? []).length >= 2);
  for (const z of azs.AvailabilityZones ?? []) {
    assert.match(z.ZoneName ?? '', /^us-east-1[a-z]$/);
    assert.match(z.ZoneId ?? '', /^use1-az\d$/);
    assert.equal(z.GroupName, 'us-east-1');
  }
  const me = await phase(calls, 'data.aws_caller_identity', 'read', () =>
    sts.send(new GetCallerIdentityCommand({})),
  );
  assert.equal(me.Account, PROVIDER);
  assert.match(me.Arn ?? '', /^arn:aws:(iam|sts)::111111111111:/);
  assert.ok(me.UserId);
});
