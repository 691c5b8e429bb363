/**
 * S3/DynamoDB requests that arrive through an endpoint when the backend is missing or cannot be
 * reached: a clear 503 ServiceUnavailable, quickly, never a hang. Connections are handed to the
 * API server as the endpoint listener does (with an origin), minus TLS.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { CreateSubnetCommand, CreateVpcCommand, CreateVpcEndpointCommand } from '@aws-sdk/client-ec2';
import { ApiServer } from '../../src/api/server.js';
import { createAwsBackends } from '../../src/adapters/aws-backends.js';
import { createLogger } from '../../src/shared/logger.js';
import { CONSUMER, REGION, ec2Client, startPrivlink } from '../helpers/privlink.js';

async function endpointServer(
  t: { after(fn: () => unknown): void },
  awsServices: Record<string, string>,
): Promise<{ port: number; vpceId: string }> {
  const p = await startPrivlink(t, {});
  const ec2 = ec2Client(p, { account: CONSUMER });
  const vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }))).Vpc?.VpcId ?? '';
  const subnetId =
    (await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.0.1.0/24' }))).Subnet?.SubnetId ??
    '';
  const vpceId =
    (
      await ec2.send(
        new CreateVpcEndpointCommand({
          VpcId: vpcId,
          ServiceName: `com.amazonaws.${REGION}.s3`,
          VpcEndpointType: 'Interface',
          SubnetIds: [subnetId],
        }),
      )
    ).VpcEndpoint?.VpcEndpointId ?? '';
  const api = new ApiServer({
    host: '127.0.0.1',
    port: 0,
    maxBodyBytes: 1024 * 1024,
    ids: p.ids,
    logger: createLogger('error'),
    pipeline: { control: p.control, logger: createLogger('error'), defaultRegion: REGION },
    admin: { health: () => ({}), status: () => ({}), reset: async () => undefined },
    awsBackends: createAwsBackends(awsServices),
  });
  await api.listen();
  const front = net.createServer((s) => api.acceptConnection(s, { vpceId, sourceIp: '10.0.1.5' }));
  await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', () => resolve()));
  t.after(async () => {
    front.close();
    await api.close();
  });
  return { port: (front.address() as net.AddressInfo).port, vpceId };
}

function get(port: number, host: string): Promise<{ status: number; body: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () =>
      s.write(`GET /bucket/key HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`),
    );
    let data = '';
    s.on('data', (d: Buffer) => (data += d.toString()));
    s.on('end', () => {
      const status = Number(/^HTTP\/1\.1 (\d+)/.exec(data)?.[1] ?? 0);
      resolve({ status, body: data.slice(data.indexOf('\r\n\r\n') + 4), ms: Date.now() - started });
    });
    s.on('error', reject);
  });
}

test('a service without a backend answers 503 naming the missing --aws-service flag', async (t) => {
  const { port } = await endpointServer(t, {});
  const r = await get(port, `s3.${REGION}.amazonaws.com`);
  assert.equal(r.status, 503);
  assert.match(r.body, /<Code>ServiceUnavailable<\/Code>/);
  assert.match(r.body, /--aws-service s3=URL/);
});

test('an unreachable backend answers 503 ServiceUnavailable quickly', async (t) => {
  // A port nothing listens on: refused at once. A black-holed address would hit the 2 s connect timeout.
  const closed = net.createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', () => resolve()));
  const deadPort = (closed.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  const { port } = await endpointServer(t, { s3: `http://127.0.0.1:${deadPort}` });
  const r = await get(port, `s3.${REGION}.amazonaws.com`);
  assert.equal(r.status, 503);
  assert.match(r.body, /ServiceUnavailable/);
  assert.ok(r.ms < 3000, `took ${r.ms} ms`);
});
