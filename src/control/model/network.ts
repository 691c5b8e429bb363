/** EC2 networking resources that endpoints stand on. */
import type { Scoped, Tag } from './common.js';

export interface Vpc extends Scoped {
  cidrBlock: string;
  state: 'pending' | 'available';
  instanceTenancy: string;
  isDefault: boolean;
  dhcpOptionsId: string;
  enableDnsSupport: boolean;
  enableDnsHostnames: boolean;
  mainRouteTableId: string;
  defaultSecurityGroupId: string;
  cidrAssociationId: string;
  enableNetworkAddressUsageMetrics?: boolean;
}

export interface Subnet extends Scoped {
  vpcId: string;
  cidrBlock: string;
  availabilityZone: string;
  availabilityZoneId: string;
  state: 'pending' | 'available';
  mapPublicIpOnLaunch: boolean;
  /** ModifySubnetAttribute PrivateDnsHostnameTypeOnLaunch (absent: AWS's default, ip-name). */
  privateDnsHostnameTypeOnLaunch?: 'ip-name' | 'resource-name';
  enableResourceNameDnsARecordOnLaunch?: boolean;
}

/**
 * One rule as AWS counts them (one `sgr-…` each): privlink stores exactly one source or
 * destination per rule (one entry across the four lists), and DescribeSecurityGroups regroups
 * rules with equal protocol and ports into IpPermissions.
 */
export interface SecurityGroupRule {
  /** `-1` for all, or `tcp` / `udp` / `icmp` / a protocol number. */
  ipProtocol: string;
  fromPort?: number;
  toPort?: number;
  ipRanges: { cidrIp: string; description?: string }[];
  ipv6Ranges: { cidrIpv6: string; description?: string }[];
  userIdGroupPairs: { groupId: string; userId: string; description?: string }[];
  prefixListIds: { prefixListId: string; description?: string }[];
  /** sgr-… id, stable per rule. */
  ruleId: string;
  tags?: Tag[];
}

export interface SecurityGroup extends Scoped {
  vpcId: string;
  groupName: string;
  description: string;
  ingress: SecurityGroupRule[];
  egress: SecurityGroupRule[];
}

export interface Route {
  destinationCidrBlock?: string;
  destinationPrefixListId?: string;
  gatewayId?: string;
  vpcEndpointId?: string;
  instanceId?: string;
  networkInterfaceId?: string;
  origin: 'CreateRouteTable' | 'CreateRoute' | 'EnableVgwRoutePropagation';
  state: 'active' | 'blackhole';
}

export interface RouteTableAssociation {
  id: string;
  subnetId?: string;
  main: boolean;
}

export interface RouteTable extends Scoped {
  vpcId: string;
  routes: Route[];
  associations: RouteTableAssociation[];
}

export type InterfaceType =
  | 'interface'
  | 'vpc_endpoint'
  | 'network_load_balancer'
  | 'gateway_load_balancer'
  | 'gateway_load_balancer_endpoint';

export interface NetworkInterface extends Scoped {
  vpcId: string;
  subnetId: string;
  availabilityZone: string;
  privateIpAddress: string;
  macAddress: string;
  interfaceType: InterfaceType;
  description: string;
  requesterManaged: boolean;
  /** For requester-managed interfaces: the AWS-side requester (e.g. an account or service). */
  requesterId?: string;
  groupIds: string[];
  status: 'available' | 'in-use';
  /** Instance this ENI is attached to, if any. */
  attachment?: { attachmentId: string; instanceId?: string; deviceIndex: number; attachTime: number };
  /** What made this interface: a vpce-…, an ELB ARN, or an instance ID. */
  ownerResourceId?: string;
}

export interface Instance extends Scoped {
  vpcId: string;
  subnetId: string;
  availabilityZone: string;
  privateIpAddress: string;
  networkInterfaceId: string;
  imageId: string;
  instanceType: string;
  keyName?: string;
  securityGroupIds: string[];
  /** Base64 as given on the wire. */
  userData?: string;
  state: 'pending' | 'running' | 'shutting-down' | 'terminated' | 'stopping' | 'stopped';
  stateChangedAt: number;
  launchTime: number;
  amiLaunchIndex: number;
  reservationId: string;
  clientToken?: string;
  /** IMDS settings from RunInstances MetadataOptions (defaults: optional tokens, enabled, hop 1). */
  metadataOptions?: {
    httpTokens: 'optional' | 'required';
    httpEndpoint: 'enabled' | 'disabled';
    httpPutResponseHopLimit: number;
    instanceMetadataTags: 'enabled' | 'disabled';
  };
  /** Why the instance is in its state (`Client.UserInitiatedShutdown` …). */
  stateReason?: { code: string; message: string };
  stateTransitionReason?: string;
  /** Boots after the launch (StartInstances, reboots): user data runs only while this is 0. */
  boots?: number;
  instanceInitiatedShutdownBehavior?: 'stop' | 'terminate';
  disableApiTermination?: boolean;
  /** The root EBS volume as launched (BlockDeviceMapping for the root device); absent: AWS's 8 GiB gp3. */
  rootVolume?: RootVolumeSettings;
  /** Tags of the root volume (TagSpecification `volume`, CreateTags on its vol- ID). */
  rootVolumeTags?: Tag[];
  /** CreditSpecification.CpuCredits from launch; absent: the type's default. */
  cpuCredits?: 'standard' | 'unlimited';
}

export interface RootVolumeSettings {
  sizeGiB: number;
  volumeType: 'gp2' | 'gp3' | 'io1' | 'io2' | 'st1' | 'sc1' | 'standard';
  deleteOnTermination: boolean;
  iops?: number;
  throughput?: number;
  encrypted: boolean;
}
