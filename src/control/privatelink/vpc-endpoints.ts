/**
 * VPC endpoints, consumer side: create (Interface, Gateway, GatewayLoadBalancer), delete, and the
 * reads DescribeVpcEndpoints needs. Modify lives in vpc-endpoint-modify.ts; time-driven state
 * changes in lifecycle-driver.ts.
 *
 * Fidelity ledger (reference §3.1, §5.1–5.4, §6.1, §6.3, §6.4, §9.5; checked 2025 docs/examples):
 * - Covered: type defaults to Gateway; service resolution with visibility (InvalidServiceName);
 *   type/service mismatch message; Interface → one ENI per subnet, default SG of the VPC, DNS
 *   entries, state `pending` (or `pendingAcceptance` when the customer service requires it);
 *   Gateway → prefix-list routes in the route tables, compact default policy, `available` at once;
 *   GWLB → exactly one subnet, no SG/policy/private DNS; quotas (50 interface+GWLB per VPC,
 *   VpcEndpointLimitExceeded); ClientToken idempotency (IdempotentParameterMismatch when reused
 *   with other parameters); TagSpecification `vpc-endpoint`; DeleteVpcEndpoints reports unknown
 *   IDs in-band (InvalidVpcEndpoint.NotFound), removes ENIs and routes at once, moves the
 *   endpoint to `deleting`; deleted endpoints stay describable until purged; Describe by ID is
 *   O(1) per ID.
 * - Gaps: Resource and ServiceNetwork (VPC Lattice) endpoints are refused with
 *   UnsupportedOperation; no IPv6 ENI addresses; pendingAcceptance never expires.
 * - By design: PrivateDnsEnabled defaults to true for AWS interface services that have a private
 *   name (AWS's documented API default, which then needs the VPC DNS attributes) except S3/DynamoDB
 *   interface endpoints (their private DNS needs a gateway endpoint set-up), and to false for
 *   customer services (AWS documents no default there; Terraform always sends a value).
 *   Acceptance applies to the provider's own account too (reference §4).
 */
import type { Control } from '../control.js';
import type { CallerContext } from '../context.js';
import { Errors, apiError, type ErrorCode } from '../errors.js';
import { applyFilters, paginate, type FilterInput, type Page } from '../filters.js';
import type { DeepReadonly, Tag } from '../model/common.js';
import type { EndpointState, EndpointType, VpcEndpoint } from '../model/privatelink.js';
import { transitionEndpoint } from './endpoint-lifecycle.js';
import { LOWER_ALNUM } from '../../shared/ids.js';
import { defaultPolicyFor, validatePolicyDocument } from './endpoint-policy.js';
import { resolveServiceForCaller, type ResolvedService } from './service-catalog.js';
import {
  MAX_GATEWAY_ENDPOINTS_PER_VPC,
  addGatewayRoutes,
  checkIpSettings,
  checkPrivateDns,
  createEndpointInterface,
  deleteInterfaces,
  hasGatewayEndpointFor,
  isLive,
  removeGatewayRoutes,
  requireEndpointSubnets,
  requireOwnVpc,
  requireRouteTables,
  requireSecurityGroups,
  type DnsRecordIpType,
  type IpAddressType,
} from './vpc-endpoint-parts.js';
import { checkEndpointRoom, quota } from '../quotas.js';

export interface SubnetConfigInput {
  subnetId?: string;
  ipv4?: string;
  ipv6?: string;
}

export interface DnsOptionsInput {
  dnsRecordIpType?: DnsRecordIpType;
  privateDnsOnlyForInboundResolverEndpoint?: boolean;
  privateDnsPreference?: string;
  privateDnsSpecifiedDomains: readonly string[];
}

export interface CreateEndpointInput {
  vpcId: string;
  endpointType?: EndpointType;
  serviceName?: string;
  serviceRegion?: string;
  resourceConfigurationArn?: string;
  serviceNetworkArn?: string;
  subnetIds: readonly string[];
  subnetConfigurations: readonly SubnetConfigInput[];
  securityGroupIds: readonly string[];
  routeTableIds: readonly string[];
  policyDocument?: string;
  privateDnsEnabled?: boolean;
  ipAddressType?: IpAddressType;
  dnsOptions?: DnsOptionsInput;
  tags: readonly Tag[];
  clientToken?: string;
}

const ENDPOINT_ID = /^vpce-[0-9a-f]{8}(?:[0-9a-f]{9})?$/;

