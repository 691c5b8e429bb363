/**
 * ModifyVpcEndpoint (docs/reference/aws-privatelink.md §6.2); behaviour and fidelity ledger in
 * control/privatelink/vpc-endpoints.ts.
 */
import { modifyVpcEndpoint } from '../../../../control/privatelink/vpc-endpoints.js';
import { common, s } from '../../../query/shapes.js';
import { defineAction } from '../../types.js';
import { endpointOptionMembers, endpointOptionsInput } from './shapes.js';

export const ModifyVpcEndpoint = defineAction(
  s.struct({
    ...common,
    VpcEndpointId: s.str({ required: true }),
    ResetPolicy: s.bool(),
    PolicyDocument: s.str(),
    AddRouteTableId: s.list(s.str()),
    RemoveRouteTableId: s.list(s.str()),
    AddSubnetId: s.list(s.str()),
    RemoveSubnetId: s.list(s.str()),
    AddSecurityGroupId: s.list(s.str()),
    RemoveSecurityGroupId: s.list(s.str()),
    ...endpointOptionMembers,
  }),
  (input, ctx) => {
    modifyVpcEndpoint(ctx.control, ctx, {
      id: input.VpcEndpointId,
      resetPolicy: input.ResetPolicy,
      policyDocument: input.PolicyDocument,
      addRouteTableIds: input.AddRouteTableId,
      removeRouteTableIds: input.RemoveRouteTableId,
      addSubnetIds: input.AddSubnetId,
      removeSubnetIds: input.RemoveSubnetId,
      addSecurityGroupIds: input.AddSecurityGroupId,
      removeSecurityGroupIds: input.RemoveSecurityGroupId,
      ...endpointOptionsInput(input),
    });
    return { return: true };
  },
);
