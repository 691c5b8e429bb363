/**
 * The consumer's view of endpoint services: who may see and connect to a service, where it is
 * offered, resolving a service name for CreateVpcEndpoint, and the offers
 * DescribeVpcEndpointServices lists (AWS-owned services plus the customer services the caller
 * may use).
 *
 * Fidelity ledger (docs/reference/aws-privatelink.md §4, §5.5, §5.10, §6.9):
 * - Covered: AWS services of the region (owner `amazon`; S3 and DynamoDB listed once as Gateway
 *   and once as Interface); customer services visible to the owner and to allowed principals
 *   only — `*`, an account root ARN (covers every user and role of that account), or an exact
 *   user/role ARN; everyone else gets InvalidServiceName "The Vpc Endpoint Service '<name>' does
 *   not exist", as if it did not exist; AZs come from the service's load balancer nodes and are
 *   compared by zone ID; customer services report vpcEndpointPolicySupported=false; cross-region
 *   customer services (ServiceRegion) when the service lists the caller's region.
 * - Gaps: AWS-owned services are not offered cross-region; no Marketplace services.
 * - By design: every account sees the same AZ name → ID mapping (zones.ts), so the "intersection
 *   with the caller's zones" is the service's own zone list; AWS services are in every zone.
 */
import type { Control } from '../control.js';
import type { DeepReadonly, Principal, Tag } from '../model/common.js';
import type { DnsVerificationState, EndpointService, ServiceType } from '../model/privatelink.js';
import { type AwsService, awsServicesForRegion, findAwsService } from './aws-services.js';
import { Errors } from '../errors.js';
import { applyFilters, type FilterInput, type Page, paginate } from '../filters.js';
import { baseEndpointDnsName } from '../names.js';
import { zonesForRegion } from '../zones.js';

/** What CreateVpcEndpoint needs to know about the service it connects to. */
export interface ResolvedService {
  serviceName: string;
  serviceRegion: string;
  /** `amazon`, or the provider's account ID. */
  owner: string;
  types: readonly ServiceType[];
  aws?: AwsService;
  customer?: DeepReadonly<EndpointService>;
  /** Zone IDs where endpoint ENIs may be placed. */
  zoneIds: ReadonlySet<string>;
  policySupported: boolean;
  acceptanceRequired: boolean;
  /** The private DNS name, and whether consumers may enable it now. */
  privateDnsName?: string;
  privateDnsUsable: boolean;
  prefixListId?: string;
  supportedIpAddressTypes: readonly string[];
}

const AWS_IP_TYPES: readonly string[] = ['ipv4'];

function allZoneIds(region: string): Set<string> {
  return new Set(zonesForRegion(region).map((z) => z.zoneId));
}

function fromAws(aws: AwsService, region: string): ResolvedService {
  return {
    serviceName: aws.serviceName,
    serviceRegion: region,
    owner: 'amazon',
    types: aws.types,
    aws,
    zoneIds: allZoneIds(region),
    policySupported: aws.vpcEndpointPolicySupported,
    acceptanceRequired: false,
    privateDnsName: aws.privateDnsName,
    privateDnsUsable: aws.privateDnsName !== undefined,
    prefixListId: aws.prefixListId,
    supportedIpAddressTypes: AWS_IP_TYPES,
  };
}

function fromCustomer(
  control: Control,
  svc: DeepReadonly<EndpointService>,
  callerRegion: string,
): ResolvedService {
  const remote = svc.region !== callerRegion;
  return {
    serviceName: svc.serviceName,
    serviceRegion: svc.region,
    owner: svc.accountId,
    types: [svc.serviceType],
    customer: svc,
    // A cross-region endpoint lives in the consumer's zones; AWS places it in any of them.
    zoneIds: remote ? allZoneIds(callerRegion) : new Set(serviceZones(control, svc).map((z) => z.zoneId)),
    policySupported: false,
    acceptanceRequired: svc.acceptanceRequired,
    privateDnsName: svc.privateDnsName,
    privateDnsUsable:
      svc.privateDnsName !== undefined && svc.privateDnsNameConfiguration?.state === 'verified',
    supportedIpAddressTypes: svc.supportedIpAddressTypes,
  };
}

