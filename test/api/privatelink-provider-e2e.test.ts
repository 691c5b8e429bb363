import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AcceptVpcEndpointConnectionsCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  CreateVpcEndpointCommand,
  CreateVpcEndpointConnectionNotificationCommand,
  CreateVpcEndpointServiceConfigurationCommand,
  DeleteVpcEndpointServiceConfigurationsCommand,
  DeleteVpcEndpointsCommand,
  DescribeVpcEndpointConnectionsCommand,
  DescribeVpcEndpointsCommand,
  ModifyVpcEndpointServicePermissionsCommand,
  RejectVpcEndpointConnectionsCommand,
} from '@aws-sdk/client-ec2';
import {
  CONSUMER,
  PROVIDER,
  REGION,
  ec2Client,
  eventually,
  expectAwsError,
  startPrivlink,
} from '../helpers/privlink.js';
import { startFakeSns } from '../helpers/fake-sns.js';
import { seedLoadBalancer } from './privatelink-provider-fixtures.js';

test('two accounts: permit, connect, accept, reject, delete — both views agree and SNS hears it', async (t) => {
  const sns = await startFakeSns(t);
  const p = await startPrivlink(t, { snsEndpoint: sns.url });
  const provider = ec2Client(p, { account: PROVIDER });
  const consumer = ec2Client(p, { account: CONSUMER });

  const created = await provider.send(
    new CreateVpcEndpointServiceConfigurationCommand({
      NetworkLoadBalancerArns: [seedLoadBalancer(p, { zones: 3 })],
    }),
  );
  const svcId = created.ServiceConfiguration?.ServiceId ?? '';
  const svcName = created.ServiceConfiguration?.ServiceName ?? '';
  const topic = `arn:aws:sns:${REGION}:${PROVIDER}:events`;
  await provider.send(
    new CreateVpcEndpointConnectionNotificationCommand({
      ServiceId: svcId,
      ConnectionNotificationArn: topic,
      ConnectionEvents: ['Connect', 'Accept', 'Reject', 'Delete'],
    }),
  );

  const vpc = await consumer.send(new CreateVpcCommand({ CidrBlock: '10.20.0.0/16' }));
  const vpcId = vpc.Vpc?.VpcId ?? '';
  const subnet = await consumer.send(
    new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.20.1.0/24', AvailabilityZone: `${REGION}a` }),
  );
  const subnetId = subnet.Subnet?.SubnetId ?? '';
  const endpointInput = {
    VpcEndpointType: 'Interface' as const,
    VpcId: vpcId,
    ServiceName: svcName,
    SubnetIds: [subnetId],
  };
  await expectAwsError(consumer.send(new CreateVpcEndpointCommand(endpointInput)), 'InvalidServiceName', 400);

  await provider.send(
    new ModifyVpcEndpointServicePermissionsCommand({
      ServiceId: svcId,
      AddAllowedPrincipals: [`arn:aws:iam::${CONSUMER}:root`],
    }),
  );
  const ep = await consumer.send(new CreateVpcEndpointCommand(endpointInput));
  const epId = ep.VpcEndpoint?.VpcEndpointId ?? '';
  assert.equal(ep.VpcEndpoint?.State, 'pendingAcceptance');

  const conns = await provider.send(
    new DescribeVpcEndpointConnectionsCommand({ Filters: [{ Name: 'service-id', Values: [svcId] }] }),
  );
  const conn = conns.VpcEndpointConnections?.[0];
  assert.equal(conn?.VpcEndpointId, epId);
  assert.equal(conn?.VpcEndpointOwner, CONSUMER);
  assert.equal(conn?.VpcEndpointState, 'pendingAcceptance');
  assert.deepEqual(
    conn?.DnsEntries,
    ep.VpcEndpoint?.DnsEntries,
    'provider and consumer see the same DNS names',
  );

  const blocked = await provider.send(
    new DeleteVpcEndpointServiceConfigurationsCommand({ ServiceIds: [svcId] }),
  );
  assert.equal(blocked.Unsuccessful?.[0]?.Error?.Code, 'ExistingVpcEndpointConnections');

  const acc = await provider.send(
    new AcceptVpcEndpointConnectionsCommand({ ServiceId: svcId, VpcEndpointIds: [epId] }),
  );
  assert.deepEqual(acc.Unsuccessful, []);
  const consumerState = async () =>
    (await consumer.send(new DescribeVpcEndpointsCommand({ VpcEndpointIds: [epId] }))).VpcEndpoints?.[0]
      ?.State;
  // The SDK types State as PascalCase; AWS (and privlink) send lowerCamel (reference §3.5).
  await eventually(consumerState, (s) => String(s) === 'available');

  await provider.send(new RejectVpcEndpointConnectionsCommand({ ServiceId: svcId, VpcEndpointIds: [epId] }));
  assert.equal(await consumerState(), 'rejected');

  await consumer.send(new DeleteVpcEndpointsCommand({ VpcEndpointIds: [epId] }));
  const ok = await provider.send(new DeleteVpcEndpointServiceConfigurationsCommand({ ServiceIds: [svcId] }));
  assert.deepEqual(ok.Unsuccessful, []);

  const events = await eventually(
    () => sns.published().map((m) => m.message.connectionEvent),
    (list) => list.length >= 4,
  );
  assert.deepEqual(events, ['Connect', 'Accept', 'Reject', 'Delete']);
});
