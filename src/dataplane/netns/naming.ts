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
