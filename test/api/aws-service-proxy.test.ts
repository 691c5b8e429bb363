/**
 * S3/DynamoDB requests that arrive through an endpoint: when the backend is missing or cannot be
 * reached, a clear 503 ServiceUnavailable, quickly, never a hang; with --credentials, a request is
 * authenticated before the endpoint policy judges it (the principal comes from a verified
 * signature, never from an access key ID alone), signed here with the AWS SDK's own SigV4 signer
 * under each service's rules (S3: path escaped once, UNSIGNED-PAYLOAD) against real backends
 * (s3rver, dynalite). Connections are handed to the API server as the endpoint listener does
 * (with an origin), minus TLS.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { CreateSubnetCommand, CreateVpcCommand, CreateVpcEndpointCommand } from '@aws-sdk/client-ec2';
import { ApiServer } from '../../src/api/server.js';
import { createAwsBackends } from '../../src/adapters/aws-backends.js';
import { createLogger } from '../../src/shared/logger.js';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import type { CredentialEntry } from '../../src/config/options.js';
import { CONSUMER, REGION, ec2Client, startPrivlink } from '../helpers/privlink.js';
import { startAwsBackends } from '../helpers/aws-backends.js';

const CREDS: Record<string, CredentialEntry> = {
  AKIACONSUMERROOT0001: { secretAccessKey: 'cons-secret', accountId: CONSUMER },
};

async function endpointServer(
  t: { after(fn: () => unknown): void },
  awsServices: Record<string, string>,
  credentials?: Record<string, CredentialEntry>,
): Promise<{ port: number; vpceId: string }> {
  const p = await startPrivlink(t, credentials ? { credentials } : {});
  const ec2 = credentials
    ? ec2Client(p, { accessKeyId: 'AKIACONSUMERROOT0001', secretAccessKey: 'cons-secret' })
    : ec2Client(p, { account: CONSUMER });
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
    pipeline: {
      control: p.control,
      logger: createLogger('error'),
      defaultRegion: REGION,
      ...(credentials && { credentials }),
    },
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

function get(
  port: number,
  host: string,
  path = '/bucket/key',
): Promise<{ status: number; body: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () =>
      s.write(`GET ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`),
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

test('through an endpoint, the admin endpoints, /metrics and the console are out of reach', async (t) => {
  const { port } = await endpointServer(t, {});
  for (const path of ['/_privlink/status', '/metrics', '/console/', '/_privlink/images']) {
    const r = await get(port, '127.0.0.1', path);
    assert.notEqual(r.status, 200, `${path} answered through an endpoint: ${r.body.slice(0, 200)}`);
    assert.doesNotMatch(r.body, /privlink_api_requests_total|"accounts"|<html/i, path);
  }
});

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

const S3_HOST = `s3.${REGION}.amazonaws.com`;
const DDB_HOST = `dynamodb.${REGION}.amazonaws.com`;

interface Req {
  method: string;
  host: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

async function sign(r: Req, service: string, secret: string, accessKeyId = 'AKIACONSUMERROOT0001') {
  const signer = new SignatureV4({
    credentials: { accessKeyId, secretAccessKey: secret },
    region: REGION,
    service,
    sha256: Sha256,
    uriEscapePath: service !== 's3',
  });
  const signed = await signer.sign({
    method: r.method,
    protocol: 'https:',
    hostname: r.host,
    path: r.path,
    query: {},
    headers: { host: r.host, ...r.headers },
    ...(r.body !== undefined && { body: r.body }),
  });
  return signed.headers as Record<string, string>;
}

function send(port: number, r: Req, headers: Record<string, string>, body = r.body ?? '') {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => {
      const lines = Object.entries({ ...headers, 'content-length': String(Buffer.byteLength(body)) })
        .filter(([k]) => k.toLowerCase() !== 'content-length' || body.length > 0 || r.method !== 'GET')
        .map(([k, v]) => `${k}: ${v}`);
      s.write(`${r.method} ${r.path} HTTP/1.1\r\n${lines.join('\r\n')}\r\nconnection: close\r\n\r\n${body}`);
    });
    let data = '';
    s.on('data', (d: Buffer) => (data += d.toString()));
    s.on('end', () =>
      resolve({
        status: Number(/^HTTP\/1\.1 (\d+)/.exec(data)?.[1] ?? 0),
        body: data.slice(data.indexOf('\r\n\r\n') + 4),
      }),
    );
    s.on('error', reject);
  });
}

test('strict mode: S3 through an endpoint needs a valid signature (S3 signing rules)', async (t) => {
  const { port } = await endpointServer(t, await startAwsBackends(t, ['bucket']), CREDS);
  const put: Req = {
    method: 'PUT',
    host: S3_HOST,
    path: '/bucket/a%20key.txt',
    headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD', 'content-type': 'text/plain' },
    body: 'hello',
  };
  const ok = await send(port, put, await sign(put, 's3', 'cons-secret'));
  assert.equal(ok.status, 200, ok.body);
  const get: Req = {
    method: 'GET',
    host: S3_HOST,
    path: '/bucket/a%20key.txt',
    headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
  };
  const read = await send(port, get, await sign(get, 's3', 'cons-secret'));
  assert.equal(read.status, 200, read.body);
  assert.equal(read.body, 'hello');

  const forged = await send(port, get, await sign(get, 's3', 'wrong-secret'));
  assert.equal(forged.status, 403);
  assert.match(forged.body, /<Code>SignatureDoesNotMatch<\/Code>/);
  const unknown = await send(port, get, await sign(get, 's3', 'x', 'AKIAUNKNOWNKEY000001'));
  assert.equal(unknown.status, 403);
  assert.match(unknown.body, /<Code>InvalidAccessKeyId<\/Code>/);
  const unsigned = await send(port, get, { host: S3_HOST });
  assert.equal(unsigned.status, 400);
  assert.match(unsigned.body, /<Code>MissingAuthenticationToken<\/Code>/);
});

test('strict mode: DynamoDB through an endpoint checks the signature and the body it covers', async (t) => {
  const { port } = await endpointServer(t, await startAwsBackends(t, ['bucket']), CREDS);
  const list: Req = {
    method: 'POST',
    host: DDB_HOST,
    path: '/',
    headers: {
      'content-type': 'application/x-amz-json-1.0',
      'x-amz-target': 'DynamoDB_20120810.ListTables',
    },
    body: '{}',
  };
  const headers = await sign(list, 'dynamodb', 'cons-secret');
  const ok = await send(port, list, headers);
  assert.equal(ok.status, 200, ok.body);
  assert.match(ok.body, /"TableNames"/);
  // The same signature over another body: refused.
  const swapped = await send(port, list, headers, '{"Limit":1}');
  assert.equal(swapped.status, 403);
  assert.match(swapped.body, /InvalidSignatureException/);
  const forged = await send(port, list, await sign(list, 'dynamodb', 'wrong-secret'));
  assert.equal(forged.status, 403);
  assert.match(forged.body, /InvalidSignatureException/);
});
