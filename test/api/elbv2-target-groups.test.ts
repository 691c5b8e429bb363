import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AddTagsCommand,
  CreateListenerCommand,
  CreateTargetGroupCommand,
  DeleteTargetGroupCommand,
  DescribeTagsCommand,
  DescribeTargetGroupAttributesCommand,
  DescribeTargetGroupsCommand,
  ModifyTargetGroupAttributesCommand,
  ModifyTargetGroupCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { PROVIDER, REGION, expectAwsError, startPrivlink } from '../helpers/privlink.js';
import { network, nlb, tcpGroup } from './elbv2-fixtures.js';

test('CreateTargetGroup applies AWS health check defaults per protocol', async (t) => {
  const p = await startPrivlink(t);
  const net = await network(p);
  const tcp = await tcpGroup(net, 'tcp-tg');
  assert.match(
    tcp.TargetGroupArn ?? '',
    new RegExp(`^arn:aws:elasticloadbalancing:${REGION}:${PROVIDER}:targetgroup/tcp-tg/[0-9a-f]{16}$`),
  );
  assert.equal(tcp.Protocol, 'TCP');
  assert.equal(tcp.Port, 80);
  assert.equal(tcp.VpcId, net.vpcId);
  assert.equal(tcp.TargetType, 'ip');
  assert.equal(tcp.HealthCheckProtocol, 'TCP');
  assert.equal(tcp.HealthCheckPort, 'traffic-port');
  assert.equal(tcp.HealthCheckEnabled, true);
  assert.equal(tcp.HealthCheckIntervalSeconds, 30);
  assert.equal(tcp.HealthCheckTimeoutSeconds, 10);
  assert.equal(tcp.HealthyThresholdCount, 5);
  assert.equal(tcp.UnhealthyThresholdCount, 2);
  assert.equal(tcp.HealthCheckPath, undefined);
  assert.deepEqual(tcp.LoadBalancerArns, []);
  assert.equal(tcp.IpAddressType, 'ipv4');

  const http = await net.elb.send(
    new CreateTargetGroupCommand({
      Name: 'http-hc',
      Protocol: 'TCP',
      Port: 8080,
      VpcId: net.vpcId,
      HealthCheckProtocol: 'HTTP',
      HealthCheckPath: '/healthz',
    }),
  );
  const h = http.TargetGroups?.[0];
  assert.equal(h?.TargetType, 'instance');
  assert.equal(h?.HealthCheckPath, '/healthz');
  assert.equal(h?.HealthCheckTimeoutSeconds, 6);
  assert.equal(h?.Matcher?.HttpCode, '200-399');

  const geneve = await tcpGroup(net, 'gwlb-tg', { protocol: 'GENEVE', port: 6081 });
  assert.equal(geneve.HealthCheckProtocol, 'TCP');
  assert.equal(geneve.HealthCheckPort, '80');
  assert.equal(geneve.HealthCheckIntervalSeconds, 10);
  assert.equal(geneve.HealthCheckTimeoutSeconds, 5);
});

test('CreateTargetGroup: idempotent for same settings, errors otherwise', async (t) => {
  const p = await startPrivlink(t);
  const net = await network(p);
  const a = await tcpGroup(net, 'same');
  const b = await tcpGroup(net, 'same');
  assert.equal(b.TargetGroupArn, a.TargetGroupArn);
  await expectAwsError(tcpGroup(net, 'same', { port: 81 }), 'DuplicateTargetGroupName', 400);

  type Input = ConstructorParameters<typeof CreateTargetGroupCommand>[0];
  const create = (i: Partial<Input>) =>
    net.elb.send(
      new CreateTargetGroupCommand({ Name: 'x', Protocol: 'TCP', Port: 80, VpcId: net.vpcId, ...i }),
    );
  await expectAwsError(create({ Name: 'bad_name' }), 'ValidationError', 400);
  await expectAwsError(create({ Protocol: undefined }), 'ValidationError');
  await expectAwsError(create({ Port: undefined }), 'ValidationError');
  await expectAwsError(create({ VpcId: undefined }), 'ValidationError');
  await expectAwsError(create({ VpcId: 'vpc-0123456789abcdef0' }), 'ValidationError');
  await expectAwsError(create({ Protocol: 'GENEVE', Port: 80 }), 'ValidationError');
  await expectAwsError(create({ HealthCheckPath: '/x' }), 'ValidationError');
  await expectAwsError(create({ HealthCheckEnabled: false }), 'InvalidConfigurationRequest');
  await expectAwsError(create({ HealthCheckIntervalSeconds: 4 }), 'ValidationError');
  await expectAwsError(
    create({ HealthCheckIntervalSeconds: 10, HealthCheckTimeoutSeconds: 20 }),
    'ValidationError',
  );
  await expectAwsError(create({ HealthyThresholdCount: 11 }), 'ValidationError');
  await expectAwsError(create({ HealthCheckProtocol: 'UDP' }), 'InvalidConfigurationRequest');
  await expectAwsError(create({ HealthCheckPort: 'abc' }), 'ValidationError');
  await expectAwsError(create({ TargetType: 'lambda' }), 'InvalidConfigurationRequest');
  await expectAwsError(create({ TargetType: 'alb', Protocol: 'UDP' }), 'InvalidConfigurationRequest');
  const interval = await create({ Name: 'short', HealthCheckIntervalSeconds: 5 });
  assert.equal(interval.TargetGroups?.[0]?.HealthCheckTimeoutSeconds, 5);
  const all = await net.elb.send(new DescribeTargetGroupsCommand({}));
  assert.deepEqual(
    all.TargetGroups?.map((g) => g.TargetGroupName),
    ['same', 'short'],
  );
});

