/**
 * ELBv2 tag actions: AddTags, RemoveTags, DescribeTags on load balancer, target group and
 * listener ARNs (up to 20 ARNs per call, as the model allows). Behaviour and fidelity ledger:
 * control/elb/tags.ts.
 */
import { addTags, describeTags, removeTags } from '../../../control/elb/tags.js';
import { s } from '../../query/shapes.js';
import { defineAction, type ActionDef } from '../types.js';
import { renderTags } from './render.js';
import { elbTagShape } from './shapes.js';

const arns = s.list(s.str(), { required: true, max: 20 });

export const TAG_ACTIONS = {
  AddTags: defineAction(
    s.struct({ ResourceArns: arns, Tags: s.list(elbTagShape, { required: true }) }),
    (input, ctx) => {
      addTags(ctx.control, ctx, input.ResourceArns, input.Tags);
      return {};
    },
  ),
  RemoveTags: defineAction(
    s.struct({ ResourceArns: arns, TagKeys: s.list(s.str(), { required: true }) }),
    (input, ctx) => {
      removeTags(ctx.control, ctx, input.ResourceArns, input.TagKeys);
      return {};
    },
  ),
  DescribeTags: defineAction(s.struct({ ResourceArns: arns }), (input, ctx) => ({
    TagDescriptions: describeTags(ctx.control, ctx, input.ResourceArns).map((d) => ({
      ResourceArn: d.arn,
      Tags: renderTags(d.tags),
    })),
  })),
} satisfies Record<string, ActionDef>;
