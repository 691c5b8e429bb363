/**
 * Route tables: the main table of every VPC, custom tables, subnet associations and routes,
 * including the prefix-list routes gateway endpoints own.
 *
 * Fidelity ledger (AWS EC2 API reference and VPC user guide, 2025):
 * - Covered: main table with the `local` route (origin CreateRouteTable), `rtbassoc-…` IDs, one
 *   explicit association per subnet (Resource.AlreadyAssociated), main table and associated
 *   tables cannot be deleted (DependencyViolation), CIDR routes to gateways, instances, network
 *   interfaces and Gateway Load Balancer endpoints (`VpcEndpointId`), RouteAlreadyExists,
 *   InvalidRoute.NotFound, the local route and gateway-endpoint routes cannot be changed directly,
 *   ClientToken idempotency on CreateRouteTable.
 * - Gaps: IPv6 destinations, NAT/transit/peering/egress-only targets (UnsupportedOperation),
 *   edge (gateway) associations, ReplaceRoute, route propagation.
 * - By design: privlink models no internet or virtual private gateways, so well-formed `igw-…` /
 *   `vgw-…` IDs are accepted as route targets without an existence check.
 */
import type { Control } from '../control.js';
import type { CallerContext } from '../context.js';
import { apiError, Errors } from '../errors.js';
import type { DeepReadonly, Tag } from '../model/common.js';
import type { Route, RouteTable, Vpc } from '../model/network.js';
import { cidrContains, cidrString, parseCidr } from '../cidr.js';
import { awsPrefixListsForRegion } from '../privatelink/aws-services.js';
import type { Stored } from '../../store/store.js';
import { isWellFormedId, requireOwn, scopeOf } from './core-lookup.js';

/** Creates the main route table of a new VPC (call inside the VPC's transaction). */
export function createMainRouteTable(control: Control, vpc: DeepReadonly<Vpc>, id: string): RouteTable {
  const rt: RouteTable = {
    id,
    accountId: vpc.accountId,
    region: vpc.region,
    createdAt: control.clock.now(),
    tags: [],
    vpcId: vpc.id,
    routes: [localRoute(vpc)],
    associations: [{ id: control.ids.resourceId('rtbassoc'), main: true }],
  };
  control.store.put('routeTable', rt);
  return rt;
}

function localRoute(vpc: DeepReadonly<Vpc>): Route {
  return {
    destinationCidrBlock: vpc.cidrBlock,
    gatewayId: 'local',
    origin: 'CreateRouteTable',
    state: 'active',
  };
}

export function isMainRouteTable(rt: DeepReadonly<RouteTable>): boolean {
  return rt.associations.some((a) => a.main);
}

const idemId = (caller: CallerContext, token: string) =>
  `idem:${caller.accountId}:${caller.region}:CreateRouteTable:${token}`;

export function createRouteTable(
  control: Control,
  caller: CallerContext,
  vpcId: string,
  tags: Tag[],
  clientToken?: string,
): Stored<'routeTable'> {
  const vpc = requireOwn(control, caller, 'vpc', vpcId);
  const fingerprint = JSON.stringify([vpcId, tags]);
  if (clientToken !== undefined) {
    const rec = control.store.find('idempotency', idemId(caller, clientToken));
    if (rec) {
      if (rec.fingerprint !== fingerprint) {
        throw apiError(
          'IdempotentParameterMismatch',
          `Client token ${clientToken} was used with different parameters.`,
        );
      }
      const existing = control.store.get('routeTable', scopeOf(caller), rec.resourceId);
      if (existing) return existing;
    }
  }
  const rt: RouteTable = {
    id: control.ids.resourceId('rtb'),
    accountId: caller.accountId,
    region: caller.region,
    createdAt: control.clock.now(),
    tags,
    vpcId: vpc.id,
    routes: [localRoute(vpc)],
    associations: [],
  };
  const stored = control.store.put('routeTable', rt);
  if (clientToken !== undefined) {
    control.store.put('idempotency', {
      id: idemId(caller, clientToken),
      accountId: caller.accountId,
      region: caller.region,
      createdAt: control.clock.now(),
      tags: [],
      action: 'CreateRouteTable',
      fingerprint,
      resourceId: rt.id,
    });
  }
  return stored;
}

export function deleteRouteTable(control: Control, caller: CallerContext, id: string): void {
  const rt = requireOwn(control, caller, 'routeTable', id);
  if (rt.associations.length > 0) {
    throw apiError('DependencyViolation', `The routeTable '${id}' has dependencies and cannot be deleted.`);
  }
  control.store.delete('routeTable', id);
}