/**
 * Resolves `serviceName` as the caller may see it, or throws InvalidServiceName.
 * `serviceRegion` (CreateVpcEndpoint ServiceRegion) defaults to the caller's region.
 */
export function resolveServiceForCaller(
  control: Control,
  caller: Principal,
  callerRegion: string,
  serviceName: string,
  serviceRegion = callerRegion,
): ResolvedService {
  if (serviceRegion === callerRegion) {
    const aws = findAwsService(callerRegion, serviceName);
    if (aws) return fromAws(aws, callerRegion);
  }
  const svc = findVisibleServiceByName(control, serviceName, caller, serviceRegion);
  if (!svc) throw Errors.invalidServiceName(serviceName);
  if (serviceRegion !== callerRegion && !svc.supportedRegions.includes(callerRegion)) {
    throw Errors.invalidServiceName(serviceName);
  }
  return fromCustomer(control, svc, callerRegion);
}

/** One entry of DescribeVpcEndpointServices (S3 yields two: Gateway and Interface). */
export interface ServiceOffer {
  /** Unique per entry: name and type. */
  key: string;
  serviceName: string;
  serviceId?: string;
  serviceType: ServiceType;
  serviceRegion: string;
  owner: string;
  zones: ServiceZone[];
  baseEndpointDnsNames: string[];
  privateDnsName?: string;
  privateDnsNameVerificationState?: DnsVerificationState;
  vpcEndpointPolicySupported: boolean;
  acceptanceRequired: boolean;
  managesVpcEndpoints: boolean;
  payerResponsibility?: 'ServiceOwner';
  supportedIpAddressTypes: string[];
  tags: Tag[];
}

function awsOffers(region: string): ServiceOffer[] {
  const zones = zonesForRegion(region).map((z) => ({ zoneName: z.zoneName, zoneId: z.zoneId }));
  const out: ServiceOffer[] = [];
  for (const aws of awsServicesForRegion(region)) {
    for (const type of aws.types) {
      const iface = type === 'Interface';
      out.push({
        key: `${aws.serviceName}|${type}`,
        serviceName: aws.serviceName,
        serviceType: type,
        serviceRegion: region,
        owner: 'amazon',
        zones,
        baseEndpointDnsNames: [
          iface
            ? `${aws.shortName}.${region}.vpce.amazonaws.com`
            : `${aws.shortName}.${region}.amazonaws.com`,
        ],
        privateDnsName: iface ? aws.privateDnsName : undefined,
        privateDnsNameVerificationState: iface && aws.privateDnsName ? 'verified' : undefined,
        vpcEndpointPolicySupported: aws.vpcEndpointPolicySupported,
        acceptanceRequired: false,
        managesVpcEndpoints: false,
        supportedIpAddressTypes: [...AWS_IP_TYPES],
        tags: [],
      });
    }
  }
  return out;
}

function customerOffer(
  control: Control,
  svc: DeepReadonly<EndpointService>,
  callerRegion: string,
): ServiceOffer {
  const zones =
    svc.region === callerRegion
      ? serviceZones(control, svc)
      : zonesForRegion(callerRegion).map((z) => ({ zoneName: z.zoneName, zoneId: z.zoneId }));
  return {
    key: `${svc.serviceName}|${svc.serviceType}`,
    serviceName: svc.serviceName,
    serviceId: svc.id,
    serviceType: svc.serviceType,
    serviceRegion: svc.region,
    owner: svc.accountId,
    zones,
    baseEndpointDnsNames: svc.serviceType === 'Interface' ? [baseEndpointDnsName(svc.region, svc.id)] : [],
    privateDnsName: svc.privateDnsName,
    privateDnsNameVerificationState: svc.privateDnsName ? svc.privateDnsNameConfiguration?.state : undefined,
    vpcEndpointPolicySupported: false,
    acceptanceRequired: svc.acceptanceRequired,
    managesVpcEndpoints: svc.managesVpcEndpoints,
    payerResponsibility: svc.payerResponsibility,
    supportedIpAddressTypes: [...svc.supportedIpAddressTypes],
    tags: svc.tags.map((t) => ({ key: t.key, value: t.value })),
  };
}

