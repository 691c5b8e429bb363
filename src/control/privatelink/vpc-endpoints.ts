/**
 * VPC endpoints, consumer side, in one place: CreateVpcEndpoint (Interface, Gateway,
 * GatewayLoadBalancer), ModifyVpcEndpoint, ModifyVpcEndpointPayerResponsibility,
 * DeleteVpcEndpoints and the reads DescribeVpcEndpoints needs, followed by the checks and parts
 * create and modify share (VPC, subnets, security groups, route tables, ENIs, private DNS, IP
 * settings) and the endpoint policy rules. Which service a name means and who may use it is in
 * service-catalog.ts; time-driven state changes are in lifecycle-driver.ts.
 *
 * Fidelity ledger (docs/reference/aws-privatelink.md §3.1, §4, §5.1–5.4, §5.7, §6.1–6.4, §6.19,
 * §9.5, §10; checked against 2025 docs and examples):
 * - Covered, create: type defaults to Gateway; service resolution with visibility
 *   (InvalidServiceName); type/service mismatch message; Interface → one ENI per subnet, default
 *   SG of the VPC, DNS entries, state `pending` (or `pendingAcceptance` when the customer service
 *   requires it); Gateway → prefix-list routes in the route tables, compact default policy,
 *   `available` at once; GWLB → exactly one subnet, no SG/policy/private DNS; quotas (50
 *   interface+GWLB per VPC, VpcEndpointLimitExceeded); ClientToken idempotency
 *   (IdempotentParameterMismatch when reused with other parameters); TagSpecification
 *   `vpc-endpoint`.
 * - Covered, delete and describe: DeleteVpcEndpoints reports unknown IDs in-band
 *   (InvalidVpcEndpoint.NotFound), removes ENIs and routes at once, moves the endpoint to
 *   `deleting`; deleted endpoints stay describable until purged; Describe by ID is O(1) per ID.
 * - Covered, modify: add/remove subnets (ENIs created/deleted, same AZ rules as create),
 *   add/remove security groups (every ENI follows), SubnetConfiguration with a new Ipv4 replaces
 *   that subnet's ENI, PolicyDocument / ResetPolicy (InvalidParameterCombination together),
 *   PrivateDnsEnabled with the create-time checks, IpAddressType and DnsOptions, gateway route
 *   tables (routes added/removed); unknown endpoint → InvalidVpcEndpointId.NotFound; endpoints
 *   being deleted → IncorrectState; the GWLB endpoint's subnet is fixed. Payer responsibility
 *   per scope, shown as `payerResponsibilitySet`.
 * - Covered, shared rules: referenced VPC/subnet/security group/route table must be the
 *   caller's (else the EC2 NotFound code); subnets must be in the endpoint's VPC and in a zone
 *   (by zone ID) the service is offered in; one subnet per AZ (DuplicateSubnetsInSameZone); one
 *   requester-managed ENI per subnet; gateway routes `destinationPrefixListId` → `gatewayId` and
 *   at most one per service per route table (RouteAlreadyExists); private DNS needs
 *   enableDnsSupport and enableDnsHostnames, a usable private name, and no other endpoint of the
 *   VPC answering for it; IpAddressType/DnsRecordIpType compatibility.
 * - Covered, policy: the exact default strings AWS shows (compact 2008-10-17 form on gateway
 *   endpoints, the pretty-printed form with its trailing spaces on interface endpoints); custom
 *   documents must be JSON objects with a Statement whose entries carry Effect and Principal, at
 *   most 20,480 characters including whitespace; ResetPolicy restores the default.
 * - Gaps: Resource and ServiceNetwork (VPC Lattice) endpoints are refused with
 *   UnsupportedOperation; subnets have no IPv6 ranges, so `ipv6`/`dualstack` endpoints are
 *   refused; the endpoint keeps its state during a modify (AWS
 *   may show `pending` briefly; every client waits for `available`, which it already is); policy
 *   actions, resources and condition keys are not checked against IAM's grammar, and the policy
 *   is stored but not enforced by the data plane.
 * - By design: PrivateDnsEnabled defaults to true for AWS interface services that have a private
 *   name (AWS's documented API default, which then needs the VPC DNS attributes) except
 *   S3/DynamoDB interface endpoints (their private DNS needs a gateway endpoint set-up), and to
 *   false for customer services (AWS documents no default there; Terraform always sends a
 *   value). Acceptance applies to the provider's own account too (§4). Adding a subnet or group
 *   the endpoint already has is a no-op; removing one it does not have is InvalidParameter, so a
 *   caller's mistaken diff is visible; an interface endpoint must keep at least one security
 *   group. Gateway Load Balancer endpoints and customer endpoint services carry no custom policy
 *   (vpcEndpointPolicySupported=false): a custom document for them is refused with
 *   InvalidParameter rather than silently dropped. Error messages copy AWS's where they are
 *   known (§5.1, §6.1); the others are written in AWS's style and say which resource is at fault.
 */
