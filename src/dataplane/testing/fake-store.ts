/**
 * A read-only store view over plain records, for unit tests of the `desired` functions: only
 * `listAll` and `find`, the two calls those functions make. Records carry just the fields a test
 * needs (cast at this one place).
 */
import type { Kind } from '../../control/model/kinds.js';
import type { Store, Stored } from '../../store/store.js';

export type StoreView = Pick<Store, 'listAll' | 'find'>;

export function fakeStore(records: { [K in Kind]?: Record<string, unknown>[] }): StoreView {
  const all = <K extends Kind>(kind: K) => (records[kind] ?? []) as unknown as Stored<K>[];
  return {
    listAll: all,
    find: <K extends Kind>(kind: K, id: string) =>
      all(kind).find((r) => (r as unknown as { id: string }).id === id),
  };
}
