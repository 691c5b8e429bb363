/**
 * STS, just enough for `aws sts get-caller-identity` and SDK credential checks.
 * Fidelity: GetCallerIdentity returns the account and principal derived from the access key.
 */
import { s } from '../../query/shapes.js';
import { defineAction, type ActionDef } from '../types.js';

export const STS_ACTION_TABLE: Record<'GetCallerIdentity', ActionDef> = {
  GetCallerIdentity: defineAction(s.struct({}), (_input, ctx) => ({
    Arn: ctx.principal.arn,
    UserId: ctx.principal.arn.endsWith(':root') ? ctx.accountId : `AIDA${ctx.accountId}`,
    Account: ctx.accountId,
  })),
};
