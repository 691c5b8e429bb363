/**
 * ELBv2 target group actions: CreateTargetGroup, DescribeTargetGroups, ModifyTargetGroup,
 * DeleteTargetGroup, Describe/ModifyTargetGroupAttributes. Wire ↔ control mapping only; the
 * behaviour and its fidelity ledger live in control/elb/target-groups.ts.
 */
import {
  createTargetGroup,
  deleteTargetGroup,
  describeTargetGroupAttributes,
  describeTargetGroups,
  modifyTargetGroup,
  modifyTargetGroupAttributes,
} from '../../../control/elb/target-groups.js';
import { s } from '../../query/shapes.js';
import { defineAction, type ActionDef } from '../types.js';
import { renderTargetGroup } from './render.js';
import { PROTOCOLS, attributeShape, elbTagShape, matcherShape, pageMembers, requiredStr } from './shapes.js';

const healthCheckMembers = {
  HealthCheckProtocol: s.str({ enum: PROTOCOLS }),
  HealthCheckPort: s.str(),
  HealthCheckEnabled: s.bool(),
  HealthCheckPath: s.str({ maxLength: 1024 }),
  HealthCheckIntervalSeconds: s.int({ min: 5, max: 300 }),
  HealthCheckTimeoutSeconds: s.int({ min: 2, max: 120 }),
  HealthyThresholdCount: s.int({ min: 2, max: 10 }),
  UnhealthyThresholdCount: s.int({ min: 2, max: 10 }),
  Matcher: matcherShape,
};

interface HealthCheckWire {
  HealthCheckProtocol?: string;
  HealthCheckPort?: string;
  HealthCheckEnabled?: boolean;
  HealthCheckPath?: string;
  HealthCheckIntervalSeconds?: number;
  HealthCheckTimeoutSeconds?: number;
  HealthyThresholdCount?: number;
  UnhealthyThresholdCount?: number;
  Matcher?: { HttpCode?: string; GrpcCode?: string };
}

function healthCheckInput(i: HealthCheckWire) {
  return {
    protocol: i.HealthCheckProtocol,
    port: i.HealthCheckPort,
    enabled: i.HealthCheckEnabled,
    path: i.HealthCheckPath,
    intervalSeconds: i.HealthCheckIntervalSeconds,
    timeoutSeconds: i.HealthCheckTimeoutSeconds,
    healthyThreshold: i.HealthyThresholdCount,
    unhealthyThreshold: i.UnhealthyThresholdCount,
    httpCode: i.Matcher?.HttpCode,
    grpcCode: i.Matcher?.GrpcCode,
  };
}

export const TARGET_GROUP_ACTIONS = {
  CreateTargetGroup: defineAction(
    s.struct({
      Name: requiredStr,
      Protocol: s.str({ enum: PROTOCOLS }),
      ProtocolVersion: s.str(),
      Port: s.int({ min: 1, max: 65535 }),
      VpcId: s.str(),
      ...healthCheckMembers,
      TargetType: s.str({ enum: ['instance', 'ip', 'lambda', 'alb'] }),
      Tags: s.list(elbTagShape),
      IpAddressType: s.str({ enum: ['ipv4', 'ipv6'] }),
      TargetControlPort: s.int({ min: 1, max: 65535 }),
    }),
    (input, ctx) => {
      const tg = createTargetGroup(ctx.control, ctx, {
        name: input.Name,
        protocol: input.Protocol,
        protocolVersion: input.ProtocolVersion,
        port: input.Port,
        vpcId: input.VpcId,
        targetType: input.TargetType,
        ipAddressType: input.IpAddressType,
        targetControlPort: input.TargetControlPort,
        healthCheck: healthCheckInput(input),
        tags: input.Tags,
      });
      return { TargetGroups: [renderTargetGroup(ctx.control, tg)] };
    },
  ),
  DescribeTargetGroups: defineAction(
    s.struct({
      LoadBalancerArn: s.str(),
      TargetGroupArns: s.list(s.str()),
      Names: s.list(s.str()),
      ...pageMembers,
    }),
    (input, ctx) => {
      const page = describeTargetGroups(ctx.control, ctx, {
        loadBalancerArn: input.LoadBalancerArn,
        arns: input.TargetGroupArns,
        names: input.Names,
        marker: input.Marker,
        pageSize: input.PageSize,
      });
      return {
        TargetGroups: page.items.map((tg) => renderTargetGroup(ctx.control, tg)),
        NextMarker: page.nextMarker,
      };
    },
  ),
  ModifyTargetGroup: defineAction(
    s.struct({ TargetGroupArn: requiredStr, ...healthCheckMembers }),
    (input, ctx) => {
      const tg = modifyTargetGroup(ctx.control, ctx, input.TargetGroupArn, healthCheckInput(input));
      return { TargetGroups: [renderTargetGroup(ctx.control, tg)] };
    },
  ),
  DeleteTargetGroup: defineAction(s.struct({ TargetGroupArn: requiredStr }), (input, ctx) => {
    deleteTargetGroup(ctx.control, ctx, input.TargetGroupArn);
    return {};
  }),
  DescribeTargetGroupAttributes: defineAction(s.struct({ TargetGroupArn: requiredStr }), (input, ctx) => ({
    Attributes: describeTargetGroupAttributes(ctx.control, ctx, input.TargetGroupArn),
  })),
  ModifyTargetGroupAttributes: defineAction(
    s.struct({ TargetGroupArn: requiredStr, Attributes: s.list(attributeShape, { required: true }) }),
    (input, ctx) => ({
      Attributes: modifyTargetGroupAttributes(ctx.control, ctx, input.TargetGroupArn, input.Attributes),
    }),
  ),
} satisfies Record<string, ActionDef>;
