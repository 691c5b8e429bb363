/**
 * Attack tests for privlink's own endpoints and the browser's reach into the API: a web page
 * (cross-origin POST, DNS rebinding) can neither reset nor read nor act; /_privlink/health says
 * only "alive"; with --credentials, status and reset need a signed request from an admin key —
 * and the `privlink status` / `privlink reset` commands sign theirs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { request } from 'node:http';
import { CreateVpcCommand, DescribeVpcsCommand } from '@aws-sdk/client-ec2';
import type { CredentialEntry } from '../../src/config/options.js';
import type { Privlink } from '../../src/emulator.js';
import { PROVIDER, ec2Client, startPrivlink } from '../helpers/privlink.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** A raw HTTP request with exactly the headers given (fetch would not let us forge Host). */
function raw(
  p: Privlink,
  method: string,
  path: string,
  headers: Record<string, string>,
  body = '',
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: p.port,
        method,
        path,
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function vpcCount(p: Privlink): Promise<number> {
  return p.store.listAll('vpc').length;
}

test('admin: a foreign Host (DNS rebinding) is refused on admin endpoints and on the AWS API', async (t) => {
  const p = await startPrivlink(t);
  await ec2Client(p).send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
  const evil = { host: `rebind.attacker.example:${p.port}` };
  const reset = await raw(p, 'POST', '/_privlink/reset', evil);
  assert.equal(reset.status, 403, reset.body);
  assert.equal(await vpcCount(p), 1, 'state survived');
  const status = await raw(p, 'GET', '/_privlink/status', evil);
  assert.equal(status.status, 403);
  assert.doesNotMatch(status.body, /vpc-/);
  const api = await raw(
    p,
    'POST',
    '/',
    { ...evil, 'content-type': 'application/x-www-form-urlencoded' },
    'Action=CreateVpc&Version=2016-11-15&CidrBlock=10.1.0.0/16',
  );
  assert.equal(api.status, 403, api.body);
  assert.match(api.body, /<Code>UnauthorizedOperation<\/Code>/);
  assert.equal(await vpcCount(p), 1, 'no VPC created through a rebound name');
  // The names a local client uses still work.
  for (const host of [`127.0.0.1:${p.port}`, `localhost:${p.port}`, 'localhost', '[::1]:4599']) {
    const ok = await raw(p, 'GET', '/_privlink/health', { host });
    assert.equal(ok.status, 200, `${host}: ${ok.body}`);
  }
});

test('admin: --allowed-host names are accepted', async (t) => {
  const p = await startPrivlink(t, { allowedHosts: ['privlink.internal'] });
  const ok = await raw(p, 'GET', '/_privlink/status', { host: `privlink.internal:${p.port}` });
  assert.equal(ok.status, 200, ok.body);
  const no = await raw(p, 'GET', '/_privlink/status', { host: `other.internal:${p.port}` });
  assert.equal(no.status, 403);
});

test('admin: cross-origin browser requests are refused (Origin, Sec-Fetch-Site)', async (t) => {
  const p = await startPrivlink(t);
  await ec2Client(p).send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
  const host = `127.0.0.1:${p.port}`;
  const cases: Record<string, string>[] = [
    { host, origin: 'https://evil.example' },
    { host, origin: 'null' },
    { host, origin: `http://127.0.0.1:${p.port + 1}` },
    { host, 'sec-fetch-site': 'cross-site' },
    { host, 'sec-fetch-site': 'same-site' },
  ];
  for (const headers of cases) {
    const reset = await raw(p, 'POST', '/_privlink/reset', headers);
    assert.equal(reset.status, 403, `${JSON.stringify(headers)}: ${reset.body}`);
    const api = await raw(
      p,
      'POST',
      '/',
      { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
      'Action=CreateVpc&Version=2016-11-15&CidrBlock=10.1.0.0/16',
    );
    assert.equal(api.status, 403, `${JSON.stringify(headers)}: ${api.body}`);
  }
  assert.equal(await vpcCount(p), 1, 'nothing reset, nothing created');
  // A same-origin page (the server's own origin) and a typed-in URL are not cross-origin.
  const same = await raw(p, 'GET', '/_privlink/health', {
    host,
    origin: `http://${host}`,
    'sec-fetch-site': 'same-origin',
  });
  assert.equal(same.status, 200);
  const typed = await raw(p, 'GET', '/_privlink/health', { host, 'sec-fetch-site': 'none' });
  assert.equal(typed.status, 200);
});

test('admin: /_privlink/health is liveness only', async (t) => {
  const p = await startPrivlink(t);
  await ec2Client(p).send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
  const r = await fetch(`${p.url}/_privlink/health`);
  assert.equal(r.status, 200);
  assert.deepEqual(await r.json(), { status: 'ok' });
});

const ADMIN_CREDS: Record<string, CredentialEntry> = {
  AKIAADMIN00000000001: { secretAccessKey: 'admin-secret', accountId: PROVIDER, admin: true },
  AKIATENANT0000000001: { secretAccessKey: 'tenant-secret', accountId: '222222222222' },
};

function cli(
  args: string[],
  env: Record<string, string | undefined>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const childEnv: NodeJS.ProcessEnv = {
      ...process.env,
      AWS_ACCESS_KEY_ID: undefined,
      AWS_SECRET_ACCESS_KEY: undefined,
      AWS_SESSION_TOKEN: undefined,
    };
    for (const [k, v] of Object.entries(env)) childEnv[k] = v;
    for (const k of Object.keys(childEnv)) if (childEnv[k] === undefined) delete childEnv[k];
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', ...args],
      { cwd: ROOT, env: childEnv, timeout: 60_000 },
      (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

test('admin: with --credentials, status and reset need a signed request from an admin key', async (t) => {
  const p = await startPrivlink(t, { credentials: ADMIN_CREDS });
  await ec2Client(p, { accessKeyId: 'AKIATENANT0000000001', secretAccessKey: 'tenant-secret' }).send(
    new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }),
  );
  // Unsigned: refused, whatever the Host.
  const unsignedReset = await fetch(`${p.url}/_privlink/reset`, { method: 'POST' });
  assert.equal(unsignedReset.status, 403);
  const unsignedStatus = await fetch(`${p.url}/_privlink/status`);
  assert.equal(unsignedStatus.status, 403);
  assert.doesNotMatch(await unsignedStatus.text(), /vpc-/);
  assert.equal(await vpcCount(p), 1);
  // Liveness needs no key.
  assert.equal((await fetch(`${p.url}/_privlink/health`)).status, 200);

  // The CLI without keys: a clear refusal.
  const noKey = await cli(['status', '--endpoint-url', p.url], {});
  assert.notEqual(noKey.code, 0);
  assert.match(noKey.stderr, /403[\s\S]*AWS_ACCESS_KEY_ID/);
  // A tenant's key is not an admin's.
  const tenant = await cli(['reset', '--endpoint-url', p.url], {
    AWS_ACCESS_KEY_ID: 'AKIATENANT0000000001',
    AWS_SECRET_ACCESS_KEY: 'tenant-secret',
  });
  assert.notEqual(tenant.code, 0);
  assert.match(tenant.stderr, /not an admin/);
  assert.equal(await vpcCount(p), 1);
  // A wrong secret for the admin key.
  const forged = await cli(['reset', '--endpoint-url', p.url], {
    AWS_ACCESS_KEY_ID: 'AKIAADMIN00000000001',
    AWS_SECRET_ACCESS_KEY: 'guess',
  });
  assert.notEqual(forged.code, 0);
  assert.match(forged.stderr, /SignatureDoesNotMatch/);
  assert.equal(await vpcCount(p), 1);

  const adminEnv = { AWS_ACCESS_KEY_ID: 'AKIAADMIN00000000001', AWS_SECRET_ACCESS_KEY: 'admin-secret' };
  const status = await cli(['status', '--endpoint-url', p.url, '--json'], adminEnv);
  assert.equal(status.code, 0, status.stderr);
  assert.equal((JSON.parse(status.stdout) as { counts: { vpc: number } }).counts.vpc, 1);
  const reset = await cli(['reset', '--endpoint-url', p.url], adminEnv);
  assert.equal(reset.code, 0, reset.stderr);
  assert.equal(await vpcCount(p), 0);
  const vpcs = await ec2Client(p, {
    accessKeyId: 'AKIATENANT0000000001',
    secretAccessKey: 'tenant-secret',
  }).send(new DescribeVpcsCommand({}));
  assert.equal(vpcs.Vpcs?.length ?? 0, 0);
});

test('admin: without --credentials the CLI commands keep working', async (t) => {
  const p = await startPrivlink(t);
  await ec2Client(p).send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
  const status = await cli(['status', '--endpoint-url', p.url, '--json'], {});
  assert.equal(status.code, 0, status.stderr);
  assert.equal((JSON.parse(status.stdout) as { counts: { vpc: number } }).counts.vpc, 1);
  // Keys in the environment (signing) do no harm on an open server.
  const reset = await cli(['reset', '--endpoint-url', p.url], {
    AWS_ACCESS_KEY_ID: 'AKIAX',
    AWS_SECRET_ACCESS_KEY: 'x',
  });
  assert.equal(reset.code, 0, reset.stderr);
  assert.equal(await vpcCount(p), 0);
});