import type { Control } from '../control.js';
import type { CallerContext } from '../context.js';
import { apiError, type ErrorCode, Errors } from '../errors.js';
import { applyFilters, type FilterInput, type Page, paginate } from '../filters.js';
import type { DeepReadonly, Tag } from '../model/common.js';
import type { DnsOptions, EndpointState, EndpointType, VpcEndpoint } from '../model/privatelink.js';
import { findAwsService } from './aws-services.js';
import { transitionEndpoint } from './endpoint-lifecycle.js';
import { LOWER_ALNUM } from '../../shared/ids.js';
import {
  type ResolvedService,
  resolveServiceForCaller,
  resolveServiceOfEndpoint,
} from './service-catalog.js';
import type { NetworkInterface, RouteTable, Subnet, Vpc } from '../model/network.js';
import { createNetworkInterface } from '../network/addresses.js';
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

/**
 * Whether an endpoint's DnsOptions show `privateDnsOnlyForInboundResolverEndpoint`: when it was
 * set, and on interface endpoints of AWS services also offered as Gateway (S3, DynamoDB), where
 * AWS always reports it.
 */
export function showsInboundResolverOption(ep: DeepReadonly<VpcEndpoint>): boolean {
  if (ep.dnsOptions?.privateDnsOnlyForInboundResolverEndpoint) return true;
  const aws = ep.serviceId ? undefined : findAwsService(ep.serviceRegion, ep.serviceName);
  return aws?.types.includes('Gateway') === true && aws.types.includes('Interface');
}

// ─── ModifyVpcEndpoint and ModifyVpcEndpointPayerResponsibility ─────────────────────────────

export interface ModifyEndpointInput {
  id: string;
  resetPolicy?: boolean;
  policyDocument?: string;
  addRouteTableIds: readonly string[];
  removeRouteTableIds: readonly string[];
  addSubnetIds: readonly string[];
  removeSubnetIds: readonly string[];
  addSecurityGroupIds: readonly string[];
  removeSecurityGroupIds: readonly string[];
  ipAddressType?: IpAddressType;
  dnsOptions?: DnsOptionsInput;
  privateDnsEnabled?: boolean;
  subnetConfigurations: readonly SubnetConfigInput[];
}

/** Changes that make sense only for some endpoint types. */
function checkModifyTypeParameters(ep: DeepReadonly<VpcEndpoint>, m: ModifyEndpointInput): void {
  const subnetChange = m.addSubnetIds.length + m.removeSubnetIds.length + m.subnetConfigurations.length > 0;
  const sgChange = m.addSecurityGroupIds.length + m.removeSecurityGroupIds.length > 0;
  if (ep.endpointType === 'Gateway') {
    if (subnetChange) {
      throw bad('Subnet IDs are only supported for Interface and GatewayLoadBalancer type VPC Endpoints.');
    }
    if (sgChange) throw bad('Security group IDs are only supported for Interface type VPC Endpoints.');
    if (m.privateDnsEnabled === true)
      throw bad('Private DNS is only supported for Interface type VPC Endpoints.');
    if (m.dnsOptions) throw bad('DNS options are only supported for Interface type VPC Endpoints.');
    if (m.ipAddressType && m.ipAddressType !== 'ipv4') {
      throw bad(`IP address type ${m.ipAddressType} is not supported for Gateway type VPC Endpoints.`);
    }
    return;
  }
  if (m.addRouteTableIds.length || m.removeRouteTableIds.length) {
    throw bad('Route table IDs are only supported for Gateway type VPC Endpoints.');
  }
  if (ep.endpointType === 'GatewayLoadBalancer') {
    if (subnetChange) throw bad('The subnet of a GatewayLoadBalancer type VPC Endpoint cannot be changed.');
    if (sgChange)
      throw bad('Security group IDs are not supported for GatewayLoadBalancer type VPC Endpoints.');
    if (m.privateDnsEnabled === true) {
      throw bad('Private DNS is not supported for GatewayLoadBalancer type VPC Endpoints.');
    }
    if (m.dnsOptions) throw bad('DNS options are not supported for GatewayLoadBalancer type VPC Endpoints.');
  }
}

