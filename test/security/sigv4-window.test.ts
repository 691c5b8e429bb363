/**
 * Attack tests for SigV4 in strict mode: captured requests must not replay forever (15-minute
 * skew, X-Amz-Expires at most 7 days), `host` must be signed, and every malformed auth input —
 * header or query form — is answered with a 4xx AWS error, never a 500.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SignatureV4 } from '@smithy/signature-v4';
import { Sha256 } from '@aws-crypto/sha256-js';
import type { CredentialEntry } from '../../src/config/options.js';
import type { Privlink } from '../../src/emulator.js';
import { REGION, startPrivlink } from '../helpers/privlink.js';

const AKID = 'AKIASECURITYTEST0001';
const SECRET = 'sec-secret';
const CREDS: Record<string, CredentialEntry> = {
  [AKID]: { secretAccessKey: SECRET, accountId: '111111111111' },
};

const EC2_QUERY = { Action: 'DescribeVpcs', Version: '2016-11-15' };
const STS_QUERY = { Action: 'GetCallerIdentity', Version: '2011-06-15' };

function signer(service: string, secret = SECRET): SignatureV4 {
  return new SignatureV4({
    credentials: { accessKeyId: AKID, secretAccessKey: secret },
    region: REGION,
    service,
    sha256: Sha256,
  });
}

async function presignedUrl(
  p: Privlink,
  service: string,
  query: Record<string, string>,
  o: { signingDate?: Date; expiresIn?: number; unsignableHost?: boolean } = {},
): Promise<string> {
  const url = new URL(p.url + '/');
  const signed = await signer(service).presign(
    {
      method: 'GET',
      protocol: 'http:',
      hostname: url.hostname,
      port: Number(url.port),
      path: '/',
      query,
      headers: o.unsignableHost ? {} : { host: url.host },
    },
    { signingDate: o.signingDate, expiresIn: o.expiresIn ?? 300 },
  );
  return `${p.url}/?${new URLSearchParams(signed.query as Record<string, string>).toString()}`;
}

/** A POST signed in the Authorization header at `signingDate`. */
async function signedPost(
  p: Privlink,
  service: string,
  body: string,
  o: { signingDate?: Date; dropHost?: boolean } = {},
): Promise<{ status: number; body: string }> {
  const url = new URL(p.url + '/');
  const headers: Record<string, string> = {
    host: url.host,
    'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
  };
  const signed = await signer(service).sign(
    { method: 'POST', protocol: 'http:', hostname: url.hostname, path: '/', headers, body },
    {
      signingDate: o.signingDate,
      // A client that leaves host out of SignedHeaders: the signature covers only the rest.
      unsignableHeaders: o.dropHost ? new Set(['host']) : undefined,
    },
  );
  const res = await fetch(url, { method: 'POST', headers: signed.headers as Record<string, string>, body });
  return { status: res.status, body: await res.text() };
}

const code = (body: string) => /<Code>([^<]+)<\/Code>/.exec(body)?.[1];

test('sigv4: a URL presigned in 2001 with a 300 s expiry is refused (EC2: RequestExpired)', async (t) => {
  const p = await startPrivlink(t, { credentials: CREDS });
  const old = await presignedUrl(p, 'ec2', EC2_QUERY, { signingDate: new Date('2001-01-01T00:00:00Z') });
  const r = await fetch(old);
  const body = await r.text();
  assert.equal(r.status, 400, body);
  assert.equal(code(body), 'RequestExpired');
  assert.match(body, /Request has expired/);
  // STS answers in its own dialect: SignatureDoesNotMatch "Signature expired: …".
  const oldSts = await presignedUrl(p, 'sts', STS_QUERY, { signingDate: new Date('2001-01-01T00:00:00Z') });
  const rs = await fetch(oldSts);
  const bodySts = await rs.text();
  assert.equal(rs.status, 403, bodySts);
  assert.equal(code(bodySts), 'SignatureDoesNotMatch');
  assert.match(bodySts, /Signature expired/);
  // A fresh one still works.
  const fresh = await fetch(await presignedUrl(p, 'ec2', EC2_QUERY));
  assert.equal(fresh.status, 200, await fresh.text());
});

