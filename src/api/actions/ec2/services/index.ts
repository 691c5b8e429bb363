/**
 * EC2 actions of the services group: the provider side of PrivateLink (endpoint service
 * configurations, permissions, connections, private DNS verification, payer responsibility,
 * connection notifications). Typed by the group's action union so none can be forgotten.
 */
import type { ActionDef } from '../../types.js';
import type { Ec2ServiceAction } from '../names.js';
import {
  createVpcEndpointServiceConfiguration,
  deleteVpcEndpointServiceConfigurations,
  describeVpcEndpointServiceConfigurations,
  modifyVpcEndpointServiceConfiguration,
  modifyVpcEndpointServicePayerResponsibility,
  startVpcEndpointServicePrivateDnsVerification,
} from './service-configurations.js';
import { describeVpcEndpointServicePermissions, modifyVpcEndpointServicePermissions } from './permissions.js';
import {
  acceptVpcEndpointConnections,
  describeVpcEndpointConnections,
  rejectVpcEndpointConnections,
} from './connections.js';
import {
  createVpcEndpointConnectionNotification,
  deleteVpcEndpointConnectionNotifications,
  describeVpcEndpointConnectionNotifications,
  modifyVpcEndpointConnectionNotification,
} from './notifications.js';

export const SERVICE_ACTIONS: Record<Ec2ServiceAction, ActionDef> = {
  CreateVpcEndpointServiceConfiguration: createVpcEndpointServiceConfiguration,
  ModifyVpcEndpointServiceConfiguration: modifyVpcEndpointServiceConfiguration,
  DeleteVpcEndpointServiceConfigurations: deleteVpcEndpointServiceConfigurations,
  DescribeVpcEndpointServiceConfigurations: describeVpcEndpointServiceConfigurations,
  DescribeVpcEndpointServicePermissions: describeVpcEndpointServicePermissions,
  ModifyVpcEndpointServicePermissions: modifyVpcEndpointServicePermissions,
  AcceptVpcEndpointConnections: acceptVpcEndpointConnections,
  RejectVpcEndpointConnections: rejectVpcEndpointConnections,
  DescribeVpcEndpointConnections: describeVpcEndpointConnections,
  StartVpcEndpointServicePrivateDnsVerification: startVpcEndpointServicePrivateDnsVerification,
  ModifyVpcEndpointServicePayerResponsibility: modifyVpcEndpointServicePayerResponsibility,
  CreateVpcEndpointConnectionNotification: createVpcEndpointConnectionNotification,
  ModifyVpcEndpointConnectionNotification: modifyVpcEndpointConnectionNotification,
  DeleteVpcEndpointConnectionNotifications: deleteVpcEndpointConnectionNotifications,
  DescribeVpcEndpointConnectionNotifications: describeVpcEndpointConnectionNotifications,
};
