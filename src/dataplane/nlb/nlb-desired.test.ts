import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fakeStore } from '../testing/fake-store.js';
import { assertGolden } from '../testing/golden.js';
import {
  assignSlots,
  backendsOf,
  desiredNodes,
  drainingAddresses,
  drains,
  planListenersAndHealth,
  planNodeProgram,
  removedBackends,
  targetAddress,
  type BuiltNode,
  type NlbView,
} from './nlb-desired.js';

const hc = {
  enabled: true,
  protocol: 'TCP',
  port: 'traffic-port',
  intervalSeconds: 10,
  timeoutSeconds: 5,
  healthyThreshold: 3,
  unhealthyThreshold: 3,
};

function lb(id: string, nodes: [string, string, string][], extra: Record<string, unknown> = {}) {
  return {
    id,
    name: id.split('/')[2] ?? id,
    type: 'network',
    state: 'active',
    vpcId: 'vpc-p',
    nodes: nodes.map(([eni, ip, zone]) => ({
      networkInterfaceId: eni,
      privateIpAddress: ip,
      zoneId: zone,
      subnetId: 'subnet-n',
      zoneName: 'x',
    })),
    ...extra,
  };
}

const store = fakeStore({
  loadBalancer: [
    lb('arn:lb/net/b', [['eni-b1', '10.0.1.60', 'use1-az1']]),
    lb('arn:lb/net/a', [
      ['eni-a1', '10.0.1.50', 'use1-az1'],
      ['eni-a2', '10.0.1.51', 'use1-az2'],
    ]),
    lb('arn:lb/net/failed', [['eni-f', '10.0.1.70', 'use1-az1']], { state: 'failed' }),
    lb('arn:lb/gwy/g', [['eni-g', '10.0.1.80', 'use1-az1']], { type: 'gateway' }),
  ],
  listener: [
    {
      id: 'l-81',
      loadBalancerArn: 'arn:lb/net/a',
      port: 81,
      protocol: 'TCP',
      attributes: { 'tcp.idle_timeout.seconds': '120' },
      defaultActions: [{ type: 'forward', forwardTargetGroups: [{ targetGroupArn: 'tg-pp' }] }],
    },
    {
      id: 'l-80',
      loadBalancerArn: 'arn:lb/net/a',
      port: 80,
      protocol: 'TCP',
      attributes: {},
      defaultActions: [{ type: 'forward', targetGroupArn: 'tg-web' }],
    },
    {
      id: 'l-b80',
      loadBalancerArn: 'arn:lb/net/b',
      port: 80,
      protocol: 'TCP',
      attributes: {},
      defaultActions: [{ type: 'forward', targetGroupArn: 'tg-web' }],
    },
    {
      id: 'l-udp',
      loadBalancerArn: 'arn:lb/net/a',
      port: 53,
      protocol: 'UDP',
      attributes: {},
      defaultActions: [{ type: 'forward', targetGroupArn: 'tg-web' }],
    },
  ],
  targetGroup: [
    {
      id: 'tg-web',
      targetType: 'ip',
      attributes: { 'deregistration_delay.timeout_seconds': '30' },
      healthCheck: hc,
      targets: [
        { id: '10.0.2.10', port: 8080, registeredAt: 0 },
        { id: '10.0.2.11', port: 8080, registeredAt: 0 },
        { id: '10.0.2.12', port: 8080, registeredAt: 0, deregisteredAt: 1_000 },
      ],
    },
    {
      id: 'tg-pp',
      targetType: 'instance',
      attributes: { 'proxy_protocol_v2.enabled': 'true' },
      healthCheck: { ...hc, protocol: 'HTTP', port: '9000', path: '/health' },
      targets: [{ id: 'i-1', port: 8443, registeredAt: 0 }],
    },
  ],
  instance: [{ id: 'i-1', privateIpAddress: '10.0.2.20' }],
});

function built(eni: string, lbArn: string, address: string, slots: [string, number][] = []): BuiltNode {
  return { eniId: eni, loadBalancerArn: lbArn, address, namespace: `pl-${eni}`, hcSlots: new Map(slots) };
}

const view = (nodes: BuiltNode[]): NlbView => ({
  store,
  mode: 'netns',
  hostAddresses: new Map(),
  nodes: new Map(nodes.map((n) => [n.eniId, n])),
  healthSourceIp: '169.254.0.2',
});

test('desiredNodes: every node of every network load balancer that has not failed', () => {
  const d = desiredNodes(store);
  assert.deepEqual([...d.keys()], ['eni-b1', 'eni-a1', 'eni-a2']);
  assert.deepEqual(d.get('eni-a2'), {
    eniId: 'eni-a2',
    loadBalancerArn: 'arn:lb/net/a',
    lbName: 'a',
    vpcId: 'vpc-p',
    zoneId: 'use1-az2',
    subnetId: 'subnet-n',
    nodeIp: '10.0.1.51',
  });
});

test('assignSlots keeps slots, fills the lowest free one, and frees stale ones after the pass', () => {
  const cur = new Map([
    ['a', 0],
    ['stale', 1],
    ['c', 2],
  ]);
  assert.deepEqual(
    [...assignSlots(cur, ['a', 'new', 'c'])],
    [
      ['a', 0],
      ['c', 2],
      ['new', 3],
    ],
  );
  assert.deepEqual(
    [...assignSlots(new Map(), ['x', 'y'])],
    [
      ['x', 0],
      ['y', 1],
    ],
  );
});

