/**
 * Terraform's ELBv2 resources replayed with the AWS SDK, one privlink for the file: aws_lb
 * (elbv2/load_balancer.go), aws_lb_target_group (target_group.go), aws_lb_target_group_attachment
 * (target_group_attachment.go), aws_lb_listener (listener.go). Each phase's calls must equal
 * scripts/iac-calls.ts; the fields asserted are the ones the provider's read copies into state.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { CreateSubnetCommand, CreateVpcCommand, DescribeNetworkInterfacesCommand } from '@aws-sdk/client-ec2';
import {
  AddTagsCommand,
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateTargetGroupCommand,
  DeleteListenerCommand,
  DeleteLoadBalancerCommand,
  DeleteTargetGroupCommand,
  DeregisterTargetsCommand,
  DescribeCapacityReservationCommand,
  DescribeListenerAttributesCommand,
  DescribeListenersCommand,
  DescribeLoadBalancerAttributesCommand,
  DescribeLoadBalancersCommand,
  DescribeTagsCommand,
  DescribeTargetGroupAttributesCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  ModifyListenerAttributesCommand,
  ModifyListenerCommand,
  ModifyLoadBalancerAttributesCommand,
  ModifyTargetGroupAttributesCommand,
  ModifyTargetGroupCommand,
  RegisterTargetsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { startPrivlink } from '../../helpers/privlink.js';
import { phase, recordedClients, waitFor } from './replay.js';

const p = await startPrivlink({ after });
const { ec2, elb, calls } = recordedClients(p);
const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.40.0.0/16' }));
const VPC = vpc.Vpc?.VpcId ?? '';
const subnet = await ec2.send(
  new CreateSubnetCommand({ VpcId: VPC, CidrBlock: '10.40.1.0/24', AvailabilityZone: 'us-east-1a' }),
);
const SUBNET = subnet.Subnet?.SubnetId ?? '';

const attrs = (list: { Key?: string; Value?: string }[] | undefined) =>
  Object.fromEntries((list ?? []).map((a) => [a.Key, a.Value]));

async function newLoadBalancer(name: string): Promise<string> {
  const out = await elb.send(
    new CreateLoadBalancerCommand({ Name: name, Type: 'network', Scheme: 'internal', Subnets: [SUBNET] }),
  );
  return out.LoadBalancers?.[0]?.LoadBalancerArn ?? '';
}

async function newTargetGroup(name: string): Promise<string> {
  const out = await elb.send(
    new CreateTargetGroupCommand({ Name: name, Protocol: 'TCP', Port: 80, VpcId: VPC, TargetType: 'ip' }),
  );
  return out.TargetGroups?.[0]?.TargetGroupArn ?? '';
}

test('aws_lb', async () => {
  const N = 'aws_lb';
  const describe = async (arn: string) =>
    (await elb.send(new DescribeLoadBalancersCommand({ LoadBalancerArns: [arn] }))).LoadBalancers?.[0];
  const arn = await phase(calls, N, 'create', async () => {
    await assert.rejects(elb.send(new DescribeLoadBalancersCommand({ Names: ['web'] })), {
      name: 'LoadBalancerNotFoundException',
    });
    const out = await elb.send(
      new CreateLoadBalancerCommand({
        Name: 'web',
        Type: 'network',
        Scheme: 'internal',
        IpAddressType: 'ipv4',
        SubnetMappings: [{ SubnetId: SUBNET }],
        Tags: [{ Key: 'Name', Value: 'web' }],
      }),
    );
    const lbArn = out.LoadBalancers?.[0]?.LoadBalancerArn ?? '';
    await waitFor(
      () => describe(lbArn),
      (lb) => lb?.State?.Code === 'active',
    );
    await elb.send(
      new ModifyLoadBalancerAttributesCommand({
        LoadBalancerArn: lbArn,
        Attributes: [
          { Key: 'access_logs.s3.enabled', Value: 'false' },
          { Key: 'load_balancing.cross_zone.enabled', Value: 'true' },
          { Key: 'deletion_protection.enabled', Value: 'false' },
        ],
      }),
    );
    await waitFor(
      () => describe(lbArn),
      (lb) => lb?.State?.Code === 'active',
    );
    return lbArn;
  });
  const read = () =>
    phase(calls, N, 'read', async () => {
      const lb = await describe(arn);
      const a = await elb.send(new DescribeLoadBalancerAttributesCommand({ LoadBalancerArn: arn }));
      const cap = await elb.send(new DescribeCapacityReservationCommand({ LoadBalancerArn: arn }));
      const tags = await elb.send(new DescribeTagsCommand({ ResourceArns: [arn] }));
      return { lb, attributes: attrs(a.Attributes), cap, tags: tags.TagDescriptions?.[0]?.Tags };
    });
  const s = await read();
  assert.equal(s.lb?.LoadBalancerName, 'web');
  assert.equal(s.lb?.Type, 'network');
  assert.equal(s.lb?.Scheme, 'internal');
  assert.equal(s.lb?.IpAddressType, 'ipv4');
  assert.equal(s.lb?.VpcId, VPC);
  assert.ok(s.lb?.DNSName);
  assert.ok(s.lb?.CanonicalHostedZoneId);
  assert.deepEqual(
    s.lb?.AvailabilityZones?.map((z) => z.SubnetId),
    [SUBNET],
  );
  assert.equal(s.attributes['load_balancing.cross_zone.enabled'], 'true');
  assert.equal(s.attributes['deletion_protection.enabled'], 'false');
  assert.deepEqual(s.cap.CapacityReservationState ?? [], []);
  assert.deepEqual(s.tags, [{ Key: 'Name', Value: 'web' }]);
  const again = await read();
  assert.deepEqual([again.lb, again.attributes, again.tags], [s.lb, s.attributes, s.tags]);
  await phase(calls, N, 'update', async () => {
    await elb.send(
      new ModifyLoadBalancerAttributesCommand({
        LoadBalancerArn: arn,
        Attributes: [{ Key: 'load_balancing.cross_zone.enabled', Value: 'false' }],
      }),
    );
    await waitFor(
      () => describe(arn),
      (lb) => lb?.State?.Code === 'active',
    );
  });
  // waitForNLBNetworkInterfacesToDetach filters owner amazon-aws (AWS's NLB attachments);
  // privlink's node ENIs say amazon-elb, so the provider's wait ends at once. Both are checked.
  const suffix = arn.split(':loadbalancer/')[1] ?? '';
  const nodeEnis = (owner: string) =>
    ec2.send(
      new DescribeNetworkInterfacesCommand({
        Filters: [
          { Name: 'attachment.instance-owner-id', Values: [owner] },
          { Name: 'description', Values: [`ELB ${suffix}`] },
        ],
      }),
    );
  assert.equal((await nodeEnis('amazon-elb')).NetworkInterfaces?.length, 1, 'the LB has its node ENI');
  await phase(calls, N, 'delete', async () => {
    await elb.send(new DeleteLoadBalancerCommand({ LoadBalancerArn: arn }));
    await waitFor(
      () => nodeEnis('amazon-aws'),
      (r) => (r.NetworkInterfaces ?? []).length === 0,
    );
  });
  assert.deepEqual((await nodeEnis('amazon-elb')).NetworkInterfaces, [], 'the node ENI is gone');
});

test('aws_lb_target_group', async () => {
  const N = 'aws_lb_target_group';
  const describe = async (arn: string) =>
    (await elb.send(new DescribeTargetGroupsCommand({ TargetGroupArns: [arn] }))).TargetGroups?.[0];
  const arn = await phase(calls, N, 'create', async () => {
    await assert.rejects(elb.send(new DescribeTargetGroupsCommand({ Names: ['web-tg'] })), {
      name: 'TargetGroupNotFoundException',
    });
    const out = await elb.send(
      new CreateTargetGroupCommand({
        Name: 'web-tg',
        Port: 80,
        Protocol: 'TCP',
        VpcId: VPC,
        TargetType: 'ip',
        IpAddressType: 'ipv4',
        HealthCheckEnabled: true,
        HealthCheckIntervalSeconds: 30,
        HealthCheckPort: 'traffic-port',
        HealthCheckProtocol: 'TCP',
        HealthCheckTimeoutSeconds: 10,
        HealthyThresholdCount: 3,
        UnhealthyThresholdCount: 3,
        Tags: [{ Key: 'Name', Value: 'web-tg' }],
      }),
    );
    const tgArn = out.TargetGroups?.[0]?.TargetGroupArn ?? '';
    assert.ok(await describe(tgArn));
    await elb.send(
      new ModifyTargetGroupAttributesCommand({
        TargetGroupArn: tgArn,
        Attributes: [
          { Key: 'deregistration_delay.timeout_seconds', Value: '300' },
          { Key: 'deregistration_delay.connection_termination.enabled', Value: 'false' },
          { Key: 'preserve_client_ip.enabled', Value: 'true' },
          { Key: 'proxy_protocol_v2.enabled', Value: 'false' },
          { Key: 'stickiness.enabled', Value: 'false' },
          { Key: 'stickiness.type', Value: 'source_ip' },
        ],
      }),
    );
    return tgArn;
  });
  const read = () =>
    phase(calls, N, 'read', async () => {
      const tg = await describe(arn);
      const a = await elb.send(new DescribeTargetGroupAttributesCommand({ TargetGroupArn: arn }));
      const tags = await elb.send(new DescribeTagsCommand({ ResourceArns: [arn] }));
      return { tg, attributes: attrs(a.Attributes), tags: tags.TagDescriptions?.[0]?.Tags };
    });
  const s = await read();
  assert.deepEqual(
    [s.tg?.TargetGroupName, s.tg?.Port, s.tg?.Protocol, s.tg?.TargetType, s.tg?.VpcId, s.tg?.IpAddressType],
    ['web-tg', 80, 'TCP', 'ip', VPC, 'ipv4'],
  );
  assert.deepEqual(
    [
      s.tg?.HealthCheckEnabled,
      s.tg?.HealthCheckIntervalSeconds,
      s.tg?.HealthCheckPort,
      s.tg?.HealthCheckProtocol,
    ],
    [true, 30, 'traffic-port', 'TCP'],
  );
  assert.deepEqual([s.tg?.HealthyThresholdCount, s.tg?.UnhealthyThresholdCount], [3, 3]);
  assert.deepEqual(s.tg?.LoadBalancerArns, []);
  assert.equal(s.attributes['deregistration_delay.timeout_seconds'], '300');
  assert.equal(s.attributes['preserve_client_ip.enabled'], 'true');
  assert.deepEqual(s.tags, [{ Key: 'Name', Value: 'web-tg' }]);
  assert.deepEqual(await read(), s);
  await phase(calls, N, 'update', async () => {
    await elb.send(new ModifyTargetGroupCommand({ TargetGroupArn: arn, HealthCheckIntervalSeconds: 10 }));
    await elb.send(
      new ModifyTargetGroupAttributesCommand({
        TargetGroupArn: arn,
        Attributes: [{ Key: 'deregistration_delay.timeout_seconds', Value: '30' }],
      }),
    );
  });
  const after = await read();
  assert.equal(after.tg?.HealthCheckIntervalSeconds, 10);
  assert.equal(after.attributes['deregistration_delay.timeout_seconds'], '30');
  await phase(calls, N, 'delete', async () => {
    await elb.send(new DeleteTargetGroupCommand({ TargetGroupArn: arn }));
  });
});

test('aws_lb_target_group_attachment', async () => {
  const N = 'aws_lb_target_group_attachment';
  const tg = await newTargetGroup('attach-tg');
  const target = { Id: '10.40.1.50', Port: 80 };
  await phase(calls, N, 'create', () =>
    elb.send(new RegisterTargetsCommand({ TargetGroupArn: tg, Targets: [target] })),
  );
  const h = await phase(calls, N, 'read', () =>
    elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: tg, Targets: [target] })),
  );
  const d = h.TargetHealthDescriptions?.[0];
  assert.deepEqual([d?.Target?.Id, d?.Target?.Port], ['10.40.1.50', 80]);
  assert.ok(
    !['Target.NotRegistered', 'Target.DeregistrationInProgress'].includes(d?.TargetHealth?.Reason ?? ''),
  );
  await phase(calls, N, 'delete', () =>
    elb.send(new DeregisterTargetsCommand({ TargetGroupArn: tg, Targets: [target] })),
  );
  const gone = await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: tg, Targets: [target] }));
  assert.ok(
    ['Target.NotRegistered', 'Target.DeregistrationInProgress'].includes(
      gone.TargetHealthDescriptions?.[0]?.TargetHealth?.Reason ?? '',
    ),
  );
});

test('aws_lb_listener', async () => {
  const N = 'aws_lb_listener';
  const lb = await newLoadBalancer('listener-lb');
  const tg = await newTargetGroup('listener-tg');
  const describe = async (arn: string) =>
    (await elb.send(new DescribeListenersCommand({ ListenerArns: [arn] }))).Listeners?.[0];
  const arn = await phase(calls, N, 'create', async () => {
    const out = await elb.send(
      new CreateListenerCommand({
        LoadBalancerArn: lb,
        Port: 80,
        Protocol: 'TCP',
        DefaultActions: [{ Type: 'forward', TargetGroupArn: tg, Order: 1 }],
        Tags: [{ Key: 'Name', Value: 'tcp80' }],
      }),
    );
    const lArn = out.Listeners?.[0]?.ListenerArn ?? '';
    assert.ok(await describe(lArn));
    await elb.send(
      new ModifyListenerAttributesCommand({
        ListenerArn: lArn,
        Attributes: [{ Key: 'tcp.idle_timeout.seconds', Value: '600' }],
      }),
    );
    return lArn;
  });
  const read = () =>
    phase(calls, N, 'read', async () => {
      const l = await describe(arn);
      const a = await elb.send(new DescribeListenerAttributesCommand({ ListenerArn: arn }));
      const tags = await elb.send(new DescribeTagsCommand({ ResourceArns: [arn] }));
      return { l, attributes: attrs(a.Attributes), tags: tags.TagDescriptions?.[0]?.Tags };
    });
  const s = await read();
  assert.deepEqual([s.l?.LoadBalancerArn, s.l?.Port, s.l?.Protocol], [lb, 80, 'TCP']);
  assert.deepEqual(
    s.l?.DefaultActions?.map((x) => [x.Type, x.TargetGroupArn]),
    [['forward', tg]],
  );
  assert.equal(s.attributes['tcp.idle_timeout.seconds'], '600');
  assert.deepEqual(s.tags, [{ Key: 'Name', Value: 'tcp80' }]);
  assert.deepEqual(await read(), s);
  await phase(calls, N, 'update', async () => {
    await elb.send(new ModifyListenerCommand({ ListenerArn: arn, Port: 8080 }));
    await elb.send(new AddTagsCommand({ ResourceArns: [arn], Tags: [{ Key: 'env', Value: 'test' }] }));
  });
  assert.equal((await describe(arn))?.Port, 8080);
  await phase(calls, N, 'delete', () => elb.send(new DeleteListenerCommand({ ListenerArn: arn })));
  await assert.rejects(describe(arn), { name: 'ListenerNotFoundException' });
});