test('sigv4: X-Amz-Expires is honoured, and over 7 days is refused', async (t) => {
  const p = await startPrivlink(t, { credentials: CREDS });
  // Signed 20 minutes ago with a 10-minute expiry: expired although within the 15-minute skew.
  const signingDate = new Date(Date.now() - 20 * 60_000);
  const r = await fetch(await presignedUrl(p, 'ec2', EC2_QUERY, { signingDate, expiresIn: 600 }));
  assert.equal(r.status, 400);
  assert.equal(code(await r.text()), 'RequestExpired');
  // Signed an hour ago, valid for two: still fine (presigned URLs are not bound to the skew).
  const ok = await fetch(
    await presignedUrl(p, 'ec2', EC2_QUERY, {
      signingDate: new Date(Date.now() - 3600_000),
      expiresIn: 7200,
    }),
  );
  assert.equal(ok.status, 200, await ok.text());
  // The SDK refuses to presign beyond a week, so tamper with the number (the signature breaks
  // too, but the expiry rule must answer first and with a 4xx).
  const week = await presignedUrl(p, 'ec2', EC2_QUERY);
  const tooLong = await fetch(week.replace(/X-Amz-Expires=\d+/, 'X-Amz-Expires=604801'));
  const tooLongBody = await tooLong.text();
  assert.equal(tooLong.status, 400, tooLongBody);
  assert.match(code(tooLongBody) ?? '', /^(AuthorizationQueryParametersError|IncompleteSignature)$/);
});

test('sigv4: header-signed requests outside the 15-minute window are refused, both ways', async (t) => {
  const p = await startPrivlink(t, { credentials: CREDS });
  const past = new Date(Date.now() - 16 * 60_000);
  const future = new Date(Date.now() + 16 * 60_000);
  const ec2Old = await signedPost(p, 'ec2', 'Action=DescribeVpcs&Version=2016-11-15', { signingDate: past });
  assert.equal(ec2Old.status, 400, ec2Old.body);
  assert.equal(code(ec2Old.body), 'RequestExpired');
  const ec2Future = await signedPost(p, 'ec2', 'Action=DescribeVpcs&Version=2016-11-15', {
    signingDate: future,
  });
  assert.equal(ec2Future.status, 400, ec2Future.body);
  assert.equal(code(ec2Future.body), 'RequestExpired');
  const stsOld = await signedPost(p, 'sts', 'Action=GetCallerIdentity&Version=2011-06-15', {
    signingDate: past,
  });
  assert.equal(stsOld.status, 403, stsOld.body);
  assert.equal(code(stsOld.body), 'SignatureDoesNotMatch');
  assert.match(
    stsOld.body,
    /Signature expired: \d{8}T\d{6}Z is now earlier than \d{8}T\d{6}Z \(\d{8}T\d{6}Z - 15 min\.\)/,
  );
  const stsFuture = await signedPost(p, 'sts', 'Action=GetCallerIdentity&Version=2011-06-15', {
    signingDate: future,
  });
  assert.equal(stsFuture.status, 403, stsFuture.body);
  assert.match(stsFuture.body, /Signature not yet current/);
  // 14 minutes off is inside the window.
  const near = await signedPost(p, 'ec2', 'Action=DescribeVpcs&Version=2016-11-15', {
    signingDate: new Date(Date.now() - 14 * 60_000),
  });
  assert.equal(near.status, 200, near.body);
});

test('sigv4: host must be among the signed headers', async (t) => {
  const p = await startPrivlink(t, { credentials: CREDS });
  const r = await signedPost(p, 'ec2', 'Action=DescribeVpcs&Version=2016-11-15', { dropHost: true });
  assert.equal(r.status, 400, r.body);
  assert.equal(code(r.body), 'IncompleteSignature');
  assert.match(r.body, /Host&apos; or &apos;:authority&apos; must be a &apos;SignedHeader/);
  const q = await fetch(await presignedUrl(p, 'ec2', EC2_QUERY, { unsignableHost: true }));
  const qb = await q.text();
  assert.equal(q.status, 400, qb);
  assert.equal(code(qb), 'IncompleteSignature');
});

