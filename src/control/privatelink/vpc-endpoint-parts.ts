/**
 * The pieces CreateVpcEndpoint and ModifyVpcEndpoint share: ownership checks on the VPC and the
 * resources an endpoint references, the AZ rules for endpoint subnets, endpoint ENIs, gateway
 * routes, private DNS and IP address type rules.
 *
 * Fidelity ledger (reference §5.1–5.3, §6.1, §6.2, §10):
 * - Covered: referenced VPC/subnet/security group/route table must be the caller's (else the
 *   EC2 NotFound code); subnets must be in the endpoint's VPC and in a zone (by zone ID) the
 *   service is offered in; one subnet per AZ (DuplicateSubnetsInSameZone); one requester-managed
 *   ENI per subnet; gateway routes `destinationPrefixListId` → `gatewayId` and at most one per
 *   service per route table (RouteAlreadyExists); private DNS needs enableDnsSupport and
 *   enableDnsHostnames, a usable private name, and no other endpoint of the VPC answering for it;
 *   IpAddressType/DnsRecordIpType compatibility.
 * - Gaps: subnets have no IPv6 ranges in privlink, so `ipv6`/`dualstack` endpoints are refused.
 * - By design: error messages copy AWS's where they are known (reference §5.1, §6.1); the others
 *   are written in AWS's style and say which resource is at fault.
 */
import type { Control } from '../control.js';
import type { CallerContext } from '../context.js';
import { Errors, apiError } from '../errors.js';
import type { DeepReadonly } from '../model/common.js';
import type { NetworkInterface, RouteTable, Subnet, Vpc } from '../model/network.js';
import type { DnsOptions, EndpointType, VpcEndpoint } from '../model/privatelink.js';
import { createNetworkInterface } from '../network/addresses.js';
import type { ResolvedService } from './service-catalog.js';

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
