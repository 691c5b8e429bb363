/**
 * The AWS side of the data-plane tests' PrivateLink setups, built through the real SDK clients
 * against the real server: a VPC with subnets, a network load balancer with its target group,
 * targets and listeners, an interface endpoint with its own security group, acceptance. Each
 * builder makes the same calls, in the same order, that the tests used to write out by hand; the
 * parts that differ between tests (CIDRs, target type, targets, ports, health checks, the ENI
 * address, what the group lets in) are options. What hosts run on top is in traffic-helpers.ts.
 */
import {
  AcceptVpcEndpointConnectionsCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  CreateVpcEndpointCommand,
  DescribeNetworkInterfacesCommand,
  type EC2Client,
} from '@aws-sdk/client-ec2';
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateTargetGroupCommand,
  DescribeLoadBalancersCommand,
  RegisterTargetsCommand,
  type CreateTargetGroupCommandInput,
  type ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { REGION } from '../helpers/privlink.js';

/** A VPC on `cidr` and one subnet per entry of `subnetCidrs` (zone a, in order). */
export async function vpcWithSubnets<const C extends readonly string[]>(
  ec2: EC2Client,
  cidr: string,
  subnetCidrs: C,
): Promise<{ vpcId: string; subnets: { -readonly [K in keyof C]: string } }> {
  const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: cidr }));
  const vpcId = vpc.Vpc?.VpcId ?? '';
  const subnets: string[] = [];
  for (const c of subnetCidrs) {
    const s = await ec2.send(
      new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: c, AvailabilityZone: `${REGION}a` }),
    );
    subnets.push(s.Subnet?.SubnetId ?? '');
  }
  return { vpcId, subnets: subnets as { -readonly [K in keyof C]: string } };
}

/** Health checks every 5 s that flip after two results: failover within the tests' time. */
export const FAST_HEALTH_CHECKS = {
  HealthCheckIntervalSeconds: 5,
  HealthCheckTimeoutSeconds: 2,
  HealthyThresholdCount: 2,
  UnhealthyThresholdCount: 2,
} as const;

export type HealthCheckSettings = Pick<
  CreateTargetGroupCommandInput,
  | 'HealthCheckProtocol'
  | 'HealthCheckPort'
  | 'HealthCheckIntervalSeconds'
  | 'HealthCheckTimeoutSeconds'
  | 'HealthyThresholdCount'
  | 'UnhealthyThresholdCount'
>;

export interface NlbSpec {
  /** Names the load balancer `<name>-nlb` and its target group `<name>-tg`. */
  name: string;
  vpcId: string;
  subnetId: string;
  /** Target ids (IP addresses or instance ids) registered with the group; none when empty. */
  targets: readonly string[];
  /** Default 'ip'. */
  targetType?: 'ip' | 'instance';
  /** TCP listener ports, each forwarding to the group (default: 80). */
  ports?: readonly number[];
  /** Health-check settings of the group (default: the API's). */
  healthCheck?: HealthCheckSettings;
}

/**
 * An internal network load balancer in one subnet, a TCP target group on port 8080 with
 * `targets` registered, and a TCP listener per port forwarding to it.
 */
export async function networkLoadBalancer(
  elb: ElasticLoadBalancingV2Client,
  spec: NlbSpec,
): Promise<{ lbArn: string; tgArn: string }> {
  const lb = await elb.send(
    new CreateLoadBalancerCommand({
      Name: `${spec.name}-nlb`,
      Type: 'network',
      Scheme: 'internal',
      Subnets: [spec.subnetId],
    }),
  );
  const lbArn = lb.LoadBalancers?.[0]?.LoadBalancerArn ?? '';
  const tg = await elb.send(
    new CreateTargetGroupCommand({
      Name: `${spec.name}-tg`,
      Protocol: 'TCP',
      Port: 8080,
      VpcId: spec.vpcId,
      TargetType: spec.targetType ?? 'ip',
      ...spec.healthCheck,
    }),
  );
  const tgArn = tg.TargetGroups?.[0]?.TargetGroupArn ?? '';
  if (spec.targets.length > 0) await registerTargets(elb, tgArn, spec.targets);
  for (const port of spec.ports ?? [80]) await forwardListener(elb, lbArn, tgArn, port);
  return { lbArn, tgArn };
}

