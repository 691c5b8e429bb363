/**
 * Worker-thread entry: runs one Privlink (in-memory store, no data plane, no DNS) and posts its
 * URL. Denial-of-service tests talk to it from the main thread, so a request that would keep
 * the server's event loop busy for minutes fails the test on a deadline and the worker is
 * terminated instead of hanging the suite.
 */
import { parentPort } from 'node:worker_threads';
import { Privlink } from '../../src/emulator.js';

const p = new Privlink({ port: 0, ephemeral: true, logLevel: 'error', dataplane: 'off', dnsPort: -1 });
await p.start();
parentPort?.postMessage({ url: p.url });
parentPort?.on('message', (m: unknown) => {
  if (m === 'close') void p.close().then(() => process.exit(0));
});
