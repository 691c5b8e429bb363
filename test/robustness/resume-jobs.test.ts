/**
 * Background jobs resume after a restart: a private DNS name verification whose lookup was still
 * in flight and a connection notification whose SNS Publish was never answered both complete
 * when a new Privlink opens the same SQLite file (the workers scan the store at start).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateVpcEndpointConnectionNotificationCommand,
  DescribeVpcEndpointServiceConfigurationsCommand,
} from '@aws-sdk/client-ec2';
import { CONSUMER, PROVIDER, REGION, ec2Client, eventually, startPrivlink } from '../helpers/privlink.js';
import { startFakeSns } from '../helpers/fake-sns.js';
import { startAuthDns } from '../helpers/auth-dns.js';
import { createService, seedEndpoint, seedLoadBalancer } from '../api/privatelink-provider-fixtures.js';

type Hookable = { after(fn: () => unknown): void };

/** An HTTP server that takes requests and never answers them. */
async function silentHttp(t: Hookable): Promise<{ url: string; received: () => number }> {
  let n = 0;
  const server = http.createServer(() => n++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(
    () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  );
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, received: () => n };
}

/** A UDP socket on loopback that swallows DNS queries. */
async function silentDns(t: Hookable): Promise<{ address: string; received: () => number }> {
  let n = 0;
  const sock = dgram.createSocket('udp4');
  sock.on('message', () => n++);
  await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', resolve));
  t.after(() => sock.close());
  return { address: `127.0.0.1:${sock.address().port}`, received: () => n };
}

test('a pending DNS verification and an unanswered notification complete after a restart', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'privlink-resume-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const topic = `arn:aws:sns:${REGION}:${PROVIDER}:endpoint-events`;

  // First run: the SNS endpoint and the resolver take the requests and never answer.
  const deafSns = await silentHttp(t);
  const deafDns = await silentDns(t);
  const first = await startPrivlink(t, {
    ephemeral: false,
    dataDir: dir,
    snsEndpoint: deafSns.url,
    verificationResolver: deafDns.address,
  });
  const provider1 = ec2Client(first, { account: PROVIDER });
  const svc = await createService(provider1, seedLoadBalancer(first), { PrivateDnsName: 'api.example.com' });
  await provider1.send(
    new CreateVpcEndpointConnectionNotificationCommand({
      ServiceId: svc.id,
      ConnectionNotificationArn: topic,
      ConnectionEvents: ['Connect'],
    }),
  );
  const endpointId = seedEndpoint(first, { account: CONSUMER, serviceId: svc.id, serviceName: svc.name });
  await eventually(
    () => [deafSns.received(), deafDns.received()],
    ([sns, dns]) => (sns ?? 0) > 0 && (dns ?? 0) > 0,
  );
  const rec = svc.cfg.PrivateDnsNameConfiguration;
  assert.ok(rec?.Name && rec.Value);
  assert.equal(rec.State, 'pendingVerification');
  assert.deepEqual(
    first.store.listAll('notificationRecord').map((r) => r.delivery),
    ['pending'],
  );
  await first.close();

  // Second run on the same file: both are answered now.
  const sns = await startFakeSns(t);
  const dns = await startAuthDns(t, { records: { [`${rec.Name}.api.example.com`]: { TXT: [rec.Value] } } });
  const second = await startPrivlink(t, {
    ephemeral: false,
    dataDir: dir,
    snsEndpoint: sns.url,
    verificationResolver: dns.resolverAddress,
  });
  const provider2 = ec2Client(second, { account: PROVIDER });
  const state = await eventually(
    async () =>
      (await provider2.send(new DescribeVpcEndpointServiceConfigurationsCommand({ ServiceIds: [svc.id] })))
        .ServiceConfigurations?.[0]?.PrivateDnsNameConfiguration?.State,
    (s) => s === 'verified',
  );
  assert.equal(state, 'verified');
  const published = await eventually(
    () => sns.published(),
    (list) => list.length > 0,
  );
  assert.deepEqual(
    published.map((m) => [m.topicArn, m.message.connectionEvent, m.message.vpcEndpointId]),
    [[topic, 'Connect', endpointId]],
  );
  const records = await eventually(
    () => second.store.listAll('notificationRecord'),
    (list) => list.every((r) => r.delivery !== 'pending'),
  );
  assert.deepEqual(
    records.map((r) => r.delivery),
    ['delivered'],
  );
});