test('DescribeTargetGroups by ARN, name, load balancer; ModifyTargetGroup; DeleteTargetGroup in use', async (t) => {
  const p = await startPrivlink(t);
  const net = await network(p);
  const lb = await nlb(net, 'lb');
  const used = await tcpGroup(net, 'used');
  const free = await tcpGroup(net, 'free');
  await net.elb.send(
    new CreateListenerCommand({
      LoadBalancerArn: lb.LoadBalancerArn,
      Protocol: 'TCP',
      Port: 80,
      DefaultActions: [{ Type: 'forward', TargetGroupArn: used.TargetGroupArn }],
    }),
  );
  const byLb = await net.elb.send(new DescribeTargetGroupsCommand({ LoadBalancerArn: lb.LoadBalancerArn }));
  assert.deepEqual(
    byLb.TargetGroups?.map((g) => g.TargetGroupName),
    ['used'],
  );
  assert.deepEqual(byLb.TargetGroups?.[0]?.LoadBalancerArns, [lb.LoadBalancerArn]);
  const byName = await net.elb.send(new DescribeTargetGroupsCommand({ Names: ['free'] }));
  assert.equal(byName.TargetGroups?.[0]?.TargetGroupArn, free.TargetGroupArn);
  const byArn = await net.elb.send(
    new DescribeTargetGroupsCommand({ TargetGroupArns: [free.TargetGroupArn ?? ''] }),
  );
  assert.equal(byArn.TargetGroups?.[0]?.TargetGroupName, 'free');
  const paged = await net.elb.send(new DescribeTargetGroupsCommand({ PageSize: 1 }));
  assert.equal(paged.TargetGroups?.length, 1);
  assert.ok(paged.NextMarker);
  await expectAwsError(
    net.elb.send(new DescribeTargetGroupsCommand({ Names: ['nope'] })),
    'TargetGroupNotFound',
    400,
  );
  const missing = (free.TargetGroupArn ?? '').replace(/[0-9a-f]{16}$/, 'ffffffffffffffff');
  await expectAwsError(
    net.elb.send(new DescribeTargetGroupsCommand({ TargetGroupArns: [missing] })),
    'TargetGroupNotFound',
  );
  const missingLb = (lb.LoadBalancerArn ?? '').replace(/[0-9a-f]{16}$/, 'ffffffffffffffff');
  await expectAwsError(
    net.elb.send(new DescribeTargetGroupsCommand({ LoadBalancerArn: missingLb })),
    'LoadBalancerNotFound',
  );

  const mod = await net.elb.send(
    new ModifyTargetGroupCommand({
      TargetGroupArn: free.TargetGroupArn,
      HealthCheckProtocol: 'HTTP',
      HealthCheckPath: '/ping',
      HealthCheckIntervalSeconds: 10,
      HealthyThresholdCount: 3,
      Matcher: { HttpCode: '200' },
    }),
  );
  const m = mod.TargetGroups?.[0];
  assert.equal(m?.HealthCheckProtocol, 'HTTP');
  assert.equal(m?.HealthCheckPath, '/ping');
  assert.equal(m?.HealthCheckIntervalSeconds, 10);
  assert.equal(m?.HealthCheckTimeoutSeconds, 10);
  assert.equal(m?.HealthyThresholdCount, 3);
  assert.equal(m?.Matcher?.HttpCode, '200');
  await expectAwsError(
    net.elb.send(new ModifyTargetGroupCommand({ TargetGroupArn: missing, HealthyThresholdCount: 3 })),
    'TargetGroupNotFound',
  );

  await expectAwsError(
    net.elb.send(new DeleteTargetGroupCommand({ TargetGroupArn: used.TargetGroupArn })),
    'ResourceInUse',
    400,
  );
  await net.elb.send(new DeleteTargetGroupCommand({ TargetGroupArn: free.TargetGroupArn }));
  await net.elb.send(new DeleteTargetGroupCommand({ TargetGroupArn: free.TargetGroupArn }));
  await expectAwsError(
    net.elb.send(new DescribeTargetGroupsCommand({ Names: ['free'] })),
    'TargetGroupNotFound',
  );

  await net.elb.send(
    new AddTagsCommand({ ResourceArns: [used.TargetGroupArn ?? ''], Tags: [{ Key: 'k', Value: 'v' }] }),
  );
  const tags = await net.elb.send(new DescribeTagsCommand({ ResourceArns: [used.TargetGroupArn ?? ''] }));
  assert.deepEqual(tags.TagDescriptions?.[0]?.Tags, [{ Key: 'k', Value: 'v' }]);
  await expectAwsError(
    net.elb.send(new DescribeTagsCommand({ ResourceArns: [missing] })),
    'TargetGroupNotFound',
  );
});

