/** One contract suite over every Store implementation: file-backed SQLite and in-memory SQLite. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import type { Store } from '../../src/store/store.js';
import type { Vpc } from '../../src/control/model/network.js';

const scope = { accountId: '111111111111', region: 'us-east-1' };

function vpc(id: string, accountId = scope.accountId): Vpc {
  return {
    id,
    accountId,
    region: 'us-east-1',
    createdAt: 1,
    tags: [],
    cidrBlock: '10.0.0.0/16',
    state: 'available',
    instanceTenancy: 'default',
    isDefault: false,
    dhcpOptionsId: 'dopt-1',
    enableDnsSupport: true,
    enableDnsHostnames: false,
    mainRouteTableId: 'rtb-1',
    defaultSecurityGroupId: 'sg-1',
    cidrAssociationId: 'vpc-cidr-assoc-1',
  };
}

function contract(name: string, make: () => { store: Store; reopen?: () => Store; cleanup: () => void }) {
  describe(`store contract: ${name}`, () => {
    test('put/get/list are scoped and ordered; objects are frozen', () => {
      const { store, cleanup } = make();
      try {
        store.transaction(() => {
          store.put('vpc', vpc('vpc-b'));
          store.put('vpc', vpc('vpc-a'));
          store.put('vpc', vpc('vpc-c', '222222222222'));
        });
        assert.deepEqual(
          store.list('vpc', scope).map((v) => v.id),
          ['vpc-b', 'vpc-a'],
        );
        assert.equal(store.get('vpc', { ...scope, accountId: '222222222222' }, 'vpc-a'), undefined);
        assert.equal(store.find('vpc', 'vpc-c')?.accountId, '222222222222');
        const got = store.get('vpc', scope, 'vpc-a');
        assert.ok(got && Object.isFrozen(got));
        assert.throws(() => {
          (got as { state: string }).state = 'pending';
        });
        store.transaction(() => store.put('vpc', { ...vpc('vpc-b'), cidrBlock: '10.1.0.0/16' }));
        assert.deepEqual(
          store.list('vpc', scope).map((v) => v.id),
          ['vpc-b', 'vpc-a'],
          'a re-put keeps its creation position',
        );
      } finally {
        cleanup();
      }
    });

    test('a failing transaction changes nothing and publishes nothing', () => {
      const { store, cleanup } = make();
      try {
        const seen: string[] = [];
        store.subscribe((c) => seen.push(...c.map((x) => `${x.op}:${x.id}`)));
        store.transaction(() => store.put('vpc', vpc('vpc-1')));
        assert.throws(() =>
          store.transaction(() => {
            store.put('vpc', { ...vpc('vpc-1'), cidrBlock: '10.9.0.0/16' });
            store.put('vpc', vpc('vpc-2'));
            store.delete('vpc', 'vpc-1');
            throw new Error('boom');
          }),
        );
        assert.equal(store.find('vpc', 'vpc-1')?.cidrBlock, '10.0.0.0/16');
        assert.equal(store.find('vpc', 'vpc-2'), undefined);
        assert.deepEqual(seen, ['put:vpc-1']);
        assert.throws(() => store.put('vpc', vpc('vpc-3')), /outside a transaction/);
      } finally {
        cleanup();
      }
    });

    test('changes are published once per commit, in order, with before/after', () => {
      const { store, cleanup } = make();
      try {
        const batches: string[][] = [];
        store.subscribe((c) =>
          batches.push(c.map((x) => `${x.op}:${x.id}:${x.before ? 'b' : '-'}${x.after ? 'a' : '-'}`)),
        );
        store.transaction(() => {
          store.put('vpc', vpc('vpc-1'));
          store.put('vpc', vpc('vpc-1'));
        });
        store.transaction(() => store.delete('vpc', 'vpc-1'));
        assert.deepEqual(batches, [['put:vpc-1:-a', 'put:vpc-1:ba'], ['delete:vpc-1:b-']]);
      } finally {
        cleanup();
      }
    });

    test('reset wipes everything', () => {
      const { store, cleanup } = make();
      try {
        store.transaction(() => store.put('vpc', vpc('vpc-1')));
        store.reset();
        assert.equal(store.listAll('vpc').length, 0);
      } finally {
        cleanup();
      }
    });
  });
}

contract('in-memory SQLite', () => {
  const store = new SqliteStore(':memory:');
  return { store, cleanup: () => store.close() };
});

contract('file-backed SQLite', () => {
  const dir = mkdtempSync(join(tmpdir(), 'privlink-store-'));
  const store = new SqliteStore(join(dir, 'db', 'privlink.db'));
  return {
    store,
    cleanup: () => {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

test('file-backed store survives a reopen with order and data intact', () => {
  const dir = mkdtempSync(join(tmpdir(), 'privlink-store-'));
  try {
    const file = join(dir, 'privlink.db');
    const a = new SqliteStore(file);
    a.transaction(() => {
      a.put('vpc', vpc('vpc-z'));
      a.put('vpc', vpc('vpc-y'));
    });
    a.close();
    const b = new SqliteStore(file);
    assert.deepEqual(
      b.list('vpc', scope).map((v) => v.id),
      ['vpc-z', 'vpc-y'],
    );
    b.transaction(() => b.put('vpc', vpc('vpc-x')));
    assert.deepEqual(
      b.list('vpc', scope).map((v) => v.id),
      ['vpc-z', 'vpc-y', 'vpc-x'],
    );
    b.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
