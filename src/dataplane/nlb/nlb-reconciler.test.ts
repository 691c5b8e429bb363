import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { ManualClock } from '../../shared/clock.js';
import { sequentialIdSource } from '../../shared/ids.js';
import { silentLogger } from '../../shared/logger.js';
import type { Store } from '../../store/store.js';
import type { DataplaneContext } from '../context.js';
import { Traffic } from '../fabric/traffic.js';
import { RecordingRunner } from '../netns/recording-runner.js';
import { fakeStore } from '../testing/fake-store.js';
import { NlbReconciler } from './nlb-reconciler.js';

const hc = {
  enabled: true,
  protocol: 'TCP',
  port: 'traffic-port',
  intervalSeconds: 10,
  timeoutSeconds: 5,
  healthyThreshold: 3,
  unhealthyThreshold: 3,
};

test('NLB reconciler applies its plan through the runner: node namespace, rules, idle timeout, cut flows', async (t) => {
  const target = (id: string, deregisteredAt?: number) => ({
    id,
    port: 8080,
    registeredAt: 0,
    ...(deregisteredAt !== undefined ? { deregisteredAt } : {}),
  });
  const tg = {
    id: 'tg-1',
    targetType: 'ip',
    attributes: { 'deregistration_delay.timeout_seconds': '0' },
    healthCheck: hc,
    targets: [target('10.0.2.10'), target('10.0.2.11')],
  };
  const store = fakeStore({
    loadBalancer: [
      {
        id: 'arn:lb/net/a',
        name: 'a',
        type: 'network',
        state: 'active',
        vpcId: 'vpc-p',
        nodes: [
          {
            networkInterfaceId: 'eni-n1',
            privateIpAddress: '10.0.1.50',
            zoneId: 'use1-az1',
            subnetId: 'subnet-1',
            zoneName: 'x',
          },
        ],
      },
    ],
    subnet: [{ id: 'subnet-1', vpcId: 'vpc-p', cidrBlock: '10.0.1.0/24' }],
    networkInterface: [{ id: 'eni-n1', macAddress: '0a:00:00:00:00:01' }],
    listener: [
      {
        id: 'l-1',
        loadBalancerArn: 'arn:lb/net/a',
        port: 80,
        protocol: 'TCP',
        attributes: { 'tcp.idle_timeout.seconds': '60' },
        defaultActions: [{ type: 'forward', targetGroupArn: 'tg-1' }],
      },
    ],
    targetGroup: [tg],
  }) as Store;
  const runner = new RecordingRunner();
  const clock = new ManualClock();
  const events = new EventEmitter();
  const traffic = new Traffic({
    mode: 'netns',
    prefix: 'pl',
    fabricCidr: '169.254.0.0/17',
    proxyWorkers: 1,
    runner,
    clock,
    logger: silentLogger,
    events,
  });
  t.after(() => traffic.close());
  const ctx: DataplaneContext = {
    store,
    clock,
    ids: sequentialIdSource(),
    runner,
    prefix: 'pl',
    mode: 'netns',
    datapath: 'nftables',
    logger: silentLogger,
    runDir: '/nonexistent',
    instanceTiming: { pendingMs: 0, deletedRetentionMs: 0 },
    vpcs: {
      get: () => undefined,
      isReady: () => true,
      namespaceOf: (id) => `pl-${id}`,
      list: () => [],
    },
    hostAddresses: new Map(),
    events,
    traffic,
  };
  const r = new NlbReconciler(ctx);
  await r.reconcile();
  const first = runner.transcript;
  assert.match(first, /\$ ip netns add pl-fabric\n/);
  assert.match(first, /\$ ip netns add pl-eni-n1\n/);
  assert.match(first, /link add p netns pl-eni-n1 type veth peer name n-\w+ netns pl-vpc-p/);
  assert.match(first, /\$ ip netns exec pl-eni-n1 nft -f -\n/);
  assert.match(first, /ip daddr \{ 169\.254\.0\.10, 10\.0\.1\.50 \} tcp dport 80 dnat/);
  assert.match(first, /nf_conntrack_tcp_timeout_established=60/);
  assert.equal(traffic.nodes.get('eni-n1')?.address, '169.254.0.10');
  assert.deepEqual(traffic.listeners.get('arn:lb/net/a'), [
    { port: 80, targetGroupArn: 'tg-1', ppv2: false },
  ]);

  runner.calls.length = 0;
  await r.reconcile();
  assert.equal(runner.transcript, '', 'a pass with nothing changed runs nothing');

  // Deregistered with no delay: the map loses it, then its open flows are reset.
  tg.targets = [target('10.0.2.10'), target('10.0.2.11', clock.now() - 1)];
  await r.reconcile();
  const argvs = runner.calls.map((c) => c.argv.join(' '));
  assert.deepEqual(argvs, [
    'ip netns exec pl-eni-n1 nft -f -',
    'ip netns exec pl-eni-n1 conntrack -D -p tcp --reply-src 10.0.2.11 --reply-port-src 8080',
  ]);
  assert.doesNotMatch(runner.calls[0]?.input ?? '', /10\.0\.2\.11 \. 8080/);

  runner.calls.length = 0;
  await r.close();
  assert.equal(runner.transcript, '$ ip netns pids pl-eni-n1\n$ ip netns delete pl-eni-n1\n');
});
