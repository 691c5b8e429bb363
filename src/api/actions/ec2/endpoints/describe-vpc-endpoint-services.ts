/**
 * DescribeVpcEndpointServices (docs/reference/aws-privatelink.md §6.9): serviceNameSet and serviceDetailSet
 * side by side.
 */
import { describeServiceOffers } from '../../../../control/privatelink/service-catalog.js';
import { common, s } from '../../../query/shapes.js';
import { describePagingMembers, pageRequest } from '../describe-paging.js';
import { defineAction } from '../../types.js';
import { renderServiceDetail } from './render.js';

export const DescribeVpcEndpointServices = defineAction(
  s.struct({
    ...common,
    ServiceName: s.list(s.str()),
    ...describePagingMembers,
    ServiceRegion: s.list(s.str()),
  }),
  (input, ctx) => {
    const page = describeServiceOffers(ctx.control, ctx.principal, ctx.region, {
      serviceNames: input.ServiceName,
      serviceRegions: input.ServiceRegion,
      ...pageRequest(input),
    });
    return {
      serviceNameSet: [...new Set(page.items.map((o) => o.serviceName))],
      serviceDetailSet: page.items.map(renderServiceDetail),
      nextToken: page.nextToken,
    };
  },
);