function requireService(ep: DeepReadonly<VpcEndpoint>, svc: ResolvedService | undefined): ResolvedService {
  if (!svc) {
    throw bad(
      `The VPC endpoint service ${ep.serviceName} of ${ep.id} no longer exists; the endpoint cannot be modified.`,
    );
  }
  return svc;
}

/** ModifyVpcEndpoint; all changes apply together or not at all (one transaction). */
export function modifyVpcEndpoint(control: Control, caller: CallerContext, m: ModifyEndpointInput): void {
  const ep = requireOwnEndpoint(control, caller, m.id);
  if (ep.state === 'deleting' || ep.state === 'deleted') {
    throw apiError(
      'IncorrectState',
      `The VPC endpoint ${ep.id} is in state ${ep.state} and cannot be modified.`,
    );
  }
  if (m.resetPolicy === true && m.policyDocument !== undefined) {
    throw apiError('InvalidParameterCombination', 'PolicyDocument and ResetPolicy cannot be used together.');
  }
  checkModifyTypeParameters(ep, m);
  const vpc = requireOwnVpc(control, caller, ep.vpcId);
  const svcOrUndefined = resolveServiceOfEndpoint(control, ep);
  const next: VpcEndpoint = structuredClone(ep) as VpcEndpoint;

  // Policy
  if (m.resetPolicy === true) next.policyDocument = defaultPolicyFor(ep.endpointType);
  else if (m.policyDocument !== undefined) {
    next.policyDocument = endpointPolicy(
      requireService(ep, svcOrUndefined),
      ep.endpointType,
      m.policyDocument,
    );
  }

  // Gateway route tables
  if (ep.endpointType === 'Gateway') {
    for (const id of m.removeRouteTableIds) {
      if (!ep.routeTableIds.includes(id)) throw bad(`Route table ${id} is not associated with ${ep.id}.`);
    }
    removeGatewayRoutes(control, ep.id, m.removeRouteTableIds);
    const kept = ep.routeTableIds.filter((id) => !m.removeRouteTableIds.includes(id));
    const added = requireRouteTables(control, caller, vpc, m.addRouteTableIds).filter(
      (t) => !kept.includes(t.id),
    );
    if (added.length) {
      const prefixListId = requireService(ep, svcOrUndefined).prefixListId;
      if (!prefixListId) throw bad(`The service ${ep.serviceName} has no prefix list for Gateway endpoints.`);
      addGatewayRoutes(control, ep.id, prefixListId, added);
    }
    next.routeTableIds = [...kept, ...added.map((t) => t.id)];
  }

  if (ep.endpointType !== 'Gateway') modifyInterfaces(control, caller, ep, next, m, svcOrUndefined);

  control.store.put('vpcEndpoint', next);
}

