/**
 * SigV4 at the edge: who is calling and in which region.
 *
 * Fidelity ledger
 * - Covered: Authorization header and presigned (X-Amz-*) query forms; account = a 12-digit access
 *   key ID, else 000000000000 (LocalStack's rule); region and service from the credential scope.
 *   Strict mode (--credentials FILE): unknown keys → InvalidClientTokenId (403), wrong signature →
 *   SignatureDoesNotMatch (403), unsigned → MissingAuthenticationToken (403); the signature is
 *   recomputed with @smithy/signature-v4 over the headers the client signed and the body bytes
 *   as received (a declared x-amz-content-sha256 must match them) and compared in constant time.
 *   Key IDs are looked up as own properties only (`__proto__` is an unknown key).
 *   Time window: a header-signed request more than 15 minutes away from the server clock, a
 *   presigned URL past X-Amz-Date + X-Amz-Expires or dated more than 15 minutes ahead, is refused
 *   as AWS does: EC2 answers RequestExpired (400, "Request has expired."; EC2's common client
 *   errors), the query-protocol services (STS, ELBv2) SignatureDoesNotMatch (403, "Signature
 *   expired: DATE is now earlier than NOW-15 (NOW - 15 min.)" / "Signature not yet current: …").
 *   X-Amz-Expires must be an integer 1..604800 (7 days); `host` must be a signed header
 *   (IncompleteSignature "'Host' or ':authority' must be a 'SignedHeader' in the AWS
 *   Authorization."). Every malformed auth input — algorithm, credential scope, date, signature,
 *   signed headers, expiry — is an IncompleteSignature 400 before any signing is attempted.
 * - Gaps: session tokens are accepted, not validated; STS ignores X-Amz-Expires above 15 minutes
 *   on AWS (its presigned URLs live 15 minutes), privlink honours it like S3 does; ELBv2's skew
 *   answer is assumed to be STS's (same query-protocol front end), not recorded.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import { Sha256 } from '@aws-crypto/sha256-js';
import type { CredentialEntry } from '../config/options.js';
import { apiError, type ApiError } from '../control/errors.js';
import type { Principal } from '../control/model/common.js';
import type { EndpointOrigin } from '../control/privatelink/endpoint-authorization.js';

export interface AuthInfo {
  accessKeyId?: string;
  region?: string;
  service?: string;
  /** The YYYYMMDD of the credential scope. */
  date?: string;
  signedHeaders?: string[];
  signature?: string;
  presigned: boolean;
  /** Set when the request claims SigV4 but its auth fields do not parse (why, for the error). */
  malformed?: string;
}

/** The 15-minute window AWS allows between the signature date and its clock. */
export const MAX_SKEW_MS = 15 * 60_000;
/** X-Amz-Expires may not exceed seven days (the signing key's lifetime). */
export const MAX_PRESIGN_EXPIRES_S = 604_800;

const SCHEME = 'AWS4-HMAC-SHA256';
const MALFORMED_HEADER =
  'Authorization header requires Credential=AKID/YYYYMMDD/REGION/SERVICE/aws4_request, SignedHeaders and a 64-hex-digit Signature.';
const LENIENT_AUTH_RE =
  /^AWS4-HMAC-SHA256\s+Credential=([^/,\s]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request,\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-f]+)\s*$/i;
const STRICT_AUTH_RE =
  /^AWS4-HMAC-SHA256\s+Credential=([^/,\s]+)\/(\d{8})\/([^/,\s]+)\/([^/,\s]+)\/aws4_request,\s*SignedHeaders=([a-z0-9;_.-]+),\s*Signature=([0-9a-f]{64})\s*$/i;
const SCOPE_PART_RE = /^[\w.-]{1,64}$/;
const AKID_RE = /^[\w+=,.@-]{1,128}$/;

