/**
 * What infrastructure-as-code tools call for privlink's resources: per Terraform resource (AWS
 * provider v5) the calls of each phase in the order the provider makes them, and per Ansible
 * module (amazon.aws 5.5.1 / community.aws 5.5.0, Debian bookworm) the calls it can make.
 * docs/compat.md's "Infrastructure-as-code tools" section is generated from this table
 * (scripts/gen-compat.ts); the Terraform replays (test/iac/terraform/) record the calls they
 * make per phase and must match it exactly, and the Ansible test records what the playbooks
 * really sent and fails on a call not listed here. The research behind it: docs/iac-calls.md.
 */

/** A call as `Service:Action`; EC2 unless prefixed `elbv2:` or `sts:`. */
export type Call = string;

export interface TerraformResource {
  /** `aws_vpc`, or `data.aws_prefix_list` for a data source. */
  name: string;
  /** The provider file the sequence was read from (repository hashicorp/terraform-provider-aws). */
  source: string;
  create: Call[];
  read: Call[];
  update?: Call[];
  delete?: Call[];
  /** Calls the provider makes only in cases the replay does not cover, and why. */
  notes?: string;
}

const TF = 'internal/service/';

export const TERRAFORM: readonly TerraformResource[] = [
  {
    name: 'aws_vpc',
    source: `${TF}ec2/vpc_.go`,
    create: ['CreateVpc', 'DescribeVpcs', 'ModifyVpcAttribute', 'DescribeVpcAttribute'],
    read: [
      'DescribeVpcs',
      'DescribeVpcAttribute',
      'DescribeNetworkAcls',
      'DescribeRouteTables',
      'DescribeSecurityGroups',
    ],
    update: ['ModifyVpcAttribute', 'DescribeVpcAttribute', 'CreateTags'],
    delete: ['DeleteVpc', 'DescribeVpcs'],
    notes:
      'IPv6 and IPAM fields: AssociateVpcCidrBlock, DisassociateVpcCidrBlock, GetIpamPoolAllocations (UnsupportedOperation).',
  },
  {
    name: 'aws_subnet',
    source: `${TF}ec2/vpc_subnet.go`,
    create: ['CreateSubnet', 'DescribeSubnets', 'ModifySubnetAttribute', 'DescribeSubnets'],
    read: ['DescribeSubnets'],
    update: ['ModifySubnetAttribute', 'DescribeSubnets'],
    delete: ['DescribeNetworkInterfaces', 'DeleteSubnet', 'DescribeSubnets'],
  },
  {
    name: 'aws_security_group',
    source: `${TF}ec2/vpc_security_group.go`,
    create: [
      'CreateSecurityGroup',
      'DescribeSecurityGroups',
      'RevokeSecurityGroupEgress',
      'DescribeSecurityGroups',
      'AuthorizeSecurityGroupIngress',
      'AuthorizeSecurityGroupEgress',
    ],
    read: ['DescribeSecurityGroups'],
    update: ['DescribeSecurityGroups', 'RevokeSecurityGroupIngress', 'AuthorizeSecurityGroupIngress'],
    delete: ['DescribeNetworkInterfaces', 'DeleteSecurityGroup', 'DescribeSecurityGroups'],
  },
  {
    name: 'aws_vpc_security_group_ingress_rule',
    source: `${TF}ec2/vpc_security_group_ingress_rule.go`,
    create: ['AuthorizeSecurityGroupIngress', 'CreateTags'],
    read: ['DescribeSecurityGroupRules'],
    update: ['ModifySecurityGroupRules', 'CreateTags', 'DeleteTags', 'DescribeSecurityGroupRules'],
    delete: ['RevokeSecurityGroupIngress'],
  },
  {
    name: 'aws_security_group_rule',
    source: `${TF}ec2/vpc_security_group_rule.go`,
    create: ['DescribeSecurityGroups', 'AuthorizeSecurityGroupIngress', 'DescribeSecurityGroups'],
    read: ['DescribeSecurityGroups'],
    update: ['UpdateSecurityGroupRuleDescriptionsIngress', 'DescribeSecurityGroups'],
    delete: ['DescribeSecurityGroups', 'RevokeSecurityGroupIngress'],
  },
  {
    name: 'aws_route_table',
    source: `${TF}ec2/vpc_route_table.go`,
    create: ['CreateRouteTable', 'DescribeRouteTables', 'CreateRoute', 'DescribeRouteTables'],
    read: ['DescribeRouteTables'],
    update: ['ReplaceRoute', 'DescribeRouteTables'],
    delete: [
      'DescribeRouteTables',
      'DisassociateRouteTable',
      'DescribeRouteTables',
      'DeleteRouteTable',
      'DescribeRouteTables',
    ],
    notes:
      'propagating_vgws: EnableVgwRoutePropagation / DisableVgwRoutePropagation (UnsupportedOperation: privlink has no VPN gateways).',
  },
  {
    name: 'aws_route_table_association',
    source: `${TF}ec2/vpc_route_table_association.go`,
    create: ['AssociateRouteTable', 'DescribeRouteTables'],
    read: ['DescribeRouteTables'],
    update: ['ReplaceRouteTableAssociation', 'DescribeRouteTables'],
    delete: ['DisassociateRouteTable', 'DescribeRouteTables'],
  },
  {
    name: 'aws_route',
    source: `${TF}ec2/vpc_route.go`,
    create: ['CreateRoute', 'DescribeRouteTables'],
    read: ['DescribeRouteTables'],
    update: ['ReplaceRoute', 'DescribeRouteTables'],
    delete: ['DeleteRoute', 'DescribeRouteTables'],
  },
  {
    name: 'aws_vpc_endpoint_service',
    source: `${TF}ec2/vpc_endpoint_service.go`,
    create: [
      'CreateVpcEndpointServiceConfiguration',
      'DescribeVpcEndpointServiceConfigurations',
      'ModifyVpcEndpointServicePermissions',
    ],
    read: ['DescribeVpcEndpointServiceConfigurations', 'DescribeVpcEndpointServicePermissions'],
    update: ['ModifyVpcEndpointServiceConfiguration', 'DescribeVpcEndpointServiceConfigurations'],
    delete: ['DeleteVpcEndpointServiceConfigurations', 'DescribeVpcEndpointServiceConfigurations'],
  },
  {
    name: 'aws_vpc_endpoint_service_allowed_principal',
    source: `${TF}ec2/vpc_endpoint_service_allowed_principal.go`,
    create: ['ModifyVpcEndpointServicePermissions'],
    read: ['DescribeVpcEndpointServicePermissions'],
    delete: ['ModifyVpcEndpointServicePermissions'],
  },
  {
    name: 'data.aws_vpc_endpoint_service',
    source: `${TF}ec2/vpc_endpoint_service_data_source.go`,
    create: [],
    read: ['DescribeVpcEndpointServices'],
  },
  {
    name: 'aws_vpc_endpoint',
    source: `${TF}ec2/vpc_endpoint.go`,
    create: ['CreateVpcEndpoint', 'DescribeVpcEndpoints'],
    read: ['DescribeVpcEndpoints', 'DescribePrefixLists', 'DescribeNetworkInterfaces'],
    update: ['ModifyVpcEndpoint', 'DescribeVpcEndpoints'],
    delete: ['DeleteVpcEndpoints', 'DescribeVpcEndpoints'],
    notes:
      'auto_accept on a service needing acceptance: DescribeVpcEndpointServiceConfigurations, AcceptVpcEndpointConnections.',
  },
  {
    name: 'aws_vpc_endpoint_subnet_association',
    source: `${TF}ec2/vpc_endpoint_subnet_association.go`,
    create: ['ModifyVpcEndpoint', 'DescribeVpcEndpoints'],
    read: ['DescribeVpcEndpoints'],
    delete: ['ModifyVpcEndpoint', 'DescribeVpcEndpoints'],
  },
  {
    name: 'aws_vpc_endpoint_security_group_association',
    source: `${TF}ec2/vpc_endpoint_security_group_association.go`,
    create: ['ModifyVpcEndpoint'],
    read: ['DescribeVpcEndpoints'],
    delete: ['ModifyVpcEndpoint'],
  },
  {
    name: 'aws_vpc_endpoint_route_table_association',
    source: `${TF}ec2/vpc_endpoint_route_table_association.go`,
    create: ['ModifyVpcEndpoint', 'DescribeVpcEndpoints'],
    read: ['DescribeVpcEndpoints'],
    delete: ['ModifyVpcEndpoint', 'DescribeVpcEndpoints'],
  },
  {
    name: 'aws_vpc_endpoint_policy',
    source: `${TF}ec2/vpc_endpoint_policy.go`,
    create: ['ModifyVpcEndpoint', 'DescribeVpcEndpoints'],
    read: ['DescribeVpcEndpoints'],
    delete: ['ModifyVpcEndpoint', 'DescribeVpcEndpoints'],
  },
  {
    name: 'aws_vpc_endpoint_connection_accepter',
    source: `${TF}ec2/vpc_endpoint_connection_accepter.go`,
    create: ['AcceptVpcEndpointConnections', 'DescribeVpcEndpointConnections'],
    read: ['DescribeVpcEndpointConnections'],
    delete: ['RejectVpcEndpointConnections'],
  },
  {
    name: 'aws_vpc_endpoint_connection_notification',
    source: `${TF}ec2/vpc_endpoint_connection_notification.go`,
    create: ['CreateVpcEndpointConnectionNotification'],
    read: ['DescribeVpcEndpointConnectionNotifications'],
    update: ['ModifyVpcEndpointConnectionNotification'],
    delete: ['DeleteVpcEndpointConnectionNotifications'],
  },
  {
    name: 'aws_lb',
    source: `${TF}elbv2/load_balancer.go`,
    create: [
      'elbv2:DescribeLoadBalancers',
      'elbv2:CreateLoadBalancer',
      'elbv2:DescribeLoadBalancers',
      'elbv2:ModifyLoadBalancerAttributes',
      'elbv2:DescribeLoadBalancers',
    ],
    read: [
      'elbv2:DescribeLoadBalancers',
      'elbv2:DescribeLoadBalancerAttributes',
      'elbv2:DescribeCapacityReservation',
      'elbv2:DescribeTags',
    ],
    update: ['elbv2:ModifyLoadBalancerAttributes', 'elbv2:DescribeLoadBalancers'],
    delete: ['elbv2:DeleteLoadBalancer', 'DescribeNetworkInterfaces'],
    notes:
      'minimum_load_balancer_capacity: ModifyCapacityReservation (refused: privlink has no capacity units).',
  },
  {
    name: 'aws_lb_target_group',
    source: `${TF}elbv2/target_group.go`,
    create: [
      'elbv2:DescribeTargetGroups',
      'elbv2:CreateTargetGroup',
      'elbv2:DescribeTargetGroups',
      'elbv2:ModifyTargetGroupAttributes',
    ],
    read: ['elbv2:DescribeTargetGroups', 'elbv2:DescribeTargetGroupAttributes', 'elbv2:DescribeTags'],
    update: ['elbv2:ModifyTargetGroup', 'elbv2:ModifyTargetGroupAttributes'],
    delete: ['elbv2:DeleteTargetGroup'],
  },
  {
    name: 'aws_lb_target_group_attachment',
    source: `${TF}elbv2/target_group_attachment.go`,
    create: ['elbv2:RegisterTargets'],
    read: ['elbv2:DescribeTargetHealth'],
    delete: ['elbv2:DeregisterTargets'],
  },
  {
    name: 'aws_lb_listener',
    source: `${TF}elbv2/listener.go`,
    create: ['elbv2:CreateListener', 'elbv2:DescribeListeners', 'elbv2:ModifyListenerAttributes'],
    read: ['elbv2:DescribeListeners', 'elbv2:DescribeListenerAttributes', 'elbv2:DescribeTags'],
    update: ['elbv2:ModifyListener', 'elbv2:AddTags'],
    delete: ['elbv2:DeleteListener'],
  },
  {
    name: 'aws_instance',
    source: `${TF}ec2/ec2_instance.go`,
    create: ['DescribeInstanceTypes', 'RunInstances', 'DescribeInstances', 'CreateTags'],
    read: [
      'DescribeInstances',
      'DescribeInstanceTypes',
      'DescribeTags',
      'DescribeVpcs',
      'DescribeInstanceAttribute',
      'DescribeVolumes',
      'DescribeInstanceCreditSpecifications',
    ],
    update: [
      'ModifyInstanceMetadataOptions',
      'DescribeInstances',
      'StopInstances',
      'DescribeInstances',
      'ModifyInstanceAttribute',
      'StartInstances',
      'DescribeInstances',
      'CreateTags',
    ],
    delete: ['ModifyInstanceAttribute', 'TerminateInstances', 'DescribeInstances'],
    notes:
      'root_block_device first reads the AMI with DescribeImages (issue 10, not replayed here); ' +
      'monitoring, credit_specification, maintenance and private-DNS options, IAM profiles, secondary IPs and ' +
      'root volume resizing (ModifyVolume) answer UnsupportedOperation.',
  },
  {
    name: 'data.aws_prefix_list',
    source: `${TF}ec2/vpc_prefix_list_data_source.go`,
    create: [],
    read: ['DescribePrefixLists'],
  },
  {
    name: 'data.aws_availability_zones',
    source: `${TF}ec2/availability_zones_data_source.go`,
    create: [],
    read: ['DescribeAvailabilityZones'],
  },
  {
    name: 'data.aws_caller_identity',
    source: `${TF}sts/caller_identity_data_source.go`,
    create: [],
    read: ['sts:GetCallerIdentity'],
  },
];

