/**
 * Shared checks for the robustness suites: whole-store snapshots (to prove a failed request
 * changed nothing), restoring a saved world, raw requests with an unverified SigV4 scope, and the
 * AWS response-envelope checks every answer must pass.
 */
import { request } from 'node:http';
import { SignatureV4 } from '@smithy/signature-v4';
import { Sha256 } from '@aws-crypto/sha256-js';
import { XMLValidator } from 'fast-xml-parser';
import type { Privlink } from '../../src/emulator.js';
import { KINDS, type Kind } from '../../src/control/model/kinds.js';
import { ERROR_CODES } from '../../src/control/errors.js';
import type { Stored } from '../../src/store/store.js';
import { REGION } from '../helpers/privlink.js';

/** Every stored object, serialised: equal strings mean an unchanged store. */
export function snapshot(p: Privlink): string {
  return KINDS.map((k) => `${k}:${JSON.stringify(p.store.listAll(k))}`).join('\n');
}

export type SavedWorld = [Kind, Stored<Kind>[]][];

export function saveWorld(p: Privlink): SavedWorld {
  return KINDS.map((k) => [k, p.store.listAll(k)]);
}

/** Lets change-feed listeners that defer their writes (the notifier) finish them. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
}

/**
 * Puts the store back to a saved world: deletes what is new, re-puts what changed or vanished.
 * Re-creating an endpoint makes the notifier record a Connect event a tick later, so the pass
 * runs again once listeners have settled (the second pass touches only records).
 */
export async function restoreWorld(p: Privlink, saved: SavedWorld): Promise<void> {
  for (let pass = 0; pass < 2; pass++) {
    p.store.transaction(() => {
      for (const [kind, items] of saved) {
        const keep = new Map(items.map((o) => [o.id, o]));
        for (const cur of p.store.listAll(kind)) if (!keep.has(cur.id)) p.store.delete(kind, cur.id);
        for (const o of items) {
          const cur = p.store.find(kind, o.id);
          if (!cur || JSON.stringify(cur) !== JSON.stringify(o)) p.store.put(kind, o);
        }
      }
    });
    await settle();
  }
}

export interface Answer {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

/** SigV4-signs a raw body (bytes as they will be sent) the way the SDKs do; returns the headers. */
export async function sigv4Headers(
  p: Privlink,
  body: Buffer,
  o: { accessKeyId: string; secretAccessKey: string; service: string },
): Promise<Record<string, string>> {
  const url = new URL(p.url);
  const signer = new SignatureV4({
    credentials: { accessKeyId: o.accessKeyId, secretAccessKey: o.secretAccessKey },
    region: REGION,
    service: o.service,
    sha256: Sha256,
  });
  const signed = await signer.sign({
    method: 'POST',
    protocol: 'http:',
    hostname: url.hostname,
    port: Number(url.port),
    path: '/',
    headers: { host: url.host, 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
    body: new Uint8Array(body),
  });
  return signed.headers;
}

/**
 * POSTs a raw body with a SigV4-shaped Authorization header (account and region are read from
 * it; the signature is not verified outside strict mode). Fails if no answer comes in timeoutMs.
 */
export function rawPost(
  p: Privlink,
  body: Buffer | string,
  o: { account: string; service: string; timeoutMs?: number; headers?: Record<string, string> },
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      p.url + '/',
      {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
          authorization: `AWS4-HMAC-SHA256 Credential=${o.account}/20260101/${REGION}/${o.service}/aws4_request, SignedHeaders=host;x-amz-date, Signature=00`,
          'x-amz-date': '20260101T000000Z',
          ...o.headers,
        },
        timeout: o.timeoutMs ?? 10_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString('utf8'),
            headers: res.headers,
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${o.timeoutMs ?? 10_000} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Problems with an answer, or [] when it is a well-formed success (200) or a well-formed AWS
 * error envelope with a 4xx status and a registered code.
 */
export function envelopeProblems(a: Answer, dialect: 'ec2' | 'query'): string[] {
  const problems: string[] = [];
  if (a.status >= 500 || a.status < 200 || (a.status > 200 && a.status < 400)) {
    problems.push(`status ${a.status}`);
  }
  if (XMLValidator.validate(a.body) !== true) problems.push('body is not well-formed XML');
  if (!/^text\/xml/.test(String(a.headers['content-type']))) problems.push('content-type is not text/xml');
  if (a.status === 200) {
    if (!/<\w+Response[ >]/.test(a.body)) problems.push('success without an <XResponse> root');
    return problems;
  }
  const code = /<Code>([^<]*)<\/Code>/.exec(a.body)?.[1];
  if (!code) problems.push('error without <Code>');
  else if (!Object.prototype.hasOwnProperty.call(ERROR_CODES, code))
    problems.push(`unregistered code ${code}`);
  if (!/<Message>[^<]*<\/Message>/.test(a.body) && !/<Message\/>/.test(a.body))
    problems.push('error without <Message>');
  // An error raised before routing (no Version) renders in the EC2 envelope, whatever the service.
  const ec2 =
    /^<\?xml[^>]*>\s*<Response><Errors><Error>/.test(a.body) && /<RequestID>[\w-]+<\/RequestID>/.test(a.body);
  const query =
    /<ErrorResponse[ >]/.test(a.body) &&
    /<Type>(Sender|Receiver)<\/Type>/.test(a.body) &&
    /<RequestId>[\w-]+<\/RequestId>/.test(a.body);
  if (dialect === 'ec2' ? !ec2 : !query && !ec2) problems.push(`not a ${dialect} error envelope`);
  return problems;
}
