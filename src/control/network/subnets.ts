/**
 * Subnets: create inside a VPC's CIDR in one availability zone, delete, and address accounting.
 *
 * Fidelity ledger (AWS EC2 API reference, 2025):
 * - Covered: CIDR inside the VPC (InvalidSubnet.Range), /16–/28 (InvalidSubnet.Range), no
 *   overlap (InvalidSubnet.Conflict), AvailabilityZone or AvailabilityZoneId (must agree), five
 *   reserved addresses, availableIpAddressCount from the network interfaces in the subnet,
 *   DeleteSubnet blocked by network interfaces (DependencyViolation) and dropping the subnet's
 *   route table association.
 * - Gaps: IPv6 and IPAM, Outposts, Local Zones.
 * - By design: without a zone, privlink picks the zone of the region with the fewest subnets of
 *   the VPC (AWS picks one at random), so layouts are deterministic.
 */
import type { Control } from '../control.js';
import type { CallerContext } from '../context.js';
import { apiError } from '../errors.js';
import type { DeepReadonly, Tag } from '../model/common.js';
import type { Subnet } from '../model/network.js';
import { cidrContains, cidrsOverlap, parseCidr } from '../cidr.js';
import { zonesForRegion, type Zone } from '../zones.js';
import type { Stored } from '../../store/store.js';
import { requireOwn, scopeOf } from './core-lookup.js';
import { checkNetworkCidr } from './vpcs.js';
import { addressesInUse } from './addresses.js';
import { dropSubnetAssociations } from './route-tables.js';
import { checkSubnetQuota } from '../quotas.js';

export interface NewSubnet {
  vpcId: string;
  cidrBlock: string;
  availabilityZone?: string;
  availabilityZoneId?: string;
  tags: Tag[];
}

export function subnetArn(s: DeepReadonly<Subnet>): string {
  return `arn:aws:ec2:${s.region}:${s.accountId}:subnet/${s.id}`;
}

/** Usable addresses left: size − 5 reserved − addresses held by network interfaces. */
export function availableIpAddressCount(control: Control, s: DeepReadonly<Subnet>): number {
  return Math.max(0, parseCidr(s.cidrBlock).size - 5 - addressesInUse(control, s).size);
}

function pickZone(control: Control, caller: CallerContext, input: NewSubnet): Zone {
  const zones = zonesForRegion(caller.region);
  const invalidZone = (param: string, value: string) =>
    apiError(
      'InvalidParameterValue',
      `Value (${value}) for parameter ${param} is invalid. Subnets can currently only be created in the following availability zones: ${zones.map((z) => (param === 'availabilityZoneId' ? z.zoneId : z.zoneName)).join(', ')}.`,
    );
  let byName: Zone | undefined;
  let byId: Zone | undefined;
  if (input.availabilityZone !== undefined) {
    byName = zones.find((z) => z.zoneName === input.availabilityZone);
    if (!byName) throw invalidZone('availabilityZone', input.availabilityZone);
  }
  if (input.availabilityZoneId !== undefined) {
    byId = zones.find((z) => z.zoneId === input.availabilityZoneId);
    if (!byId) throw invalidZone('availabilityZoneId', input.availabilityZoneId);
  }
  if (byName && byId && byName.zoneId !== byId.zoneId) {
    throw apiError(
      'InvalidParameterCombination',
      'AvailabilityZone and AvailabilityZoneId name different zones',
    );
  }
  const chosen = byName ?? byId;
  if (chosen) return chosen;
  const counts = new Map(zones.map((z) => [z.zoneName, 0]));
  for (const s of control.store.list('subnet', scopeOf(caller))) {
    if (s.vpcId === input.vpcId) counts.set(s.availabilityZone, (counts.get(s.availabilityZone) ?? 0) + 1);
  }
  const first = zones[0];
  if (!first) throw apiError('InvalidParameterValue', `No availability zones in ${caller.region}`);
  return zones.reduce(
    (best, z) => ((counts.get(z.zoneName) ?? 0) < (counts.get(best.zoneName) ?? 0) ? z : best),
    first,
  );
}

