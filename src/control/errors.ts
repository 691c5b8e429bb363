/**
 * The one registry of wire errors. Every error a client can receive is listed here with its AWS
 * code and HTTP status; docs/compat.md lists the same codes and a test keeps the two in step.
 * Handlers never build code strings inline: they call `apiError(code, message)` or a factory.
 *
 * Status codes: 400 for caller faults (AWS's documented behaviour for EC2 and ELBv2), 412 for
 * DryRunOperation, 403 for auth failures, 413 for oversized bodies, 500 for our own faults.
 */

export const ERROR_CODES = {
  // ---- request level (all protocols)
  MissingAction: { status: 400, doc: 'No Action parameter.' },
  InvalidAction: {
    status: 400,
    doc: 'The action is not valid for this web service (or not supported by privlink).',
  },
  MissingParameter: { status: 400, doc: 'A required parameter is absent.' },
  UnknownParameter: { status: 400, doc: 'A parameter is not recognised by the action.' },
  InvalidParameter: { status: 400, doc: 'A parameter is semantically invalid.' },
  InvalidParameterValue: { status: 400, doc: 'A parameter value is malformed or out of range.' },
  InvalidParameterCombination: { status: 400, doc: 'Parameters that cannot be used together.' },
  InvalidQueryParameter: { status: 400, doc: 'The query string or body is malformed.' },
  MalformedQueryString: { status: 400, doc: 'The form body could not be decoded.' },
  RequestEntityTooLarge: { status: 413, doc: 'The request body exceeds the size limit.' },
  RequestTimeout: { status: 408, doc: 'The request body did not arrive in time (the connection is closed).' },
  MethodNotAllowed: {
    status: 405,
    doc: 'The HTTP method is not supported (use POST, or GET with a query string).',
  },
  InvalidFilter: { status: 400, doc: 'Unsupported filter name or value.' },
  FilterLimitExceeded: { status: 400, doc: 'Too many filters or filter values.' },
  InvalidPaginationToken: { status: 400, doc: 'The NextToken is not valid.' },
  DryRunOperation: { status: 412, doc: 'Request would have succeeded, but DryRun flag is set.' },
  UnauthorizedOperation: { status: 403, doc: 'The caller is not allowed to perform the operation.' },
  AccessDenied: { status: 403, doc: 'ELBv2/STS: the caller is not allowed to perform the operation.' },
  AuthFailure: { status: 401, doc: 'Credentials could not be validated.' },
  SignatureDoesNotMatch: { status: 403, doc: 'The request signature does not match.' },
  InvalidClientTokenId: { status: 403, doc: 'The access key ID is not known.' },
  IncompleteSignature: { status: 400, doc: 'The Authorization header is malformed.' },
  RequestExpired: {
    status: 400,
    doc: 'EC2: the signature date is more than 15 minutes off, or a presigned URL has expired.',
  },
  MissingAuthenticationToken: { status: 403, doc: 'Strict mode: the request is not signed.' },
  IdempotentParameterMismatch: { status: 400, doc: 'A ClientToken was reused with different parameters.' },
  RequestLimitExceeded: { status: 503, doc: 'Throttled.' },
  InternalError: { status: 500, doc: 'An unexpected fault inside privlink (a bug).' },
  UnsupportedOperation: {
    status: 400,
    doc: 'The operation is recognised but not supported for these arguments.',
  },
  IncorrectState: { status: 400, doc: 'The resource is not in a state that allows the operation.' },
  InvalidState: { status: 400, doc: 'The resource is not in a state that allows the operation.' },
  DependencyViolation: { status: 400, doc: 'The resource has dependents and cannot be deleted.' },
  ResourceLimitExceeded: { status: 400, doc: 'A quota was exceeded.' },

  // ---- EC2 core resources
  'InvalidVpcID.NotFound': { status: 400, doc: 'Unknown VPC.' },
  'InvalidVpcID.Malformed': { status: 400, doc: 'Malformed VPC ID.' },
  InvalidVpcRange: { status: 400, doc: 'The CIDR block is not a valid VPC range (/16 to /28).' },
  'InvalidSubnetID.NotFound': { status: 400, doc: 'Unknown subnet.' },
  'InvalidSubnetID.Malformed': { status: 400, doc: 'Malformed subnet ID.' },
  'InvalidSubnet.Range': { status: 400, doc: 'The subnet CIDR is not inside the VPC CIDR.' },
  'InvalidSubnet.Conflict': { status: 400, doc: 'The subnet CIDR overlaps another subnet of the VPC.' },
  'InvalidGroup.NotFound': { status: 400, doc: 'Unknown security group.' },
  'InvalidGroupId.Malformed': { status: 400, doc: 'Malformed security group ID.' },
  'InvalidGroup.Duplicate': { status: 400, doc: 'A security group with this name exists in the VPC.' },
  'InvalidGroup.Reserved': { status: 400, doc: 'The name "default" is reserved.' },
  CannotDelete: { status: 400, doc: 'The default security group cannot be deleted.' },
  'InvalidPermission.Duplicate': { status: 400, doc: 'The security group rule already exists.' },
  'InvalidPermission.NotFound': { status: 400, doc: 'The security group rule does not exist.' },
  'InvalidPermission.Malformed': { status: 400, doc: 'The security group rule is malformed.' },
  'InvalidRouteTableID.NotFound': { status: 400, doc: 'Unknown route table.' },
  'InvalidRouteTableId.Malformed': { status: 400, doc: 'Malformed route table ID.' },
  'InvalidAssociationID.NotFound': { status: 400, doc: 'Unknown route table association.' },
  'Resource.AlreadyAssociated': { status: 400, doc: 'The subnet is already associated with a route table.' },
  'InvalidRoute.NotFound': { status: 400, doc: 'No such route.' },
  RouteAlreadyExists: { status: 400, doc: 'A route for this destination exists.' },
  'InvalidNetworkAclID.NotFound': { status: 400, doc: 'Unknown network ACL.' },
  'InvalidNetworkInterfaceID.NotFound': { status: 400, doc: 'Unknown network interface.' },
  'InvalidNetworkInterfaceId.Malformed': { status: 400, doc: 'Malformed network interface ID.' },
  'InvalidPrefixListId.NotFound': { status: 400, doc: 'Unknown prefix list.' },
  InvalidID: { status: 400, doc: 'The resource ID is malformed.' },
  'InvalidInstanceID.NotFound': { status: 400, doc: 'Unknown instance.' },
  'InvalidInstanceID.Malformed': { status: 400, doc: 'Malformed instance ID.' },
  'InvalidIPAddress.InUse': { status: 400, doc: 'The private IP address is already in use in the subnet.' },
  InvalidAvailabilityZone: { status: 400, doc: 'Unknown availability zone.' },
  'InvalidZone.NotFound': { status: 400, doc: 'Unknown availability zone.' },
  InsufficientFreeAddressesInSubnet: { status: 400, doc: 'The subnet has no free address.' },
  'InvalidAMIID.Malformed': { status: 400, doc: 'Malformed image ID.' },
  'InvalidAMIID.NotFound': { status: 400, doc: 'The image does not exist.' },
  'InvalidAMIName.Malformed': { status: 400, doc: 'The image name is not valid.' },
  'InvalidAMIName.Duplicate': { status: 400, doc: 'An image of that name exists.' },
  'InvalidUserID.Malformed': { status: 400, doc: 'An owner or user ID is malformed.' },
  VPCIdNotSpecified: { status: 400, doc: 'No VpcId given and the account has no default VPC.' },
  InstanceLimitExceeded: { status: 400, doc: 'RunInstances would exceed the running-instance quota.' },
  InsufficientInstanceCapacity: {
    status: 500,
    doc: 'The server has no room for the instances (privlink --max-instances / --max-namespaces).',
  },
  VpcLimitExceeded: {
    status: 400,
    doc: 'The VPCs-per-Region quota (default 5) or the server namespace cap is reached.',
  },
  SubnetLimitExceeded: { status: 400, doc: 'The subnets-per-VPC quota (default 200) is reached.' },
  SecurityGroupLimitExceeded: {
    status: 400,
    doc: 'The security-groups-per-Region quota (default 2500) is reached.',
  },
  IncorrectInstanceState: { status: 400, doc: 'The instance is not in a state that allows the operation.' },
  InvalidBlockDeviceMapping: {
    status: 400,
    doc: 'A block device mapping privlink cannot honour (root volume smaller than the image).',
  },
  InvalidInstanceType: {
    status: 400,
    doc: 'DescribeInstanceTypes: an instance type privlink (and the Region) lacks.',
  },
  'InvalidVolume.NotFound': { status: 400, doc: 'Unknown volume.' },
  'InvalidVolumeID.Malformed': { status: 400, doc: 'Malformed volume ID.' },
  'InvalidSecurityGroupRuleId.NotFound': { status: 400, doc: 'Unknown security group rule.' },
  'InvalidSecurityGroupRuleId.Malformed': { status: 400, doc: 'Malformed security group rule ID.' },
  'InvalidGatewayID.NotFound': { status: 400, doc: 'Unknown gateway (route target).' },
  'InvalidAssociationID.Malformed': { status: 400, doc: 'Malformed route table association ID.' },
  TagLimitExceeded: { status: 400, doc: 'A resource would have more than 50 tags.' },
  'InvalidTagKey.Malformed': { status: 400, doc: 'A tag key is empty, too long or starts with aws:.' },
  'InvalidResourceType.Unknown': {
    status: 400,
    doc: 'The TagSpecification resource type is not taggable here.',
  },

  // ---- PrivateLink
  'InvalidVpcEndpointId.NotFound': { status: 400, doc: 'Unknown VPC endpoint (Describe/Modify).' },
  'InvalidVpcEndpointId.Malformed': { status: 400, doc: 'Malformed VPC endpoint ID.' },
  'InvalidVpcEndpoint.NotFound': { status: 400, doc: 'Unknown VPC endpoint (in-band, DeleteVpcEndpoints).' },
  'InvalidVpcEndpointServiceId.NotFound': { status: 400, doc: 'Unknown endpoint service.' },
  'InvalidVpcEndpointServiceId.Malformed': { status: 400, doc: 'Malformed endpoint service ID.' },
  'InvalidVpcEndpointService.NotFound': { status: 400, doc: 'Unknown endpoint service (in-band, delete).' },
  InvalidServiceName: {
    status: 400,
    doc: 'The service name does not exist or is not visible to the caller.',
  },
  InvalidVpcEndpointType: { status: 400, doc: 'The endpoint type is not valid.' },
  DuplicateSubnetsInSameZone: { status: 400, doc: 'Two subnets of one availability zone.' },
  ExistingVpcEndpointConnections: { status: 400, doc: 'The service still has endpoint connections.' },
  VpcEndpointLimitExceeded: { status: 400, doc: 'Too many endpoints in the VPC.' },
  InvalidConnectionNotification: { status: 400, doc: 'Unknown or invalid connection notification.' },
  InvalidPolicyDocument: { status: 400, doc: 'The endpoint policy is not a valid policy document.' },
  InvalidPrincipal: { status: 400, doc: 'An allowed principal is not a valid ARN or *.' },
  'InvalidLoadBalancerArn.NotFound': {
    status: 400,
    doc: 'Unknown load balancer ARN in a service configuration.',
  },
  'InvalidLoadBalancerArn.Malformed': { status: 400, doc: 'Malformed load balancer ARN.' },
  InvalidPrivateDnsName: { status: 400, doc: 'The private DNS name is not a valid domain name.' },

  // ---- ELBv2 (codes as the model's error.code, not the shape names)
  LoadBalancerNotFound: { status: 400, doc: 'Unknown load balancer.' },
  TargetGroupNotFound: { status: 400, doc: 'Unknown target group.' },
  ListenerNotFound: { status: 400, doc: 'Unknown listener.' },
  DuplicateLoadBalancerName: { status: 400, doc: 'A load balancer with this name exists.' },
  DuplicateTargetGroupName: { status: 400, doc: 'A target group with this name exists.' },
  DuplicateListener: { status: 400, doc: 'A listener on this port exists.' },
  InvalidConfigurationRequest: { status: 400, doc: 'The configuration is not valid.' },
  ValidationError: { status: 400, doc: 'A parameter failed validation.' },
  SubnetNotFound: { status: 400, doc: 'Unknown subnet.' },
  InvalidSubnet: { status: 400, doc: 'The subnet cannot be used.' },
  InvalidSecurityGroup: { status: 400, doc: 'Unknown or unusable security group.' },
  InvalidScheme: { status: 400, doc: 'The scheme is not valid.' },
  InvalidTarget: { status: 400, doc: 'The target is not valid or not registered.' },
  ResourceInUse: { status: 400, doc: 'The resource is in use (for example by an endpoint service).' },
  OperationNotPermitted: { status: 400, doc: 'The operation is not permitted.' },
  IncompatibleProtocols: { status: 400, doc: 'Listener and target group protocols do not match.' },
  UnsupportedProtocol: { status: 400, doc: 'The protocol is not supported.' },
  TargetGroupAssociationLimit: { status: 400, doc: 'Target group already used by another load balancer.' },
  AvailabilityZoneNotSupported: { status: 400, doc: 'The zone is not supported.' },
  DuplicateTagKeys: { status: 400, doc: 'A tag key is given twice.' },
  TooManyTags: { status: 400, doc: 'Too many tags.' },
  InvalidLoadBalancerAction: {
    status: 400,
    doc: 'The listener action is not valid for this load balancer type.',
  },
  TooManyListeners: { status: 400, doc: 'The load balancer has the maximum number of listeners.' },
  TooManyLoadBalancers: {
    status: 400,
    doc: 'The load-balancers-per-Region quota (default 50) or the server namespace cap is reached.',
  },
  TooManyTargetGroups: { status: 400, doc: 'The target-groups-per-Region quota (default 3000) is reached.' },
  AllocationIdNotFound: { status: 400, doc: 'Unknown Elastic IP allocation in a subnet mapping.' },

  // ---- STS
  InvalidIdentityToken: { status: 400, doc: 'Reserved.' },
} as const satisfies Record<string, { status: number; doc: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** An error that renders as an AWS error envelope. */
export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.status = ERROR_CODES[code].status;
  }
}

