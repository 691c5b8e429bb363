/**
 * Entry point of the fabric agent: a Node process started inside the fabric namespace
 * (`ip netns exec <prefix>-fabric node agent-main`) so that its outbound connections — PPv2
 * upstreams and health checks — originate in the fabric. It receives listening sockets bound in
 * endpoint namespaces over the IPC channel and serves them with `LocalProxyHost`. It exits when
 * the parent goes away (IPC disconnect), so it can never outlive privlink.
 */
import type { Server } from 'node:net';
import { LocalProxyHost } from './proxy-host.js';
import type { AgentReply, AgentRequest } from './agent-protocol.js';

const host = new LocalProxyHost();

async function handle(msg: AgentRequest, server: Server | undefined): Promise<unknown> {
  switch (msg.op) {
    case 'serve':
      if (!server) throw new Error('serve without a listening socket');
      await host.serve(msg.id, server, msg.spec);
      return undefined;
    case 'stop':
      await host.stop(msg.id);
      return undefined;
    case 'probe':
      return host.probe(msg.spec);
    case 'stats':
      return host.stats();
  }
}

process.on('message', (msg: AgentRequest, server: unknown) => {
  handle(msg, server as Server | undefined).then(
    (result) => send({ reqId: msg.reqId, ok: true, result }),
    (e: unknown) => send({ reqId: msg.reqId, ok: false, error: e instanceof Error ? e.message : String(e) }),
  );
});

function send(reply: AgentReply): void {
  if (process.connected) process.send?.(reply);
}

process.on('disconnect', () => {
  void host.close().finally(() => process.exit(0));
});
send({ reqId: 0, ok: true, result: 'ready' });
