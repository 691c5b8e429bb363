/**
 * The attribute catalogues of Network/Gateway Load Balancers, their target groups and listeners:
 * which keys exist for which resource, their defaults and their allowed values. Defaults are
 * materialised into the stored object at creation, so readers (data plane, DNS) never need to
 * know a default: `tg.attributes['proxy_protocol_v2.enabled']` is always present.
 *
 * Fidelity (ELBv2 user guides for NLB/GWLB, 2025):
 * - Covered: NLB keys deletion_protection.enabled, load_balancing.cross_zone.enabled,
 *   access_logs.s3.{enabled,bucket,prefix}, ipv6.deny_all_igw_traffic,
 *   dns_record.client_routing_policy, secondary_ips.auto_assigned.per_subnet (0–7),
 *   zonal_shift.config.enabled; GWLB: deletion_protection and cross-zone. Target group keys for
 *   NLB (proxy protocol v2, deregistration delay 0–3600, connection termination, client IP
 *   preservation, source_ip stickiness, cross-zone, unhealthy-state and DNS-failover health) and
 *   GWLB (5-/3-/2-tuple stickiness, target_failover.*). Listener tcp.idle_timeout.seconds
 *   (60–6000, default 350).
 * - Errors: an unknown key → ValidationError; a value outside its set → InvalidConfigurationRequest.
 * - Gaps: ALB keys are not modelled (privlink has no ALBs).
 */
import { apiError } from '../errors.js';

export interface AttributeSpec {
  /** Default value; undefined keys are not materialised (none today). */
  default: string;
  /** Returns an error message when the value is not allowed. */
  check(value: string): string | undefined;
}

export type AttributeTable = Record<string, AttributeSpec>;

const bool = (def: 'true' | 'false'): AttributeSpec => ({
  default: def,
  check: (v) => (v === 'true' || v === 'false' ? undefined : 'must be true or false'),
});

const oneOf = (def: string, values: readonly string[]): AttributeSpec => ({
  default: def,
  check: (v) => (values.includes(v) ? undefined : `must be one of: ${values.join(', ')}`),
});

const intRange = (def: number, min: number, max: number): AttributeSpec => ({
  default: String(def),
  check: (v) =>
    /^\d{1,9}$/.test(v) && Number(v) >= min && Number(v) <= max
      ? undefined
      : `must be an integer from ${min} to ${max}`,
});

const text = (def: string, max = 1024): AttributeSpec => ({
  default: def,
  check: (v) => (v.length <= max ? undefined : `must be at most ${max} characters`),
});

const percentage: AttributeSpec = {
  default: 'off',
  check: (v) =>
    v === 'off' || (/^\d{1,3}$/.test(v) && Number(v) >= 1 && Number(v) <= 100)
      ? undefined
      : "must be 'off' or an integer from 1 to 100",
};

const minCount = (def: string): AttributeSpec => ({
  default: def,
  check: (v) =>
    v === 'off' || (/^\d{1,6}$/.test(v) && Number(v) >= 1)
      ? undefined
      : "must be 'off' or a positive integer",
});

export function loadBalancerAttributeTable(type: 'network' | 'gateway'): AttributeTable {
  const common: AttributeTable = {
    'deletion_protection.enabled': bool('false'),
    'load_balancing.cross_zone.enabled': bool('false'),
  };
  if (type === 'gateway') return common;
  return {
    ...common,
    'access_logs.s3.enabled': bool('false'),
    'access_logs.s3.bucket': text(''),
    'access_logs.s3.prefix': text(''),
    'ipv6.deny_all_igw_traffic': bool('false'),
    'dns_record.client_routing_policy': oneOf('any_availability_zone', [
      'availability_zone_affinity',
      'partial_availability_zone_affinity',
      'any_availability_zone',
    ]),
    'secondary_ips.auto_assigned.per_subnet': intRange(0, 0, 7),
    'zonal_shift.config.enabled': bool('false'),
  };
}

