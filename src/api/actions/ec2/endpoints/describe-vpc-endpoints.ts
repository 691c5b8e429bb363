/** DescribeVpcEndpoints (docs/reference/aws-privatelink.md §6.4); O(1) per requested ID. */
import { describeVpcEndpoints } from '../../../../control/privatelink/vpc-endpoints.js';
import { common, s } from '../../../query/shapes.js';
import { describePagingMembers, pageRequest } from '../describe-paging.js';
import { defineAction } from '../../types.js';
import { renderVpcEndpoint } from './render.js';

export const DescribeVpcEndpoints = defineAction(
  s.struct({
    ...common,
    VpcEndpointId: s.list(s.str()),
    ...describePagingMembers,
  }),
  (input, ctx) => {
    const page = describeVpcEndpoints(ctx.control, ctx, {
      ids: input.VpcEndpointId,
      ...pageRequest(input),
    });
    return {
      vpcEndpointSet: page.items.map((ep) => renderVpcEndpoint(ctx.control, ep)),
      nextToken: page.nextToken,
    };
  },
);