test('sigv4: every malformed Authorization header or query auth is a 4xx, never a 500', async (t) => {
  const p = await startPrivlink(t, { credentials: CREDS });
  const now = new Date();
  const amzDate = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
  const day = amzDate.slice(0, 8);
  const sig = 'a'.repeat(64);
  const cred = `${AKID}/${day}/${REGION}/ec2/aws4_request`;
  const headerCases: [string, string | undefined][] = [
    ['garbage', 'garbage'],
    ['empty scheme only', 'AWS4-HMAC-SHA256'],
    ['no signature', `AWS4-HMAC-SHA256 Credential=${cred}, SignedHeaders=host;x-amz-date`],
    ['short credential', `AWS4-HMAC-SHA256 Credential=${AKID}/${day}, SignedHeaders=host, Signature=${sig}`],
    [
      'bad date in scope',
      `AWS4-HMAC-SHA256 Credential=${AKID}/2001XX01/${REGION}/ec2/aws4_request, SignedHeaders=host;x-amz-date, Signature=${sig}`,
    ],
    [
      'wrong terminator',
      `AWS4-HMAC-SHA256 Credential=${AKID}/${day}/${REGION}/ec2/aws5_request, SignedHeaders=host;x-amz-date, Signature=${sig}`,
    ],
    ['short signature', `AWS4-HMAC-SHA256 Credential=${cred}, SignedHeaders=host;x-amz-date, Signature=abcd`],
    [
      'non-hex signature',
      `AWS4-HMAC-SHA256 Credential=${cred}, SignedHeaders=host;x-amz-date, Signature=${'z'.repeat(64)}`,
    ],
    ['empty signed headers', `AWS4-HMAC-SHA256 Credential=${cred}, SignedHeaders=, Signature=${sig}`],
    [
      'unknown algorithm',
      `AWS4-HMAC-SHA512 Credential=${cred}, SignedHeaders=host;x-amz-date, Signature=${sig}`,
    ],
    ['sigv2', `AWS ${AKID}:c2lnbmF0dXJl`],
    [
      'huge',
      `AWS4-HMAC-SHA256 Credential=${'A'.repeat(6000)}/${day}/${REGION}/ec2/aws4_request, SignedHeaders=host, Signature=${sig}`,
    ],
    [
      'valid shape, wrong signature',
      `AWS4-HMAC-SHA256 Credential=${cred}, SignedHeaders=host;x-amz-date, Signature=${sig}`,
    ],
  ];
  const url = new URL(p.url + '/');
  for (const dateHeader of [amzDate, '20011301T250000Z', 'yesterday', '']) {
    for (const [name, auth] of headerCases) {
      const headers: Record<string, string> = {
        'content-type': 'application/x-www-form-urlencoded',
        'x-amz-date': dateHeader,
      };
      if (auth !== undefined) headers['authorization'] = auth;
      const r = await fetch(url, { method: 'POST', headers, body: 'Action=DescribeVpcs&Version=2016-11-15' });
      const body = await r.text();
      assert.ok(r.status >= 400 && r.status < 500, `${name} (x-amz-date ${dateHeader}): ${r.status} ${body}`);
      assert.ok(code(body), `${name}: an AWS error code: ${body}`);
    }
  }
  const base = new URLSearchParams({
    ...EC2_QUERY,
    'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
    'X-Amz-Credential': cred,
    'X-Amz-Date': amzDate,
    'X-Amz-Expires': '300',
    'X-Amz-SignedHeaders': 'host',
    'X-Amz-Signature': sig,
  });
  const queryCases: [string, Record<string, string | null>][] = [
    ['expires not a number', { 'X-Amz-Expires': 'soon' }],
    ['expires negative', { 'X-Amz-Expires': '-5' }],
    ['expires zero', { 'X-Amz-Expires': '0' }],
    ['expires huge', { 'X-Amz-Expires': '1e309' }],
    ['expires fractional', { 'X-Amz-Expires': '1.5' }],
    ['expires over a week', { 'X-Amz-Expires': '604801' }],
    ['no date', { 'X-Amz-Date': null }],
    ['bad date', { 'X-Amz-Date': '2001-01-01' }],
    ['impossible date', { 'X-Amz-Date': '20019999T999999Z' }],
    ['no algorithm', { 'X-Amz-Algorithm': null }],
    ['wrong algorithm', { 'X-Amz-Algorithm': 'AWS4-HMAC-MD5' }],
    ['no signature', { 'X-Amz-Signature': null }],
    ['no signed headers', { 'X-Amz-SignedHeaders': null }],
    ['credential with one part', { 'X-Amz-Credential': AKID }],
    ['credential with slashes only', { 'X-Amz-Credential': '////' }],
    ['credential scope date differs', { 'X-Amz-Credential': `${AKID}/20010101/${REGION}/ec2/aws4_request` }],
    ['unknown key', { 'X-Amz-Credential': `AKIANOBODY/${day}/${REGION}/ec2/aws4_request` }],
    ['valid shape, wrong signature', {}],
  ];
  for (const [name, change] of queryCases) {
    const q = new URLSearchParams(base);
    for (const [k, v] of Object.entries(change)) {
      if (v === null) q.delete(k);
      else q.set(k, v);
    }
    const r = await fetch(`${p.url}/?${q.toString()}`);
    const body = await r.text();
    assert.ok(r.status >= 400 && r.status < 500, `${name}: ${r.status} ${body}`);
    assert.ok(code(body), `${name}: an AWS error code: ${body}`);
  }
});

test('sigv4: the signature check still accepts the real SDK after the hardening', async (t) => {
  const p = await startPrivlink(t, { credentials: CREDS });
  const r = await signedPost(p, 'sts', 'Action=GetCallerIdentity&Version=2011-06-15');
  assert.equal(r.status, 200, r.body);
  const url = new URL(p.url + '/');
  const headers = { host: url.host, 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' };
  const body = 'Action=GetCallerIdentity&Version=2011-06-15';
  const forged = await signer('sts', 'not-the-secret').sign({
    method: 'POST',
    protocol: 'http:',
    hostname: url.hostname,
    path: '/',
    headers,
    body,
  });
  const wrong = await fetch(url, { method: 'POST', headers: forged.headers as Record<string, string>, body });
  assert.equal(wrong.status, 403);
  assert.equal(code(await wrong.text()), 'SignatureDoesNotMatch');
});