export interface TargetGroupTraits {
  protocol: string;
  targetType: string;
}

const isGeneve = (t: TargetGroupTraits) => t.protocol === 'GENEVE';

export function targetGroupAttributeTable(t: TargetGroupTraits): AttributeTable {
  const health: AttributeTable = {
    'target_group_health.dns_failover.minimum_healthy_targets.count': minCount('1'),
    'target_group_health.dns_failover.minimum_healthy_targets.percentage': percentage,
    'target_group_health.unhealthy_state_routing.minimum_healthy_targets.count': minCount('1'),
    'target_group_health.unhealthy_state_routing.minimum_healthy_targets.percentage': percentage,
  };
  const common: AttributeTable = {
    'deregistration_delay.timeout_seconds': intRange(300, 0, 3600),
    'stickiness.enabled': bool('false'),
    'load_balancing.cross_zone.enabled': oneOf('use_load_balancer_configuration', [
      'true',
      'false',
      'use_load_balancer_configuration',
    ]),
  };
  if (isGeneve(t)) {
    return {
      ...common,
      ...health,
      'stickiness.type': oneOf('source_ip_dest_ip_proto', ['source_ip_dest_ip', 'source_ip_dest_ip_proto']),
      'target_failover.on_deregistration': oneOf('no_rebalance', ['rebalance', 'no_rebalance']),
      'target_failover.on_unhealthy': oneOf('no_rebalance', ['rebalance', 'no_rebalance']),
    };
  }
  // Client IP preservation: on for instance targets and for UDP/TCP_UDP, off for ip targets otherwise.
  const preserve =
    t.targetType === 'instance' || t.protocol === 'UDP' || t.protocol === 'TCP_UDP' ? 'true' : 'false';
  return {
    ...common,
    ...health,
    'deregistration_delay.connection_termination.enabled': bool('false'),
    'proxy_protocol_v2.enabled': bool('false'),
    'preserve_client_ip.enabled': bool(preserve),
    'stickiness.type': oneOf('source_ip', ['source_ip']),
    'target_health_state.unhealthy.connection_termination.enabled': bool('true'),
    'target_health_state.unhealthy.draining_interval_seconds': intRange(0, 0, 360000),
  };
}

export function listenerAttributeTable(): AttributeTable {
  return { 'tcp.idle_timeout.seconds': intRange(350, 60, 6000) };
}

/** All keys of a table at their defaults. */
export function defaultAttributes(table: AttributeTable): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, spec] of Object.entries(table)) out[k] = spec.default;
  return out;
}

export interface AttributeInput {
  Key?: string;
  Value?: string;
}

/**
 * Applies Key/Value changes on top of the current values. Unknown keys and bad values are
 * refused before anything changes.
 */
export function applyAttributes(
  table: AttributeTable,
  current: Readonly<Record<string, string>>,
  changes: readonly AttributeInput[],
  what: string,
): Record<string, string> {
  const next: Record<string, string> = { ...defaultAttributes(table), ...current };
  for (const c of changes) {
    const key = c.Key ?? '';
    const spec = Object.prototype.hasOwnProperty.call(table, key) ? table[key] : undefined;
    if (!spec) {
      throw apiError('ValidationError', `${what} attribute key '${key.slice(0, 256)}' is not recognized`);
    }
    const value = c.Value ?? '';
    const why = spec.check(value);
    if (why) {
      throw apiError(
        'InvalidConfigurationRequest',
        `${what} attribute '${key}' value '${value.slice(0, 128)}' is not valid: it ${why}`,
      );
    }
    next[key] = value;
  }
  return next;
}

/** Renders attributes as the wire's Key/Value list, in the table's order. */
export function attributeList(
  table: AttributeTable,
  current: Readonly<Record<string, string>>,
): { Key: string; Value: string }[] {
  return Object.keys(table).map((k) => ({ Key: k, Value: current[k] ?? table[k]?.default ?? '' }));
}
