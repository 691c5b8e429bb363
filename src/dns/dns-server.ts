/**
 * DNS transports: serves a query handler over one UDP socket and one TCP server (RFC 1035 §4.2.2
 * two-byte length framing, several queries per connection, answers in any order per RFC 7766).
 *
 * A `DnsListener` owns its sockets: either bound here (`listenDns`, loopback only) or handed over
 * already bound (sockets opened inside a VPC namespace by ns-sockets). `close()` ends every open
 * connection and awaits both sockets.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import type { Transport } from './resolver.js';

export type QueryHandler = (msg: Buffer, transport: Transport) => Promise<Buffer | undefined>;

const TCP_IDLE_MS = 10_000;
const MAX_TCP_CONNECTIONS = 512;

export class DnsListener {
  private readonly conns = new Set<net.Socket>();
  private closed = false;

  constructor(
    readonly udp: dgram.Socket,
    readonly tcp: net.Server,
    private readonly handler: QueryHandler,
    private readonly onError: (e: unknown) => void = () => undefined,
  ) {
    udp.on('message', (msg, rinfo) => {
      this.handler(msg, 'udp').then(
        (out) => {
          if (out && !this.closed) udp.send(out, rinfo.port, rinfo.address, () => undefined);
        },
        (e: unknown) => this.onError(e),
      );
    });
    udp.on('error', (e) => this.onError(e));
    tcp.on('connection', (sock) => this.serveTcp(sock));
    tcp.on('error', (e) => this.onError(e));
  }

  /** The port both sockets listen on. */
  get port(): number {
    return this.udp.address().port;
  }

  private serveTcp(sock: net.Socket): void {
    if (this.closed || this.conns.size >= MAX_TCP_CONNECTIONS) {
      sock.destroy();
      return;
    }
    this.conns.add(sock);
    sock.setNoDelay(true);
    sock.setTimeout(TCP_IDLE_MS, () => sock.destroy());
    let buf: Buffer = Buffer.alloc(0);
    sock.on('data', (chunk: Buffer) => {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      while (buf.length >= 2) {
        const len = buf.readUInt16BE(0);
        if (buf.length < 2 + len) break;
        const msg = buf.subarray(2, 2 + len);
        buf = buf.subarray(2 + len);
        this.handler(msg, 'tcp').then(
          (out) => {
            if (!out || sock.destroyed) return;
            const frame = Buffer.allocUnsafe(2 + out.length);
            frame.writeUInt16BE(out.length, 0);
            out.copy(frame, 2);
            sock.write(frame);
          },
          (e: unknown) => this.onError(e),
        );
      }
    });
    sock.on('error', () => sock.destroy());
    sock.on('close', () => this.conns.delete(sock));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const s of this.conns) s.destroy();
    await Promise.all([
      new Promise<void>((r) => {
        try {
          this.udp.close(() => r());
        } catch {
          r();
        }
      }),
      new Promise<void>((r) => this.tcp.close(() => r())),
    ]);
  }
}

function isLoopback(host: string): boolean {
  return host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** Binds UDP and TCP on the same loopback port (0 picks one free for both). */
export async function listenDns(
  host: string,
  port: number,
  handler: QueryHandler,
  onError?: (e: unknown) => void,
): Promise<DnsListener> {
  if (!isLoopback(host)) throw new Error(`the DNS server listens on loopback only, not ${host}`);
  for (let attempt = 0; ; attempt++) {
    const udp = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(port, host, () => {
        udp.off('error', reject);
        resolve();
      });
    });
    const chosen = udp.address().port;
    const tcp = net.createServer();
    try {
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen(chosen, host, () => {
          tcp.off('error', reject);
          resolve();
        });
      });
      return new DnsListener(udp, tcp, handler, onError);
    } catch (e) {
      await new Promise<void>((r) => udp.close(() => r()));
      // Only when any port will do is another pair worth trying.
      if (port !== 0 || attempt >= 5) throw e;
    }
  }
}
