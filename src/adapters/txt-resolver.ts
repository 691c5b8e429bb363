/**
 * The TXT resolver port (control/ports.ts) over the shared DNS client: private DNS name
 * verification asks it for `<name>.<domain>` records. The resolver is `--verification-resolver
 * HOST:PORT` and must be a loopback address; a bad setting makes every lookup fail with the
 * reason, so verification ends `failed` and the log says why.
 */
import type { TxtResolver } from '../control/ports.js';
import { lookupTxt } from './dns-client.js';
import { parseLoopbackHostPort } from './host-port.js';

/** `nextId` supplies DNS message IDs (from the injected ID source, like every other identifier). */
export function createTxtResolver(setting: string, nextId: () => number): TxtResolver {
  return {
    lookupTxt: async (name, signal) => {
      let server;
      try {
        server = parseLoopbackHostPort(setting, { allowIpv6: true });
      } catch (e) {
        throw new Error(`--verification-resolver ${e instanceof Error ? e.message : String(e)}`, {
          cause: e,
        });
      }
      return lookupTxt(server, name, { id: nextId(), signal });
    },
  };
}
