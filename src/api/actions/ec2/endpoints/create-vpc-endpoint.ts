/**
 * CreateVpcEndpoint (docs/reference/aws-privatelink.md §6.1); behaviour and fidelity ledger in
 * control/privatelink/vpc-endpoints.ts.
 */
import { apiError } from '../../../../control/errors.js';
import type { EndpointType } from '../../../../control/model/privatelink.js';
import { createVpcEndpoint } from '../../../../control/privatelink/vpc-endpoints.js';
import { tagsFromSpecifications } from '../../../../control/tags.js';
import { common, s, tagSpecificationShape } from '../../../query/shapes.js';
import { defineAction } from '../../types.js';
import { renderVpcEndpoint } from './render.js';
import { endpointOptionMembers, endpointOptionsInput } from './shapes.js';

const ENDPOINT_TYPES: readonly EndpointType[] = [
  'Interface',
  'Gateway',
  'GatewayLoadBalancer',
  'Resource',
  'ServiceNetwork',
];

function endpointType(v: string | undefined): EndpointType | undefined {
  if (v === undefined) return undefined;
  const t = ENDPOINT_TYPES.find((x) => x === v);
  if (!t) {
    throw apiError(
      'InvalidVpcEndpointType',
      `The VPC endpoint type '${v}' is not valid. Valid types: ${ENDPOINT_TYPES.join(', ')}.`,
    );
  }
  return t;
}

export const CreateVpcEndpoint = defineAction(
  s.struct({
    ...common,
    VpcEndpointType: s.str(),
    VpcId: s.str({ required: true }),
    ServiceName: s.str(),
    PolicyDocument: s.str(),
    RouteTableId: s.list(s.str()),
    SubnetId: s.list(s.str()),
    SecurityGroupId: s.list(s.str()),
    ...endpointOptionMembers,
    ClientToken: s.str(),
    TagSpecification: s.list(tagSpecificationShape),
    ServiceNetworkArn: s.str(),
    ResourceConfigurationArn: s.str(),
    ServiceRegion: s.str(),
  }),
  (input, ctx) => {
    const ep = createVpcEndpoint(ctx.control, ctx, {
      vpcId: input.VpcId,
      endpointType: endpointType(input.VpcEndpointType),
      serviceName: input.ServiceName,
      serviceRegion: input.ServiceRegion,
      resourceConfigurationArn: input.ResourceConfigurationArn,
      serviceNetworkArn: input.ServiceNetworkArn,
      subnetIds: input.SubnetId,
      securityGroupIds: input.SecurityGroupId,
      routeTableIds: input.RouteTableId,
      policyDocument: input.PolicyDocument,
      ...endpointOptionsInput(input),
      tags: tagsFromSpecifications(input.TagSpecification, 'vpc-endpoint'),
      clientToken: input.ClientToken,
    });
    return { vpcEndpoint: renderVpcEndpoint(ctx.control, ep), clientToken: input.ClientToken };
  },
);
