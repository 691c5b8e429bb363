/**
 * DNS transports: serves a query handler over one UDP socket and one TCP server (RFC 1035 §4.2.2
 * two-byte length framing, several queries per connection, answers in any order per RFC 7766).
 *
 * TCP is bounded the way RFC 7766 §6.2 and well-kept resolvers (unbound's
 * `incoming-num-tcp`, `tcp-idle-timeout`) do: at most `maxConnections` connections (more are
 * closed at once), at most `maxInflightPerConnection` queries of one connection being answered
 * at a time, and no more reading while answers are waiting to be written beyond
 * `maxBufferedBytes` (a client that pipelines without reading is paused, not buffered for);
 * a connection with no traffic either way for `idleMs` is closed — which also ends a paused one
 * whose client never reads.
 *
 * A `DnsListener` owns its sockets: either bound here (`listenDns`, loopback only) or handed over
 * already bound (sockets opened inside a VPC namespace by ns-sockets). `close()` ends every open
 * connection and awaits both sockets.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import type { Transport } from './resolver.js';

export type QueryHandler = (msg: Buffer, transport: Transport) => Promise<Buffer | undefined>;

export interface TcpLimits {
  maxConnections: number;
  maxInflightPerConnection: number;
  /** Answers queued for a slow reader before its queries stop being read. */
  maxBufferedBytes: number;
  idleMs: number;
}

export const DEFAULT_TCP_LIMITS: TcpLimits = {
  maxConnections: 512,
  maxInflightPerConnection: 16,
  maxBufferedBytes: 64 * 1024,
  idleMs: 10_000,
};

export class DnsListener {
  private readonly conns = new Set<net.Socket>();
  private closed = false;
  private readonly limits: TcpLimits;
  private inflight = 0;

  constructor(
    readonly udp: dgram.Socket,
    readonly tcp: net.Server,
    private readonly handler: QueryHandler,
    private readonly onError: (e: unknown) => void = () => undefined,
    limits: Partial<TcpLimits> = {},
  ) {
    this.limits = { ...DEFAULT_TCP_LIMITS, ...limits };
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

  /** Open TCP connections and TCP queries being answered (for status and tests). */
  tcpStats(): { connections: number; inflight: number } {
    return { connections: this.conns.size, inflight: this.inflight };
  }

  private serveTcp(sock: net.Socket): void {
    const { maxConnections, maxInflightPerConnection, maxBufferedBytes, idleMs } = this.limits;
    if (this.closed || this.conns.size >= maxConnections) {
      sock.destroy();
      return;
    }
    this.conns.add(sock);
    sock.setNoDelay(true);
    sock.setTimeout(idleMs, () => sock.destroy());
    let buf: Buffer = Buffer.alloc(0);
    let inflight = 0;
    const blocked = () => inflight >= maxInflightPerConnection || sock.writableLength > maxBufferedBytes;
    const frameReady = () => buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0);
    const pump = (): void => {
      while (!sock.destroyed && !blocked() && frameReady()) {
        const len = buf.readUInt16BE(0);
        const msg = Buffer.from(buf.subarray(2, 2 + len));
        buf = buf.subarray(2 + len);
        inflight++;
        this.inflight++;
        this.handler(msg, 'tcp')
          .then(
            (out) => {
              if (!out || sock.destroyed || !sock.writable) return;
              const frame = Buffer.allocUnsafe(2 + out.length);
              frame.writeUInt16BE(out.length, 0);
              out.copy(frame, 2);
              sock.write(frame);
            },
            (e: unknown) => this.onError(e),
          )
          .finally(() => {
            inflight--;
            this.inflight--;
            pump();
          });
      }
      // Read on only when no complete query is waiting and there is room to answer it.
      if (sock.destroyed) return;
      if (blocked() || frameReady()) sock.pause();
      else if (sock.isPaused()) sock.resume();
    };
    sock.on('data', (chunk: Buffer) => {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      pump();
    });
    sock.on('drain', pump);
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
  limits?: Partial<TcpLimits>,
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
      return new DnsListener(udp, tcp, handler, onError, limits);
    } catch (e) {
      await new Promise<void>((r) => udp.close(() => r()));
      // Only when any port will do is another pair worth trying.
      if (port !== 0 || attempt >= 5) throw e;
    }
  }
}
