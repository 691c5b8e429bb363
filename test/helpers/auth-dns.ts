/**
 * Test helper: a static authoritative DNS server on 127.0.0.1 (UDP+TCP, port 0) that closes when
 * the test ends. Point `verificationResolver` at `resolverAddress` to verify private DNS names.
 */
import {
  startStaticZoneServer,
  type StaticZoneOptions,
  type StaticZoneServer,
} from '../../src/dns/static-zone-server.js';

type Hookable = { after(fn: () => unknown): void };

export interface AuthDns extends StaticZoneServer {
  /** `127.0.0.1:<port>`, the form `--verification-resolver` takes. */
  readonly resolverAddress: string;
}

export async function startAuthDns(
  t: Hookable,
  options: Omit<StaticZoneOptions, 'host'> = {},
): Promise<AuthDns> {
  const server = await startStaticZoneServer({ ...options, host: '127.0.0.1', port: options.port ?? 0 });
  t.after(() => server.close());
  return Object.assign(server, { resolverAddress: `127.0.0.1:${server.port}` });
}
