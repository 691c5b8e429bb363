/**
 * Answers one DNS message for a view: the protocol logic shared by the host resolver and every
 * VPC resolver (transports live in dns-server.ts, upstream forwarding in forwarder.ts).
 *
 * Fidelity ledger (RFC 1035, 2308, 6891; the Amazon-provided VPC resolver, 2025):
 * - Covered: A, AAAA and ANY from the records; SOA and NS at a zone apex; NODATA (NOERROR, no
 *   answer) for a name that exists without the asked type, NXDOMAIN for a missing name inside a
 *   zone, both with the zone's SOA in the authority section; AA on authoritative answers, RD
 *   copied, RA set (it is a recursive resolver to its clients); names compared case-insensitively
 *   and echoed as asked; EDNS0 (OPT echoed with our payload size, BADVERS for version > 0);
 *   answers larger than the UDP limit (512, or the client's EDNS size up to 1232) come back with
 *   TC set so the client retries over TCP; FORMERR for malformed questions, NOTIMP for opcodes
 *   other than QUERY, REFUSED for classes other than IN and when the view is switched off.
 * - Names outside every zone go to the configured loopback upstream, else SERVFAIL at once.
 * - By design: record TTL 60 s (AWS's vpce names), negative TTL 5 s (Route 53 uses the SOA
 *   minimum, often a day; short here so names follow state changes); SOA fields copy Route 53's
 *   private hosted zones except the minimum.
 */
import dnsPacket from 'dns-packet';
import type { Answer, DecodedPacket, OptAnswer, Packet, Question, SoaAnswer } from 'dns-packet';
import type { DnsView } from './views.js';
import type { LookupResult } from './record-table.js';

export type Transport = 'udp' | 'tcp';

/** Forwards a raw query upstream; resolves undefined when there is no answer. */
export interface Upstream {
  forward(query: Buffer, transport: Transport): Promise<Buffer | undefined>;
}

export const RECORD_TTL = 60;
export const NEGATIVE_TTL = 5;
/** EDNS payload size we advertise (the DNS flag day 2020 value). */
export const EDNS_PAYLOAD = 1232;
const SOA_MNAME = 'ns-1536.awsdns-00.co.uk';
const SOA_RNAME = 'awsdns-hostmaster.amazon.com';

const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
const AA = 0x0400;
const TC = 0x0200;
const RD = 0x0100;
const RA = 0x0080;
const CD = 0x0010;

interface Reply {
  rcode: number;
  aa: boolean;
  answers: Answer[];
  authorities: Answer[];
  /** EDNS extended rcode (upper 8 bits), for BADVERS. */
  extendedRcode?: number;
}

function soa(zone: string, serial: number): SoaAnswer {
  return {
    type: 'SOA',
    name: zone,
    ttl: NEGATIVE_TTL,
    class: 'IN',
    data: {
      mname: SOA_MNAME,
      rname: SOA_RNAME,
      serial: serial >>> 0,
      refresh: 7200,
      retry: 900,
      expire: 1209600,
      minimum: NEGATIVE_TTL,
    },
  };
}

/** A header-only reply for a message dns-packet could not decode (keeps the ID, FORMERR). */
function formErrFromRaw(msg: Buffer): Buffer | undefined {
  if (msg.length < 12) return undefined;
  if (msg.readUInt16BE(2) & 0x8000) return undefined; // a response: never answer it
  const out = Buffer.alloc(12);
  out.writeUInt16BE(msg.readUInt16BE(0), 0);
  const opcode = msg.readUInt16BE(2) & 0x7800;
  out.writeUInt16BE(0x8000 | opcode | (msg.readUInt16BE(2) & RD) | RA | RCODE.FORMERR, 2);
  return out;
}

function decode(msg: Buffer): DecodedPacket | undefined {
  try {
    return dnsPacket.decode(msg);
  } catch {
    return undefined;
  }
}

