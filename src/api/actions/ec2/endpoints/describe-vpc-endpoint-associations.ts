/**
 * DescribeVpcEndpointAssociations (docs/reference/aws-privatelink.md §6.18). Associations exist only for
 * Resource and ServiceNetwork (VPC Lattice) endpoints, which privlink does not create, so the set is always
 * empty; IDs, filter names, MaxResults (1–100) and NextToken are still validated as on AWS.
 */
import { applyFilters, paginate } from '../../../../control/filters.js';
import { requireOwnEndpoint } from '../../../../control/privatelink/vpc-endpoints.js';
import { common, filterShape, s } from '../../../query/shapes.js';
import { defineAction } from '../../types.js';

type Association = { id: string; tags: { key: string; value: string }[] };

const ASSOCIATION_FILTERS = {
  'vpc-endpoint-id': () => undefined,
  'associated-resource-accessibility': () => undefined,
  'association-id': () => undefined,
  'associated-resource-id': () => undefined,
  'service-network-arn': () => undefined,
  'resource-configuration-group-arn': () => undefined,
};

export const DescribeVpcEndpointAssociations = defineAction(
  s.struct({
    ...common,
    VpcEndpointId: s.list(s.str()),
    Filter: s.list(filterShape),
    MaxResults: s.int({ min: 1, max: 100 }),
    NextToken: s.str(),
  }),
  (input, ctx) => {
    for (const id of input.VpcEndpointId) requireOwnEndpoint(ctx.control, ctx, id);
    const none: Association[] = [];
    const filtered = applyFilters(none, input.Filter, ASSOCIATION_FILTERS);
    const page = paginate(filtered, (a) => a.id, input.MaxResults, input.NextToken, { min: 1, max: 100 });
    return { vpcEndpointAssociationSet: [], nextToken: page.nextToken };
  },
);
