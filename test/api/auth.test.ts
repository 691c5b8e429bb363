/**
 * Strict SigV4 mode (`--credentials FILE` → options.credentials) with the real SDK clients (EC2,
 * ELBv2, STS): the right secret works and names the principal (root, user/NAME, role/NAME);
 * wrong secrets, unknown keys, unsigned and tampered requests are refused with AWS's 403 codes;
 * presigned query-string requests and session tokens work; allowed principals are matched
 * against the caller's exact principal ARN.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateVpcEndpointServiceConfigurationCommand,
  DescribeVpcEndpointServicesCommand,
  DescribeVpcsCommand,
  EC2Client,
  ModifyVpcEndpointServicePermissionsCommand,
} from '@aws-sdk/client-ec2';
import { DescribeLoadBalancersCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { SignatureV4 } from '@smithy/signature-v4';
import { Sha256 } from '@aws-crypto/sha256-js';
import { resolveOptions, type CredentialEntry } from '../../src/config/options.js';
import type { Privlink } from '../../src/emulator.js';
import {
  CONSUMER,
  PROVIDER,
  REGION,
  ec2Client,
  elbClient,
  expectAwsError,
  signedRaw,
  startPrivlink,
  stsClient,
} from '../helpers/privlink.js';
import { awsCli } from '../helpers/aws-cli.js';
import { seedLoadBalancer } from './privatelink-provider-fixtures.js';

export const STRICT_CREDENTIALS: Record<string, CredentialEntry> = {
  AKIAPROVIDERROOT0001: { secretAccessKey: 'prov-secret', accountId: PROVIDER },
  AKIACONSUMERROOT0001: { secretAccessKey: 'cons-secret', accountId: CONSUMER },
  AKIACONSUMERAPPROLE1: { secretAccessKey: 'app-secret', accountId: CONSUMER, roleName: 'app' },
  AKIACONSUMERALICE001: { secretAccessKey: 'alice-secret', accountId: CONSUMER, userName: 'alice' },
};

const key = (accessKeyId: string) => ({
  accessKeyId,
  secretAccessKey: STRICT_CREDENTIALS[accessKeyId]?.secretAccessKey ?? 'nope',
});

async function strict(t: Parameters<typeof startPrivlink>[0]): Promise<Privlink> {
  return startPrivlink(t, { credentials: STRICT_CREDENTIALS });
}

test('strict mode: the right secret works for EC2, ELBv2 and STS and names the principal', async (t) => {
  const p = await strict(t);
  const who = async (akid: string) => stsClient(p, key(akid)).send(new GetCallerIdentityCommand({}));
  const root = await who('AKIAPROVIDERROOT0001');
  assert.equal(root.Account, PROVIDER);
  assert.equal(root.Arn, `arn:aws:iam::${PROVIDER}:root`);
  const role = await who('AKIACONSUMERAPPROLE1');
  assert.equal(role.Account, CONSUMER);
  assert.equal(role.Arn, `arn:aws:sts::${CONSUMER}:assumed-role/app/AKIACONSUMERAPPROLE1`);
  const user = await who('AKIACONSUMERALICE001');
  assert.equal(user.Arn, `arn:aws:iam::${CONSUMER}:user/alice`);

  const vpcs = await ec2Client(p, key('AKIAPROVIDERROOT0001')).send(new DescribeVpcsCommand({}));
  assert.ok(Array.isArray(vpcs.Vpcs));
  const lbs = await elbClient(p, key('AKIAPROVIDERROOT0001')).send(new DescribeLoadBalancersCommand({}));
  assert.deepEqual(lbs.LoadBalancers, []);
});

test('strict mode: wrong secret, unknown key, unsigned and tampered requests get 403s', async (t) => {
  const p = await strict(t);
  await expectAwsError(
    stsClient(p, { accessKeyId: 'AKIAPROVIDERROOT0001', secretAccessKey: 'wrong' }).send(
      new GetCallerIdentityCommand({}),
    ),
    'SignatureDoesNotMatch',
    403,
  );
  await expectAwsError(
    ec2Client(p, { accessKeyId: 'AKIAPROVIDERROOT0001', secretAccessKey: 'wrong' }).send(
      new DescribeVpcsCommand({}),
    ),
    'SignatureDoesNotMatch',
    403,
  );
  await expectAwsError(
    elbClient(p, { accessKeyId: 'AKIAPROVIDERROOT0001', secretAccessKey: 'wrong' }).send(
      new DescribeLoadBalancersCommand({}),
    ),
    'SignatureDoesNotMatch',
    403,
  );
  await expectAwsError(
    ec2Client(p, { accessKeyId: 'AKIAUNKNOWN000000000', secretAccessKey: 'x' }).send(
      new DescribeVpcsCommand({}),
    ),
    'InvalidClientTokenId',
    403,
  );
  // A 12-digit key is an account only outside strict mode.
  await expectAwsError(
    ec2Client(p, { account: PROVIDER }).send(new DescribeVpcsCommand({})),
    'InvalidClientTokenId',
    403,
  );
  // Names that exist on every JavaScript object are not keys.
  for (const akid of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
    const r = await signedRaw(p, 'Action=DescribeVpcs&Version=2016-11-15', { accessKeyId: akid });
    assert.equal(r.status, 403, `${akid}: ${r.body}`);
    assert.match(r.body, /<Code>InvalidClientTokenId<\/Code>/);
  }
  const unsigned = await signedRaw(p, 'Action=DescribeVpcs&Version=2016-11-15', { sign: false });
  assert.equal(unsigned.status, 403);
  assert.match(unsigned.body, /<Code>MissingAuthenticationToken<\/Code>/);
  const unsignedSts = await signedRaw(p, 'Action=GetCallerIdentity&Version=2011-06-15', { sign: false });
  assert.equal(unsignedSts.status, 403);
  assert.match(
    unsignedSts.body,
    /<ErrorResponse[^>]*><Error><Type>Sender<\/Type><Code>MissingAuthenticationToken/,
  );

  // Signed, then the body is changed in flight.
  const body = 'Action=DescribeVpcs&Version=2016-11-15';
  const signer = new SignatureV4({
    credentials: key('AKIAPROVIDERROOT0001'),
    region: REGION,
    service: 'ec2',
    sha256: Sha256,
  });
  const url = new URL(p.url + '/');
  const signed = await signer.sign({
    method: 'POST',
    protocol: 'http:',
    hostname: url.hostname,
    port: Number(url.port),
    path: '/',
    headers: { host: url.host, 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
    body,
  });
  const tampered = await fetch(url, {
    method: 'POST',
    headers: signed.headers,
    body: body + '&DryRun=true',
  });
  assert.equal(tampered.status, 403);
  assert.match(await tampered.text(), /SignatureDoesNotMatch/);
  const honest = await fetch(url, { method: 'POST', headers: signed.headers, body });
  assert.equal(honest.status, 200, await honest.text());
  // A malformed Authorization header is refused, not guessed at.
  const garbage = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: 'AWS4-HMAC-SHA256 garbage',
    },
    body,
  });
  // A header that claims SigV4 but does not parse: IncompleteSignature, 400 as on EC2.
  assert.equal(garbage.status, 400);
  assert.match(await garbage.text(), /<Code>IncompleteSignature<\/Code>/);
});

test('strict mode: presigned query-string requests and session tokens', async (t) => {
  const p = await strict(t);
  const url = new URL(p.url + '/');
  for (const [service, query] of [
    ['sts', { Action: 'GetCallerIdentity', Version: '2011-06-15' }],
    ['ec2', { Action: 'DescribeVpcs', Version: '2016-11-15' }],
  ] as const) {
    const signer = new SignatureV4({
      credentials: key('AKIACONSUMERAPPROLE1'),
      region: REGION,
      service,
      sha256: Sha256,
    });
    const presigned = await signer.presign(
      {
        method: 'GET',
        protocol: 'http:',
        hostname: url.hostname,
        port: Number(url.port),
        path: '/',
        query,
        headers: { host: url.host },
      },
      { expiresIn: 300 },
    );
    const qs = new URLSearchParams(presigned.query as Record<string, string>).toString();
    const ok = await fetch(`${p.url}/?${qs}`);
    const text = await ok.text();
    assert.equal(ok.status, 200, `${service}: ${text}`);
    if (service === 'sts') {
      assert.match(text, /<Arn>arn:aws:sts::222222222222:assumed-role\/app\/AKIACONSUMERAPPROLE1<\/Arn>/);
    }
    const bad = await fetch(`${p.url}/?${qs.replace(/X-Amz-Signature=[0-9a-f]{4}/, 'X-Amz-Signature=0000')}`);
    assert.equal(bad.status, 403);
  }

  // Temporary credentials: the SDK signs X-Amz-Security-Token along with everything else.
  const sts = new STSClient({
    endpoint: p.url,
    region: REGION,
    credentials: {
      ...key('AKIACONSUMERALICE001'),
      sessionToken: 'FwoGZXIvYXdzEXAMPLE//token+with/slashes==',
    },
    maxAttempts: 1,
  });
  const me = await sts.send(new GetCallerIdentityCommand({}));
  assert.equal(me.Arn, `arn:aws:iam::${CONSUMER}:user/alice`);
  const ec2 = new EC2Client({
    endpoint: p.url,
    region: REGION,
    credentials: { ...key('AKIACONSUMERALICE001'), sessionToken: 'IQoJb3JpZ2luX2VjEXAMPLE' },
    maxAttempts: 1,
  });
  assert.ok(Array.isArray((await ec2.send(new DescribeVpcsCommand({}))).Vpcs));
});

test('strict mode: allowed principals match the exact role, not the same account root', async (t) => {
  const p = await strict(t);
  const lbArn = seedLoadBalancer(p);
  const prov = ec2Client(p, key('AKIAPROVIDERROOT0001'));
  const svc = await prov.send(
    new CreateVpcEndpointServiceConfigurationCommand({
      NetworkLoadBalancerArns: [lbArn],
      AcceptanceRequired: false,
    }),
  );
  const serviceId = svc.ServiceConfiguration?.ServiceId ?? '';
  const serviceName = svc.ServiceConfiguration?.ServiceName ?? '';
  await prov.send(
    new ModifyVpcEndpointServicePermissionsCommand({
      ServiceId: serviceId,
      AddAllowedPrincipals: [`arn:aws:iam::${CONSUMER}:role/app`],
    }),
  );
  const asRole = await ec2Client(p, key('AKIACONSUMERAPPROLE1')).send(
    new DescribeVpcEndpointServicesCommand({ ServiceNames: [serviceName] }),
  );
  assert.deepEqual(
    asRole.ServiceDetails?.map((d) => d.ServiceName),
    [serviceName],
  );
  for (const akid of ['AKIACONSUMERROOT0001', 'AKIACONSUMERALICE001']) {
    await expectAwsError(
      ec2Client(p, key(akid)).send(new DescribeVpcEndpointServicesCommand({ ServiceNames: [serviceName] })),
      'InvalidServiceName',
      400,
    );
  }
  // Allowing the account root opens the service to every principal of the account.
  await prov.send(
    new ModifyVpcEndpointServicePermissionsCommand({
      ServiceId: serviceId,
      AddAllowedPrincipals: [`arn:aws:iam::${CONSUMER}:root`],
    }),
  );
  const asUser = await ec2Client(p, key('AKIACONSUMERALICE001')).send(
    new DescribeVpcEndpointServicesCommand({ ServiceNames: [serviceName] }),
  );
  assert.equal(asUser.ServiceDetails?.length, 1);
});

test('strict mode: the real aws CLI signs correctly, and wrong secrets and keys are refused', async (t) => {
  const p = await strict(t);
  const cli = (akid: string, args: string[], secret?: string, sessionToken?: string) =>
    awsCli(p.url, akid, args, REGION, {
      secretAccessKey: secret ?? STRICT_CREDENTIALS[akid]?.secretAccessKey ?? 'x',
      ...(sessionToken ? { sessionToken } : {}),
    });
  const who = await cli('AKIACONSUMERAPPROLE1', ['sts', 'get-caller-identity']);
  assert.equal(who.code, 0, who.stderr);
  const whoJson = who.json as { UserId: string; Account: string; Arn: string };
  assert.match(whoJson.UserId, /^AROA[A-Z2-7]{17}:AKIACONSUMERAPPROLE1$/);
  assert.equal(whoJson.Account, CONSUMER);
  assert.equal(whoJson.Arn, `arn:aws:sts::${CONSUMER}:assumed-role/app/AKIACONSUMERAPPROLE1`);
  const vpcs = await cli('AKIAPROVIDERROOT0001', ['ec2', 'describe-vpcs']);
  assert.equal(vpcs.code, 0, vpcs.stderr);
  const withToken = await cli(
    'AKIACONSUMERALICE001',
    ['ec2', 'describe-vpcs'],
    undefined,
    'FwoGZXIvYXdzEXAMPLE',
  );
  assert.equal(withToken.code, 0, withToken.stderr);
  const lbs = await cli('AKIAPROVIDERROOT0001', ['elbv2', 'describe-load-balancers']);
  assert.equal(lbs.code, 0, lbs.stderr);
  // A large request body (many filter values): the CLI's own encoding and signing still verify.
  const many = Array.from({ length: 150 }, (_, i) => `vpc-${String(i).padStart(17, '0')}`);
  const big = await cli('AKIAPROVIDERROOT0001', [
    'ec2',
    'describe-vpcs',
    '--filters',
    `Name=vpc-id,Values=${many.join(',')}`,
  ]);
  assert.ok(!/SignatureDoesNotMatch/.test(big.stderr), big.stderr);

  const wrong = await cli('AKIAPROVIDERROOT0001', ['sts', 'get-caller-identity'], 'wrong-secret');
  assert.notEqual(wrong.code, 0);
  assert.match(wrong.stderr, /SignatureDoesNotMatch/);
  const unknown = await cli('AKIANOBODY0000000000', ['ec2', 'describe-vpcs'], 'x');
  assert.notEqual(unknown.code, 0);
  assert.match(unknown.stderr, /InvalidClientTokenId/);
});

test('a credentials file with a broken entry is refused at start-up, not at the first request', () => {
  const bad: unknown[] = [
    { AKIA1: { accountId: PROVIDER } },
    { AKIA1: { secretAccessKey: 's', accountId: '12' } },
    { AKIA1: null },
    { 'bad key\n': { secretAccessKey: 's', accountId: PROVIDER } },
  ];
  for (const credentials of bad) {
    assert.throws(
      () => resolveOptions({ credentials: credentials as Record<string, CredentialEntry> }),
      /--credentials/,
    );
  }
  assert.doesNotThrow(() => resolveOptions({ credentials: STRICT_CREDENTIALS }));
});
