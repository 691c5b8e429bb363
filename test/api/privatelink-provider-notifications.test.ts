import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AcceptVpcEndpointConnectionsCommand,
  CreateVpcEndpointConnectionNotificationCommand,
  DeleteVpcEndpointConnectionNotificationsCommand,
  DeleteVpcEndpointServiceConfigurationsCommand,
  DescribeVpcEndpointConnectionNotificationsCommand,
  ModifyVpcEndpointConnectionNotificationCommand,
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
import {
  createService,
  removeEndpoint,
  seedEndpoint,
  seedLoadBalancer,
  setEndpointState,
} from './privatelink-provider-fixtures.js';

const TOPIC = `arn:aws:sns:${REGION}:${PROVIDER}:endpoint-events`;

test('connection notifications: create, describe with filters, modify, delete in batch', async (t) => {
  const p = await startPrivlink(t);
  const provider = ec2Client(p, { account: PROVIDER });
  const consumer = ec2Client(p, { account: CONSUMER });
  const svc = await createService(provider, seedLoadBalancer(p));
  const create = (input: Record<string, unknown>) =>
    provider.send(
      new CreateVpcEndpointConnectionNotificationCommand({
        ConnectionNotificationArn: TOPIC,
        ConnectionEvents: ['Connect'],
        ...input,
      }),
    );

  const out = await create({
    ServiceId: svc.id,
    ConnectionEvents: ['Accept', 'Connect'],
    ClientToken: 'n-1',
  });
  const n = out.ConnectionNotification;
  assert.match(n?.ConnectionNotificationId ?? '', /^vpce-nfn-[0-9a-f]{17}$/);
  assert.equal(n?.ServiceId, svc.id);
  assert.equal(n?.ConnectionNotificationType, 'Topic');
  assert.equal(n?.ConnectionNotificationState, 'Enabled');
  assert.equal(n?.ConnectionNotificationArn, TOPIC);
  assert.deepEqual(n?.ConnectionEvents, ['Accept', 'Connect']);
  assert.equal(n?.ServiceRegion, REGION);
  assert.equal(out.ClientToken, 'n-1');
  const same = await create({
    ServiceId: svc.id,
    ConnectionEvents: ['Accept', 'Connect'],
    ClientToken: 'n-1',
  });
  assert.equal(same.ConnectionNotification?.ConnectionNotificationId, n?.ConnectionNotificationId);
  await expectAwsError(create({ ServiceId: svc.id, ClientToken: 'n-1' }), 'IdempotentParameterMismatch', 400);

  await expectAwsError(
    create({ ServiceId: svc.id, ConnectionNotificationArn: 'arn:aws:sqs:us-east-1:111111111111:q' }),
    'InvalidParameter',
    400,
  );
  await expectAwsError(
    create({ ServiceId: svc.id, ConnectionNotificationArn: 'topic' }),
    'InvalidParameter',
    400,
  );
  await expectAwsError(create({ ServiceId: svc.id, ConnectionEvents: ['Explode'] }), 'InvalidParameter', 400);
  await expectAwsError(create({}), 'InvalidParameter', 400);
  const ep = seedEndpoint(p, { account: CONSUMER, serviceId: svc.id, serviceName: svc.name });
  await expectAwsError(create({ ServiceId: svc.id, VpcEndpointId: ep }), 'InvalidParameter', 400);
  await expectAwsError(
    create({ ServiceId: 'vpce-svc-00000000000000abc' }),
    'InvalidVpcEndpointServiceId.NotFound',
    400,
  );
  // The provider does not own the consumer's endpoint; the consumer does.
  await expectAwsError(create({ VpcEndpointId: ep }), 'InvalidVpcEndpointId.NotFound', 400);
  const mine = await consumer.send(
    new CreateVpcEndpointConnectionNotificationCommand({
      VpcEndpointId: ep,
      ConnectionNotificationArn: `arn:aws:sns:${REGION}:${CONSUMER}:mine`,
      ConnectionEvents: ['Accept', 'Reject'],
    }),
  );
  assert.equal(mine.ConnectionNotification?.VpcEndpointId, ep);

  const second = await create({ ServiceId: svc.id, ConnectionEvents: ['Delete'] });
  const id1 = n?.ConnectionNotificationId ?? '';
  const id2 = second.ConnectionNotification?.ConnectionNotificationId ?? '';
  const describe = async (input: Record<string, unknown> = {}) =>
    (
      await provider.send(new DescribeVpcEndpointConnectionNotificationsCommand(input))
    ).ConnectionNotificationSet?.map((x) => x.ConnectionNotificationId);
  assert.deepEqual(await describe(), [id1, id2]);
  assert.deepEqual(await describe({ ConnectionNotificationId: id2 }), [id2]);
  assert.deepEqual(await describe({ Filters: [{ Name: 'connection-notification-id', Values: [id1] }] }), [
    id1,
  ]);
  assert.deepEqual(await describe({ Filters: [{ Name: 'service-id', Values: [svc.id] }] }), [id1, id2]);
  assert.deepEqual(await describe({ Filters: [{ Name: 'connection-notification-arn', Values: [TOPIC] }] }), [
    id1,
    id2,
  ]);
  assert.deepEqual(
    await describe({ Filters: [{ Name: 'connection-notification-state', Values: ['Enabled'] }] }),
    [id1, id2],
  );
  assert.deepEqual(
    await describe({ Filters: [{ Name: 'connection-notification-type', Values: ['Topic'] }] }),
    [id1, id2],
  );
  assert.deepEqual(await describe({ Filters: [{ Name: 'vpc-endpoint-id', Values: [ep] }] }), []);
  await expectAwsError(
    provider.send(
      new DescribeVpcEndpointConnectionNotificationsCommand({
        ConnectionNotificationId: 'vpce-nfn-00000000000000abc',
      }),
    ),
    'InvalidConnectionNotification',
    400,
  );

  const other = `arn:aws:sns:${REGION}:${PROVIDER}:other`;
  const mod = await provider.send(
    new ModifyVpcEndpointConnectionNotificationCommand({
      ConnectionNotificationId: id1,
      ConnectionNotificationArn: other,
      ConnectionEvents: ['Reject'],
    }),
  );
  assert.equal(mod.ReturnValue, true);
  const changed = await provider.send(
    new DescribeVpcEndpointConnectionNotificationsCommand({ ConnectionNotificationId: id1 }),
  );
  assert.equal(changed.ConnectionNotificationSet?.[0]?.ConnectionNotificationArn, other);
  assert.deepEqual(changed.ConnectionNotificationSet?.[0]?.ConnectionEvents, ['Reject']);
  await expectAwsError(
    provider.send(
      new ModifyVpcEndpointConnectionNotificationCommand({
        ConnectionNotificationId: id1,
        ConnectionNotificationArn: 'x',
      }),
    ),
    'InvalidParameter',
    400,
  );
  await expectAwsError(
    provider.send(
      new ModifyVpcEndpointConnectionNotificationCommand({
        ConnectionNotificationId: 'vpce-nfn-00000000000000abc',
      }),
    ),
    'InvalidConnectionNotification',
    400,
  );

  const del = await provider.send(
    new DeleteVpcEndpointConnectionNotificationsCommand({
      ConnectionNotificationIds: [id1, 'vpce-nfn-00000000000000abc'],
    }),
  );
  assert.deepEqual(
    del.Unsuccessful?.map((u) => [u.ResourceId, u.Error?.Code]),
    [['vpce-nfn-00000000000000abc', 'InvalidConnectionNotification']],
  );
  assert.deepEqual(await describe(), [id2]);

  // Deleting the service removes its notifications.
  await provider.send(new RejectVpcEndpointConnectionsCommand({ ServiceId: svc.id, VpcEndpointIds: [ep] }));
  await provider.send(new DeleteVpcEndpointServiceConfigurationsCommand({ ServiceIds: [svc.id] }));
  assert.deepEqual(await describe(), []);
});