/** Subnets, ENIs, security groups, private DNS and IP settings of interface/GWLB endpoints. */
function modifyInterfaces(
  control: Control,
  caller: CallerContext,
  ep: DeepReadonly<VpcEndpoint>,
  next: VpcEndpoint,
  m: ModifyEndpointInput,
  svcOrUndefined: ResolvedService | undefined,
): void {
  const vpc = requireOwnVpc(control, caller, ep.vpcId);
  // Security groups first: new ENIs are created with the final set.
  if (ep.endpointType === 'Interface') {
    for (const id of m.removeSecurityGroupIds) {
      if (!ep.groupIds.includes(id)) throw bad(`Security group ${id} is not associated with ${ep.id}.`);
    }
    const kept = ep.groupIds.filter((g) => !m.removeSecurityGroupIds.includes(g));
    const added = requireSecurityGroups(control, caller, vpc, m.addSecurityGroupIds);
    next.groupIds = [...kept, ...added.filter((g) => !kept.includes(g))];
    if (next.groupIds.length === 0) {
      throw bad(`An Interface VPC endpoint must have at least one security group; ${ep.id} would have none.`);
    }
  }

  for (const id of m.removeSubnetIds) {
    if (!ep.subnetIds.includes(id)) throw bad(`Subnet ${id} is not associated with ${ep.id}.`);
  }
  const keptIds = ep.subnetIds.filter((id) => !m.removeSubnetIds.includes(id));
  const keptSubnets = keptIds
    .map((id) => control.store.find('subnet', id))
    .filter((s): s is DeepReadonly<Subnet> => s !== undefined);
  const addIds = [...new Set(m.addSubnetIds)].filter((id) => !keptIds.includes(id));
  const svcNeeded = addIds.length > 0 || m.privateDnsEnabled === true || m.ipAddressType !== undefined;
  const svc = svcNeeded ? requireService(ep, svcOrUndefined) : svcOrUndefined;
  const added = svc ? requireEndpointSubnets(control, caller, vpc, addIds, svc, keptSubnets) : [];
  const ipAddressType = m.ipAddressType ?? ep.ipAddressType;
  const pinned = pinnedAddresses(m.subnetConfigurations, ipAddressType);
  for (const subnetId of pinned.keys()) {
    if (!keptIds.includes(subnetId) && !addIds.includes(subnetId)) {
      throw bad(`SubnetConfiguration names subnet ${subnetId}, which is not a subnet of ${ep.id}.`);
    }
  }

  // ENIs: removed subnets and re-addressed subnets lose theirs first, so addresses free up.
  const eniIds = new Map<string, string>();
  for (const id of ep.networkInterfaceIds) {
    const eni = control.store.find('networkInterface', id);
    if (eni) eniIds.set(eni.subnetId, eni.id);
  }
  for (const subnetId of m.removeSubnetIds) {
    const eniId = eniIds.get(subnetId);
    if (eniId) deleteInterfaces(control, [eniId]);
    eniIds.delete(subnetId);
  }
  const owner = {
    id: ep.id,
    accountId: ep.accountId,
    endpointType: ep.endpointType,
    groupIds: next.groupIds,
  };
  for (const subnet of keptSubnets) {
    const want = pinned.get(subnet.id);
    const current = interfaceInSubnet(control, ep, subnet.id);
    if (want === undefined || current?.privateIpAddress === want) continue;
    if (current) deleteInterfaces(control, [current.id]);
    eniIds.set(subnet.id, createEndpointInterface(control, owner, subnet, want).id);
  }
  for (const subnet of added) {
    eniIds.set(subnet.id, createEndpointInterface(control, owner, subnet, pinned.get(subnet.id)).id);
  }
  next.subnetIds = [...keptIds, ...added.map((s) => s.id)];
  next.networkInterfaceIds = next.subnetIds
    .map((id) => eniIds.get(id))
    .filter((id): id is string => id !== undefined);
  // Every ENI carries the endpoint's groups (AWS applies SG changes to all of them).
  if (ep.endpointType === 'Interface') {
    for (const id of next.networkInterfaceIds) {
      const eni = control.store.find('networkInterface', id);
      if (eni && eni.groupIds.join() !== next.groupIds.join()) {
        control.store.put('networkInterface', { ...eni, groupIds: [...next.groupIds] });
      }
    }
  }

  if (ep.endpointType !== 'Interface') return;
  if (m.privateDnsEnabled === true && svc) checkPrivateDns(control, caller, vpc, svc, ep.id);
  if (m.privateDnsEnabled !== undefined) next.privateDnsEnabled = m.privateDnsEnabled;
  if (m.ipAddressType !== undefined || m.dnsOptions !== undefined) {
    const s = requireService(ep, svc);
    const allSubnets = [...keptSubnets, ...added];
    const requested =
      m.dnsOptions?.dnsRecordIpType ??
      (m.ipAddressType === undefined ? ep.dnsOptions?.dnsRecordIpType : undefined);
    const dnsRecordIpType = checkIpSettings(s, ipAddressType, requested, allSubnets);
    const resolverOnly =
      m.dnsOptions !== undefined
        ? checkDnsOptions(control, caller, vpc.id, s, next.privateDnsEnabled, m.dnsOptions)
        : (ep.dnsOptions?.privateDnsOnlyForInboundResolverEndpoint ?? false);
    next.ipAddressType = ipAddressType;
    next.dnsOptions = { dnsRecordIpType, privateDnsOnlyForInboundResolverEndpoint: resolverOnly };
  }
  if (!next.privateDnsEnabled && next.dnsOptions?.privateDnsOnlyForInboundResolverEndpoint) {
    next.dnsOptions = { ...next.dnsOptions, privateDnsOnlyForInboundResolverEndpoint: false };
  }
}