export function apiError(code: ErrorCode, message: string): ApiError {
  return new ApiError(code, message);
}

export function isApiError(e: unknown): e is ApiError {
  return e instanceof ApiError;
}

/** Factories for errors raised from more than one place. */
export const Errors = {
  missingParameter: (name: string) =>
    apiError('MissingParameter', `The request must contain the parameter ${name}`),
  unknownParameter: (name: string) => apiError('UnknownParameter', `The parameter ${name} is not recognized`),
  invalidValue: (name: string, value: string, why?: string) =>
    apiError(
      'InvalidParameterValue',
      `Value (${value}) for parameter ${name} is invalid.${why ? ' ' + why : ''}`,
    ),
  dryRun: () => apiError('DryRunOperation', 'Request would have succeeded, but DryRun flag is set.'),
  vpcNotFound: (id: string) => apiError('InvalidVpcID.NotFound', `The vpc ID '${id}' does not exist`),
  subnetNotFound: (id: string) =>
    apiError('InvalidSubnetID.NotFound', `The subnet ID '${id}' does not exist`),
  groupNotFound: (id: string) =>
    apiError('InvalidGroup.NotFound', `The security group '${id}' does not exist`),
  routeTableNotFound: (id: string) =>
    apiError('InvalidRouteTableID.NotFound', `The routeTable ID '${id}' does not exist`),
  networkInterfaceNotFound: (id: string) =>
    apiError('InvalidNetworkInterfaceID.NotFound', `The networkInterface ID '${id}' does not exist`),
  instanceNotFound: (id: string) =>
    apiError('InvalidInstanceID.NotFound', `The instance ID '${id}' does not exist`),
  endpointNotFound: (id: string) =>
    apiError('InvalidVpcEndpointId.NotFound', `The Vpc Endpoint Id '${id}' does not exist`),
  endpointMalformed: (id: string) =>
    apiError('InvalidVpcEndpointId.Malformed', `The Vpc Endpoint Id '${id}' is malformed`),
  serviceNotFound: (id: string) =>
    apiError('InvalidVpcEndpointServiceId.NotFound', `The VpcEndpointService Id '${id}' does not exist`),
  serviceMalformed: (id: string) =>
    apiError('InvalidVpcEndpointServiceId.Malformed', `The VpcEndpointService Id '${id}' is malformed`),
  invalidServiceName: (name: string) =>
    apiError('InvalidServiceName', `The Vpc Endpoint Service '${name}' does not exist`),
  loadBalancerNotFound: (arn?: string) =>
    apiError(
      'LoadBalancerNotFound',
      arn ? `Load balancer '${arn}' not found` : 'One or more load balancers not found',
    ),
  targetGroupNotFound: (arn?: string) =>
    apiError(
      'TargetGroupNotFound',
      arn ? `Target group '${arn}' not found` : 'One or more target groups not found',
    ),
  listenerNotFound: (arn?: string) =>
    apiError('ListenerNotFound', arn ? `Listener '${arn}' not found` : 'One or more listeners not found'),
};
