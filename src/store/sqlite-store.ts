/**
 * Store backed by SQLite (a file, or `:memory:` for --ephemeral), with a write-through in-memory
 * index so reads never parse JSON. Node runs one request handler at a time, and every handler
 * mutates inside one transaction, so requests are serialisable without locks.
 */
import type Database from 'better-sqlite3';
import type { Kind, KindMap } from '../control/model/kinds.js';
import { KINDS } from '../control/model/kinds.js';
import type { ChangeEvent, Scope, Store, Stored } from './store.js';
import { openDatabase } from './db.js';

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
  private readonly db: Database.Database;
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
  private readonly stmts;
  readonly location: string;

  constructor(file: string) {
    this.location = file;
    this.db = openDatabase(file);
    for (const k of KINDS) this.index.set(k, new KindIndex());
    this.stmts = {
      upsert: this.db.prepare(
        `INSERT INTO resources (kind, id, account_id, region, seq, body) VALUES (@kind, @id, @account, @region, @seq, @body)
         ON CONFLICT(kind, id) DO UPDATE SET account_id = excluded.account_id, region = excluded.region, body = excluded.body`,
      ),
      del: this.db.prepare('DELETE FROM resources WHERE kind = ? AND id = ?'),
      all: this.db.prepare('SELECT kind, id, seq, body FROM resources ORDER BY seq'),
      wipe: this.db.prepare('DELETE FROM resources'),
    };
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

  private idx(kind: Kind): KindIndex {
    const i = this.index.get(kind);
    if (!i) throw new Error(`unknown kind ${kind}`);
    return i;
  }

  transaction<R>(fn: () => R): R {
    if (this.depth > 0) return fn();
    this.depth++;
    this.db.exec('BEGIN IMMEDIATE');
    let result: R;
    try {
      result = fn();
      this.db.exec('COMMIT');
    } catch (e) {
      this.db.exec('ROLLBACK');
      for (const u of this.undo.reverse()) u();
      this.undo = [];
      for (const k of this.touched) this.idx(k).resort();
      this.touched.clear();
      this.pending = [];
      this.depth--;
      throw e;
    }
    this.depth--;
    this.undo = [];
    this.touched.clear();
    const changes = this.pending;
    this.pending = [];
    if (changes.length) for (const l of [...this.listeners]) l(changes);
    return result;
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
