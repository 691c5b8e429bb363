/** DescribeVpcEndpoints (reference §6.4); O(1) per requested ID. */
import { describeVpcEndpoints } from '../../../../control/services/vpc-endpoints.js';
import { common, filterShape, s } from '../../../query/shapes.js';
import { defineAction } from '../../types.js';
import { renderVpcEndpoint } from './render.js';

export const DescribeVpcEndpoints = defineAction(
  s.struct({
    ...common,
    VpcEndpointId: s.list(s.str()),
    Filter: s.list(filterShape),
    MaxResults: s.int(),
    NextToken: s.str(),
  }),
  (input, ctx) => {
    const page = describeVpcEndpoints(ctx.control, ctx, {
      ids: input.VpcEndpointId,
      filters: input.Filter,
      maxResults: input.MaxResults,
      nextToken: input.NextToken,
    });
    return {
      vpcEndpointSet: page.items.map((ep) => renderVpcEndpoint(ctx.control, ep)),
      nextToken: page.nextToken,
    };
  },
);
