/**
 * Helpers every ELBv2 service shares: name rules, ARN parsing and scoped look-ups, and the
 * Marker/PageSize paging of the Describe* actions.
 *
 * Fidelity (ELBv2 API reference, 2025):
 * - Covered: names are 1–32 alphanumerics or hyphens, not starting or ending with a hyphen
 *   (ValidationError); ARNs are looked up in the caller's (account, region) only, so another
 *   account's ARN is "not found", as on AWS.
 * - By design: markers are opaque base64url tokens carrying the last ARN returned; a forged one
 *   is refused with ValidationError.
 */
import type { CallerContext } from '../context.js';
import type { Control } from '../control.js';
import { Errors, apiError, type ApiError } from '../errors.js';
import type { Scoped, Tag } from '../model/common.js';
import type { Scope, Stored } from '../../store/store.js';

export type ElbResourceKind = 'loadBalancer' | 'targetGroup' | 'listener';

export function scopeOf(caller: CallerContext): Scope {
  return { accountId: caller.accountId, region: caller.region };
}

/** The fields every new ELBv2 resource starts with: its ARN is also its store id. */
export function newElbResource(
  control: Control,
  caller: CallerContext,
  arn: string,
  tags: Tag[],
): Scoped & { arn: string } {
  return {
    id: arn,
    arn,
    accountId: caller.accountId,
    region: caller.region,
    createdAt: control.clock.now(),
    tags,
  };
}

/** Looks up each ARN (the lookup throws for an unknown one); a repeated ARN answers once. */
export function pickByArns<T extends { id: string }>(arns: readonly string[], get: (arn: string) => T): T[] {
  const picked = arns.map(get);
  return picked.filter((x, i) => picked.findIndex((y) => y.id === x.id) === i);
}

/** The named resources; when any name is unknown, notFound gets every missing name. */
export function pickByNames<T extends { name: string }>(
  all: readonly T[],
  names: readonly string[],
  notFound: (missing: string[]) => ApiError,
): T[] {
  const missing = names.filter((n) => !all.some((x) => x.name === n));
  if (missing.length > 0) throw notFound(missing);
  return all.filter((x) => names.includes(x.name));
}

const NAME_RE = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?$/;

/** Validates a load balancer or target group name (ValidationError when it breaks the rules). */
export function validateElbName(name: string, what: 'load balancer' | 'target group'): void {
  if (!NAME_RE.test(name)) {
    throw apiError(
      'ValidationError',
      `The ${what} name '${name.slice(0, 64)}' is not valid: it must have 1-32 characters, contain only alphanumeric characters or hyphens, and must not begin or end with a hyphen`,
    );
  }
  if (what === 'load balancer' && name.toLowerCase().startsWith('internal-')) {
    throw apiError('ValidationError', `The load balancer name '${name}' cannot begin with 'internal-'`);
  }
}

const ARN_RE =
  /^arn:aws[a-z-]*:elasticloadbalancing:([a-z0-9-]+):(\d{12}):(loadbalancer|targetgroup|listener)\/(.+)$/;

export interface ParsedElbArn {
  region: string;
  accountId: string;
  kind: ElbResourceKind;
}

/** Parses an ELBv2 ARN of a load balancer, target group or listener; undefined when malformed. */
export function parseElbArn(arn: string): ParsedElbArn | undefined {
  const m = ARN_RE.exec(arn);
  if (!m?.[1] || !m[2] || !m[3]) return undefined;
  const kind: ElbResourceKind =
    m[3] === 'loadbalancer' ? 'loadBalancer' : m[3] === 'targetgroup' ? 'targetGroup' : 'listener';
  return { region: m[1], accountId: m[2], kind };
}

function requireArn(arn: string, kind: ElbResourceKind, label: string): void {
  const parsed = parseElbArn(arn);
  if (!parsed || parsed.kind !== kind) {
    throw apiError('ValidationError', `'${arn.slice(0, 200)}' is not a valid ${label} ARN`);
  }
}

