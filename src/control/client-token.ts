/**
 * ClientToken idempotency for Create* actions (docs/reference/aws-privatelink.md §1.9): the same token with
 * the same parameters returns the resource the first request created; the same token with different
 * parameters is IdempotentParameterMismatch. Tokens are scoped by account, region and action, and remembered
 * as `idempotency` records in the store (so they survive restarts).
 *
 * Fidelity: AWS documents the rule for EC2 generally; tokens are up to 64 ASCII characters.
 * By design: a token whose resource has since been deleted starts afresh instead of failing.
 */
import type { Control } from './control.js';
import type { CallerContext } from './context.js';
import { apiError } from './errors.js';

function recordId(caller: CallerContext, action: string, token: string): string {
  return `idem:${caller.accountId}:${caller.region}:${action}:${token}`;
}

/** A stable text form of request parameters (object keys sorted). */
export function fingerprint(params: unknown): string {
  return JSON.stringify(params, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)),
        )
      : v,
  );
}

export function validateClientToken(token: string | undefined): void {
  if (token === undefined) return;
  if (token.length === 0 || token.length > 64 || !/^[\x20-\x7e]+$/.test(token)) {
    throw apiError(
      'InvalidParameterValue',
      `Value (${token.slice(0, 70)}) for parameter ClientToken is invalid. It must be 1-64 printable ASCII characters.`,
    );
  }
}

/**
 * The ID of the resource an earlier request with this token created, if that resource still
 * exists (`exists` says so); throws IdempotentParameterMismatch when the parameters differ.
 */
export function priorResourceFor(
  control: Control,
  caller: CallerContext,
  action: string,
  token: string | undefined,
  params: unknown,
  exists: (resourceId: string) => boolean,
): string | undefined {
  if (token === undefined) return undefined;
  validateClientToken(token);
  const rec = control.store.find('idempotency', recordId(caller, action, token));
  if (!rec || !exists(rec.resourceId)) return undefined;
  if (rec.fingerprint !== fingerprint(params)) {
    throw apiError(
      'IdempotentParameterMismatch',
      `The client token '${token}' was already used with different parameters.`,
    );
  }
  return rec.resourceId;
}

/** Remembers which resource this token created. */
export function rememberClientToken(
  control: Control,
  caller: CallerContext,
  action: string,
  token: string | undefined,
  params: unknown,
  resourceId: string,
): void {
  if (token === undefined) return;
  control.store.put('idempotency', {
    id: recordId(caller, action, token),
    accountId: caller.accountId,
    region: caller.region,
    createdAt: control.clock.now(),
    tags: [],
    action,
    fingerprint: fingerprint(params),
    resourceId,
  });
}
