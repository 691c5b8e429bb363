/**
 * Sockets bound inside a network namespace, owned by this process. Node cannot call setns(), but
 * it can receive socket handles: a short-lived helper started with `ip netns exec NS node -e …`
 * binds the requested listeners/UDP sockets there and sends the handles over its IPC channel,
 * then exits (docs/reference/dataplane.md §3.7). The returned servers accept connections that arrive inside NS.
 */
import type { Runner } from './runner.js';
import type { Server } from 'node:net';
import type { Socket as UdpSocket } from 'node:dgram';

export type NsSocketRequest =
  { type: 'tcp'; host: string; port: number; backlog?: number } | { type: 'udp'; host: string; port: number };

export type NsSocket =
  { type: 'tcp'; server: Server; port: number } | { type: 'udp'; socket: UdpSocket; port: number };

const CHILD = `
const net = require('net'), dgram = require('dgram');
const reqs = JSON.parse(process.argv[1]);
let pending = reqs.length;
const done = () => { if (--pending === 0) process.exit(0); };
const fail = (i, e) => { process.send({ i, ok: false, error: String(e && e.message || e) }, undefined, {}, () => process.exit(2)); };
reqs.forEach((r, i) => {
  if (r.type === 'tcp') {
    const s = net.createServer();
    s.once('error', (e) => fail(i, e));
    s.listen({ host: r.host, port: r.port, backlog: r.backlog || 4096 }, () => {
      process.send({ i, ok: true, port: s.address().port }, s, {}, done);
    });
  } else {
    const u = dgram.createSocket({ type: r.host.includes(':') ? 'udp6' : 'udp4' });
    u.once('error', (e) => fail(i, e));
    u.bind({ address: r.host, port: r.port, exclusive: true }, () => {
      process.send({ i, ok: true, port: u.address().port }, u, {}, done);
    });
  }
});
if (reqs.length === 0) process.exit(0);
`;

/** Binds all requests inside namespace `ns` (all or nothing). */
export function openInNamespace(
  runner: Runner,
  ns: string,
  requests: readonly NsSocketRequest[],
  timeoutMs = 10_000,
): Promise<NsSocket[]> {
  return new Promise((resolve, reject) => {
    const child = runner.spawn(
      ['ip', 'netns', 'exec', ns, process.execPath, '-e', CHILD, JSON.stringify(requests)],
      { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] },
    );
    const results: (NsSocket | undefined)[] = new Array<NsSocket | undefined>(requests.length);
    let stderr = '';
    let failed: string | undefined;
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      failed = `timed out binding sockets in ${ns}`;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('message', (msg: { i: number; ok: boolean; port?: number; error?: string }, handle: unknown) => {
      const req = requests[msg.i];
      if (!msg.ok || !req) {
        failed = `binding ${JSON.stringify(req)} in ${ns}: ${msg.error ?? 'unknown error'}`;
        return;
      }
      results[msg.i] =
        req.type === 'tcp'
          ? { type: 'tcp', server: handle as Server, port: msg.port ?? req.port }
          : { type: 'udp', socket: handle as UdpSocket, port: msg.port ?? req.port };
    });
    child.on('error', (e) => {
      failed = e.message;
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      const got = results.filter((r): r is NsSocket => r !== undefined);
      if (!failed && got.length === requests.length) {
        resolve(got);
        return;
      }
      for (const r of got) {
        if (r.type === 'tcp') r.server.close();
        else r.socket.close();
      }
      reject(
        new Error(failed ?? `socket helper in ${ns} exited with ${code}: ${stderr.trim().slice(0, 300)}`),
      );
    });
  });
}
