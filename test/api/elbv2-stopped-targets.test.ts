/**
 * Instance targets follow their instance's lifecycle in DescribeTargetHealth (no data plane): a
 * stopping or stopped instance is `unused`/Target.InvalidState, as AWS reports it; once started
 * again it is no longer reported so.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateSubnetCommand,
  CreateVpcCommand,
  RunInstancesCommand,
  DescribeInstancesCommand,
  StartInstancesCommand,
  StopInstancesCommand,
  waitUntilInstanceRunning,
  waitUntilInstanceStopped,
} from '@aws-sdk/client-ec2';
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateTargetGroupCommand,
  DescribeTargetHealthCommand,
  RegisterTargetsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { ec2Client, elbClient, startPrivlink } from '../helpers/privlink.js';

test('DescribeTargetHealth: a stopped instance target is unused/Target.InvalidState', async (t) => {
  const p = await startPrivlink(t);
  const ec2 = ec2Client(p);
  const elb = elbClient(p);
  const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
  const vpcId = vpc.Vpc?.VpcId ?? '';
  const sn = await ec2.send(
    new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.0.1.0/24', AvailabilityZone: 'us-east-1a' }),
  );
  const subnetId = sn.Subnet?.SubnetId ?? '';
  const run = await ec2.send(
    new RunInstancesCommand({
      ImageId: 'ami-0123456789abcdef0',
      MinCount: 1,
      MaxCount: 1,
      SubnetId: subnetId,
    }),
  );
  const id = run.Instances?.[0]?.InstanceId ?? '';
  const lb = await elb.send(
    new CreateLoadBalancerCommand({ Name: 'nlb', Type: 'network', Scheme: 'internal', Subnets: [subnetId] }),
  );
  const tg = await elb.send(
    new CreateTargetGroupCommand({
      Name: 'tg',
      Protocol: 'TCP',
      Port: 80,
      VpcId: vpcId,
      TargetType: 'instance',
    }),
  );
  const tgArn = tg.TargetGroups?.[0]?.TargetGroupArn ?? '';
  await elb.send(
    new CreateListenerCommand({
      LoadBalancerArn: lb.LoadBalancers?.[0]?.LoadBalancerArn,
      Protocol: 'TCP',
      Port: 80,
      DefaultActions: [{ Type: 'forward', TargetGroupArn: tgArn }],
    }),
  );
  await elb.send(new RegisterTargetsCommand({ TargetGroupArn: tgArn, Targets: [{ Id: id }] }));
  const health = async () =>
    (await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: tgArn }))).TargetHealthDescriptions?.[0]
      ?.TargetHealth;
  const w = { client: ec2, maxWaitTime: 10, minDelay: 1 };
  await waitUntilInstanceRunning(w, { InstanceIds: [id] });
  assert.notEqual((await health())?.State, 'unused');

  await ec2.send(new StopInstancesCommand({ InstanceIds: [id] }));
  const stopping = await health();
  assert.deepEqual([stopping?.State, stopping?.Reason], ['unused', 'Target.InvalidState']);
  await waitUntilInstanceStopped(w, { InstanceIds: [id] });
  assert.deepEqual(await health(), {
    State: 'unused',
    Reason: 'Target.InvalidState',
    Description: 'Target is in the stopped state',
  });

  await ec2.send(new StartInstancesCommand({ InstanceIds: [id] }));
  await waitUntilInstanceRunning(w, { InstanceIds: [id] });
  // Restarted: checked afresh (no check has passed yet), not `healthy` on the old registration.
  assert.deepEqual(await health(), {
    State: 'initial',
    Reason: 'Elb.RegistrationInProgress',
    Description: 'Target registration is in progress',
  });
  // LaunchTime is the last start, as on AWS.
  const d = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }));
  const launched = d.Reservations?.[0]?.Instances?.[0]?.LaunchTime?.getTime() ?? 0;
  const first = run.Instances?.[0]?.LaunchTime?.getTime() ?? 0;
  assert.ok(launched > first, `LaunchTime ${launched} after the first launch ${first}`);
});