test('notifier: Connect, Accept, Reject and Delete events are recorded and published to SNS', async (t) => {
  const sns = await startFakeSns(t);
  const p = await startPrivlink(t, { snsEndpoint: sns.url });
  const provider = ec2Client(p, { account: PROVIDER });
  const consumer = ec2Client(p, { account: CONSUMER });
  const svc = await createService(provider, seedLoadBalancer(p));
  const all = await provider.send(
    new CreateVpcEndpointConnectionNotificationCommand({
      ServiceId: svc.id,
      ConnectionNotificationArn: TOPIC,
      ConnectionEvents: ['Connect', 'Accept', 'Reject', 'Delete'],
    }),
  );
  const nid = all.ConnectionNotification?.ConnectionNotificationId;

  const a = seedEndpoint(p, { account: CONSUMER, serviceId: svc.id, serviceName: svc.name });
  const consumerTopic = `arn:aws:sns:${REGION}:${CONSUMER}:mine`;
  await consumer.send(
    new CreateVpcEndpointConnectionNotificationCommand({
      VpcEndpointId: a,
      ConnectionNotificationArn: consumerTopic,
      ConnectionEvents: ['Accept'],
    }),
  );
  await provider.send(new AcceptVpcEndpointConnectionsCommand({ ServiceId: svc.id, VpcEndpointIds: [a] }));
  setEndpointState(p, a, 'available');
  await provider.send(new RejectVpcEndpointConnectionsCommand({ ServiceId: svc.id, VpcEndpointIds: [a] }));
  setEndpointState(p, a, 'deleting');
  removeEndpoint(p, a);

  const published = await eventually(
    () => sns.published(),
    (list) => list.length === 5,
  );
  assert.deepEqual(
    published.map((m) => [m.topicArn, m.message.connectionEvent]),
    [
      [TOPIC, 'Connect'],
      [TOPIC, 'Accept'],
      [consumerTopic, 'Accept'],
      [TOPIC, 'Reject'],
      [TOPIC, 'Delete'],
    ],
  );
  const first = published[0]?.message;
  assert.equal(first?.version, '1.0');
  assert.equal(first?.connectionNotificationId, nid);
  assert.equal(first?.serviceId, svc.id);
  assert.equal(first?.vpcEndpointId, a);
  assert.equal(first?.vpcEndpointOwner, CONSUMER);
  assert.equal(first?.vpcEndpointState, 'pendingAcceptance');
  assert.equal(first?.account, PROVIDER);
  assert.equal(sns.requests[0]?.params.Version, '2010-03-31');

  const records = await eventually(
    () => p.store.listAll('notificationRecord'),
    (rs) => rs.length === 5 && rs.every((r) => r.delivery === 'delivered'),
  );
  assert.deepEqual(
    records.map((r) => r.event),
    ['Connect', 'Accept', 'Accept', 'Reject', 'Delete'],
  );

  // A failing SNS endpoint is recorded as a failed delivery.
  sns.failWith(500);
  seedEndpoint(p, { account: CONSUMER, serviceId: svc.id, serviceName: svc.name });
  await eventually(
    () => p.store.listAll('notificationRecord'),
    (rs) => rs.length === 6 && rs[5]?.delivery === 'failed',
  );
});

