/**
 * SigV4 at the edge: who is calling and in which region.
 *
 * Fidelity ledger
 * - Covered: Authorization header and presigned (X-Amz-*) query forms; account = a 12-digit access
 *   key ID, else 000000000000 (LocalStack's rule); region and service from the credential scope.
 *   Strict mode (--credentials FILE): unknown keys → InvalidClientTokenId (403), wrong signature →
 *   SignatureDoesNotMatch (403), unsigned → MissingAuthenticationToken (403); the signature is
 *   recomputed with @smithy/signature-v4 over the headers the client signed and the body bytes
 *   as received (a declared x-amz-content-sha256 must match them). Key IDs are looked up as own
 *   properties only (`__proto__` is an unknown key, not Object.prototype).
 * - Gaps: no clock-skew check (RequestExpired); session tokens are accepted, not validated.
 */
import { createHash } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import { Sha256 } from '@aws-crypto/sha256-js';
import type { CredentialEntry } from '../config/options.js';
import { apiError, type ApiError } from '../control/errors.js';
import type { Principal } from '../control/model/common.js';

export interface AuthInfo {
  accessKeyId?: string;
  region?: string;
  service?: string;
  date?: string;
  signedHeaders?: string[];
  signature?: string;
  presigned: boolean;
}

const AUTH_RE =
  /^AWS4-HMAC-SHA256\s+Credential=([^/,\s]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request,\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-f]+)\s*$/i;

export function parseAuth(authorization: string | undefined, query: URLSearchParams): AuthInfo {
  if (authorization) {
    const m = AUTH_RE.exec(authorization.trim());
    if (!m) {
      // Some tools send other schemes; the scope is then unknown but the request is not refused
      // unless strict mode demands a signature.
      return { presigned: false };
    }
    return {
      accessKeyId: m[1],
      date: m[2],
      region: m[3],
      service: m[4],
      signedHeaders: (m[5] ?? '').toLowerCase().split(';'),
      signature: m[6]?.toLowerCase(),
      presigned: false,
    };
  }
  const cred = query.get('X-Amz-Credential');
  if (cred) {
    const [akid, date, region, service] = cred.split('/');
    return {
      accessKeyId: akid,
      date,
      region,
      service,
      signedHeaders: query.get('X-Amz-SignedHeaders')?.toLowerCase().split(';'),
      signature: query.get('X-Amz-Signature')?.toLowerCase(),
      presigned: true,
    };
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
}

/** Strict mode: recompute the signature and compare. Throws an ApiError when it does not match. */
export async function verifySignature(
  req: RawRequest,
  auth: AuthInfo,
  creds: Record<string, CredentialEntry>,
): Promise<void> {
  if (!auth.accessKeyId || !auth.signature || !auth.region || !auth.service || !auth.signedHeaders) {
    throw apiError('MissingAuthenticationToken', 'Request is missing Authentication Token');
  }
  const entry = credentialFor(creds, auth.accessKeyId);
  if (!entry) {
    throw apiError('InvalidClientTokenId', 'The security token included in the request is invalid.');
  }
  const amzDate = auth.presigned ? req.query.get('X-Amz-Date') : headerValue(req.headers['x-amz-date']);
  if (!amzDate || !/^\d{8}T\d{6}Z$/.test(amzDate)) {
    throw apiError('IncompleteSignature', 'Request must contain a valid X-Amz-Date');
  }
  // The signer takes a declared payload hash on trust, so check it against the bytes received:
  // otherwise a body could be swapped under a valid signature.
  const declaredHash = headerValue(req.headers['x-amz-content-sha256']);
  if (declaredHash !== undefined && declaredHash !== createHash('sha256').update(req.body).digest('hex')) {
    throw signatureMismatch();
  }
  const signingDate = new Date(
    `${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`,
  );
  const signer = new SignatureV4({
    credentials: {
      accessKeyId: auth.accessKeyId,
      secretAccessKey: entry.secretAccessKey,
      sessionToken: headerValue(req.headers['x-amz-security-token']),
    },
    region: auth.region,
    service: auth.service,
    sha256: Sha256,
    uriEscapePath: true,
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
      expiresIn: Number(req.query.get('X-Amz-Expires') ?? '900'),
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
  if (expected !== auth.signature) throw signatureMismatch();
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
