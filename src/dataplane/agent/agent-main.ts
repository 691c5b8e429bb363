/**
 * Entry point of the fabric agent: a Node process started inside the fabric namespace
 * (`ip netns exec <prefix>-fabric node agent-main`) so that its outbound connections — PPv2
 * upstreams and health checks — originate in the fabric. It receives listening sockets bound in
 * endpoint namespaces over the IPC channel and serves them with `LocalProxyHost` on its main
 * thread and on one proxy thread per further core (proxy-threads.ts): privlink hands over one
 * copy of each listening socket per thread (`slot`), and the kernel spreads the accepts. Health
 * probes run on the main thread. It exits when the parent goes away (IPC disconnect), so it can
 * never outlive privlink; a proxy thread that dies takes the agent down (privlink restarts it).
 */
import net, { type Server } from 'node:net';
import { LocalProxyHost, type ProxyStats } from './proxy-host.js';
import { ProxyThreads, proxyThreadCount } from './proxy-threads.js';
import type { AgentHello, AgentReply, AgentRequest } from './agent-protocol.js';

const host = new LocalProxyHost();
const threads = new ProxyThreads(proxyThreadCount() - 1, (why) => {
  console.error(`privlink fabric agent: ${why}; exiting`);
  process.exit(1);
});

/** A raw listening handle (a slot > 0 copy): its fd, which the proxy thread will own. */
function fdOf(handle: unknown): number {
  const fd = (handle as { fd?: unknown } | undefined)?.fd;
  if (typeof fd !== 'number' || fd < 0) throw new Error('serve without a listening socket');
  return fd;
}

/**
 * Raw handles whose fd a proxy thread now owns and closes. They are never used or closed here
 * (that would close whatever reuses the fd number); referenced so their lifetime is explicit.
 */
const handedOver = new Map<string, unknown[]>();

async function handle(msg: AgentRequest, received: unknown): Promise<unknown> {
  switch (msg.op) {
    case 'serve': {
      const slot = msg.slot ?? 0;
      if (slot === 0) {
        if (!(received instanceof net.Server)) throw new Error('serve without a listening socket');
        await host.serve(msg.id, received as Server, msg.spec);
        return undefined;
      }
      const fd = fdOf(received);
      handedOver.set(msg.id, [...(handedOver.get(msg.id) ?? []), received]);
      await threads.serve(slot, msg.id, fd, msg.spec);
      return undefined;
    }
    case 'stop':
      await Promise.all([host.stop(msg.id), threads.stop(msg.id)]);
      handedOver.delete(msg.id);
      return undefined;
    case 'probe':
      return host.probe(msg.spec);
    case 'stats': {
      const all = [await host.stats(), ...(await threads.stats())];
      return {
        proxies: all[0]?.proxies ?? 0,
        open: all.reduce((n, s) => n + s.open, 0),
        accepted: all.reduce((n, s) => n + s.accepted, 0),
        threads: all.length,
      } satisfies ProxyStats;
    }
  }
}

process.on('message', (msg: AgentRequest, received: unknown) => {
  handle(msg, received).then(
    (result) => send({ reqId: msg.reqId, ok: true, result }),
    (e: unknown) => send({ reqId: msg.reqId, ok: false, error: e instanceof Error ? e.message : String(e) }),
  );
});

function send(reply: AgentReply): void {
  if (process.connected) process.send?.(reply);
}

process.on('disconnect', () => {
  void Promise.all([host.close(), threads.close()]).finally(() => process.exit(0));
});
send({ reqId: 0, ok: true, result: { threads: threads.size + 1 } satisfies AgentHello });