test('target group attributes: defaults, modify and validation', async (t) => {
  const p = await startPrivlink(t);
  const net = await network(p);
  const tg = await tcpGroup(net, 'attrs');
  const arn = tg.TargetGroupArn ?? '';
  const read = async () =>
    Object.fromEntries(
      (
        (await net.elb.send(new DescribeTargetGroupAttributesCommand({ TargetGroupArn: arn }))).Attributes ??
        []
      ).map((a) => [a.Key, a.Value]),
    );
  const d = await read();
  assert.equal(d['proxy_protocol_v2.enabled'], 'false');
  assert.equal(d['deregistration_delay.timeout_seconds'], '300');
  assert.equal(d['deregistration_delay.connection_termination.enabled'], 'false');
  assert.equal(d['preserve_client_ip.enabled'], 'false');
  assert.equal(d['stickiness.enabled'], 'false');
  assert.equal(d['stickiness.type'], 'source_ip');
  assert.equal(d['load_balancing.cross_zone.enabled'], 'use_load_balancer_configuration');

  const out = await net.elb.send(
    new ModifyTargetGroupAttributesCommand({
      TargetGroupArn: arn,
      Attributes: [
        { Key: 'proxy_protocol_v2.enabled', Value: 'true' },
        { Key: 'deregistration_delay.timeout_seconds', Value: '0' },
      ],
    }),
  );
  const after = Object.fromEntries((out.Attributes ?? []).map((a) => [a.Key, a.Value]));
  assert.equal(after['proxy_protocol_v2.enabled'], 'true');
  assert.equal(after['deregistration_delay.timeout_seconds'], '0');
  assert.equal((await read())['proxy_protocol_v2.enabled'], 'true');

  const modify = (Key: string, Value: string) =>
    net.elb.send(
      new ModifyTargetGroupAttributesCommand({ TargetGroupArn: arn, Attributes: [{ Key, Value }] }),
    );
  await expectAwsError(
    modify('deregistration_delay.timeout_seconds', '3601'),
    'InvalidConfigurationRequest',
    400,
  );
  await expectAwsError(modify('proxy_protocol_v2.enabled', 'maybe'), 'InvalidConfigurationRequest');
  await expectAwsError(modify('target_failover.on_unhealthy', 'rebalance'), 'ValidationError', 400);
  await expectAwsError(modify('unknown.key', '1'), 'ValidationError');

  const udp = await tcpGroup(net, 'udp', { protocol: 'UDP' });
  await expectAwsError(
    net.elb.send(
      new ModifyTargetGroupAttributesCommand({
        TargetGroupArn: udp.TargetGroupArn,
        Attributes: [{ Key: 'preserve_client_ip.enabled', Value: 'false' }],
      }),
    ),
    'InvalidConfigurationRequest',
  );
  const gw = await tcpGroup(net, 'gw', { protocol: 'GENEVE', port: 6081 });
  const gwAttrs = await net.elb.send(
    new DescribeTargetGroupAttributesCommand({ TargetGroupArn: gw.TargetGroupArn }),
  );
  const gwMap = Object.fromEntries((gwAttrs.Attributes ?? []).map((a) => [a.Key, a.Value]));
  assert.equal(gwMap['target_failover.on_deregistration'], 'no_rebalance');
  assert.equal(gwMap['target_failover.on_unhealthy'], 'no_rebalance');
  assert.equal(gwMap['deregistration_delay.timeout_seconds'], '300');
  assert.equal(gwMap['stickiness.type'], 'source_ip_dest_ip_proto');
  assert.equal(gwMap['proxy_protocol_v2.enabled'], undefined);
  await expectAwsError(
    net.elb.send(
      new ModifyTargetGroupAttributesCommand({
        TargetGroupArn: gw.TargetGroupArn,
        Attributes: [{ Key: 'target_failover.on_deregistration', Value: 'rebalance' }],
      }),
    ),
    'InvalidConfigurationRequest',
  );
  await net.elb.send(
    new ModifyTargetGroupAttributesCommand({
      TargetGroupArn: gw.TargetGroupArn,
      Attributes: [
        { Key: 'target_failover.on_deregistration', Value: 'rebalance' },
        { Key: 'target_failover.on_unhealthy', Value: 'rebalance' },
      ],
    }),
  );
});
