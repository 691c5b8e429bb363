/**
 * Network and Gateway Load Balancers: create (one node ENI per subnet), describe, delete, and
 * their attributes.
 *
 * Fidelity (ELBv2 API reference and NLB/GWLB user guides, 2025):
 * - Covered: Type network|gateway; Subnets or SubnetMappings (PrivateIPv4Address pins the node
 *   IP), one subnet per AZ, all in one VPC (InvalidConfigurationRequest), unknown subnet →
 *   SubnetNotFound; name rules and DuplicateLoadBalancerName; same name + same settings returns
 *   the existing load balancer (AWS: CreateLoadBalancer is idempotent); SecurityGroups for
 *   network only, each in the VPC (InvalidSecurityGroup); DNS name
 *   `<name>-<16hex>.elb.<region>.amazonaws.com` and the NLB canonical hosted zone per region;
 *   DeleteLoadBalancer refuses with ResourceInUse while an endpoint service uses it and with
 *   OperationNotPermitted under deletion protection; deleting an unknown ARN succeeds.
 * - By design: provisioning is instant — the create response says `provisioning` (as AWS),
 *   the stored and described state is `active`, so the LoadBalancerAvailable waiter passes on its
 *   first poll. Every node's private IP is shown in LoadBalancerAddresses (AWS shows only pinned
 *   ones for internal NLBs), so users can see where the data plane listens.
 * - Gaps: Type=application (no ALBs); AllocationId (no Elastic IPs) → AllocationIdNotFound;
 *   internet-facing is accepted without checking for an internet gateway;
 *   no IPv6 node addresses for dualstack; SetSubnets/SetSecurityGroups/SetIpAddressType.
 */
import type { CallerContext } from '../context.js';
import type { Control } from '../control.js';
import { apiError, isApiError } from '../errors.js';
import type { Tag } from '../model/common.js';
import type { LoadBalancer, LoadBalancerNode } from '../model/elb.js';
import { loadBalancerArn } from '../names.js';
import { findZone } from '../zones.js';
import type { Stored } from '../../store/store.js';
import { createNetworkInterface } from '../network/addresses.js';
import {
  applyAttributes,
  attributeList,
  defaultAttributes,
  loadBalancerAttributeTable,
  type AttributeInput,
} from './attributes.js';
import {
  findLoadBalancer,
  getLoadBalancer,
  listenersOf,
  pageOf,
  newElbResource,
  pickByArns,
  pickByNames,
  scopeOf,
  validateElbName,
} from './common.js';
import { validateElbTags, type ElbTagInput } from './tags.js';
import { checkLoadBalancerQuota } from '../quotas.js';

export interface SubnetMappingInput {
  subnetId?: string;
  allocationId?: string;
  privateIPv4Address?: string;
  ipv6Address?: string;
}

export interface CreateLoadBalancerRequest {
  name: string;
  type?: string;
  scheme?: 'internet-facing' | 'internal';
  ipAddressType?: string;
  subnets: readonly string[];
  subnetMappings: readonly SubnetMappingInput[];
  securityGroups: readonly string[];
  tags: readonly ElbTagInput[];
}

/** Hosted zone IDs of NLB DNS names per region (AWS's published table); deterministic elsewhere. */
const NLB_ZONE_IDS: Record<string, string> = {
  'us-east-1': 'Z26RNL4JYFTOTI',
  'us-east-2': 'ZLMOA37VPKANP',
  'us-west-1': 'Z24FKFUX50B4VW',
  'us-west-2': 'Z18D5FSROUN65G',
  'eu-west-1': 'Z2IFOLAFXWLO4F',
  'eu-west-2': 'ZD4D7Y8KGAS4G',
  'eu-central-1': 'Z3F0SRJ5LGBH90',
  'ap-southeast-1': 'ZKVM4W9LS7TM',
  'ap-northeast-1': 'Z31USIVHYNEOWT',
};

export function nlbHostedZoneId(region: string): string {
  const known = NLB_ZONE_IDS[region];
  if (known) return known;
  let h = 7;
  for (const c of region) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return ('Z' + h.toString(36).toUpperCase() + 'NLB000000000').slice(0, 14);
}

/** The 16-hex suffix of a load balancer ARN (also the DNS name's suffix). */
export function loadBalancerSuffix(arn: string): string {
  return arn.slice(arn.lastIndexOf('/') + 1);
}