/** Throws InvalidVpcEndpointId.Malformed for anything that cannot be an endpoint ID. */
export function checkEndpointIdFormat(id: string): void {
  if (!ENDPOINT_ID.test(id)) throw Errors.endpointMalformed(id);
}

/** The caller's endpoint, or InvalidVpcEndpointId.NotFound. */
export function requireOwnEndpoint(
  control: Control,
  caller: CallerContext,
  id: string,
): DeepReadonly<VpcEndpoint> {
  checkEndpointIdFormat(id);
  const ep = control.store.get('vpcEndpoint', caller, id);
  if (!ep) throw Errors.endpointNotFound(id);
  return ep;
}

function idempotencyKey(caller: CallerContext, token: string): string {
  return `CreateVpcEndpoint:${caller.accountId}:${caller.region}:${token}`;
}

function fingerprint(input: CreateEndpointInput): string {
  return JSON.stringify({ ...input, clientToken: undefined });
}

function bad(message: string) {
  return apiError('InvalidParameter', message);
}

/** Parameters that make sense only for some endpoint types. */
function checkTypeParameters(type: EndpointType, input: CreateEndpointInput): void {
  const hasSubnets = input.subnetIds.length > 0 || input.subnetConfigurations.length > 0;
  if (type === 'Gateway') {
    if (hasSubnets) {
      throw bad('Subnet IDs are only supported for Interface and GatewayLoadBalancer type VPC Endpoints.');
    }
    if (input.securityGroupIds.length) {
      throw bad('Security group IDs are only supported for Interface type VPC Endpoints.');
    }
    if (input.privateDnsEnabled === true) {
      throw bad('Private DNS is only supported for Interface type VPC Endpoints.');
    }
    if (input.dnsOptions) throw bad('DNS options are only supported for Interface type VPC Endpoints.');
    if (input.ipAddressType && input.ipAddressType !== 'ipv4') {
      throw bad(`IP address type ${input.ipAddressType} is not supported for Gateway type VPC Endpoints.`);
    }
    return;
  }
  if (input.routeTableIds.length) {
    throw bad('Route table IDs are only supported for Gateway type VPC Endpoints.');
  }
  if (type === 'GatewayLoadBalancer') {
    const subnets = new Set([...input.subnetIds, ...input.subnetConfigurations.map((c) => c.subnetId ?? '')]);
    if (subnets.size !== 1) {
      throw bad('Exactly one subnet must be specified for a GatewayLoadBalancer type VPC Endpoint.');
    }
    if (input.securityGroupIds.length) {
      throw bad('Security group IDs are not supported for GatewayLoadBalancer type VPC Endpoints.');
    }
    if (input.privateDnsEnabled === true) {
      throw bad('Private DNS is not supported for GatewayLoadBalancer type VPC Endpoints.');
    }
    if (input.dnsOptions) {
      throw bad('DNS options are not supported for GatewayLoadBalancer type VPC Endpoints.');
    }
  }
}

function checkQuota(control: Control, caller: CallerContext, vpcId: string, type: EndpointType): void {
  let interfaces = 0;
  let gateways = 0;
  for (const e of control.store.list('vpcEndpoint', caller)) {
    if (e.vpcId !== vpcId || !isLive(e)) continue;
    if (e.endpointType === 'Gateway') gateways++;
    else interfaces++;
  }
  if (
    type === 'Gateway'
      ? gateways >= MAX_GATEWAY_ENDPOINTS_PER_VPC
      : interfaces >= quota(control, 'interfaceEndpointsPerVpc')
  ) {
    const limit =
      type === 'Gateway' ? MAX_GATEWAY_ENDPOINTS_PER_VPC : quota(control, 'interfaceEndpointsPerVpc');
    throw apiError(
      'VpcEndpointLimitExceeded',
      `The maximum number of ${type === 'Gateway' ? 'Gateway' : 'Interface and GatewayLoadBalancer'} VPC endpoints (${limit}) in VPC ${vpcId} has been reached.`,
    );
  }
}

/** A custom policy when the service takes one; the type's default otherwise. */
export function endpointPolicy(
  svc: ResolvedService,
  type: EndpointType,
  doc: string | undefined,
): string | undefined {
  if (doc === undefined) return defaultPolicyFor(type);
  if (type === 'GatewayLoadBalancer') {
    throw bad('VPC endpoint policies are not supported for GatewayLoadBalancer type VPC Endpoints.');
  }
  if (!svc.policySupported) {
    throw bad(`The VPC endpoint service ${svc.serviceName} does not support VPC endpoint policies.`);
  }
  return validatePolicyDocument(doc);
}

