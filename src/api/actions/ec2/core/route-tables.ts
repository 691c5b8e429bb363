/**
 * Route table actions: Create/Describe/Delete, Associate/Disassociate, CreateRoute/DeleteRoute:
 * wire ↔ control.
 *
 * Fidelity ledger (AWS EC2 API reference, 2025):
 * - Covered: every request member of the model; routes render with `gatewayId` (gateway and
 *   GWLB endpoint targets, `local`), `destinationPrefixListId` for gateway-endpoint routes,
 *   origin and state (a route whose instance, interface or endpoint is gone is `blackhole`);
 *   the main association and explicit subnet associations with `associationState`.
 *   DescribeRouteTables filters association.* (route-table-association-id, route-table-id,
 *   subnet-id, main), owner-id, route-table-id, route.* (destination-cidr-block,
 *   destination-prefix-list-id, gateway-id, instance-id, origin, state, vpc-endpoint-id),
 *   vpc-id, tag:*, tag-key; MaxResults 5–100.
 * - Gaps: see control/network/route-tables.ts.
 */
import type { Control } from '../../../../control/control.js';
import type { FilterTable } from '../../../../control/filters.js';
import type { Stored } from '../../../../control/model/kinds.js';
import {
  associateRouteTable,
  createRoute,
  createRouteTable,
  deleteRoute,
  deleteRouteTable,
  disassociateRouteTable,
  replaceRoute,
  replaceRouteTableAssociation,
  routeState,
  type RouteInput,
} from '../../../../control/network/route-tables.js';
import { selectByIds } from '../../../../control/network/core-lookup.js';
import { common, filterShape, s, tagSpecificationShape, type Value } from '../../../query/shapes.js';
import type { XmlTree } from '../../../query/encode.js';
import { defineAction, type ActionDef } from '../../types.js';
import type { Ec2CoreAction } from '../names.js';
import { filterAndPage, paging, requiredStr, specTags, tagSet } from './common.js';

export function renderRouteTable(control: Control, rt: Stored<'routeTable'>): XmlTree {
  return {
    routeTableId: rt.id,
    vpcId: rt.vpcId,
    ownerId: rt.accountId,
    routeSet: rt.routes.map((r) => ({
      destinationCidrBlock: r.destinationCidrBlock,
      destinationPrefixListId: r.destinationPrefixListId,
      gatewayId: r.gatewayId,
      instanceId: r.instanceId,
      instanceOwnerId: r.instanceId !== undefined ? rt.accountId : undefined,
      networkInterfaceId: r.networkInterfaceId,
      origin: r.origin,
      state: routeState(control, r),
    })),
    associationSet: rt.associations.map((a) => ({
      main: a.main,
      routeTableAssociationId: a.id,
      routeTableId: rt.id,
      subnetId: a.subnetId,
      associationState: { state: 'associated' },
    })),
    propagatingVgwSet: [],
    tagSet: tagSet(rt.tags),
  };
}

function routeTableFilters(control: Control): FilterTable<Stored<'routeTable'>> {
  return {
    'association.route-table-association-id': (t) => t.associations.map((a) => a.id),
    'association.route-table-id': (t) => (t.associations.length ? t.id : undefined),
    'association.subnet-id': (t) => t.associations.map((a) => a.subnetId),
    'association.main': (t) => t.associations.some((a) => a.main),
    'association.gateway-id': () => undefined,
    'owner-id': (t) => t.accountId,
    'route-table-id': (t) => t.id,
    'route.destination-cidr-block': (t) => t.routes.map((r) => r.destinationCidrBlock),
    'route.destination-prefix-list-id': (t) => t.routes.map((r) => r.destinationPrefixListId),
    'route.gateway-id': (t) => t.routes.map((r) => r.gatewayId),
    'route.instance-id': (t) => t.routes.map((r) => r.instanceId),
    'route.network-interface-id': (t) => t.routes.map((r) => r.networkInterfaceId),
    'route.vpc-endpoint-id': (t) => t.routes.map((r) => r.vpcEndpointId),
    'route.origin': (t) => t.routes.map((r) => r.origin),
    'route.state': (t) => t.routes.map((r) => routeState(control, r)),
    'vpc-id': (t) => t.vpcId,
  };
}

const UNSUPPORTED_TARGETS = [
  'TransitGatewayId',
  'LocalGatewayId',
  'CarrierGatewayId',
  'CoreNetworkArn',
  'OdbNetworkArn',
  'EgressOnlyInternetGatewayId',
  'VpcPeeringConnectionId',
  'NatGatewayId',
] as const;

