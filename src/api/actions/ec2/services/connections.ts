/**
 * Wire edge of Accept/RejectVpcEndpointConnections and DescribeVpcEndpointConnections
 * (reference §6.12–6.14). Per-endpoint failures are in-band `unsuccessful` items (HTTP 200).
 * Behaviour and ledger: control/services/connections.ts.
 */
import { common, filterShape, s } from '../../../query/shapes.js';
import { defineAction } from '../../types.js';
import { requiredStr } from './shape-parts.js';
import { decideConnections, describeConnections } from '../../../../control/services/connections.js';
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
  s.struct({ ...common, Filter: s.list(filterShape), MaxResults: s.int(), NextToken: s.str() }),
  (input, ctx) => {
    const page = describeConnections(ctx.control, ctx, {
      filters: input.Filter,
      maxResults: input.MaxResults,
      nextToken: input.NextToken,
    });
    return {
      vpcEndpointConnectionSet: page.items.map((v) => connection(ctx.control, v)),
      nextToken: page.nextToken,
    };
  },
);
