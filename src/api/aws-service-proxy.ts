/**
 * S3 and DynamoDB requests that arrive through an endpoint (interface, or gateway once routed):
 * the service is told by the Host the client used (`s3.<region>.amazonaws.com`, a bucket under
 * it, `dynamodb.<region>…`, or an endpoint-specific `….s3.<region>.vpce.amazonaws.com` name), the
 * request is mapped to its IAM action and resources, judged against the endpoint's policy, and
 * forwarded to the backend `privlink serve --aws-service s3=URL` names.
 *
 * Fidelity ledger:
 * - Covered: a denial answers as the service does (S3 403 AccessDenied XML, DynamoDB 400
 *   AccessDeniedException) with the "VPC endpoint policy" wording; a backend that cannot be
 *   reached answers 503 ServiceUnavailable within the connect timeout (2 s), never hangs; a
 *   service without a backend answers 503 naming the missing `--aws-service` flag.
 *   With --credentials the caller's SigV4 signature is verified before the policy is judged (the
 *   principal comes from a verified key, never from a key ID alone), with S3's signing rules
 *   (path escaped once; header and presigned forms).
 * - Gaps: an S3 body is streamed to the backend, so a declared payload hash is signed but not
 *   compared with the bytes (UNSIGNED-PAYLOAD and streaming bodies are what clients send over
 *   HTTPS anyway); S3 POST DeleteObjects is judged on its bucket only.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Control } from '../control/control.js';
import type { EndpointOrigin } from '../control/privatelink/endpoint-authorization.js';
import { authorizeEndpointRequest } from '../control/privatelink/endpoint-authorization.js';
import {
  RequestMappingError,
  dynamodbRequestAction,
  s3RequestAction,
  type RequestAction,
} from '../control/policy/request-actions.js';
import { dynamodbAccessDenied, s3AccessDenied } from '../control/policy/denial.js';
import type { CredentialEntry } from '../config/options.js';
import { parseAuth, principalFor, verifySignature } from './auth.js';
import { isApiError } from '../control/errors.js';

export type ProxiedService = 's3' | 'dynamodb';

/** Forwards one request to a backend (an adapter: the only outbound HTTP of the API). */
export interface AwsBackends {
  /** Whether a backend is configured for the service. */
  has(service: ProxiedService): boolean;
  /**
   * Sends the request (body: the buffered body, or the live request stream) and pipes the
   * answer into res. Rejects when the backend cannot be reached before an answer started.
   */
  forward(
    service: ProxiedService,
    region: string,
    req: IncomingMessage,
    body: Buffer | IncomingMessage,
    res: ServerResponse,
  ): Promise<void>;
}

const REGION = '([a-z]{2}(?:-[a-z]+)+-\\d+)';
const S3_HOST = new RegExp(`(?:^|\\.)s3\\.${REGION}\\.(?:vpce\\.)?amazonaws\\.com$`);
const DDB_HOST = new RegExp(`(?:^|\\.)dynamodb\\.${REGION}\\.(?:vpce\\.)?amazonaws\\.com$`);
const DDB_MAX_BODY = 16 * 1024 * 1024;

/** Which proxied service a Host names, with its region. */
export function proxiedServiceOf(
  host: string | undefined,
): { service: ProxiedService; region: string } | undefined {
  const h = (host ?? '').toLowerCase().replace(/:\d+$/, '');
  const s3 = S3_HOST.exec(h);
  if (s3?.[1]) return { service: 's3', region: s3[1] };
  const ddb = DDB_HOST.exec(h);
  if (ddb?.[1]) return { service: 'dynamodb', region: ddb[1] };
  return undefined;
}

function send(
  res: ServerResponse,
  status: number,
  contentType: string,
  body: string,
  requestId: string,
): void {
  res.writeHead(status, {
    'content-type': contentType,
    'content-length': String(Buffer.byteLength(body)),
    'x-amz-request-id': requestId,
    'x-amzn-requestid': requestId,
  });
  res.end(body);
}

