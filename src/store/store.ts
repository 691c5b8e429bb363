/**
 * The store interface the control plane, data plane and DNS read and write through.
 *
 * Every resource is scoped by (accountId, region); cross-account reads are explicit (`find`,
 * `listAll`) and used only by named functions in control/ (by domain). Mutations happen inside
 * `transaction(fn)`: all or nothing, and the committed changes are published once, in order, to
 * `subscribe` listeners (the data plane's reconciler, DNS, notifications, later remote agents).
 *
 * Objects handed out are deep-frozen: writers build new objects (`{ ...old, state }`), so a
 * failed request can never leave a half-changed object behind.
 */
import type { DeepReadonly } from '../control/model/common.js';
import type { Kind, KindMap } from '../control/model/kinds.js';

export type Stored<K extends Kind> = DeepReadonly<KindMap[K]>;

export interface Scope {
  accountId: string;
  region: string;
}

export interface ChangeEvent<K extends Kind = Kind> {
  kind: K;
  id: string;
  op: 'put' | 'delete';
  before?: Stored<K>;
  after?: Stored<K>;
  /** Monotonic sequence number of the change within this store. */
  seq: number;
}

export interface Store {
  /** Runs fn atomically; nested calls join the outer transaction. */
  transaction<R>(fn: () => R): R;
  /** By primary key, regardless of scope (callers check ownership). */
  find<K extends Kind>(kind: K, id: string): Stored<K> | undefined;
  /** By primary key within a scope. */
  get<K extends Kind>(kind: K, scope: Scope, id: string): Stored<K> | undefined;
  /** All resources of a kind in a scope, in creation order. */
  list<K extends Kind>(kind: K, scope: Scope): Stored<K>[];
  /** All resources of a kind, every account and region, in creation order. */
  listAll<K extends Kind>(kind: K): Stored<K>[];
  /** Inserts or replaces. Must be called inside transaction(). */
  put<K extends Kind>(kind: K, value: KindMap[K] | Stored<K>): Stored<K>;
  /** Removes; returns whether it existed. Must be called inside transaction(). */
  delete<K extends Kind>(kind: K, id: string): boolean;
  /** Receives committed changes, in commit order. Returns an unsubscribe function. */
  subscribe(listener: (changes: readonly ChangeEvent[]) => void): () => void;
  /** Removes everything (POST /_privlink/reset). */
  reset(): void;
  close(): void;
  /** Where the data lives, for `privlink status`. */
  readonly location: string;
}

/**
 * The store could not complete a transaction for a reason outside the request: the write lock is
 * held elsewhere (`busy`), or the disk failed or is full (`failed`). Nothing of the transaction
 * is visible afterwards; the API answers a retryable 5xx.
 */
export class StoreUnavailableError extends Error {
  override name = 'StoreUnavailableError' as const;
  constructor(
    readonly reason: 'busy' | 'failed',
    readonly sqliteCode: string,
    message: string,
  ) {
    super(message);
  }
}

export function isStoreUnavailable(e: unknown): e is StoreUnavailableError {
  return e instanceof Error && e.name === 'StoreUnavailableError';
}
