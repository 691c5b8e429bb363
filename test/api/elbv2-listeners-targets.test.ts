import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  DeleteListenerCommand,
  DeleteLoadBalancerCommand,
  DeregisterTargetsCommand,
  DescribeListenerAttributesCommand,
  DescribeListenersCommand,
  DescribeTagsCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  ModifyListenerAttributesCommand,
  ModifyListenerCommand,
  ModifyTargetGroupAttributesCommand,
  RegisterTargetsCommand,
  waitUntilTargetDeregistered,
  waitUntilTargetInService,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { ManualClock } from '../../src/shared/clock.js';
import { assumeHealthy, type TargetHealthSource } from '../../src/control/ports.js';
import { PROVIDER, REGION, expectAwsError, fakeDataplane, startPrivlink } from '../helpers/privlink.js';
import { network, nlb, putInstance, tcpGroup } from './elbv2-fixtures.js';

test('CreateListener (TCP) forwards to a target group; Describe/Modify/Delete listeners', async (t) => {
  const p = await startPrivlink(t);
  const net = await network(p);
  const lb = await nlb(net, 'lb');
  const lbArn = lb.LoadBalancerArn ?? '';
  const tg = await tcpGroup(net, 'web');
  const tg2 = await tcpGroup(net, 'web2', { port: 8080 });
  const out = await net.elb.send(
    new CreateListenerCommand({
      LoadBalancerArn: lbArn,
      Protocol: 'TCP',
      Port: 443,
      DefaultActions: [{ Type: 'forward', TargetGroupArn: tg.TargetGroupArn }],
      Tags: [{ Key: 'role', Value: 'front' }],
    }),
  );
  const l = out.Listeners?.[0];
  assert.match(
    l?.ListenerArn ?? '',
    new RegExp(
      `^arn:aws:elasticloadbalancing:${REGION}:${PROVIDER}:listener/net/lb/[0-9a-f]{16}/[0-9a-f]{16}$`,
    ),
  );
  assert.equal(l?.LoadBalancerArn, lbArn);
  assert.equal(l?.Port, 443);
  assert.equal(l?.Protocol, 'TCP');
  assert.equal(l?.DefaultActions?.[0]?.Type, 'forward');
  assert.equal(l?.DefaultActions?.[0]?.TargetGroupArn, tg.TargetGroupArn);
  assert.deepEqual(l?.DefaultActions?.[0]?.ForwardConfig?.TargetGroups, [
    { TargetGroupArn: tg.TargetGroupArn, Weight: 1 },
  ]);
  const listenerArn = l?.ListenerArn ?? '';

  // Same request again returns the same listener; a different one on that port is refused.
  const again = await net.elb.send(
    new CreateListenerCommand({
      LoadBalancerArn: lbArn,
      Protocol: 'TCP',
      Port: 443,
      DefaultActions: [{ Type: 'forward', TargetGroupArn: tg.TargetGroupArn }],
    }),
  );
  assert.equal(again.Listeners?.[0]?.ListenerArn, listenerArn);
  await expectAwsError(
    net.elb.send(
      new CreateListenerCommand({
        LoadBalancerArn: lbArn,
        Protocol: 'TCP',
        Port: 443,
        DefaultActions: [{ Type: 'forward', TargetGroupArn: tg2.TargetGroupArn }],
      }),
    ),
    'DuplicateListener',
    400,
  );

  const byLb = await net.elb.send(new DescribeListenersCommand({ LoadBalancerArn: lbArn }));
  assert.deepEqual(
    byLb.Listeners?.map((x) => x.ListenerArn),
    [listenerArn],
  );
  const byArn = await net.elb.send(new DescribeListenersCommand({ ListenerArns: [listenerArn] }));
  assert.equal(byArn.Listeners?.[0]?.Port, 443);
  const tags = await net.elb.send(new DescribeTagsCommand({ ResourceArns: [listenerArn] }));
  assert.deepEqual(tags.TagDescriptions?.[0]?.Tags, [{ Key: 'role', Value: 'front' }]);
  await expectAwsError(net.elb.send(new DescribeListenersCommand({})), 'ValidationError');
  const missing = listenerArn.replace(/[0-9a-f]{16}$/, 'ffffffffffffffff');
  await expectAwsError(
    net.elb.send(new DescribeListenersCommand({ ListenerArns: [missing] })),
    'ListenerNotFound',
    400,
  );

  const mod = await net.elb.send(
    new ModifyListenerCommand({
      ListenerArn: listenerArn,
      Port: 8443,
      DefaultActions: [
        { Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: tg2.TargetGroupArn }] } },
      ],
    }),
  );
  assert.equal(mod.Listeners?.[0]?.Port, 8443);
  assert.equal(mod.Listeners?.[0]?.DefaultActions?.[0]?.TargetGroupArn, tg2.TargetGroupArn);
  const groups = await net.elb.send(new DescribeTargetGroupsCommand({ LoadBalancerArn: lbArn }));
  assert.deepEqual(
    groups.TargetGroups?.map((g) => g.TargetGroupName),
    ['web2'],
  );

  const attrs = await net.elb.send(new DescribeListenerAttributesCommand({ ListenerArn: listenerArn }));
  assert.deepEqual(attrs.Attributes, [{ Key: 'tcp.idle_timeout.seconds', Value: '350' }]);
  const modAttrs = await net.elb.send(
    new ModifyListenerAttributesCommand({
      ListenerArn: listenerArn,
      Attributes: [{ Key: 'tcp.idle_timeout.seconds', Value: '600' }],
    }),
  );
  assert.deepEqual(modAttrs.Attributes, [{ Key: 'tcp.idle_timeout.seconds', Value: '600' }]);
  await expectAwsError(
    net.elb.send(
      new ModifyListenerAttributesCommand({
        ListenerArn: listenerArn,
        Attributes: [{ Key: 'tcp.idle_timeout.seconds', Value: '59' }],
      }),
    ),
    'InvalidConfigurationRequest',
  );

  await net.elb.send(new DeleteListenerCommand({ ListenerArn: listenerArn }));
  await expectAwsError(
    net.elb.send(new DeleteListenerCommand({ ListenerArn: listenerArn })),
    'ListenerNotFound',
    400,
  );
  assert.deepEqual(
    (await net.elb.send(new DescribeListenersCommand({ LoadBalancerArn: lbArn }))).Listeners,
    [],
  );
});