export function createSubnet(control: Control, caller: CallerContext, input: NewSubnet): Stored<'subnet'> {
  const vpc = requireOwn(control, caller, 'vpc', input.vpcId);
  const rangeError = () => apiError('InvalidSubnet.Range', `The CIDR '${input.cidrBlock}' is invalid.`);
  checkNetworkCidr(input.cidrBlock, 'cidrBlock', rangeError);
  const cidr = parseCidr(input.cidrBlock);
  if (!cidrContains(parseCidr(vpc.cidrBlock), cidr)) throw rangeError();
  for (const other of control.store.list('subnet', scopeOf(caller))) {
    if (other.vpcId === vpc.id && cidrsOverlap(parseCidr(other.cidrBlock), cidr)) {
      throw apiError('InvalidSubnet.Conflict', `The CIDR '${input.cidrBlock}' conflicts with another subnet`);
    }
  }
  checkSubnetQuota(control, caller, vpc.id);
  const zone = pickZone(control, caller, input);
  const subnet: Subnet = {
    id: control.ids.resourceId('subnet'),
    accountId: caller.accountId,
    region: caller.region,
    createdAt: control.clock.now(),
    tags: input.tags,
    vpcId: vpc.id,
    cidrBlock: input.cidrBlock,
    availabilityZone: zone.zoneName,
    availabilityZoneId: zone.zoneId,
    state: 'available',
    mapPublicIpOnLaunch: false,
  };
  return control.store.put('subnet', subnet);
}

export function deleteSubnet(control: Control, caller: CallerContext, subnetId: string): void {
  const subnet = requireOwn(control, caller, 'subnet', subnetId);
  // Requester-managed interfaces (endpoints, load balancers) live in the owner's account, but
  // may belong to another account's resources: look at every interface in the subnet.
  const used = control.store.listAll('networkInterface').some((e) => e.subnetId === subnet.id);
  if (used) {
    throw apiError(
      'DependencyViolation',
      `The subnet '${subnet.id}' has dependencies and cannot be deleted.`,
    );
  }
  dropSubnetAssociations(control, subnet);
  control.store.delete('subnet', subnet.id);
}

/** What ModifySubnetAttribute may change; exactly one per call, as on AWS. */
export interface SubnetAttributeChange {
  mapPublicIpOnLaunch?: boolean;
  privateDnsHostnameTypeOnLaunch?: string;
  enableResourceNameDnsARecordOnLaunch?: boolean;
  /** IPv6, Outpost and LNI attributes: privlink has no IPv6 CIDRs, Outposts or LNIs. */
  unsupported?: { name: string; enables: boolean }[];
}

/**
 * ModifySubnetAttribute. Fidelity: one attribute per call (more is InvalidParameterCombination,
 * none is MissingParameter); PrivateDnsHostnameTypeOnLaunch is ip-name or resource-name. By
 * design: turning on an IPv6, Outpost or LNI attribute is UnsupportedOperation (privlink has
 * none of them); turning one off is accepted and changes nothing. DescribeSubnets shows the
 * change at once.
 */
export function modifySubnetAttribute(
  control: Control,
  caller: CallerContext,
  subnetId: string,
  change: SubnetAttributeChange,
): void {
  const subnet = requireOwn(control, caller, 'subnet', subnetId);
  const given = [
    change.mapPublicIpOnLaunch,
    change.privateDnsHostnameTypeOnLaunch,
    change.enableResourceNameDnsARecordOnLaunch,
    ...(change.unsupported ?? []),
  ].filter((v) => v !== undefined);
  if (given.length === 0) {
    throw apiError('MissingParameter', 'The request must contain exactly one attribute to modify.');
  }
  if (given.length > 1) {
    throw apiError('InvalidParameterCombination', 'Only one attribute can be modified at a time.');
  }
  const enabled = change.unsupported?.find((u) => u.enables);
  if (enabled) {
    throw apiError('UnsupportedOperation', `privlink does not support ${enabled.name} on subnets`);
  }
  const hostnameType = change.privateDnsHostnameTypeOnLaunch;
  if (hostnameType !== undefined && hostnameType !== 'ip-name' && hostnameType !== 'resource-name') {
    throw apiError(
      'InvalidParameterValue',
      `Value (${hostnameType.slice(0, 40)}) for parameter PrivateDnsHostnameTypeOnLaunch is invalid. Valid values: ip-name, resource-name`,
    );
  }
  control.store.put('subnet', {
    ...subnet,
    ...(change.mapPublicIpOnLaunch !== undefined && { mapPublicIpOnLaunch: change.mapPublicIpOnLaunch }),
    ...(hostnameType !== undefined && { privateDnsHostnameTypeOnLaunch: hostnameType }),
    ...(change.enableResourceNameDnsARecordOnLaunch !== undefined && {
      enableResourceNameDnsARecordOnLaunch: change.enableResourceNameDnsARecordOnLaunch,
    }),
  });
}