export type PayerResponsibilityType =
  'vpc-endpoint-account' | 'vpc-endpoint-service-account' | 'resource-gateway-account';
export type PayerScope = 'vpc-endpoint-charges' | 'resource-gateway-charges';

export interface PayerEntry {
  scope: string;
  payerResponsibilityType: string;
}

/** Who pays, per scope: explicit choices, else the service owner when it took the charges. */
export function payerResponsibilitiesOf(control: Control, ep: DeepReadonly<VpcEndpoint>): PayerEntry[] {
  const svc = ep.serviceId ? control.store.find('endpointService', ep.serviceId) : undefined;
  const fallback: PayerEntry = {
    scope: 'vpc-endpoint-charges',
    payerResponsibilityType:
      svc?.payerResponsibility === 'ServiceOwner' ? 'vpc-endpoint-service-account' : 'vpc-endpoint-account',
  };
  const chosen = ep.payerResponsibilities ?? [];
  const out = chosen.map((e) => ({ scope: e.scope, payerResponsibilityType: e.payerResponsibilityType }));
  if (!out.some((e) => e.scope === fallback.scope)) out.unshift(fallback);
  return out;
}

/** ModifyVpcEndpointPayerResponsibility. */
export function modifyPayerResponsibility(
  control: Control,
  caller: CallerContext,
  input: {
    vpcEndpointId: string;
    payerResponsibility: PayerResponsibilityType;
    scope: PayerScope;
    serviceId?: string;
  },
): { vpcEndpointId: string; entries: PayerEntry[] } {
  const ep = requireOwnEndpoint(control, caller, input.vpcEndpointId);
  if (ep.state === 'deleting' || ep.state === 'deleted') {
    throw apiError(
      'IncorrectState',
      `The VPC endpoint ${ep.id} is in state ${ep.state} and cannot be modified.`,
    );
  }
  if (input.serviceId !== undefined && input.serviceId !== ep.serviceId) {
    throw bad(`The VPC endpoint ${ep.id} is not connected to the service ${input.serviceId}.`);
  }
  if (
    input.scope === 'resource-gateway-charges' ||
    input.payerResponsibility === 'resource-gateway-account'
  ) {
    throw bad(
      `Scope resource-gateway-charges and payer resource-gateway-account apply to Resource VPC endpoints only; ${ep.id} is a ${ep.endpointType} endpoint.`,
    );
  }
  if (input.payerResponsibility === 'vpc-endpoint-service-account' && !ep.serviceId) {
    throw bad(
      `The endpoint ${ep.id} connects to an AWS service, whose charges cannot move to the service owner.`,
    );
  }
  const others = (ep.payerResponsibilities ?? []).filter((e) => e.scope !== input.scope);
  const stored = control.store.put('vpcEndpoint', {
    ...ep,
    payerResponsibilities: [
      ...others,
      { scope: input.scope, payerResponsibilityType: input.payerResponsibility },
    ],
  });
  return { vpcEndpointId: ep.id, entries: payerResponsibilitiesOf(control, stored) };
}

// ─── Checks and parts shared by create and modify ───────────────────────────────────────────

