/**
 * Target groups of Network and Gateway Load Balancers: create, describe, modify (health checks),
 * delete, and their attributes.
 *
 * Fidelity (ELBv2 API reference and NLB/GWLB target group guides, 2025):
 * - Covered: Protocol TCP|UDP|TCP_UDP|TLS (NLB), GENEVE on port 6081 (GWLB), HTTP|HTTPS accepted
 *   for completeness; TargetType instance|ip|alb (alb: TCP only); Protocol, Port and VpcId
 *   required (ValidationError), unknown VPC → ValidationError; health check defaults per protocol
 *   (TCP: TCP/traffic-port/30s/10s/5/2; HTTP: path `/`, 6s, matcher 200-399; GENEVE: TCP port 80,
 *   10s/5s/5/2); HealthCheckPath and Matcher only for HTTP/HTTPS health checks; timeout may not
 *   exceed the interval; health checks cannot be disabled for instance/ip/alb targets;
 *   same name + same settings returns the existing group, different settings →
 *   DuplicateTargetGroupName; DeleteTargetGroup → ResourceInUse while a listener forwards to it,
 *   unknown ARN succeeds; attributes per elb-attributes.ts, plus the cross-key rules
 *   (preserve_client_ip cannot be disabled for UDP/TCP_UDP; GWLB target_failover keys must match).
 * - Gaps: Lambda target groups, IPv6 target groups, QUIC protocols, gRPC matchers.
 */
import type { CallerContext } from '../context.js';
import type { Control } from '../control.js';
import { apiError } from '../errors.js';
import type { HealthCheckConfig, TargetGroup } from '../model/elb.js';
import { targetGroupArn } from '../names.js';
import type { Stored } from '../../store/store.js';
import {
  applyAttributes,
  attributeList,
  defaultAttributes,
  targetGroupAttributeTable,
  type AttributeInput,
} from './attributes.js';
import {
  findTargetGroup,
  getLoadBalancer,
  getTargetGroup,
  listenersOf,
  forwardedTargetGroups,
  loadBalancerArnsOf,
  pageOf,
  newElbResource,
  pickByArns,
  pickByNames,
  scopeOf,
  validateElbName,
} from './common.js';
import { validateElbTags, type ElbTagInput } from './tags.js';
import { checkTargetGroupQuota } from '../quotas.js';

export const NLB_PROTOCOLS = ['TCP', 'UDP', 'TCP_UDP', 'TLS'] as const;
const SUPPORTED_PROTOCOLS = [...NLB_PROTOCOLS, 'GENEVE', 'HTTP', 'HTTPS'];
const GENEVE_PORT = 6081;

export interface HealthCheckInput {
  protocol?: string;
  port?: string;
  enabled?: boolean;
  path?: string;
  intervalSeconds?: number;
  timeoutSeconds?: number;
  healthyThreshold?: number;
  unhealthyThreshold?: number;
  httpCode?: string;
  grpcCode?: string;
}

export interface CreateTargetGroupRequest {
  name: string;
  protocol?: string;
  protocolVersion?: string;
  port?: number;
  vpcId?: string;
  targetType?: string;
  ipAddressType?: string;
  targetControlPort?: number;
  healthCheck: HealthCheckInput;
  tags: readonly ElbTagInput[];
}

const isHttp = (p: string) => p === 'HTTP' || p === 'HTTPS';

function defaultHealthCheck(protocol: string): HealthCheckConfig {
  if (protocol === 'GENEVE') {
    return {
      enabled: true,
      protocol: 'TCP',
      port: '80',
      intervalSeconds: 10,
      timeoutSeconds: 5,
      healthyThreshold: 5,
      unhealthyThreshold: 2,
    };
  }
  if (isHttp(protocol)) {
    return {
      enabled: true,
      protocol,
      port: 'traffic-port',
      path: '/',
      intervalSeconds: 30,
      timeoutSeconds: 5,
      healthyThreshold: 5,
      unhealthyThreshold: 2,
      matcher: '200',
    };
  }
  return {
    enabled: true,
    protocol: 'TCP',
    port: 'traffic-port',
    intervalSeconds: 30,
    timeoutSeconds: 10,
    healthyThreshold: 5,
    unhealthyThreshold: 2,
  };
}

