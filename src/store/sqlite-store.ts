/**
 * Store backed by SQLite (a file, or `:memory:` for --ephemeral), with a write-through in-memory
 * index so reads never parse JSON. Node runs one request handler at a time, and every handler
 * mutates inside one transaction, so requests are serialisable without locks.
 *
 * Failure paths: whatever fails (BEGIN on a lock held past the busy timeout, a statement or
 * COMMIT on a full disk, even ROLLBACK), the in-memory index is restored from the undo log, the
 * pending change events are dropped, the depth is back at 0 and SQLite is out of the transaction
 * (if ROLLBACK itself fails, the connection is closed, which discards it, and reopened on the
 * next transaction). SQLite errors leave as StoreUnavailableError. Listeners run after COMMIT
 * and each one's exception is logged, never propagated: the write is committed by then.
 */
import type Database from 'better-sqlite3';
import type { Kind, KindMap } from '../control/model/kinds.js';
import { KINDS } from '../control/model/kinds.js';
import type { Logger } from '../shared/logger.js';
import type { ChangeEvent, Scope, Store, Stored } from './store.js';
import { StoreUnavailableError } from './store.js';
import { DEFAULT_BUSY_TIMEOUT_MS, openDatabase } from './db.js';

export interface SqliteStoreOptions {
  /** How long a write waits for a lock held by another connection (default 100 ms). */
  busyTimeoutMs?: number;
  /** Where a listener's exception is reported (default: stderr). */
  logger?: Pick<Logger, 'error'>;
}

/** A better-sqlite3 error (SqliteError carries the extended result code as `code`). */
function sqliteCode(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_') ? code : undefined;
}

function unavailable(e: unknown): unknown {
  const code = sqliteCode(e);
  if (!code) return e;
  const busy = code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED');
  return new StoreUnavailableError(busy ? 'busy' : 'failed', code, (e as Error).message);
}

type AnyStored = Stored<Kind> & { id: string; accountId: string; region: string };

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o as object)) deepFreeze(v);
  }
  return o;
}

const scopeKey = (accountId: string, region: string) => `${accountId}\u0000${region}`;

class KindIndex {
  readonly byId = new Map<string, { seq: number; value: AnyStored }>();
  /** scope → ids in seq order (a Map keeps insertion order; re-puts keep their place). */
  readonly byScope = new Map<string, Map<string, AnyStored>>();
  set(seq: number, value: AnyStored): void {
    const prev = this.byId.get(value.id);
    if (prev && (prev.value.accountId !== value.accountId || prev.value.region !== value.region)) {
      this.remove(value.id);
    }
    this.byId.set(value.id, { seq: prev?.seq ?? seq, value });
    const k = scopeKey(value.accountId, value.region);
    let m = this.byScope.get(k);
    if (!m) this.byScope.set(k, (m = new Map()));
    m.set(value.id, value);
  }
  /**
   * Puts every entry back in seq order. Undoing a delete re-inserts the object at the end of the
   * maps; without this a rolled-back request (a failed or DryRun delete) would move the resource
   * to the end of every Describe output.
   */
  resort(): void {
    const entries = [...this.byId.values()].sort((a, b) => a.seq - b.seq);
    this.byId.clear();
    this.byScope.clear();
    for (const e of entries) this.set(e.seq, e.value);
  }
  remove(id: string): void {
    const prev = this.byId.get(id);
    if (!prev) return;
    this.byId.delete(id);
    this.byScope.get(scopeKey(prev.value.accountId, prev.value.region))?.delete(id);
  }
}

export class SqliteStore implements Store {
  private db: Database.Database;
  /** Set when a ROLLBACK failed: the connection is replaced before the next transaction. */
  private reopenNeeded = false;
  private readonly busyTimeoutMs: number;
  private readonly logger: Pick<Logger, 'error'>;
  private readonly index = new Map<Kind, KindIndex>();
  private readonly listeners = new Set<(c: readonly ChangeEvent[]) => void>();
  private seq = 0;
  private changeSeq = 0;
  private depth = 0;
  private pending: ChangeEvent[] = [];
  /** Undo log for the in-memory index, replayed backwards on rollback. */
  private undo: (() => void)[] = [];
  /** Kinds written in the open transaction (re-sorted if it rolls back). */
  private readonly touched = new Set<Kind>();
  private stmts;
  readonly location: string;

  constructor(file: string, options: SqliteStoreOptions = {}) {
    this.location = file;
    this.busyTimeoutMs = options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
    this.logger = options.logger ?? {
      error: (msg, fields) => process.stderr.write(`${msg} ${JSON.stringify(fields ?? {})}\n`),
    };
    this.db = openDatabase(file, this.busyTimeoutMs);
    for (const k of KINDS) this.index.set(k, new KindIndex());
    this.stmts = this.prepare();
    for (const row of this.stmts.all.iterate() as Iterable<{
      kind: string;
      id: string;
      seq: number;
      body: string;
    }>) {
      const idx = this.index.get(row.kind as Kind);
      if (!idx) continue; // a kind this version no longer knows: left in the file, ignored
      idx.set(row.seq, deepFreeze(JSON.parse(row.body) as AnyStored));
      this.seq = Math.max(this.seq, row.seq);
    }
  }

  private prepare() {
    return {
      upsert: this.db.prepare(
        `INSERT INTO resources (kind, id, account_id, region, seq, body) VALUES (@kind, @id, @account, @region, @seq, @body)
         ON CONFLICT(kind, id) DO UPDATE SET account_id = excluded.account_id, region = excluded.region, body = excluded.body`,
      ),
      del: this.db.prepare('DELETE FROM resources WHERE kind = ? AND id = ?'),
      all: this.db.prepare('SELECT kind, id, seq, body FROM resources ORDER BY seq'),
      wipe: this.db.prepare('DELETE FROM resources'),
    };
  }

