/**
 * Endpoint service configurations, the provider side of PrivateLink: create, modify, delete,
 * describe, payer responsibility and the private-DNS-name verification request. Also the named
 * cross-account read "endpoints connected to a service" that connections and deletes rely on.
 *
 * Fidelity ledger (docs/reference/aws-privatelink.md §2, §3.2, §5.6–5.7, §6.5–6.8, §6.15–6.16; AWS docs as
 * stored 2025):
 * - Covered: NLB → `Interface`, GWLB → `GatewayLoadBalancer`; exactly one kind
 *   (InvalidParameter "exactly one of network_load_balancer_arn or gateway_load_balancer_arn is a
 *   required member", AWS's own words); each LB must exist in the caller's account/Region with the
 *   matching type; IDs `vpce-svc-`+17 hex; names `com.amazonaws.vpce.<region>.<id>`; state
 *   `Available` at once; `baseEndpointDnsNameSet` for Interface services only; AZs from the LBs'
 *   nodes; SupportedIpAddressType (default ipv4; ipv6 needs dualstack LBs); SupportedRegion (host
 *   Region always listed, never removable; Interface services only); PrivateDnsName validation
 *   (lower case, labels ≤63, total ≤255, `*.` wildcard; not for GWLB services) with a
 *   `pendingVerification` TXT record (`_`+20 lower alnum, `vpce:`+20 mixed alnum); tags on
 *   create (`vpc-endpoint-service`); ClientToken idempotency; delete reports per-ID problems in
 *   `unsuccessful` (InvalidVpcEndpointService.NotFound, ExistingVpcEndpointConnections while a
 *   connection is pendingAcceptance/pending/available; rejected or deleted ones do not block) and
 *   removes the service's permissions and notifications; removing an LB while connections exist
 *   is ExistingVpcEndpointConnections; payer responsibility `ServiceOwner` (one way).
 * - Gaps: no `Pending`/`Deleting`/`Deleted` service phases (AWS's CLI examples already show
 *   `Available` on create); no periodic re-verification; no quotas.
 * - By design: AcceptanceRequired defaults to **true** when omitted (the API default is not
 *   documented; the console, CDK and moto all default to true). One load balancer backs at most
 *   one service (AWS's rule is unstated); a second service gets InvalidParameter ("…already
 *   associated…", a ResourceInUse-style refusal). Removing a principal/LB never touches endpoints.
 */
import type { Control } from '../control.js';
import type { CallerContext } from '../context.js';
import { Errors, apiError, type ApiError } from '../errors.js';
import { applyFilters, paginate, type FilterInput, type Page } from '../filters.js';
import { BLOCKING_CONNECTION_STATES } from './endpoint-lifecycle.js';
import type { DeepReadonly } from '../model/common.js';
import type { LoadBalancer } from '../model/elb.js';
import type {
  EndpointService,
  PrivateDnsNameConfiguration,
  ServiceType,
  VpcEndpoint,
} from '../model/privatelink.js';
import { endpointServiceName } from '../names.js';
import { tagsFromSpecifications, type TagSpecInput } from '../tags.js';
import { LOWER_ALNUM, MIXED_ALNUM } from '../../shared/ids.js';
import { priorResourceFor, rememberClientToken } from '../client-token.js';

export type StoredService = DeepReadonly<EndpointService>;

/** One per-ID failure of a batch action, reported in `unsuccessful`. */
export interface BatchFailure {
  resourceId: string;
  error: ApiError;
}

export const SERVICE_ID_PATTERN = /^vpce-svc-[0-9a-f]{8,17}$/;
const LB_ARN =
  /^arn:aws[a-z-]*:elasticloadbalancing:([a-z0-9-]+):(\d{12}):loadbalancer\/(net|gwy|app)\/([A-Za-z0-9-]{1,32})\/([0-9a-f]{16})$/;
const REGION_PATTERN = /^[a-z]{2}(-[a-z]+)+-\d+$/;
const IP_TYPES = ['ipv4', 'ipv6'] as const;
const EXISTING_CONNECTIONS = 'Service has existing active VPC Endpoint connections!';

