/**
 * The instance reads and writes IaC tools make on every plan, through the real SDK: instance
 * types, credit specifications, metadata options (and the IMDS honouring HttpTokens=required at
 * once), root volumes with their filters and tags, account attributes, tags on sgr- and vol- IDs,
 * and the errors AWS gives for bad input.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateTagsCommand,
  CreateVpcCommand,
  DeleteTagsCommand,
  DescribeAccountAttributesCommand,
  DescribeInstanceAttributeCommand,
  DescribeInstanceCreditSpecificationsCommand,
  DescribeInstancesCommand,
  DescribeInstanceTypesCommand,
  DescribeTagsCommand,
  DescribeVolumesCommand,
  ModifyInstanceMetadataOptionsCommand,
  RunInstancesCommand,
  TerminateInstancesCommand,
  type _InstanceType,
} from '@aws-sdk/client-ec2';
import { CONSUMER, ec2Client, startPrivlink } from '../helpers/privlink.js';
import { imdsHandler, ImdsTokens } from '../../src/dataplane/instances/imds.js';
import { INSTANCE_TYPES } from '../../src/control/instances/instance-types.js';

const p = await startPrivlink({ after });
const ec2 = ec2Client(p);
const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.70.0.0/16' }));
const subnet = await ec2.send(
  new CreateSubnetCommand({
    VpcId: vpc.Vpc?.VpcId,
    CidrBlock: '10.70.1.0/24',
    AvailabilityZone: 'us-east-1c',
  }),
);
const SUBNET = subnet.Subnet?.SubnetId ?? '';

async function launch(
  type: string,
  extra: Partial<ConstructorParameters<typeof RunInstancesCommand>[0]> = {},
) {
  const out = await ec2.send(
    new RunInstancesCommand({
      MinCount: 1,
      MaxCount: 1,
      ImageId: 'ami-0123456789abcdef0',
      InstanceType: type as _InstanceType,
      SubnetId: SUBNET,
      ...extra,
    }),
  );
  return out.Instances?.[0]?.InstanceId ?? '';
}

test('DescribeInstanceTypes lists the one table RunInstances accepts, with AWS figures', async () => {
  const all = [];
  let NextToken: string | undefined;
  do {
    const page = await ec2.send(new DescribeInstanceTypesCommand({ MaxResults: 100, NextToken }));
    all.push(...(page.InstanceTypes ?? []));
    NextToken = page.NextToken;
  } while (NextToken);
  assert.equal(all.length, INSTANCE_TYPES.size);
  const t2 = all.find((t) => t.InstanceType === 't2.micro');
  assert.deepEqual(
    [
      t2?.VCpuInfo?.DefaultVCpus,
      t2?.MemoryInfo?.SizeInMiB,
      t2?.Hypervisor,
      t2?.BurstablePerformanceSupported,
      t2?.FreeTierEligible,
    ],
    [1, 1024, 'xen', true, true],
  );
  const m5 = all.find((t) => t.InstanceType === 'm5.xlarge');
  assert.deepEqual(
    [
      m5?.VCpuInfo?.DefaultVCpus,
      m5?.VCpuInfo?.DefaultCores,
      m5?.MemoryInfo?.SizeInMiB,
      m5?.BurstablePerformanceSupported,
    ],
    [4, 2, 16384, false],
  );
  const arm = await ec2.send(
    new DescribeInstanceTypesCommand({
      Filters: [{ Name: 'processor-info.supported-architecture', Values: ['arm64'] }],
    }),
  );
  assert.ok((arm.InstanceTypes ?? []).every((t) => t.InstanceType?.startsWith('t4g.')));
  assert.equal(arm.InstanceTypes?.length, 7);
  await assert.rejects(
    ec2.send(new DescribeInstanceTypesCommand({ InstanceTypes: ['x9z.large' as _InstanceType] })),
    {
      name: 'InvalidInstanceType',
      message: /x9z\.large/,
    },
  );
  await assert.rejects(ec2.send(new DescribeInstanceTypesCommand({ MaxResults: 4 })), {
    name: 'InvalidParameterValue',
  });
  await assert.rejects(launch('x9z.large'), { name: 'InvalidParameterValue', message: /x9z\.large/ });
});

test('credit specifications: the type default, the launch choice, none for other families', async () => {
  const t2 = await launch('t2.micro');
  const t3 = await launch('t3.small', { CreditSpecification: { CpuCredits: 'standard' } });
  const m5 = await launch('m5.large');
  const out = await ec2.send(new DescribeInstanceCreditSpecificationsCommand({ InstanceIds: [t2, t3, m5] }));
  assert.deepEqual(
    out.InstanceCreditSpecifications?.map((c) => [c.InstanceId, c.CpuCredits]).sort((a, b) =>
      String(a[0]).localeCompare(String(b[0])),
    ),
    [
      [t2, 'standard'],
      [t3, 'standard'],
    ].sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
  );
  await assert.rejects(launch('m5.large', { CreditSpecification: { CpuCredits: 'unlimited' } }), {
    name: 'InvalidParameterCombination',
  });
  await assert.rejects(launch('t3.micro', { CreditSpecification: { CpuCredits: 'turbo' } }), {
    name: 'InvalidParameterValue',
  });
  await ec2.send(new TerminateInstancesCommand({ InstanceIds: [t2, t3, m5] }));
});

test('ModifyInstanceMetadataOptions is stored, returned, and the IMDS requires a token at once', async (t) => {
  const id = await launch('t3.micro');
  const out = await ec2.send(
    new ModifyInstanceMetadataOptionsCommand({
      InstanceId: id,
      HttpTokens: 'required',
      HttpPutResponseHopLimit: 2,
    }),
  );
  assert.deepEqual(
    [out.InstanceId, out.InstanceMetadataOptions?.State, out.InstanceMetadataOptions?.HttpTokens],
    [id, 'pending', 'required'],
  );
  const d = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }));
  const m = d.Reservations?.[0]?.Instances?.[0]?.MetadataOptions;
  assert.deepEqual(
    [m?.HttpTokens, m?.HttpPutResponseHopLimit, m?.HttpEndpoint, m?.InstanceMetadataTags],
    ['required', 2, 'enabled', 'disabled'],
  );

  // The IMDS handler reads the stored instance on every request (as the data plane wires it).
  const server = createServer(
    imdsHandler({
      tokens: new ImdsTokens(p.control),
      identify: () => {
        const instance = p.control.store.find('instance', id);
        if (!instance) return undefined;
        return {
          instance,
          eni: undefined,
          subnetCidr: '',
          vpcCidr: '',
          zoneId: '',
          groupNames: [],
          userData: undefined,
        };
      },
    }),
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => server.close());
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  assert.equal((await fetch(`${base}/latest/meta-data/instance-id`)).status, 401);
  const token = await (
    await fetch(`${base}/latest/api/token`, {
      method: 'PUT',
      headers: { 'X-aws-ec2-metadata-token-ttl-seconds': '60' },
    })
  ).text();
  const ok = await fetch(`${base}/latest/meta-data/instance-id`, {
    headers: { 'X-aws-ec2-metadata-token': token },
  });
  assert.equal(await ok.text(), id);
  await ec2.send(new ModifyInstanceMetadataOptionsCommand({ InstanceId: id, HttpTokens: 'optional' }));
  assert.equal((await fetch(`${base}/latest/meta-data/instance-id`)).status, 200);
  await ec2.send(new ModifyInstanceMetadataOptionsCommand({ InstanceId: id, HttpEndpoint: 'disabled' }));
  assert.equal((await fetch(`${base}/latest/meta-data/instance-id`)).status, 403);

  await assert.rejects(
    ec2.send(new ModifyInstanceMetadataOptionsCommand({ InstanceId: id, HttpPutResponseHopLimit: 65 })),
    { name: 'InvalidParameterValue' },
  );
  await assert.rejects(
    ec2.send(
      new ModifyInstanceMetadataOptionsCommand({ InstanceId: id, HttpTokens: 'sometimes' as 'required' }),
    ),
    { name: 'InvalidParameterValue' },
  );
  await assert.rejects(
    ec2.send(
      new ModifyInstanceMetadataOptionsCommand({ InstanceId: 'i-0123456789abcdef0', HttpTokens: 'required' }),
    ),
    { name: 'InvalidInstanceID.NotFound' },
  );
  await ec2.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
  await assert.rejects(
    ec2.send(new ModifyInstanceMetadataOptionsCommand({ InstanceId: id, HttpTokens: 'required' })),
    { name: 'IncorrectInstanceState' },
  );
});

test('root volumes: stable IDs, launch mappings, filters, tags, gone with the instance', async () => {
  const a = await launch('t3.micro', {
    BlockDeviceMappings: [
      { DeviceName: '/dev/xvda', Ebs: { VolumeSize: 20, VolumeType: 'gp2', DeleteOnTermination: true } },
    ],
    TagSpecifications: [{ ResourceType: 'volume', Tags: [{ Key: 'tier', Value: 'web' }] }],
  });
  const b = await launch('t3.micro');
  const rootOf = async (id: string) =>
    (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }))).Reservations?.[0]?.Instances?.[0]
      ?.BlockDeviceMappings?.[0]?.Ebs?.VolumeId ?? '';
  const va = await rootOf(a);
  assert.equal(await rootOf(a), va, 'the same volume ID on every read');
  const byInstance = await ec2.send(
    new DescribeVolumesCommand({ Filters: [{ Name: 'attachment.instance-id', Values: [a] }] }),
  );
  const v = byInstance.Volumes?.[0];
  assert.equal(byInstance.Volumes?.length, 1);
  assert.deepEqual(
    [v?.VolumeId, v?.Size, v?.VolumeType, v?.Iops, v?.Throughput],
    [va, 20, 'gp2', 100, undefined],
  );
  assert.deepEqual(v?.Tags, [{ Key: 'tier', Value: 'web' }]);
  const attr = await ec2.send(
    new DescribeInstanceAttributeCommand({ InstanceId: a, Attribute: 'blockDeviceMapping' }),
  );
  assert.equal(attr.BlockDeviceMappings?.[0]?.Ebs?.VolumeId, va);
  const gp3 = await ec2.send(
    new DescribeVolumesCommand({ Filters: [{ Name: 'volume-type', Values: ['gp3'] }] }),
  );
  assert.ok(gp3.Volumes?.some((x) => x.Attachments?.[0]?.InstanceId === b));
  assert.ok(!gp3.Volumes?.some((x) => x.VolumeId === va));

  await ec2.send(new CreateTagsCommand({ Resources: [va], Tags: [{ Key: 'backup', Value: 'daily' }] }));
  const tags = await ec2.send(new DescribeTagsCommand({ Filters: [{ Name: 'resource-id', Values: [va] }] }));
  assert.deepEqual(
    tags.Tags?.map((x) => [x.ResourceType, x.Key, x.Value]),
    [
      ['volume', 'backup', 'daily'],
      ['volume', 'tier', 'web'],
    ],
  );
  const byTag = await ec2.send(
    new DescribeVolumesCommand({ Filters: [{ Name: 'tag:backup', Values: ['daily'] }] }),
  );
  assert.deepEqual(
    byTag.Volumes?.map((x) => x.VolumeId),
    [va],
  );
  await ec2.send(new DeleteTagsCommand({ Resources: [va], Tags: [{ Key: 'tier' }] }));

  await assert.rejects(ec2.send(new DescribeVolumesCommand({ VolumeIds: ['vol-0123456789abcdef0'] })), {
    name: 'InvalidVolume.NotFound',
  });
  await assert.rejects(ec2.send(new DescribeVolumesCommand({ VolumeIds: ['volume-1'] })), {
    name: 'InvalidVolumeID.Malformed',
  });
  await assert.rejects(
    ec2.send(new DescribeVolumesCommand({ Filters: [{ Name: 'colour', Values: ['x'] }] })),
    {
      name: 'InvalidFilter',
    },
  );
  // Another account sees neither the volume nor its tags.
  await assert.rejects(
    ec2Client(p, { account: CONSUMER }).send(new DescribeVolumesCommand({ VolumeIds: [va] })),
    {
      name: 'InvalidVolume.NotFound',
    },
  );
  await assert.rejects(
    launch('t3.micro', { BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { VolumeSize: 4 } }] }),
    {
      name: 'InvalidBlockDeviceMapping',
    },
  );
  await assert.rejects(
    launch('t3.micro', { BlockDeviceMappings: [{ DeviceName: '/dev/sdb', Ebs: { VolumeSize: 10 } }] }),
    {
      name: 'UnsupportedOperation',
    },
  );

  await ec2.send(new TerminateInstancesCommand({ InstanceIds: [a, b] }));
  // The volume stays while the instance shuts down and goes with it (DeleteOnTermination).
  for (let n = 0; n < 200; n++) {
    const d = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [a] }));
    if (d.Reservations?.[0]?.Instances?.[0]?.State?.Name === 'terminated') break;
    await new Promise((r) => setTimeout(r, 25));
  }
  await assert.rejects(ec2.send(new DescribeVolumesCommand({ VolumeIds: [va] })), {
    name: 'InvalidVolume.NotFound',
  });
  await assert.rejects(
    ec2.send(new CreateTagsCommand({ Resources: [va], Tags: [{ Key: 'k', Value: 'v' }] })),
    {
      name: 'InvalidVolume.NotFound',
    },
  );
});

test('tags on security group rules appear in DescribeTags and DescribeSecurityGroupRules', async () => {
  const g = await ec2.send(
    new CreateSecurityGroupCommand({ GroupName: 'tagged', Description: 't', VpcId: vpc.Vpc?.VpcId }),
  );
  const r = await ec2.send(
    new AuthorizeSecurityGroupIngressCommand({
      GroupId: g.GroupId,
      IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '10.0.0.0/8' }] }],
    }),
  );
  const rule = r.SecurityGroupRules?.[0]?.SecurityGroupRuleId ?? '';
  await ec2.send(
    new CreateTagsCommand({ Resources: [rule, g.GroupId ?? ''], Tags: [{ Key: 'owner', Value: 'ops' }] }),
  );
  const tags = await ec2.send(
    new DescribeTagsCommand({ Filters: [{ Name: 'resource-type', Values: ['security-group-rule'] }] }),
  );
  assert.deepEqual(
    tags.Tags?.map((x) => [x.ResourceId, x.Key]),
    [[rule, 'owner']],
  );
  await assert.rejects(
    ec2.send(
      new CreateTagsCommand({ Resources: ['sgr-0123456789abcdef0'], Tags: [{ Key: 'a', Value: 'b' }] }),
    ),
    { name: 'InvalidSecurityGroupRuleId.NotFound' },
  );
});

test('DescribeAccountAttributes answers what privlink offers', async () => {
  const out = await ec2.send(new DescribeAccountAttributesCommand({}));
  const values = Object.fromEntries(
    (out.AccountAttributes ?? []).map((a) => [
      a.AttributeName,
      a.AttributeValues?.map((v) => v.AttributeValue),
    ]),
  );
  assert.deepEqual(values['supported-platforms'], ['VPC']);
  assert.deepEqual(values['default-vpc'], ['none']);
  assert.deepEqual(values['max-instances'], ['20']);
  const one = await ec2.send(new DescribeAccountAttributesCommand({ AttributeNames: ['default-vpc'] }));
  assert.deepEqual(
    one.AccountAttributes?.map((a) => a.AttributeName),
    ['default-vpc'],
  );
  await assert.rejects(
    ec2.send(new DescribeAccountAttributesCommand({ AttributeNames: ['free-lunch' as 'default-vpc'] })),
    { name: 'InvalidParameterValue' },
  );
});