export async function registerTargets(
  elb: ElasticLoadBalancingV2Client,
  tgArn: string,
  ids: readonly string[],
): Promise<void> {
  await elb.send(new RegisterTargetsCommand({ TargetGroupArn: tgArn, Targets: ids.map((Id) => ({ Id })) }));
}

/**
 * A listener forwarding to `tgArn`: TCP on `port`, or, without a port, a Gateway Load
 * Balancer's (which takes neither protocol nor port).
 */
export async function forwardListener(
  elb: ElasticLoadBalancingV2Client,
  lbArn: string,
  tgArn: string,
  port?: number,
): Promise<void> {
  await elb.send(
    new CreateListenerCommand({
      LoadBalancerArn: lbArn,
      ...(port === undefined ? {} : { Protocol: 'TCP', Port: port }),
      DefaultActions: [{ Type: 'forward', TargetGroupArn: tgArn }],
    }),
  );
}

/** The private address of the load balancer's node in its first zone ('' when it has none). */
export async function nlbNodeIp(elb: ElasticLoadBalancingV2Client, lbArn: string): Promise<string> {
  const lbs = await elb.send(new DescribeLoadBalancersCommand({ LoadBalancerArns: [lbArn] }));
  return lbs.LoadBalancers?.[0]?.AvailabilityZones?.[0]?.LoadBalancerAddresses?.[0]?.PrivateIPv4Address ?? '';
}

export interface EndpointSpec {
  vpcId: string;
  subnetId: string;
  serviceName: string;
  /** The endpoint's own security group lets TCP `port` in from `cidr`, nothing else. */
  allow: { port: number; cidr: string };
  /** A fixed ENI address (SubnetConfigurations) instead of one the subnet hands out. */
  eniIp?: string;
}

export interface InterfaceEndpoint {
  epId: string;
  /** The endpoint's state as CreateVpcEndpoint returned it. */
  state: string;
  sgId: string;
  eniId: string;
  eniIp: string;
}

/**
 * An interface endpoint in one subnet behind a security group of its own, and its ENI as
 * DescribeNetworkInterfaces reports it.
 */
export async function interfaceEndpoint(ec2: EC2Client, spec: EndpointSpec): Promise<InterfaceEndpoint> {
  const sg = await ec2.send(
    new CreateSecurityGroupCommand({ GroupName: 'ep', Description: 'ep', VpcId: spec.vpcId }),
  );
  const sgId = sg.GroupId ?? '';
  const { port, cidr } = spec.allow;
  await ec2.send(
    new AuthorizeSecurityGroupIngressCommand({
      GroupId: sgId,
      IpPermissions: [{ IpProtocol: 'tcp', FromPort: port, ToPort: port, IpRanges: [{ CidrIp: cidr }] }],
    }),
  );
  const ep = await ec2.send(
    new CreateVpcEndpointCommand({
      VpcEndpointType: 'Interface',
      VpcId: spec.vpcId,
      ServiceName: spec.serviceName,
      ...(spec.eniIp === undefined
        ? { SubnetIds: [spec.subnetId] }
        : { SubnetConfigurations: [{ SubnetId: spec.subnetId, Ipv4: spec.eniIp }] }),
      SecurityGroupIds: [sgId],
    }),
  );
  const enis = await ec2.send(
    new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: ep.VpcEndpoint?.NetworkInterfaceIds ?? [] }),
  );
  const eni = enis.NetworkInterfaces?.[0];
  return {
    epId: ep.VpcEndpoint?.VpcEndpointId ?? '',
    state: ep.VpcEndpoint?.State ?? '',
    sgId,
    eniId: eni?.NetworkInterfaceId ?? '',
    eniIp: eni?.PrivateIpAddress ?? '',
  };
}

/** The provider accepts the endpoints' connection requests. */
export async function acceptEndpoints(
  provider: EC2Client,
  serviceId: string,
  epIds: string[],
): Promise<void> {
  await provider.send(
    new AcceptVpcEndpointConnectionsCommand({ ServiceId: serviceId, VpcEndpointIds: epIds }),
  );
}