export function getLoadBalancer(
  control: Control,
  caller: CallerContext,
  arn: string,
): Stored<'loadBalancer'> {
  requireArn(arn, 'loadBalancer', 'load balancer');
  const lb = control.store.get('loadBalancer', scopeOf(caller), arn);
  if (!lb) throw Errors.loadBalancerNotFound(arn);
  return lb;
}

export function findLoadBalancer(
  control: Control,
  caller: CallerContext,
  arn: string,
): Stored<'loadBalancer'> | undefined {
  requireArn(arn, 'loadBalancer', 'load balancer');
  return control.store.get('loadBalancer', scopeOf(caller), arn);
}

export function getTargetGroup(control: Control, caller: CallerContext, arn: string): Stored<'targetGroup'> {
  requireArn(arn, 'targetGroup', 'target group');
  const tg = control.store.get('targetGroup', scopeOf(caller), arn);
  if (!tg) throw Errors.targetGroupNotFound(arn);
  return tg;
}

export function findTargetGroup(
  control: Control,
  caller: CallerContext,
  arn: string,
): Stored<'targetGroup'> | undefined {
  requireArn(arn, 'targetGroup', 'target group');
  return control.store.get('targetGroup', scopeOf(caller), arn);
}

export function getListener(control: Control, caller: CallerContext, arn: string): Stored<'listener'> {
  requireArn(arn, 'listener', 'listener');
  const l = control.store.get('listener', scopeOf(caller), arn);
  if (!l) throw Errors.listenerNotFound(arn);
  return l;
}

/** Listeners of one load balancer, in creation order. */
export function listenersOf(control: Control, lb: { accountId: string; region: string; id: string }) {
  return control.store
    .list('listener', { accountId: lb.accountId, region: lb.region })
    .filter((l) => l.loadBalancerArn === lb.id);
}

/** Every target group ARN a listener forwards to. */
export function forwardedTargetGroups(l: Stored<'listener'>): string[] {
  const out = new Set<string>();
  for (const a of l.defaultActions) {
    if (a.targetGroupArn) out.add(a.targetGroupArn);
    for (const f of a.forwardTargetGroups ?? []) out.add(f.targetGroupArn);
  }
  return [...out];
}

/** The load balancers whose listeners forward to a target group (AWS's TargetGroup.LoadBalancerArns). */
export function loadBalancerArnsOf(
  control: Control,
  tg: { accountId: string; region: string; id: string },
): string[] {
  const out = new Set<string>();
  for (const l of control.store.list('listener', { accountId: tg.accountId, region: tg.region })) {
    if (forwardedTargetGroups(l).includes(tg.id)) out.add(l.loadBalancerArn);
  }
  return [...out];
}

export interface ElbPage<T> {
  items: T[];
  nextMarker?: string;
}

/** Marker/PageSize paging over a stable list (PageSize is range-checked by the input shape). */
export function pageOf<T>(
  items: readonly T[],
  idOf: (t: T) => string,
  marker: string | undefined,
  pageSize: number | undefined,
): ElbPage<T> {
  let start = 0;
  if (marker !== undefined) {
    let last: string | undefined;
    try {
      const v = JSON.parse(Buffer.from(marker, 'base64url').toString('utf8')) as unknown;
      if (Array.isArray(v) && typeof v[0] === 'string' && typeof v[1] === 'number') {
        last = v[0];
        const at = items.findIndex((t) => idOf(t) === last);
        start = at >= 0 ? at + 1 : Math.min(v[1], items.length);
      }
    } catch {
      last = undefined;
    }
    if (last === undefined)
      throw apiError('ValidationError', `The marker '${marker.slice(0, 64)}' is not valid`);
  }
  const size = pageSize ?? 400;
  const slice = items.slice(start, start + size);
  const lastItem = slice.at(-1);
  const more = start + size < items.length && lastItem !== undefined;
  return {
    items: slice,
    nextMarker: more
      ? Buffer.from(JSON.stringify([idOf(lastItem), start + size]), 'utf8').toString('base64url')
      : undefined,
  };
}
