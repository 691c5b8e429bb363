/**
 * Wire edge of Describe/ModifyVpcEndpointServicePermissions (docs/reference/aws-privatelink.md §6.10–6.11).
 * Note the plural wire names `AddAllowedPrincipals.N` / `RemoveAllowedPrincipals.N` (no locationName in the
 * model). Behaviour and ledger: control/privatelink/service-permissions.ts.
 */
import { common, s } from '../../../query/shapes.js';
import { describePagingMembers, pageRequest } from '../describe-paging.js';
import { defineAction } from '../../types.js';
import { requiredStr } from './shape-parts.js';
import {
  describeServicePermissions,
  modifyServicePermissions,
} from '../../../../control/privatelink/service-permissions.js';
import { addedPrincipal, allowedPrincipal } from './render.js';

export const describeVpcEndpointServicePermissions = defineAction(
  s.struct({
    ...common,
    ServiceId: requiredStr,
    ...describePagingMembers,
  }),
  (input, ctx) => {
    const page = describeServicePermissions(ctx.control, ctx, {
      serviceId: input.ServiceId,
      ...pageRequest(input),
    });
    return { allowedPrincipals: page.items.map(allowedPrincipal), nextToken: page.nextToken };
  },
);

export const modifyVpcEndpointServicePermissions = defineAction(
  s.struct({
    ...common,
    ServiceId: requiredStr,
    AddAllowedPrincipals: s.list(s.str()),
    RemoveAllowedPrincipals: s.list(s.str()),
  }),
  (input, ctx) => {
    const added = modifyServicePermissions(ctx.control, ctx, {
      serviceId: input.ServiceId,
      add: input.AddAllowedPrincipals,
      remove: input.RemoveAllowedPrincipals,
    });
    return { addedPrincipalSet: added.map(addedPrincipal), return: true };
  },
);
