/**
 * A complete provider/consumer world built through the real SDK clients, shared by the
 * robustness suites (fuzzing, concurrency, restart): two VPCs with subnets, security groups and
 * route tables, an internal NLB with a target group and listener, an endpoint service that
 * requires acceptance and allows the consumer, a connection notification, an interface endpoint
 * (accepted), a second one left pendingAcceptance, a gateway endpoint, and an instance.
 */
import assert from 'node:assert/strict';
import {
  AcceptVpcEndpointConnectionsCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateRouteTableCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateTagsCommand,
  CreateVpcCommand,
  CreateVpcEndpointCommand,
  CreateVpcEndpointConnectionNotificationCommand,
  CreateVpcEndpointServiceConfigurationCommand,
  ModifyVpcAttributeCommand,
  ModifyVpcEndpointServicePermissionsCommand,
  RunInstancesCommand,
  type EC2Client,
} from '@aws-sdk/client-ec2';
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateTargetGroupCommand,
  RegisterTargetsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { Privlink } from '../../src/emulator.js';
import { CONSUMER, PROVIDER, REGION, ec2Client, elbClient } from '../helpers/privlink.js';

export interface Net {
  vpcId: string;
  subnetIds: string[];
  sgId: string;
  routeTableId: string;
}

export interface World {
  provider: Net;
  consumer: Net;
  lbArn: string;
  tgArn: string;
  listenerArn: string;
  serviceId: string;
  serviceName: string;
  notificationId: string;
  /** Accepted interface endpoint (pending → available as time passes). */
  endpointId: string;
  /** Interface endpoint left in pendingAcceptance. */
  waitingEndpointId: string;
  gatewayEndpointId: string;
  instanceId: string;
}

export async function buildNet(ec2: EC2Client, cidrPrefix = '10.0'): Promise<Net> {
  const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: `${cidrPrefix}.0.0/16` }));
  const vpcId = vpc.Vpc?.VpcId ?? '';
  assert.ok(vpcId);
  await ec2.send(new ModifyVpcAttributeCommand({ VpcId: vpcId, EnableDnsHostnames: { Value: true } }));
  const subnetIds: string[] = [];
  for (const [i, zone] of ['a', 'b'].entries()) {
    const sn = await ec2.send(
      new CreateSubnetCommand({
        VpcId: vpcId,
        CidrBlock: `${cidrPrefix}.${i + 1}.0/24`,
        AvailabilityZone: `${REGION}${zone}`,
      }),
    );
    subnetIds.push(sn.Subnet?.SubnetId ?? '');
  }
  const sg = await ec2.send(
    new CreateSecurityGroupCommand({ GroupName: 'app', Description: 'app traffic', VpcId: vpcId }),
  );
  const sgId = sg.GroupId ?? '';
  await ec2.send(
    new AuthorizeSecurityGroupIngressCommand({
      GroupId: sgId,
      IpPermissions: [
        { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '10.0.0.0/8' }] },
      ],
    }),
  );
  const rt = await ec2.send(new CreateRouteTableCommand({ VpcId: vpcId }));
  const routeTableId = rt.RouteTable?.RouteTableId ?? '';
  await ec2.send(new CreateTagsCommand({ Resources: [vpcId, sgId], Tags: [{ Key: 'env', Value: 'test' }] }));
  return { vpcId, subnetIds, sgId, routeTableId };
}