interface ResolvedMapping {
  subnet: Stored<'subnet'>;
  privateIPv4Address?: string;
}

function resolveSubnets(
  control: Control,
  caller: CallerContext,
  req: CreateLoadBalancerRequest,
): ResolvedMapping[] {
  if (req.subnets.length > 0 && req.subnetMappings.length > 0) {
    throw apiError('ValidationError', 'You can specify subnets or subnet mappings, but not both');
  }
  const mappings: SubnetMappingInput[] =
    req.subnets.length > 0 ? req.subnets.map((subnetId) => ({ subnetId })) : [...req.subnetMappings];
  if (mappings.length === 0) {
    throw apiError(
      'ValidationError',
      'At least one subnet must be specified for a network or gateway load balancer',
    );
  }
  const out: ResolvedMapping[] = [];
  const zones = new Set<string>();
  let vpcId: string | undefined;
  for (const m of mappings) {
    if (!m.subnetId) throw apiError('ValidationError', 'A subnet mapping must specify SubnetId');
    const subnet = control.store.get('subnet', scopeOf(caller), m.subnetId);
    if (!subnet) throw apiError('SubnetNotFound', `The subnet ID '${m.subnetId}' is not valid`);
    if (m.allocationId) {
      throw apiError('AllocationIdNotFound', `The allocation ID '${m.allocationId}' was not found`);
    }
    if (m.ipv6Address) {
      throw apiError(
        'InvalidConfigurationRequest',
        `IPv6 address '${m.ipv6Address}' cannot be assigned: subnet '${subnet.id}' has no IPv6 CIDR block`,
      );
    }
    if (vpcId !== undefined && subnet.vpcId !== vpcId) {
      throw apiError('InvalidConfigurationRequest', 'All subnets must belong to the same VPC');
    }
    vpcId = subnet.vpcId;
    if (zones.has(subnet.availabilityZoneId)) {
      throw apiError(
        'InvalidConfigurationRequest',
        `A load balancer cannot be attached to multiple subnets in the same Availability Zone (${subnet.availabilityZone})`,
      );
    }
    zones.add(subnet.availabilityZoneId);
    out.push({ subnet, privateIPv4Address: m.privateIPv4Address });
  }
  return out;
}

function resolveSecurityGroups(
  control: Control,
  caller: CallerContext,
  type: 'network' | 'gateway',
  vpcId: string,
  groups: readonly string[],
): string[] {
  if (groups.length === 0) return [];
  if (type === 'gateway') {
    throw apiError(
      'InvalidConfigurationRequest',
      "Security groups are not supported for load balancers with type 'gateway'",
    );
  }
  const out: string[] = [];
  for (const id of groups) {
    const sg = control.store.get('securityGroup', scopeOf(caller), id);
    if (!sg) throw apiError('InvalidSecurityGroup', `Security group '${id}' does not exist`);
    if (sg.vpcId !== vpcId) {
      throw apiError('InvalidSecurityGroup', `Security group '${id}' does not belong to VPC '${vpcId}'`);
    }
    if (!out.includes(id)) out.push(id);
  }
  return out;
}

function sameSettings(
  lb: Stored<'loadBalancer'>,
  type: string,
  scheme: string,
  ipAddressType: string,
  subnetIds: readonly string[],
  groups: readonly string[],
): boolean {
  const a = [...lb.nodes.map((n) => n.subnetId)].sort().join(',');
  const b = [...subnetIds].sort().join(',');
  return (
    lb.type === type &&
    lb.scheme === scheme &&
    lb.ipAddressType === ipAddressType &&
    a === b &&
    [...lb.securityGroups].sort().join(',') === [...groups].sort().join(',')
  );
}

/**
 * Creates a load balancer and its node ENIs (inside the caller's transaction). Returns the stored
 * load balancer and whether it is new (false when an identical one already existed).
 */
