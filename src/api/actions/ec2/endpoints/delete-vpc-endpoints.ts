/**
 * DeleteVpcEndpoints (docs/reference/aws-privatelink.md §6.3): per-ID failures in `unsuccessful`, never
 * top-level.
 */
import { deleteVpcEndpoints } from '../../../../control/privatelink/vpc-endpoints.js';
import { common, s } from '../../../query/shapes.js';
import { defineAction } from '../../types.js';

export const DeleteVpcEndpoints = defineAction(
  s.struct({ ...common, VpcEndpointId: s.list(s.str(), { required: true }) }),
  (input, ctx) => {
    const failed = deleteVpcEndpoints(ctx.control, ctx, input.VpcEndpointId);
    return {
      unsuccessful: failed.map((f) => ({
        error: { code: f.code, message: f.message },
        resourceId: f.resourceId,
      })),
    };
  },
);