test('CreateListener validation: protocols, actions, VPC, association limit, gateway listeners', async (t) => {
  const p = await startPrivlink(t);
  const net = await network(p);
  const lb = await nlb(net, 'lb');
  const lbArn = lb.LoadBalancerArn ?? '';
  const tcp = await tcpGroup(net, 'tcp');
  const udp = await tcpGroup(net, 'udp', { protocol: 'UDP' });
  const geneve = await tcpGroup(net, 'gen', { protocol: 'GENEVE', port: 6081 });
  const listen = (i: Partial<ConstructorParameters<typeof CreateListenerCommand>[0]>, arn = lbArn) =>
    net.elb.send(
      new CreateListenerCommand({
        LoadBalancerArn: arn,
        Protocol: 'TCP',
        Port: 80,
        DefaultActions: [{ Type: 'forward', TargetGroupArn: tcp.TargetGroupArn }],
        ...i,
      }),
    );
  await expectAwsError(listen({ Protocol: 'HTTP' }), 'UnsupportedProtocol', 400);
  await expectAwsError(listen({ Port: undefined }), 'ValidationError');
  await expectAwsError(
    listen({ DefaultActions: [{ Type: 'forward', TargetGroupArn: udp.TargetGroupArn }] }),
    'IncompatibleProtocols',
    400,
  );
  await expectAwsError(
    listen({ Protocol: 'UDP', DefaultActions: [{ Type: 'forward', TargetGroupArn: tcp.TargetGroupArn }] }),
    'IncompatibleProtocols',
  );
  await expectAwsError(
    listen({ DefaultActions: [{ Type: 'forward', TargetGroupArn: geneve.TargetGroupArn }] }),
    'IncompatibleProtocols',
  );
  await expectAwsError(
    listen({ DefaultActions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '200' } }] }),
    'InvalidLoadBalancerAction',
  );
  await expectAwsError(listen({ DefaultActions: [{ Type: 'forward' }] }), 'ValidationError');
  await expectAwsError(listen({ Protocol: 'TLS' }), 'ValidationError');
  const missingTg = (tcp.TargetGroupArn ?? '').replace(/[0-9a-f]{16}$/, 'ffffffffffffffff');
  await expectAwsError(
    listen({ DefaultActions: [{ Type: 'forward', TargetGroupArn: missingTg }] }),
    'TargetGroupNotFound',
    400,
  );
  const missingLb = lbArn.replace(/[0-9a-f]{16}$/, 'ffffffffffffffff');
  await expectAwsError(listen({}, missingLb), 'LoadBalancerNotFound', 400);

  const other = await network(p, { cidr: '10.1.0.0/16' });
  const foreign = await tcpGroup(other, 'foreign');
  await expectAwsError(
    listen({ DefaultActions: [{ Type: 'forward', TargetGroupArn: foreign.TargetGroupArn }] }),
    'InvalidConfigurationRequest',
  );

  await listen({});
  const lb2 = await nlb(net, 'lb2');
  await expectAwsError(listen({}, lb2.LoadBalancerArn), 'TargetGroupAssociationLimit', 400);
  // TCP_UDP listener needs a TCP_UDP group; UDP listener on a UDP group works.
  await listen({
    Protocol: 'UDP',
    Port: 53,
    DefaultActions: [{ Type: 'forward', TargetGroupArn: udp.TargetGroupArn }],
  });
  const tls = await listen({
    Protocol: 'TLS',
    Port: 443,
    Certificates: [{ CertificateArn: `arn:aws:acm:${REGION}:${PROVIDER}:certificate/abc` }],
    DefaultActions: [{ Type: 'forward', TargetGroupArn: tcp.TargetGroupArn }],
  });
  assert.equal(tls.Listeners?.[0]?.SslPolicy, 'ELBSecurityPolicy-TLS13-1-2-2021-06');
  assert.equal(
    tls.Listeners?.[0]?.Certificates?.[0]?.CertificateArn,
    `arn:aws:acm:${REGION}:${PROVIDER}:certificate/abc`,
  );

  const gw = await net.elb.send(
    new CreateLoadBalancerCommand({ Name: 'gw', Type: 'gateway', Subnets: net.subnets }),
  );
  const gwArn = gw.LoadBalancers?.[0]?.LoadBalancerArn ?? '';
  const gwListen = (i: Partial<ConstructorParameters<typeof CreateListenerCommand>[0]>) =>
    net.elb.send(
      new CreateListenerCommand({
        LoadBalancerArn: gwArn,
        DefaultActions: [{ Type: 'forward', TargetGroupArn: geneve.TargetGroupArn }],
        ...i,
      }),
    );
  await expectAwsError(gwListen({ Protocol: 'TCP', Port: 80 }), 'ValidationError');
  const gl = await gwListen({});
  assert.equal(gl.Listeners?.[0]?.Port, undefined);
  assert.equal(gl.Listeners?.[0]?.Protocol, undefined);
  const gen2 = await tcpGroup(net, 'gen2', { protocol: 'GENEVE', port: 6081 });
  await expectAwsError(
    gwListen({ DefaultActions: [{ Type: 'forward', TargetGroupArn: gen2.TargetGroupArn }] }),
    'TooManyListeners',
  );
  await expectAwsError(
    gwListen({ DefaultActions: [{ Type: 'forward', TargetGroupArn: tcp.TargetGroupArn }] }),
    'IncompatibleProtocols',
  );

  // Deleting a load balancer removes its listeners and frees its target groups.
  await net.elb.send(new DeleteLoadBalancerCommand({ LoadBalancerArn: lbArn }));
  const tgs = await net.elb.send(new DescribeTargetGroupsCommand({ Names: ['tcp'] }));
  assert.deepEqual(tgs.TargetGroups?.[0]?.LoadBalancerArns, []);
});

