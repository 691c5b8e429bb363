/**
 * Store failure paths (issue 11, item 4): a write lock held by another connection past the busy
 * timeout, a full filesystem, and a ROLLBACK that itself fails must each leave the file, the
 * in-memory index and the change listeners exactly as they were, and the store usable afterwards.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, openSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import type { Vpc } from '../../src/control/model/network.js';

const scope = { accountId: '111111111111', region: 'us-east-1' };

function vpc(id: string, pad = 0): Vpc {
  return {
    id,
    accountId: scope.accountId,
    region: scope.region,
    createdAt: 1,
    tags: pad ? [{ key: 'pad', value: 'x'.repeat(pad) }] : [],
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

/** Ids of the VPC rows as another connection sees them on disk. */
function onDisk(file: string): string[] {
  const db = new Database(file, { readonly: true });
  try {
    return (
      db.prepare("SELECT id FROM resources WHERE kind = 'vpc' ORDER BY seq").all() as { id: string }[]
    ).map((r) => r.id);
  } finally {
    db.close();
  }
}

test('a write lock held past the busy timeout fails one request and nothing else', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'privlink-busy-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'privlink.db');
  const store = new SqliteStore(file, { busyTimeoutMs: 50 });
  t.after(() => store.close());
  const seen: string[] = [];
  store.subscribe((c) => seen.push(...c.map((x) => `${x.op}:${x.id}`)));
  store.transaction(() => store.put('vpc', vpc('vpc-1')));

  const other = new Database(file);
  other.pragma('busy_timeout = 0');
  other.exec('BEGIN IMMEDIATE');
  const err = (() => {
    try {
      store.transaction(() => store.put('vpc', vpc('vpc-2')));
    } catch (e) {
      return e as Error & { reason?: string };
    }
    return undefined;
  })();
  other.exec('ROLLBACK');
  other.close();
  assert.ok(err, 'the transaction must fail while another connection holds the lock');
  assert.equal(err.name, 'StoreUnavailableError');
  assert.equal(err.reason, 'busy');
  assert.equal(store.find('vpc', 'vpc-2'), undefined);

  // The next failing handler must roll back: on the broken tree it ran outside any transaction.
  assert.throws(() =>
    store.transaction(() => {
      store.put('vpc', vpc('vpc-3'));
      throw new Error('handler fails');
    }),
  );
  assert.equal(store.find('vpc', 'vpc-3'), undefined);
  assert.deepEqual(onDisk(file), ['vpc-1'], 'nothing of the failed handler is committed');

  // And listeners hear the next commit.
  store.transaction(() => store.put('vpc', vpc('vpc-4')));
  assert.deepEqual(seen, ['put:vpc-1', 'put:vpc-4']);
  assert.deepEqual(onDisk(file), ['vpc-1', 'vpc-4']);
});

test('a full filesystem fails the write, keeps index and file as they were, recovers when space returns', (t) => {
  const mnt = mkdtempSync(join(tmpdir(), 'privlink-full-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mnt]);
  const file = join(mnt, 'privlink.db');
  const store = new SqliteStore(file);
  t.after(() => {
    store.close();
    execFileSync('umount', ['-l', mnt]);
    rmSync(mnt, { recursive: true, force: true });
  });
  const seen: string[] = [];
  store.subscribe((c) => seen.push(...c.map((x) => `${x.op}:${x.id}`)));
  store.transaction(() => store.put('vpc', vpc('vpc-1')));

  // Fill what is left of the filesystem.
  const filler = join(mnt, 'filler');
  const fd = openSync(filler, 'w');
  const chunk = Buffer.alloc(64 * 1024, 1);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (e) {
    assert.equal((e as NodeJS.ErrnoException).code, 'ENOSPC');
  }
  try {
    for (;;) writeSync(fd, chunk.subarray(0, 512));
  } catch {
    // the last sectors
  }
  closeSync(fd);

  let failures = 0;
  for (let i = 0; i < 3; i++) {
    try {
      store.transaction(() => {
        store.put('vpc', { ...vpc('vpc-1'), cidrBlock: '10.9.0.0/16' });
        for (let j = 0; j < 8; j++) store.put('vpc', vpc(`vpc-big-${i}-${j}`, 200_000));
      });
    } catch (e) {
      failures++;
      assert.equal((e as Error).name, 'StoreUnavailableError', String(e));
    }
  }
  assert.equal(failures, 3, 'every write on a full disk fails');
  assert.equal(store.find('vpc', 'vpc-1')?.cidrBlock, '10.0.0.0/16', 'the index is as before');
  assert.deepEqual(
    store.listAll('vpc').map((v) => v.id),
    ['vpc-1'],
  );
  assert.deepEqual(seen, ['put:vpc-1'], 'no change published for a failed write');

  rmSync(filler);
  writeFileSync(join(mnt, 'marker'), 'space is back');
  store.transaction(() => store.put('vpc', vpc('vpc-2')));
  assert.deepEqual(seen, ['put:vpc-1', 'put:vpc-2'], 'listeners fire again');
  store.close();
  const again = new SqliteStore(file);
  try {
    assert.deepEqual(
      again.listAll('vpc').map((v) => `${v.id}:${v.cidrBlock}`),
      ['vpc-1:10.0.0.0/16', 'vpc-2:10.0.0.0/16'],
    );
  } finally {
    again.close();
  }
});

test('a ROLLBACK that fails still restores the index and leaves the store usable', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'privlink-rb-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'privlink.db');
  const store = new SqliteStore(file);
  t.after(() => store.close());
  const seen: string[] = [];
  store.subscribe((c) => seen.push(...c.map((x) => `${x.op}:${x.id}`)));
  store.transaction(() => store.put('vpc', vpc('vpc-1')));

  // Make the next ROLLBACK throw, as a disk error during rollback would.
  const db = (store as unknown as { db: Database.Database }).db;
  const exec = db.exec.bind(db);
  let armed = true;
  db.exec = (sql: string) => {
    if (armed && sql === 'ROLLBACK') {
      armed = false;
      throw Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR' });
    }
    return exec(sql);
  };
  assert.throws(() =>
    store.transaction(() => {
      store.put('vpc', vpc('vpc-2'));
      throw new Error('handler fails');
    }),
  );
  assert.equal(store.find('vpc', 'vpc-2'), undefined);
  assert.throws(() =>
    store.transaction(() => {
      store.put('vpc', vpc('vpc-3'));
      throw new Error('handler fails again');
    }),
  );
  assert.equal(store.find('vpc', 'vpc-3'), undefined);
  store.transaction(() => store.put('vpc', vpc('vpc-4')));
  assert.deepEqual(seen, ['put:vpc-1', 'put:vpc-4']);
  assert.deepEqual(onDisk(file), ['vpc-1', 'vpc-4']);
});

test('a throwing listener neither fails the committed request nor silences the others', (t) => {
  const logged: string[] = [];
  const store = new SqliteStore(':memory:', { logger: { error: (m) => logged.push(m) } });
  t.after(() => store.close());
  const seen: string[] = [];
  store.subscribe(() => {
    throw new Error('listener bug');
  });
  store.subscribe((c) => seen.push(...c.map((x) => x.id)));
  assert.doesNotThrow(() => store.transaction(() => store.put('vpc', vpc('vpc-1'))));
  store.transaction(() => store.put('vpc', vpc('vpc-2')));
  assert.deepEqual(seen, ['vpc-1', 'vpc-2']);
  assert.equal(logged.length, 2, 'each listener failure is logged');
});
