/**
 * Targets of a target group: RegisterTargets, DeregisterTargets (with connection draining) and
 * DescribeTargetHealth. Also the read helpers the data plane uses to know which targets receive
 * traffic (`servingTargets`) and which are still draining.
 *
 * Fidelity (ELBv2 API reference, NLB target group guide, 2025):
 * - Covered: instance targets must exist in the group's VPC and not be terminated (InvalidTarget);
 *   IP targets must be IPv4 and inside the VPC CIDR, or private (RFC 1918 / 100.64/10) with
 *   AvailabilityZone=all; Port defaults to the group's port; re-registering a draining target
 *   revives it. Deregistration drains for `deregistration_delay.timeout_seconds`, then the target
 *   disappears (immediately when the delay is 0 or the group is not in use). Health states:
 *   the data plane's report (control.health) wins; otherwise draining →
 *   `draining`/Target.DeregistrationInProgress, group not used by a load balancer or target in
 *   a zone the load balancer does not use → `unused`/Target.NotInUse, an instance target that is
 *   stopping or stopped → `unused`/Target.InvalidState ("Target is in the stopped state"; the
 *   data plane neither sends to it nor checks it), within one health check
 *   interval of registration → `initial`/Elb.RegistrationInProgress, else `healthy`. Asking for an
 *   unregistered target → `unused`/Target.NotRegistered; a non-existent instance → InvalidTarget.
 * - By design: draining is judged against the injected clock when read; no timers.
 * - Gaps: alb targets (privlink has no ALBs, so registering one fails with InvalidTarget);
 *   anomaly detection and administrative override are not reported.
 */
import type { CallerContext } from '../context.js';
import type { Control } from '../control.js';
import { apiError } from '../errors.js';
import type { DeepReadonly } from '../model/common.js';
import type { RegisteredTarget, TargetGroup } from '../model/elb.js';
import type { TargetHealthReport } from '../health.js';
import { cidrContainsIp, isIpv4, parseCidr } from '../cidr.js';
import { findZone } from '../zones.js';
import type { Stored } from '../../store/store.js';
import { getTargetGroup, loadBalancerArnsOf, scopeOf } from './common.js';

export interface TargetInput {
  Id?: string;
  Port?: number;
  AvailabilityZone?: string;
}

type Tg = DeepReadonly<TargetGroup>;
type Target = DeepReadonly<RegisteredTarget>;

function drainMs(tg: Tg): number {
  return Number(tg.attributes['deregistration_delay.timeout_seconds'] ?? '300') * 1000;
}

/** True once a deregistered target has finished draining and no longer exists. */
export function isDrained(tg: Tg, t: Target, now: number): boolean {
  return t.deregisteredAt !== undefined && now >= t.deregisteredAt + drainMs(tg);
}

/** Targets still known to the group (registered or draining), at `now`. */
export function knownTargets(tg: Tg, now: number): Target[] {
  return tg.targets.filter((t) => !isDrained(tg, t, now));
}

/** Targets that should receive new connections: registered and not deregistered. */
export function servingTargets(tg: Tg): Target[] {
  return tg.targets.filter((t) => t.deregisteredAt === undefined);
}

const PRIVATE_RANGES = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10'].map((c) =>
  parseCidr(c),
);

function vpcCidrOf(control: Control, tg: Tg) {
  const vpc = tg.vpcId
    ? control.store.get('vpc', { accountId: tg.accountId, region: tg.region }, tg.vpcId)
    : undefined;
  return vpc ? parseCidr(vpc.cidrBlock) : undefined;
}

