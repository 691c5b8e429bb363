/**
 * A tiny authoritative DNS server for a fixed set of names: answers TXT and A questions over UDP
 * and TCP from an in-memory table, NXDOMAIN for names it does not hold, and an empty NOERROR
 * answer (NODATA) for a known name asked about another type.
 *
 * It exists so the private-DNS-name verification can do a real TXT lookup without touching the
 * internet: tests and `privlink demo` publish the verification record here and point
 * `--verification-resolver` at it. It listens on an explicit loopback address only.
 *
 * `truncateUdp` makes every UDP answer an empty reply with the TC bit set, so clients must retry
 * over TCP (how tests exercise the TCP fallback of a resolver client).
 */
import dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket from 'dns-packet';
import type { Answer, DecodedPacket, Packet } from 'dns-packet';

export interface StaticRecordSet {
  TXT?: string[];
  A?: string[];
}

export interface StaticZoneOptions {
  host?: string;
  /** 0 picks a free port (the same number for UDP and TCP). */
  port?: number;
  /** Name → records; names are case-insensitive, a trailing dot is ignored. */
  records?: Record<string, StaticRecordSet>;
  truncateUdp?: boolean;
  ttl?: number;
}

export interface StaticZoneServer {
  readonly host: string;
  readonly port: number;
  /** Replaces the TXT values of a name (an empty list removes them). */
  setTxt(name: string, values: readonly string[]): void;
  /** Replaces the A values of a name (an empty list removes them). */
  setA(name: string, values: readonly string[]): void;
  /** Questions answered so far (for tests). */
  readonly queries: { name: string; type: string; transport: 'udp' | 'tcp' }[];
  close(): Promise<void>;
}

const NXDOMAIN = 3;
const FORMERR = 1;

function norm(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** Starts the server; resolves once both UDP and TCP listen on the same port. */
export async function startStaticZoneServer(options: StaticZoneOptions = {}): Promise<StaticZoneServer> {
  const host = options.host ?? '127.0.0.1';
  if (!isLoopback(host)) throw new Error(`static zone server must listen on loopback, not ${host}`);
  const ttl = options.ttl ?? 60;
  const table = new Map<string, StaticRecordSet>();
  for (const [name, rs] of Object.entries(options.records ?? {})) table.set(norm(name), { ...rs });
  const queries: StaticZoneServer['queries'] = [];

  function answer(query: DecodedPacket, transport: 'udp' | 'tcp'): Buffer {
    const q = query.questions?.[0];
    const base: Packet = {
      type: 'response',
      id: query.id ?? 0,
      flags: dnsPacket.AUTHORITATIVE_ANSWER,
      questions: query.questions ?? [],
      answers: [],
    };
    if (!q) return dnsPacket.encode({ ...base, flags: (base.flags ?? 0) | FORMERR });
    queries.push({ name: q.name, type: q.type, transport });
    if (transport === 'udp' && options.truncateUdp) {
      return dnsPacket.encode({ ...base, flags: (base.flags ?? 0) | dnsPacket.TRUNCATED_RESPONSE });
    }
    const rs = table.get(norm(q.name));
    if (!rs) return dnsPacket.encode({ ...base, flags: (base.flags ?? 0) | NXDOMAIN });
    const answers: Answer[] = [];
    if (q.type === 'TXT') {
      for (const v of rs.TXT ?? []) answers.push({ type: 'TXT', name: q.name, ttl, class: 'IN', data: [v] });
    } else if (q.type === 'A') {
      for (const v of rs.A ?? []) answers.push({ type: 'A', name: q.name, ttl, class: 'IN', data: v });
    }
    return dnsPacket.encode({ ...base, answers });
  }

  function decode(buf: Buffer): DecodedPacket | undefined {
    try {
      return dnsPacket.decode(buf);
    } catch {
      return undefined;
    }
  }

  const makeUdp = (): dgram.Socket => {
    const sock = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
    sock.on('message', (msg, rinfo) => {
      const query = decode(msg);
      if (!query || query.type !== 'query') return;
      sock.send(answer(query, 'udp'), rinfo.port, rinfo.address);
    });
    return sock;
  };
  const sockets = new Set<net.Socket>();
  const tcp = net.createServer((sock) => {
    sockets.add(sock);
    sock.setTimeout(5000, () => sock.destroy());
    let buf = Buffer.alloc(0);
    sock.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 2) {
        const len = buf.readUInt16BE(0);
        if (buf.length < 2 + len) break;
        const query = decode(buf.subarray(2, 2 + len));
        buf = buf.subarray(2 + len);
        if (!query) {
          sock.destroy();
          return;
        }
        const out = answer(query, 'tcp');
        const prefix = Buffer.alloc(2);
        prefix.writeUInt16BE(out.length);
        sock.write(Buffer.concat([prefix, out]));
      }
    });
    sock.on('error', () => sock.destroy());
    sock.on('close', () => sockets.delete(sock));
  });

  const { udp, port } = await bindBoth(makeUdp, tcp, host, options.port ?? 0);

  let closed = false;
  return {
    host,
    port,
    queries,
    setTxt(name, values) {
      const key = norm(name);
      const rs: StaticRecordSet = { ...table.get(key), TXT: [...values] };
      if (values.length === 0) delete rs.TXT;
      if (!rs.TXT && !rs.A) table.delete(key);
      else table.set(key, rs);
    },
    setA(name, values) {
      const key = norm(name);
      const rs: StaticRecordSet = { ...table.get(key), A: [...values] };
      if (values.length === 0) delete rs.A;
      if (!rs.TXT && !rs.A) table.delete(key);
      else table.set(key, rs);
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const s of sockets) s.destroy();
      await Promise.all([
        new Promise<void>((r) => udp.close(() => r())),
        new Promise<void>((r) => tcp.close(() => r())),
      ]);
    },
  };
}

/** Binds UDP (port 0 picks one) then TCP on the same number, retrying if TCP's is taken. */
async function bindBoth(
  makeUdp: () => dgram.Socket,
  tcp: net.Server,
  host: string,
  port: number,
): Promise<{ udp: dgram.Socket; port: number }> {
  for (let attempt = 0; ; attempt++) {
    const udp = makeUdp();
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(port, host, () => {
        udp.off('error', reject);
        resolve();
      });
    });
    const chosen = udp.address().port;
    try {
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen(chosen, host, () => {
          tcp.off('error', reject);
          resolve();
        });
      });
      return { udp, port: chosen };
    } catch (e) {
      await new Promise<void>((r) => udp.close(() => r()));
      // Only when port 0 was asked for is another pair worth trying.
      if (port !== 0 || attempt >= 5) throw e;
    }
  }
}