export function parseAuth(authorization: string | undefined, query: URLSearchParams): AuthInfo {
  if (authorization) {
    const trimmed = authorization.trim();
    if (!/^AWS4-HMAC-SHA256(\s|$)/i.test(trimmed)) {
      // Some tools send other schemes; the scope is then unknown but the request is not refused
      // unless strict mode demands a signature.
      return { presigned: false };
    }
    // Read leniently (outside strict mode the scope still names the account and region), then
    // judge strictly: strict mode refuses anything malformed.
    const m = trimmed.length <= 4096 ? LENIENT_AUTH_RE.exec(trimmed) : null;
    if (!m) return { presigned: false, malformed: MALFORMED_HEADER };
    const signedHeaders = (m[5] ?? '').toLowerCase();
    const signature = m[6]?.toLowerCase();
    return {
      accessKeyId: m[1],
      date: m[2],
      region: m[3],
      service: m[4],
      signedHeaders: signedHeaders.split(';'),
      signature,
      presigned: false,
      ...(!STRICT_AUTH_RE.test(trimmed) || !AKID_RE.test(m[1] ?? '') ? { malformed: MALFORMED_HEADER } : {}),
    };
  }
  const cred = query.get('X-Amz-Credential');
  if (cred !== null) {
    const parts = cred.split('/');
    const [akid, date, region, service, terminator] = parts;
    const signature = query.get('X-Amz-Signature')?.toLowerCase();
    const signedHeaders = query.get('X-Amz-SignedHeaders')?.toLowerCase();
    const info: AuthInfo = {
      accessKeyId: akid,
      date,
      region,
      service,
      signedHeaders: signedHeaders?.split(';'),
      signature,
      presigned: true,
    };
    if (query.get('X-Amz-Algorithm') !== SCHEME) {
      info.malformed = `X-Amz-Algorithm only supports "${SCHEME}"`;
    } else if (
      parts.length !== 5 ||
      terminator !== 'aws4_request' ||
      !AKID_RE.test(akid ?? '') ||
      !/^\d{8}$/.test(date ?? '') ||
      !SCOPE_PART_RE.test(region ?? '') ||
      !SCOPE_PART_RE.test(service ?? '')
    ) {
      info.malformed = 'X-Amz-Credential must be AKID/YYYYMMDD/REGION/SERVICE/aws4_request';
    } else if (!signature || !/^[0-9a-f]{64}$/.test(signature)) {
      info.malformed = 'X-Amz-Signature must be 64 hexadecimal digits';
    } else if (!signedHeaders || !/^[a-z0-9;_.-]+$/.test(signedHeaders)) {
      info.malformed = 'X-Amz-SignedHeaders is missing or malformed';
    }
    return info;
  }
  return { presigned: false };
}

export function accountForAccessKey(akid: string | undefined): string {
  return akid && /^\d{12}$/.test(akid) ? akid : '000000000000';
}

/**
 * The credentials-file entry for an access key. Own properties only: a key ID such as
 * `__proto__` or `toString` must not find Object.prototype's members.
 */
export function credentialFor(
  creds: Record<string, CredentialEntry> | undefined,
  akid: string | undefined,
): CredentialEntry | undefined {
  return creds && akid && Object.prototype.hasOwnProperty.call(creds, akid) ? creds[akid] : undefined;
}

export function principalFor(akid: string | undefined, creds?: Record<string, CredentialEntry>): Principal {
  const entry = credentialFor(creds, akid);
  if (entry) {
    const arn = entry.userName
      ? `arn:aws:iam::${entry.accountId}:user/${entry.userName}`
      : entry.roleName
        ? `arn:aws:iam::${entry.accountId}:role/${entry.roleName}`
        : `arn:aws:iam::${entry.accountId}:root`;
    return { accountId: entry.accountId, arn };
  }
  const accountId = accountForAccessKey(akid);
  return { accountId, arn: `arn:aws:iam::${accountId}:root` };
}

export interface RawRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  query: URLSearchParams;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  /** Set by the transport when the request came through a VPC endpoint: its policy applies. */
  origin?: EndpointOrigin;
}

/** How a service signs: S3 escapes the path once and may leave the payload out of the signature. */
export interface SigningRules {
  /** False for S3, whose canonical URI is the path escaped once. */
  uriEscapePath: boolean;
  /** False when the body was not read (streamed to a backend): the declared hash is signed, unchecked. */
  bodyRead: boolean;
}

const QUERY_API_SIGNING: SigningRules = { uriEscapePath: true, bodyRead: true };

