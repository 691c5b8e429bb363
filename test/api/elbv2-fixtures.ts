/**
 * Fixtures for the ELBv2 API tests: a VPC with three subnets (one per AZ) and a security group,
 * made through the real EC2 client, plus small builders for load balancers and target groups.
 */
import {
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  type EC2Client,
} from '@aws-sdk/client-ec2';
import {
  CreateLoadBalancerCommand,
  CreateTargetGroupCommand,
  type ElasticLoadBalancingV2Client,
  type LoadBalancer,
  type TargetGroup,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { Privlink } from '../../src/emulator.js';
import type { Instance } from '../../src/control/model/network.js';
import { REGION, ec2Client, elbClient } from '../helpers/privlink.js';

export interface Net {
  ec2: EC2Client;
  elb: ElasticLoadBalancingV2Client;
  vpcId: string;
  cidr: string;
  /** One subnet in each of us-east-1a, -1b, -1c. */
  subnets: string[];
  /** A second subnet in us-east-1a. */
  extraSubnetA: string;
  sgId: string;
}

export async function network(p: Privlink, o: { account?: string; cidr?: string } = {}): Promise<Net> {
  const ec2 = ec2Client(p, { account: o.account });
  const elb = elbClient(p, { account: o.account });
  const cidr = o.cidr ?? '10.0.0.0/16';
  const base = cidr.split('.').slice(0, 2).join('.');
  const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: cidr }));
  const vpcId = vpc.Vpc?.VpcId ?? '';
  const subnets: string[] = [];
  for (const [i, az] of ['a', 'b', 'c'].entries()) {
    const sn = await ec2.send(
      new CreateSubnetCommand({
        VpcId: vpcId,
        CidrBlock: `${base}.${i + 1}.0/24`,
        AvailabilityZone: `${REGION}${az}`,
      }),
    );
    subnets.push(sn.Subnet?.SubnetId ?? '');
  }
  const extra = await ec2.send(
    new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: `${base}.9.0/24`, AvailabilityZone: `${REGION}a` }),
  );
  const sg = await ec2.send(
    new CreateSecurityGroupCommand({ VpcId: vpcId, GroupName: 'nlb', Description: 'nlb' }),
  );
  return {
    ec2,
    elb,
    vpcId,
    cidr,
    subnets,
    extraSubnetA: extra.Subnet?.SubnetId ?? '',
    sgId: sg.GroupId ?? '',
  };
}

export async function nlb(net: Net, name: string, subnets = net.subnets.slice(0, 2)): Promise<LoadBalancer> {
  const out = await net.elb.send(
    new CreateLoadBalancerCommand({ Name: name, Type: 'network', Scheme: 'internal', Subnets: subnets }),
  );
  const lb = out.LoadBalancers?.[0];
  if (!lb) throw new Error('no load balancer returned');
  return lb;
}

export async function tcpGroup(
  net: Net,
  name: string,
  o: {
    protocol?: 'TCP' | 'UDP' | 'TCP_UDP' | 'TLS' | 'GENEVE';
    port?: number;
    targetType?: 'ip' | 'instance';
  } = {},
): Promise<TargetGroup> {
  const out = await net.elb.send(
    new CreateTargetGroupCommand({
      Name: name,
      Protocol: o.protocol ?? 'TCP',
      Port: o.port ?? 80,
      VpcId: net.vpcId,
      TargetType: o.targetType ?? 'ip',
    }),
  );
  const tg = out.TargetGroups?.[0];
  if (!tg) throw new Error('no target group returned');
  return tg;
}

/** Writes an instance record straight to the store (RunInstances belongs to another group). */
export function putInstance(
  p: Privlink,
  o: { id: string; vpcId: string; subnetId: string; az: string; ip: string; account: string },
): void {
  const inst: Instance = {
    id: o.id,
    accountId: o.account,
    region: REGION,
    createdAt: p.clock.now(),
    tags: [],
    vpcId: o.vpcId,
    subnetId: o.subnetId,
    availabilityZone: o.az,
    privateIpAddress: o.ip,
    networkInterfaceId: 'eni-0000000000000000a',
    imageId: 'ami-00000000000000001',
    instanceType: 't3.micro',
    securityGroupIds: [],
    state: 'running',
    stateChangedAt: p.clock.now(),
    launchTime: p.clock.now(),
    amiLaunchIndex: 0,
    reservationId: 'r-00000000000000001',
  };
  p.store.transaction(() => p.store.put('instance', inst));
}