/** Merges health check input over a base and checks the result (used by create and modify). */
function resolveHealthCheck(
  tgProtocol: string,
  targetType: string,
  base: HealthCheckConfig,
  input: HealthCheckInput,
  isCreate: boolean,
): HealthCheckConfig {
  if (input.enabled === false) {
    throw apiError(
      'InvalidConfigurationRequest',
      `Health checks cannot be disabled for target groups with target type '${targetType}'`,
    );
  }
  const protocol = input.protocol ?? base.protocol;
  const allowed = isHttp(tgProtocol) ? ['HTTP', 'HTTPS'] : ['TCP', 'HTTP', 'HTTPS'];
  if (!allowed.includes(protocol)) {
    throw apiError(
      'InvalidConfigurationRequest',
      `Health check protocol '${protocol}' is not supported for target groups with the ${tgProtocol} protocol`,
    );
  }
  const port = input.port ?? base.port;
  if (port !== 'traffic-port' && !(/^\d{1,5}$/.test(port) && Number(port) >= 1 && Number(port) <= 65535)) {
    throw apiError(
      'ValidationError',
      `Health check port '${port.slice(0, 32)}' must be 'traffic-port' or a port from 1 to 65535`,
    );
  }
  const http = isHttp(protocol);
  if (!http && input.path !== undefined) {
    throw apiError(
      'ValidationError',
      `A health check path can only be specified for HTTP and HTTPS health checks, not ${protocol}`,
    );
  }
  if (!http && input.httpCode !== undefined) {
    throw apiError(
      'ValidationError',
      `A health check matcher can only be specified for HTTP and HTTPS health checks, not ${protocol}`,
    );
  }
  if (input.grpcCode !== undefined) {
    throw apiError(
      'InvalidConfigurationRequest',
      'gRPC health check matchers are only supported for gRPC target groups of Application Load Balancers',
    );
  }
  const path = http ? (input.path ?? base.path ?? '/') : undefined;
  if (path !== undefined && !path.startsWith('/')) {
    throw apiError('ValidationError', `Health check path '${path.slice(0, 64)}' must begin with '/'`);
  }
  const matcher = http
    ? (input.httpCode ?? base.matcher ?? (isHttp(tgProtocol) ? '200' : '200-399'))
    : undefined;
  if (matcher !== undefined && !/^\d{3}(?:[-,]\d{3})*$/.test(matcher)) {
    throw apiError('ValidationError', `Health check matcher '${matcher.slice(0, 64)}' is not valid`);
  }
  const intervalSeconds = input.intervalSeconds ?? base.intervalSeconds;
  let timeoutSeconds = input.timeoutSeconds ?? base.timeoutSeconds;
  // A switch to HTTP on create uses HTTP's shorter default timeout, as AWS does.
  if (isCreate && input.timeoutSeconds === undefined && http && !isHttp(tgProtocol)) timeoutSeconds = 6;
  if (input.timeoutSeconds === undefined) timeoutSeconds = Math.min(timeoutSeconds, intervalSeconds);
  if (timeoutSeconds > intervalSeconds) {
    throw apiError(
      'ValidationError',
      `Health check timeout (${timeoutSeconds}) must not be greater than the health check interval (${intervalSeconds})`,
    );
  }
  return {
    enabled: true,
    protocol,
    port,
    path,
    intervalSeconds,
    timeoutSeconds,
    healthyThreshold: input.healthyThreshold ?? base.healthyThreshold,
    unhealthyThreshold: input.unhealthyThreshold ?? base.unhealthyThreshold,
    matcher,
  };
}

