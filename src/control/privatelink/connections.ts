/**
 * Endpoint connections as the service provider sees them: accept, reject, describe.
 *
 * Fidelity ledger (docs/reference/aws-privatelink.md §1.5, §3.1, §6.12–6.14; Terraform's waiters):
 * - Covered: an unknown or foreign ServiceId is a top-level InvalidVpcEndpointServiceId.NotFound;
 *   per-endpoint problems go in `unsuccessful` — an unknown endpoint or one of another service is
 *   InvalidVpcEndpointId.NotFound, a wrong state is InvalidState with the current state named.
 *   Accept moves pendingAcceptance → pending (the lifecycle driver then makes it available after
 *   `pendingMs`, the phase Terraform's fixed waiter expects); Reject works from
 *   pendingAcceptance, pending and available. The provider view spans all of the caller's
 *   services, in every consumer account and Region, and keeps rejected/deleting/deleted
 *   connections listed while the endpoint record exists. States are lowerCamel (§3.5). Filters:
 *   ip-address-type, service-id, vpc-endpoint-owner, vpc-endpoint-region, vpc-endpoint-state,
 *   vpc-endpoint-id (accepted, although AWS once refused it). Pagination 5–1000, clamped.
 *   Tag filters see no tags: the consumer's endpoint tags are not the provider's to read.
 * - Gaps: AWS's exact in-band codes/messages for wrong-state items are not in the sources
 *   (InvalidState chosen); accepting a rejected endpoint is refused (AWS likewise requires a new
 *   connection request).
 * - By design: `vpcEndpointConnectionId` is the endpoint's `connectionId` (`vpce-con-…`).
 */
import type { Control } from '../control.js';
import type { CallerContext } from '../context.js';
import { Errors, apiError } from '../errors.js';
import { applyFilters, paginate, type FilterInput, type Page } from '../filters.js';
import { nextEndpointState } from './endpoint-lifecycle.js';
import type { DeepReadonly } from '../model/common.js';
import type { VpcEndpoint } from '../model/privatelink.js';
import { type BatchFailure, requireOwnService, type StoredService } from './endpoint-services.js';

export type StoredEndpoint = DeepReadonly<VpcEndpoint>;

const VERB = { accept: 'accepted', reject: 'rejected' } as const;

/** Accepts or rejects connection requests of one of the caller's services. */
export function decideConnections(
  control: Control,
  caller: CallerContext,
  serviceId: string,
  endpointIds: readonly string[],
  decision: 'accept' | 'reject',
): BatchFailure[] {
  const svc = requireOwnService(control, caller, serviceId);
  const failures: BatchFailure[] = [];
  for (const id of new Set(endpointIds)) {
    const ep = control.store.find('vpcEndpoint', id);
    if (!ep || ep.serviceId !== svc.id) {
      failures.push({ resourceId: id, error: Errors.endpointNotFound(id) });
      continue;
    }
    const next = nextEndpointState(ep.state, decision);
    if (!next) {
      failures.push({
        resourceId: id,
        error: apiError(
          'InvalidState',
          `The VPC endpoint connection ${id} is in state ${ep.state} and cannot be ${VERB[decision]}.`,
        ),
      });
      continue;
    }
    control.store.put('vpcEndpoint', { ...ep, state: next, stateChangedAt: control.clock.now() });
  }
  return failures;
}

export interface ConnectionView {
  endpoint: StoredEndpoint;
  service: StoredService;
}

export interface DescribeConnectionsInput {
  filters: FilterInput[];
  maxResults?: number;
  nextToken?: string;
}

/** Connections to any of the caller's services (the cross-account read of the provider view). */
export function describeConnections(
  control: Control,
  caller: CallerContext,
  input: DescribeConnectionsInput,
): Page<ConnectionView> {
  const services = new Map(control.store.list('endpointService', caller).map((s) => [s.id, s]));
  // The views carry no `tags`: the endpoint's tags are the consumer's and never shown to the
  // provider, so `tag:`/`tag-key`/`tag-value` filters must not read them either.
  const views: ConnectionView[] = [];
  for (const ep of control.store.listAll('vpcEndpoint')) {
    const service = ep.serviceId ? services.get(ep.serviceId) : undefined;
    if (service) views.push({ endpoint: ep, service });
  }
  const filtered = applyFilters(views, input.filters, {
    'ip-address-type': (v) => v.endpoint.ipAddressType,
    'service-id': (v) => v.service.id,
    'vpc-endpoint-owner': (v) => v.endpoint.accountId,
    'vpc-endpoint-region': (v) => v.endpoint.region,
    'vpc-endpoint-state': (v) => v.endpoint.state,
    'vpc-endpoint-id': (v) => v.endpoint.id,
  });
  const page = paginate(filtered, (v) => v.endpoint.id, input.maxResults, input.nextToken, {
    min: 5,
    max: 1000,
  });
  return {
    items: page.items.map(({ endpoint, service }) => ({ endpoint, service })),
    ...(page.nextToken ? { nextToken: page.nextToken } : {}),
  };
}
