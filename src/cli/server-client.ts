/** How CLI commands find and talk to a running privlink (over HTTP only). */
import { parseArgs } from 'node:util';

export const DEFAULT_ENDPOINT = 'http://127.0.0.1:4599';

export function endpointFrom(flag: string | undefined): string {
  return (flag ?? process.env['PRIVLINK_ENDPOINT'] ?? DEFAULT_ENDPOINT).replace(/\/+$/, '');
}

export class ServerUnreachable extends Error {
  override name = 'ServerUnreachable';
}

/** GET/POST a privlink admin path; a clear error when nothing listens there. */
export async function admin<T>(endpoint: string, path: string, method: 'GET' | 'POST' = 'GET'): Promise<T> {
  let res: Response;
  try {
    res = await fetch(endpoint + path, { method, signal: AbortSignal.timeout(10_000) });
  } catch (e) {
    throw new ServerUnreachable(
      `no privlink server answers at ${endpoint} (${(e as Error).message}). Start one with 'privlink serve' or pass --endpoint-url.`,
      { cause: e },
    );
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