export interface AnsibleModule {
  name: string;
  /** The module file under Debian's python3/dist-packages/ansible_collections/. */
  source: string;
  calls: Call[];
}

const AMAZON = 'amazon/aws/plugins/modules/';
const COMMUNITY = 'community/aws/plugins/modules/';
/** module_utils/ec2.py ensure_ec2_tags. */
const TAGS = ['DescribeTags', 'CreateTags', 'DeleteTags'];

export const ANSIBLE: readonly AnsibleModule[] = [
  {
    name: 'amazon.aws.ec2_vpc_net',
    source: `${AMAZON}ec2_vpc_net.py`,
    calls: [
      'DescribeVpcs',
      'CreateVpc',
      'DescribeVpcClassicLink',
      'DescribeVpcAttribute',
      'ModifyVpcAttribute',
      'AssociateVpcCidrBlock',
      'DisassociateVpcCidrBlock',
      'AssociateDhcpOptions',
      ...TAGS,
      'DeleteVpc',
    ],
  },
  {
    name: 'amazon.aws.ec2_vpc_net_info',
    source: `${AMAZON}ec2_vpc_net_info.py`,
    calls: [
      'DescribeVpcs',
      'DescribeVpcClassicLink',
      'DescribeVpcClassicLinkDnsSupport',
      'DescribeVpcAttribute',
    ],
  },
  {
    name: 'amazon.aws.ec2_vpc_subnet',
    source: `${AMAZON}ec2_vpc_subnet.py`,
    calls: [
      'DescribeSubnets',
      'CreateSubnet',
      'ModifySubnetAttribute',
      'AssociateSubnetCidrBlock',
      'DisassociateSubnetCidrBlock',
      ...TAGS,
      'DeleteSubnet',
    ],
  },
  {
    name: 'amazon.aws.ec2_vpc_subnet_info',
    source: `${AMAZON}ec2_vpc_subnet_info.py`,
    calls: ['DescribeSubnets'],
  },
  {
    name: 'amazon.aws.ec2_security_group',
    source: `${AMAZON}ec2_security_group.py`,
    calls: [
      'sts:GetCallerIdentity',
      'DescribeSecurityGroups',
      'CreateSecurityGroup',
      'AuthorizeSecurityGroupIngress',
      'AuthorizeSecurityGroupEgress',
      'RevokeSecurityGroupIngress',
      'RevokeSecurityGroupEgress',
      'UpdateSecurityGroupRuleDescriptionsIngress',
      'UpdateSecurityGroupRuleDescriptionsEgress',
      ...TAGS,
      'DeleteSecurityGroup',
    ],
  },
  {
    name: 'amazon.aws.ec2_security_group_info',
    source: `${AMAZON}ec2_security_group_info.py`,
    calls: ['DescribeSecurityGroups'],
  },
  {
    name: 'amazon.aws.ec2_vpc_route_table',
    source: `${AMAZON}ec2_vpc_route_table.py`,
    calls: [
      'DescribeRouteTables',
      'DescribeSubnets',
      'DescribeInternetGateways',
      'CreateRouteTable',
      'CreateRoute',
      'ReplaceRoute',
      'DeleteRoute',
      'AssociateRouteTable',
      'DisassociateRouteTable',
      'EnableVgwRoutePropagation',
      ...TAGS,
      'DeleteRouteTable',
    ],
  },
  {
    name: 'amazon.aws.ec2_vpc_route_table_info',
    source: `${AMAZON}ec2_vpc_route_table_info.py`,
    calls: ['DescribeRouteTables'],
  },
  {
    name: 'amazon.aws.ec2_vpc_endpoint',
    source: `${AMAZON}ec2_vpc_endpoint.py`,
    calls: ['DescribeVpcEndpoints', 'CreateVpcEndpoint', ...TAGS, 'DeleteVpcEndpoints'],
  },
  {
    name: 'amazon.aws.ec2_vpc_endpoint_info',
    source: `${AMAZON}ec2_vpc_endpoint_info.py`,
    calls: ['DescribeVpcEndpoints', 'DescribeVpcEndpointServices'],
  },
  {
    name: 'amazon.aws.ec2_vpc_endpoint_service_info',
    source: `${AMAZON}ec2_vpc_endpoint_service_info.py`,
    calls: ['DescribeVpcEndpointServices'],
  },
  {
    name: 'amazon.aws.ec2_instance',
    source: `${AMAZON}ec2_instance.py`,
    calls: [
      'DescribeSubnets',
      'DescribeVpcs',
      'DescribeSecurityGroups',
      'DescribeInstances',
      'RunInstances',
      'DescribeInstanceStatus',
      'DescribeInstanceAttribute',
      'ModifyInstanceAttribute',
      'StopInstances',
      'StartInstances',
      'TerminateInstances',
      'DescribeIamInstanceProfileAssociations',
      'AssociateIamInstanceProfile',
      'ReplaceIamInstanceProfileAssociation',
      'AttachNetworkInterface',
      ...TAGS,
    ],
  },
  {
    name: 'amazon.aws.ec2_instance_info',
    source: `${AMAZON}ec2_instance_info.py`,
    calls: ['DescribeInstances'],
  },
  {
    name: 'community.aws.ec2_vpc_nacl_info',
    source: `${COMMUNITY}ec2_vpc_nacl_info.py`,
    calls: ['DescribeNetworkAcls'],
  },
  {
    name: 'community.aws.elb_target_group',
    source: `${COMMUNITY}elb_target_group.py`,
    calls: [
      'elbv2:DescribeTargetGroups',
      'elbv2:CreateTargetGroup',
      'elbv2:ModifyTargetGroup',
      'elbv2:DescribeTargetGroupAttributes',
      'elbv2:ModifyTargetGroupAttributes',
      'elbv2:DescribeTags',
      'elbv2:AddTags',
      'elbv2:RemoveTags',
      'elbv2:DescribeTargetHealth',
      'elbv2:RegisterTargets',
      'elbv2:DeregisterTargets',
      'elbv2:DeleteTargetGroup',
    ],
  },
  {
    name: 'community.aws.elb_target_group_info',
    source: `${COMMUNITY}elb_target_group_info.py`,
    calls: [
      'elbv2:DescribeTargetGroups',
      'elbv2:DescribeTargetGroupAttributes',
      'elbv2:DescribeTags',
      'elbv2:DescribeTargetHealth',
    ],
  },
  {
    name: 'community.aws.elb_target',
    source: `${COMMUNITY}elb_target.py`,
    calls: [
      'elbv2:DescribeTargetGroups',
      'elbv2:DescribeTargetHealth',
      'elbv2:RegisterTargets',
      'elbv2:DeregisterTargets',
    ],
  },
  {
    name: 'community.aws.elb_target_info',
    source: `${COMMUNITY}elb_target_info.py`,
    calls: ['elbv2:DescribeTargetGroups', 'elbv2:DescribeTargetHealth', 'DescribeInstances'],
  },
  {
    name: 'community.aws.elb_network_lb',
    source: `${COMMUNITY}elb_network_lb.py (module_utils/elbv2.py, elb_utils.py)`,
    calls: [
      'elbv2:DescribeLoadBalancers',
      'elbv2:CreateLoadBalancer',
      'elbv2:DescribeLoadBalancerAttributes',
      'elbv2:ModifyLoadBalancerAttributes',
      'elbv2:SetIpAddressType',
      'elbv2:DescribeTags',
      'elbv2:AddTags',
      'elbv2:RemoveTags',
      'elbv2:DescribeListeners',
      'elbv2:DescribeTargetGroups',
      'elbv2:CreateListener',
      'elbv2:ModifyListener',
      'elbv2:DeleteListener',
      'elbv2:DeleteLoadBalancer',
    ],
  },
];

/** `elbv2:X` → { service: 'elbv2', action: 'X' }; a bare name is EC2. */
export function splitCall(call: Call): { service: 'ec2' | 'elbv2' | 'sts'; action: string } {
  const [svc, action] = call.includes(':') ? call.split(':') : ['ec2', call];
  return { service: svc as 'ec2' | 'elbv2' | 'sts', action: action ?? '' };
}