export type IpAddressType = VpcEndpoint['ipAddressType'];
export type DnsRecordIpType = DnsOptions['dnsRecordIpType'];

/** Gateway endpoints per VPC (AWS's hard maximum). */
export const MAX_GATEWAY_ENDPOINTS_PER_VPC = 255;

/** States in which an endpoint still occupies its VPC (quota, private DNS conflicts). */
export function isLive(ep: DeepReadonly<VpcEndpoint>): boolean {
  return ep.state !== 'deleting' && ep.state !== 'deleted';
}

export function requireOwnVpc(control: Control, caller: CallerContext, vpcId: string): DeepReadonly<Vpc> {
  const vpc = control.store.get('vpc', caller, vpcId);
  if (!vpc) throw Errors.vpcNotFound(vpcId);
  return vpc;
}

/**
 * Validates subnets for an endpoint: the caller's, in the VPC, in a zone the service offers, and
 * one per AZ together with `kept` (subnets the endpoint already has).
 */
export function requireEndpointSubnets(
  control: Control,
  caller: CallerContext,
  vpc: DeepReadonly<Vpc>,
  subnetIds: readonly string[],
  svc: ResolvedService,
  kept: readonly DeepReadonly<Subnet>[] = [],
): DeepReadonly<Subnet>[] {
  const byZone = new Map<string, string>(kept.map((s) => [s.availabilityZoneId, s.id]));
  const out: DeepReadonly<Subnet>[] = [];
  for (const id of subnetIds) {
    const subnet = control.store.get('subnet', caller, id);
    if (!subnet) throw Errors.subnetNotFound(id);
    if (subnet.vpcId !== vpc.id) {
      throw apiError('InvalidParameter', `The subnet ID '${id}' does not belong to the VPC '${vpc.id}'.`);
    }
    if (!svc.zoneIds.has(subnet.availabilityZoneId)) {
      throw apiError(
        'InvalidParameter',
        `The VPC endpoint service ${svc.serviceName} does not support the availability zone of the subnet: ${id}.`,
      );
    }
    const other = byZone.get(subnet.availabilityZoneId);
    if (other !== undefined) {
      throw apiError(
        'DuplicateSubnetsInSameZone',
        `Found another VPC endpoint subnet in the availability zone of ${other}. VPC endpoint subnets should be in different availability zones supported by the VPC endpoint service.`,
      );
    }
    byZone.set(subnet.availabilityZoneId, id);
    out.push(subnet);
  }
  return out;
}

/** Security groups must be the caller's and in the endpoint's VPC; duplicates collapse. */
export function requireSecurityGroups(
  control: Control,
  caller: CallerContext,
  vpc: DeepReadonly<Vpc>,
  groupIds: readonly string[],
): string[] {
  const out: string[] = [];
  for (const id of groupIds) {
    const sg = control.store.get('securityGroup', caller, id);
    if (!sg) throw Errors.groupNotFound(id);
    if (sg.vpcId !== vpc.id) {
      throw apiError(
        'InvalidParameter',
        `The security group '${id}' belongs to VPC '${sg.vpcId}', not to the endpoint's VPC '${vpc.id}'.`,
      );
    }
    if (!out.includes(id)) out.push(id);
  }
  return out;
}

export function requireRouteTables(
  control: Control,
  caller: CallerContext,
  vpc: DeepReadonly<Vpc>,
  tableIds: readonly string[],
): DeepReadonly<RouteTable>[] {
  const out: DeepReadonly<RouteTable>[] = [];
  for (const id of tableIds) {
    const rt = control.store.get('routeTable', caller, id);
    if (!rt || rt.vpcId !== vpc.id) throw Errors.routeTableNotFound(id);
    if (!out.some((t) => t.id === id)) out.push(rt);
  }
  return out;
}