const routeMembers = {
  ...common,
  RouteTableId: requiredStr,
  DestinationCidrBlock: s.str(),
  DestinationIpv6CidrBlock: s.str(),
  DestinationPrefixListId: s.str(),
  GatewayId: s.str(),
  VpcEndpointId: s.str(),
  InstanceId: s.str(),
  NetworkInterfaceId: s.str(),
  TransitGatewayId: s.str(),
  LocalGatewayId: s.str(),
  CarrierGatewayId: s.str(),
  CoreNetworkArn: s.str(),
  OdbNetworkArn: s.str(),
  EgressOnlyInternetGatewayId: s.str(),
  VpcPeeringConnectionId: s.str(),
  NatGatewayId: s.str(),
};

const routeShape = s.struct(routeMembers);

/** CreateRoute's and ReplaceRoute's destination and target, wire → control. */
function routeInput(input: Value<typeof routeShape>): RouteInput {
  return {
    destinationCidrBlock: input.DestinationCidrBlock,
    destinationIpv6CidrBlock: input.DestinationIpv6CidrBlock,
    destinationPrefixListId: input.DestinationPrefixListId,
    gatewayId: input.GatewayId,
    vpcEndpointId: input.VpcEndpointId,
    instanceId: input.InstanceId,
    networkInterfaceId: input.NetworkInterfaceId,
    unsupportedTargets: UNSUPPORTED_TARGETS.filter((m) => input[m] !== undefined),
  };
}

export const ROUTE_TABLE_ACTIONS = {
  CreateRouteTable: defineAction(
    s.struct({
      ...common,
      VpcId: requiredStr,
      TagSpecification: s.list(tagSpecificationShape),
      ClientToken: s.str({ maxLength: 64 }),
    }),
    (input, ctx) => {
      const rt = createRouteTable(
        ctx.control,
        ctx,
        input.VpcId,
        specTags(input.TagSpecification, 'route-table'),
        input.ClientToken,
      );
      return { routeTable: renderRouteTable(ctx.control, rt), clientToken: input.ClientToken };
    },
  ),

  DescribeRouteTables: defineAction(
    s.struct({ ...common, ...paging, Filter: s.list(filterShape), RouteTableId: s.list(s.str()) }),
    (input, ctx) => {
      const tables = selectByIds(ctx.control, ctx, 'routeTable', input.RouteTableId);
      const page = filterAndPage(tables, input.Filter, routeTableFilters(ctx.control), (t) => t.id, input, {
        min: 5,
        max: 100,
      });
      return {
        routeTableSet: page.items.map((t) => renderRouteTable(ctx.control, t)),
        nextToken: page.nextToken,
      };
    },
  ),

  DeleteRouteTable: defineAction(s.struct({ ...common, RouteTableId: requiredStr }), (input, ctx) => {
    deleteRouteTable(ctx.control, ctx, input.RouteTableId);
    return { return: true };
  }),

  AssociateRouteTable: defineAction(
    s.struct({
      ...common,
      RouteTableId: requiredStr,
      SubnetId: s.str(),
      GatewayId: s.str(),
      PublicIpv4Pool: s.str(),
    }),
    (input, ctx) => {
      const gateway = input.GatewayId ?? input.PublicIpv4Pool;
      const id = associateRouteTable(ctx.control, ctx, input.RouteTableId, input.SubnetId, gateway);
      return { associationId: id, associationState: { state: 'associated' } };
    },
  ),

  DisassociateRouteTable: defineAction(s.struct({ ...common, AssociationId: requiredStr }), (input, ctx) => {
    disassociateRouteTable(ctx.control, ctx, input.AssociationId);
    return { return: true };
  }),

  CreateRoute: defineAction(routeShape, (input, ctx) => {
    createRoute(ctx.control, ctx, input.RouteTableId, routeInput(input));
    return { return: true };
  }),

  ReplaceRoute: defineAction(s.struct({ ...routeMembers, LocalTarget: s.bool() }), (input, ctx) => {
    replaceRoute(ctx.control, ctx, input.RouteTableId, {
      ...routeInput(input),
      localTarget: input.LocalTarget,
    });
    return { return: true };
  }),

  ReplaceRouteTableAssociation: defineAction(
    s.struct({ ...common, AssociationId: requiredStr, RouteTableId: requiredStr }),
    (input, ctx) => ({
      newAssociationId: replaceRouteTableAssociation(
        ctx.control,
        ctx,
        input.AssociationId,
        input.RouteTableId,
      ),
      associationState: { state: 'associated' },
    }),
  ),

  DeleteRoute: defineAction(
    s.struct({
      ...common,
      RouteTableId: requiredStr,
      DestinationCidrBlock: s.str(),
      DestinationIpv6CidrBlock: s.str(),
      DestinationPrefixListId: s.str(),
    }),
    (input, ctx) => {
      deleteRoute(ctx.control, ctx, input.RouteTableId, {
        cidr: input.DestinationCidrBlock,
        ipv6: input.DestinationIpv6CidrBlock,
        prefixListId: input.DestinationPrefixListId,
      });
      return { return: true };
    },
  ),
} satisfies Partial<Record<Ec2CoreAction, ActionDef>>;
