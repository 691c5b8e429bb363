/**
 * A proxy thread of the fabric agent (worker_threads entry). It serves its own copy of each
 * listening socket — an fd the main thread received over IPC for this thread alone — with a
 * `LocalProxyHost`, so the kernel spreads accepts over the agent's threads and the PPv2 path
 * uses every core, the way HAProxy's threads do. It runs in the agent's process, hence in the
 * fabric namespace: its upstream connections originate there.
 */
import net from 'node:net';
import { parentPort } from 'node:worker_threads';
import { LocalProxyHost } from './proxy-host.js';
import type { AgentReply, WorkerRequest } from './agent-protocol.js';

const port = parentPort;
if (!port) throw new Error('proxy-worker must run as a worker thread');
const host = new LocalProxyHost();

async function handle(m: WorkerRequest): Promise<unknown> {
  switch (m.op) {
    case 'serve': {
      const server = net.createServer();
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ fd: m.fd }, () => resolve());
      });
      await host.serve(m.id, server, m.spec);
      return undefined;
    }
    case 'stop':
      await host.stop(m.id);
      return undefined;
    case 'stats':
      return host.stats();
    case 'close':
      await host.close();
      return undefined;
  }
}

port.on('message', (m: WorkerRequest) => {
  handle(m).then(
    (result) => port.postMessage({ reqId: m.reqId, ok: true, result } satisfies AgentReply),
    (e: unknown) =>
      port.postMessage({
        reqId: m.reqId,
        ok: false,
        error: e instanceof Error ? e.message : String(e),
      } satisfies AgentReply),
  );
});