/** The caller's own service in its Region, or InvalidVpcEndpointServiceId.NotFound/Malformed. */
export function requireOwnService(control: Control, caller: CallerContext, serviceId: string): StoredService {
  if (!SERVICE_ID_PATTERN.test(serviceId)) throw Errors.serviceMalformed(serviceId);
  const svc = control.store.get('endpointService', caller, serviceId);
  if (!svc) throw Errors.serviceNotFound(serviceId);
  return svc;
}

/** Every endpoint (any consumer account, any Region) connected to a service. */
export function endpointsOfService(control: Control, serviceId: string): DeepReadonly<VpcEndpoint>[] {
  return control.store.listAll('vpcEndpoint').filter((e) => e.serviceId === serviceId);
}

/** Whether a service has connections that block deleting it or removing its load balancers. */
export function hasActiveConnections(control: Control, serviceId: string): boolean {
  return endpointsOfService(control, serviceId).some((e) => BLOCKING_CONNECTION_STATES.has(e.state));
}

/** Validates a private DNS name (AWS: lower case, labels ≤63, total ≤255, `*.` allowed). */
export function validatePrivateDnsName(name: string): void {
  const bad = (why: string) =>
    apiError('InvalidParameter', `The private DNS name '${name.slice(0, 300)}' is not valid: ${why}.`);
  if (name.length === 0 || name.length > 255) throw bad('it must be 1 to 255 characters long');
  if (name !== name.toLowerCase()) throw bad('it must be lower case');
  const labels = (name.startsWith('*.') ? name.slice(2) : name).split('.');
  if (labels.length < 2) throw bad('it must be a domain name with at least two labels');
  for (const l of labels) {
    if (l.length === 0 || l.length > 63) throw bad('each label must be 1 to 63 characters');
    if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(l)) {
      throw bad(
        'labels may contain only a-z, 0-9 and inner hyphens (a wildcard only as the first label, *.)',
      );
    }
  }
}

/** A fresh verification record in `pendingVerification`. */
export function newVerificationRecord(control: Control): PrivateDnsNameConfiguration {
  return {
    state: 'pendingVerification',
    type: 'TXT',
    name: '_' + control.ids.chars(20, LOWER_ALNUM),
    value: 'vpce:' + control.ids.chars(20, MIXED_ALNUM),
    requestedAt: control.clock.now(),
  };
}

type LbKind = 'network' | 'gateway';
const LB_LABEL: Record<LbKind, string> = {
  network: 'Network Load Balancer',
  gateway: 'Gateway Load Balancer',
};

/** Resolves LB ARNs of one kind in the caller's account/Region, refusing ones another service uses. */
function resolveLoadBalancers(
  control: Control,
  caller: CallerContext,
  arns: readonly string[],
  kind: LbKind,
  exceptServiceId?: string,
): DeepReadonly<LoadBalancer>[] {
  const out: DeepReadonly<LoadBalancer>[] = [];
  for (const arn of new Set(arns)) {
    const m = LB_ARN.exec(arn);
    if (!m || m[3] !== (kind === 'network' ? 'net' : 'gwy')) {
      throw apiError('InvalidParameter', `'${arn.slice(0, 300)}' is not a valid ${LB_LABEL[kind]} ARN.`);
    }
    const lb = control.store.get('loadBalancer', caller, arn);
    if (!lb || lb.type !== kind) {
      throw apiError(
        'InvalidParameter',
        `The ${LB_LABEL[kind]} '${arn}' does not exist in account ${caller.accountId}, Region ${caller.region}.`,
      );
    }
    const user = control.store
      .list('endpointService', caller)
      .find(
        (s) =>
          s.id !== exceptServiceId &&
          (s.networkLoadBalancerArns.includes(arn) || s.gatewayLoadBalancerArns.includes(arn)),
      );
    if (user) {
      throw apiError(
        'InvalidParameter',
        `The load balancer '${arn}' is already associated with another VPC endpoint service (${user.id}).`,
      );
    }
    out.push(lb);
  }
  return out;
}

function validateIpTypes(types: readonly string[], param: string): string[] {
  for (const t of types) {
    if (!(IP_TYPES as readonly string[]).includes(t)) {
      throw apiError(
        'InvalidParameter',
        `Invalid ${param} '${t.slice(0, 64)}'. Valid values are ipv4 and ipv6.`,
      );
    }
  }
  return [...new Set(types)];
}

