/**
 * /metrics: scrape, drive API calls, traffic (through the data plane's traffic port), reconcile
 * passes and DNS queries, scrape again — every counter moved by exactly what was done, and the
 * text parses with a Prometheus text-format parser. Real measured traffic is checked in the
 * browser test's server (console-browser.test.ts); here the port is a stand-in so the amounts
 * are exact. Also: two servers never share series; with --credentials only an admin key scrapes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import dnsPacket from 'dns-packet';
import { CreateVpcCommand, DescribeVpcsCommand } from '@aws-sdk/client-ec2';
import type { EndpointTraffic, ReconcileStats } from '../../src/control/ports.js';
import { createComponents } from '../../src/components.js';
import {
  CONSUMER,
  PROVIDER,
  ec2Client,
  fakeDataplane,
  signedRaw,
  startPrivlink,
} from '../helpers/privlink.js';
import { raw, scrape, sample } from '../helpers/prometheus.js';
import { seedService } from '../api/privatelink-consumer-fixtures.js';
import { seedEndpoint } from '../api/privatelink-provider-fixtures.js';

async function dnsQuery(port: number, name: string): Promise<void> {
  const sock = createSocket('udp4');
  try {
    await new Promise<void>((resolve, reject) => {
      sock.once('message', () => resolve());
      sock.once('error', reject);
      setTimeout(() => reject(new Error('DNS timeout')), 2000).unref();
      sock.send(
        dnsPacket.encode({ type: 'query', id: 7, questions: [{ type: 'A', name }] }),
        port,
        '127.0.0.1',
      );
    });
  } finally {
    sock.close();
  }
}

test('/metrics counts API requests, traffic, reconcile passes and DNS answers exactly', async (t) => {
  const traffic = new Map<string, EndpointTraffic>();
  const passes = new Map<string, ReconcileStats>([
    ['endpoint-interfaces', { passes: 4, failures: 1, secondsTotal: 0.5 }],
  ]);
  const p = await startPrivlink(
    t,
    { dnsPort: 0 },
    {
      dataplane: fakeDataplane({
        traffic: { endpointTraffic: () => Promise.resolve(new Map(traffic)) },
        reconcile: { reconcileStats: () => passes },
      }),
      components: createComponents,
    },
  );
  const svc = seedService(p, { acceptanceRequired: false, allow: [`arn:aws:iam::${CONSUMER}:root`] });
  const ep = seedEndpoint(p, {
    account: CONSUMER,
    serviceId: svc.serviceId,
    serviceName: svc.serviceName,
    state: 'available',
  });
  traffic.set(ep, { activeConnections: 2, connectionsTotal: 10, bytesIn: 1000, bytesOut: 5000 });

  const before = await scrape(p.url);
  assert.equal(before.status, 200);
  assert.ok(before.families.length > 0, 'the scrape parses');
  assert.ok(
    before.families.some((f) => f.name === 'privlink_process_cpu_user_seconds_total'),
    'process metrics',
  );
  const ok = { service: 'ec2', action: 'CreateVpc', code: 'OK' };
  const notFound = { service: 'ec2', action: 'DescribeVpcs', code: 'InvalidVpcID.NotFound' };

  const ec2 = ec2Client(p, { account: PROVIDER });
  for (let i = 0; i < 3; i++) await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
  for (let i = 0; i < 2; i++) {
    await assert.rejects(ec2.send(new DescribeVpcsCommand({ VpcIds: ['vpc-0000000000000dead'] })));
  }
  // A made-up action is counted, but never becomes a label value of its own.
  const junk = await signedRaw(p, 'Action=MadeUpAction12345&Version=2016-11-15');
  assert.equal(junk.status, 400);
  traffic.set(ep, { activeConnections: 1, connectionsTotal: 13, bytesIn: 1600, bytesOut: 5000 });
  passes.set('endpoint-interfaces', { passes: 6, failures: 1, secondsTotal: 0.75 });
  const dnsPort = Number(
    (p.health()['components'] as Record<string, Record<string, unknown>>)['dns']?.['port'],
  );
  await dnsQuery(dnsPort, 'vpce-0123456789abcdef0-nothere.vpce-svc-x.us-east-1.vpce.amazonaws.com');

  const after = await scrape(p.url);
  const d = (name: string, labels: Record<string, string> = {}) =>
    sample(after.families, name, labels) - sample(before.families, name, labels);
  assert.equal(d('privlink_api_requests_total', ok), 3);
  assert.equal(d('privlink_api_requests_total', notFound), 2);
  assert.equal(
    d('privlink_api_requests_total', { service: 'ec2', action: 'unknown', code: 'InvalidAction' }),
    1,
  );
  assert.ok(!after.text.includes('MadeUpAction12345'));
  const latency = 'privlink_api_request_duration_seconds_count{service="ec2",action="CreateVpc"}';
  assert.equal(raw(after.text, latency) - raw(before.text, latency), 3);
  const labels = { endpoint: ep, account: CONSUMER, service: svc.serviceId };
  assert.equal(d('privlink_endpoint_connections_total', labels), 3);
  assert.equal(d('privlink_endpoint_received_bytes_total', labels), 600);
  assert.equal(d('privlink_endpoint_sent_bytes_total', labels), 0);
  assert.equal(sample(after.families, 'privlink_endpoint_active_connections', labels), 1);
  assert.equal(sample(after.families, 'privlink_endpoint_state', { ...labels, state: 'available' }), 1);
  assert.equal(d('privlink_reconcile_passes_total', { reconciler: 'endpoint-interfaces' }), 2);
  assert.equal(d('privlink_reconcile_failures_total', { reconciler: 'endpoint-interfaces' }), 0);
  assert.equal(d('privlink_dns_queries_total', { answer: 'nxdomain' }), 1);
  // Every metric of ours follows the naming conventions.
  for (const f of after.families.filter((x) => x.name.startsWith('privlink_'))) {
    if (f.type === 'COUNTER') assert.match(f.name, /_total$/, f.name);
  }

  // A second server has its own registry: none of the first one's requests show there.
  const q = await startPrivlink(t);
  const other = await scrape(q.url);
  assert.equal(sample(other.families, 'privlink_api_requests_total', ok), 0);
});

test('/metrics with --credentials: refused unsigned and to a non-admin key, served to an admin key', async (t) => {
  const admin = { accessKeyId: 'AKIAADMIN00000000001', secretAccessKey: 'admin-secret' };
  const user = { accessKeyId: 'AKIAUSER000000000001', secretAccessKey: 'user-secret' };
  const p = await startPrivlink(t, {
    credentials: {
      [admin.accessKeyId]: { secretAccessKey: admin.secretAccessKey, accountId: PROVIDER, admin: true },
      [user.accessKeyId]: { secretAccessKey: user.secretAccessKey, accountId: CONSUMER },
    },
  });
  assert.equal((await scrape(p.url)).status, 403);
  assert.equal((await scrape(p.url, user)).status, 403);
  const ok = await scrape(p.url, admin);
  assert.equal(ok.status, 200);
  assert.ok(ok.families.some((f) => f.name === 'privlink_api_requests_total'));
});