/** The route table a subnet uses: its explicit association, else the VPC's main table. */
export function routeTableForSubnet(
  control: Control,
  subnet: { id: string; vpcId: string; accountId: string; region: string },
): Stored<'routeTable'> | undefined {
  const tables = control.store.list('routeTable', subnet).filter((t) => t.vpcId === subnet.vpcId);
  return (
    tables.find((t) => t.associations.some((a) => a.subnetId === subnet.id)) ?? tables.find(isMainRouteTable)
  );
}

export function associateRouteTable(
  control: Control,
  caller: CallerContext,
  routeTableId: string,
  subnetId: string | undefined,
  gatewayId: string | undefined,
): string {
  const rt = requireOwn(control, caller, 'routeTable', routeTableId);
  if (gatewayId !== undefined) {
    throw apiError(
      'UnsupportedOperation',
      'privlink does not support gateway (edge) route table associations',
    );
  }
  if (subnetId === undefined) {
    throw apiError('MissingParameter', 'The request must contain the parameter subnetId or gatewayId');
  }
  const subnet = requireOwn(control, caller, 'subnet', subnetId);
  if (subnet.vpcId !== rt.vpcId) {
    throw apiError(
      'InvalidParameterValue',
      `Route table ${rt.id} and subnet ${subnet.id} belong to different networks`,
    );
  }
  const taken = control.store
    .list('routeTable', scopeOf(caller))
    .find((t) => t.associations.some((a) => a.subnetId === subnet.id));
  if (taken) {
    const assoc = taken.associations.find((a) => a.subnetId === subnet.id);
    throw apiError(
      'Resource.AlreadyAssociated',
      `the specified association for route table ${taken.id} conflicts with an existing association ${assoc?.id ?? ''}`.trim(),
    );
  }
  const id = control.ids.resourceId('rtbassoc');
  control.store.put('routeTable', {
    ...rt,
    associations: [...rt.associations, { id, subnetId: subnet.id, main: false }],
  });
  return id;
}

export function disassociateRouteTable(control: Control, caller: CallerContext, associationId: string): void {
  if (!isWellFormedId('rtbassoc', associationId)) {
    throw apiError(
      'InvalidAssociationID.Malformed',
      `Invalid id: "${associationId}" (expecting "rtbassoc-...")`,
    );
  }
  const rt = control.store
    .list('routeTable', scopeOf(caller))
    .find((t) => t.associations.some((a) => a.id === associationId));
  const assoc = rt?.associations.find((a) => a.id === associationId);
  if (!rt || !assoc) {
    throw apiError('InvalidAssociationID.NotFound', `The association ID '${associationId}' does not exist`);
  }
  if (assoc.main) {
    throw apiError(
      'InvalidParameterValue',
      `cannot disassociate the main route table association ${associationId}`,
    );
  }
  control.store.put('routeTable', {
    ...rt,
    associations: rt.associations.filter((a) => a.id !== associationId),
  });
}

/**
 * ReplaceRouteTableAssociation: moves a subnet's association, or the VPC's main association, to
 * another route table of the same VPC under a new association ID (AWS's rule). Replacing with the
 * table it is already on still issues a new ID, as on AWS.
 */
export function replaceRouteTableAssociation(
  control: Control,
  caller: CallerContext,
  associationId: string,
  routeTableId: string,
): string {
  if (!isWellFormedId('rtbassoc', associationId)) {
    throw apiError(
      'InvalidAssociationID.Malformed',
      `Invalid id: "${associationId}" (expecting "rtbassoc-...")`,
    );
  }
  const target = requireOwn(control, caller, 'routeTable', routeTableId);
  const from = control.store
    .list('routeTable', scopeOf(caller))
    .find((t) => t.associations.some((a) => a.id === associationId));
  const assoc = from?.associations.find((a) => a.id === associationId);
  if (!from || !assoc) {
    throw apiError('InvalidAssociationID.NotFound', `The association ID '${associationId}' does not exist`);
  }
  if (from.vpcId !== target.vpcId) {
    throw apiError(
      'InvalidParameterValue',
      `Route table ${target.id} and association ${associationId} belong to different networks`,
    );
  }
  const id = control.ids.resourceId('rtbassoc');
  const moved = { ...assoc, id };
  if (from.id === target.id) {
    control.store.put('routeTable', {
      ...from,
      associations: from.associations.map((a) => (a.id === associationId ? moved : a)),
    });
    return id;
  }
  control.store.put('routeTable', {
    ...from,
    associations: from.associations.filter((a) => a.id !== associationId),
  });
  control.store.put('routeTable', { ...target, associations: [...target.associations, moved] });
  return id;
}

