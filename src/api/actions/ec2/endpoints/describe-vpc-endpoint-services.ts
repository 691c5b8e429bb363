/** DescribeVpcEndpointServices (reference §6.9): serviceNameSet and serviceDetailSet side by side. */
import { describeServiceOffers } from '../../../../control/services/service-catalog.js';
import { common, filterShape, s } from '../../../query/shapes.js';
import { defineAction } from '../../types.js';
import { renderServiceDetail } from './render.js';

export const DescribeVpcEndpointServices = defineAction(
  s.struct({
    ...common,
    ServiceName: s.list(s.str()),
    Filter: s.list(filterShape),
    MaxResults: s.int(),
    NextToken: s.str(),
    ServiceRegion: s.list(s.str()),
  }),
  (input, ctx) => {
    const page = describeServiceOffers(ctx.control, ctx.principal, ctx.region, {
      serviceNames: input.ServiceName,
      serviceRegions: input.ServiceRegion,
      filters: input.Filter,
      maxResults: input.MaxResults,
      nextToken: input.NextToken,
    });
    return {
      serviceNameSet: [...new Set(page.items.map((o) => o.serviceName))],
      serviceDetailSet: page.items.map(renderServiceDetail),
      nextToken: page.nextToken,
    };
  },
);
