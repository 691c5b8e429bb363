/**
 * The endpoint/connection state machine as a transition table (docs/reference/aws-privatelink.md §3.1).
 * Consumer and provider see the same state; wire spelling is lowerCamel (§3.5).
 *
 *   create (acceptance required) → pendingAcceptance ─accept→ pending ─ready→ available
 *   create (no acceptance)       → pending ─ready→ available
 *   pendingAcceptance | pending | available ─reject→ rejected
 *   any but deleted ─delete→ deleting ─ready→ deleted ─purge→ (gone)
 *   Gateway endpoints are available at once.
 */
import { apiError } from '../errors.js';
import type { EndpointState } from '../model/privatelink.js';

export type EndpointEvent = 'accept' | 'reject' | 'ready' | 'delete' | 'fail' | 'expire';

const TABLE: Record<EndpointEvent, Partial<Record<EndpointState, EndpointState>>> = {
  accept: { pendingAcceptance: 'pending' },
  reject: { pendingAcceptance: 'rejected', pending: 'rejected', available: 'rejected' },
  ready: { pending: 'available', deleting: 'deleted' },
  delete: {
    pendingAcceptance: 'deleting',
    pending: 'deleting',
    available: 'deleting',
    rejected: 'deleting',
    failed: 'deleting',
    expired: 'deleting',
  },
  fail: { pending: 'failed', pendingAcceptance: 'failed' },
  expire: { pendingAcceptance: 'expired' },
};

/** The next state, or undefined when the event does not apply in this state. */
export function nextEndpointState(state: EndpointState, event: EndpointEvent): EndpointState | undefined {
  return TABLE[event][state];
}

/** Like nextEndpointState, but an illegal transition is an IncorrectState error. */
export function transitionEndpoint(id: string, state: EndpointState, event: EndpointEvent): EndpointState {
  const next = nextEndpointState(state, event);
  if (!next) {
    throw apiError('IncorrectState', `Endpoint ${id} is in state ${state}; cannot ${event}.`);
  }
  return next;
}

/** States in which an endpoint may carry traffic. */
export const TRAFFIC_STATES: ReadonlySet<EndpointState> = new Set(['available']);

/** States that count as an existing connection for DeleteVpcEndpointServiceConfigurations. */
export const BLOCKING_CONNECTION_STATES: ReadonlySet<EndpointState> = new Set([
  'pendingAcceptance',
  'pending',
  'available',
]);
