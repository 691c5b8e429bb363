/**
 * What GetCallerIdentity says about a caller: the ARN and unique ID AWS would show for the
 * principal the credentials file names.
 *
 * Fidelity ledger
 * - Covered: root → UserId = the account ID, Arn `arn:aws:iam::ACCOUNT:root`; IAM user →
 *   UserId `AIDA…` (21 characters), Arn `arn:aws:iam::ACCOUNT:user/NAME`; role → the caller is a
 *   role *session* as on AWS (roles sign only through AssumeRole): UserId `AROA…:SESSION`, Arn
 *   `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`.
 * - By design: the unique IDs are derived from account and name (stable across restarts, the
 *   same on every privlink); the session name is the entry's `roleSessionName`, else the access
 *   key ID (at most 64 characters), since privlink has no AssumeRole call that would carry one.
 */
import { createHash } from 'node:crypto';
import type { CredentialEntry } from '../../../config/options.js';

export interface CallerIdentity {
  Account: string;
  Arn: string;
  UserId: string;
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** AWS-shaped unique ID: a 4-letter kind prefix and 17 base32 characters. */
export function uniqueId(prefix: 'AIDA' | 'AROA', accountId: string, name: string): string {
  const h = createHash('sha256').update(`${prefix}:${accountId}:${name}`).digest();
  let out = prefix;
  for (let i = 0; i < 17; i++) out += BASE32[(h[i] ?? 0) & 31];
  return out;
}

/** The session name a role entry signs as (see the ledger). */
export function roleSessionName(entry: CredentialEntry, accessKeyId: string): string {
  return entry.roleSessionName ?? accessKeyId.slice(0, 64);
}

export function callerIdentity(
  accountId: string,
  entry: CredentialEntry | undefined,
  accessKeyId: string | undefined,
): CallerIdentity {
  if (entry?.userName) {
    return {
      Account: accountId,
      Arn: `arn:aws:iam::${accountId}:user/${entry.userName}`,
      UserId: uniqueId('AIDA', accountId, entry.userName),
    };
  }
  if (entry?.roleName) {
    const session = roleSessionName(entry, accessKeyId ?? '');
    return {
      Account: accountId,
      Arn: `arn:aws:sts::${accountId}:assumed-role/${entry.roleName}/${session}`,
      UserId: `${uniqueId('AROA', accountId, entry.roleName)}:${session}`,
    };
  }
  return { Account: accountId, Arn: `arn:aws:iam::${accountId}:root`, UserId: accountId };
}
