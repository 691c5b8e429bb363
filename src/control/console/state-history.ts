/**
 * Endpoint state history for the console (pendingAcceptance → pending → available …): the store
 * keeps only the current state and when it changed, so this follows committed changes and keeps
 * the transitions it saw, per endpoint, in memory. After a restart an endpoint's history starts
 * at its current state. Also tells listeners which accounts a committed change concerns, so the
 * console's live stream tells each viewer only of its own resources.
 */
import type { Control } from '../control.js';
import type { DeepReadonly } from '../model/common.js';
import type { VpcEndpoint } from '../model/privatelink.js';

/** Transitions kept per endpoint (older ones dropped). */
const MAX_PER_ENDPOINT = 20;

export interface ConsoleChange {
  /** Kinds of resource that changed. */
  kinds: string[];
  /** Accounts the change concerns (owners, and the service owner for an endpoint). */
  accounts: string[];
}

export class StateHistory {
  private readonly byId = new Map<string, { state: string; at: number }[]>();
  private readonly listeners = new Set<(c: ConsoleChange) => void>();
  private readonly unsubscribe: () => void;

  constructor(private readonly control: Control) {
    this.unsubscribe = control.store.subscribe((changes) => {
      for (const c of changes) {
        if (c.kind !== 'vpcEndpoint') continue;
        const ep = c.after as DeepReadonly<VpcEndpoint> | undefined;
        if (!ep) {
          this.byId.delete(c.id);
          continue;
        }
        const list = this.byId.get(ep.id) ?? [];
        if (list.at(-1)?.state !== ep.state) list.push({ state: ep.state, at: ep.stateChangedAt });
        if (list.length > MAX_PER_ENDPOINT) list.splice(0, list.length - MAX_PER_ENDPOINT);
        this.byId.set(ep.id, list);
      }
      if (this.listeners.size === 0) return;
      const change: ConsoleChange = {
        kinds: [...new Set(changes.map((c) => c.kind))],
        accounts: [...accountsConcerned(this.control, changes)],
      };
      for (const l of this.listeners) l(change);
    });
  }

  of(ep: DeepReadonly<VpcEndpoint>): { state: string; at: number }[] {
    const list = this.byId.get(ep.id);
    return list?.length ? [...list] : [{ state: ep.state, at: ep.stateChangedAt }];
  }

  /** Hears of every committed change; returns an unsubscribe function. */
  onChange(fn: (c: ConsoleChange) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  close(): void {
    this.unsubscribe();
    this.listeners.clear();
  }
}

/** The accounts a set of store changes concerns (who should hear of them). */
function accountsConcerned(
  control: Control,
  changes: readonly { kind: string; before?: { accountId: string }; after?: { accountId: string } }[],
): Set<string> {
  const out = new Set<string>();
  for (const c of changes) {
    const r = c.after ?? c.before;
    if (!r) continue;
    out.add(r.accountId);
    if (c.kind === 'vpcEndpoint') {
      const sid = (r as unknown as { serviceId?: string }).serviceId;
      const svc = sid ? control.store.find('endpointService', sid) : undefined;
      if (svc) out.add(svc.accountId);
    }
  }
  return out;
}
