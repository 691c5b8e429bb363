/**
 * Quotas: AWS's default per-account, per-Region service quotas with AWS's error codes, and the
 * server-wide caps that protect the host (every VPC, instance, endpoint ENI and NLB node is a
 * kernel network namespace, and any 12-digit access key is a new account, so per-account quotas
 * alone do not bound the host).
 *
 * The create use-cases call one check each, after validating their input (AWS reports a bad
 * parameter before a quota) and before writing; they run inside the request's transaction, so a
 * refused create leaves nothing behind.
 *
 * Fidelity (Amazon VPC, PrivateLink, ELB and EC2 quota pages, 2025):
 * - Covered: VPCs per Region 5 (`VpcLimitExceeded`), subnets per VPC 200 (`SubnetLimitExceeded`),
 *   security groups per Region 2500 (`SecurityGroupLimitExceeded`), Interface + GWLB endpoints per
 *   VPC 50 (`VpcEndpointLimitExceeded`, checked by the endpoint use-case), Network/Gateway Load
 *   Balancers per Region 50 (`TooManyLoadBalancers`), target groups per Region 3000
 *   (`TooManyTargetGroups`), running instances 20 (`InstanceLimitExceeded`; AWS counts vCPUs
 *   today, the older instance-count default is what privlink counts). All adjustable with
 *   `--quota NAME=N`, as AWS's are through Service Quotas.
 * - Gaps: no vCPU accounting; no quota on endpoint services (AWS documents none; each needs its
 *   own NLB, so the load balancer quota bounds them); network interfaces per Region not counted.
 * - By design: the server caps (`--max-namespaces`, `--max-instances`) have no AWS counterpart.
 *   They answer as AWS answers when it lacks capacity: `InsufficientInstanceCapacity` for
 *   instances, and the resource's own limit error (`VpcLimitExceeded`,
 *   `VpcEndpointLimitExceeded`, `TooManyLoadBalancers`) naming the server limit otherwise.
 */
import type { Control } from './control.js';
import type { CallerContext } from './context.js';
import { apiError, type ErrorCode } from './errors.js';

export type { AccountQuotas, QuotaConfig, ServerCaps } from './quota-config.js';
import type { QuotaConfig } from './quota-config.js';

export const DEFAULT_QUOTAS: Readonly<QuotaConfig> = {
  vpcsPerRegion: 5,
  subnetsPerVpc: 200,
  securityGroupsPerRegion: 2500,
  interfaceEndpointsPerVpc: 50,
  loadBalancersPerRegion: 50,
  targetGroupsPerRegion: 3000,
  instancesPerRegion: 20,
  maxNamespaces: 1000,
  maxInstances: 100,
};

/** The limit in force: the configured value, else AWS's default. */
export function quota(control: Control, name: keyof QuotaConfig): number {
  const configured = control.config.quotas?.[name];
  return configured ?? DEFAULT_QUOTAS[name];
}

const scope = (c: CallerContext) => ({ accountId: c.accountId, region: c.region });

/** Namespaces the data plane holds or will hold for what is stored now. */
export function namespaceCount(control: Control): number {
  const s = control.store;
  let n = s.listAll('vpc').length;
  n += s.listAll('instance').filter((i) => i.state !== 'terminated').length;
  n += s.listAll('networkInterface').filter((e) => e.requesterManaged).length;
  return n;
}

function liveInstances(control: Control): number {
  return control.store
    .listAll('instance')
    .filter((i) => i.state !== 'terminated' && i.state !== 'shutting-down').length;
}

function serverFull(code: ErrorCode, what: string, need: number, limit: number, flag: string) {
  return apiError(
    code,
    `privlink server limit reached: ${what} would need ${need} more network namespace(s) or instance(s) beyond the ${limit} this server allows (${flag}).`,
  );
}