/**
 * ReplaceRoute: gives an existing route (found by its destination) a new target, with every
 * check CreateRoute makes. The local route keeps its target (LocalTarget=true is accepted and
 * changes nothing); routes a gateway endpoint manages are changed through the endpoint.
 */
export function replaceRoute(
  control: Control,
  caller: CallerContext,
  routeTableId: string,
  r: RouteInput & { localTarget?: boolean },
): void {
  const rt = requireOwn(control, caller, 'routeTable', routeTableId);
  const cidr = r.destinationCidrBlock;
  const existing =
    cidr !== undefined
      ? rt.routes.find((x) => x.destinationCidrBlock === cidr)
      : r.destinationPrefixListId !== undefined
        ? rt.routes.find((x) => x.destinationPrefixListId === r.destinationPrefixListId)
        : undefined;
  if (!existing) {
    const what =
      cidr !== undefined
        ? `destination-cidr-block ${cidr}`
        : r.destinationPrefixListId !== undefined
          ? `destination-prefix-list-id ${r.destinationPrefixListId}`
          : r.destinationIpv6CidrBlock !== undefined
            ? `destination-ipv6-cidr-block ${r.destinationIpv6CidrBlock}`
            : undefined;
    if (what === undefined) {
      throw apiError(
        'MissingParameter',
        'Exactly one of DestinationCidrBlock, DestinationIpv6CidrBlock or DestinationPrefixListId must be specified',
      );
    }
    throw apiError('InvalidRoute.NotFound', `no route with ${what} in route table ${rt.id}`);
  }
  if (existing.gatewayId === 'local') {
    if (r.localTarget === true) return;
    throw apiError(
      'InvalidParameterValue',
      `cannot replace local route ${existing.destinationCidrBlock ?? ''} in route table ${rt.id}; privlink keeps local routes local`,
    );
  }
  if (existing.destinationPrefixListId !== undefined && existing.gatewayId?.startsWith('vpce-')) {
    throw apiError(
      'InvalidParameterValue',
      `cannot replace VPC endpoint route ${existing.destinationPrefixListId} in route table ${rt.id}; modify the VPC endpoint ${existing.gatewayId} instead`,
    );
  }
  // Drop the old route, then add the new one through CreateRoute's checks; the request's
  // transaction rolls both back if the new target is refused.
  control.store.put('routeTable', { ...rt, routes: rt.routes.filter((x) => x !== existing) });
  createRoute(control, caller, routeTableId, r);
}

/** Removes explicit associations of a subnet being deleted. */
export function dropSubnetAssociations(
  control: Control,
  subnet: DeepReadonly<{ id: string; accountId: string; region: string }>,
): void {
  for (const rt of control.store.list('routeTable', subnet)) {
    if (rt.associations.some((a) => a.subnetId === subnet.id)) {
      control.store.put('routeTable', {
        ...rt,
        associations: rt.associations.filter((a) => a.subnetId !== subnet.id),
      });
    }
  }
}

export interface RouteInput {
  destinationCidrBlock?: string;
  destinationIpv6CidrBlock?: string;
  destinationPrefixListId?: string;
  gatewayId?: string;
  vpcEndpointId?: string;
  instanceId?: string;
  networkInterfaceId?: string;
  /** Targets privlink does not model, by wire name (NatGatewayId, …), when present. */
  unsupportedTargets: string[];
}

function isGatewayEndpointPrefixList(region: string, id: string): boolean {
  return awsPrefixListsForRegion(region).some((p) => p.prefixListId === id);
}

