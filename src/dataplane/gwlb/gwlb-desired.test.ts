import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fakeStore } from '../testing/fake-store.js';
import { assertGolden } from '../testing/golden.js';
import {
  backEntry,
  desiredGwlbEndpoints,
  desiredGwlbNodes,
  endpointEntry,
  endpointIdBytes,
  innerMtu,
  liveAppliances,
  liveDelete,
  liveEntry,
  slotEntry,
  slotTable,
  stickinessTuple,
} from './gwlb-desired.js';

const hc = {
  enabled: true,
  protocol: 'TCP',
  port: '80',
  intervalSeconds: 5,
  timeoutSeconds: 2,
  healthyThreshold: 2,
  unhealthyThreshold: 2,
};

function store(state = 'available') {
  return fakeStore({
    loadBalancer: [
      {
        id: 'arn:gwlb',
        type: 'gateway',
        state: 'active',
        vpcId: 'vpc-p',
        name: 'g',
        nodes: [
          {
            networkInterfaceId: 'eni-n1',
            subnetId: 'subnet-p1',
            zoneId: 'use1-az1',
            privateIpAddress: '10.0.1.5',
          },
          {
            networkInterfaceId: 'eni-n2',
            subnetId: 'subnet-p2',
            zoneId: 'use1-az2',
            privateIpAddress: '10.0.2.5',
          },
        ],
      },
      { id: 'arn:nlb', type: 'network', state: 'active', vpcId: 'vpc-p', nodes: [] },
    ],
    listener: [
      {
        id: 'arn:l',
        loadBalancerArn: 'arn:gwlb',
        defaultActions: [{ type: 'forward', targetGroupArn: 'arn:tg' }],
        attributes: { 'tcp.idle_timeout.seconds': '350' },
      },
    ],
    targetGroup: [
      {
        id: 'arn:tg',
        targetType: 'instance',
        healthCheck: hc,
        attributes: { 'stickiness.enabled': 'true', 'stickiness.type': 'source_ip_dest_ip' },
        targets: [
          { id: 'i-1', port: 6081, registeredAt: 0 },
          { id: 'i-2', port: 6081, registeredAt: 0, deregisteredAt: 5 },
        ],
      },
    ],
    instance: [
      { id: 'i-1', privateIpAddress: '10.0.1.50' },
      { id: 'i-2', privateIpAddress: '10.0.1.51' },
    ],
    endpointService: [{ id: 'vpce-svc-1', gatewayLoadBalancerArns: ['arn:gwlb'] }],
    vpcEndpoint: [
      {
        id: 'vpce-0123456789abcdef0',
        endpointType: 'GatewayLoadBalancer',
        state,
        vpcId: 'vpc-c',
        serviceId: 'vpce-svc-1',
        networkInterfaceIds: ['eni-e'],
        subnetIds: ['subnet-e'],
      },
    ],
    networkInterface: [{ id: 'eni-e', subnetId: 'subnet-e', privateIpAddress: '10.0.3.9' }],
    subnet: [{ id: 'subnet-e', availabilityZoneId: 'use1-az2' }],
  });
}

test('desired GWLB nodes and endpoints: same-zone node, registered appliances, stickiness, gating', () => {
  const nodes = desiredGwlbNodes(store());
  assert.deepEqual([...nodes.keys()], ['eni-n1', 'eni-n2']);
  const n = nodes.get('eni-n1');
  assert.deepEqual(n?.appliances, [{ targetId: 'i-1', port: 6081, ip: '10.0.1.50', healthPort: 80 }]);
  assert.deepEqual(n?.draining, [{ targetId: 'i-2', port: 6081, ip: '10.0.1.51', dueAt: 300_005 }]);
  assert.equal(n?.tuple, 2);
  assert.equal(n?.rebalanceOnUnhealthy, false);
  assert.equal(n?.tcpIdleSeconds, 350);
  const eps = desiredGwlbEndpoints(store(), nodes);
  assert.deepEqual(eps.get('vpce-0123456789abcdef0'), {
    vpceId: 'vpce-0123456789abcdef0',
    eniId: 'eni-e',
    eniIp: '10.0.3.9',
    vpcId: 'vpc-c',
    subnetId: 'subnet-e',
    carrying: true,
    nodeEniId: 'eni-n2',
  });
  for (const s of ['pendingAcceptance', 'rejected', 'deleting']) {
    assert.equal(desiredGwlbEndpoints(store(s), nodes).get('vpce-0123456789abcdef0')?.carrying, false, s);
  }
});