/** Checks PrivateDnsOnlyForInboundResolverEndpoint and the Lattice-only DNS options. */
export function checkDnsOptions(
  control: Control,
  caller: CallerContext,
  vpcId: string,
  svc: ResolvedService,
  privateDnsEnabled: boolean,
  o: DnsOptionsInput | undefined,
): boolean {
  if (!o) return false;
  if (o.privateDnsPreference !== undefined || o.privateDnsSpecifiedDomains.length) {
    throw bad(
      'PrivateDnsPreference and PrivateDnsSpecifiedDomains are only supported for Resource and ServiceNetwork type VPC Endpoints.',
    );
  }
  if (!o.privateDnsOnlyForInboundResolverEndpoint) return false;
  if (!(svc.types.includes('Gateway') && svc.types.includes('Interface'))) {
    throw bad(
      `PrivateDnsOnlyForInboundResolverEndpoint is only supported for services that have both Gateway and Interface endpoints; ${svc.serviceName} does not.`,
    );
  }
  if (!privateDnsEnabled) {
    throw bad(
      'PrivateDnsOnlyForInboundResolverEndpoint can be set to true only when private DNS is enabled.',
    );
  }
  if (!hasGatewayEndpointFor(control, caller, vpcId, svc.serviceName)) {
    throw bad(
      `To set PrivateDnsOnlyForInboundResolverEndpoint to true, the VPC ${vpcId} must have a Gateway endpoint for the service.`,
    );
  }
  return true;
}

function defaultPrivateDns(svc: ResolvedService): boolean {
  if (!svc.aws) return false;
  return svc.privateDnsName !== undefined && !svc.types.includes('Gateway');
}

/** Subnets named by SubnetId.N and SubnetConfiguration.N, in order, each once. */
function mergedSubnetIds(input: CreateEndpointInput): string[] {
  const out: string[] = [];
  for (const id of input.subnetIds) if (!out.includes(id)) out.push(id);
  for (const c of input.subnetConfigurations) {
    if (!c.subnetId) throw Errors.missingParameter('SubnetConfiguration.N.SubnetId');
    if (!out.includes(c.subnetId)) out.push(c.subnetId);
  }
  return out;
}

/** The pinned IPv4 address per subnet from SubnetConfiguration.N. */
export function pinnedAddresses(
  configs: readonly SubnetConfigInput[],
  ipAddressType: IpAddressType,
): Map<string, string> {
  const out = new Map<string, string>();
  for (const c of configs) {
    if (!c.subnetId) throw Errors.missingParameter('SubnetConfiguration.N.SubnetId');
    if (c.ipv6 !== undefined) {
      throw bad(`Subnet ${c.subnetId} has no IPv6 CIDR block, so SubnetConfiguration Ipv6 cannot be used.`);
    }
    if (c.ipv4 !== undefined) {
      if (ipAddressType === 'ipv6') {
        throw bad(
          `SubnetConfiguration Ipv4 cannot be used with IP address type ipv6 (subnet ${c.subnetId}).`,
        );
      }
      out.set(c.subnetId, c.ipv4);
    }
  }
  return out;
}