function checkTarget(control: Control, caller: CallerContext, tg: Tg, t: TargetInput): void {
  const id = t.Id ?? '';
  if (tg.targetType === 'instance') {
    const inst = /^i-[0-9a-f]{8,17}$/.test(id)
      ? control.store.get('instance', scopeOf(caller), id)
      : undefined;
    if (!inst)
      throw apiError('InvalidTarget', `The following targets are not valid instances: '${id.slice(0, 64)}'`);
    if (inst.vpcId !== tg.vpcId) {
      throw apiError(
        'InvalidTarget',
        `The following targets are not in the target group VPC '${tg.vpcId ?? ''}': '${id}'`,
      );
    }
    if (inst.state === 'terminated' || inst.state === 'shutting-down') {
      throw apiError(
        'InvalidTarget',
        `The following targets are not in a running state and cannot be registered: '${id}'`,
      );
    }
    return;
  }
  if (tg.targetType === 'alb') {
    throw apiError(
      'InvalidTarget',
      `The following targets are not Application Load Balancers: '${id.slice(0, 200)}'`,
    );
  }
  if (!isIpv4(id))
    throw apiError('InvalidTarget', `The IP address '${id.slice(0, 64)}' is not a valid IPv4 address`);
  const az = t.AvailabilityZone;
  if (az !== undefined && az !== 'all' && !findZone(caller.region, az)) {
    throw apiError('InvalidTarget', `The Availability Zone '${az}' is not valid for target '${id}'`);
  }
  const cidr = vpcCidrOf(control, tg);
  const inVpc = cidr !== undefined && cidrContainsIp(cidr, id);
  if (inVpc) return;
  if (az !== 'all') {
    throw apiError(
      'InvalidTarget',
      `The IP address '${id}' is outside the VPC CIDR of the target group; specify AvailabilityZone 'all' to register it`,
    );
  }
  if (!PRIVATE_RANGES.some((r) => cidrContainsIp(r, id))) {
    throw apiError(
      'InvalidTarget',
      `The IP address '${id}' is not in a private range (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, 100.64.0.0/10)`,
    );
  }
}

function portOf(tg: Tg, t: TargetInput): number {
  const port = t.Port ?? tg.port;
  if (port === undefined)
    throw apiError('ValidationError', `A port must be specified for target '${t.Id ?? ''}'`);
  return port;
}

export function registerTargets(
  control: Control,
  caller: CallerContext,
  arn: string,
  targets: readonly TargetInput[],
): void {
  const tg = getTargetGroup(control, caller, arn);
  const now = control.clock.now();
  const next: RegisteredTarget[] = knownTargets(tg, now).map((t) => ({ ...t }));
  for (const t of targets) {
    checkTarget(control, caller, tg, t);
    const id = t.Id ?? '';
    const port = portOf(tg, t);
    const at = next.findIndex((x) => x.id === id && x.port === port);
    const existing = at >= 0 ? next[at] : undefined;
    if (existing && existing.deregisteredAt === undefined) continue;
    const fresh: RegisteredTarget = { id, port, availabilityZone: t.AvailabilityZone, registeredAt: now };
    if (existing) next[at] = fresh;
    else next.push(fresh);
  }
  control.store.put('targetGroup', { ...tg, targets: next });
}

export function deregisterTargets(
  control: Control,
  caller: CallerContext,
  arn: string,
  targets: readonly TargetInput[],
): void {
  const tg = getTargetGroup(control, caller, arn);
  const now = control.clock.now();
  const immediate = drainMs(tg) === 0 || loadBalancerArnsOf(control, tg).length === 0;
  let next: RegisteredTarget[] = knownTargets(tg, now).map((t) => ({ ...t }));
  for (const t of targets) {
    const id = t.Id ?? '';
    const port = t.Port ?? tg.port;
    const matches = next.filter((x) => x.id === id && (port === undefined || x.port === port));
    if (matches.length === 0) {
      // Unknown instances are an error; a valid target that is simply not registered is not.
      if (tg.targetType === 'instance' && !control.store.get('instance', scopeOf(caller), id)) {
        throw apiError(
          'InvalidTarget',
          `The following targets are not valid instances: '${id.slice(0, 64)}'`,
        );
      }
      continue;
    }
    if (immediate) {
      next = next.filter((x) => !matches.includes(x));
    } else {
      for (const m of matches) if (m.deregisteredAt === undefined) m.deregisteredAt = now;
    }
  }
  control.store.put('targetGroup', { ...tg, targets: next });
}

export interface TargetHealthEntry {
  id: string;
  port: number;
  availabilityZone?: string;
  healthCheckPort: string;
  health: TargetHealthReport;
}