function serviceError(
  service: ProxiedService,
  status: number,
  code: string,
  message: string,
  requestId: string,
): { status: number; contentType: string; body: string } {
  if (service === 'dynamodb') {
    return {
      status,
      contentType: 'application/x-amz-json-1.0',
      body: JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${code}`, message }),
    };
  }
  const esc = message.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  return {
    status,
    contentType: 'application/xml',
    body: `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${esc}</Message><RequestId>${requestId}</RequestId></Error>`,
  };
}

function readAll(req: IncomingMessage, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > max) {
        req.destroy();
        reject(new Error('body too large'));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export interface ProxyDeps {
  control: Control;
  backends: AwsBackends;
  credentials?: Record<string, CredentialEntry>;
}

/**
 * Serves req when its Host names S3 or DynamoDB; false when it is not this module's (the query
 * API pipeline takes it).
 */
export async function proxyAwsServiceRequest(
  deps: ProxyDeps,
  req: IncomingMessage,
  res: ServerResponse,
  origin: EndpointOrigin,
  requestId: string,
): Promise<boolean> {
  const target = proxiedServiceOf(req.headers.host);
  if (!target) return false;
  const { service, region } = target;
  const fail = (status: number, code: string, message: string) => {
    req.resume();
    const e = serviceError(service, status, code, message, requestId);
    send(res, e.status, e.contentType, e.body, requestId);
  };
  if (!deps.backends.has(service)) {
    fail(
      503,
      'ServiceUnavailable',
      `privlink has no ${service} backend: start it with --aws-service ${service}=URL`,
    );
    return true;
  }
  const url = new URL(req.url ?? '/', 'http://x');
  const authHeader = req.headers.authorization;
  const auth = parseAuth(Array.isArray(authHeader) ? authHeader[0] : authHeader, url.searchParams);
  const principal = principalFor(auth.accessKeyId, deps.credentials);
  let body: Buffer | IncomingMessage = req;
  if (deps.credentials) {
    // DynamoDB bodies are small and read whole, so their hash is checked too; S3's stream on.
    if (service === 'dynamodb') body = await readAll(req, DDB_MAX_BODY).catch(() => Buffer.alloc(0));
    try {
      await verifySignature(
        {
          method: req.method ?? 'GET',
          path: url.pathname,
          query: url.searchParams,
          headers: req.headers,
          body: Buffer.isBuffer(body) ? body : Buffer.alloc(0),
        },
        auth,
        deps.credentials,
        Date.now(),
        { uriEscapePath: service !== 's3', bodyRead: service === 'dynamodb' },
      );
    } catch (e) {
      if (!isApiError(e)) throw e;
      const status = e.code === 'MissingAuthenticationToken' || e.code === 'IncompleteSignature' ? 400 : 403;
      const code =
        service === 's3' && e.code === 'InvalidClientTokenId'
          ? 'InvalidAccessKeyId'
          : service === 'dynamodb' && e.code === 'SignatureDoesNotMatch'
            ? 'InvalidSignatureException'
            : service === 'dynamodb' && e.code === 'InvalidClientTokenId'
              ? 'UnrecognizedClientException'
              : e.code;
      fail(status, code, e.message);
      return true;
    }
  }
  let mapped: RequestAction;
  try {
    if (service === 'dynamodb') {
      if (!Buffer.isBuffer(body)) body = await readAll(req, DDB_MAX_BODY);
      const t = req.headers['x-amz-target'];
      mapped = dynamodbRequestAction(
        Array.isArray(t) ? t[0] : t,
        body.toString('utf8'),
        principal.accountId,
        region,
      );
    } else {
      mapped = s3RequestAction({
        method: req.method ?? 'GET',
        path: url.pathname,
        query: url.searchParams,
        host: req.headers.host,
        headers: req.headers,
      });
    }
  } catch (e) {
    if (e instanceof RequestMappingError) {
      fail(400, e.code, e.message || 'The request could not be read');
      return true;
    }
    fail(400, 'InvalidRequest', 'The request body could not be read');
    return true;
  }
  const verdict = await authorizeEndpointRequest(
    deps.control,
    origin,
    principal,
    mapped.action,
    mapped.resources,
  );
  if (!verdict.allowed) {
    req.resume();
    const d =
      service === 's3' ? s3AccessDenied(verdict.message, requestId) : dynamodbAccessDenied(verdict.message);
    send(res, d.status, d.contentType, d.body, requestId);
    return true;
  }
  try {
    await deps.backends.forward(service, region, req, body, res);
  } catch (e) {
    if (!res.headersSent) {
      fail(
        503,
        'ServiceUnavailable',
        `The ${service} backend did not answer: ${e instanceof Error ? e.message : String(e)}`,
      );
    } else res.destroy();
  }
  return true;
}
