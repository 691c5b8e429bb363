/**
 * The time-driven half of the endpoint lifecycle (docs/reference/aws-privatelink.md §3.1, §3.6): `pending` → `available`
 * and `deleting` → `deleted` after `config.pendingMs`, `pendingAcceptance` → `expired` after
 * `config.pendingAcceptanceTtlMs` (a period AWS does not document: 7 days by default, as for VPC
 * peering requests), and `deleted` records purged after `config.deletedRetentionMs`, all
 * measured from the endpoint's `stateChangedAt`.
 *
 * It owns one timer per endpoint on the injected clock (never setTimeout in handlers), learns
 * about changes from the store's change feed, and scans the store when it starts, so a restarted
 * server finishes the transitions that were due while it was down. Each step re-reads the
 * endpoint in its own transaction and only acts if the state is still the one it was scheduled
 * for, so duplicate or stale timers are harmless.
 *
 * The readiness port may hold an endpoint in `pending` until traffic can flow (false → the
 * driver asks again a little later); `alwaysReady` makes endpoints ready as soon as `pendingMs`
 * has passed.
 *
 * Fidelity: keep pendingMs below 5 s — Terraform's post-accept waiter treats a long `pending`
 * as an unexpected state (docs/reference/aws-privatelink.md §3.6).
 */
import type { Clock } from '../../shared/clock.js';
import type { Logger } from '../../shared/logger.js';
import type { Store } from '../../store/store.js';
import type { DeepReadonly } from '../model/common.js';
import type { EndpointState, VpcEndpoint } from '../model/privatelink.js';
import type { EndpointReadinessSource } from '../ports.js';
import { nextEndpointState } from './endpoint-lifecycle.js';

export interface LifecycleDriverDeps {
  store: Store;
  clock: Clock;
  logger: Logger;
  config: { pendingMs: number; deletedRetentionMs: number; pendingAcceptanceTtlMs?: number };
  readiness: EndpointReadinessSource;
}

/** The longest delay setTimeout honours (2^31-1 ms, about 24.8 days); longer ones fire at once. */
const MAX_TIMER_MS = 2_147_483_647;

/** How often a not-yet-ready endpoint is asked again, at least. */
const MIN_RECHECK_MS = 50;

/** Retry delays after a step failed (the store busy or its disk full): doubling up to the cap. */
const RETRY_FIRST_MS = 500;
const RETRY_CAP_MS = 30_000;

/**
 * Starts the driver; returns the function that stops it (cancels every timer, unsubscribes).
 * Idempotent per endpoint: scheduling replaces the endpoint's previous timer.
 */
export function startLifecycleDriver(deps: LifecycleDriverDeps): () => void {
  const timers = new Map<string, () => void>();
  /** Endpoint → the delay of its next retry after a failed step. */
  const failures = new Map<string, number>();
  let stopped = false;

  const cancel = (id: string) => {
    timers.get(id)?.();
    timers.delete(id);
  };

  const dueAt = (ep: DeepReadonly<VpcEndpoint>): number | undefined => {
    switch (ep.state) {
      case 'pending':
      case 'deleting':
        return ep.stateChangedAt + deps.config.pendingMs;
      case 'deleted':
        return ep.stateChangedAt + deps.config.deletedRetentionMs;
      case 'pendingAcceptance':
        return deps.config.pendingAcceptanceTtlMs === undefined
          ? undefined
          : ep.stateChangedAt + deps.config.pendingAcceptanceTtlMs;
      case 'available':
      case 'rejected':
      case 'failed':
      case 'expired':
        return undefined;
    }
  };

  const schedule = (ep: DeepReadonly<VpcEndpoint>, notBefore?: number) => {
    cancel(ep.id);
    if (stopped) return;
    const at = dueAt(ep);
    if (at === undefined) return;
    const when = Math.max(at, notBefore ?? 0);
    const expected = ep.state;
    const stamp = ep.stateChangedAt;
    const fire = () => {
      timers.delete(ep.id);
      if (stopped) return;
      // Long waits (days) are taken in steps a platform timer can hold.
      if (deps.clock.now() < when) return schedule(ep, when);
      try {
        step(ep.id, expected, stamp);
        failures.delete(ep.id);
      } catch (e) {
        // A failed step changed nothing, so no store change will reschedule it: retry it here,
        // or the endpoint would stay `pending` (or `deleting`) until something else touched it.
        const retryMs = failures.get(ep.id) ?? RETRY_FIRST_MS;
        failures.set(ep.id, Math.min(RETRY_CAP_MS, retryMs * 2));
        deps.logger.error('lifecycle step failed; retrying', {
          endpoint: ep.id,
          retryInMs: retryMs,
          error: e instanceof Error ? e.message : String(e),
        });
        schedule(ep, deps.clock.now() + retryMs);
      }
    };
    const delay = Math.min(MAX_TIMER_MS, Math.max(0, when - deps.clock.now()));
    timers.set(ep.id, deps.clock.setTimer(delay, fire));
  };

  /** One due transition; the store change it makes reschedules the endpoint via the feed. */
  const step = (id: string, expected: EndpointState, stamp: number) => {
    let retryAt: number | undefined;
    deps.store.transaction(() => {
      const ep = deps.store.find('vpcEndpoint', id);
      if (!ep || ep.state !== expected || ep.stateChangedAt !== stamp) return;
      const now = deps.clock.now();
      if (ep.state === 'deleted') {
        deps.store.delete('vpcEndpoint', id);
        return;
      }
      if (ep.state === 'pending' && !deps.readiness.isReady(ep)) {
        retryAt = now + Math.max(MIN_RECHECK_MS, deps.config.pendingMs);
        return;
      }
      const next = nextEndpointState(ep.state, ep.state === 'pendingAcceptance' ? 'expire' : 'ready');
      if (next) deps.store.put('vpcEndpoint', { ...ep, state: next, stateChangedAt: now });
    });
    if (retryAt !== undefined) {
      const ep = deps.store.find('vpcEndpoint', id);
      if (ep) schedule(ep, retryAt);
    }
  };

  const unsubscribe = deps.store.subscribe((changes) => {
    for (const c of changes) {
      if (c.kind !== 'vpcEndpoint') continue;
      const after = c.after as DeepReadonly<VpcEndpoint> | undefined;
      if (c.op === 'delete' || !after) {
        cancel(c.id);
        failures.delete(c.id);
      } else schedule(after);
    }
  });
  for (const ep of deps.store.listAll('vpcEndpoint')) schedule(ep);

  return () => {
    stopped = true;
    unsubscribe();
    for (const id of [...timers.keys()]) cancel(id);
  };
}
