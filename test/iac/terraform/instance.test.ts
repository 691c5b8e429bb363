/**
 * Terraform's aws_instance (internal/service/ec2/ec2_instance.go, provider v5) replayed with the
 * AWS SDK: create with credit, metadata and tag options → read → plan-refresh read (no diff) →
 * update (metadata options, instance type through stop/modify/start, root volume tags) → delete.
 * The fields asserted are the ones the provider's read copies into state.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateTagsCommand,
  CreateVpcCommand,
  DescribeInstanceAttributeCommand,
  DescribeInstanceCreditSpecificationsCommand,
  DescribeInstancesCommand,
  DescribeInstanceTypesCommand,
  DescribeTagsCommand,
  DescribeVolumesCommand,
  DescribeVpcsCommand,
  ModifyInstanceAttributeCommand,
  ModifyInstanceMetadataOptionsCommand,
  RunInstancesCommand,
  StartInstancesCommand,
  StopInstancesCommand,
  TerminateInstancesCommand,
  type Instance,
} from '@aws-sdk/client-ec2';
import { startPrivlink } from '../../helpers/privlink.js';
import { phase, recordedClients, waitFor } from './replay.js';

const NAME = 'aws_instance';

test('aws_instance: create → read → refresh → update → delete', async (t) => {
  const p = await startPrivlink(t);
  const { ec2, calls } = recordedClients(p);
  const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.5.0.0/16' }));
  const vpcId = vpc.Vpc?.VpcId ?? '';
  const subnet = await ec2.send(
    new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.5.1.0/24', AvailabilityZone: 'us-east-1b' }),
  );
  const sg = await ec2.send(
    new CreateSecurityGroupCommand({ GroupName: 'web', Description: 'web', VpcId: vpcId }),
  );
  const userData = Buffer.from('#!/bin/sh\necho hi\n').toString('base64');

  const describe = async (id: string): Promise<Instance> => {
    const out = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }));
    const i = out.Reservations?.[0]?.Instances?.[0];
    assert.ok(i, 'DescribeInstances finds the instance');
    return i;
  };
  const state = (want: string) => (i: Instance) => i.State?.Name === want;

  const id = await phase(calls, NAME, 'create', async () => {
    // credit_specification is set: the provider checks the type is burstable first.
    const types = await ec2.send(new DescribeInstanceTypesCommand({ InstanceTypes: ['t3.micro'] }));
    assert.equal(types.InstanceTypes?.[0]?.BurstablePerformanceSupported, true);
    const run = await ec2.send(
      new RunInstancesCommand({
        ClientToken: 'terraform-20261203-0001',
        MinCount: 1,
        MaxCount: 1,
        ImageId: 'ami-0123456789abcdef0',
        InstanceType: 't3.micro',
        Monitoring: { Enabled: false },
        Placement: { AvailabilityZone: 'us-east-1b' },
        MetadataOptions: { HttpEndpoint: 'enabled', HttpTokens: 'optional', HttpPutResponseHopLimit: 1 },
        DisableApiTermination: false,
        EbsOptimized: false,
        EnclaveOptions: { Enabled: false },
        CreditSpecification: { CpuCredits: 'unlimited' },
        NetworkInterfaces: [
          { DeviceIndex: 0, SubnetId: subnet.Subnet?.SubnetId, Groups: [sg.GroupId ?? ''] },
        ],
        UserData: userData,
        TagSpecifications: [
          { ResourceType: 'instance', Tags: [{ Key: 'Name', Value: 'web' }] },
          { ResourceType: 'volume', Tags: [{ Key: 'Name', Value: 'web-root' }] },
        ],
      }),
    );
    const iid = run.Instances?.[0]?.InstanceId ?? '';
    await waitFor(() => describe(iid), state('running'));
    // root_block_device.tags: tags on the root volume found in blockDeviceMapping.
    const i = await describe(iid);
    await ec2.send(
      new CreateTagsCommand({
        Resources: [i.BlockDeviceMappings?.[0]?.Ebs?.VolumeId ?? ''],
        Tags: [{ Key: 'backup', Value: 'daily' }],
      }),
    );
    return iid;
  });

  /** The provider's read, returning what it would put in state. */
  const read = async () => {
    const i = await describe(id);
    const type = (
      await ec2.send(new DescribeInstanceTypesCommand({ InstanceTypes: [i.InstanceType ?? 't3.micro'] }))
    ).InstanceTypes?.[0];
    const lt = await ec2.send(
      new DescribeTagsCommand({
        Filters: [
          { Name: 'resource-id', Values: [id] },
          { Name: 'key', Values: ['aws:ec2launchtemplate:id'] },
        ],
      }),
    );
    const vpcs = await ec2.send(new DescribeVpcsCommand({ VpcIds: [i.VpcId ?? ''] }));
    const attr = async (
      Attribute:
        'instanceInitiatedShutdownBehavior' | 'disableApiStop' | 'disableApiTermination' | 'userData',
    ) => ec2.send(new DescribeInstanceAttributeCommand({ InstanceId: id, Attribute }));
    const shutdown = await attr('instanceInitiatedShutdownBehavior');
    const stop = await attr('disableApiStop');
    const termination = await attr('disableApiTermination');
    const ud = await attr('userData');
    const volumeIds = (i.BlockDeviceMappings ?? []).map((b) => b.Ebs?.VolumeId ?? '');
    const volumes = await ec2.send(new DescribeVolumesCommand({ VolumeIds: volumeIds }));
    const credits = type?.BurstablePerformanceSupported
      ? await ec2.send(new DescribeInstanceCreditSpecificationsCommand({ InstanceIds: [id] }))
      : undefined;
    return {
      instance: i,
      type,
      launchTemplateTags: lt.Tags ?? [],
      isDefaultVpc: vpcs.Vpcs?.[0]?.IsDefault,
      shutdown: shutdown.InstanceInitiatedShutdownBehavior?.Value,
      disableApiStop: stop.DisableApiStop?.Value,
      disableApiTermination: termination.DisableApiTermination?.Value,
      userData: ud.UserData?.Value,
      volume: volumes.Volumes?.[0],
      cpuCredits: credits?.InstanceCreditSpecifications?.[0]?.CpuCredits,
    };
  };

  const first = await phase(calls, NAME, 'read', read);
  const i = first.instance;
  assert.equal(i.State?.Name, 'running');
  assert.equal(i.InstanceType, 't3.micro');
  assert.equal(i.ImageId, 'ami-0123456789abcdef0');
  assert.equal(i.Placement?.AvailabilityZone, 'us-east-1b');
  assert.equal(i.Placement?.Tenancy, 'default');
  assert.equal(i.SubnetId, subnet.Subnet?.SubnetId);
  assert.equal(i.VpcId, vpcId);
  assert.deepEqual(
    i.SecurityGroups?.map((g) => g.GroupId),
    [sg.GroupId],
  );
  assert.equal(i.MetadataOptions?.HttpTokens, 'optional');
  assert.equal(i.MetadataOptions?.HttpEndpoint, 'enabled');
  assert.equal(i.MetadataOptions?.HttpPutResponseHopLimit, 1);
  assert.equal(i.MetadataOptions?.InstanceMetadataTags, 'disabled');
  assert.equal(i.CpuOptions?.CoreCount !== undefined, true);
  assert.equal(i.HibernationOptions?.Configured, false);
  assert.equal(i.EnclaveOptions?.Enabled, false);
  assert.equal(i.MaintenanceOptions?.AutoRecovery, 'default');
  assert.equal(i.Monitoring?.State, 'disabled');
  assert.equal(i.SourceDestCheck, true);
  assert.equal(i.EbsOptimized, false);
  assert.equal(i.RootDeviceName, '/dev/xvda');
  assert.equal(i.NetworkInterfaces?.[0]?.Attachment?.DeviceIndex, 0);
  assert.equal(i.NetworkInterfaces?.[0]?.Attachment?.DeleteOnTermination, true);
  assert.match(i.PrivateIpAddress ?? '', /^10\.5\.1\./);
  assert.deepEqual(i.Tags, [{ Key: 'Name', Value: 'web' }]);
  const bdm = i.BlockDeviceMappings?.[0];
  assert.equal(i.BlockDeviceMappings?.length, 1);
  assert.equal(bdm?.DeviceName, '/dev/xvda');
  assert.match(bdm?.Ebs?.VolumeId ?? '', /^vol-[0-9a-f]{17}$/);
  assert.equal(bdm?.Ebs?.DeleteOnTermination, true);
  assert.equal(bdm?.Ebs?.Status, 'attached');
  assert.equal(first.type?.VCpuInfo?.DefaultVCpus, 2);
  assert.equal(first.type?.MemoryInfo?.SizeInMiB, 1024);
  assert.deepEqual(first.launchTemplateTags, []);
  assert.equal(first.isDefaultVpc, false);
  assert.equal(first.shutdown, 'stop');
  assert.equal(first.disableApiStop, false);
  assert.equal(first.disableApiTermination, false);
  assert.equal(first.userData, userData);
  const v = first.volume;
  assert.equal(v?.VolumeId, bdm?.Ebs?.VolumeId);
  assert.equal(v?.Size, 8);
  assert.equal(v?.VolumeType, 'gp3');
  assert.equal(v?.Iops, 3000);
  assert.equal(v?.Throughput, 125);
  assert.equal(v?.Encrypted, false);
  assert.equal(v?.AvailabilityZone, 'us-east-1b');
  assert.equal(v?.State, 'in-use');
  assert.deepEqual(
    v?.Attachments?.map((a) => [a.InstanceId, a.Device, a.State, a.DeleteOnTermination]),
    [[id, '/dev/xvda', 'attached', true]],
  );
  assert.deepEqual(
    [...(v?.Tags ?? [])].sort((a, b) => (a.Key ?? '').localeCompare(b.Key ?? '')),
    [
      { Key: 'backup', Value: 'daily' },
      { Key: 'Name', Value: 'web-root' },
    ],
  );
  assert.equal(first.cpuCredits, 'unlimited');

  // terraform plan: the refresh reads the same, so nothing changes.
  const refresh = await phase(calls, NAME, 'read', read);
  assert.deepEqual(refresh, first);

  await phase(calls, NAME, 'update', async () => {
    // metadata_options { http_tokens = "required" } + WaitInstanceMetadataOptionsApplied.
    const m = await ec2.send(
      new ModifyInstanceMetadataOptionsCommand({
        InstanceId: id,
        HttpTokens: 'required',
        HttpEndpoint: 'enabled',
      }),
    );
    assert.equal(m.InstanceMetadataOptions?.HttpTokens, 'required');
    assert.equal(m.InstanceMetadataOptions?.State, 'pending');
    await waitFor(
      () => describe(id),
      (x) => x.MetadataOptions?.State === 'applied',
    );
    // instance_type: stop, wait stopped, modify, start, wait running.
    await ec2.send(new StopInstancesCommand({ InstanceIds: [id] }));
    await waitFor(() => describe(id), state('stopped'));
    await ec2.send(
      new ModifyInstanceAttributeCommand({ InstanceId: id, InstanceType: { Value: 't3.small' } }),
    );
    await ec2.send(new StartInstancesCommand({ InstanceIds: [id] }));
    await waitFor(() => describe(id), state('running'));
    // volume_tags change.
    await ec2.send(
      new CreateTagsCommand({
        Resources: [bdm?.Ebs?.VolumeId ?? ''],
        Tags: [{ Key: 'backup', Value: 'weekly' }],
      }),
    );
  });
  const after = await read();
  assert.equal(after.instance.InstanceType, 't3.small');
  assert.equal(after.instance.MetadataOptions?.HttpTokens, 'required');
  assert.equal(after.volume?.VolumeId, bdm?.Ebs?.VolumeId, 'the root volume keeps its ID across stop/start');
  assert.ok(after.volume?.Tags?.some((x) => x.Key === 'backup' && x.Value === 'weekly'));
  assert.equal(after.cpuCredits, 'unlimited');

  await phase(calls, NAME, 'delete', async () => {
    await ec2.send(
      new ModifyInstanceAttributeCommand({ InstanceId: id, DisableApiTermination: { Value: false } }),
    );
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
    await waitFor(() => describe(id), state('terminated'));
  });
  const gone = await describe(id);
  assert.deepEqual(gone.BlockDeviceMappings, []);
  await assert.rejects(ec2.send(new DescribeVolumesCommand({ VolumeIds: [bdm?.Ebs?.VolumeId ?? ''] })), {
    name: 'InvalidVolume.NotFound',
  });
});