/** CreateVpcEndpoint. Returns the stored endpoint (the original one on an idempotent retry). */
export function createVpcEndpoint(
  control: Control,
  caller: CallerContext,
  input: CreateEndpointInput,
): DeepReadonly<VpcEndpoint> {
  const type = input.endpointType ?? 'Gateway';
  if (
    type === 'Resource' ||
    type === 'ServiceNetwork' ||
    input.resourceConfigurationArn !== undefined ||
    input.serviceNetworkArn !== undefined
  ) {
    throw apiError(
      'UnsupportedOperation',
      'Resource and ServiceNetwork VPC endpoints (VPC Lattice) are not supported by privlink; use Interface, Gateway or GatewayLoadBalancer.',
    );
  }
  if (input.serviceName === undefined) throw Errors.missingParameter('ServiceName');

  if (input.clientToken !== undefined) {
    if (input.clientToken.length === 0 || input.clientToken.length > 64) {
      throw Errors.invalidValue('ClientToken', input.clientToken, 'It must be 1 to 64 characters long.');
    }
    const rec = control.store.find('idempotency', idempotencyKey(caller, input.clientToken));
    if (rec) {
      if (rec.fingerprint !== fingerprint(input)) {
        throw apiError(
          'IdempotentParameterMismatch',
          `The client token ${input.clientToken} was already used with different parameters.`,
        );
      }
      const original = control.store.get('vpcEndpoint', caller, rec.resourceId);
      if (original) return original;
    }
  }

  const vpc = requireOwnVpc(control, caller, input.vpcId);
  if (input.serviceRegion !== undefined && !/^[a-z]{2}(-[a-z]+)+-\d+$/.test(input.serviceRegion)) {
    throw Errors.invalidValue('ServiceRegion', input.serviceRegion);
  }
  const svc = resolveServiceForCaller(
    control,
    caller.principal,
    caller.region,
    input.serviceName,
    input.serviceRegion,
  );
  if (!svc.types.includes(type)) {
    throw bad(`Endpoint type (${type}) does not match available service types ([${svc.types.join(', ')}]).`);
  }
  if (svc.serviceRegion !== caller.region && type !== 'Interface') {
    throw bad('Cross-region access is only supported for Interface type VPC Endpoints.');
  }
  checkTypeParameters(type, input);
  checkQuota(control, caller, vpc.id, type);
  checkEndpointRoom(control, type === 'Gateway' ? 0 : mergedSubnetIds(input).length);
  const policyDocument = endpointPolicy(svc, type, input.policyDocument);

  const now = control.clock.now();
  const id = control.ids.resourceId('vpce');
  const ipAddressType: IpAddressType = input.ipAddressType ?? 'ipv4';
  let state: EndpointState = 'available';
  let groupIds: string[] = [];
  let privateDnsEnabled = false;
  let dnsOptions: VpcEndpoint['dnsOptions'];
  let subnetIds: string[] = [];
  let routeTableIds: string[] = [];
  const eniIds: string[] = [];

  if (type === 'Gateway') {
    if (!svc.prefixListId)
      throw bad(`The service ${svc.serviceName} has no prefix list for Gateway endpoints.`);
    const tables = requireRouteTables(control, caller, vpc, input.routeTableIds);
    addGatewayRoutes(control, id, svc.prefixListId, tables);
    routeTableIds = tables.map((t) => t.id);
  } else {
    const subnets = requireEndpointSubnets(control, caller, vpc, mergedSubnetIds(input), svc);
    const pinned = pinnedAddresses(input.subnetConfigurations, ipAddressType);
    const dnsRecordIpType = checkIpSettings(svc, ipAddressType, input.dnsOptions?.dnsRecordIpType, subnets);
    if (type === 'Interface') {
      groupIds = requireSecurityGroups(
        control,
        caller,
        vpc,
        input.securityGroupIds.length ? input.securityGroupIds : [vpc.defaultSecurityGroupId],
      );
      privateDnsEnabled = input.privateDnsEnabled ?? defaultPrivateDns(svc);
      if (privateDnsEnabled) checkPrivateDns(control, caller, vpc, svc, id);
      dnsOptions = {
        dnsRecordIpType,
        privateDnsOnlyForInboundResolverEndpoint: checkDnsOptions(
          control,
          caller,
          vpc.id,
          svc,
          privateDnsEnabled,
          input.dnsOptions,
        ),
      };
    }
    for (const subnet of subnets) {
      const eni = createEndpointInterface(
        control,
        { id, accountId: caller.accountId, endpointType: type, groupIds },
        subnet,
        pinned.get(subnet.id),
      );
      eniIds.push(eni.id);
    }
    subnetIds = subnets.map((s) => s.id);
    state = svc.acceptanceRequired ? 'pendingAcceptance' : 'pending';
  }

  const ep: VpcEndpoint = {
    id,
    accountId: caller.accountId,
    region: caller.region,
    createdAt: now,
    tags: [...input.tags],
    endpointType: type,
    vpcId: vpc.id,
    serviceName: svc.serviceName,
    serviceId: svc.customer?.id,
    serviceOwner: svc.owner,
    serviceRegion: svc.serviceRegion,
    state,
    stateChangedAt: now,
    policyDocument,
    routeTableIds,
    subnetIds,
    groupIds,
    networkInterfaceIds: eniIds,
    ipAddressType,
    dnsOptions,
    privateDnsEnabled,
    dnsLabel: control.ids.chars(8, LOWER_ALNUM),
    connectionId: svc.customer ? control.ids.resourceId('vpce-con') : undefined,
    clientToken: input.clientToken,
    requesterArn: caller.principal.arn,
  };
  const stored = control.store.put('vpcEndpoint', ep);
  if (input.clientToken !== undefined) {
    control.store.put('idempotency', {
      id: idempotencyKey(caller, input.clientToken),
      accountId: caller.accountId,
      region: caller.region,
      createdAt: now,
      tags: [],
      action: 'CreateVpcEndpoint',
      fingerprint: fingerprint(input),
      resourceId: id,
    });
  }
  return stored;
}