test('targets: register, health states over time, draining, deregistration and waiters', async (t) => {
  const clock = new ManualClock();
  // The data plane's health port; it has no verdict until the test gives it one.
  let dataplaneHealth: TargetHealthSource = assumeHealthy;
  const healthPort = {
    healthOf: (g: string, id: string, port: number) => dataplaneHealth.healthOf(g, id, port),
  };
  const p = await startPrivlink(t, {}, { clock, dataplane: fakeDataplane({ health: healthPort }) });
  const net = await network(p);
  const lb = await nlb(net, 'lb', net.subnets.slice(0, 2));
  const tg = await tcpGroup(net, 'ips');
  const arn = tg.TargetGroupArn ?? '';
  const health = async (targets?: { Id: string; Port?: number }[]) =>
    (await net.elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: arn, Targets: targets })))
      .TargetHealthDescriptions ?? [];

  await net.elb.send(
    new RegisterTargetsCommand({
      TargetGroupArn: arn,
      Targets: [
        { Id: '10.0.1.10' },
        { Id: '10.0.2.10', Port: 8080 },
        { Id: '10.0.3.10' },
        { Id: '192.168.1.5', AvailabilityZone: 'all' },
      ],
    }),
  );
  // Not yet behind a listener: unused / Target.NotInUse.
  let h = await health();
  assert.equal(h.length, 4);
  assert.deepEqual(
    h.map((x) => x.TargetHealth?.State),
    ['unused', 'unused', 'unused', 'unused'],
  );
  assert.equal(h[0]?.TargetHealth?.Reason, 'Target.NotInUse');
  assert.equal(h[1]?.Target?.Port, 8080);
  assert.equal(h[1]?.HealthCheckPort, '8080');
  assert.equal(h[3]?.Target?.AvailabilityZone, 'all');

  await net.elb.send(
    new CreateListenerCommand({
      LoadBalancerArn: lb.LoadBalancerArn,
      Protocol: 'TCP',
      Port: 80,
      DefaultActions: [{ Type: 'forward', TargetGroupArn: arn }],
    }),
  );
  h = await health();
  assert.equal(h[0]?.TargetHealth?.State, 'initial');
  assert.equal(h[0]?.TargetHealth?.Reason, 'Elb.RegistrationInProgress');
  // 10.0.3.10 is in us-east-1c, where the load balancer has no node.
  assert.equal(h[2]?.TargetHealth?.State, 'unused');
  assert.equal(h[2]?.TargetHealth?.Reason, 'Target.NotInUse');
  clock.advance(31_000);
  h = await health();
  assert.deepEqual(
    h.map((x) => x.TargetHealth?.State),
    ['healthy', 'healthy', 'unused', 'healthy'],
  );
  await waitUntilTargetInService(
    { client: net.elb, maxWaitTime: 5, minDelay: 1, maxDelay: 1 },
    { TargetGroupArn: arn, Targets: [{ Id: '10.0.1.10' }] },
  );

  // A data plane's verdict wins over the control plane's guess.
  const source: TargetHealthSource = {
    healthOf: (g, id) =>
      g === arn && id === '10.0.1.10'
        ? { state: 'unhealthy', reason: 'Target.Timeout', description: 'Request timed out' }
        : undefined,
  };
  dataplaneHealth = source;
  h = await health([{ Id: '10.0.1.10' }, { Id: '10.0.1.99' }]);
  assert.equal(h[0]?.TargetHealth?.State, 'unhealthy');
  assert.equal(h[0]?.TargetHealth?.Reason, 'Target.Timeout');
  assert.equal(h[1]?.TargetHealth?.State, 'unused');
  assert.equal(h[1]?.TargetHealth?.Reason, 'Target.NotRegistered');
  assert.equal(h[1]?.Target?.Port, 80);

  // Deregistration drains for the delay, then the target is gone.
  await net.elb.send(
    new ModifyTargetGroupAttributesCommand({
      TargetGroupArn: arn,
      Attributes: [{ Key: 'deregistration_delay.timeout_seconds', Value: '60' }],
    }),
  );
  await net.elb.send(
    new DeregisterTargetsCommand({ TargetGroupArn: arn, Targets: [{ Id: '10.0.2.10', Port: 8080 }] }),
  );
  h = await health([{ Id: '10.0.2.10', Port: 8080 }]);
  assert.equal(h[0]?.TargetHealth?.State, 'draining');
  assert.equal(h[0]?.TargetHealth?.Reason, 'Target.DeregistrationInProgress');
  clock.advance(60_000);
  h = await health([{ Id: '10.0.2.10', Port: 8080 }]);
  assert.equal(h[0]?.TargetHealth?.State, 'unused');
  assert.equal(h[0]?.TargetHealth?.Reason, 'Target.NotRegistered');
  await waitUntilTargetDeregistered(
    { client: net.elb, maxWaitTime: 5, minDelay: 1, maxDelay: 1 },
    { TargetGroupArn: arn, Targets: [{ Id: '10.0.2.10', Port: 8080 }] },
  );
  assert.equal((await health()).length, 3);

  // Re-registering a draining target revives it.
  await net.elb.send(new DeregisterTargetsCommand({ TargetGroupArn: arn, Targets: [{ Id: '192.168.1.5' }] }));
  await net.elb.send(
    new RegisterTargetsCommand({
      TargetGroupArn: arn,
      Targets: [{ Id: '192.168.1.5', AvailabilityZone: 'all' }],
    }),
  );
  h = await health([{ Id: '192.168.1.5' }]);
  assert.equal(h[0]?.TargetHealth?.State, 'initial');
});

