/**
 * A connection request left in pendingAcceptance expires after --pending-acceptance-ttl
 * (default 7 days), on the injected clock: real SDK clients, a ManualClock, a fake SNS.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AcceptVpcEndpointConnectionsCommand,
  CreateVpcEndpointCommand,
  CreateVpcEndpointConnectionNotificationCommand,
  DescribeVpcEndpointConnectionsCommand,
  DescribeVpcEndpointsCommand,
  RejectVpcEndpointConnectionsCommand,
  type EC2Client,
} from '@aws-sdk/client-ec2';
import { ManualClock } from '../../src/shared/clock.js';
import { parseServeArgs } from '../../src/cli/serve.js';
import { CONSUMER, PROVIDER, REGION, ec2Client, eventually, startPrivlink } from '../helpers/privlink.js';
import { startFakeSns } from '../helpers/fake-sns.js';
import { rootArn, seedService, seedVpc } from './privatelink-consumer-fixtures.js';

const DAY = 86_400_000;

async function request(consumer: EC2Client, vpcId: string, subnetId: string, serviceName: string) {
  const out = await consumer.send(
    new CreateVpcEndpointCommand({
      VpcEndpointType: 'Interface',
      VpcId: vpcId,
      ServiceName: serviceName,
      SubnetIds: [subnetId],
    }),
  );
  assert.equal(out.VpcEndpoint?.State, 'pendingAcceptance');
  return out.VpcEndpoint?.VpcEndpointId ?? '';
}

test('pendingAcceptance expires after 7 days by default: consumer and provider see expired, Reject is notified, accept/reject refused', async (t) => {
  const sns = await startFakeSns(t);
  const clock = new ManualClock();
  const p = await startPrivlink(t, { snsEndpoint: sns.url }, { clock });
  const provider = ec2Client(p, { account: PROVIDER });
  const consumer = ec2Client(p, { account: CONSUMER });
  const net = seedVpc(p, { account: CONSUMER });
  const svc = seedService(p, { acceptanceRequired: true, allow: [rootArn(CONSUMER)] });
  const topic = `arn:aws:sns:${REGION}:${PROVIDER}:endpoint-events`;
  await provider.send(
    new CreateVpcEndpointConnectionNotificationCommand({
      ServiceId: svc.serviceId,
      ConnectionNotificationArn: topic,
      ConnectionEvents: ['Reject'],
    }),
  );
  const subnet = net.subnetIds[0] ?? '';
  const waiting = await request(consumer, net.vpcId, subnet, svc.serviceName);
  clock.advance(DAY);
  const accepted = await request(consumer, net.vpcId, subnet, svc.serviceName);
  await provider.send(
    new AcceptVpcEndpointConnectionsCommand({ ServiceId: svc.serviceId, VpcEndpointIds: [accepted] }),
  );

  const consumerState = async (id: string) =>
    (await consumer.send(new DescribeVpcEndpointsCommand({ VpcEndpointIds: [id] }))).VpcEndpoints?.[0]?.State;
  const providerState = async (id: string) =>
    (
      await provider.send(
        new DescribeVpcEndpointConnectionsCommand({ Filters: [{ Name: 'vpc-endpoint-id', Values: [id] }] }),
      )
    ).VpcEndpointConnections?.[0]?.VpcEndpointState;

  clock.advance(6 * DAY - 1);
  assert.equal(await consumerState(waiting), 'pendingAcceptance');
  clock.advance(1);
  assert.equal(await consumerState(waiting), 'expired');
  assert.equal(await providerState(waiting), 'expired');
  // An accepted request is never expired.
  clock.advance(30 * DAY);
  assert.equal(await consumerState(accepted), 'available');

  const published = await eventually(
    () => sns.published(),
    (list) => list.length === 1,
  );
  assert.equal(published[0]?.topicArn, topic);
  assert.equal(published[0]?.message.connectionEvent, 'Reject');
  assert.equal(published[0]?.message.vpcEndpointId, waiting);
  assert.equal(published[0]?.message.vpcEndpointState, 'expired');

  // Accept/Reject afterwards: per-item InvalidState, as for any connection not pending.
  for (const Cmd of [AcceptVpcEndpointConnectionsCommand, RejectVpcEndpointConnectionsCommand]) {
    const out = await provider.send(new Cmd({ ServiceId: svc.serviceId, VpcEndpointIds: [waiting] }));
    assert.equal(out.Unsuccessful?.length, 1);
    assert.equal(out.Unsuccessful?.[0]?.Error?.Code, 'InvalidState');
    assert.equal(out.Unsuccessful?.[0]?.ResourceId, waiting);
  }
  assert.equal(await consumerState(waiting), 'expired');
});

test('--pending-acceptance-ttl sets the period; durations are checked', async (t) => {
  assert.equal(parseServeArgs(['--pending-acceptance-ttl', '90m']).pendingAcceptanceTtlMs, 90 * 60_000);
  assert.equal(parseServeArgs([]).pendingAcceptanceTtlMs, undefined);
  for (const bad of ['7', 'seven days', '0s', '-1d', '1w']) {
    assert.throws(() => parseServeArgs(['--pending-acceptance-ttl', bad]), /pending-acceptance-ttl/);
  }
  const clock = new ManualClock();
  const p = await startPrivlink(t, { pendingAcceptanceTtlMs: 90 * 60_000 }, { clock });
  const consumer = ec2Client(p, { account: CONSUMER });
  const net = seedVpc(p, { account: CONSUMER });
  const svc = seedService(p, { acceptanceRequired: true, allow: [rootArn(CONSUMER)] });
  const id = await request(consumer, net.vpcId, net.subnetIds[0] ?? '', svc.serviceName);
  clock.advance(90 * 60_000 - 1);
  assert.equal(p.store.find('vpcEndpoint', id)?.state, 'pendingAcceptance');
  clock.advance(1);
  assert.equal(p.store.find('vpcEndpoint', id)?.state, 'expired');
});