test('stickiness: 5-tuple by default, 3- and 2-tuple from the group attributes', () => {
  assert.equal(stickinessTuple({}), 5);
  assert.equal(stickinessTuple({ 'stickiness.enabled': 'true' }), 3);
  assert.equal(
    stickinessTuple({ 'stickiness.enabled': 'true', 'stickiness.type': 'source_ip_dest_ip_proto' }),
    3,
  );
  assert.equal(stickinessTuple({ 'stickiness.enabled': 'true', 'stickiness.type': 'source_ip_dest_ip' }), 2);
});

test('slot table: healthy appliances only; all registered when none is healthy (fail open)', () => {
  const apps = ['10.0.1.50', '10.0.1.51'];
  assert.deepEqual(new Set(slotTable(apps, new Set(['10.0.1.51']))), new Set(['10.0.1.51']));
  const open = slotTable(apps, new Set());
  assert.equal(open.length, 64);
  assert.deepEqual(new Set(open), new Set(apps));
  assert.deepEqual(new Set(slotTable([], new Set())), new Set(['0.0.0.0']));
});

test('BPF map entries (golden): endpoint, return and slot layouts of gwlb.c', () => {
  assert.equal(endpointIdBytes('vpce-0123456789abcdef0').toString('hex'), '123456789abcdef0');
  const text = [
    endpointEntry('M/gw_eps', 7, {
      vpceId: 'vpce-0123456789abcdef0',
      nodeEniId: 'eni-n2',
      nodeIp: '10.0.2.5',
      group: 1,
      tuple: 5,
      outIfindex: 2,
      rebalance: true,
      tcpIdleSeconds: 350,
    }),
    backEntry('M/gw_back', 'vpce-0123456789abcdef0', {
      ifindex: 7,
      nodeIp: '10.0.2.5',
      dmac: '0a:00:00:00:00:01',
      smac: '0a:00:00:00:00:02',
    }),
    slotEntry('M/gw_slots', 1, 63, '10.0.1.50'),
    liveEntry('M/gw_live', 1, '10.0.1.50'),
    liveDelete('M/gw_live', 1, '10.0.1.51'),
  ].join('\n');
  assertGolden(import.meta.url, 'gwlb-maps.txt', text + '\n');
});

test('target failover: which appliances keep their existing flows (gw_live)', () => {
  const base = desiredGwlbNodes(store()).get('eni-n1');
  assert.ok(base);
  const n = {
    ...base,
    appliances: [
      { targetId: 'i-1', port: 6081, ip: '10.0.1.50', healthPort: 80 },
      { targetId: 'i-3', port: 6081, ip: '10.0.1.52', healthPort: 80 },
    ],
  };
  const slots = slotTable(['10.0.1.50', '10.0.1.52'], new Set(['10.0.1.50']));
  // no_rebalance: the unhealthy appliance keeps its flows; the draining one until its delay ends.
  assert.deepEqual(liveAppliances(n, slots, 1000), new Set(['10.0.1.50', '10.0.1.52', '10.0.1.51']));
  assert.deepEqual(liveAppliances(n, slots, 300_005), new Set(['10.0.1.50', '10.0.1.52']));
  // rebalance: the unhealthy one's flows move; a draining one still keeps them until the end.
  const r = { ...n, rebalanceOnUnhealthy: true, rebalanceOnDeregistration: true };
  assert.deepEqual(liveAppliances(r, slots, 1000), new Set(['10.0.1.50', '10.0.1.51']));
  // None healthy: fail open, every registered appliance serves and keeps its flows.
  const open = slotTable(['10.0.1.50', '10.0.1.52'], new Set());
  assert.deepEqual(liveAppliances(r, open, 300_005), new Set(['10.0.1.50', '10.0.1.52']));
});

test('inner MTU: the provider VPC MTU minus 68, at most AWS 8,500', () => {
  assert.equal(innerMtu(1500), 1432);
  assert.equal(innerMtu(9001), 8500);
  assert.equal(innerMtu(8568), 8500);
  assert.equal(innerMtu(8000), 7932);
});
