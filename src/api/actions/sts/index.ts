/**
 * STS, just enough for `aws sts get-caller-identity` and SDK credential checks.
 * Fidelity: GetCallerIdentity answers as AWS does for the caller's principal (caller-identity.ts:
 * root, IAM user, or an assumed-role session for a role entry).
 */
import { s } from '../../query/shapes.js';
import { defineAction, type ActionDef } from '../types.js';
import { callerIdentity } from './caller-identity.js';

export const STS_ACTION_TABLE: Record<'GetCallerIdentity', ActionDef> = {
  GetCallerIdentity: defineAction(s.struct({}), (_input, ctx) => {
    const id = ctx.identity ?? callerIdentity(ctx.accountId, undefined, undefined);
    return { Arn: id.Arn, UserId: id.UserId, Account: id.Account };
  }),
};
