import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SqliteStore } from '../../store/sqlite-store.js';
import type { Store } from '../../store/store.js';
import { ManualClock } from '../../shared/clock.js';
import { silentLogger } from '../../shared/logger.js';
import { alwaysReady } from '../ports.js';
import type { VpcEndpoint } from '../model/privatelink.js';
import { startLifecycleDriver } from './lifecycle-driver.js';

function endpoint(now: number): VpcEndpoint {
  return {
    id: 'vpce-0123456789abcdef0',
    accountId: '111111111111',
    region: 'us-east-1',
    createdAt: now,
    tags: [],
    endpointType: 'Interface',
    vpcId: 'vpc-1',
    serviceName: 'com.amazonaws.vpce.us-east-1.vpce-svc-1',
    serviceOwner: '222222222222',
    serviceRegion: 'us-east-1',
    state: 'pending',
    stateChangedAt: now,
    routeTableIds: [],
    subnetIds: [],
    groupIds: [],
    networkInterfaceIds: [],
    ipAddressType: 'ipv4',
    privateDnsEnabled: false,
    dnsLabel: 'abcdefgh',
    requesterArn: 'arn:aws:iam::111111111111:root',
  };
}

test('a lifecycle step that fails (store busy, disk full) is retried until it succeeds', () => {
  const inner = new SqliteStore(':memory:');
  const clock = new ManualClock();
  const ep = endpoint(clock.now());
  inner.transaction(() => inner.put('vpcEndpoint', ep));
  let failuresLeft = 3;
  // The store refuses the driver's next transactions, as a locked or full database does.
  const store = new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop === 'transaction') {
        return <R>(fn: () => R): R => {
          if (failuresLeft > 0) {
            failuresLeft--;
            throw new Error('database is locked');
          }
          return target.transaction(fn);
        };
      }
      const v = Reflect.get(target, prop, receiver) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  }) as Store;
  const stop = startLifecycleDriver({
    store,
    clock,
    logger: silentLogger,
    config: { pendingMs: 100, deletedRetentionMs: 60_000 },
    readiness: alwaysReady,
  });
  try {
    clock.advance(100);
    assert.equal(failuresLeft, 2, 'the due step ran and failed');
    assert.equal(inner.find('vpcEndpoint', ep.id)?.state, 'pending');
    // Retries back off (0.5 s, 1 s, 2 s) and the third retry succeeds.
    clock.advance(500);
    clock.advance(1_000);
    assert.equal(failuresLeft, 0);
    assert.equal(inner.find('vpcEndpoint', ep.id)?.state, 'pending');
    clock.advance(2_000);
    assert.equal(inner.find('vpcEndpoint', ep.id)?.state, 'available');
  } finally {
    stop();
    inner.close();
  }
});