/** Zone name of a target, when it can be told (instance, or an IP inside a subnet of the VPC). */
function zoneOfTarget(control: Control, tg: Tg, t: Target): string | undefined {
  const scope = { accountId: tg.accountId, region: tg.region };
  if (t.availabilityZone === 'all') return undefined;
  if (t.availabilityZone) return findZone(tg.region, t.availabilityZone)?.zoneName;
  if (tg.targetType === 'instance') return control.store.get('instance', scope, t.id)?.availabilityZone;
  if (!isIpv4(t.id)) return undefined;
  const subnet = control.store
    .list('subnet', scope)
    .find((s) => s.vpcId === tg.vpcId && cidrContainsIp(parseCidr(s.cidrBlock), t.id));
  return subnet?.availabilityZone;
}

function healthOf(
  control: Control,
  tg: Tg,
  t: Target,
  lbZones: Set<string> | undefined,
  now: number,
): TargetHealthReport {
  if (t.deregisteredAt !== undefined) {
    return {
      state: 'draining',
      reason: 'Target.DeregistrationInProgress',
      description: 'Target deregistration is in progress',
    };
  }
  if (!lbZones) {
    return {
      state: 'unused',
      reason: 'Target.NotInUse',
      description: 'Target group is not configured to receive traffic from the load balancer',
    };
  }
  const zone = zoneOfTarget(control, tg, t);
  if (zone !== undefined && !lbZones.has(zone)) {
    return {
      state: 'unused',
      reason: 'Target.NotInUse',
      description: 'Target is in an Availability Zone that is not enabled for the load balancer',
    };
  }
  let since = t.registeredAt;
  if (tg.targetType === 'instance') {
    const inst = control.store.get('instance', { accountId: tg.accountId, region: tg.region }, t.id);
    // A target whose instance (re)started is checked afresh: no report yet reads `initial`.
    if (inst) since = Math.max(since, inst.launchTime);
    if (inst && inst.state !== 'running' && inst.state !== 'pending') {
      return {
        state: 'unused',
        reason: 'Target.InvalidState',
        description: `Target is in the ${inst.state} state`,
      };
    }
  }
  const reported = control.health.healthOf(tg.id, t.id, t.port);
  if (reported) return reported;
  if (now < since + tg.healthCheck.intervalSeconds * 1000) {
    return {
      state: 'initial',
      reason: 'Elb.RegistrationInProgress',
      description: 'Target registration is in progress',
    };
  }
  return { state: 'healthy' };
}

/** Zones of the load balancers using the group; undefined when no load balancer uses it. */
function servingZones(control: Control, tg: Tg): Set<string> | undefined {
  const arns = loadBalancerArnsOf(control, tg);
  if (arns.length === 0) return undefined;
  const zones = new Set<string>();
  for (const arn of arns) {
    const lb: Stored<'loadBalancer'> | undefined = control.store.find('loadBalancer', arn);
    for (const n of lb?.nodes ?? []) zones.add(n.zoneName);
  }
  return zones;
}

export function describeTargetHealth(
  control: Control,
  caller: CallerContext,
  arn: string,
  filter: readonly TargetInput[],
): TargetHealthEntry[] {
  const tg = getTargetGroup(control, caller, arn);
  const now = control.clock.now();
  const known = knownTargets(tg, now);
  const zones = servingZones(control, tg);
  const hcPort = (port: number) =>
    tg.healthCheck.port === 'traffic-port' ? String(port) : tg.healthCheck.port;
  const entry = (t: Target): TargetHealthEntry => ({
    id: t.id,
    port: t.port,
    availabilityZone: t.availabilityZone,
    healthCheckPort: hcPort(t.port),
    health: healthOf(control, tg, t, zones, now),
  });
  if (filter.length === 0) return known.map(entry);
  const out: TargetHealthEntry[] = [];
  for (const f of filter) {
    const id = f.Id ?? '';
    const matches = known.filter((t) => t.id === id && (f.Port === undefined || t.port === f.Port));
    if (matches.length > 0) {
      out.push(...matches.map(entry));
      continue;
    }
    if (tg.targetType === 'instance' && !control.store.get('instance', scopeOf(caller), id)) {
      throw apiError('InvalidTarget', `The following targets are invalid: '${id.slice(0, 64)}'`);
    }
    const port = f.Port ?? tg.port ?? 0;
    out.push({
      id,
      port,
      availabilityZone: f.AvailabilityZone,
      healthCheckPort: hcPort(port),
      health: {
        state: 'unused',
        reason: 'Target.NotRegistered',
        description: 'Target is not registered to the target group',
      },
    });
  }
  return out;
}