export interface UnsuccessfulItem {
  resourceId: string;
  code: ErrorCode;
  message: string;
}

/** Routes of the caller's route tables that target a (GWLB) endpoint. */
function routeTablesTargeting(control: Control, caller: CallerContext, endpointId: string): string[] {
  return control.store
    .list('routeTable', caller)
    .filter((rt) => rt.routes.some((r) => r.vpcEndpointId === endpointId))
    .map((rt) => rt.id);
}

/**
 * DeleteVpcEndpoints: per-ID failures are returned in-band. ENIs and gateway routes go at once;
 * the record moves to `deleting` and the lifecycle driver takes it to `deleted` and then away.
 */
export function deleteVpcEndpoints(
  control: Control,
  caller: CallerContext,
  ids: readonly string[],
): UnsuccessfulItem[] {
  if (ids.length === 0) throw Errors.missingParameter('VpcEndpointId.N');
  for (const id of ids) checkEndpointIdFormat(id);
  const failed: UnsuccessfulItem[] = [];
  const now = control.clock.now();
  for (const id of new Set(ids)) {
    const ep = control.store.get('vpcEndpoint', caller, id);
    if (!ep) {
      failed.push({
        resourceId: id,
        code: 'InvalidVpcEndpoint.NotFound',
        message: `The VPC endpoint ${id} does not exist`,
      });
      continue;
    }
    if (ep.state === 'deleting' || ep.state === 'deleted') continue;
    if (ep.endpointType === 'GatewayLoadBalancer') {
      const tables = routeTablesTargeting(control, caller, id);
      if (tables.length) {
        failed.push({
          resourceId: id,
          code: 'DependencyViolation',
          message: `The VPC endpoint ${id} is the target of routes in ${tables.join(', ')}; delete those routes first.`,
        });
        continue;
      }
    }
    deleteInterfaces(control, ep.networkInterfaceIds);
    removeGatewayRoutes(control, id, ep.routeTableIds);
    control.store.put('vpcEndpoint', {
      ...ep,
      state: transitionEndpoint(id, ep.state, 'delete'),
      stateChangedAt: now,
      networkInterfaceIds: [],
      routeTableIds: [],
    });
  }
  return failed;
}

type EndpointRow = DeepReadonly<VpcEndpoint>;

const ENDPOINT_FILTERS = {
  'ip-address-type': (e: EndpointRow) => (e.endpointType === 'Gateway' ? undefined : e.ipAddressType),
  'service-name': (e: EndpointRow) => e.serviceName,
  'service-region': (e: EndpointRow) => e.serviceRegion,
  'vpc-id': (e: EndpointRow) => e.vpcId,
  'vpc-endpoint-id': (e: EndpointRow) => e.id,
  'vpc-endpoint-state': (e: EndpointRow) => e.state,
  'vpc-endpoint-type': (e: EndpointRow) => e.endpointType,
};

export interface DescribeEndpointsInput {
  ids: readonly string[];
  filters: readonly FilterInput[];
  maxResults?: number;
  nextToken?: string;
}

/**
 * DescribeVpcEndpoints: by ID (each an O(1) lookup; any unknown ID fails the call) or the
 * caller's whole (account, region) scope, then filters and pagination.
 */
export function describeVpcEndpoints(
  control: Control,
  caller: CallerContext,
  input: DescribeEndpointsInput,
): Page<EndpointRow> {
  let items: EndpointRow[];
  if (input.ids.length) {
    for (const id of input.ids) checkEndpointIdFormat(id);
    const unique = [...new Set(input.ids)];
    items = [];
    const missing: string[] = [];
    for (const id of unique) {
      const ep = control.store.get('vpcEndpoint', caller, id);
      if (ep) items.push(ep);
      else missing.push(id);
    }
    if (missing.length) throw Errors.endpointNotFound(missing.join(', '));
  } else {
    items = control.store.list('vpcEndpoint', caller);
  }
  const filtered = applyFilters(items, input.filters, ENDPOINT_FILTERS);
  return paginate(filtered, (e) => e.id, input.maxResults, input.nextToken, { min: 1, max: 1000 });
}
