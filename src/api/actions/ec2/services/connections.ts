/**
 * Wire edge of Accept/RejectVpcEndpointConnections and DescribeVpcEndpointConnections
 * (docs/reference/aws-privatelink.md §6.12–6.14). Per-endpoint failures are in-band `unsuccessful` items
 * (HTTP 200). Behaviour and ledger: control/privatelink/connections.ts.
 */
import { common, s } from '../../../query/shapes.js';
import { describePagingMembers, pageRequest } from '../describe-paging.js';
import { defineAction } from '../../types.js';
import { requiredStr } from './shape-parts.js';
import { decideConnections, describeConnections } from '../../../../control/privatelink/connections.js';
import { connection, unsuccessful } from './render.js';

const decisionShape = s.struct({
  ...common,
  ServiceId: requiredStr,
  VpcEndpointId: s.list(s.str(), { required: true }),
});

export const acceptVpcEndpointConnections = defineAction(decisionShape, (input, ctx) => ({
  unsuccessful: unsuccessful(
    decideConnections(ctx.control, ctx, input.ServiceId, input.VpcEndpointId, 'accept'),
  ),
}));

export const rejectVpcEndpointConnections = defineAction(decisionShape, (input, ctx) => ({
  unsuccessful: unsuccessful(
    decideConnections(ctx.control, ctx, input.ServiceId, input.VpcEndpointId, 'reject'),
  ),
}));

export const describeVpcEndpointConnections = defineAction(
  s.struct({ ...common, ...describePagingMembers }),
  (input, ctx) => {
    const page = describeConnections(ctx.control, ctx, pageRequest(input));
    return {
      vpcEndpointConnectionSet: page.items.map((v) => connection(ctx.control, v)),
      nextToken: page.nextToken,
    };
  },
);