test('notifier: without an SNS endpoint events are recorded as not-configured; DryRun emits nothing', async (t) => {
  const p = await startPrivlink(t);
  const provider = ec2Client(p, { account: PROVIDER });
  const svc = await createService(provider, seedLoadBalancer(p));
  await provider.send(
    new CreateVpcEndpointConnectionNotificationCommand({
      ServiceId: svc.id,
      ConnectionNotificationArn: TOPIC,
      ConnectionEvents: ['Accept'],
    }),
  );
  const a = seedEndpoint(p, { account: CONSUMER, serviceId: svc.id, serviceName: svc.name });
  await expectAwsError(
    provider.send(
      new AcceptVpcEndpointConnectionsCommand({ ServiceId: svc.id, VpcEndpointIds: [a], DryRun: true }),
    ),
    'DryRunOperation',
    412,
  );
  await provider.send(new AcceptVpcEndpointConnectionsCommand({ ServiceId: svc.id, VpcEndpointIds: [a] }));
  const records = await eventually(
    () => p.store.listAll('notificationRecord'),
    (rs) => rs.length >= 1,
  );
  assert.equal(records.length, 1, 'Connect is not subscribed and the dry run changed nothing');
  assert.equal(records[0]?.event, 'Accept');
  assert.equal(records[0]?.delivery, 'not-configured');
});
