/**
 * ModifyVpcEndpoint and ModifyVpcEndpointPayerResponsibility (consumer side).
 *
 * Fidelity ledger (reference §5.1–5.3, §5.7, §6.2, §6.19):
 * - Covered: add/remove subnets (ENIs created/deleted, same AZ rules as create), add/remove
 *   security groups (every ENI follows), SubnetConfiguration with a new Ipv4 replaces that
 *   subnet's ENI, PolicyDocument / ResetPolicy (InvalidParameterCombination together),
 *   PrivateDnsEnabled with the create-time checks, IpAddressType and DnsOptions, gateway route
 *   tables (routes added/removed); unknown endpoint → InvalidVpcEndpointId.NotFound; endpoints
 *   being deleted → IncorrectState; the GWLB endpoint's subnet is fixed.
 *   Payer responsibility per scope, shown as `payerResponsibilitySet`.
 * - Gaps: the endpoint keeps its state during a modify (AWS may show `pending` briefly; every
 *   client waits for `available`, which it already is).
 * - By design: adding a subnet or group the endpoint already has is a no-op; removing one it does
 *   not have is InvalidParameter, so a caller's mistaken diff is visible. An interface endpoint
 *   must keep at least one security group.
 */
import type { Control } from '../control.js';
import type { CallerContext } from '../context.js';
import { apiError } from '../errors.js';
import type { DeepReadonly } from '../model/common.js';
import type { Subnet } from '../model/network.js';
import type { VpcEndpoint } from '../model/privatelink.js';
import { defaultPolicyFor } from './endpoint-policy.js';
import { resolveServiceOfEndpoint, type ResolvedService } from './service-catalog.js';
import {
  addGatewayRoutes,
  checkIpSettings,
  checkPrivateDns,
  createEndpointInterface,
  deleteInterfaces,
  interfaceInSubnet,
  removeGatewayRoutes,
  requireEndpointSubnets,
  requireOwnVpc,
  requireRouteTables,
  requireSecurityGroups,
  type IpAddressType,
} from './vpc-endpoint-parts.js';
import {
  checkDnsOptions,
  endpointPolicy,
  pinnedAddresses,
  requireOwnEndpoint,
  type DnsOptionsInput,
  type SubnetConfigInput,
} from './vpc-endpoints.js';

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

function bad(message: string) {
  return apiError('InvalidParameter', message);
}

function checkTypeParameters(ep: DeepReadonly<VpcEndpoint>, m: ModifyEndpointInput): void {
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
  checkTypeParameters(ep, m);
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
