/**
 * How CLI commands find and talk to a running privlink (over HTTP only). Admin requests are
 * SigV4-signed (service `privlink`) when AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are set: a
 * server started with --credentials answers status and reset only to a key marked admin.
 */
import { parseArgs } from 'node:util';
import { SignatureV4 } from '@smithy/signature-v4';
import { Sha256 } from '@aws-crypto/sha256-js';

export const DEFAULT_ENDPOINT = 'http://127.0.0.1:4599';

export function endpointFrom(flag: string | undefined): string {
  return (flag ?? process.env['PRIVLINK_ENDPOINT'] ?? DEFAULT_ENDPOINT).replace(/\/+$/, '');
}

export class ServerUnreachable extends Error {
  override name = 'ServerUnreachable';
}

/** Signs an admin request with the environment's AWS credentials, if there are any. */
async function signedHeaders(
  url: URL,
  method: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Record<string, string>> {
  const accessKeyId = env['AWS_ACCESS_KEY_ID'];
  const secretAccessKey = env['AWS_SECRET_ACCESS_KEY'];
  if (!accessKeyId || !secretAccessKey) return {};
  const signer = new SignatureV4({
    credentials: { accessKeyId, secretAccessKey, sessionToken: env['AWS_SESSION_TOKEN'] || undefined },
    region: env['AWS_REGION'] || env['AWS_DEFAULT_REGION'] || 'us-east-1',
    service: 'privlink',
    sha256: Sha256,
  });
  const signed = await signer.sign({
    method,
    protocol: url.protocol,
    hostname: url.hostname,
    ...(url.port ? { port: Number(url.port) } : {}),
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    headers: { host: url.host },
    body: '',
  });
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(signed.headers)) if (k !== 'host') out[k] = String(v);
  return out;
}

/** GET/POST a privlink admin path; a clear error when nothing listens there. */
export async function admin<T>(endpoint: string, path: string, method: 'GET' | 'POST' = 'GET'): Promise<T> {
  let res: Response;
  try {
    const url = new URL(endpoint + path);
    const headers = await signedHeaders(url, method);
    res = await fetch(url, { method, headers, signal: AbortSignal.timeout(10_000) });
  } catch (e) {
    throw new ServerUnreachable(
      `no privlink server answers at ${endpoint} (${(e as Error).message}). Start one with 'privlink serve' or pass --endpoint-url.`,
      { cause: e },
    );
  }
  if (res.status === 403 && path !== '/_privlink/health') {
    const text = (await res.text()).slice(0, 300);
    const hint = process.env['AWS_ACCESS_KEY_ID']
      ? `the key in AWS_ACCESS_KEY_ID must be marked "admin": true in the server's credentials file`
      : `the server verifies signatures (--credentials): set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY to an admin key of its credentials file`;
    throw new Error(`${method} ${path} → HTTP 403: ${text}\n${hint}`);
  }
  if (!res.ok) throw new Error(`${method} ${path} → HTTP ${res.status}: ${(await res.text()).slice(0, 300)}`);
  return (await res.json()) as T;
}

/** Parses the common `--endpoint-url`, `--json` and `--help` flags. */
export function parseCommon(argv: string[]): {
  endpoint: string;
  help: boolean;
  json: boolean;
  positionals: string[];
} {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      'endpoint-url': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
      json: { type: 'boolean' },
    },
    allowPositionals: true,
    strict: true,
  });
  return {
    endpoint: endpointFrom(values['endpoint-url']),
    help: values.help ?? false,
    json: values.json ?? false,
    positionals,
  };
}