  private idx(kind: Kind): KindIndex {
    const i = this.index.get(kind);
    if (!i) throw new Error(`unknown kind ${kind}`);
    return i;
  }

  transaction<R>(fn: () => R): R {
    if (this.depth > 0) return fn();
    if (this.reopenNeeded) this.reopen();
    try {
      this.db.exec('BEGIN IMMEDIATE');
    } catch (e) {
      throw unavailable(e);
    }
    // Only once SQLite is in the transaction: a BEGIN that fails must not leave the depth raised,
    // or every later handler would run in autocommit mode, unpublished and unrollbackable.
    this.depth = 1;
    let result: R;
    try {
      result = fn();
      this.db.exec('COMMIT');
    } catch (e) {
      this.abort();
      throw unavailable(e);
    }
    this.depth = 0;
    this.undo = [];
    this.touched.clear();
    const changes = this.pending;
    this.pending = [];
    if (changes.length) this.publish(changes);
    return result;
  }

  /** Undoes the open transaction in SQLite and in the index; never throws. */
  private abort(): void {
    // SQLite rolls back by itself on some errors (SQLITE_FULL during COMMIT, for one): a second
    // ROLLBACK would throw "no transaction is active".
    if (this.db.inTransaction) {
      try {
        this.db.exec('ROLLBACK');
      } catch {
        if (this.db.inTransaction) this.reopenNeeded = true;
      }
    }
    for (const u of this.undo.reverse()) u();
    this.undo = [];
    for (const k of this.touched) this.idx(k).resort();
    this.touched.clear();
    this.pending = [];
    this.depth = 0;
    if (this.reopenNeeded && this.location !== ':memory:') {
      // Closing a connection discards its open transaction; the file keeps the last commit.
      try {
        this.db.close();
      } catch {
        // already unusable: reopen() replaces it
      }
    }
  }

  /** Gets SQLite out of a transaction whose ROLLBACK failed, before the next one begins. */
  private reopen(): void {
    try {
      if (this.location === ':memory:') {
        // Closing would lose the data: retry the rollback instead.
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
      } else {
        if (this.db.open) this.db.close();
        this.db = openDatabase(this.location, this.busyTimeoutMs);
        this.stmts = this.prepare();
      }
      this.reopenNeeded = false;
    } catch (e) {
      throw unavailable(e);
    }
  }

  private publish(changes: readonly ChangeEvent[]): void {
    for (const l of [...this.listeners]) {
      try {
        l(changes);
      } catch (e) {
        this.logger.error('store change listener failed', {
          error: e instanceof Error ? (e.stack ?? e.message) : String(e),
        });
      }
    }
  }

  find<K extends Kind>(kind: K, id: string): Stored<K> | undefined {
    return this.idx(kind).byId.get(id)?.value as Stored<K> | undefined;
  }

  get<K extends Kind>(kind: K, scope: Scope, id: string): Stored<K> | undefined {
    const v = this.find(kind, id) as AnyStored | undefined;
    return v && v.accountId === scope.accountId && v.region === scope.region ? (v as Stored<K>) : undefined;
  }

  list<K extends Kind>(kind: K, scope: Scope): Stored<K>[] {
    const m = this.idx(kind).byScope.get(scopeKey(scope.accountId, scope.region));
    return m ? ([...m.values()] as Stored<K>[]) : [];
  }

  listAll<K extends Kind>(kind: K): Stored<K>[] {
    return [...this.idx(kind).byId.values()].map((e) => e.value as Stored<K>);
  }

  put<K extends Kind>(kind: K, value: KindMap[K] | Stored<K>): Stored<K> {
    if (this.depth === 0) throw new Error('store.put outside a transaction');
    const v = deepFreeze(structuredClone(value)) as unknown as AnyStored;
    const idx = this.idx(kind);
    this.touched.add(kind);
    const prev = idx.byId.get(v.id);
    const seq = prev?.seq ?? ++this.seq;
    this.stmts.upsert.run({
      kind,
      id: v.id,
      account: v.accountId,
      region: v.region,
      seq,
      body: JSON.stringify(v),
    });
    idx.set(seq, v);
    this.undo.push(() => {
      idx.remove(v.id);
      if (prev) idx.set(prev.seq, prev.value);
    });
    this.pending.push({
      kind,
      id: v.id,
      op: 'put',
      before: prev?.value as Stored<Kind> | undefined,
      after: v as Stored<Kind>,
      seq: ++this.changeSeq,
    });
    return v as Stored<K>;
  }

  delete<K extends Kind>(kind: K, id: string): boolean {
    if (this.depth === 0) throw new Error('store.delete outside a transaction');
    const idx = this.idx(kind);
    const prev = idx.byId.get(id);
    if (!prev) return false;
    this.touched.add(kind);
    this.stmts.del.run(kind, id);
    idx.remove(id);
    this.undo.push(() => idx.set(prev.seq, prev.value));
    this.pending.push({ kind, id, op: 'delete', before: prev.value as Stored<Kind>, seq: ++this.changeSeq });
    return true;
  }

  subscribe(listener: (changes: readonly ChangeEvent[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  reset(): void {
    this.transaction(() => {
      for (const k of KINDS) for (const id of [...this.idx(k).byId.keys()]) this.delete(k, id);
      this.stmts.wipe.run();
    });
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
