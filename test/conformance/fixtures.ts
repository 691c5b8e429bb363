/**
 * Wire-built fixtures for the conformance suite: the provider's VPC, subnets in two AZs and an
 * internal NLB with a TCP listener, an endpoint service, and the consumer's VPC with the same
 * CIDR — all made with raw signed Query calls so the setup itself exercises the wire.
 */
import type { Privlink } from '../../src/emulator.js';
import { REGION } from '../helpers/privlink.js';
import { at, ec2Ok, elbOk, items, text, type Params } from './wire.js';

export interface WireNet {
  vpcId: string;
  subnetIds: string[];
}

export async function wireNetwork(p: Privlink, account: string, zones = ['a', 'b']): Promise<WireNet> {
  const vpcId = text(await ec2Ok(p, account, 'CreateVpc', { CidrBlock: '10.0.0.0/16' }), 'vpc', 'vpcId');
  const subnetIds: string[] = [];
  for (const [i, z] of zones.entries()) {
    const s = await ec2Ok(p, account, 'CreateSubnet', {
      VpcId: vpcId,
      CidrBlock: `10.0.${i + 1}.0/24`,
      AvailabilityZone: `${REGION}${z}`,
    });
    subnetIds.push(text(s, 'subnet', 'subnetId'));
  }
  return { vpcId, subnetIds };
}

export interface WireNlb {
  arn: string;
  targetGroupArn: string;
}

export async function wireNlb(
  p: Privlink,
  account: string,
  net: WireNet,
  name = 'conf-nlb',
): Promise<WireNlb> {
  const lbParams: Params = { Name: name, Type: 'network', Scheme: 'internal' };
  net.subnetIds.forEach((s, i) => (lbParams[`Subnets.member.${i + 1}`] = s));
  const lbRes = await elbOk(p, account, 'CreateLoadBalancer', lbParams);
  const [lb] = items(at(lbRes, 'LoadBalancers'), 'member');
  if (!lb) throw new Error('CreateLoadBalancer returned no load balancer');
  const arn = text(lb, 'LoadBalancerArn');
  const tgRes = await elbOk(p, account, 'CreateTargetGroup', {
    Name: `${name}-tg`,
    Protocol: 'TCP',
    Port: 80,
    VpcId: net.vpcId,
    TargetType: 'ip',
  });
  const [tg] = items(at(tgRes, 'TargetGroups'), 'member');
  if (!tg) throw new Error('CreateTargetGroup returned nothing');
  const targetGroupArn = text(tg, 'TargetGroupArn');
  await elbOk(p, account, 'CreateListener', {
    LoadBalancerArn: arn,
    Protocol: 'TCP',
    Port: 80,
    'DefaultActions.member.1.Type': 'forward',
    'DefaultActions.member.1.TargetGroupArn': targetGroupArn,
  });
  return { arn, targetGroupArn };
}

export interface WireService {
  serviceId: string;
  serviceName: string;
}

export async function wireService(
  p: Privlink,
  account: string,
  nlbArn: string,
  extra: Params = {},
): Promise<WireService> {
  const r = await ec2Ok(p, account, 'CreateVpcEndpointServiceConfiguration', {
    'NetworkLoadBalancerArn.1': nlbArn,
    AcceptanceRequired: true,
    ...extra,
  });
  return {
    serviceId: text(r, 'serviceConfiguration', 'serviceId'),
    serviceName: text(r, 'serviceConfiguration', 'serviceName'),
  };
}