function lookupReply(view: DnsView, q: Question): Reply {
  // dns-packet's types omit the meta types (ANY = 255) that real queries carry.
  const type: string = q.type;
  const asked = type === 'A' || type === 'AAAA' ? type : 'ANY';
  const r: LookupResult = view.lookup(q.name, asked);
  const none: Reply = { rcode: RCODE.NOERROR, aa: true, answers: [], authorities: [] };
  switch (r.kind) {
    case 'notmine':
      return { ...none, aa: false, rcode: -1 };
    case 'nxdomain':
      return { ...none, rcode: RCODE.NXDOMAIN, authorities: [soa(r.zone, view.serial())] };
    case 'nodata':
    case 'answer': {
      const isApex = q.name.toLowerCase().replace(/\.$/, '') === r.zone;
      if (type === 'SOA' && isApex)
        return { ...none, answers: [{ ...soa(q.name, view.serial()), ttl: 900 }] };
      if (type === 'NS' && isApex) {
        return {
          ...none,
          answers: [{ type: 'NS', name: q.name, ttl: 172800, class: 'IN', data: SOA_MNAME }],
        };
      }
      if (r.kind === 'nodata' || (type !== 'A' && type !== 'AAAA' && type !== 'ANY')) {
        return { ...none, authorities: [soa(r.zone, view.serial())] };
      }
      const seen = new Set<string>();
      const answers: Answer[] = [];
      for (const rec of r.records) {
        const address = view.address(rec);
        const key = `${rec.type} ${address}`;
        if (seen.has(key)) continue;
        seen.add(key);
        answers.push({ type: rec.type, name: q.name, ttl: RECORD_TTL, class: 'IN', data: address });
      }
      return { ...none, answers };
    }
  }
}

/**
 * Answers one query message. Resolves undefined when nothing must be sent (garbage too short
 * for a header, or a response packet).
 */
export async function answerQuery(
  view: DnsView,
  msg: Buffer,
  transport: Transport,
  upstream: Upstream | undefined,
): Promise<Buffer | undefined> {
  return fastAnswer(view, msg, transport) ?? generalAnswer(view, msg, transport, upstream);
}

/** Every query, through dns-packet (exported so tests can hold the fast path against it). */
export async function generalAnswer(
  view: DnsView,
  msg: Buffer,
  transport: Transport,
  upstream: Upstream | undefined,
): Promise<Buffer | undefined> {
  const query = decode(msg);
  if (!query) return formErrFromRaw(msg);
  if (query.type !== 'query') return undefined;
  const opt = query.additionals?.find((a): a is OptAnswer => a.type === 'OPT');
  const questions = query.questions ?? [];
  const q = questions[0];
  let reply: Reply;
  const base: Reply = { rcode: RCODE.NOERROR, aa: false, answers: [], authorities: [] };
  const opcode = ((query.flags ?? 0) >> 11) & 0xf;
  if (opcode !== 0) reply = { ...base, rcode: RCODE.NOTIMP };
  else if (opt && opt.ednsVersion > 0) {
    reply = { ...base, rcode: 0, extendedRcode: 1 }; // BADVERS = 16
  } else if (!q || questions.length !== 1) reply = { ...base, rcode: RCODE.FORMERR };
  else if ((q.class ?? 'IN') !== 'IN') reply = { ...base, rcode: RCODE.REFUSED };
  else if (!view.enabled()) reply = { ...base, rcode: RCODE.REFUSED };
  else {
    reply = lookupReply(view, q);
    if (reply.rcode === -1) {
      const forwarded = upstream ? await upstream.forward(msg, transport) : undefined;
      if (forwarded) return forwarded;
      reply = { ...base, rcode: RCODE.SERVFAIL };
    }
  }
  return encodeReply(query, reply, transport, opt);
}

function encodeReply(
  query: DecodedPacket,
  reply: Reply,
  transport: Transport,
  opt: OptAnswer | undefined,
): Buffer {
  const clientSize = opt?.udpPayloadSize ?? 512;
  const limit = transport === 'tcp' ? 65535 : Math.max(512, Math.min(clientSize, EDNS_PAYLOAD));
  const additionals: Answer[] = opt
    ? [
        {
          type: 'OPT',
          name: '.',
          udpPayloadSize: EDNS_PAYLOAD,
          extendedRcode: reply.extendedRcode ?? 0,
          ednsVersion: 0,
          flags: 0,
          flag_do: false,
          options: [],
        },
      ]
    : [];
  const qflags = query.flags ?? 0;
  const flags = (reply.aa ? AA : 0) | (qflags & RD) | RA | (qflags & CD) | (reply.rcode & 0xf);
  const packet: Packet = {
    type: 'response',
    id: query.id ?? 0,
    flags: flags | (((qflags >> 11) & 0xf) << 11),
    questions: (query.questions ?? []).slice(0, 1),
    answers: reply.answers,
    authorities: reply.authorities,
    additionals,
  };
  const out = dnsPacket.encode(packet);
  if (out.length <= limit) return out;
  return dnsPacket.encode({ ...packet, flags: (packet.flags ?? 0) | TC, answers: [], authorities: [] });
}