function checkIpv6Capable(control: Control, ipTypes: readonly string[], lbArns: readonly string[]): void {
  if (!ipTypes.includes('ipv6')) return;
  for (const arn of lbArns) {
    const lb = control.store.find('loadBalancer', arn);
    if (lb && lb.ipAddressType !== 'dualstack') {
      throw apiError(
        'InvalidParameter',
        `Supported IP address type ipv6 requires dualstack load balancers; '${arn}' is ${lb.ipAddressType}.`,
      );
    }
  }
}

function validateRegions(regions: readonly string[], param: string): string[] {
  for (const r of regions) {
    if (!REGION_PATTERN.test(r)) throw apiError('InvalidParameter', `Invalid ${param} '${r.slice(0, 64)}'.`);
  }
  return [...new Set(regions)];
}

export interface CreateServiceInput {
  acceptanceRequired?: boolean;
  privateDnsName?: string;
  networkLoadBalancerArns: string[];
  gatewayLoadBalancerArns: string[];
  supportedIpAddressTypes: string[];
  supportedRegions: string[];
  clientToken?: string;
  tagSpecifications: TagSpecInput[];
}

const CREATE_ACTION = 'CreateVpcEndpointServiceConfiguration';

export function createEndpointService(
  control: Control,
  caller: CallerContext,
  input: CreateServiceInput,
): { service: StoredService; clientToken?: string } {
  const { clientToken, ...params } = input;
  const prior = priorResourceFor(control, caller, CREATE_ACTION, clientToken, params, (id) =>
    Boolean(control.store.get('endpointService', caller, id)),
  );
  if (prior) {
    const svc = control.store.get('endpointService', caller, prior);
    if (svc) return { service: svc, clientToken };
  }

  const nlb = input.networkLoadBalancerArns.length > 0;
  const gwlb = input.gatewayLoadBalancerArns.length > 0;
  if (nlb === gwlb) {
    throw apiError(
      'InvalidParameter',
      'exactly one of network_load_balancer_arn or gateway_load_balancer_arn is a required member',
    );
  }
  const serviceType: ServiceType = nlb ? 'Interface' : 'GatewayLoadBalancer';
  const lbs = nlb
    ? resolveLoadBalancers(control, caller, input.networkLoadBalancerArns, 'network')
    : resolveLoadBalancers(control, caller, input.gatewayLoadBalancerArns, 'gateway');
  const ipTypes = input.supportedIpAddressTypes.length
    ? validateIpTypes(input.supportedIpAddressTypes, 'SupportedIpAddressType')
    : ['ipv4'];
  checkIpv6Capable(
    control,
    ipTypes,
    lbs.map((l) => l.arn),
  );
  const extraRegions = validateRegions(input.supportedRegions, 'SupportedRegion').filter(
    (r) => r !== caller.region,
  );
  if (extraRegions.length && serviceType !== 'Interface') {
    throw apiError(
      'InvalidParameter',
      'Cross-Region access is supported for Network Load Balancer services only.',
    );
  }
  if (input.privateDnsName !== undefined) {
    if (serviceType !== 'Interface') {
      throw apiError(
        'InvalidParameter',
        'Private DNS names are not supported for Gateway Load Balancer services.',
      );
    }
    validatePrivateDnsName(input.privateDnsName);
  }
  const tags = tagsFromSpecifications(input.tagSpecifications, 'vpc-endpoint-service');

  const id = control.ids.resourceId('vpce-svc');
  const service: EndpointService = {
    id,
    accountId: caller.accountId,
    region: caller.region,
    createdAt: control.clock.now(),
    tags,
    serviceName: endpointServiceName(caller.region, id),
    serviceType,
    state: 'Available',
    acceptanceRequired: input.acceptanceRequired ?? true,
    managesVpcEndpoints: false,
    networkLoadBalancerArns: nlb ? lbs.map((l) => l.arn) : [],
    gatewayLoadBalancerArns: gwlb ? lbs.map((l) => l.arn) : [],
    supportedIpAddressTypes: ipTypes,
    supportedRegions: [caller.region, ...extraRegions],
    ...(input.privateDnsName !== undefined
      ? { privateDnsName: input.privateDnsName, privateDnsNameConfiguration: newVerificationRecord(control) }
      : {}),
    ...(clientToken !== undefined ? { clientToken } : {}),
  };
  const stored = control.store.put('endpointService', service);
  rememberClientToken(control, caller, CREATE_ACTION, clientToken, params, id);
  return { service: stored, clientToken };
}

