/**
 * The EC2 actions privlink implements, grouped by the module that implements them. The action
 * table in index.ts is typed by the union of all groups, so an action listed here but not
 * implemented fails the build. Anything else answers InvalidAction.
 */
export const EC2_CORE_ACTIONS = [
  'CreateVpc',
  'DescribeVpcs',
  'DeleteVpc',
  'ModifyVpcAttribute',
  'DescribeVpcAttribute',
  'DescribeVpcClassicLink',
  'DescribeVpcClassicLinkDnsSupport',
  'CreateSubnet',
  'DescribeSubnets',
  'DeleteSubnet',
  'ModifySubnetAttribute',
  'CreateSecurityGroup',
  'DescribeSecurityGroups',
  'DeleteSecurityGroup',
  'AuthorizeSecurityGroupIngress',
  'AuthorizeSecurityGroupEgress',
  'RevokeSecurityGroupIngress',
  'RevokeSecurityGroupEgress',
  'DescribeSecurityGroupRules',
  'UpdateSecurityGroupRuleDescriptionsIngress',
  'UpdateSecurityGroupRuleDescriptionsEgress',
  'ModifySecurityGroupRules',
  'CreateRouteTable',
  'DescribeRouteTables',
  'DeleteRouteTable',
  'AssociateRouteTable',
  'DisassociateRouteTable',
  'CreateRoute',
  'DeleteRoute',
  'ReplaceRoute',
  'ReplaceRouteTableAssociation',
  'DescribeNetworkInterfaces',
  'DescribeNetworkAcls',
  'DescribePrefixLists',
  'DescribeAvailabilityZones',
  'DescribeRegions',
  'CreateTags',
  'DeleteTags',
  'DescribeTags',
] as const;

export const EC2_SERVICE_ACTIONS = [
  'CreateVpcEndpointServiceConfiguration',
  'ModifyVpcEndpointServiceConfiguration',
  'DeleteVpcEndpointServiceConfigurations',
  'DescribeVpcEndpointServiceConfigurations',
  'DescribeVpcEndpointServicePermissions',
  'ModifyVpcEndpointServicePermissions',
  'AcceptVpcEndpointConnections',
  'RejectVpcEndpointConnections',
  'DescribeVpcEndpointConnections',
  'StartVpcEndpointServicePrivateDnsVerification',
  'ModifyVpcEndpointServicePayerResponsibility',
  'CreateVpcEndpointConnectionNotification',
  'ModifyVpcEndpointConnectionNotification',
  'DeleteVpcEndpointConnectionNotifications',
  'DescribeVpcEndpointConnectionNotifications',
] as const;

export const EC2_ENDPOINT_ACTIONS = [
  'CreateVpcEndpoint',
  'ModifyVpcEndpoint',
  'DeleteVpcEndpoints',
  'DescribeVpcEndpoints',
  'DescribeVpcEndpointServices',
  'DescribeVpcEndpointAssociations',
  'ModifyVpcEndpointPayerResponsibility',
] as const;

export const EC2_INSTANCE_ACTIONS = [
  'RunInstances',
  'DescribeInstances',
  'TerminateInstances',
  'GetConsoleOutput',
  'DescribeInstanceStatus',
  'StopInstances',
  'StartInstances',
  'RebootInstances',
  'DescribeInstanceAttribute',
  'ModifyInstanceAttribute',
  'DescribeImages',
] as const;

/** Reads and writes around instances that IaC tools make on every plan (instances/details.ts). */
export const EC2_INSTANCE_DETAIL_ACTIONS = [
  'DescribeInstanceTypes',
  'DescribeInstanceCreditSpecifications',
  'ModifyInstanceMetadataOptions',
  'DescribeVolumes',
  'DescribeAccountAttributes',
] as const;

export type Ec2CoreAction = (typeof EC2_CORE_ACTIONS)[number];
export type Ec2ServiceAction = (typeof EC2_SERVICE_ACTIONS)[number];
export type Ec2EndpointAction = (typeof EC2_ENDPOINT_ACTIONS)[number];
export type Ec2InstanceAction = (typeof EC2_INSTANCE_ACTIONS)[number];
export type Ec2InstanceDetailAction = (typeof EC2_INSTANCE_DETAIL_ACTIONS)[number];
export type Ec2Action =
  Ec2CoreAction | Ec2ServiceAction | Ec2EndpointAction | Ec2InstanceAction | Ec2InstanceDetailAction;
