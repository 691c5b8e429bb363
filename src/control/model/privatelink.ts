/** PrivateLink resources: endpoint services, permissions, endpoints and connection notifications. */
import type { Scoped } from './common.js';

export type ServiceType = 'Interface' | 'Gateway' | 'GatewayLoadBalancer';
export type EndpointType = 'Interface' | 'Gateway' | 'GatewayLoadBalancer' | 'Resource' | 'ServiceNetwork';
/**
 * Wire spelling (lowerCamel) of endpoint and connection states, see docs/reference/aws-privatelink.md §3.5.
 */
export type EndpointState =
  'pendingAcceptance' | 'pending' | 'available' | 'deleting' | 'deleted' | 'rejected' | 'failed' | 'expired';
export type ServiceState = 'Pending' | 'Available' | 'Deleting' | 'Deleted' | 'Failed';
export type DnsVerificationState = 'pendingVerification' | 'verified' | 'failed';

export interface PrivateDnsNameConfiguration {
  state: DnsVerificationState;
  type: 'TXT';
  name: string;
  value: string;
  /** Epoch ms of the last verification attempt. */
  checkedAt?: number;
  /** Epoch ms of the latest verification request (create/modify/Start…); a new value re-checks. */
  requestedAt?: number;
}

export interface EndpointService extends Scoped {
  /** vpce-svc-… */
  serviceName: string;
  serviceType: ServiceType;
  state: ServiceState;
  acceptanceRequired: boolean;
  managesVpcEndpoints: boolean;
  networkLoadBalancerArns: string[];
  gatewayLoadBalancerArns: string[];
  supportedIpAddressTypes: string[];
  supportedRegions: string[];
  privateDnsName?: string;
  privateDnsNameConfiguration?: PrivateDnsNameConfiguration;
  payerResponsibility?: 'ServiceOwner';
  clientToken?: string;
}

export type PrincipalType = 'All' | 'Service' | 'OrganizationUnit' | 'Account' | 'User' | 'Role';

export interface ServicePermission extends Scoped {
  /** vpce-svc-perm-… ; accountId/region are the service owner's. */
  serviceId: string;
  principal: string;
  principalType: PrincipalType;
}

export interface DnsOptions {
  dnsRecordIpType: 'ipv4' | 'dualstack' | 'ipv6' | 'service-defined';
  privateDnsOnlyForInboundResolverEndpoint: boolean;
}

export interface VpcEndpoint extends Scoped {
  endpointType: EndpointType;
  vpcId: string;
  serviceName: string;
  /** The endpoint service (customer services only). */
  serviceId?: string;
  /** Account that owns the service: an account ID, or `amazon` for AWS services. */
  serviceOwner: string;
  serviceRegion: string;
  state: EndpointState;
  stateChangedAt: number;
  policyDocument?: string;
  routeTableIds: string[];
  subnetIds: string[];
  groupIds: string[];
  networkInterfaceIds: string[];
  ipAddressType: 'ipv4' | 'dualstack' | 'ipv6';
  dnsOptions?: DnsOptions;
  privateDnsEnabled: boolean;
  /** The stable 8-character label in the endpoint's DNS names. */
  dnsLabel: string;
  /** vpce-con-… as the provider sees it. */
  connectionId?: string;
  lastError?: { code: string; message: string };
  clientToken?: string;
  /** Principal ARN of the creator (for permission checks and the provider's view). */
  requesterArn: string;
  /** ModifyVpcEndpointPayerResponsibility choices, by scope (absent = the defaults). */
  payerResponsibilities?: { scope: string; payerResponsibilityType: string }[];
}

export type ConnectionEvent = 'Accept' | 'Connect' | 'Delete' | 'Reject';

export interface ConnectionNotification extends Scoped {
  /** vpce-nfn-… */
  serviceId?: string;
  vpcEndpointId?: string;
  topicArn: string;
  events: ConnectionEvent[];
  state: 'Enabled' | 'Disabled';
  clientToken?: string;
}

/** A connection event as recorded (and published to SNS when configured). */
export interface NotificationRecord extends Scoped {
  notificationId: string;
  event: ConnectionEvent;
  topicArn: string;
  vpcEndpointId: string;
  serviceId: string;
  /** The JSON message as published. */
  message: string;
  delivery: 'pending' | 'delivered' | 'failed' | 'not-configured';
}

/** Remembers a ClientToken's request so a retry returns the original resource. */
export interface IdempotencyRecord extends Scoped {
  action: string;
  fingerprint: string;
  resourceId: string;
}