export interface ModifyServiceInput {
  serviceId: string;
  privateDnsName?: string;
  removePrivateDnsName?: boolean;
  acceptanceRequired?: boolean;
  addNetworkLoadBalancerArns: string[];
  removeNetworkLoadBalancerArns: string[];
  addGatewayLoadBalancerArns: string[];
  removeGatewayLoadBalancerArns: string[];
  addSupportedIpAddressTypes: string[];
  removeSupportedIpAddressTypes: string[];
  addSupportedRegions: string[];
  removeSupportedRegions: string[];
}

function changeLoadBalancers(
  control: Control,
  caller: CallerContext,
  svc: StoredService,
  kind: LbKind,
  current: readonly string[],
  add: readonly string[],
  remove: readonly string[],
): string[] {
  if (add.length === 0 && remove.length === 0) return [...current];
  const own: LbKind = svc.serviceType === 'Interface' ? 'network' : 'gateway';
  if (kind !== own) {
    throw apiError(
      'InvalidParameter',
      `Service ${svc.id} is a ${svc.serviceType} service; ${LB_LABEL[kind]}s cannot be added to or removed from it.`,
    );
  }
  for (const arn of remove) {
    if (!current.includes(arn)) {
      throw apiError(
        'InvalidParameter',
        `The load balancer '${arn}' is not associated with service ${svc.id}.`,
      );
    }
  }
  if (remove.length && hasActiveConnections(control, svc.id)) {
    throw apiError(
      'ExistingVpcEndpointConnections',
      `Load balancers cannot be removed from service ${svc.id} while it has active VPC endpoint connections.`,
    );
  }
  const added = resolveLoadBalancers(control, caller, add, kind, svc.id).map((l) => l.arn);
  const next = [...current.filter((a) => !remove.includes(a)), ...added.filter((a) => !current.includes(a))];
  if (next.length === 0) {
    throw apiError('InvalidParameter', `Service ${svc.id} must keep at least one load balancer.`);
  }
  return next;
}

export function modifyEndpointService(
  control: Control,
  caller: CallerContext,
  input: ModifyServiceInput,
): void {
  const svc = requireOwnService(control, caller, input.serviceId);
  if (input.privateDnsName !== undefined && input.removePrivateDnsName) {
    throw apiError(
      'InvalidParameterCombination',
      'PrivateDnsName and RemovePrivateDnsName cannot be used in the same request.',
    );
  }
  const nlbs = changeLoadBalancers(
    control,
    caller,
    svc,
    'network',
    svc.networkLoadBalancerArns,
    input.addNetworkLoadBalancerArns,
    input.removeNetworkLoadBalancerArns,
  );
  const gwlbs = changeLoadBalancers(
    control,
    caller,
    svc,
    'gateway',
    svc.gatewayLoadBalancerArns,
    input.addGatewayLoadBalancerArns,
    input.removeGatewayLoadBalancerArns,
  );

  const addIp = validateIpTypes(input.addSupportedIpAddressTypes, 'AddSupportedIpAddressType');
  const removeIp = validateIpTypes(input.removeSupportedIpAddressTypes, 'RemoveSupportedIpAddressType');
  const ipTypes = [...new Set([...svc.supportedIpAddressTypes, ...addIp])].filter(
    (t) => !removeIp.includes(t),
  );
  if (ipTypes.length === 0) {
    throw apiError('InvalidParameter', `Service ${svc.id} must support at least one IP address type.`);
  }
  checkIpv6Capable(control, ipTypes, [...nlbs, ...gwlbs]);

  const addRegions = validateRegions(input.addSupportedRegions, 'AddSupportedRegion');
  const removeRegions = validateRegions(input.removeSupportedRegions, 'RemoveSupportedRegion');
  if (removeRegions.includes(svc.region)) {
    throw apiError(
      'InvalidParameter',
      `The service's host Region ${svc.region} cannot be removed from its supported Regions.`,
    );
  }
  const regions = [...new Set([...svc.supportedRegions, ...addRegions])].filter(
    (r) => !removeRegions.includes(r),
  );
  if (regions.some((r) => r !== svc.region) && svc.serviceType !== 'Interface') {
    throw apiError(
      'InvalidParameter',
      'Cross-Region access is supported for Network Load Balancer services only.',
    );
  }

  let next: EndpointService = {
    ...(svc as EndpointService),
    networkLoadBalancerArns: nlbs,
    gatewayLoadBalancerArns: gwlbs,
    supportedIpAddressTypes: ipTypes,
    supportedRegions: regions,
    acceptanceRequired: input.acceptanceRequired ?? svc.acceptanceRequired,
  };
  if (input.removePrivateDnsName) {
    const { privateDnsName: _n, privateDnsNameConfiguration: _c, ...rest } = next;
    next = rest;
  } else if (input.privateDnsName !== undefined && input.privateDnsName !== svc.privateDnsName) {
    if (svc.serviceType !== 'Interface') {
      throw apiError(
        'InvalidParameter',
        'Private DNS names are not supported for Gateway Load Balancer services.',
      );
    }
    validatePrivateDnsName(input.privateDnsName);
    next = {
      ...next,
      privateDnsName: input.privateDnsName,
      privateDnsNameConfiguration: newVerificationRecord(control),
    };
  }
  control.store.put('endpointService', next);
}