/** Adds the gateway endpoint's prefix-list route to each table (one per service per table). */
export function addGatewayRoutes(
  control: Control,
  endpointId: string,
  prefixListId: string,
  tables: readonly DeepReadonly<RouteTable>[],
): void {
  for (const rt of tables) {
    if (rt.routes.some((r) => r.destinationPrefixListId === prefixListId)) {
      throw apiError(
        'RouteAlreadyExists',
        `route table ${rt.id} already has a route with destination-prefix-list-id ${prefixListId}`,
      );
    }
  }
  for (const rt of tables) {
    control.store.put('routeTable', {
      ...rt,
      routes: [
        ...rt.routes,
        {
          destinationPrefixListId: prefixListId,
          gatewayId: endpointId,
          origin: 'CreateRoute',
          state: 'active',
        },
      ],
    });
  }
}

/** Removes the routes a gateway endpoint put in these tables (tables already gone are skipped). */
export function removeGatewayRoutes(control: Control, endpointId: string, tableIds: readonly string[]): void {
  for (const id of tableIds) {
    const rt = control.store.find('routeTable', id);
    if (!rt) continue;
    const routes = rt.routes.filter((r) => r.gatewayId !== endpointId);
    if (routes.length !== rt.routes.length) control.store.put('routeTable', { ...rt, routes });
  }
}

/** The requester-managed ENI of an interface or GWLB endpoint in one subnet. */
export function createEndpointInterface(
  control: Control,
  ep: { id: string; accountId: string; endpointType: EndpointType; groupIds: readonly string[] },
  subnet: DeepReadonly<Subnet>,
  ipv4?: string,
): NetworkInterface {
  return createNetworkInterface(control, {
    subnet,
    interfaceType:
      ep.endpointType === 'GatewayLoadBalancer' ? 'gateway_load_balancer_endpoint' : 'vpc_endpoint',
    description: `VPC Endpoint Interface ${ep.id}`,
    requesterManaged: true,
    groupIds: ep.endpointType === 'Interface' ? ep.groupIds : [],
    ownerResourceId: ep.id,
    privateIpAddress: ipv4,
    addressParam: 'SubnetConfiguration.Ipv4',
    accountId: ep.accountId,
  });
}

export function deleteInterfaces(control: Control, eniIds: readonly string[]): void {
  for (const id of eniIds) control.store.delete('networkInterface', id);
}

/** The endpoint's ENI in a subnet, if any. */
export function interfaceInSubnet(
  control: Control,
  ep: DeepReadonly<VpcEndpoint>,
  subnetId: string,
): DeepReadonly<NetworkInterface> | undefined {
  for (const id of ep.networkInterfaceIds) {
    const eni = control.store.find('networkInterface', id);
    if (eni?.subnetId === subnetId) return eni;
  }
  return undefined;
}

/**
 * Private DNS may be enabled only with both VPC DNS attributes, for a service with a usable
 * private name, and when no other live endpoint of the VPC already answers for that name.
 */
export function checkPrivateDns(
  control: Control,
  caller: CallerContext,
  vpc: DeepReadonly<Vpc>,
  svc: ResolvedService,
  selfId: string,
): void {
  if (!vpc.enableDnsSupport || !vpc.enableDnsHostnames) {
    throw apiError(
      'InvalidParameter',
      `Enabling private DNS requires both enableDnsSupport and enableDnsHostnames VPC attributes set to true for ${vpc.id}`,
    );
  }
  if (!svc.privateDnsName) {
    throw apiError(
      'InvalidParameter',
      `Private DNS can't be enabled because the service ${svc.serviceName} does not provide a private DNS name.`,
    );
  }
  if (!svc.privateDnsUsable) {
    throw apiError(
      'InvalidParameter',
      `Private DNS can't be enabled because the private DNS name ${svc.privateDnsName} of service ${svc.serviceName} is not verified.`,
    );
  }
  for (const other of control.store.list('vpcEndpoint', caller)) {
    if (
      other.id !== selfId &&
      other.vpcId === vpc.id &&
      other.serviceName === svc.serviceName &&
      other.endpointType === 'Interface' &&
      other.privateDnsEnabled &&
      isLive(other)
    ) {
      throw apiError(
        'InvalidParameter',
        `private-dns-enabled cannot be set because there is already a conflicting DNS domain for ${svc.privateDnsName} in the VPC ${vpc.id}`,
      );
    }
  }
}

