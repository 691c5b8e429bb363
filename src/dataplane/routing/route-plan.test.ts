import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fakeStore } from '../testing/fake-store.js';
import { assertGolden } from '../testing/golden.js';
import {
  assignTableNumbers,
  defaultHopResolvers,
  desiredRouting,
  kernelRouting,
  routeTarget,
  routingChanges,
  routingResetLines,
  type HopResolvers,
} from './route-plan.js';

const local = {
  destinationCidrBlock: '10.0.0.0/16',
  gatewayId: 'local',
  origin: 'CreateRouteTable',
  state: 'active',
};

function store() {
  return fakeStore({
    vpc: [{ id: 'vpc-a', region: 'us-east-1', cidrBlock: '10.0.0.0/16' }],
    subnet: [
      { id: 'subnet-app', vpcId: 'vpc-a', cidrBlock: '10.0.1.0/24' },
      { id: 'subnet-db', vpcId: 'vpc-a', cidrBlock: '10.0.2.0/24' },
      { id: 'subnet-gwe', vpcId: 'vpc-a', cidrBlock: '10.0.3.0/24' },
      { id: 'subnet-main', vpcId: 'vpc-a', cidrBlock: '10.0.4.0/24' },
    ],
    // Its return link is routed by the table of its own subnet (the main one here).
    vpcEndpoint: [
      {
        id: 'vpce-gw1',
        endpointType: 'GatewayLoadBalancer',
        state: 'available',
        vpcId: 'vpc-a',
        networkInterfaceIds: ['eni-gw1'],
        subnetIds: ['subnet-gwe'],
      },
    ],
    routeTable: [
      {
        id: 'rtb-main',
        vpcId: 'vpc-a',
        region: 'us-east-1',
        associations: [{ id: 'rtbassoc-m', main: true }],
        routes: [
          local,
          // Gateway endpoint (S3) prefix-list route: expanded to the list's CIDRs.
          {
            destinationPrefixListId: 'pl-63a5400a',
            gatewayId: 'vpce-s3',
            origin: 'CreateRoute',
            state: 'active',
          },
          { destinationCidrBlock: '0.0.0.0/0', gatewayId: 'igw-1', origin: 'CreateRoute', state: 'active' },
        ],
      },
      {
        id: 'rtb-app',
        vpcId: 'vpc-a',
        region: 'us-east-1',
        associations: [{ id: 'rtbassoc-1', subnetId: 'subnet-app', main: false }],
        routes: [
          local,
          // More specific than the VPC CIDR: the db subnet goes through the GWLB endpoint.
          {
            destinationCidrBlock: '10.0.2.0/24',
            gatewayId: 'vpce-gw1',
            vpcEndpointId: 'vpce-gw1',
            origin: 'CreateRoute',
            state: 'active',
          },
          {
            destinationCidrBlock: '10.0.4.128/25',
            networkInterfaceId: 'eni-gone',
            origin: 'CreateRoute',
            state: 'active',
          },
        ],
      },
      {
        id: 'rtb-db',
        vpcId: 'vpc-a',
        region: 'us-east-1',
        associations: [{ id: 'rtbassoc-2', subnetId: 'subnet-db', main: false }],
        routes: [
          local,
          {
            destinationCidrBlock: '10.0.1.0/24',
            gatewayId: 'vpce-gw1',
            vpcEndpointId: 'vpce-gw1',
            origin: 'CreateRoute',
            state: 'active',
          },
          {
            destinationCidrBlock: '10.0.4.0/24',
            instanceId: 'i-1',
            networkInterfaceId: 'eni-i1',
            origin: 'CreateRoute',
            state: 'active',
          },
        ],
      },
      { id: 'rtb-unused', vpcId: 'vpc-a', region: 'us-east-1', associations: [], routes: [local] },
    ],
  });
}

const hops: HopResolvers = defaultHopResolvers({
  eniAddress: (id) => (id === 'eni-i1' ? '10.0.4.7' : undefined),
  gwlbEndpointAddress: (id) => (id === 'vpce-gw1' ? '10.0.3.10' : undefined),
});

test('desiredRouting: each subnet uses its associated table, else the main one; unused tables are left out', () => {
  const d = desiredRouting(store()).get('vpc-a');
  assert.ok(d);
  assert.deepEqual(
    d.subnets.map((s) => [s.subnetId, s.routeTableId]),
    [
      ['subnet-app', 'rtb-app'],
      ['subnet-db', 'rtb-db'],
      ['subnet-gwe', 'rtb-main'],
      ['subnet-main', 'rtb-main'],
    ],
  );
  assert.deepEqual([...d.tables.keys()].sort(), ['rtb-app', 'rtb-db', 'rtb-main']);
  const s3 = d.tables.get('rtb-main')?.routes.filter((r) => r.target.kind === 'gateway-endpoint');
  assert.deepEqual(
    s3?.map((r) => r.destination),
    ['198.18.16.0/20'],
  );
});

