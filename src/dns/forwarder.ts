/**
 * Forwards queries for names privlink does not own to one upstream resolver (`--dns-upstream
 * HOST:PORT`). The upstream must be a loopback address: privlink never sends DNS off the machine,
 * and never reads /etc/resolv.conf (its nameserver is not on loopback here).
 *
 * UDP queries share one socket; each gets a fresh message ID (mapped back on the reply) and a
 * deadline. TCP queries open one short connection each (the shared client in adapters/dns-client.ts). No answer in time → undefined, and the
 * resolver answers SERVFAIL.
 */
import dgram from 'node:dgram';
import { DNS_TIMEOUT_MS, tcpExchange } from '../adapters/dns-client.js';
import { parseLoopbackHostPort, type HostPort } from '../adapters/host-port.js';
import type { Transport, Upstream } from './resolver.js';

export class UpstreamError extends Error {
  override name = 'UpstreamError';
}

/** Parses and checks HOST:PORT (IPv4 loopback or `localhost`) with the shared parser. */
export function parseUpstream(spec: string): HostPort {
  try {
    return parseLoopbackHostPort(spec);
  } catch (e) {
    throw new UpstreamError(`--dns-upstream ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}

interface Pending {
  originalId: number;
  resolve: (b: Buffer | undefined) => void;
  timer: NodeJS.Timeout;
}

export class Forwarder implements Upstream {
  private udp: dgram.Socket | undefined;
  private readonly pending = new Map<number, Pending>();
  /** Aborts the TCP exchanges in flight at close. */
  private readonly abort = new AbortController();
  private nextId = 1;
  private closed = false;

  constructor(
    readonly host: string,
    readonly port: number,
    private readonly timeoutMs = DNS_TIMEOUT_MS,
  ) {}

  async forward(query: Buffer, transport: Transport): Promise<Buffer | undefined> {
    if (this.closed || query.length < 12) return undefined;
    return transport === 'udp' ? this.viaUdp(query) : this.viaTcp(query);
  }

  private socket(): dgram.Socket {
    if (this.udp) return this.udp;
    const s = dgram.createSocket('udp4');
    s.on('message', (msg, rinfo) => {
      if (msg.length < 12 || rinfo.port !== this.port) return;
      const p = this.pending.get(msg.readUInt16BE(0));
      if (!p) return;
      this.pending.delete(msg.readUInt16BE(0));
      clearTimeout(p.timer);
      const out = Buffer.from(msg);
      out.writeUInt16BE(p.originalId, 0);
      p.resolve(out);
    });
    s.on('error', () => undefined);
    s.unref();
    this.udp = s;
    return s;
  }

  private freeId(): number | undefined {
    for (let i = 0; i < 65536; i++) {
      const id = this.nextId;
      this.nextId = (this.nextId + 1) & 0xffff;
      if (!this.pending.has(id)) return id;
    }
    return undefined;
  }

  private viaUdp(query: Buffer): Promise<Buffer | undefined> {
    const id = this.freeId();
    if (id === undefined) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const out = Buffer.from(query);
      const originalId = out.readUInt16BE(0);
      out.writeUInt16BE(id, 0);
      const timer = setTimeout(() => {
        this.pending.delete(id);
        resolve(undefined);
      }, this.timeoutMs);
      this.pending.set(id, { originalId, resolve, timer });
      this.socket().send(out, this.port, this.host, (err) => {
        if (!err) return;
        clearTimeout(timer);
        this.pending.delete(id);
        resolve(undefined);
      });
    });
  }

  private viaTcp(query: Buffer): Promise<Buffer | undefined> {
    return tcpExchange(this, query, { timeoutMs: this.timeoutMs, signal: this.abort.signal }).catch(
      () => undefined,
    );
  }

  close(): void {
    this.closed = true;
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.resolve(undefined);
    }
    this.pending.clear();
    this.abort.abort();
    this.udp?.close();
    this.udp = undefined;
  }
}