/** Builds the world; `acceptance` leaves the accepted endpoint pending (advance time to finish). */
export async function buildWorld(p: Privlink): Promise<World> {
  const prov = ec2Client(p, { account: PROVIDER });
  const cons = ec2Client(p, { account: CONSUMER });
  const elb = elbClient(p, { account: PROVIDER });
  const provider = await buildNet(prov);
  const consumer = await buildNet(cons);

  const lb = await elb.send(
    new CreateLoadBalancerCommand({
      Name: 'svc-nlb',
      Type: 'network',
      Scheme: 'internal',
      Subnets: provider.subnetIds,
      Tags: [{ Key: 'team', Value: 'svc' }],
    }),
  );
  const lbArn = lb.LoadBalancers?.[0]?.LoadBalancerArn ?? '';
  const tg = await elb.send(
    new CreateTargetGroupCommand({
      Name: 'svc-tg',
      Protocol: 'TCP',
      Port: 8080,
      VpcId: provider.vpcId,
      TargetType: 'ip',
    }),
  );
  const tgArn = tg.TargetGroups?.[0]?.TargetGroupArn ?? '';
  await elb.send(
    new RegisterTargetsCommand({ TargetGroupArn: tgArn, Targets: [{ Id: '10.0.1.10', Port: 8080 }] }),
  );
  const listener = await elb.send(
    new CreateListenerCommand({
      LoadBalancerArn: lbArn,
      Protocol: 'TCP',
      Port: 443,
      DefaultActions: [{ Type: 'forward', TargetGroupArn: tgArn }],
    }),
  );
  const listenerArn = listener.Listeners?.[0]?.ListenerArn ?? '';

  const svc = await prov.send(
    new CreateVpcEndpointServiceConfigurationCommand({
      NetworkLoadBalancerArns: [lbArn],
      AcceptanceRequired: true,
      TagSpecifications: [{ ResourceType: 'vpc-endpoint-service', Tags: [{ Key: 'svc', Value: 'yes' }] }],
    }),
  );
  const serviceId = svc.ServiceConfiguration?.ServiceId ?? '';
  const serviceName = svc.ServiceConfiguration?.ServiceName ?? '';
  await prov.send(
    new ModifyVpcEndpointServicePermissionsCommand({
      ServiceId: serviceId,
      AddAllowedPrincipals: [`arn:aws:iam::${CONSUMER}:root`],
    }),
  );
  const nfn = await prov.send(
    new CreateVpcEndpointConnectionNotificationCommand({
      ServiceId: serviceId,
      ConnectionNotificationArn: `arn:aws:sns:${REGION}:${PROVIDER}:endpoint-events`,
      ConnectionEvents: ['Accept', 'Connect'],
    }),
  );
  const notificationId = nfn.ConnectionNotification?.ConnectionNotificationId ?? '';

  const ep = await cons.send(
    new CreateVpcEndpointCommand({
      VpcEndpointType: 'Interface',
      VpcId: consumer.vpcId,
      ServiceName: serviceName,
      SubnetIds: consumer.subnetIds,
      SecurityGroupIds: [consumer.sgId],
      TagSpecifications: [{ ResourceType: 'vpc-endpoint', Tags: [{ Key: 'Name', Value: 'to-svc' }] }],
    }),
  );
  const endpointId = ep.VpcEndpoint?.VpcEndpointId ?? '';
  const waiting = await cons.send(
    new CreateVpcEndpointCommand({
      VpcEndpointType: 'Interface',
      VpcId: consumer.vpcId,
      ServiceName: serviceName,
      SubnetIds: consumer.subnetIds.slice(0, 1),
    }),
  );
  const waitingEndpointId = waiting.VpcEndpoint?.VpcEndpointId ?? '';
  await prov.send(
    new AcceptVpcEndpointConnectionsCommand({ ServiceId: serviceId, VpcEndpointIds: [endpointId] }),
  );
  const gw = await cons.send(
    new CreateVpcEndpointCommand({
      VpcEndpointType: 'Gateway',
      VpcId: consumer.vpcId,
      ServiceName: `com.amazonaws.${REGION}.s3`,
      RouteTableIds: [consumer.routeTableId],
    }),
  );
  const gatewayEndpointId = gw.VpcEndpoint?.VpcEndpointId ?? '';
  const inst = await cons.send(
    new RunInstancesCommand({
      ImageId: 'ami-0123456789abcdef0',
      InstanceType: 't3.micro',
      MinCount: 1,
      MaxCount: 1,
      SubnetId: consumer.subnetIds[0],
    }),
  );
  const instanceId = inst.Instances?.[0]?.InstanceId ?? '';
  for (const id of [lbArn, tgArn, listenerArn, serviceId, endpointId, waitingEndpointId, instanceId]) {
    assert.ok(id, 'world building returned every id');
  }
  return {
    provider,
    consumer,
    lbArn,
    tgArn,
    listenerArn,
    serviceId,
    serviceName,
    notificationId,
    endpointId,
    waitingEndpointId,
    gatewayEndpointId,
    instanceId,
  };
}