test('routeTarget reads the typed target of every route shape', () => {
  assert.deepEqual(routeTarget({ gatewayId: 'local', origin: 'CreateRouteTable', state: 'active' }, 'r'), {
    kind: 'local',
  });
  assert.deepEqual(
    routeTarget(
      { gatewayId: 'vpce-1', vpcEndpointId: 'vpce-1', origin: 'CreateRoute', state: 'active' },
      'r',
    ),
    { kind: 'gwlb-endpoint', vpceId: 'vpce-1' },
  );
  assert.deepEqual(
    routeTarget(
      { instanceId: 'i-1', networkInterfaceId: 'eni-1', origin: 'CreateRoute', state: 'active' },
      'r',
    ),
    { kind: 'interface', networkInterfaceId: 'eni-1' },
  );
  assert.deepEqual(routeTarget({ gatewayId: 'igw-1', origin: 'CreateRoute', state: 'active' }, 'r'), {
    kind: 'gateway',
    gatewayId: 'igw-1',
  });
});

test('kernel routing of a VPC (golden): throw for local, via for ENIs and GWLB endpoints, blackhole when gone', () => {
  const d = desiredRouting(store()).get('vpc-a');
  assert.ok(d);
  const tables = assignTableNumbers(new Map(), d.tables.keys());
  const k = kernelRouting(d, tables, hops);
  const text = routingChanges({ rules: [], routes: new Map() }, k).join('\n') + '\n';
  assertGolden(import.meta.url, 'vpc-routing.txt', text);
});

test('gateway-endpoint routes are unreachable until their resolver is replaced (the extension point)', () => {
  const d = desiredRouting(store()).get('vpc-a');
  assert.ok(d);
  const tables = assignTableNumbers(new Map(), d.tables.keys());
  const main = tables.get('rtb-main');
  assert.equal(
    kernelRouting(d, tables, hops).routes.get(`${main} 198.18.16.0/20`),
    `unreachable 198.18.16.0/20 table ${main}`,
  );
  const withS3: HopResolvers = {
    ...hops,
    'gateway-endpoint': (t) => ({ type: 'via', gateway: t.vpceId === 'vpce-s3' ? '10.0.3.99' : '' }),
  };
  assert.equal(
    kernelRouting(d, tables, withS3).routes.get(`${main} 198.18.16.0/20`),
    `198.18.16.0/20 via 10.0.3.99 dev br0 onlink table ${main}`,
  );
});

test('assignTableNumbers keeps numbers and fills the lowest free one', () => {
  const have = new Map([
    ['rtb-b', 1001],
    ['rtb-gone', 1000],
  ]);
  assert.deepEqual(
    [...assignTableNumbers(have, ['rtb-c', 'rtb-b', 'rtb-a'])],
    [
      ['rtb-b', 1001],
      ['rtb-a', 1000],
      ['rtb-c', 1002],
    ],
  );
});

test('routingChanges: only the difference; a changed target is deleted then added; nothing when equal', () => {
  const have = {
    rules: [
      'pref 1000 from 10.0.1.0/24 iif br0 lookup 1000',
      'pref 1000 from 10.0.2.0/24 iif br0 lookup 1000',
    ],
    routes: new Map([
      ['1000 10.0.0.0/16', 'throw 10.0.0.0/16 table 1000'],
      ['1000 10.0.2.0/24', 'blackhole 10.0.2.0/24 table 1000'],
      ['1000 10.0.5.0/24', 'blackhole 10.0.5.0/24 table 1000'],
    ]),
  };
  const want = {
    rules: [
      'pref 1000 from 10.0.1.0/24 iif br0 lookup 1000',
      'pref 1000 from 10.0.3.0/24 iif br0 lookup 1000',
    ],
    routes: new Map([
      ['1000 10.0.0.0/16', 'throw 10.0.0.0/16 table 1000'],
      ['1000 10.0.2.0/24', '10.0.2.0/24 via 10.0.3.10 dev br0 onlink table 1000'],
    ]),
  };
  assert.deepEqual(routingChanges(have, want), [
    'rule del pref 1000 from 10.0.2.0/24 iif br0 lookup 1000',
    'route del 10.0.2.0/24 table 1000',
    'route del 10.0.5.0/24 table 1000',
    'route replace 10.0.2.0/24 via 10.0.3.10 dev br0 onlink table 1000',
    'rule add pref 1000 from 10.0.3.0/24 iif br0 lookup 1000',
  ]);
  assert.deepEqual(routingChanges(want, want), []);
  const reset = routingResetLines([1000, 1000], have, want);
  assert.deepEqual(reset.cleanup, [
    'rule del pref 1000 from 10.0.1.0/24 iif br0 lookup 1000',
    'rule del pref 1000 from 10.0.2.0/24 iif br0 lookup 1000',
    'rule del pref 1000 from 10.0.3.0/24 iif br0 lookup 1000',
    'route flush table 1000',
  ]);
  assert.equal(reset.build.length, 4);
});
