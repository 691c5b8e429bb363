/**
 * Caller-scoped lookups of the EC2 core resources, with AWS's Malformed/NotFound errors.
 * Every resource belongs to one (account, region): another account's ID is simply NotFound.
 *
 * Fidelity: IDs are checked for shape first (`vpc-` + 8 or 17 hex → else `…Malformed`, message
 * `Invalid id: "x" (expecting "vpc-...")`), then for existence in the caller's scope.
 */
import type { Control } from '../control.js';
import type { CallerContext } from '../context.js';
import { apiError, Errors, type ApiError, type ErrorCode } from '../errors.js';
import type { Scope, Stored } from '../../store/store.js';
import type { Kind } from '../model/kinds.js';

export function scopeOf(caller: CallerContext): Scope {
  return { accountId: caller.accountId, region: caller.region };
}

interface IdRule {
  prefix: string;
  malformed: ErrorCode;
  notFound: (id: string) => ApiError;
}

const RULES = {
  vpc: { prefix: 'vpc', malformed: 'InvalidVpcID.Malformed', notFound: Errors.vpcNotFound },
  subnet: { prefix: 'subnet', malformed: 'InvalidSubnetID.Malformed', notFound: Errors.subnetNotFound },
  securityGroup: { prefix: 'sg', malformed: 'InvalidGroupId.Malformed', notFound: Errors.groupNotFound },
  routeTable: {
    prefix: 'rtb',
    malformed: 'InvalidRouteTableId.Malformed',
    notFound: Errors.routeTableNotFound,
  },
  networkInterface: {
    prefix: 'eni',
    malformed: 'InvalidNetworkInterfaceId.Malformed',
    notFound: Errors.networkInterfaceNotFound,
  },
  instance: { prefix: 'i', malformed: 'InvalidInstanceID.Malformed', notFound: Errors.instanceNotFound },
} as const satisfies Partial<Record<Kind, IdRule>>;

export type CoreKind = keyof typeof RULES;

/** True when `id` has the AWS shape `<prefix>-` + 8 or 17 lowercase hex digits. */
export function isWellFormedId(prefix: string, id: string): boolean {
  return new RegExp(`^${prefix}-(?:[0-9a-f]{8}|[0-9a-f]{17})$`).test(id);
}

export function checkIdShape(kind: CoreKind, id: string): void {
  const r: IdRule = RULES[kind];
  if (!isWellFormedId(r.prefix, id)) {
    throw apiError(r.malformed, `Invalid id: "${id}" (expecting "${r.prefix}-...")`);
  }
}

/** The caller's resource of this kind, or the kind's Malformed/NotFound error. */
export function requireOwn<K extends CoreKind>(
  control: Control,
  caller: CallerContext,
  kind: K,
  id: string,
): Stored<K> {
  checkIdShape(kind, id);
  const found = control.store.get(kind, scopeOf(caller), id);
  if (!found) throw RULES[kind].notFound(id);
  return found;
}

/**
 * Narrows a scope's resources to the requested IDs (all of them when none are asked for), in
 * the store's order; an unknown requested ID fails the whole call, as on AWS.
 */
export function selectByIds<K extends CoreKind>(
  control: Control,
  caller: CallerContext,
  kind: K,
  ids: readonly string[],
): Stored<K>[] {
  const all = control.store.list(kind, scopeOf(caller));
  if (ids.length === 0) return all;
  for (const id of ids) checkIdShape(kind, id);
  const have = new Set(all.map((r) => r.id));
  const missing = ids.filter((id) => !have.has(id));
  if (missing.length > 0) throw RULES[kind].notFound(missing.join(', '));
  const want = new Set(ids);
  return all.filter((r) => want.has(r.id));
}

/** Every resource of this kind in the caller's scope, in the store's order. */
export function listOwn<K extends CoreKind>(control: Control, caller: CallerContext, kind: K): Stored<K>[] {
  return control.store.list(kind, scopeOf(caller));
}

/**
 * Read services for renderers, which may name what a resource refers to but never reach into the
 * store: a referenced resource that is gone answers undefined.
 */
export function securityGroupName(control: Control, groupId: string): string | undefined {
  return control.store.find('securityGroup', groupId)?.groupName;
}

export function networkInterfaceById(
  control: Control,
  eniId: string,
): Stored<'networkInterface'> | undefined {
  return control.store.find('networkInterface', eniId);
}

export function availabilityZoneIdOf(control: Control, subnetId: string): string | undefined {
  return control.store.find('subnet', subnetId)?.availabilityZoneId;
}
