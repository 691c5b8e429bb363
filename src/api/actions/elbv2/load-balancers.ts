/**
 * ELBv2 load balancer actions: CreateLoadBalancer, DescribeLoadBalancers, DeleteLoadBalancer,
 * DescribeLoadBalancerAttributes, ModifyLoadBalancerAttributes, DescribeCapacityReservation. Wire ↔ control mapping only; the
 * behaviour and its fidelity ledger live in control/elb/load-balancers.ts.
 */
import {
  createLoadBalancer,
  deleteLoadBalancer,
  describeCapacityReservation,
  describeLoadBalancerAttributes,
  describeLoadBalancers,
  modifyLoadBalancerAttributes,
  setIpAddressType,
  setSecurityGroups,
  setSubnets,
} from '../../../control/elb/load-balancers.js';
import { s, type Value } from '../../query/shapes.js';
import { defineAction, type ActionDef } from '../types.js';
import { renderLoadBalancer } from './render.js';
import { attributeShape, elbTagShape, pageMembers, requiredStr } from './shapes.js';

const subnetMappingShape = s.struct({
  SubnetId: s.str(),
  AllocationId: s.str(),
  PrivateIPv4Address: s.str(),
  IPv6Address: s.str(),
  SourceNatIpv6Prefix: s.str(),
});

const subnetMapping = (m: Value<typeof subnetMappingShape>) => ({
  subnetId: m.SubnetId,
  allocationId: m.AllocationId,
  privateIPv4Address: m.PrivateIPv4Address,
  ipv6Address: m.IPv6Address,
});

export const LOAD_BALANCER_ACTIONS = {
  CreateLoadBalancer: defineAction(
    s.struct({
      Name: requiredStr,
      Subnets: s.list(s.str()),
      SubnetMappings: s.list(subnetMappingShape),
      SecurityGroups: s.list(s.str()),
      Scheme: s.str({ enum: ['internet-facing', 'internal'] }),
      Tags: s.list(elbTagShape),
      Type: s.str({ enum: ['application', 'network', 'gateway'] }),
      IpAddressType: s.str({ enum: ['ipv4', 'dualstack', 'dualstack-without-public-ipv4'] }),
      CustomerOwnedIpv4Pool: s.str({ maxLength: 256 }),
      EnablePrefixForIpv6SourceNat: s.str({ enum: ['on', 'off'] }),
      IpamPools: s.struct({ Ipv4IpamPoolId: s.str({ maxLength: 1000 }) }),
    }),
    (input, ctx) => {
      const { lb, created } = createLoadBalancer(ctx.control, ctx, {
        name: input.Name,
        type: input.Type,
        scheme: input.Scheme,
        ipAddressType: input.IpAddressType,
        subnets: input.Subnets,
        subnetMappings: input.SubnetMappings.map(subnetMapping),
        securityGroups: input.SecurityGroups,
        tags: input.Tags,
      });
      // AWS answers a fresh create with `provisioning`; privlink's nodes are ready immediately.
      return { LoadBalancers: [renderLoadBalancer(lb, created ? 'provisioning' : undefined)] };
    },
  ),
  DescribeLoadBalancers: defineAction(
    s.struct({ LoadBalancerArns: s.list(s.str()), Names: s.list(s.str()), ...pageMembers }),
    (input, ctx) => {
      const page = describeLoadBalancers(ctx.control, ctx, {
        arns: input.LoadBalancerArns,
        names: input.Names,
        marker: input.Marker,
        pageSize: input.PageSize,
      });
      return { LoadBalancers: page.items.map((lb) => renderLoadBalancer(lb)), NextMarker: page.nextMarker };
    },
  ),
  DeleteLoadBalancer: defineAction(s.struct({ LoadBalancerArn: requiredStr }), (input, ctx) => {
    deleteLoadBalancer(ctx.control, ctx, input.LoadBalancerArn);
    return {};
  }),
  DescribeLoadBalancerAttributes: defineAction(s.struct({ LoadBalancerArn: requiredStr }), (input, ctx) => ({
    Attributes: describeLoadBalancerAttributes(ctx.control, ctx, input.LoadBalancerArn),
  })),
  ModifyLoadBalancerAttributes: defineAction(
    s.struct({ LoadBalancerArn: requiredStr, Attributes: s.list(attributeShape, { required: true }) }),
    (input, ctx) => ({
      Attributes: modifyLoadBalancerAttributes(ctx.control, ctx, input.LoadBalancerArn, input.Attributes),
    }),
  ),
  DescribeCapacityReservation: defineAction(s.struct({ LoadBalancerArn: requiredStr }), (input, ctx) => ({
    CapacityReservationState: describeCapacityReservation(ctx.control, ctx, input.LoadBalancerArn)
      .capacityReservationState,
  })),
  SetSecurityGroups: defineAction(
    s.struct({
      LoadBalancerArn: requiredStr,
      // Not `required`: the SDK sends an empty list as a bare `SecurityGroups=`.
      SecurityGroups: s.list(s.str()),
      EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic: s.str(),
    }),
    (input, ctx) => {
      const lb = setSecurityGroups(
        ctx.control,
        ctx,
        input.LoadBalancerArn,
        input.SecurityGroups,
        input.EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic,
      );
      const rendered = renderLoadBalancer(lb);
      return {
        SecurityGroupIds: [...lb.securityGroups],
        EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic:
          rendered['EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic'],
      };
    },
  ),
  SetSubnets: defineAction(
    s.struct({
      LoadBalancerArn: requiredStr,
      Subnets: s.list(s.str()),
      SubnetMappings: s.list(subnetMappingShape),
      IpAddressType: s.str(),
      EnablePrefixForIpv6SourceNat: s.str({ enum: ['on', 'off'] }),
    }),
    (input, ctx) => {
      const lb = setSubnets(ctx.control, ctx, input.LoadBalancerArn, {
        subnets: input.Subnets,
        subnetMappings: input.SubnetMappings.map(subnetMapping),
        ipAddressType: input.IpAddressType,
      });
      const rendered = renderLoadBalancer(lb);
      return { AvailabilityZones: rendered['AvailabilityZones'], IpAddressType: lb.ipAddressType };
    },
  ),
  SetIpAddressType: defineAction(
    s.struct({ LoadBalancerArn: requiredStr, IpAddressType: requiredStr }),
    (input, ctx) => ({
      IpAddressType: setIpAddressType(ctx.control, ctx, input.LoadBalancerArn, input.IpAddressType)
        .ipAddressType,
    }),
  ),
} satisfies Record<string, ActionDef>;
