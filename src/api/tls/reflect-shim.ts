/**
 * The Reflect metadata calls @peculiar/x509's dependency injection (tsyringe) checks for at
 * import time, for this process only: `defineMetadata`/`getMetadata`/`hasMetadata` over a
 * WeakMap, which is all tsyringe uses (it reads constructor parameter types, which plain
 * JavaScript classes never declare). The maintained polyfill is `reflect-metadata`; this stays
 * until that package is added as a dependency, then this file is replaced by its import.
 */
type Target = object;
const store = new WeakMap<Target, Map<unknown, unknown>>();
const R = Reflect as unknown as Record<string, unknown>;

if (typeof R['getMetadata'] !== 'function') {
  R['defineMetadata'] = (key: unknown, value: unknown, target: Target) => {
    let m = store.get(target);
    if (!m) store.set(target, (m = new Map()));
    m.set(key, value);
  };
  R['getMetadata'] = (key: unknown, target: Target): unknown => {
    for (let t: Target | null = target; t; t = Object.getPrototypeOf(t) as Target | null) {
      const m = store.get(t);
      if (m?.has(key)) return m.get(key);
    }
    return undefined;
  };
  R['getOwnMetadata'] = (key: unknown, target: Target): unknown => store.get(target)?.get(key);
  R['hasMetadata'] = (key: unknown, target: Target): boolean =>
    (R['getMetadata'] as (k: unknown, t: Target) => unknown)(key, target) !== undefined;
  R['metadata'] = (key: unknown, value: unknown) => (target: Target) =>
    (R['defineMetadata'] as (k: unknown, v: unknown, t: Target) => void)(key, value, target);
}