export function createLoadBalancer(
  control: Control,
  caller: CallerContext,
  req: CreateLoadBalancerRequest,
): { lb: Stored<'loadBalancer'>; created: boolean } {
  const type = req.type ?? 'application';
  if (type !== 'network' && type !== 'gateway') {
    throw apiError(
      'InvalidConfigurationRequest',
      `Load balancer type '${type}' is not supported by privlink: use Type=network (Network Load Balancer) or Type=gateway (Gateway Load Balancer)`,
    );
  }
  validateElbName(req.name, 'load balancer');
  const tags: Tag[] = validateElbTags(req.tags);
  const mappings = resolveSubnets(control, caller, req);
  const vpcId = mappings[0]?.subnet.vpcId ?? '';
  const scheme = req.scheme ?? (type === 'gateway' ? 'internal' : 'internet-facing');
  const ipAddressType = req.ipAddressType ?? 'ipv4';
  if (ipAddressType === 'dualstack-without-public-ipv4') {
    throw apiError(
      'InvalidConfigurationRequest',
      "IP address type 'dualstack-without-public-ipv4' is only supported by Application Load Balancers",
    );
  }
  const groups = resolveSecurityGroups(control, caller, type, vpcId, req.securityGroups);

  const existing = control.store.list('loadBalancer', scopeOf(caller)).find((l) => l.name === req.name);
  if (existing) {
    const subnetIds = mappings.map((m) => m.subnet.id);
    if (sameSettings(existing, type, scheme, ipAddressType, subnetIds, groups)) {
      return { lb: existing, created: false };
    }
    throw apiError('DuplicateLoadBalancerName', `A load balancer with the name '${req.name}' already exists`);
  }

  checkLoadBalancerQuota(control, caller, mappings.length);
  const hex = control.ids.hex(16);
  const arn = loadBalancerArn(caller.region, caller.accountId, type, req.name, hex);
  const nodes = mappings.map((m, i) =>
    makeNode(control, caller, { type, name: req.name, hex, arn, groups }, m, i),
  );
  const lb: LoadBalancer = {
    ...newElbResource(control, caller, arn, tags),
    name: req.name,
    type,
    scheme,
    vpcId,
    state: 'active',
    ipAddressType,
    nodes,
    securityGroups: groups,
    dnsName: type === 'network' ? `${req.name}-${hex}.elb.${caller.region}.amazonaws.com` : undefined,
    canonicalHostedZoneId: type === 'network' ? nlbHostedZoneId(caller.region) : undefined,
    attributes: defaultAttributes(loadBalancerAttributeTable(type)),
  };
  return { lb: control.store.put('loadBalancer', lb), created: true };
}

export interface DescribeLoadBalancersRequest {
  arns: readonly string[];
  names: readonly string[];
  marker?: string;
  pageSize?: number;
}

export function describeLoadBalancers(
  control: Control,
  caller: CallerContext,
  req: DescribeLoadBalancersRequest,
): { items: Stored<'loadBalancer'>[]; nextMarker?: string } {
  if (req.arns.length > 0 && req.names.length > 0) {
    throw apiError(
      'ValidationError',
      'Load balancer names and load balancer ARNs cannot be specified at the same time',
    );
  }
  const all = control.store.list('loadBalancer', scopeOf(caller));
  let items = all;
  if (req.arns.length > 0) {
    items = pickByArns(req.arns, (arn) => getLoadBalancer(control, caller, arn));
  } else if (req.names.length > 0) {
    items = pickByNames(all, req.names, (missing) =>
      apiError('LoadBalancerNotFound', `Load balancers '[${missing.join(', ')}]' not found`),
    );
  }
  return pageOf(items, (lb) => lb.id, req.marker, req.pageSize);
}

/** Endpoint services (any state but Deleted) whose configuration names this load balancer. */
export function endpointServicesUsing(control: Control, arn: string): Stored<'endpointService'>[] {
  return control.store
    .listAll('endpointService')
    .filter(
      (s) =>
        s.state !== 'Deleted' &&
        (s.networkLoadBalancerArns.includes(arn) || s.gatewayLoadBalancerArns.includes(arn)),
    );
}

/** Deletes a load balancer, its listeners and node ENIs. An unknown ARN is not an error (as AWS). */
export function deleteLoadBalancer(control: Control, caller: CallerContext, arn: string): void {
  const lb = findLoadBalancer(control, caller, arn);
  if (!lb) return;
  if (lb.attributes['deletion_protection.enabled'] === 'true') {
    throw apiError(
      'OperationNotPermitted',
      `Load balancer '${arn}' cannot be deleted because deletion protection is enabled`,
    );
  }
  if (endpointServicesUsing(control, arn).length > 0) {
    throw apiError(
      'ResourceInUse',
      `Load balancer '${arn}' cannot be deleted because it is currently associated with another service`,
    );
  }
  for (const l of listenersOf(control, lb)) control.store.delete('listener', l.id);
  for (const n of lb.nodes) control.store.delete('networkInterface', n.networkInterfaceId);
  control.store.delete('loadBalancer', arn);
}

