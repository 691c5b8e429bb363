/**
 * Who may see and connect to an endpoint service, and where it is offered.
 *
 * Fidelity (reference §4): a service is visible to its owner and to allowed principals only —
 * `*`, an account root ARN (covers every user and role of that account), or an exact user/role
 * ARN. Everyone else gets InvalidServiceName, as if it did not exist. AZs come from the service's
 * load balancer nodes and are compared by zone ID.
 */
import type { Control } from '../control.js';
import type { DeepReadonly, Principal } from '../model/common.js';
import type { EndpointService } from '../model/privatelink.js';
import { Errors } from '../errors.js';

export function principalMatches(allowed: string, caller: Principal): boolean {
  if (allowed === '*') return true;
  if (allowed === caller.arn) return true;
  return allowed === `arn:aws:iam::${caller.accountId}:root`;
}

export function canUseService(
  control: Control,
  service: DeepReadonly<EndpointService>,
  caller: Principal,
): boolean {
  if (service.accountId === caller.accountId) return true;
  for (const perm of control.store.list('servicePermission', {
    accountId: service.accountId,
    region: service.region,
  })) {
    if (perm.serviceId === service.id && principalMatches(perm.principal, caller)) return true;
  }
  return false;
}

/** The customer endpoint service with this name in the caller's region, if the caller may use it. */
export function findVisibleServiceByName(
  control: Control,
  serviceName: string,
  caller: Principal,
  region: string,
): DeepReadonly<EndpointService> | undefined {
  const m = /^com\.amazonaws\.vpce\.([a-z0-9-]+)\.(vpce-svc-[0-9a-f]+)$/.exec(serviceName);
  if (!m?.[2]) return undefined;
  const svc = control.store.find('endpointService', m[2]);
  if (!svc || svc.region !== region || svc.serviceName !== serviceName) return undefined;
  if (svc.state !== 'Available' && svc.state !== 'Pending') return undefined;
  return canUseService(control, svc, caller) ? svc : undefined;
}

/** Like findVisibleServiceByName but throws InvalidServiceName. */
export function requireVisibleService(
  control: Control,
  serviceName: string,
  caller: Principal,
  region: string,
): DeepReadonly<EndpointService> {
  const svc = findVisibleServiceByName(control, serviceName, caller, region);
  if (!svc) throw Errors.invalidServiceName(serviceName);
  return svc;
}

export interface ServiceZone {
  zoneName: string;
  zoneId: string;
}

/** AZs the service is offered in: those of its load balancers' nodes, sorted by name. */
export function serviceZones(control: Control, service: DeepReadonly<EndpointService>): ServiceZone[] {
  const seen = new Map<string, ServiceZone>();
  for (const arn of [...service.networkLoadBalancerArns, ...service.gatewayLoadBalancerArns]) {
    const lb = control.store.find('loadBalancer', arn);
    for (const node of lb?.nodes ?? [])
      seen.set(node.zoneId, { zoneName: node.zoneName, zoneId: node.zoneId });
  }
  return [...seen.values()].sort((a, b) => a.zoneName.localeCompare(b.zoneName));
}