export function createRoute(
  control: Control,
  caller: CallerContext,
  routeTableId: string,
  r: RouteInput,
): void {
  const rt = requireOwn(control, caller, 'routeTable', routeTableId);
  const vpc = requireOwn(control, caller, 'vpc', rt.vpcId);
  const dests = [r.destinationCidrBlock, r.destinationIpv6CidrBlock, r.destinationPrefixListId].filter(
    (d) => d !== undefined,
  );
  if (dests.length !== 1) {
    throw apiError(
      dests.length === 0 ? 'MissingParameter' : 'InvalidParameterCombination',
      'Exactly one of DestinationCidrBlock, DestinationIpv6CidrBlock or DestinationPrefixListId must be specified',
    );
  }
  if (r.destinationIpv6CidrBlock !== undefined) {
    throw apiError('UnsupportedOperation', 'privlink does not support IPv6 routes');
  }
  if (r.destinationPrefixListId !== undefined) {
    if (isGatewayEndpointPrefixList(caller.region, r.destinationPrefixListId)) {
      throw apiError(
        'InvalidParameterValue',
        `The prefix list ${r.destinationPrefixListId} is an AWS-managed prefix list of a gateway endpoint service; routes to it are managed through the VPC endpoint (ModifyVpcEndpoint)`,
      );
    }
    throw apiError(
      'InvalidPrefixListId.NotFound',
      `The prefix list ID '${r.destinationPrefixListId}' does not exist`,
    );
  }
  const first = r.unsupportedTargets[0];
  if (first !== undefined) {
    throw apiError('UnsupportedOperation', `privlink does not support ${first} route targets`);
  }
  const targets = [r.gatewayId, r.vpcEndpointId, r.instanceId, r.networkInterfaceId].filter(
    (t) => t !== undefined,
  );
  if (targets.length !== 1) {
    throw apiError(
      targets.length === 0 ? 'MissingParameter' : 'InvalidParameterCombination',
      'Exactly one route target (GatewayId, VpcEndpointId, InstanceId, NetworkInterfaceId, …) must be specified',
    );
  }
  const destinationCidrBlock = r.destinationCidrBlock ?? '';
  const dest = parseCidr(destinationCidrBlock, 'destinationCidrBlock');
  if (cidrString(dest) !== destinationCidrBlock) {
    throw Errors.invalidValue(
      'destinationCidrBlock',
      destinationCidrBlock,
      'This is not a valid CIDR block.',
    );
  }
  const route: Route = { destinationCidrBlock, origin: 'CreateRoute', state: 'active' };
  if (r.gatewayId !== undefined) {
    if (r.gatewayId === 'local' || r.gatewayId.startsWith('vpce-')) {
      throw apiError(
        'InvalidParameterValue',
        `Route table ${rt.id} cannot route to gateway ${r.gatewayId}; use VpcEndpointId for Gateway Load Balancer endpoints`,
      );
    }
    if (!isWellFormedId('igw', r.gatewayId) && !isWellFormedId('vgw', r.gatewayId)) {
      throw apiError('InvalidGatewayID.NotFound', `The gateway ID '${r.gatewayId}' does not exist`);
    }
    route.gatewayId = r.gatewayId;
  } else if (r.vpcEndpointId !== undefined) {
    const ep = control.store.get('vpcEndpoint', scopeOf(caller), r.vpcEndpointId);
    if (!ep || ep.state === 'deleted') throw Errors.endpointNotFound(r.vpcEndpointId);
    if (ep.endpointType !== 'GatewayLoadBalancer') {
      throw apiError(
        'InvalidParameterValue',
        `The VPC endpoint ${ep.id} is not a Gateway Load Balancer endpoint and cannot be a route target`,
      );
    }
    if (ep.vpcId !== rt.vpcId) {
      throw apiError(
        'InvalidParameterValue',
        `Route table ${rt.id} and VPC endpoint ${ep.id} belong to different networks`,
      );
    }
    // AWS shows GWLB endpoint routes with the endpoint as gatewayId.
    route.gatewayId = ep.id;
    route.vpcEndpointId = ep.id;
  } else if (r.instanceId !== undefined) {
    const inst = requireOwn(control, caller, 'instance', r.instanceId);
    if (inst.vpcId !== rt.vpcId) {
      throw apiError(
        'InvalidParameterValue',
        `Route table ${rt.id} and instance ${inst.id} belong to different networks`,
      );
    }
    route.instanceId = inst.id;
    route.networkInterfaceId = inst.networkInterfaceId;
  } else if (r.networkInterfaceId !== undefined) {
    const eni = requireOwn(control, caller, 'networkInterface', r.networkInterfaceId);
    if (eni.vpcId !== rt.vpcId) {
      throw apiError(
        'InvalidParameterValue',
        `Route table ${rt.id} and network interface ${eni.id} belong to different networks`,
      );
    }
    route.networkInterfaceId = eni.id;
  }
  if (rt.routes.some((x) => x.destinationCidrBlock === destinationCidrBlock)) {
    throw apiError('RouteAlreadyExists', `The route identified by ${destinationCidrBlock} already exists.`);
  }
  if (
    route.gatewayId !== undefined &&
    route.vpcEndpointId === undefined &&
    cidrContains(parseCidr(vpc.cidrBlock), dest)
  ) {
    throw apiError(
      'InvalidParameterValue',
      `The destination CIDR block ${destinationCidrBlock} is equal to or more specific than one of this VPC's CIDR blocks. This route can target only an interface or an instance.`,
    );
  }
  control.store.put('routeTable', { ...rt, routes: [...rt.routes, route] });
}