function checkNamespaces(control: Control, need: number, code: ErrorCode, what: string): void {
  const limit = quota(control, 'maxNamespaces');
  if (namespaceCount(control) + need > limit) throw serverFull(code, what, need, limit, '--max-namespaces');
}

/** CreateVpc. */
export function checkVpcQuota(control: Control, caller: CallerContext): void {
  const limit = quota(control, 'vpcsPerRegion');
  if (control.store.list('vpc', scope(caller)).length >= limit) {
    throw apiError('VpcLimitExceeded', 'The maximum number of VPCs has been reached.');
  }
  checkNamespaces(control, 1, 'VpcLimitExceeded', 'a VPC');
}

/** CreateSubnet. */
export function checkSubnetQuota(control: Control, caller: CallerContext, vpcId: string): void {
  const limit = quota(control, 'subnetsPerVpc');
  if (control.store.list('subnet', scope(caller)).filter((s) => s.vpcId === vpcId).length >= limit) {
    throw apiError(
      'SubnetLimitExceeded',
      `The maximum number of subnets (${limit}) in VPC ${vpcId} has been reached.`,
    );
  }
}

/** CreateSecurityGroup (the default group of a new VPC is covered by the VPC quota). */
export function checkSecurityGroupQuota(control: Control, caller: CallerContext): void {
  const limit = quota(control, 'securityGroupsPerRegion');
  if (control.store.list('securityGroup', scope(caller)).length >= limit) {
    throw apiError('SecurityGroupLimitExceeded', 'The maximum number of security groups has been reached.');
  }
}

/** CreateLoadBalancer with one node (namespace) per subnet. */
export function checkLoadBalancerQuota(control: Control, caller: CallerContext, nodes: number): void {
  const limit = quota(control, 'loadBalancersPerRegion');
  if (control.store.list('loadBalancer', scope(caller)).length >= limit) {
    throw apiError('TooManyLoadBalancers', 'The quota for the number of load balancers has been reached.');
  }
  checkNamespaces(control, nodes, 'TooManyLoadBalancers', 'a load balancer');
}

/** CreateTargetGroup. */
export function checkTargetGroupQuota(control: Control, caller: CallerContext): void {
  const limit = quota(control, 'targetGroupsPerRegion');
  if (control.store.list('targetGroup', scope(caller)).length >= limit) {
    throw apiError('TooManyTargetGroups', 'The quota for the number of target groups has been reached.');
  }
}

/** CreateVpcEndpoint (Interface or GWLB) with one ENI namespace per subnet. */
export function checkEndpointRoom(control: Control, enis: number): void {
  if (enis > 0) checkNamespaces(control, enis, 'VpcEndpointLimitExceeded', 'the VPC endpoint');
}

/**
 * Any requester-managed ENI (endpoint subnets added by ModifyVpcEndpoint, NLB nodes): the last
 * guard before a namespace is promised.
 */
export function checkManagedInterfaceRoom(control: Control, interfaceType: string): void {
  const code: ErrorCode = interfaceType.endsWith('load_balancer')
    ? 'TooManyLoadBalancers'
    : 'VpcEndpointLimitExceeded';
  checkNamespaces(control, 1, code, 'a network interface');
}

/**
 * RunInstances: how many of the requested instances the server has room for; refuses with
 * InsufficientInstanceCapacity (AWS's answer when it lacks capacity, not the caller's quota)
 * when fewer than minCount fit.
 */
export function instanceRoom(control: Control, minCount: number): number {
  const room = Math.min(
    quota(control, 'maxInstances') - liveInstances(control),
    quota(control, 'maxNamespaces') - namespaceCount(control),
  );
  if (room < minCount) {
    throw apiError(
      'InsufficientInstanceCapacity',
      `We currently do not have sufficient capacity to launch ${minCount} instance(s): privlink server limit reached (--max-instances ${quota(control, 'maxInstances')}, --max-namespaces ${quota(control, 'maxNamespaces')}).`,
    );
  }
  return room;
}
