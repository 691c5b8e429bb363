/**
 * Names of everything the data plane creates, derived from resource IDs under one prefix so a
 * restart can find and sweep leftovers. Namespace names may be long; interface names are limited
 * to 15 characters by the kernel, so links get short hashed names.
 */
import { createHash } from 'node:crypto';

export const vpcNamespace = (prefix: string, vpcId: string) => `${prefix}-${vpcId}`;
export const instanceNamespace = (prefix: string, instanceId: string) => `${prefix}-${instanceId}`;
/** Namespace of a requester-managed ENI: an interface endpoint's ENI or an NLB node. */
export const eniNamespace = (prefix: string, eniId: string) => `${prefix}-${eniId}`;
export const fabricNamespace = (prefix: string) => `${prefix}-fabric`;

/** A ≤15-character link name, unique per (kind, resource id). */
export function linkName(kind: string, id: string): string {
  const h = createHash('sha1')
    .update(`${kind}:${id}`)
    .digest('hex')
    .slice(0, 15 - kind.length - 1);
  return `${kind}-${h}`;
}

/**
 * A stable, locally administered unicast MAC derived from `key`. Used for every address
 * neighbours cache (ENI legs, fabric legs, bridges holding router or agent addresses), so a
 * rebuilt namespace or a bridge that gains ports never leaves a stale entry in a peer's cache.
 */
export function stableMac(key: string): string {
  const h = createHash('sha1').update(key).digest();
  const b = [0x0a, h[0] ?? 0, h[1] ?? 0, h[2] ?? 0, h[3] ?? 0, h[4] ?? 0];
  return b.map((x) => x.toString(16).padStart(2, '0')).join(':');
}