function sameHealthCheck(a: Readonly<HealthCheckConfig>, b: Readonly<HealthCheckConfig>): boolean {
  return (
    a.protocol === b.protocol &&
    a.port === b.port &&
    a.path === b.path &&
    a.intervalSeconds === b.intervalSeconds &&
    a.timeoutSeconds === b.timeoutSeconds &&
    a.healthyThreshold === b.healthyThreshold &&
    a.unhealthyThreshold === b.unhealthyThreshold &&
    a.matcher === b.matcher
  );
}

export function createTargetGroup(
  control: Control,
  caller: CallerContext,
  req: CreateTargetGroupRequest,
): Stored<'targetGroup'> {
  validateElbName(req.name, 'target group');
  const tags = validateElbTags(req.tags);
  const targetType = req.targetType ?? 'instance';
  if (targetType !== 'instance' && targetType !== 'ip' && targetType !== 'alb') {
    throw apiError(
      'InvalidConfigurationRequest',
      `Target type '${targetType}' is not supported by privlink: use instance, ip or alb`,
    );
  }
  const protocol = req.protocol;
  if (!protocol)
    throw apiError('ValidationError', `A protocol must be specified for target type '${targetType}'`);
  if (!SUPPORTED_PROTOCOLS.includes(protocol)) {
    throw apiError(
      'InvalidConfigurationRequest',
      `Protocol '${protocol}' is not supported by privlink target groups`,
    );
  }
  if (req.port === undefined)
    throw apiError('ValidationError', `A port must be specified for target type '${targetType}'`);
  if (!req.vpcId)
    throw apiError('ValidationError', `A VPC ID must be specified for target type '${targetType}'`);
  if (protocol === 'GENEVE' && req.port !== GENEVE_PORT) {
    throw apiError('ValidationError', `The port of a GENEVE target group must be ${GENEVE_PORT}`);
  }
  if (targetType === 'alb' && protocol !== 'TCP') {
    throw apiError(
      'InvalidConfigurationRequest',
      "Target groups with target type 'alb' must use the TCP protocol",
    );
  }
  if (protocol === 'GENEVE' && targetType === 'alb') {
    throw apiError(
      'InvalidConfigurationRequest',
      "GENEVE target groups support target types 'instance' and 'ip'",
    );
  }
  if (req.protocolVersion !== undefined && !isHttp(protocol)) {
    throw apiError(
      'ValidationError',
      `A protocol version can only be specified for HTTP and HTTPS target groups`,
    );
  }
  const ipAddressType = req.ipAddressType ?? 'ipv4';
  if (ipAddressType !== 'ipv4') {
    throw apiError(
      'InvalidConfigurationRequest',
      `IP address type '${ipAddressType}' is not supported by privlink target groups`,
    );
  }
  if (req.targetControlPort !== undefined) {
    throw apiError(
      'InvalidConfigurationRequest',
      'TargetControlPort is only supported for Application Load Balancer target groups',
    );
  }
  const vpc = control.store.get('vpc', scopeOf(caller), req.vpcId);
  if (!vpc) throw apiError('ValidationError', `The VPC ID '${req.vpcId}' is not found`);
  const healthCheck = resolveHealthCheck(
    protocol,
    targetType,
    defaultHealthCheck(protocol),
    req.healthCheck,
    true,
  );

  const existing = control.store.list('targetGroup', scopeOf(caller)).find((t) => t.name === req.name);
  if (existing) {
    if (
      existing.protocol === protocol &&
      existing.port === req.port &&
      existing.vpcId === req.vpcId &&
      existing.targetType === targetType &&
      sameHealthCheck(existing.healthCheck, healthCheck)
    ) {
      return existing;
    }
    throw apiError(
      'DuplicateTargetGroupName',
      `A target group with the same name '${req.name}' exists, but with different settings`,
    );
  }
  checkTargetGroupQuota(control, caller);
  const arn = targetGroupArn(caller.region, caller.accountId, req.name, control.ids.hex(16));
  const tg: TargetGroup = {
    ...newElbResource(control, caller, arn, tags),
    name: req.name,
    protocol,
    port: req.port,
    vpcId: req.vpcId,
    targetType,
    ipAddressType,
    healthCheck,
    attributes: defaultAttributes(targetGroupAttributeTable({ protocol, targetType })),
    targets: [],
  };
  return control.store.put('targetGroup', tg);
}

