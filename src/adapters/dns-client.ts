/**
 * The DNS client privlink uses for every outbound query: one UDP or TCP exchange with a loopback
 * server (the `dns/` forwarder for its TCP leg, the TXT resolver for private DNS verification).
 * A query is sent as given and the first answer carrying its message ID is returned; no retries.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket from 'dns-packet';
import type { DecodedPacket, Packet } from 'dns-packet';
import type { TxtAnswer } from '../control/ports.js';
import type { HostPort } from './host-port.js';

export const DNS_TIMEOUT_MS = 2000;
const NXDOMAIN = 3;

export interface ExchangeOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** Sends one wire-format query over UDP from a fresh socket; resolves with the matching answer. */
export function udpExchange(server: HostPort, query: Buffer, opts: ExchangeOptions = {}): Promise<Buffer> {
  const timeoutMs = opts.timeoutMs ?? DNS_TIMEOUT_MS;
  const id = query.readUInt16BE(0);
  return new Promise((resolve, reject) => {
    const sock = dgram.createSocket(net.isIPv6(server.host) ? 'udp6' : 'udp4');
    const done = (err: Error | undefined, answer?: Buffer) => {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      sock.close();
      if (err || !answer) reject(err ?? new Error('no answer'));
      else resolve(answer);
    };
    const onAbort = () => done(new Error('aborted'));
    const timer = setTimeout(
      () => done(new Error(`no UDP answer from ${server.host}:${server.port} within ${timeoutMs} ms`)),
      timeoutMs,
    );
    if (opts.signal?.aborted) return done(new Error('aborted'));
    opts.signal?.addEventListener('abort', onAbort);
    sock.on('error', (e) => done(e));
    sock.on('message', (msg) => {
      if (msg.length >= 12 && msg.readUInt16BE(0) === id) done(undefined, Buffer.from(msg));
    });
    sock.send(query, server.port, server.host);
  });
}

/** Sends one wire-format query over a fresh TCP connection (length-prefixed); resolves with the answer. */
export function tcpExchange(server: HostPort, query: Buffer, opts: ExchangeOptions = {}): Promise<Buffer> {
  const timeoutMs = opts.timeoutMs ?? DNS_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: server.host, port: server.port });
    let buf = Buffer.alloc(0);
    let settled = false;
    const done = (err: Error | undefined, answer?: Buffer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      sock.destroy();
      if (err || !answer) reject(err ?? new Error('no answer'));
      else resolve(answer);
    };
    const onAbort = () => done(new Error('aborted'));
    const timer = setTimeout(
      () => done(new Error(`no TCP answer from ${server.host}:${server.port} within ${timeoutMs} ms`)),
      timeoutMs,
    );
    if (opts.signal?.aborted) return done(new Error('aborted'));
    opts.signal?.addEventListener('abort', onAbort);
    sock.on('error', (e) => done(e));
    sock.on('connect', () => {
      const len = Buffer.alloc(2);
      len.writeUInt16BE(query.length);
      sock.write(Buffer.concat([len, query]));
    });
    sock.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (buf.length < 2) return;
      const len = buf.readUInt16BE(0);
      if (buf.length >= 2 + len) done(undefined, Buffer.from(buf.subarray(2, 2 + len)));
    });
    sock.on('close', () => done(new Error('connection closed before a full answer')));
  });
}

function txtValues(p: DecodedPacket, name: string): TxtAnswer {
  if (((p.flags ?? 0) & 0xf) === NXDOMAIN) return { status: 'nxdomain' };
  const values: string[] = [];
  for (const a of p.answers ?? []) {
    if (a.type !== 'TXT' || a.name.toLowerCase() !== name.toLowerCase()) continue;
    const parts = Array.isArray(a.data) ? a.data : [a.data];
    // One TXT record may be split into several character-strings; they form one value.
    values.push(parts.map((x) => (typeof x === 'string' ? x : x.toString('utf8'))).join(''));
  }
  return { status: 'ok', values };
}

/** Looks up the TXT values of a name: UDP first, TCP when the UDP answer is truncated. */
export async function lookupTxt(
  server: HostPort,
  name: string,
  opts: { id?: number; signal?: AbortSignal } = {},
): Promise<TxtAnswer> {
  const packet: Packet = {
    type: 'query',
    id: opts.id ?? 0,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ type: 'TXT', name }],
  };
  const query = dnsPacket.encode(packet);
  let answer = dnsPacket.decode(await udpExchange(server, query, { signal: opts.signal }));
  if (answer.flag_tc) answer = dnsPacket.decode(await tcpExchange(server, query, { signal: opts.signal }));
  return txtValues(answer, name);
}
