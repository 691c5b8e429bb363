/** ELBv2 resources: Network and Gateway Load Balancers, their target groups and listeners. */
import type { Scoped } from './common.js';

export interface LoadBalancerNode {
  subnetId: string;
  zoneName: string;
  zoneId: string;
  /** Private IP of the node in this subnet (an ENI listed by DescribeNetworkInterfaces). */
  privateIpAddress: string;
  networkInterfaceId: string;
}

export interface LoadBalancer extends Scoped {
  /** id is the ARN. */
  arn: string;
  name: string;
  type: 'network' | 'gateway';
  scheme: 'internal' | 'internet-facing';
  vpcId: string;
  state: 'provisioning' | 'active' | 'active_impaired' | 'failed';
  ipAddressType: string;
  nodes: LoadBalancerNode[];
  securityGroups: string[];
  /** EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic (absent: on while it has groups). */
  enforcePrivateLinkInboundRules?: boolean;
  dnsName?: string;
  canonicalHostedZoneId?: string;
  attributes: Record<string, string>;
}

export interface HealthCheckConfig {
  enabled: boolean;
  protocol: string;
  port: string;
  path?: string;
  intervalSeconds: number;
  timeoutSeconds: number;
  healthyThreshold: number;
  unhealthyThreshold: number;
  matcher?: string;
}

export interface RegisteredTarget {
  /** IP address or instance ID. */
  id: string;
  port: number;
  availabilityZone?: string;
  registeredAt: number;
  /** Set when DeregisterTargets was called; the target drains until the delay passes. */
  deregisteredAt?: number;
}

export interface TargetGroup extends Scoped {
  arn: string;
  name: string;
  protocol: string;
  port?: number;
  vpcId?: string;
  targetType: 'instance' | 'ip' | 'alb' | 'lambda';
  ipAddressType: string;
  healthCheck: HealthCheckConfig;
  attributes: Record<string, string>;
  targets: RegisteredTarget[];
}

export interface ListenerAction {
  type: string;
  targetGroupArn?: string;
  order?: number;
  forwardTargetGroups?: { targetGroupArn: string; weight?: number }[];
}

export interface Listener extends Scoped {
  arn: string;
  loadBalancerArn: string;
  port?: number;
  protocol?: string;
  defaultActions: ListenerAction[];
  attributes: Record<string, string>;
  /** TLS listeners only. */
  sslPolicy?: string;
  certificates?: { certificateArn: string; isDefault?: boolean }[];
  alpnPolicy?: string[];
}