export interface DescribeTargetGroupsRequest {
  loadBalancerArn?: string;
  arns: readonly string[];
  names: readonly string[];
  marker?: string;
  pageSize?: number;
}

export function describeTargetGroups(
  control: Control,
  caller: CallerContext,
  req: DescribeTargetGroupsRequest,
): { items: Stored<'targetGroup'>[]; nextMarker?: string } {
  const given = [req.loadBalancerArn !== undefined, req.arns.length > 0, req.names.length > 0].filter(
    Boolean,
  );
  if (given.length > 1) {
    throw apiError('ValidationError', 'Specify only one of LoadBalancerArn, TargetGroupArns or Names');
  }
  const all = control.store.list('targetGroup', scopeOf(caller));
  let items = all;
  if (req.loadBalancerArn !== undefined) {
    const lb = getLoadBalancer(control, caller, req.loadBalancerArn);
    const used = new Set(listenersOf(control, lb).flatMap((l) => forwardedTargetGroups(l)));
    items = all.filter((t) => used.has(t.id));
  } else if (req.arns.length > 0) {
    items = pickByArns(req.arns, (arn) => getTargetGroup(control, caller, arn));
  } else if (req.names.length > 0) {
    items = pickByNames(all, req.names, (missing) =>
      apiError('TargetGroupNotFound', `Target groups '[${missing.join(', ')}]' not found`),
    );
  }
  return pageOf(items, (t) => t.id, req.marker, req.pageSize);
}

export function modifyTargetGroup(
  control: Control,
  caller: CallerContext,
  arn: string,
  input: HealthCheckInput,
): Stored<'targetGroup'> {
  const tg = getTargetGroup(control, caller, arn);
  const healthCheck = resolveHealthCheck(tg.protocol, tg.targetType, { ...tg.healthCheck }, input, false);
  return control.store.put('targetGroup', { ...tg, healthCheck });
}

/** Deletes a target group; refused while a listener forwards to it. Unknown ARN: no error. */
export function deleteTargetGroup(control: Control, caller: CallerContext, arn: string): void {
  const tg = findTargetGroup(control, caller, arn);
  if (!tg) return;
  if (loadBalancerArnsOf(control, tg).length > 0) {
    throw apiError('ResourceInUse', `Target group '${arn}' is currently in use by a listener or a rule`);
  }
  control.store.delete('targetGroup', arn);
}

export function describeTargetGroupAttributes(
  control: Control,
  caller: CallerContext,
  arn: string,
): { Key: string; Value: string }[] {
  const tg = getTargetGroup(control, caller, arn);
  return attributeList(targetGroupAttributeTable(tg), tg.attributes);
}

export function modifyTargetGroupAttributes(
  control: Control,
  caller: CallerContext,
  arn: string,
  changes: readonly AttributeInput[],
): { Key: string; Value: string }[] {
  const tg = getTargetGroup(control, caller, arn);
  const table = targetGroupAttributeTable(tg);
  const next = applyAttributes(table, tg.attributes, changes, 'Target group');
  if (
    (tg.protocol === 'UDP' || tg.protocol === 'TCP_UDP') &&
    next['preserve_client_ip.enabled'] === 'false'
  ) {
    throw apiError(
      'InvalidConfigurationRequest',
      `Client IP preservation cannot be disabled for target groups with the ${tg.protocol} protocol`,
    );
  }
  if (
    tg.protocol === 'GENEVE' &&
    next['target_failover.on_deregistration'] !== next['target_failover.on_unhealthy']
  ) {
    throw apiError(
      'InvalidConfigurationRequest',
      "'target_failover.on_deregistration' and 'target_failover.on_unhealthy' must have the same value",
    );
  }
  control.store.put('targetGroup', { ...tg, attributes: next });
  return attributeList(table, next);
}
