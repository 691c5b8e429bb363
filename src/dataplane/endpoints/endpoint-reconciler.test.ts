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
import { EndpointReconciler } from './endpoint-reconciler.js';

test('endpoint reconciler applies its plan through the runner: namespace, link, gating, cut on reject', async (t) => {
  const clock = new ManualClock();
  const ep = {
    id: 'vpce-1',
    endpointType: 'Interface',
    serviceId: 'vpce-svc-1',
    state: 'pendingAcceptance',
    stateChangedAt: clock.now(),
    groupIds: [] as string[],
    networkInterfaceIds: ['eni-e1'],
  };
  const store = fakeStore({
    vpcEndpoint: [ep],
    networkInterface: [
      {
        id: 'eni-e1',
        subnetId: 'subnet-c',
        vpcId: 'vpc-c',
        privateIpAddress: '10.0.1.20',
        macAddress: '0a:00:00:00:00:20',
      },
    ],
    subnet: [{ id: 'subnet-c', cidrBlock: '10.0.1.0/24', availabilityZoneId: 'use1-az1' }],
    endpointService: [{ id: 'vpce-svc-1', networkLoadBalancerArns: ['arn:lb/a'] }],
  }) as Store;
  const runner = new RecordingRunner();
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
  // What the NLB reconciler would have built.
  traffic.nodes.set('eni-n1', {
    eniId: 'eni-n1',
    loadBalancerArn: 'arn:lb/a',
    zoneId: 'use1-az1',
    address: traffic.fabric?.pool.allocate('eni-n1') ?? '',
    nodeIp: '10.0.1.50',
    namespace: 'pl-eni-n1',
  });
  traffic.listeners.set('arn:lb/a', [{ port: 80, targetGroupArn: 'tg-1', ppv2: false }]);
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
    vpcs: { get: () => undefined, isReady: () => true, namespaceOf: (id) => `pl-${id}`, list: () => [] },
    hostAddresses: new Map(),
    events,
    traffic,
  };
  const r = new EndpointReconciler(ctx);
  assert.equal(r.isReady(ep as never), false, 'not ready before its namespace is built');
  await r.reconcile();
  assert.equal(r.isReady(ep as never), true);
  const built = runner.transcript;
  assert.match(built, /\$ ip netns add pl-eni-e1\n/);
  assert.match(built, /link add c netns pl-eni-e1 type veth peer name e-\w+ netns pl-vpc-c/);
  assert.match(built, /route replace 169\.254\.0\.10\/32 dev u-\w+ src 169\.254\.0\.11/);
  const gated = runner.calls.find((c) => c.argv.includes('nft'))?.input ?? '';
  assert.doesNotMatch(gated, /elements/, 'no listener element before acceptance');

  runner.calls.length = 0;
  ep.state = 'available';
  await r.reconcile();
  assert.deepEqual(
    runner.calls.map((c) => c.argv.join(' ')),
    ['ip netns exec pl-eni-e1 nft -f -'],
  );
  assert.match(runner.calls[0]?.input ?? '', /elements = \{ 80 : 169\.254\.0\.10 \. 80 \}/);

  runner.calls.length = 0;
  ep.state = 'rejected';
  await r.reconcile();
  assert.deepEqual(
    runner.calls.map((c) => c.argv.join(' ')),
    [
      'ip netns exec pl-eni-e1 nft -f -',
      'ip netns exec pl-eni-e1 conntrack -D -p tcp --orig-dst 10.0.1.20 --dport 80',
    ],
    'the element goes first, then the open flows',
  );

  runner.calls.length = 0;
  await r.close();
  assert.equal(runner.transcript, '$ ip netns pids pl-eni-e1\n$ ip netns delete pl-eni-e1\n');
});