/**
 * The common case without dns-packet: one IN A question (optionally with an EDNS0 OPT) whose
 * name has A records. The question is copied byte for byte (so its case is kept) and the answers
 * point back at it. Anything else — errors, negative answers, other types, odd names, answers
 * too big — returns undefined and takes the general path above, which answers the same (without
 * name compression, so it truncates large answer sets sooner).
 */
export function fastAnswer(view: DnsView, msg: Buffer, transport: Transport): Buffer | undefined {
  if (msg.length < 17 || msg.length > 512) return undefined;
  const flags = msg.readUInt16BE(2);
  // QR=0, opcode QUERY, QDCOUNT=1, no answers or authorities, at most one additional (the OPT).
  if (flags & 0xf800 || msg.readUInt16BE(4) !== 1 || msg.readUInt32BE(6) !== 0) return undefined;
  const arcount = msg.readUInt16BE(10);
  if (arcount > 1) return undefined;
  let off = 12;
  let name = '';
  for (;;) {
    const len = msg[off];
    if (len === undefined || len > 63) return undefined;
    off++;
    if (len === 0) break;
    if (off + len > msg.length) return undefined;
    for (let i = off; i < off + len; i++) {
      const c = msg[i] ?? 0;
      // Only plain hostname bytes; anything needing escapes goes the general way.
      if (c <= 0x20 || c === 0x2e || c >= 0x7f || c === 0x5c) return undefined;
    }
    name += (name ? '.' : '') + msg.toString('latin1', off, off + len);
    off += len;
  }
  if (off + 4 > msg.length || name.length === 0 || name.length > 253) return undefined;
  const qtype = msg.readUInt16BE(off);
  const qclass = msg.readUInt16BE(off + 2);
  const qend = off + 4;
  if (qtype !== 1 || qclass !== 1) return undefined;
  let limit = 512;
  let optBytes: Buffer | undefined;
  if (arcount === 1) {
    // OPT: root name, TYPE 41, CLASS = payload size, TTL = ext-rcode/version/flags, RDLEN.
    if (qend + 11 > msg.length || msg[qend] !== 0 || msg.readUInt16BE(qend + 1) !== 41) return undefined;
    if (msg[qend + 6] !== 0) return undefined; // EDNS version > 0: BADVERS on the general path
    if (qend + 11 + msg.readUInt16BE(qend + 9) !== msg.length) return undefined;
    if (transport === 'udp') limit = Math.max(512, Math.min(msg.readUInt16BE(qend + 3), EDNS_PAYLOAD));
    optBytes = Buffer.from([0, 0, 41, EDNS_PAYLOAD >> 8, EDNS_PAYLOAD & 0xff, 0, 0, 0, 0, 0, 0]);
  } else if (qend !== msg.length) return undefined;
  if (transport === 'tcp') limit = 65535;
  if (!view.enabled()) return undefined;
  const r = view.lookup(name, 'A');
  if (r.kind !== 'answer') return undefined;
  const addrs: number[][] = [];
  const seen = new Set<string>();
  for (const rec of r.records) {
    const a = view.address(rec);
    if (seen.has(a)) continue;
    seen.add(a);
    const parts = a.split('.').map(Number);
    if (parts.length !== 4 || parts.some((n) => !(n >= 0 && n <= 255))) return undefined;
    addrs.push(parts);
  }
  const size = qend + addrs.length * 16 + (optBytes?.length ?? 0);
  if (size > limit) return undefined;
  const out = Buffer.allocUnsafe(size);
  msg.copy(out, 0, 0, qend);
  out.writeUInt16BE(0x8000 | AA | (flags & RD) | RA | (flags & CD), 2);
  out.writeUInt16BE(addrs.length, 6);
  out.writeUInt16BE(0, 8);
  out.writeUInt16BE(optBytes ? 1 : 0, 10);
  let o = qend;
  for (const p of addrs) {
    out.writeUInt16BE(0xc00c, o); // pointer to the question's name
    out.writeUInt16BE(1, o + 2); // A
    out.writeUInt16BE(1, o + 4); // IN
    out.writeUInt32BE(RECORD_TTL, o + 6);
    out.writeUInt16BE(4, o + 10);
    out[o + 12] = p[0] ?? 0;
    out[o + 13] = p[1] ?? 0;
    out[o + 14] = p[2] ?? 0;
    out[o + 15] = p[3] ?? 0;
    o += 16;
  }
  if (optBytes) optBytes.copy(out, o);
  return out;
}
