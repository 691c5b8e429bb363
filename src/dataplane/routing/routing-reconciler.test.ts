import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { silentLogger } from '../../shared/logger.js';
import type { Store } from '../../store/store.js';
import { RecordingRunner } from '../netns/recording-runner.js';
import { fakeStore } from '../testing/fake-store.js';
import type { VpcNetworks } from '../vpc/vpc-network.js';
import { RoutingReconciler } from './routing-reconciler.js';

const local = {
  destinationCidrBlock: '10.0.0.0/16',
  gatewayId: 'local',
  origin: 'CreateRouteTable',
  state: 'active',
};

test('routing reconciler: builds per-subnet rules, applies only changes, rebuilds when the kernel refuses', async () => {
  const main = {
    id: 'rtb-main',
    vpcId: 'vpc-1',
    region: 'us-east-1',
    associations: [{ id: 'rtbassoc-m', main: true }],
    routes: [local] as Record<string, unknown>[],
  };
  const records = {
    vpc: [{ id: 'vpc-1', region: 'us-east-1', cidrBlock: '10.0.0.0/16' }],
    subnet: [{ id: 'subnet-1', vpcId: 'vpc-1', cidrBlock: '10.0.1.0/24' }],
    routeTable: [main],
    networkInterface: [{ id: 'eni-1', privateIpAddress: '10.0.1.9' }],
  };
  const runner = new RecordingRunner();
  const vpcs = {
    namespaceOf: (id: string) => (id === 'vpc-1' ? 'pl-vpc-1' : undefined),
    isReady: (id: string) => id === 'vpc-1',
  } as unknown as VpcNetworks;
  const events = new EventEmitter();
  const r = new RoutingReconciler({
    store: fakeStore(records) as unknown as Store,
    runner,
    mode: 'netns',
    logger: silentLogger,
    events,
    vpcs,
  });
  await r.reconcile();
  assert.equal(
    runner.transcript,
    '$ ip -n pl-vpc-1 -batch -\n' +
      '  route replace throw 10.0.0.0/16 table 1000\n' +
      '  rule add pref 1000 from 10.0.1.0/24 iif br0 lookup 1000\n',
  );
  runner.calls.length = 0;
  await r.reconcile();
  assert.deepEqual(runner.calls, [], 'nothing changed, nothing run');

  main.routes = [
    local,
    {
      destinationCidrBlock: '10.0.2.0/24',
      networkInterfaceId: 'eni-1',
      origin: 'CreateRoute',
      state: 'active',
    },
  ];
  await r.reconcile();
  assert.equal(
    runner.transcript,
    '$ ip -n pl-vpc-1 -batch -\n  route replace 10.0.2.0/24 via 10.0.1.9 dev br0 onlink table 1000\n',
  );

  // The kernel refuses (e.g. a rule removed by hand): clean up with -force, then build all.
  runner.calls.length = 0;
  records.networkInterface = [];
  let first = true;
  const record = runner.run.bind(runner);
  runner.run = (argv, input) => {
    const p = record(argv, input);
    if (first && argv.includes('-batch')) {
      first = false;
      return Promise.reject(new Error('RTNETLINK answers: No such process'));
    }
    return p;
  };
  await r.reconcile();
  assert.match(
    runner.transcript,
    /-force -batch -\n {2}rule del pref 1000 from 10\.0\.1\.0\/24 iif br0 lookup 1000\n {2}route flush table 1000\n/,
  );
  assert.match(
    runner.transcript,
    /route replace blackhole 10\.0\.2\.0\/24 table 1000\n {2}rule add pref 1000/,
  );

  // A VPC namespace that went down forgets its routing: the next pass rebuilds everything.
  runner.calls.length = 0;
  events.emit('vpc-down', { vpcId: 'vpc-1' });
  await r.reconcile();
  assert.match(runner.transcript, /route replace throw 10\.0\.0\.0\/16 table 1000/);
  assert.deepEqual(r.describe(), { vpcs: 1, tables: 1, rules: 1, routes: 2 });
});
