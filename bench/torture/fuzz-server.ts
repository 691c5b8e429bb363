/**
 * The fuzz campaign's server: one Privlink in a worker thread (in-memory store, no data plane, a
 * manual clock so nothing changes state on its own), so its event-loop delay is measured
 * without the client's work in it. Answers the campaign's messages: `stall` (max event-loop
 * delay since the last ask, then reset), `snapshot` (a digest of every stored object), `pool`
 * (the IDs the generator draws from), `save`/`restore` (put the world back), `errors` (lines
 * logged at error level).
 */
import { createHash } from 'node:crypto';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parentPort } from 'node:worker_threads';
import { Privlink } from '../../src/emulator.js';
import { KINDS } from '../../src/control/model/kinds.js';
import { ManualClock } from '../../src/shared/clock.js';
import { createLogger } from '../../src/shared/logger.js';
import { restoreWorld, saveWorld, snapshot, type SavedWorld } from '../../test/robustness/harness.js';

const errors: string[] = [];
const logger = createLogger('error', (line) => errors.push(line));
const p = new Privlink(
  { port: 0, ephemeral: true, logLevel: 'error', dataplane: 'off', dnsPort: -1, pendingMs: 50 },
  { clock: new ManualClock(Date.now()), logger },
);
await p.start();
const delay = monitorEventLoopDelay({ resolution: 5 });
delay.enable();
let saved: SavedWorld = [];

type Msg = { id: number; op: 'stall' | 'snapshot' | 'pool' | 'save' | 'restore' | 'errors' | 'close' };
parentPort?.on('message', (m: Msg) => {
  void (async () => {
    let out: unknown;
    switch (m.op) {
      case 'stall':
        out = delay.max / 1e6;
        delay.reset();
        break;
      case 'snapshot':
        out = createHash('sha1').update(snapshot(p)).digest('hex');
        break;
      case 'pool': {
        const ids: Record<string, Record<string, string[]>> = {};
        for (const k of KINDS) {
          for (const o of p.store.listAll(k)) {
            if (o.id.startsWith('arn:')) continue;
            const prefix = o.id.slice(0, o.id.lastIndexOf('-'));
            const acc = (ids[o.accountId] ??= {});
            (acc[prefix] ??= []).push(o.id);
          }
        }
        out = ids;
        break;
      }
      case 'save':
        saved = saveWorld(p);
        break;
      case 'restore':
        await restoreWorld(p, saved);
        break;
      case 'errors':
        out = errors.splice(0);
        break;
      case 'close':
        await p.close();
        break;
    }
    parentPort?.postMessage({ id: m.id, out });
  })();
});
parentPort?.postMessage({ url: p.url });