/** Strict mode: recompute the signature and compare. Throws an ApiError when it does not match. */
export async function verifySignature(
  req: RawRequest,
  auth: AuthInfo,
  creds: Record<string, CredentialEntry>,
  now: number = Date.now(),
  rules: SigningRules = QUERY_API_SIGNING,
): Promise<void> {
  if (auth.malformed) throw apiError('IncompleteSignature', auth.malformed);
  if (!auth.accessKeyId || !auth.signature || !auth.region || !auth.service || !auth.signedHeaders) {
    throw apiError('MissingAuthenticationToken', 'Request is missing Authentication Token');
  }
  // Signed headers must be named: an empty list (or `host` left out) would let a captured
  // signature travel to another host.
  if (!auth.signedHeaders.includes('host')) {
    throw apiError(
      'IncompleteSignature',
      "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
    );
  }
  const amzDate = auth.presigned ? req.query.get('X-Amz-Date') : headerValue(req.headers['x-amz-date']);
  const signingDate = amzDate ? parseAmzDate(amzDate) : undefined;
  if (!amzDate || !signingDate) {
    throw apiError(
      'IncompleteSignature',
      'Request must contain a valid X-Amz-Date (ISO 8601 basic format, YYYYMMDDTHHMMSSZ)',
    );
  }
  let expiresIn = 0;
  if (auth.presigned) {
    const raw = req.query.get('X-Amz-Expires');
    if (raw === null || !/^\d{1,7}$/.test(raw) || Number(raw) < 1 || Number(raw) > MAX_PRESIGN_EXPIRES_S) {
      throw apiError(
        'IncompleteSignature',
        `X-Amz-Expires must be a whole number of seconds from 1 to ${MAX_PRESIGN_EXPIRES_S} (7 days)`,
      );
    }
    expiresIn = Number(raw);
  }
  if (auth.date !== amzDate.slice(0, 8)) {
    throw apiError(
      'SignatureDoesNotMatch',
      `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${auth.date ?? ''}' != '${amzDate.slice(0, 8)}', from '${amzDate}'.`,
    );
  }
  const entry = credentialFor(creds, auth.accessKeyId);
  if (!entry) {
    throw apiError('InvalidClientTokenId', 'The security token included in the request is invalid.');
  }
  checkTimeWindow(auth, signingDate.getTime(), expiresIn, now);
  // The signer takes a declared payload hash on trust, so check it against the bytes received:
  // otherwise a body could be swapped under a valid signature.
  const declaredHash = headerValue(req.headers['x-amz-content-sha256']);
  if (
    rules.bodyRead &&
    declaredHash !== undefined &&
    declaredHash !== createHash('sha256').update(req.body).digest('hex')
  ) {
    throw signatureMismatch();
  }
  const signer = new SignatureV4({
    credentials: {
      accessKeyId: auth.accessKeyId,
      secretAccessKey: entry.secretAccessKey,
      sessionToken: headerValue(req.headers['x-amz-security-token']),
    },
    region: auth.region,
    service: auth.service,
    sha256: Sha256,
    uriEscapePath: rules.uriEscapePath,
    applyChecksum: false,
  });
  const headers: Record<string, string> = {};
  for (const h of auth.signedHeaders) {
    const v = headerValue(req.headers[h]);
    if (v !== undefined) headers[h] = v;
  }
  const query: Record<string, string | string[]> = {};
  for (const [k, v] of req.query) {
    if (auth.presigned && k === 'X-Amz-Signature') continue;
    const prev = query[k];
    query[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  const httpRequest = {
    method: req.method,
    protocol: 'http:',
    hostname: headers['host'] ?? 'localhost',
    path: req.path,
    query,
    headers,
    // The bytes as received: a string would re-encode invalid UTF-8 and change the hash.
    body: new Uint8Array(req.body),
  };
  let expected: string | undefined;
  if (auth.presigned) {
    const signed = await signer.presign(httpRequest, {
      signingDate,
      expiresIn,
      signableHeaders: new Set(auth.signedHeaders),
    });
    expected = String(signed.query?.['X-Amz-Signature'] ?? '');
  } else {
    const signed = await signer.sign(httpRequest, {
      signingDate,
      signableHeaders: new Set(auth.signedHeaders),
    });
    const m = /Signature=([0-9a-f]+)/.exec(String(signed.headers['authorization'] ?? ''));
    expected = m?.[1];
  }
  if (!expected || !sameSignature(expected, auth.signature)) throw signatureMismatch();
}

/** Constant-time comparison of two hex signatures (their length is not a secret). */
function sameSignature(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

/** YYYYMMDDTHHMMSSZ → Date; undefined unless every field is in range. */
export function parseAmzDate(v: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(v);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const t = Date.UTC(y, mo - 1, d, h, mi, s);
  const date = new Date(t);
  // Date.UTC rolls 2001-13-40 over into 2002: a field out of range shows up as a different date.
  if (
    !Number.isFinite(t) ||
    date.getUTCFullYear() !== y ||
    date.getUTCMonth() !== mo - 1 ||
    date.getUTCDate() !== d ||
    h > 23 ||
    mi > 59 ||
    s > 59
  ) {
    return undefined;
  }
  return date;
}

function amzStamp(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

/**
 * Header-signed: |date - now| ≤ 15 min. Presigned: valid from date - 15 min (clock skew) to
 * date + X-Amz-Expires. EC2 answers RequestExpired, the query services SignatureDoesNotMatch.
 */
function checkTimeWindow(auth: AuthInfo, signedAt: number, expiresIn: number, now: number): void {
  const ec2 = auth.service === 'ec2';
  const tooEarly = signedAt - now > MAX_SKEW_MS;
  const expiresAt = auth.presigned ? signedAt + expiresIn * 1000 : signedAt + MAX_SKEW_MS;
  const tooLate = now > expiresAt;
  if (!tooEarly && !tooLate) return;
  if (ec2) throw apiError('RequestExpired', 'Request has expired.');
  if (tooEarly) {
    throw apiError(
      'SignatureDoesNotMatch',
      `Signature not yet current: ${amzStamp(signedAt)} is still later than ${amzStamp(now + MAX_SKEW_MS)} (${amzStamp(now)} + 15 min.)`,
    );
  }
  const window = auth.presigned ? expiresIn * 1000 : MAX_SKEW_MS;
  const label = auth.presigned ? `${expiresIn} sec.` : '15 min.';
  throw apiError(
    'SignatureDoesNotMatch',
    `Signature expired: ${amzStamp(signedAt)} is now earlier than ${amzStamp(now - window)} (${amzStamp(now)} - ${label})`,
  );
}

function signatureMismatch(): ApiError {
  return apiError(
    'SignatureDoesNotMatch',
    'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.',
  );
}

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v.join(',') : v;
}
