/**
 * Forwards queries for names privlink does not own to one upstream resolver (`--dns-upstream
 * HOST:PORT`). The upstream must be a loopback address: privlink never sends DNS off the machine,
 * and never reads /etc/resolv.conf (its nameserver is not on loopback here).
 *
 * UDP queries share one socket; each gets a fresh message ID (mapped back on the reply) and a
 * deadline. TCP queries open one short connection each. No answer in time → undefined, and the
 * resolver answers SERVFAIL.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import type { Transport, Upstream } from './resolver.js';

const TIMEOUT_MS = 2000;

export class UpstreamError extends Error {
  override name = 'UpstreamError';
}

/** Parses and checks HOST:PORT (IPv4 loopback or `localhost`). */
export function parseUpstream(spec: string): { host: string; port: number } {
  const m = /^(.+):(\d{1,5})$/.exec(spec);
  const host = m?.[1] === 'localhost' ? '127.0.0.1' : m?.[1];
  const port = Number(m?.[2]);
  if (!host || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new UpstreamError(`--dns-upstream must be HOST:PORT, got ${spec}`);
  }
  if (!/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)) {
    throw new UpstreamError(`--dns-upstream must be a loopback address (127.0.0.0/8), got ${host}`);
  }
  return { host, port };
}

interface Pending {
  originalId: number;
  resolve: (b: Buffer | undefined) => void;
  timer: NodeJS.Timeout;
}

export class Forwarder implements Upstream {
  private udp: dgram.Socket | undefined;
  private readonly pending = new Map<number, Pending>();
  private readonly tcpSockets = new Set<net.Socket>();
  private nextId = 1;
  private closed = false;

  constructor(
    readonly host: string,
    readonly port: number,
    private readonly timeoutMs = TIMEOUT_MS,
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
    return new Promise((resolve) => {
      const sock = net.connect({ host: this.host, port: this.port });
      this.tcpSockets.add(sock);
      let buf = Buffer.alloc(0);
      let done = false;
      const finish = (v: Buffer | undefined) => {
        if (done) return;
        done = true;
        sock.destroy();
        resolve(v);
      };
      sock.setTimeout(this.timeoutMs, () => finish(undefined));
      sock.on('connect', () => {
        const len = Buffer.alloc(2);
        len.writeUInt16BE(query.length);
        sock.write(Buffer.concat([len, query]));
      });
      sock.on('data', (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        if (buf.length < 2) return;
        const n = buf.readUInt16BE(0);
        if (buf.length >= 2 + n) finish(buf.subarray(2, 2 + n));
      });
      sock.on('error', () => finish(undefined));
      sock.on('close', () => {
        this.tcpSockets.delete(sock);
        finish(undefined);
      });
    });
  }

  close(): void {
    this.closed = true;
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.resolve(undefined);
    }
    this.pending.clear();
    for (const s of this.tcpSockets) s.destroy();
    this.udp?.close();
    this.udp = undefined;
  }
}
