/**
 * VPCs: create (with their main route table, default security group and DHCP options ID),
 * delete, and the DNS attributes interface endpoints depend on.
 *
 * Fidelity ledger (AWS EC2 API reference, 2025):
 * - Covered: CIDR /16–/28 (InvalidVpcRange), host bits refused (InvalidParameterValue),
 *   enableDnsSupport=true / enableDnsHostnames=false by default, one attribute per
 *   ModifyVpcAttribute call, hostnames need DNS support, DeleteVpc blocked by subnets, non-default
 *   security groups, non-main route tables, endpoints and network interfaces (DependencyViolation)
 *   and removing the default group and main route table with it.
 * - Gaps: IPv6 and IPAM CIDRs, secondary CIDR blocks, default VPCs, encryption controls.
 * - By design: VPCs are `available` as soon as CreateVpc returns (AWS briefly shows `pending`).
 */
import type { Control } from '../control.js';
import type { CallerContext } from '../context.js';
import { apiError, Errors } from '../errors.js';
import type { Tag } from '../model/common.js';
import type { Vpc } from '../model/network.js';
import { cidrString, cidrsOverlap, parseCidr } from '../cidr.js';
import type { Stored } from '../../store/store.js';
import { requireOwn, scopeOf } from './core-lookup.js';
import { createDefaultSecurityGroup } from './security-groups.js';
import { createMainRouteTable, isMainRouteTable } from './route-tables.js';
import { checkVpcQuota } from '../quotas.js';

export interface NewVpc {
  cidrBlock: string;
  instanceTenancy?: string;
  tags: Tag[];
}

/** A CIDR for a VPC or subnet: well formed, no host bits, /16 to /28 (else `rangeError`). */
export function checkNetworkCidr(value: string, param: string, rangeError: () => Error): void {
  const c = parseCidr(value, param);
  if (cidrString(c) !== value) throw Errors.invalidValue(param, value, 'This is not a valid CIDR block.');
  if (c.prefix < 16 || c.prefix > 28) throw rangeError();
}

/**
 * Ranges no VPC may use (AWS VPC user guide, "IPv4 VPC CIDR blocks"): "this network", link-local
 * (where instances reach IMDS and the Amazon DNS, and where privlink's fabric lives) and
 * multicast/reserved. By design, loopback (127.0.0.0/8), which AWS also refuses, is accepted: in
 * loopback mode (no root, no namespaces) a VPC in 127.0.0.0/8 is how IP targets and instances
 * live on the host's loopback addresses.
 */
const RESTRICTED_VPC_RANGES = ['0.0.0.0/8', '169.254.0.0/16', '224.0.0.0/3'];

export function createVpc(control: Control, caller: CallerContext, input: NewVpc): Stored<'vpc'> {
  checkNetworkCidr(input.cidrBlock, 'cidrBlock', () =>
    apiError('InvalidVpcRange', `The CIDR '${input.cidrBlock}' is invalid.`),
  );
  if (RESTRICTED_VPC_RANGES.some((r) => cidrsOverlap(parseCidr(r), parseCidr(input.cidrBlock)))) {
    throw apiError('InvalidVpcRange', `The CIDR '${input.cidrBlock}' is restricted.`);
  }
  const tenancy = input.instanceTenancy ?? 'default';
  if (!['default', 'dedicated', 'host'].includes(tenancy)) {
    throw Errors.invalidValue('instanceTenancy', tenancy);
  }
  checkVpcQuota(control, caller);
  const id = control.ids.resourceId('vpc');
  const rtbId = control.ids.resourceId('rtb');
  const sgId = control.ids.resourceId('sg');
  const vpc: Vpc = {
    id,
    accountId: caller.accountId,
    region: caller.region,
    createdAt: control.clock.now(),
    tags: input.tags,
    cidrBlock: input.cidrBlock,
    state: 'available',
    instanceTenancy: tenancy,
    isDefault: false,
    dhcpOptionsId: `dopt-${control.ids.hex(17)}`,
    enableDnsSupport: true,
    enableDnsHostnames: false,
    enableNetworkAddressUsageMetrics: false,
    mainRouteTableId: rtbId,
    defaultSecurityGroupId: sgId,
    cidrAssociationId: `vpc-cidr-assoc-${control.ids.hex(17)}`,
  };
  const stored = control.store.put('vpc', vpc);
  createMainRouteTable(control, stored, rtbId);
  createDefaultSecurityGroup(control, stored, sgId);
  return stored;
}

/** Why a VPC cannot be deleted yet: the first dependent's ID, if any. */
function dependentOf(control: Control, vpc: Stored<'vpc'>): string | undefined {
  const scope = { accountId: vpc.accountId, region: vpc.region };
  const inVpc = <T extends { vpcId?: string; id: string }>(xs: readonly T[]) =>
    xs.find((x) => x.vpcId === vpc.id);
  return (
    inVpc(control.store.list('subnet', scope))?.id ??
    inVpc(control.store.list('securityGroup', scope).filter((g) => g.groupName !== 'default'))?.id ??
    inVpc(control.store.list('routeTable', scope).filter((t) => !isMainRouteTable(t)))?.id ??
    inVpc(control.store.list('vpcEndpoint', scope).filter((e) => e.state !== 'deleted'))?.id ??
    inVpc(control.store.list('networkInterface', scope))?.id ??
    inVpc(control.store.list('loadBalancer', scope))?.id
  );
}

export function deleteVpc(control: Control, caller: CallerContext, vpcId: string): void {
  const vpc = requireOwn(control, caller, 'vpc', vpcId);
  if (dependentOf(control, vpc) !== undefined) {
    throw apiError('DependencyViolation', `The vpc '${vpc.id}' has dependencies and cannot be deleted.`);
  }
  const scope = scopeOf(caller);
  for (const g of control.store.list('securityGroup', scope)) {
    if (g.vpcId === vpc.id) control.store.delete('securityGroup', g.id);
  }
  for (const t of control.store.list('routeTable', scope)) {
    if (t.vpcId === vpc.id) control.store.delete('routeTable', t.id);
  }
  control.store.delete('vpc', vpc.id);
}

export type VpcAttribute = 'enableDnsSupport' | 'enableDnsHostnames' | 'enableNetworkAddressUsageMetrics';

export function vpcAttribute(vpc: Stored<'vpc'>, attribute: VpcAttribute): boolean {
  return attribute === 'enableNetworkAddressUsageMetrics'
    ? (vpc.enableNetworkAddressUsageMetrics ?? false)
    : vpc[attribute];
}

export function modifyVpcAttribute(
  control: Control,
  caller: CallerContext,
  vpcId: string,
  changes: Partial<Record<VpcAttribute, boolean>>,
): void {
  const vpc = requireOwn(control, caller, 'vpc', vpcId);
  const given = Object.entries(changes).filter(([, v]) => v !== undefined);
  const only = given[0];
  if (!only) {
    throw apiError(
      'MissingParameter',
      'The request must contain one of EnableDnsSupport, EnableDnsHostnames or EnableNetworkAddressUsageMetrics',
    );
  }
  if (given.length > 1) {
    throw apiError(
      'InvalidParameterCombination',
      `Fields for multiple attribute types specified: ${given.map(([k]) => k).join(', ')}`,
    );
  }
  const [name, value] = only as [VpcAttribute, boolean];
  if (name === 'enableDnsHostnames' && value && !vpc.enableDnsSupport) {
    throw apiError(
      'InvalidParameterValue',
      'Cannot enable DNS hostnames when DNS support is disabled for the VPC',
    );
  }
  control.store.put('vpc', { ...vpc, [name]: value });
}
