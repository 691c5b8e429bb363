/** ModifyVpcEndpointPayerResponsibility (docs/reference/aws-privatelink.md §5.7, §6.19; JS v3 model only). */
import { modifyPayerResponsibility } from '../../../../control/privatelink/vpc-endpoints.js';
import { common, s } from '../../../query/shapes.js';
import { defineAction } from '../../types.js';

export const ModifyVpcEndpointPayerResponsibility = defineAction(
  s.struct({
    ...common,
    VpcEndpointId: s.str({ required: true }),
    PayerResponsibility: s.str({
      required: true,
      enum: ['vpc-endpoint-account', 'vpc-endpoint-service-account', 'resource-gateway-account'],
    }),
    Scope: s.str({ required: true, enum: ['vpc-endpoint-charges', 'resource-gateway-charges'] }),
    ServiceId: s.str(),
  }),
  (input, ctx) => {
    const out = modifyPayerResponsibility(ctx.control, ctx, {
      vpcEndpointId: input.VpcEndpointId,
      payerResponsibility: input.PayerResponsibility,
      scope: input.Scope,
      serviceId: input.ServiceId,
    });
    return {
      vpcEndpointId: out.vpcEndpointId,
      payerResponsibilitySet: out.entries.map((e) => ({
        scope: e.scope,
        payerResponsibilityType: e.payerResponsibilityType,
      })),
    };
  },
);