export function describeLoadBalancerAttributes(
  control: Control,
  caller: CallerContext,
  arn: string,
): { Key: string; Value: string }[] {
  const lb = getLoadBalancer(control, caller, arn);
  return attributeList(loadBalancerAttributeTable(lb.type), lb.attributes);
}

export function modifyLoadBalancerAttributes(
  control: Control,
  caller: CallerContext,
  arn: string,
  changes: readonly AttributeInput[],
): { Key: string; Value: string }[] {
  const lb = getLoadBalancer(control, caller, arn);
  const table = loadBalancerAttributeTable(lb.type);
  const next = applyAttributes(table, lb.attributes, changes, 'Load balancer');
  if (next['access_logs.s3.enabled'] === 'true' && !next['access_logs.s3.bucket']) {
    throw apiError(
      'InvalidConfigurationRequest',
      "The value of 'access_logs.s3.bucket' cannot be empty when access logs are enabled",
    );
  }
  control.store.put('loadBalancer', { ...lb, attributes: next });
  return attributeList(table, next);
}

/**
 * DescribeCapacityReservation. privlink has no LCU capacity to reserve, so every load balancer
 * answers as one that never had a reservation: no minimum capacity and no zonal states. Terraform
 * reads it on every `aws_lb` refresh. ModifyCapacityReservation stays unsupported.
 */
export function describeCapacityReservation(
  control: Control,
  caller: CallerContext,
  arn: string,
): { capacityReservationState: [] } {
  getLoadBalancer(control, caller, arn);
  return { capacityReservationState: [] };
}

/** One load balancer node: its requester-managed ENI in the mapping's subnet. */
function makeNode(
  control: Control,
  caller: CallerContext,
  lb: { type: 'network' | 'gateway'; name: string; hex: string; arn: string; groups: readonly string[] },
  m: ResolvedMapping,
  i: number,
): LoadBalancerNode {
  const prefix = lb.type === 'network' ? 'net' : 'gwy';
  let eni;
  try {
    eni = createNetworkInterface(control, {
      subnet: m.subnet,
      interfaceType: lb.type === 'network' ? 'network_load_balancer' : 'gateway_load_balancer',
      description: `ELB ${prefix}/${lb.name}/${lb.hex}`,
      requesterManaged: true,
      requesterId: 'amazon-elb',
      groupIds: lb.groups,
      ownerResourceId: lb.arn,
      privateIpAddress: m.privateIPv4Address,
      addressParam: `SubnetMappings.member.${i + 1}.PrivateIPv4Address`,
      accountId: caller.accountId,
    });
  } catch (e) {
    // AWS reports a bad pinned address as a configuration problem of the load balancer.
    if (isApiError(e)) throw apiError('InvalidConfigurationRequest', e.message);
    throw e;
  }
  const zone = findZone(caller.region, m.subnet.availabilityZone);
  return {
    subnetId: m.subnet.id,
    zoneName: m.subnet.availabilityZone,
    zoneId: zone?.zoneId ?? m.subnet.availabilityZoneId,
    privateIpAddress: eni.privateIpAddress,
    networkInterfaceId: eni.id,
  };
}

/** The 16 hex digits that end a load balancer's ARN (they name its node ENIs too). */
const arnHex = (arn: string): string => arn.slice(arn.lastIndexOf('/') + 1);

/**
 * SetSecurityGroups. Fidelity (ELBv2 API reference and NLB user guide): a Network Load Balancer
 * created without security groups cannot get some later, one created with them cannot lose all
 * of them (both InvalidConfigurationRequest); Gateway Load Balancers take none; the groups must be
 * in the load balancer's VPC (InvalidSecurityGroup); the node ENIs carry the new groups;
 * EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic is on or off.
 */