test('planListenersAndHealth: TCP listeners sorted, idle timeout, one checking node per group', () => {
  const a1 = built('eni-a1', 'arn:lb/net/a', '169.254.0.10', [['tg-web|10.0.2.11|8080', 0]]);
  const b1 = built('eni-b1', 'arn:lb/net/b', '169.254.0.12', [['tg-web|10.0.2.10|8080', 5]]);
  const plan = planListenersAndHealth(view([b1, a1, built('eni-a2', 'arn:lb/net/a', '169.254.0.11')]));
  assert.deepEqual(plan.listenersByLb.get('arn:lb/net/a'), [
    { port: 80, targetGroupArn: 'tg-web', ppv2: false },
    { port: 81, targetGroupArn: 'tg-pp', ppv2: true },
  ]);
  assert.equal(plan.idleByLb.get('arn:lb/net/a'), 350, 'the longest of its listeners (default 350)');
  assert.equal(plan.idleByLb.get('arn:lb/net/b'), 350);
  // arn:lb/net/a sorts first: its first node checks both groups; b1 checks nothing and loses its slot.
  assert.deepEqual(
    [...(plan.slots.get('eni-a1') ?? [])],
    [
      ['tg-web|10.0.2.11|8080', 0],
      ['tg-web|10.0.2.10|8080', 1],
      ['tg-pp|i-1|8443', 2],
    ],
  );
  assert.deepEqual([...(plan.slots.get('eni-b1') ?? [])], []);
  assert.deepEqual(
    plan.healthTargets.map((t) => [t.targetId, t.probe]),
    [
      [
        '10.0.2.10',
        {
          host: '169.254.0.10',
          port: 20001,
          localAddress: '169.254.0.2',
          hostHeader: '10.0.2.10',
          ppv2: false,
        },
      ],
      [
        '10.0.2.11',
        {
          host: '169.254.0.10',
          port: 20000,
          localAddress: '169.254.0.2',
          hostHeader: '10.0.2.11',
          ppv2: false,
        },
      ],
      [
        'i-1',
        {
          host: '169.254.0.10',
          port: 20002,
          localAddress: '169.254.0.2',
          hostHeader: '10.0.2.20',
          ppv2: true,
        },
      ],
    ],
  );
  assert.deepEqual(plan.checks.get('eni-a1')?.get('tg-pp|i-1|8443'), { ip: '10.0.2.20', port: 9000 });
});

test('planNodeProgram: healthy targets only, all when none is healthy; script (golden)', () => {
  const a1 = built('eni-a1', 'arn:lb/net/a', '169.254.0.10');
  const v = view([a1]);
  const plan = planListenersAndHealth(v);
  const healthy = new Set(['tg-web|10.0.2.11|8080']);
  const prog = planNodeProgram(v, { ...a1, nodeIp: '10.0.1.50' }, plan, (tg, id, port) =>
    healthy.has(`${tg}|${id}|${port}`),
  );
  assert.deepEqual(prog.backends.get(80), [{ ip: '10.0.2.11', port: 8080 }]);
  assert.deepEqual(prog.backends.get(81), [{ ip: '10.0.2.20', port: 8443 }], 'fail-open');
  assert.equal(prog.idleTimeout, 350);
  assertGolden(import.meta.url, 'nlb-node-program.nft', prog.script ?? '');
  const loopback = planNodeProgram(
    { ...v, healthSourceIp: undefined },
    { ...a1, nodeIp: '10.0.1.50' },
    plan,
    () => true,
  );
  assert.equal(loopback.script, undefined);
});

test('target addresses: instance targets by private IP; loopback mode never leaves 127/8', () => {
  const tgs = new Map(store.listAll('targetGroup').map((t) => [t.id, t]));
  const web = tgs.get('tg-web');
  const pp = tgs.get('tg-pp');
  assert.ok(web && pp);
  const netns = { mode: 'netns' as const, store, hostAddresses: new Map() };
  const lo = { mode: 'loopback' as const, store, hostAddresses: new Map([['i-1', '127.100.0.1']]) };
  assert.equal(targetAddress(netns, pp, 'i-1'), '10.0.2.20');
  assert.equal(targetAddress(lo, pp, 'i-1'), '127.100.0.1');
  assert.equal(targetAddress(lo, web, '10.0.2.10'), undefined);
  assert.equal(targetAddress(lo, web, '127.0.0.5'), '127.0.0.5');
  assert.deepEqual(
    backendsOf(lo, web, () => false),
    [],
  );
});

test('draining: inside the delay a removed target keeps its flows; after it they are cut', () => {
  const tgs = store.listAll('targetGroup');
  const a = { mode: 'netns' as const, store, hostAddresses: new Map() };
  assert.deepEqual([...drainingAddresses(a, tgs, 5_000)], ['10.0.2.12:8080']);
  assert.deepEqual([...drainingAddresses(a, tgs, 31_000)], []);
  const plan = planListenersAndHealth(view([]));
  assert.deepEqual(drains(a, tgs, plan.listenersByLb), [
    {
      key: 'tg-web|10.0.2.12|8080|1000',
      target: { ip: '10.0.2.12', port: 8080 },
      dueAt: 31_000,
      loadBalancerArns: ['arn:lb/net/a', 'arn:lb/net/b'],
    },
  ]);
  const old = new Map([
    [
      80,
      [
        { ip: '10.0.2.12', port: 8080 },
        { ip: '10.0.2.13', port: 8080 },
      ],
    ],
  ]);
  assert.deepEqual(removedBackends(old, new Map([[80, []]]), new Set(['10.0.2.12:8080'])), [
    { ip: '10.0.2.13', port: 8080 },
  ]);
});
