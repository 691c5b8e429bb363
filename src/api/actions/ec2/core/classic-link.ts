/**
 * DescribeVpcClassicLink, DescribeVpcClassicLinkDnsSupport: reads AWS keeps for old clients after
 * retiring EC2-Classic. Infrastructure tools still call them on every VPC read (Ansible's
 * `amazon.aws.ec2_vpc_net` does, and fails the whole play on `InvalidAction`).
 *
 * Fidelity ledger (AWS EC2 API reference, 2025):
 * - Covered: every VPC of the caller answers ClassicLink disabled and ClassicLink DNS
 *   unsupported; `VpcId.N` / `VpcIds.N` select (an unknown ID is InvalidVpcID.NotFound, a
 *   malformed one InvalidVpcID.Malformed); DescribeVpcClassicLink filters
 *   `is-classic-link-enabled`, `tag:*`, `tag-key`; DescribeVpcClassicLinkDnsSupport pages with
 *   MaxResults 5–255 and NextToken.
 * - By design: privlink has no EC2-Classic, so no VPC can be linked and the Enable/Disable
 *   actions are not offered.
 */
import type { FilterTable } from '../../../../control/filters.js';
import type { Stored } from '../../../../control/model/kinds.js';
import { selectByIds } from '../../../../control/network/core-lookup.js';
import { common, filterShape, s } from '../../../query/shapes.js';
import { defineAction, type ActionDef } from '../../types.js';
import type { Ec2CoreAction } from '../names.js';
import { filterAndPage, paging, tagSet } from './common.js';

const CLASSIC_LINK_FILTERS: FilterTable<Stored<'vpc'>> = {
  'is-classic-link-enabled': () => false,
  'vpc-id': (v) => v.id,
};

export const CLASSIC_LINK_ACTIONS = {
  DescribeVpcClassicLink: defineAction(
    s.struct({ ...common, Filter: s.list(filterShape), VpcId: s.list(s.str()) }),
    (input, ctx) => {
      const vpcs = selectByIds(ctx.control, ctx, 'vpc', input.VpcId);
      const page = filterAndPage(vpcs, input.Filter, CLASSIC_LINK_FILTERS, (v) => v.id, {});
      return {
        vpcSet: page.items.map((v) => ({ vpcId: v.id, classicLinkEnabled: false, tagSet: tagSet(v.tags) })),
      };
    },
  ),

  DescribeVpcClassicLinkDnsSupport: defineAction(
    s.struct({ ...paging, VpcIds: s.list(s.str()) }),
    (input, ctx) => {
      const vpcs = selectByIds(ctx.control, ctx, 'vpc', input.VpcIds);
      const page = filterAndPage(vpcs, [], {}, (v) => v.id, input, { min: 5, max: 255 });
      return {
        vpcs: page.items.map((v) => ({ vpcId: v.id, classicLinkDnsSupported: false })),
        nextToken: page.nextToken,
      };
    },
  ),
} satisfies Partial<Record<Ec2CoreAction, ActionDef>>;