export function setSecurityGroups(
  control: Control,
  caller: CallerContext,
  arn: string,
  groupIds: readonly string[],
  enforce: string | undefined,
): Stored<'loadBalancer'> {
  const lb = getLoadBalancer(control, caller, arn);
  const groups = resolveSecurityGroups(control, caller, lb.type, lb.vpcId, groupIds);
  if (lb.securityGroups.length === 0 && groups.length > 0) {
    throw apiError(
      'InvalidConfigurationRequest',
      'You cannot add security groups to a Network Load Balancer that was created without security groups',
    );
  }
  if (lb.securityGroups.length > 0 && groups.length === 0) {
    throw apiError(
      'InvalidConfigurationRequest',
      'You cannot remove all security groups from a Network Load Balancer that was created with security groups',
    );
  }
  if (enforce !== undefined && enforce !== 'on' && enforce !== 'off') {
    throw apiError(
      'ValidationError',
      `Value '${enforce.slice(0, 20)}' at 'enforceSecurityGroupInboundRulesOnPrivateLinkTraffic' must be one of: on, off`,
    );
  }
  for (const node of lb.nodes) {
    const eni = control.store.find('networkInterface', node.networkInterfaceId);
    if (eni) control.store.put('networkInterface', { ...eni, groupIds: [...groups] });
  }
  return control.store.put('loadBalancer', {
    ...lb,
    securityGroups: groups,
    ...(enforce !== undefined && { enforcePrivateLinkInboundRules: enforce === 'on' }),
  });
}

/**
 * SetSubnets. Fidelity: a Network Load Balancer can gain subnets in new Availability Zones but
 * never lose one (InvalidConfigurationRequest); every subnet of the VPC, one per zone, as at
 * creation; a new zone gets a node ENI at once.
 */
export function setSubnets(
  control: Control,
  caller: CallerContext,
  arn: string,
  req: Pick<CreateLoadBalancerRequest, 'subnets' | 'subnetMappings' | 'ipAddressType'>,
): Stored<'loadBalancer'> {
  const lb = getLoadBalancer(control, caller, arn);
  const mappings = resolveSubnets(control, caller, { ...req, name: lb.name, securityGroups: [], tags: [] });
  if (mappings.some((m) => m.subnet.vpcId !== lb.vpcId)) {
    throw apiError('InvalidSubnet', `The subnets must belong to the load balancer's VPC '${lb.vpcId}'`);
  }
  const wanted = new Set(mappings.map((m) => m.subnet.id));
  const dropped = lb.nodes.find((n) => !wanted.has(n.subnetId));
  if (dropped) {
    throw apiError(
      'InvalidConfigurationRequest',
      `A ${lb.type === 'network' ? 'Network' : 'Gateway'} Load Balancer cannot leave subnet '${dropped.subnetId}' (Availability Zone ${dropped.zoneName})`,
    );
  }
  const have = new Set(lb.nodes.map((n) => n.subnetId));
  const added = mappings
    .map((m, i) => ({ m, i }))
    .filter(({ m }) => !have.has(m.subnet.id))
    .map(({ m, i }) =>
      makeNode(
        control,
        caller,
        { type: lb.type, name: lb.name, hex: arnHex(lb.arn), arn: lb.arn, groups: lb.securityGroups },
        m,
        i,
      ),
    );
  const ipAddressType = req.ipAddressType ?? lb.ipAddressType;
  checkIpAddressType(ipAddressType);
  return control.store.put('loadBalancer', { ...lb, ipAddressType, nodes: [...lb.nodes, ...added] });
}

function checkIpAddressType(t: string): void {
  if (t === 'dualstack-without-public-ipv4') {
    throw apiError(
      'InvalidConfigurationRequest',
      "IP address type 'dualstack-without-public-ipv4' is only supported by Application Load Balancers",
    );
  }
  if (t !== 'ipv4' && t !== 'dualstack') {
    throw apiError(
      'ValidationError',
      `Value '${t.slice(0, 40)}' at 'ipAddressType' must be one of: ipv4, dualstack`,
    );
  }
}

/** SetIpAddressType: ipv4 or dualstack, as at creation. */
export function setIpAddressType(
  control: Control,
  caller: CallerContext,
  arn: string,
  ipAddressType: string,
): Stored<'loadBalancer'> {
  const lb = getLoadBalancer(control, caller, arn);
  checkIpAddressType(ipAddressType);
  return control.store.put('loadBalancer', { ...lb, ipAddressType });
}