/**
 * Every offer the caller can see, sorted by service name (Gateway before Interface for S3):
 * AWS services of the caller's region and visible customer services of `serviceRegions`
 * (default: the caller's region; remote ones only when they support the caller's region).
 */
export function listServiceOffers(
  control: Control,
  caller: Principal,
  callerRegion: string,
  serviceRegions: readonly string[] = [],
): ServiceOffer[] {
  const regions = new Set(serviceRegions.length ? serviceRegions : [callerRegion]);
  const out: ServiceOffer[] = [];
  if (regions.has(callerRegion)) out.push(...awsOffers(callerRegion));
  for (const svc of control.store.listAll('endpointService')) {
    if (!regions.has(svc.region)) continue;
    if (svc.state !== 'Available' && svc.state !== 'Pending') continue;
    if (svc.region !== callerRegion && !svc.supportedRegions.includes(callerRegion)) continue;
    if (!canUseService(control, svc, caller)) continue;
    out.push(customerOffer(control, svc, callerRegion));
  }
  return out.sort((a, b) =>
    a.serviceName === b.serviceName
      ? a.serviceType.localeCompare(b.serviceType)
      : a.serviceName < b.serviceName
        ? -1
        : 1,
  );
}

/**
 * The service an existing endpoint is attached to, without a visibility check: removing a
 * principal from the allow-list leaves existing endpoints alone (docs/reference/aws-privatelink.md §3.1).
 * Undefined when the service no longer exists.
 */
export function resolveServiceOfEndpoint(
  control: Control,
  ep: { serviceName: string; serviceId?: string; serviceRegion: string; region: string },
): ResolvedService | undefined {
  if (ep.serviceId) {
    const svc = control.store.find('endpointService', ep.serviceId);
    return svc ? fromCustomer(control, svc, ep.region) : undefined;
  }
  const aws = findAwsService(ep.serviceRegion, ep.serviceName);
  return aws ? fromAws(aws, ep.serviceRegion) : undefined;
}

const OFFER_FILTERS = {
  owner: (o: ServiceOffer) => o.owner,
  'service-name': (o: ServiceOffer) => o.serviceName,
  'service-region': (o: ServiceOffer) => o.serviceRegion,
  'service-type': (o: ServiceOffer) => o.serviceType,
  'supported-ip-address-types': (o: ServiceOffer) => o.supportedIpAddressTypes,
};

export interface DescribeOffersInput {
  serviceNames: readonly string[];
  serviceRegions: readonly string[];
  filters: readonly FilterInput[];
  maxResults?: number;
  nextToken?: string;
}

/**
 * DescribeVpcEndpointServices: every visible offer, narrowed by ServiceName.N (an unknown or
 * invisible name fails the call with InvalidServiceName), filters and pagination.
 */
export function describeServiceOffers(
  control: Control,
  caller: Principal,
  callerRegion: string,
  input: DescribeOffersInput,
): Page<ServiceOffer> {
  for (const r of input.serviceRegions) {
    if (!/^[a-z]{2}(-[a-z]+)+-\d+$/.test(r)) throw Errors.invalidValue('ServiceRegion', r);
  }
  let offers = listServiceOffers(control, caller, callerRegion, input.serviceRegions);
  if (input.serviceNames.length) {
    const wanted = new Set(input.serviceNames);
    for (const name of wanted) {
      if (!offers.some((o) => o.serviceName === name)) throw Errors.invalidServiceName(name);
    }
    offers = offers.filter((o) => wanted.has(o.serviceName));
  }
  const filtered = applyFilters(offers, input.filters, OFFER_FILTERS);
  // Pages are cut between service names, never inside one: S3 and DynamoDB are offered twice
  // (Gateway and Interface) and both details must land on the page that names them, or a
  // paginator merging serviceNameSet across pages would list the name twice.
  const names = [...new Set(filtered.map((o) => o.serviceName))];
  const page = paginate(names, (n) => n, input.maxResults, input.nextToken, { min: 1, max: 1000 });
  const onPage = new Set(page.items);
  return { items: filtered.filter((o) => onPage.has(o.serviceName)), nextToken: page.nextToken };
}

// ─── Who may use a service, and where it is offered ──────────────────────────────────────────

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