export function deleteRoute(
  control: Control,
  caller: CallerContext,
  routeTableId: string,
  dest: { cidr?: string; ipv6?: string; prefixListId?: string },
): void {
  const rt = requireOwn(control, caller, 'routeTable', routeTableId);
  const given = [dest.cidr, dest.ipv6, dest.prefixListId].filter((d) => d !== undefined);
  if (given.length !== 1) {
    throw apiError(
      given.length === 0 ? 'MissingParameter' : 'InvalidParameterCombination',
      'Exactly one of DestinationCidrBlock, DestinationIpv6CidrBlock or DestinationPrefixListId must be specified',
    );
  }
  const match = (x: DeepReadonly<Route>) =>
    dest.cidr !== undefined
      ? x.destinationCidrBlock === dest.cidr
      : dest.prefixListId !== undefined && x.destinationPrefixListId === dest.prefixListId;
  const route = rt.routes.find(match);
  if (!route) {
    const what =
      dest.cidr !== undefined
        ? `destination-cidr-block ${dest.cidr}`
        : dest.prefixListId !== undefined
          ? `destination-prefix-list-id ${dest.prefixListId}`
          : `destination-ipv6-cidr-block ${dest.ipv6 ?? ''}`;
    throw apiError('InvalidRoute.NotFound', `no route with ${what} in route table ${rt.id}`);
  }
  if (route.gatewayId === 'local') {
    throw apiError(
      'InvalidParameterValue',
      `cannot remove local route ${route.destinationCidrBlock ?? ''} in route table ${rt.id}`,
    );
  }
  if (route.destinationPrefixListId !== undefined && route.gatewayId?.startsWith('vpce-')) {
    throw apiError(
      'InvalidParameterValue',
      `cannot remove VPC endpoint route ${route.destinationPrefixListId} in route table ${rt.id}; modify the VPC endpoint ${route.gatewayId} instead`,
    );
  }
  control.store.put('routeTable', { ...rt, routes: rt.routes.filter((x) => !match(x)) });
}

/**
 * For gateway endpoints: adds `prefixListId → endpointId` to a route table (idempotent).
 * Exported for the PrivateLink services; call inside their transaction.
 */
export function addGatewayEndpointRoute(
  control: Control,
  routeTable: Stored<'routeTable'>,
  prefixListId: string,
  endpointId: string,
): void {
  const fresh = control.store.find('routeTable', routeTable.id) ?? routeTable;
  if (fresh.routes.some((r) => r.destinationPrefixListId === prefixListId && r.gatewayId === endpointId))
    return;
  const route: Route = {
    destinationPrefixListId: prefixListId,
    gatewayId: endpointId,
    origin: 'CreateRoute',
    state: 'active',
  };
  control.store.put('routeTable', { ...fresh, routes: [...fresh.routes, route] });
}

/** Removes every route of a route table that targets the endpoint (gateway or GWLB). */
export function removeEndpointRoutes(control: Control, routeTableId: string, endpointId: string): void {
  const rt = control.store.find('routeTable', routeTableId);
  if (!rt) return;
  const keep = rt.routes.filter((r) => r.gatewayId !== endpointId && r.vpcEndpointId !== endpointId);
  if (keep.length !== rt.routes.length) control.store.put('routeTable', { ...rt, routes: keep });
}

/**
 * A route's state as DescribeRouteTables reports it: `blackhole` once its target (network
 * interface, instance, gateway endpoint) is gone, terminated or being deleted.
 */
export function routeState(control: Control, r: DeepReadonly<Route>): string {
  if (r.networkInterfaceId !== undefined && !control.store.find('networkInterface', r.networkInterfaceId)) {
    return 'blackhole';
  }
  if (r.instanceId !== undefined) {
    const i = control.store.find('instance', r.instanceId);
    if (!i || i.state === 'terminated') return 'blackhole';
  }
  const vpce = r.vpcEndpointId ?? (r.gatewayId?.startsWith('vpce-') ? r.gatewayId : undefined);
  if (vpce !== undefined) {
    const ep = control.store.find('vpcEndpoint', vpce);
    if (!ep || ep.state === 'deleted' || ep.state === 'deleting') return 'blackhole';
  }
  return r.state;
}
