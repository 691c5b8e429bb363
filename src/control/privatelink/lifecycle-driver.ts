/**
 * The time-driven half of the endpoint lifecycle (reference §3.1, §3.6): `pending` → `available`
 * and `deleting` → `deleted` after `config.pendingMs`, and `deleted` records purged after
 * `config.deletedRetentionMs`, all measured from the endpoint's `stateChangedAt`.
 *
 * It owns one timer per endpoint on the injected clock (never setTimeout in handlers), learns
 * about changes from the store's change feed, and scans the store when it starts, so a restarted
 * server finishes the transitions that were due while it was down. Each step re-reads the
 * endpoint in its own transaction and only acts if the state is still the one it was scheduled
 * for, so duplicate or stale timers are harmless.
 *
 * Data-plane seam: `control.readiness(endpoint)` may hold an endpoint in `pending` until traffic
 * can flow (returns false → the driver asks again a little later). Without it, endpoints are
 * ready as soon as `pendingMs` has passed.
 *
 * Fidelity: keep pendingMs below 5 s — Terraform's post-accept waiter treats a long `pending`
 * as an unexpected state (reference §3.6).
 */
import type { Control } from '../control.js';
import type { DeepReadonly } from '../model/common.js';
import type { EndpointState, VpcEndpoint } from '../model/privatelink.js';
import { nextEndpointState } from './endpoint-lifecycle.js';

/** Decides whether a pending endpoint may become available (the data plane's say). */
export type EndpointReadiness = (endpoint: DeepReadonly<VpcEndpoint>) => boolean;

/** How often a not-yet-ready endpoint is asked again, at least. */
const MIN_RECHECK_MS = 50;

/**
 * Starts the driver; returns the function that stops it (cancels every timer, unsubscribes).
 * Idempotent per endpoint: scheduling replaces the endpoint's previous timer.
 */
export function startLifecycleDriver(control: Control): () => void {
  const timers = new Map<string, () => void>();
  let stopped = false;

  const cancel = (id: string) => {
    timers.get(id)?.();
    timers.delete(id);
  };

  const dueAt = (ep: DeepReadonly<VpcEndpoint>): number | undefined => {
    switch (ep.state) {
      case 'pending':
      case 'deleting':
        return ep.stateChangedAt + control.config.pendingMs;
      case 'deleted':
        return ep.stateChangedAt + control.config.deletedRetentionMs;
      case 'pendingAcceptance':
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
      try {
        step(ep.id, expected, stamp);
      } catch (e) {
        control.logger.error('lifecycle step failed', {
          endpoint: ep.id,
          error: e instanceof Error ? e.message : String(e),
        });
      }
    };
    timers.set(ep.id, control.clock.setTimer(Math.max(0, when - control.clock.now()), fire));
  };

  /** One due transition; the store change it makes reschedules the endpoint via the feed. */
  const step = (id: string, expected: EndpointState, stamp: number) => {
    let retryAt: number | undefined;
    control.store.transaction(() => {
      const ep = control.store.find('vpcEndpoint', id);
      if (!ep || ep.state !== expected || ep.stateChangedAt !== stamp) return;
      const now = control.clock.now();
      if (ep.state === 'deleted') {
        control.store.delete('vpcEndpoint', id);
        return;
      }
      if (ep.state === 'pending' && control.readiness && !control.readiness(ep)) {
        retryAt = now + Math.max(MIN_RECHECK_MS, control.config.pendingMs);
        return;
      }
      const next = nextEndpointState(ep.state, 'ready');
      if (next) control.store.put('vpcEndpoint', { ...ep, state: next, stateChangedAt: now });
    });
    if (retryAt !== undefined) {
      const ep = control.store.find('vpcEndpoint', id);
      if (ep) schedule(ep, retryAt);
    }
  };

  const unsubscribe = control.store.subscribe((changes) => {
    for (const c of changes) {
      if (c.kind !== 'vpcEndpoint') continue;
      const after = c.after as DeepReadonly<VpcEndpoint> | undefined;
      if (c.op === 'delete' || !after) cancel(c.id);
      else schedule(after);
    }
  });
  for (const ep of control.store.listAll('vpcEndpoint')) schedule(ep);

  return () => {
    stopped = true;
    unsubscribe();
    for (const id of [...timers.keys()]) cancel(id);
  };
}
