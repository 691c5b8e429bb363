/**
 * EC2 actions of the endpoints group: the consumer side of PrivateLink (VPC endpoints of types
 * Interface, Gateway and GatewayLoadBalancer, and the services a consumer can see).
 */
import type { ActionDef } from '../../types.js';
import type { Ec2EndpointAction } from '../names.js';
import { CreateVpcEndpoint } from './create-vpc-endpoint.js';
import { DeleteVpcEndpoints } from './delete-vpc-endpoints.js';
import { DescribeVpcEndpointAssociations } from './describe-vpc-endpoint-associations.js';
import { DescribeVpcEndpointServices } from './describe-vpc-endpoint-services.js';
import { DescribeVpcEndpoints } from './describe-vpc-endpoints.js';
import { ModifyVpcEndpoint } from './modify-vpc-endpoint.js';
import { ModifyVpcEndpointPayerResponsibility } from './modify-vpc-endpoint-payer-responsibility.js';

export const ENDPOINT_ACTIONS: Record<Ec2EndpointAction, ActionDef> = {
  CreateVpcEndpoint,
  ModifyVpcEndpoint,
  DeleteVpcEndpoints,
  DescribeVpcEndpoints,
  DescribeVpcEndpointServices,
  DescribeVpcEndpointAssociations,
  ModifyVpcEndpointPayerResponsibility,
};