test('RegisterTargets validation: IP ranges, instances in the VPC, unknown group', async (t) => {
  const p = await startPrivlink(t);
  const net = await network(p);
  const ipTg = await tcpGroup(net, 'ips');
  const register = (
    arn: string | undefined,
    Targets: { Id: string; Port?: number; AvailabilityZone?: string }[],
  ) => net.elb.send(new RegisterTargetsCommand({ TargetGroupArn: arn, Targets }));
  await expectAwsError(register(ipTg.TargetGroupArn, [{ Id: 'not-an-ip' }]), 'InvalidTarget', 400);
  await expectAwsError(register(ipTg.TargetGroupArn, [{ Id: '172.31.0.5' }]), 'InvalidTarget');
  await expectAwsError(
    register(ipTg.TargetGroupArn, [{ Id: '8.8.8.8', AvailabilityZone: 'all' }]),
    'InvalidTarget',
  );
  await expectAwsError(
    register(ipTg.TargetGroupArn, [{ Id: '10.0.1.5', AvailabilityZone: 'mars-1a' }]),
    'InvalidTarget',
  );
  await register(ipTg.TargetGroupArn, [{ Id: '172.31.0.5', AvailabilityZone: 'all' }]);
  const missing = (ipTg.TargetGroupArn ?? '').replace(/[0-9a-f]{16}$/, 'ffffffffffffffff');
  await expectAwsError(register(missing, [{ Id: '10.0.1.5' }]), 'TargetGroupNotFound', 400);

  const instTg = await tcpGroup(net, 'inst', { targetType: 'instance' });
  const other = await network(p, { cidr: '10.1.0.0/16' });
  putInstance(p, {
    id: 'i-0123456789abcdef0',
    vpcId: net.vpcId,
    subnetId: net.subnets[0] ?? '',
    az: `${REGION}a`,
    ip: '10.0.1.20',
    account: PROVIDER,
  });
  putInstance(p, {
    id: 'i-0123456789abcdef1',
    vpcId: other.vpcId,
    subnetId: other.subnets[0] ?? '',
    az: `${REGION}a`,
    ip: '10.1.1.20',
    account: PROVIDER,
  });
  await register(instTg.TargetGroupArn, [{ Id: 'i-0123456789abcdef0' }]);
  await expectAwsError(register(instTg.TargetGroupArn, [{ Id: 'i-0123456789abcdef1' }]), 'InvalidTarget');
  await expectAwsError(register(instTg.TargetGroupArn, [{ Id: 'i-0fffffffffffffff0' }]), 'InvalidTarget');
  const h = await net.elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: instTg.TargetGroupArn }));
  assert.deepEqual(
    h.TargetHealthDescriptions?.map((d) => [d.Target?.Id, d.Target?.Port, d.TargetHealth?.State]),
    [['i-0123456789abcdef0', 80, 'unused']],
  );
  await expectAwsError(
    net.elb.send(
      new DescribeTargetHealthCommand({
        TargetGroupArn: instTg.TargetGroupArn,
        Targets: [{ Id: 'i-0fffffffffffffff0' }],
      }),
    ),
    'InvalidTarget',
  );
  // Not in use: deregistration is immediate.
  await net.elb.send(
    new DeregisterTargetsCommand({
      TargetGroupArn: instTg.TargetGroupArn,
      Targets: [{ Id: 'i-0123456789abcdef0' }],
    }),
  );
  const after = await net.elb.send(
    new DescribeTargetHealthCommand({ TargetGroupArn: instTg.TargetGroupArn }),
  );
  assert.deepEqual(after.TargetHealthDescriptions, []);
});
