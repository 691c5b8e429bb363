/**
 * EC2 core resources through the real @aws-sdk/client-ec2: VPCs and their attributes, subnets,
 * tags, prefix lists, zones and regions, plus DryRun, pagination and account isolation.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateSubnetCommand,
  CreateTagsCommand,
  CreateVpcCommand,
  DeleteSubnetCommand,
  DeleteTagsCommand,
  DeleteVpcCommand,
  DescribeAvailabilityZonesCommand,
  DescribePrefixListsCommand,
  DescribeRegionsCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeTagsCommand,
  DescribeVpcAttributeCommand,
  DescribeVpcsCommand,
  ModifyVpcAttributeCommand,
  type EC2Client,
} from '@aws-sdk/client-ec2';
import {
  CONSUMER,
  REGION,
  ec2Client,
  expectAwsError,
  signedRaw,
  startPrivlink,
} from '../helpers/privlink.js';
import { CORE_ACTIONS } from '../../src/api/actions/ec2/core/index.js';
import { EC2_CORE_ACTIONS } from '../../src/api/actions/ec2/names.js';
import { awsPrefixListsForRegion, awsServicesForRegion } from '../../src/control/privatelink/aws-services.js';
import { createNetworkInterface } from '../../src/control/network/addresses.js';

async function vpc(ec2: EC2Client, cidr = '10.0.0.0/16') {
  const out = await ec2.send(new CreateVpcCommand({ CidrBlock: cidr }));
  const id = out.Vpc?.VpcId;
  assert.ok(id);
  return id;
}

test('every core action is implemented', () => {
  for (const a of EC2_CORE_ACTIONS) assert.ok(CORE_ACTIONS[a], `missing ${a}`);
});

test('CreateVpc makes the VPC, its main route table and default security group', async (t) => {
  const p = await startPrivlink(t);
  const ec2 = ec2Client(p);
  const out = await ec2.send(
    new CreateVpcCommand({
      CidrBlock: '10.1.0.0/16',
      TagSpecifications: [{ ResourceType: 'vpc', Tags: [{ Key: 'Name', Value: 'main' }] }],
    }),
  );
  const v = out.Vpc;
  assert.match(v?.VpcId ?? '', /^vpc-[0-9a-f]{17}$/);
  assert.equal(v?.State, 'available');
  assert.equal(v?.CidrBlock, '10.1.0.0/16');
  assert.equal(v?.IsDefault, false);
  assert.match(v?.DhcpOptionsId ?? '', /^dopt-/);
  assert.deepEqual(v?.Tags, [{ Key: 'Name', Value: 'main' }]);
  assert.equal(v?.CidrBlockAssociationSet?.[0]?.CidrBlockState?.State, 'associated');

  const rts = await ec2.send(
    new DescribeRouteTablesCommand({ Filters: [{ Name: 'vpc-id', Values: [v?.VpcId ?? ''] }] }),
  );
  assert.equal(rts.RouteTables?.length, 1);
  const main = rts.RouteTables?.[0];
  assert.equal(main?.Associations?.[0]?.Main, true);
  assert.deepEqual(
    main?.Routes?.map((r) => [r.DestinationCidrBlock, r.GatewayId, r.Origin, r.State]),
    [['10.1.0.0/16', 'local', 'CreateRouteTable', 'active']],
  );

  const sgs = await ec2.send(
    new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'vpc-id', Values: [v?.VpcId ?? ''] }] }),
  );
  const def = sgs.SecurityGroups?.[0];
  assert.equal(def?.GroupName, 'default');
  assert.equal(def?.IpPermissions?.[0]?.IpProtocol, '-1');
  assert.equal(def?.IpPermissions?.[0]?.UserIdGroupPairs?.[0]?.GroupId, def?.GroupId);
  assert.equal(def?.IpPermissionsEgress?.[0]?.IpRanges?.[0]?.CidrIp, '0.0.0.0/0');

  const dns = await ec2.send(
    new DescribeVpcAttributeCommand({ VpcId: v?.VpcId, Attribute: 'enableDnsSupport' }),
  );
  assert.equal(dns.EnableDnsSupport?.Value, true);
  const hn = await ec2.send(
    new DescribeVpcAttributeCommand({ VpcId: v?.VpcId, Attribute: 'enableDnsHostnames' }),
  );
  assert.equal(hn.EnableDnsHostnames?.Value, false);
});

test('CreateVpc validates the CIDR; DryRun answers 412 and creates nothing', async (t) => {
  const p = await startPrivlink(t);
  const ec2 = ec2Client(p);
  await expectAwsError(ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/8' })), 'InvalidVpcRange', 400);
  await expectAwsError(ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/29' })), 'InvalidVpcRange', 400);
  await expectAwsError(
    ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.1/16' })),
    'InvalidParameterValue',
    400,
  );
  await expectAwsError(ec2.send(new CreateVpcCommand({ CidrBlock: 'nope' })), 'InvalidParameterValue', 400);
  await expectAwsError(
    ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16', DryRun: true })),
    'DryRunOperation',
    412,
  );
  const all = await ec2.send(new DescribeVpcsCommand({}));
  assert.equal(all.Vpcs?.length, 0);
});

test('ModifyVpcAttribute: one attribute per call, hostnames need DNS support', async (t) => {
  const p = await startPrivlink(t);
  const ec2 = ec2Client(p);
  const id = await vpc(ec2);
  await ec2.send(new ModifyVpcAttributeCommand({ VpcId: id, EnableDnsHostnames: { Value: true } }));
  const hn = await ec2.send(new DescribeVpcAttributeCommand({ VpcId: id, Attribute: 'enableDnsHostnames' }));
  assert.equal(hn.EnableDnsHostnames?.Value, true);
  assert.equal(hn.VpcId, id);
  await expectAwsError(
    ec2.send(
      new ModifyVpcAttributeCommand({
        VpcId: id,
        EnableDnsHostnames: { Value: true },
        EnableDnsSupport: { Value: true },
      }),
    ),
    'InvalidParameterCombination',
  );
  await ec2.send(new ModifyVpcAttributeCommand({ VpcId: id, EnableDnsHostnames: { Value: false } }));
  await ec2.send(new ModifyVpcAttributeCommand({ VpcId: id, EnableDnsSupport: { Value: false } }));
  await expectAwsError(
    ec2.send(new ModifyVpcAttributeCommand({ VpcId: id, EnableDnsHostnames: { Value: true } })),
    'InvalidParameterValue',
  );
  await expectAwsError(
    ec2.send(
      new DescribeVpcAttributeCommand({ VpcId: 'vpc-0123456789abcdef0', Attribute: 'enableDnsSupport' }),
    ),
    'InvalidVpcID.NotFound',
  );
});

test('subnets: range, conflict, zones, address count, dependencies', async (t) => {
  const p = await startPrivlink(t);
  const ec2 = ec2Client(p);
  const id = await vpc(ec2);
  const a = await ec2.send(
    new CreateSubnetCommand({ VpcId: id, CidrBlock: '10.0.1.0/24', AvailabilityZone: `${REGION}b` }),
  );
  const sn = a.Subnet;
  assert.match(sn?.SubnetId ?? '', /^subnet-[0-9a-f]{17}$/);
  assert.equal(sn?.AvailabilityZone, `${REGION}b`);
  assert.equal(sn?.AvailabilityZoneId, 'use1-az2');
  assert.equal(sn?.AvailableIpAddressCount, 251);
  assert.equal(sn?.State, 'available');
  assert.equal(sn?.SubnetArn, `arn:aws:ec2:${REGION}:111111111111:subnet/${sn?.SubnetId}`);
  const b = await ec2.send(
    new CreateSubnetCommand({ VpcId: id, CidrBlock: '10.0.2.0/24', AvailabilityZoneId: 'use1-az3' }),
  );
  assert.equal(b.Subnet?.AvailabilityZone, `${REGION}c`);

  await expectAwsError(
    ec2.send(new CreateSubnetCommand({ VpcId: id, CidrBlock: '10.1.0.0/24' })),
    'InvalidSubnet.Range',
  );
  await expectAwsError(
    ec2.send(new CreateSubnetCommand({ VpcId: id, CidrBlock: '10.0.0.0/29' })),
    'InvalidSubnet.Range',
  );
  await expectAwsError(
    ec2.send(new CreateSubnetCommand({ VpcId: id, CidrBlock: '10.0.1.128/25' })),
    'InvalidSubnet.Conflict',
  );
  await expectAwsError(
    ec2.send(new CreateSubnetCommand({ VpcId: id, CidrBlock: '10.0.3.0/24', AvailabilityZone: 'mars-1a' })),
    'InvalidParameterValue',
  );
  await expectAwsError(
    ec2.send(new CreateSubnetCommand({ VpcId: 'vpc-0123456789abcdef0', CidrBlock: '10.0.3.0/24' })),
    'InvalidVpcID.NotFound',
  );
  await expectAwsError(
    ec2.send(new CreateSubnetCommand({ VpcId: 'vpc-xyz', CidrBlock: '10.0.3.0/24' })),
    'InvalidVpcID.Malformed',
  );

  // An ENI in the subnet uses an address and blocks deletion.
  const subnetId = sn?.SubnetId ?? '';
  p.store.transaction(() => {
    const stored = p.store.find('subnet', subnetId);
    assert.ok(stored);
    createNetworkInterface(p.control, {
      subnet: stored,
      interfaceType: 'vpc_endpoint',
      description: 'VPC Endpoint Interface vpce-0123456789abcdef0',
      requesterManaged: true,
      groupIds: [],
    });
  });
  const after = await ec2.send(new DescribeSubnetsCommand({ SubnetIds: [subnetId] }));
  assert.equal(after.Subnets?.[0]?.AvailableIpAddressCount, 250);
  await expectAwsError(ec2.send(new DeleteSubnetCommand({ SubnetId: subnetId })), 'DependencyViolation');
  await expectAwsError(ec2.send(new DeleteVpcCommand({ VpcId: id })), 'DependencyViolation');

  const filtered = await ec2.send(
    new DescribeSubnetsCommand({ Filters: [{ Name: 'availability-zone', Values: [`${REGION}c`] }] }),
  );
  assert.deepEqual(
    filtered.Subnets?.map((x) => x.SubnetId),
    [b.Subnet?.SubnetId],
  );
  await ec2.send(new DeleteSubnetCommand({ SubnetId: b.Subnet?.SubnetId }));
  await expectAwsError(
    ec2.send(new DescribeSubnetsCommand({ SubnetIds: [b.Subnet?.SubnetId ?? ''] })),
    'InvalidSubnetID.NotFound',
  );
});

test('DeleteVpc removes the default group and main route table; filters and pagination', async (t) => {
  // Seven VPCs to page through: above AWS's default quota of 5 per Region.
  const p = await startPrivlink(t, { quotas: { vpcsPerRegion: 10 } });
  const ec2 = ec2Client(p);
  const ids: string[] = [];
  for (let i = 0; i < 7; i++) ids.push(await vpc(ec2, `10.${i}.0.0/16`));
  const page1 = await ec2.send(new DescribeVpcsCommand({ MaxResults: 5 }));
  assert.equal(page1.Vpcs?.length, 5);
  assert.ok(page1.NextToken);
  const page2 = await ec2.send(new DescribeVpcsCommand({ MaxResults: 5, NextToken: page1.NextToken }));
  assert.equal(page2.Vpcs?.length, 2);
  assert.equal(page2.NextToken, undefined);
  await expectAwsError(ec2.send(new DescribeVpcsCommand({ MaxResults: 2 })), 'InvalidParameterValue');
  await expectAwsError(ec2.send(new DescribeVpcsCommand({ NextToken: 'garbage' })), 'InvalidPaginationToken');

  const byCidr = await ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'cidr', Values: ['10.3.*'] }] }));
  assert.deepEqual(
    byCidr.Vpcs?.map((v) => v.VpcId),
    [ids[3]],
  );
  await expectAwsError(
    ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'no-such-filter', Values: ['x'] }] })),
    'InvalidFilter',
  );

  await ec2.send(new DeleteVpcCommand({ VpcId: ids[0] }));
  await expectAwsError(
    ec2.send(new DescribeVpcsCommand({ VpcIds: [ids[0] ?? ''] })),
    'InvalidVpcID.NotFound',
  );
  const rts = await ec2.send(
    new DescribeRouteTablesCommand({ Filters: [{ Name: 'vpc-id', Values: [ids[0] ?? ''] }] }),
  );
  assert.equal(rts.RouteTables?.length, 0);
  const sgs = await ec2.send(
    new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'vpc-id', Values: [ids[0] ?? ''] }] }),
  );
  assert.equal(sgs.SecurityGroups?.length, 0);
});

test('accounts cannot see or touch each other’s resources', async (t) => {
  const p = await startPrivlink(t);
  const provider = ec2Client(p);
  const consumer = ec2Client(p, { account: CONSUMER });
  const id = await vpc(provider);
  const mine = await consumer.send(new DescribeVpcsCommand({}));
  assert.equal(mine.Vpcs?.length, 0);
  await expectAwsError(consumer.send(new DescribeVpcsCommand({ VpcIds: [id] })), 'InvalidVpcID.NotFound');
  await expectAwsError(consumer.send(new DeleteVpcCommand({ VpcId: id })), 'InvalidVpcID.NotFound');
  await expectAwsError(
    consumer.send(new CreateTagsCommand({ Resources: [id], Tags: [{ Key: 'a', Value: 'b' }] })),
    'InvalidVpcID.NotFound',
  );
  const other = ec2Client(p, { region: 'eu-west-1' });
  assert.equal((await other.send(new DescribeVpcsCommand({}))).Vpcs?.length, 0);
});

test('CreateTags / DeleteTags / DescribeTags', async (t) => {
  const p = await startPrivlink(t);
  const ec2 = ec2Client(p);
  const id = await vpc(ec2);
  const sn = await ec2.send(new CreateSubnetCommand({ VpcId: id, CidrBlock: '10.0.0.0/24' }));
  const subnetId = sn.Subnet?.SubnetId ?? '';
  await ec2.send(
    new CreateTagsCommand({
      Resources: [id, subnetId],
      Tags: [
        { Key: 'env', Value: 'test' },
        { Key: 'Name', Value: 'x' },
      ],
    }),
  );
  const all = await ec2.send(new DescribeTagsCommand({}));
  assert.equal(all.Tags?.length, 4);
  const subnetTags = await ec2.send(
    new DescribeTagsCommand({ Filters: [{ Name: 'resource-type', Values: ['subnet'] }] }),
  );
  assert.deepEqual(
    subnetTags.Tags?.map((x) => [x.ResourceId, x.ResourceType, x.Key, x.Value]),
    [
      [subnetId, 'subnet', 'Name', 'x'],
      [subnetId, 'subnet', 'env', 'test'],
    ],
  );
  const byTag = await ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'tag:env', Values: ['test'] }] }));
  assert.equal(byTag.Vpcs?.length, 1);
  // Value given but different: nothing removed; key only: removed.
  await ec2.send(new DeleteTagsCommand({ Resources: [id], Tags: [{ Key: 'env', Value: 'prod' }] }));
  await ec2.send(new DeleteTagsCommand({ Resources: [id], Tags: [{ Key: 'Name' }] }));
  const left = await ec2.send(new DescribeTagsCommand({ Filters: [{ Name: 'resource-id', Values: [id] }] }));
  assert.deepEqual(
    left.Tags?.map((x) => x.Key),
    ['env'],
  );
  const page = await ec2.send(new DescribeTagsCommand({ MaxResults: 5 }));
  assert.equal(page.Tags?.length, 3);

  await expectAwsError(
    ec2.send(
      new CreateTagsCommand({ Resources: ['vpc-0123456789abcdef0'], Tags: [{ Key: 'a', Value: 'b' }] }),
    ),
    'InvalidVpcID.NotFound',
  );
  await expectAwsError(
    ec2.send(new CreateTagsCommand({ Resources: ['bogus-1'], Tags: [{ Key: 'a', Value: 'b' }] })),
    'InvalidID',
  );
  await expectAwsError(
    ec2.send(new CreateTagsCommand({ Resources: [id], Tags: [{ Key: 'aws:x', Value: 'b' }] })),
    'InvalidParameterValue',
  );
  const many = Array.from({ length: 50 }, (_, i) => ({ Key: `k${i}`, Value: 'v' }));
  await expectAwsError(ec2.send(new CreateTagsCommand({ Resources: [id], Tags: many })), 'TagLimitExceeded');
  await expectAwsError(
    ec2.send(new CreateTagsCommand({ Resources: [id], Tags: [{ Key: 'a', Value: 'b' }], DryRun: true })),
    'DryRunOperation',
    412,
  );
});

test('DescribePrefixLists, DescribeAvailabilityZones, DescribeRegions', async (t) => {
  const p = await startPrivlink(t);
  const ec2 = ec2Client(p);
  const lists = await ec2.send(new DescribePrefixListsCommand({}));
  assert.deepEqual(
    lists.PrefixLists?.map((x) => [x.PrefixListId, x.PrefixListName]),
    [
      ['pl-63a5400a', 'com.amazonaws.us-east-1.s3'],
      ['pl-02cd2c6b', 'com.amazonaws.us-east-1.dynamodb'],
    ],
  );
  assert.ok((lists.PrefixLists?.[0]?.Cidrs?.length ?? 0) > 0);
  const byName = await ec2.send(
    new DescribePrefixListsCommand({ Filters: [{ Name: 'prefix-list-name', Values: ['*.dynamodb'] }] }),
  );
  assert.equal(byName.PrefixLists?.[0]?.PrefixListId, 'pl-02cd2c6b');
  await expectAwsError(
    ec2.send(new DescribePrefixListsCommand({ PrefixListIds: ['pl-00000000'] })),
    'InvalidPrefixListId.NotFound',
  );
  const euw = awsPrefixListsForRegion('eu-west-1');
  assert.match(euw[0]?.prefixListId ?? '', /^pl-[0-9a-f]{8}$/);
  assert.equal(awsPrefixListsForRegion('eu-west-1')[0]?.prefixListId, euw[0]?.prefixListId);
  const s3 = awsServicesForRegion(REGION).find((x) => x.serviceName.endsWith('.s3'));
  assert.deepEqual(s3?.types, ['Gateway', 'Interface']);
  assert.equal(s3?.prefixListId, 'pl-63a5400a');

  const zones = await ec2.send(new DescribeAvailabilityZonesCommand({}));
  assert.equal(zones.AvailabilityZones?.length, 6);
  const z = zones.AvailabilityZones?.[0];
  assert.deepEqual(
    [z?.ZoneName, z?.ZoneId, z?.RegionName, z?.State, z?.ZoneType, z?.OptInStatus, z?.NetworkBorderGroup],
    ['us-east-1a', 'use1-az1', REGION, 'available', 'availability-zone', 'opt-in-not-required', REGION],
  );
  const one = await ec2.send(new DescribeAvailabilityZonesCommand({ ZoneIds: ['use1-az2'] }));
  assert.deepEqual(
    one.AvailabilityZones?.map((x) => x.ZoneName),
    ['us-east-1b'],
  );
  const f = await ec2.send(
    new DescribeAvailabilityZonesCommand({ Filters: [{ Name: 'zone-name', Values: ['us-east-1c'] }] }),
  );
  assert.equal(f.AvailabilityZones?.[0]?.ZoneId, 'use1-az3');
  await expectAwsError(
    ec2.send(new DescribeAvailabilityZonesCommand({ ZoneNames: ['us-east-1z'] })),
    'InvalidParameterValue',
  );

  const regions = await ec2.send(new DescribeRegionsCommand({}));
  assert.ok(
    regions.Regions?.some((r) => r.RegionName === REGION && r.Endpoint === 'ec2.us-east-1.amazonaws.com'),
  );
});

test('unknown parameters and wrong types are refused with 4xx', async (t) => {
  const p = await startPrivlink(t);
  const unknown = await signedRaw(p, 'Action=DescribeVpcs&Version=2016-11-15&Bogus=1');
  assert.equal(unknown.status, 400);
  assert.match(unknown.body, /UnknownParameter/);
  const wrong = await signedRaw(p, 'Action=DescribeVpcs&Version=2016-11-15&MaxResults=abc');
  assert.equal(wrong.status, 400);
  assert.match(wrong.body, /InvalidParameterValue/);
  const missing = await signedRaw(p, 'Action=DeleteVpc&Version=2016-11-15');
  assert.equal(missing.status, 400);
  assert.match(missing.body, /MissingParameter/);
  const badAttr = await signedRaw(
    p,
    'Action=DescribeVpcAttribute&Version=2016-11-15&VpcId=vpc-1&Attribute=foo',
  );
  assert.equal(badAttr.status, 400);
  const legacy = await signedRaw(
    p,
    'Action=ModifyVpcAttribute&Version=2016-11-15&VpcId=vpc-0123456789abcdef0&EnableDnsSupport=true',
  );
  assert.equal(legacy.status, 400);
});
