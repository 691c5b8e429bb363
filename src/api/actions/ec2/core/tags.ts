/**
 * CreateTags, DeleteTags, DescribeTags: wire ↔ control (see control/network/ec2-tags.ts).
 *
 * Fidelity ledger (AWS EC2 API reference, 2025):
 * - Covered: ResourceId.N and Tag.N on Create/Delete (Delete: a Tag.N without Value removes the
 *   key whatever its value; no Tag.N removes all tags); DescribeTags filters key, value,
 *   resource-id, resource-type; MaxResults 5–1000 with NextToken.
 */
import { validateTags } from '../../../../control/tags.js';
import type { FilterTable } from '../../../../control/filters.js';
import {
  createTags,
  deleteTags,
  listTagDescriptions,
  type TagDescription,
} from '../../../../control/network/ec2-tags.js';
import { Errors } from '../../../../control/errors.js';
import { common, filterShape, s, tagShape } from '../../../query/shapes.js';
import { defineAction, type ActionDef } from '../../types.js';
import type { Ec2CoreAction } from '../names.js';
import { filterAndPage, paging } from './common.js';

const TAG_FILTERS: FilterTable<TagDescription> = {
  key: (t) => t.key,
  value: (t) => t.value,
  'resource-id': (t) => t.resourceId,
  'resource-type': (t) => t.resourceType,
};

export const TAG_ACTIONS = {
  CreateTags: defineAction(
    s.struct({
      ...common,
      ResourceId: s.list(s.str(), { required: true }),
      Tag: s.list(tagShape, { required: true }),
    }),
    (input, ctx) => {
      createTags(ctx.control, ctx, input.ResourceId, validateTags(input.Tag));
      return { return: true };
    },
  ),

  DeleteTags: defineAction(
    s.struct({ ...common, ResourceId: s.list(s.str(), { required: true }), Tag: s.list(tagShape) }),
    (input, ctx) => {
      const tags = input.Tag.map((t) => {
        if (t.Key === undefined) throw Errors.missingParameter('Tag.N.Key');
        return { key: t.Key, value: t.Value };
      });
      deleteTags(ctx.control, ctx, input.ResourceId, tags);
      return { return: true };
    },
  ),

  DescribeTags: defineAction(
    s.struct({ ...common, ...paging, Filter: s.list(filterShape) }),
    (input, ctx) => {
      const rows = listTagDescriptions(ctx.control, ctx);
      const page = filterAndPage(
        rows,
        input.Filter,
        TAG_FILTERS,
        (t) => `${t.resourceId}\u0000${t.key}`,
        input,
      );
      return {
        tagSet: page.items.map((t) => ({
          resourceId: t.resourceId,
          resourceType: t.resourceType,
          key: t.key,
          value: t.value,
        })),
        nextToken: page.nextToken,
      };
    },
  ),
} satisfies Partial<Record<Ec2CoreAction, ActionDef>>;