/** Deletes services one by one; per-ID problems are returned, not thrown (they go in-band). */
export function deleteEndpointServices(
  control: Control,
  caller: CallerContext,
  serviceIds: readonly string[],
): BatchFailure[] {
  const failures: BatchFailure[] = [];
  for (const id of new Set(serviceIds)) {
    const svc = SERVICE_ID_PATTERN.test(id) ? control.store.get('endpointService', caller, id) : undefined;
    if (!svc) {
      failures.push({
        resourceId: id,
        error: apiError(
          'InvalidVpcEndpointService.NotFound',
          `The VpcEndpointService Id '${id}' does not exist`,
        ),
      });
      continue;
    }
    if (hasActiveConnections(control, id)) {
      failures.push({
        resourceId: id,
        error: apiError('ExistingVpcEndpointConnections', EXISTING_CONNECTIONS),
      });
      continue;
    }
    for (const perm of control.store.list('servicePermission', svc)) {
      if (perm.serviceId === id) control.store.delete('servicePermission', perm.id);
    }
    for (const n of control.store.listAll('connectionNotification')) {
      if (n.serviceId === id) control.store.delete('connectionNotification', n.id);
    }
    control.store.delete('endpointService', id);
  }
  return failures;
}

export interface DescribeServicesInput {
  serviceIds: string[];
  filters: FilterInput[];
  maxResults?: number;
  nextToken?: string;
}

export function describeEndpointServices(
  control: Control,
  caller: CallerContext,
  input: DescribeServicesInput,
): Page<StoredService> {
  let items = control.store.list('endpointService', caller);
  if (input.serviceIds.length) {
    const ids = [...new Set(input.serviceIds)];
    for (const id of ids) requireOwnService(control, caller, id);
    items = items.filter((s) => ids.includes(s.id));
  }
  const filtered = applyFilters(items, input.filters, {
    'service-name': (s) => s.serviceName,
    'service-id': (s) => s.id,
    'service-state': (s) => s.state,
    'supported-ip-address-types': (s) => s.supportedIpAddressTypes,
  });
  return paginate(filtered, (s) => s.id, input.maxResults, input.nextToken, { min: 5, max: 1000 });
}

export function setServicePayerResponsibility(
  control: Control,
  caller: CallerContext,
  serviceId: string,
  payer: 'ServiceOwner',
): void {
  const svc = requireOwnService(control, caller, serviceId);
  if (svc.payerResponsibility === payer) return;
  control.store.put('endpointService', { ...svc, payerResponsibility: payer });
}

/** Puts the verification back to `pendingVerification`; the verifier does the lookup after commit. */
export function requestPrivateDnsVerification(
  control: Control,
  caller: CallerContext,
  serviceId: string,
): void {
  const svc = requireOwnService(control, caller, serviceId);
  const cfg = svc.privateDnsNameConfiguration;
  if (!svc.privateDnsName || !cfg) {
    throw apiError(
      'InvalidParameter',
      `Service ${serviceId} has no private DNS name to verify; set one with ModifyVpcEndpointServiceConfiguration first.`,
    );
  }
  control.store.put('endpointService', {
    ...svc,
    privateDnsNameConfiguration: { ...cfg, state: 'pendingVerification', requestedAt: control.clock.now() },
  });
}
