/**
 * Instances API through the real EC2 client, without a data plane: launch, describe, filters,
 * states, terminate, idempotency, status, console output, and the errors of bad input.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeInstanceStatusCommand,
  DescribeInstancesCommand,
  DescribeNetworkInterfacesCommand,
  GetConsoleOutputCommand,
  RunInstancesCommand,
  TerminateInstancesCommand,
  waitUntilInstanceRunning,
  waitUntilInstanceTerminated,
  type EC2Client,
  type _InstanceType,
} from '@aws-sdk/client-ec2';
import {
  CONSUMER,
  PROVIDER,
  ec2Client,
  expectAwsError,
  signedRaw,
  startPrivlink,
} from '../helpers/privlink.js';

const AMI = 'ami-0123456789abcdef0';

async function network(ec2: EC2Client) {
  const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
  const vpcId = vpc.Vpc?.VpcId ?? '';
  const sn = await ec2.send(
    new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.0.1.0/24', AvailabilityZone: 'us-east-1a' }),
  );
  return { vpcId, subnetId: sn.Subnet?.SubnetId ?? '' };
}

test('RunInstances → pending, then running; DescribeInstances shape and filters', async (t) => {
  const p = await startPrivlink(t);
  const ec2 = ec2Client(p);
  const { vpcId, subnetId } = await network(ec2);
  const run = await ec2.send(
    new RunInstancesCommand({
      ImageId: AMI,
      MinCount: 2,
      MaxCount: 2,
      SubnetId: subnetId,
      UserData: Buffer.from('#!/bin/sh\necho hi\n').toString('base64'),
      TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'Name', Value: 'web' }] }],
    }),
  );
  assert.match(run.ReservationId ?? '', /^r-[0-9a-f]{17}$/);
  assert.equal(run.OwnerId, PROVIDER);
  assert.equal(run.Instances?.length, 2);
  const first = run.Instances?.[0];
  assert.ok(first);
  assert.match(first.InstanceId ?? '', /^i-[0-9a-f]{17}$/);
  assert.deepEqual(first.State, { Code: 0, Name: 'pending' });
  assert.equal(first.InstanceType, 't3.micro');
  assert.equal(first.VpcId, vpcId);
  assert.equal(first.SubnetId, subnetId);
  assert.equal(first.Placement?.AvailabilityZone, 'us-east-1a');
  assert.equal(first.Architecture, 'x86_64');
  assert.match(first.PrivateIpAddress ?? '', /^10\.0\.1\.\d+$/);
  assert.equal(first.PrivateDnsName, `ip-${(first.PrivateIpAddress ?? '').replace(/\./g, '-')}.ec2.internal`);
  assert.equal(first.SecurityGroups?.[0]?.GroupName, 'default');
  assert.equal(first.NetworkInterfaces?.[0]?.PrivateIpAddress, first.PrivateIpAddress);
  assert.equal(first.NetworkInterfaces?.[0]?.Attachment?.DeviceIndex, 0);
  assert.deepEqual(first.Tags, [{ Key: 'Name', Value: 'web' }]);
  assert.ok(first.LaunchTime instanceof Date);
  const ids = (run.Instances ?? []).map((i) => i.InstanceId ?? '');

  await waitUntilInstanceRunning({ client: ec2, maxWaitTime: 10, minDelay: 1 }, { InstanceIds: ids });
  const d = await ec2.send(new DescribeInstancesCommand({ InstanceIds: ids }));
  assert.equal(d.Reservations?.length, 1);
  assert.deepEqual(
    d.Reservations?.[0]?.Instances?.map((i) => i.State?.Name),
    ['running', 'running'],
  );
  const byIp = await ec2.send(
    new DescribeInstancesCommand({
      Filters: [{ Name: 'private-ip-address', Values: [first.PrivateIpAddress ?? ''] }],
    }),
  );
  assert.deepEqual(
    byIp.Reservations?.flatMap((r) => r.Instances?.map((i) => i.InstanceId)),
    [first.InstanceId],
  );
  const byTag = await ec2.send(
    new DescribeInstancesCommand({ Filters: [{ Name: 'tag:Name', Values: ['web'] }] }),
  );
  assert.equal(byTag.Reservations?.[0]?.Instances?.length, 2);
  const none = await ec2.send(
    new DescribeInstancesCommand({ Filters: [{ Name: 'instance-state-name', Values: ['stopped'] }] }),
  );
  assert.deepEqual(none.Reservations, []);
  // Another account sees nothing and cannot name the instance.
  const other = ec2Client(p, { account: CONSUMER });
  assert.deepEqual((await other.send(new DescribeInstancesCommand({}))).Reservations, []);
  await expectAwsError(
    other.send(new DescribeInstancesCommand({ InstanceIds: ids })),
    'InvalidInstanceID.NotFound',
    400,
  );

  const status = await ec2.send(new DescribeInstanceStatusCommand({ InstanceIds: ids }));
  assert.equal(status.InstanceStatuses?.length, 2);
  assert.equal(status.InstanceStatuses?.[0]?.InstanceStatus?.Status, 'ok');

  const console = await ec2.send(new GetConsoleOutputCommand({ InstanceId: first.InstanceId }));
  assert.equal(console.InstanceId, first.InstanceId);
  assert.ok(console.Timestamp instanceof Date);

  const term = await ec2.send(new TerminateInstancesCommand({ InstanceIds: ids }));
  assert.deepEqual(term.TerminatingInstances?.[0]?.CurrentState, { Code: 32, Name: 'shutting-down' });
  assert.deepEqual(term.TerminatingInstances?.[0]?.PreviousState, { Code: 16, Name: 'running' });
  await waitUntilInstanceTerminated({ client: ec2, maxWaitTime: 10, minDelay: 1 }, { InstanceIds: ids });
  const enis = await ec2.send(new DescribeNetworkInterfacesCommand({}));
  assert.deepEqual(enis.NetworkInterfaces, [], 'the primary ENI goes with the instance');
  const again = await ec2.send(new TerminateInstancesCommand({ InstanceIds: [ids[0] ?? ''] }));
  assert.deepEqual(again.TerminatingInstances?.[0]?.CurrentState, { Code: 48, Name: 'terminated' });
  const afterStatus = await ec2.send(new DescribeInstanceStatusCommand({}));
  assert.deepEqual(afterStatus.InstanceStatuses, []);
  // With IncludeAllInstances a terminated instance has no status checks: not-applicable, no details.
  const all = await ec2.send(
    new DescribeInstanceStatusCommand({ InstanceIds: ids, IncludeAllInstances: true }),
  );
  assert.equal(all.InstanceStatuses?.[0]?.InstanceState?.Name, 'terminated');
  assert.deepEqual(all.InstanceStatuses?.[0]?.InstanceStatus, { Status: 'not-applicable' });
  assert.deepEqual(all.InstanceStatuses?.[0]?.SystemStatus, { Status: 'not-applicable' });
});

test('PrivateIpAddress, security groups, ClientToken idempotency', async (t) => {
  const p = await startPrivlink(t);
  const ec2 = ec2Client(p);
  const { vpcId, subnetId } = await network(ec2);
  const sg = await ec2.send(
    new CreateSecurityGroupCommand({ GroupName: 'web', Description: 'w', VpcId: vpcId }),
  );
  const base = { ImageId: AMI, MinCount: 1, MaxCount: 1, SubnetId: subnetId };
  const request = {
    ...base,
    PrivateIpAddress: '10.0.1.10',
    SecurityGroupIds: [sg.GroupId ?? ''],
    ClientToken: 'tok-1',
    InstanceType: 'c5.large' as const,
  };
  const run = await ec2.send(new RunInstancesCommand(request));
  const inst = run.Instances?.[0];
  assert.equal(inst?.PrivateIpAddress, '10.0.1.10');
  assert.equal(inst?.InstanceType, 'c5.large');
  assert.deepEqual(inst?.SecurityGroups, [{ GroupId: sg.GroupId, GroupName: 'web' }]);
  const same = await ec2.send(new RunInstancesCommand(request));
  assert.equal(same.Instances?.[0]?.InstanceId, inst?.InstanceId);
  await expectAwsError(
    ec2.send(new RunInstancesCommand({ ...base, ClientToken: 'tok-1' })),
    'IdempotentParameterMismatch',
    400,
  );
  await expectAwsError(
    ec2.send(new RunInstancesCommand({ ...base, PrivateIpAddress: '10.0.1.10' })),
    'InvalidIPAddress.InUse',
    400,
  );
  const byNic = await ec2.send(
    new RunInstancesCommand({
      ImageId: AMI,
      MinCount: 1,
      MaxCount: 1,
      NetworkInterfaces: [
        { DeviceIndex: 0, SubnetId: subnetId, PrivateIpAddress: '10.0.1.11', Groups: [sg.GroupId ?? ''] },
      ],
    }),
  );
  assert.equal(byNic.Instances?.[0]?.PrivateIpAddress, '10.0.1.11');
});

test('RunInstances errors change nothing', async (t) => {
  const p = await startPrivlink(t);
  const ec2 = ec2Client(p);
  const { subnetId } = await network(ec2);
  const base = { ImageId: AMI, MinCount: 1, MaxCount: 1, SubnetId: subnetId };
  await expectAwsError(
    ec2.send(new RunInstancesCommand({ ...base, SubnetId: undefined })),
    'VPCIdNotSpecified',
    400,
  );
  await expectAwsError(
    ec2.send(new RunInstancesCommand({ ...base, ImageId: 'foo' })),
    'InvalidAMIID.Malformed',
    400,
  );
  await expectAwsError(
    ec2.send(new RunInstancesCommand({ ...base, ImageId: undefined })),
    'MissingParameter',
    400,
  );
  await expectAwsError(
    ec2.send(new RunInstancesCommand({ ...base, MinCount: 0 })),
    'InvalidParameterValue',
    400,
  );
  await expectAwsError(
    ec2.send(new RunInstancesCommand({ ...base, MinCount: 3, MaxCount: 2 })),
    'InvalidParameterValue',
    400,
  );
  await expectAwsError(
    ec2.send(new RunInstancesCommand({ ...base, MinCount: 21, MaxCount: 21 })),
    'InstanceLimitExceeded',
    400,
  );
  await expectAwsError(
    ec2.send(new RunInstancesCommand({ ...base, MaxCount: 2, PrivateIpAddress: '10.0.1.20' })),
    'InvalidParameterCombination',
    400,
  );
  await expectAwsError(
    ec2.send(new RunInstancesCommand({ ...base, PrivateIpAddress: '10.0.9.9' })),
    'InvalidParameterValue',
    400,
  );
  await expectAwsError(
    ec2.send(new RunInstancesCommand({ ...base, PrivateIpAddress: '10.0.1.1' })),
    'InvalidParameterValue',
    400,
  );
  await expectAwsError(
    ec2.send(new RunInstancesCommand({ ...base, UserData: '***' })),
    'InvalidParameterValue',
    400,
  );
  await expectAwsError(
    ec2.send(new RunInstancesCommand({ ...base, UserData: Buffer.alloc(17 * 1024, 65).toString('base64') })),
    'InvalidParameterValue',
    400,
  );
  await expectAwsError(
    ec2.send(new RunInstancesCommand({ ...base, SecurityGroupIds: ['sg-0123456789abcdef0'] })),
    'InvalidGroup.NotFound',
    400,
  );
  await expectAwsError(
    ec2.send(new RunInstancesCommand({ ...base, SubnetId: 'subnet-0123456789abcdef0' })),
    'InvalidSubnetID.NotFound',
    400,
  );
  await expectAwsError(
    ec2.send(new RunInstancesCommand({ ...base, InstanceType: 'Not A Type' as _InstanceType })),
    'InvalidParameterValue',
    400,
  );
  await expectAwsError(
    ec2.send(
      new RunInstancesCommand({
        ...base,
        TagSpecifications: [{ ResourceType: 'vpc', Tags: [{ Key: 'a', Value: 'b' }] }],
      }),
    ),
    'InvalidParameterValue',
    400,
  );
  await expectAwsError(ec2.send(new RunInstancesCommand({ ...base, DryRun: true })), 'DryRunOperation', 412);
  const raw = await signedRaw(
    p,
    `Action=RunInstances&Version=2016-11-15&MinCount=1&MaxCount=1&ImageId=${AMI}&SubnetId=${subnetId}&Bogus=1`,
  );
  assert.equal(raw.status, 400);
  assert.match(raw.body, /UnknownParameter/);
  assert.deepEqual((await ec2.send(new DescribeInstancesCommand({}))).Reservations, []);
  assert.deepEqual((await ec2.send(new DescribeNetworkInterfacesCommand({}))).NetworkInterfaces, []);

  await expectAwsError(
    ec2.send(new DescribeInstancesCommand({ InstanceIds: ['i-0123456789abcdef0'] })),
    'InvalidInstanceID.NotFound',
    400,
  );
  await expectAwsError(
    ec2.send(new DescribeInstancesCommand({ InstanceIds: ['nope'] })),
    'InvalidInstanceID.Malformed',
    400,
  );
  await expectAwsError(
    ec2.send(new TerminateInstancesCommand({ InstanceIds: ['i-0123456789abcdef0'] })),
    'InvalidInstanceID.NotFound',
    400,
  );
  await expectAwsError(
    ec2.send(new GetConsoleOutputCommand({ InstanceId: 'i-0123456789abcdef0' })),
    'InvalidInstanceID.NotFound',
    400,
  );
  await expectAwsError(
    ec2.send(new DescribeInstancesCommand({ MaxResults: 2 })),
    'InvalidParameterValue',
    400,
  );
});

test('MaxCount above the free quota launches what fits', async (t) => {
  const p = await startPrivlink(t);
  const ec2 = ec2Client(p);
  const { subnetId } = await network(ec2);
  const run = await ec2.send(
    new RunInstancesCommand({ ImageId: AMI, MinCount: 1, MaxCount: 25, SubnetId: subnetId }),
  );
  assert.equal(run.Instances?.length, 20);
  assert.deepEqual(
    run.Instances?.map((i) => i.AmiLaunchIndex),
    Array.from({ length: 20 }, (_, n) => n),
  );
  const page = await ec2.send(new DescribeInstancesCommand({ MaxResults: 5 }));
  assert.equal(page.Reservations?.[0]?.Instances?.length, 5);
  assert.ok(page.NextToken);
});
