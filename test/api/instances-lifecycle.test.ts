/**
 * The EC2 instance lifecycle through the real EC2 client, without a data plane: Stop/Start/
 * RebootInstances and their states and reasons, Describe/ModifyInstanceAttribute (changes only
 * while stopped), DisableApiTermination, InstanceInitiatedShutdownBehavior, the ENI and private
 * IP kept across stop/start, and AWS's errors.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeInstanceAttributeCommand,
  DescribeInstancesCommand,
  ModifyInstanceAttributeCommand,
  RebootInstancesCommand,
  RunInstancesCommand,
  StartInstancesCommand,
  StopInstancesCommand,
  TerminateInstancesCommand,
  type EC2Client,
  type Instance,
} from '@aws-sdk/client-ec2';
import { instanceInitiatedShutdown } from '../../src/control/instances/instances.js';
import { ec2Client, eventually, expectAwsError, startPrivlink } from '../helpers/privlink.js';

const AMI = 'ami-0123456789abcdef0';

async function launch(
  ec2: EC2Client,
  extra: Partial<ConstructorParameters<typeof RunInstancesCommand>[0]> = {},
) {
  const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
  const sn = await ec2.send(
    new CreateSubnetCommand({
      VpcId: vpc.Vpc?.VpcId,
      CidrBlock: '10.0.1.0/24',
      AvailabilityZone: 'us-east-1a',
    }),
  );
  const r = await ec2.send(
    new RunInstancesCommand({
      ImageId: AMI,
      MinCount: 1,
      MaxCount: 1,
      SubnetId: sn.Subnet?.SubnetId,
      UserData: Buffer.from('#!/bin/sh\necho one\n').toString('base64'),
      ...extra,
    }),
  );
  return r.Instances?.[0]?.InstanceId ?? '';
}

async function describe(ec2: EC2Client, id: string): Promise<Instance> {
  const r = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }));
  const i = r.Reservations?.[0]?.Instances?.[0];
  assert.ok(i);
  return i;
}

const stateOf = async (ec2: EC2Client, id: string) => (await describe(ec2, id)).State?.Name;

test('stop → stopped → start → running keeps the ENI and private IP; reasons as AWS has them', async (t) => {
  const p = await startPrivlink(t);
  const ec2 = ec2Client(p);
  const id = await launch(ec2);
  await eventually(
    () => stateOf(ec2, id),
    (s) => s === 'running',
  );
  const before = await describe(ec2, id);

  const stop = await ec2.send(new StopInstancesCommand({ InstanceIds: [id] }));
  assert.deepEqual(stop.StoppingInstances?.[0]?.CurrentState, { Code: 64, Name: 'stopping' });
  assert.deepEqual(stop.StoppingInstances?.[0]?.PreviousState, { Code: 16, Name: 'running' });
  await eventually(
    () => stateOf(ec2, id),
    (s) => s === 'stopped',
  );
  const stopped = await describe(ec2, id);
  assert.equal(stopped.StateReason?.Code, 'Client.UserInitiatedShutdown');
  assert.equal(stopped.StateReason?.Message, 'Client.UserInitiatedShutdown: User initiated shutdown');
  assert.match(
    stopped.StateTransitionReason ?? '',
    /^User initiated \(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d GMT\)$/,
  );
  assert.equal(stopped.PrivateIpAddress, before.PrivateIpAddress);
  assert.equal(
    stopped.NetworkInterfaces?.[0]?.NetworkInterfaceId,
    before.NetworkInterfaces?.[0]?.NetworkInterfaceId,
  );

  // Stopping a stopped instance changes nothing; rebooting it is refused.
  const again = await ec2.send(new StopInstancesCommand({ InstanceIds: [id] }));
  assert.equal(again.StoppingInstances?.[0]?.CurrentState?.Name, 'stopped');
  await expectAwsError(
    ec2.send(new RebootInstancesCommand({ InstanceIds: [id] })),
    'IncorrectInstanceState',
    400,
  );

  const start = await ec2.send(new StartInstancesCommand({ InstanceIds: [id] }));
  assert.deepEqual(start.StartingInstances?.[0]?.CurrentState, { Code: 0, Name: 'pending' });
  assert.deepEqual(start.StartingInstances?.[0]?.PreviousState, { Code: 80, Name: 'stopped' });
  await eventually(
    () => stateOf(ec2, id),
    (s) => s === 'running',
  );
  const after = await describe(ec2, id);
  assert.equal(after.PrivateIpAddress, before.PrivateIpAddress);
  assert.equal(
    after.NetworkInterfaces?.[0]?.NetworkInterfaceId,
    before.NetworkInterfaces?.[0]?.NetworkInterfaceId,
  );
  assert.equal(after.StateReason, undefined);
  assert.equal(p.store.find('instance', id)?.boots, 1);

  const reboot = await ec2.send(new RebootInstancesCommand({ InstanceIds: [id] }));
  assert.equal(reboot.$metadata.httpStatusCode, 200);
  assert.equal(p.store.find('instance', id)?.boots, 2);
  assert.equal(await stateOf(ec2, id), 'running');

  await ec2.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
  await expectAwsError(ec2.send(new StartInstancesCommand({ InstanceIds: [id] })), 'IncorrectInstanceState');
  await expectAwsError(ec2.send(new StopInstancesCommand({ InstanceIds: [id] })), 'IncorrectInstanceState');
  await expectAwsError(
    ec2.send(new StopInstancesCommand({ InstanceIds: ['i-0123456789abcdef0'] })),
    'InvalidInstanceID.NotFound',
  );
});

test('Describe/ModifyInstanceAttribute: type and user data only while stopped', async (t) => {
  const p = await startPrivlink(t);
  const ec2 = ec2Client(p);
  const id = await launch(ec2, { InstanceType: 't3.micro' });
  const attr = (
    Attribute: 'instanceType' | 'userData' | 'disableApiTermination' | 'instanceInitiatedShutdownBehavior',
  ) => ec2.send(new DescribeInstanceAttributeCommand({ InstanceId: id, Attribute }));
  assert.equal((await attr('instanceType')).InstanceType?.Value, 't3.micro');
  assert.equal(
    Buffer.from((await attr('userData')).UserData?.Value ?? '', 'base64').toString(),
    '#!/bin/sh\necho one\n',
  );
  assert.equal((await attr('disableApiTermination')).DisableApiTermination?.Value, false);
  assert.equal(
    (await attr('instanceInitiatedShutdownBehavior')).InstanceInitiatedShutdownBehavior?.Value,
    'stop',
  );

  await expectAwsError(
    ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: id, InstanceType: { Value: 't3.small' } })),
    'IncorrectInstanceState',
    400,
  );
  await expectAwsError(
    ec2.send(
      new ModifyInstanceAttributeCommand({
        InstanceId: id,
        UserData: { Value: new TextEncoder().encode('x') },
      }),
    ),
    'IncorrectInstanceState',
  );
  // Termination protection and shutdown behaviour change at any time.
  await ec2.send(
    new ModifyInstanceAttributeCommand({ InstanceId: id, DisableApiTermination: { Value: true } }),
  );
  await expectAwsError(
    ec2.send(new TerminateInstancesCommand({ InstanceIds: [id] })),
    'OperationNotPermitted',
  );
  assert.notEqual(await stateOf(ec2, id), 'shutting-down');
  await ec2.send(
    new ModifyInstanceAttributeCommand({
      InstanceId: id,
      Attribute: 'disableApiTermination',
      Value: 'false',
    }),
  );
  await expectAwsError(
    ec2.send(
      new ModifyInstanceAttributeCommand({
        InstanceId: id,
        InstanceInitiatedShutdownBehavior: { Value: 'explode' },
      }),
    ),
    'InvalidParameterValue',
  );

  await ec2.send(new StopInstancesCommand({ InstanceIds: [id] }));
  await eventually(
    () => stateOf(ec2, id),
    (s) => s === 'stopped',
  );
  await ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: id, InstanceType: { Value: 't3.small' } }));
  await ec2.send(
    new ModifyInstanceAttributeCommand({
      InstanceId: id,
      UserData: { Value: new TextEncoder().encode('#!/bin/sh\necho two\n') },
    }),
  );
  assert.equal((await attr('instanceType')).InstanceType?.Value, 't3.small');
  assert.equal(
    Buffer.from((await attr('userData')).UserData?.Value ?? '', 'base64').toString(),
    '#!/bin/sh\necho two\n',
  );
  await ec2.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
});

test('instance-initiated shutdown stops or terminates per InstanceInitiatedShutdownBehavior', async (t) => {
  const p = await startPrivlink(t);
  const ec2 = ec2Client(p);
  const stopper = await launch(ec2);
  const vpcs = p.store.listAll('subnet');
  const r = await ec2.send(
    new RunInstancesCommand({
      ImageId: AMI,
      MinCount: 1,
      MaxCount: 1,
      SubnetId: vpcs[0]?.id,
      InstanceInitiatedShutdownBehavior: 'terminate',
    }),
  );
  const terminator = r.Instances?.[0]?.InstanceId ?? '';
  await eventually(
    () => stateOf(ec2, terminator),
    (s) => s === 'running',
  );
  instanceInitiatedShutdown(p.control, stopper);
  instanceInitiatedShutdown(p.control, terminator);
  await eventually(
    () => stateOf(ec2, stopper),
    (s) => s === 'stopped',
  );
  await eventually(
    () => stateOf(ec2, terminator),
    (s) => s === 'terminated',
  );
  const s = await describe(ec2, stopper);
  assert.equal(s.StateReason?.Code, 'Client.InstanceInitiatedShutdown');
  assert.equal(s.StateReason?.Message, 'Client.InstanceInitiatedShutdown: Instance initiated shutdown');
  assert.equal((await describe(ec2, terminator)).StateReason?.Code, 'Client.InstanceInitiatedShutdown');
  await expectAwsError(
    ec2.send(
      new RunInstancesCommand({
        ImageId: AMI,
        MinCount: 1,
        MaxCount: 1,
        SubnetId: vpcs[0]?.id,
        InstanceInitiatedShutdownBehavior: 'hibernate' as 'stop',
      }),
    ),
    'InvalidParameterValue',
  );
});
