/** A tiny DNS client for tests: one question over UDP or TCP (2-byte framing) to 127.0.0.1. */
import dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket from 'dns-packet';
import type { Answer, DecodedPacket, Packet, RecordType } from 'dns-packet';
import { run } from '../../src/dataplane/netns/run.js';

export interface QueryOptions {
  host?: string;
  transport?: 'udp' | 'tcp';
  /** Add an OPT record with this payload size. */
  edns?: number;
  id?: number;
  timeoutMs?: number;
}

export function buildQuery(name: string, type: string, o: QueryOptions = {}): Buffer {
  const packet: Packet = {
    type: 'query',
    id: o.id ?? 4242,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ type: type as RecordType, name }],
    additionals:
      o.edns !== undefined
        ? [
            {
              type: 'OPT',
              name: '.',
              udpPayloadSize: o.edns,
              extendedRcode: 0,
              ednsVersion: 0,
              flags: 0,
              flag_do: false,
              options: [],
            },
          ]
        : [],
  };
  return dnsPacket.encode(packet);
}

export function sendRaw(port: number, msg: Buffer, o: QueryOptions = {}): Promise<Buffer> {
  const host = o.host ?? '127.0.0.1';
  const timeoutMs = o.timeoutMs ?? 3000;
  if ((o.transport ?? 'udp') === 'udp') {
    return new Promise((resolve, reject) => {
      const s = dgram.createSocket('udp4');
      const timer = setTimeout(() => {
        s.close();
        reject(new Error('DNS query timed out'));
      }, timeoutMs);
      s.on('message', (m) => {
        clearTimeout(timer);
        s.close();
        resolve(m);
      });
      s.send(msg, port, host);
    });
  }
  return new Promise((resolve, reject) => {
    const s = net.connect({ host, port });
    let buf = Buffer.alloc(0);
    s.setTimeout(timeoutMs, () => {
      s.destroy();
      reject(new Error('DNS query over TCP timed out'));
    });
    s.on('connect', () => {
      const len = Buffer.alloc(2);
      len.writeUInt16BE(msg.length);
      s.write(Buffer.concat([len, msg]));
    });
    s.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        s.destroy();
        resolve(buf.subarray(2, 2 + buf.readUInt16BE(0)));
      }
    });
    s.on('error', reject);
  });
}

export async function query(
  port: number,
  name: string,
  type = 'A',
  o: QueryOptions = {},
): Promise<DecodedPacket> {
  return dnsPacket.decode(await sendRaw(port, buildQuery(name, type, o), o));
}

export function rcodeOf(p: DecodedPacket): string {
  return (p as DecodedPacket & { rcode?: string }).rcode ?? '';
}

export function addresses(p: DecodedPacket): string[] {
  return (p.answers ?? [])
    .filter((a): a is Answer & { data: string } => a.type === 'A' || a.type === 'AAAA')
    .map((a) => a.data)
    .sort();
}

/** `dig +short` style: runs dig (optionally inside a namespace) and returns the sorted lines. */
export async function dig(args: readonly string[], ns?: string): Promise<string[]> {
  const argv = ['dig', '+short', '+tries=1', '+time=2', ...args];
  const { stdout } = await run(ns ? ['ip', 'netns', 'exec', ns, ...argv] : argv);
  return stdout
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .sort();
}

/** dig's status line (NOERROR, NXDOMAIN, REFUSED…). */
export async function digStatus(args: readonly string[], ns?: string): Promise<string> {
  const argv = ['dig', '+tries=1', '+time=2', ...args];
  const { stdout } = await run(ns ? ['ip', 'netns', 'exec', ns, ...argv] : argv);
  return /status: (\w+)/.exec(stdout)?.[1] ?? `no status in: ${stdout.slice(0, 200)}`;
}