/** The gateway endpoint a VPC has for a service, if any (PrivateDnsOnlyForInboundResolverEndpoint). */
export function hasGatewayEndpointFor(
  control: Control,
  caller: CallerContext,
  vpcId: string,
  serviceName: string,
): boolean {
  return control.store
    .list('vpcEndpoint', caller)
    .some(
      (e) => e.vpcId === vpcId && e.serviceName === serviceName && e.endpointType === 'Gateway' && isLive(e),
    );
}

const DNS_TYPES_FOR: Record<IpAddressType, readonly DnsRecordIpType[]> = {
  ipv4: ['ipv4', 'service-defined'],
  ipv6: ['ipv6', 'service-defined'],
  dualstack: ['ipv4', 'ipv6', 'dualstack', 'service-defined'],
};

/**
 * Checks IpAddressType against the service and subnets, and DnsRecordIpType against
 * IpAddressType; returns the effective DNS record type (defaults follow the address type).
 */
export function checkIpSettings(
  svc: ResolvedService,
  ipAddressType: IpAddressType,
  dnsRecordIpType: DnsRecordIpType | undefined,
  subnets: readonly DeepReadonly<Subnet>[],
): DnsRecordIpType {
  if (ipAddressType !== 'ipv4') {
    if (!svc.supportedIpAddressTypes.includes('ipv6')) {
      throw apiError(
        'InvalidParameter',
        `The VPC endpoint service ${svc.serviceName} does not support IP address type ${ipAddressType}.`,
      );
    }
    const first = subnets[0];
    if (first) {
      throw apiError(
        'InvalidParameter',
        `IP address type ${ipAddressType} requires IPv6 CIDR blocks, and subnet ${first.id} has none.`,
      );
    }
  }
  const dns = dnsRecordIpType ?? ipAddressType;
  if (!DNS_TYPES_FOR[ipAddressType].includes(dns)) {
    throw apiError(
      'InvalidParameter',
      `DnsRecordIpType ${dns} is not compatible with IpAddressType ${ipAddressType}.`,
    );
  }
  return dns;
}

// ─── Endpoint policies: the default documents and the validation of custom ones ──────────────

export const MAX_POLICY_CHARS = 20_480;

export const DEFAULT_GATEWAY_POLICY =
  '{"Version":"2008-10-17","Statement":[{"Sid":"","Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}';

export const DEFAULT_INTERFACE_POLICY =
  '{\n  "Statement": [\n    {\n      "Action": "*", \n      "Effect": "Allow", \n      "Principal": "*", \n      "Resource": "*"\n    }\n  ]\n}';

/** The document an endpoint of this type gets when none is given (none for GWLB endpoints). */
export function defaultPolicyFor(type: EndpointType): string | undefined {
  if (type === 'Gateway') return DEFAULT_GATEWAY_POLICY;
  if (type === 'Interface') return DEFAULT_INTERFACE_POLICY;
  return undefined;
}

function invalid(why: string) {
  return apiError('InvalidPolicyDocument', `The policy document is not valid: ${why}`);
}

/** Validates a custom policy document; returns it unchanged (AWS stores the text as given). */
export function validatePolicyDocument(doc: string): string {
  if (doc.length > MAX_POLICY_CHARS) {
    throw apiError(
      'InvalidParameter',
      `The policy document exceeds the maximum size of ${MAX_POLICY_CHARS} characters (got ${doc.length}).`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(doc);
  } catch {
    throw invalid('it is not valid JSON.');
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw invalid('the document must be a JSON object.');
  }
  const statement = (parsed as Record<string, unknown>).Statement;
  const statements = Array.isArray(statement) ? (statement as unknown[]) : [statement];
  if (statement === undefined || statements.length === 0) {
    throw invalid('the document must contain a Statement.');
  }
  for (const st of statements) {
    if (!st || typeof st !== 'object' || Array.isArray(st)) {
      throw invalid('every Statement entry must be an object.');
    }
    const s = st as Record<string, unknown>;
    if (s.Effect !== 'Allow' && s.Effect !== 'Deny') {
      throw invalid('every Statement needs an Effect of Allow or Deny.');
    }
    if (s.Principal === undefined && s.NotPrincipal === undefined) {
      throw invalid('every Statement of an endpoint policy needs a Principal.');
    }
  }
  return doc;
}
