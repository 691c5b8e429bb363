/**
 * With --credentials, S3 and DynamoDB requests that arrive through an endpoint are authenticated
 * before the endpoint policy judges them: the principal comes from a verified signature, never
 * from an access key ID alone. Requests are signed with the AWS SDK's own SigV4 signer under each
 * service's rules (S3: path escaped once, UNSIGNED-PAYLOAD) and handed to the API server as the
 * endpoint listener does (with an origin), minus TLS; the backends are real (s3rver, dynalite).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { CreateSubnetCommand, CreateVpcCommand, CreateVpcEndpointCommand } from '@aws-sdk/client-ec2';
import { ApiServer } from '../../src/api/server.js';
import { createAwsBackends } from '../../src/adapters/aws-backends.js';
import type { CredentialEntry } from '../../src/config/options.js';
import { createLogger } from '../../src/shared/logger.js';
import { CONSUMER, REGION, ec2Client, startPrivlink } from '../helpers/privlink.js';
import { startAwsBackends } from '../helpers/aws-backends.js';

const CREDS: Record<string, CredentialEntry> = {
  AKIACONSUMERROOT0001: { secretAccessKey: 'cons-secret', accountId: CONSUMER },
};
const S3_HOST = `s3.${REGION}.amazonaws.com`;
const DDB_HOST = `dynamodb.${REGION}.amazonaws.com`;

async function strictEndpointServer(t: { after(fn: () => unknown): void }): Promise<number> {
  const backends = await startAwsBackends(t, ['bucket']);
  const p = await startPrivlink(t, { credentials: CREDS });
  const ec2 = ec2Client(p, { accessKeyId: 'AKIACONSUMERROOT0001', secretAccessKey: 'cons-secret' });
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
      credentials: CREDS,
    },
    admin: { health: () => ({}), status: () => ({}), reset: async () => undefined },
    awsBackends: createAwsBackends(backends),
  });
  await api.listen();
  const front = net.createServer((s) => api.acceptConnection(s, { vpceId, sourceIp: '10.0.1.5' }));
  await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', () => resolve()));
  t.after(async () => {
    front.close();
    await api.close();
  });
  return (front.address() as net.AddressInfo).port;
}

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
  const port = await strictEndpointServer(t);
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
  const port = await strictEndpointServer(t);
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
