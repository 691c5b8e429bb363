/**
 * ELBv2 target actions: RegisterTargets, DeregisterTargets, DescribeTargetHealth. Wire ↔ control
 * mapping only; the behaviour and its fidelity ledger live in control/elb/targets.ts.
 */
import { deregisterTargets, describeTargetHealth, registerTargets } from '../../../control/elb/targets.js';
import { s } from '../../query/shapes.js';
import { defineAction, type ActionDef } from '../types.js';
import { renderTargetHealth } from './render.js';
import { targetDescriptionShape, requiredStr } from './shapes.js';

const targetsInput = s.struct({
  TargetGroupArn: requiredStr,
  Targets: s.list(targetDescriptionShape, { required: true }),
});

export const TARGET_ACTIONS = {
  RegisterTargets: defineAction(targetsInput, (input, ctx) => {
    registerTargets(ctx.control, ctx, input.TargetGroupArn, input.Targets);
    return {};
  }),
  DeregisterTargets: defineAction(targetsInput, (input, ctx) => {
    deregisterTargets(ctx.control, ctx, input.TargetGroupArn, input.Targets);
    return {};
  }),
  DescribeTargetHealth: defineAction(
    s.struct({
      TargetGroupArn: requiredStr,
      Targets: s.list(targetDescriptionShape),
      Include: s.list(s.str({ enum: ['AnomalyDetection', 'All'] })),
    }),
    (input, ctx) => ({
      TargetHealthDescriptions: describeTargetHealth(
        ctx.control,
        ctx,
        input.TargetGroupArn,
        input.Targets,
      ).map(renderTargetHealth),
    }),
  ),
} satisfies Record<string, ActionDef>;
