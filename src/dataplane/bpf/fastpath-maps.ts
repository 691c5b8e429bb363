/**
 * The endpoint fast path's map records as bytes (pure): the layouts of fastpath.h mirrored field
 * by field (bpf-structs.test.ts checks them against the compiled object's BTF), `bpftool batch`
 * lines that write and delete them, the security-group reduction to an LPM trie, and decoding of
 * `bpftool -j map dump`, and what vpc_fwd's maps should hold for a VPC namespace (from
 * `ip -d -j link show` and `bridge -j fdb show`).
 *
 * Byte order: addresses and ports as they sit in the packet (network order); counters, flags,
 * ifindexes and security-group port ranges in host order (little endian: x86-64 and arm64).
 */
import { fillSlots, type Backend } from '../nlb/nlb-rules.js';
import type { IngressRule } from '../endpoints/endpoint-rules.js';

type Kind = 'ip' | 'port' | 'u16' | 'u32' | 'u64' | 'mac';
export interface Field {
  name: string;
  offset: number;
  kind: Kind;
}
export interface Layout {
  name: string;
  size: number;
  fields: readonly Field[];
}

const f = (name: string, offset: number, kind: Kind): Field => ({ name, offset, kind });

export const LAYOUTS = {
  svc_key: { name: 'svc_key', size: 8, fields: [f('eni_mac', 0, 'mac'), f('port', 6, 'port')] },
  svc_val: {
    name: 'svc_val',
    size: 36,
    fields: [
      f('eni_ip', 0, 'ip'),
      f('nlb_ip', 4, 'ip'),
      f('gen', 8, 'u32'),
      f('link_ifindex', 12, 'u32'),
      f('back_ifindex', 16, 'u32'),
      f('flags', 20, 'u32'),
      f('node_mac', 24, 'mac'),
      f('link_mac', 30, 'mac'),
    ],
  },
  slot_key: { name: 'slot_key', size: 8, fields: [f('node_mac', 0, 'mac'), f('port', 6, 'port')] },
  node_key: { name: 'node_key', size: 8, fields: [f('mac', 0, 'mac'), f('pad', 6, 'u16')] },
  node_val: { name: 'node_val', size: 8, fields: [f('p_ifindex', 0, 'u32'), f('nlb_ip', 4, 'ip')] },
  eni_val: { name: 'eni_val', size: 8, fields: [f('c_ifindex', 0, 'u32'), f('eni_ip', 4, 'ip')] },
  gc_stat: {
    name: 'gc_stat',
    size: 16,
    fields: [f('flows', 0, 'u32'), f('replies', 4, 'u32'), f('deleted', 8, 'u32'), f('pad', 12, 'u32')],
  },
  stats_val: {
    name: 'stats_val',
    size: 24,
    fields: [f('conns', 0, 'u64'), f('bytes_in', 8, 'u64'), f('bytes_out', 16, 'u64')],
  },
  sg_key: {
    name: 'sg_key',
    size: 16,
    fields: [f('prefixlen', 0, 'u32'), f('eni_mac', 4, 'mac'), f('addr', 10, 'ip')],
  },
  ct_key: {
    name: 'ct_key',
    size: 20,
    fields: [
      f('mac', 0, 'mac'),
      f('pad', 6, 'u16'),
      f('saddr', 8, 'ip'),
      f('daddr', 12, 'ip'),
      f('sport', 16, 'port'),
      f('dport', 18, 'port'),
    ],
  },
  ct_fwd: {
    name: 'ct_fwd',
    size: 32,
    fields: [
      f('last_ns', 0, 'u64'),
      f('target_ip', 8, 'ip'),
      f('target_port', 12, 'port'),
      f('nat_port', 14, 'port'),
      f('gen', 16, 'u32'),
      f('idle_s', 20, 'u32'),
      f('flags', 24, 'u32'),
      f('pad', 28, 'u32'),
    ],
  },
  ct_rev: {
    name: 'ct_rev',
    size: 48,
    fields: [
      f('last_ns', 0, 'u64'),
      f('client_ip', 8, 'ip'),
      f('eni_ip', 12, 'ip'),
      f('client_port', 16, 'port'),
      f('eni_port', 18, 'port'),
      f('gen', 20, 'u32'),
      f('back_ifindex', 24, 'u32'),
      f('flags', 28, 'u32'),
      f('client_mac', 32, 'mac'),
      f('eni_mac', 38, 'mac'),
    ],
  },
  vrtr_val: { name: 'vrtr_val', size: 4, fields: [f('br_ifindex', 0, 'u32')] },
  vfdb_key: { name: 'vfdb_key', size: 12, fields: [f('router_mac', 0, 'mac'), f('mac', 6, 'mac')] },
  vfdb_val: { name: 'vfdb_val', size: 4, fields: [f('port_ifindex', 0, 'u32')] },
} as const satisfies Record<string, Layout>;

export const SLOTS = 64;
export const SG_RANGES = 8;
/** slot_val: ip[64] at 0, port[64] at 256, idle_s at 384. */
export const SLOT_VAL = { size: 388, ip: 0, port: 4 * SLOTS, idle: 6 * SLOTS } as const;
export const SG_VAL = { size: 4 + 4 * SG_RANGES } as const;
export const SVC_SG = 1;
export const CT_FIN_FWD = 1;
export const CT_FIN_REV = 2;
export const CT_RST = 4;
/**
 * NAT source ports the programs take on an NLB node's IP: 16384–65535. The node's nftables SNAT
 * (health checks, PROXY v2 agents, provider-side clients of the node IP) is held to 1024–16383 in
 * BPF mode, so the two never pick the same tuple towards a target.
 */
export const NPORT_MIN = 16384;
export const NFT_SNAT_PORTS = `1024-${NPORT_MIN - 1}`;

export type Value = number | bigint | string;
export type Record_ = Record<string, Value>;

function putIp(b: Buffer, o: number, ip: string): void {
  const parts = ip.split('.').map(Number);
  for (let i = 0; i < 4; i++) b[o + i] = parts[i] ?? 0;
}

function putMac(b: Buffer, o: number, mac: string): void {
  const parts = mac.split(':').map((x) => parseInt(x, 16));
  for (let i = 0; i < 6; i++) b[o + i] = parts[i] ?? 0;
}

/** Packs `rec` with layout `l` (missing fields are zero). */
export function pack(l: Layout, rec: Record_): Buffer {
  const b = Buffer.alloc(l.size);
  for (const fl of l.fields) {
    const v = rec[fl.name];
    if (v === undefined) continue;
    switch (fl.kind) {
      case 'ip':
        putIp(b, fl.offset, String(v));
        break;
      case 'mac':
        putMac(b, fl.offset, String(v));
        break;
      case 'port':
        b.writeUInt16BE(Number(v), fl.offset);
        break;
      case 'u16':
        b.writeUInt16LE(Number(v), fl.offset);
        break;
      case 'u32':
        b.writeUInt32LE(Number(v) >>> 0, fl.offset);
        break;
      case 'u64':
        b.writeBigUInt64LE(BigInt(v), fl.offset);
        break;
    }
  }
  return b;
}

/** Reads every field of layout `l` from `b`. */
export function unpack(l: Layout, b: Buffer): Record_ {
  const out: Record_ = {};
  for (const fl of l.fields) {
    const o = fl.offset;
    switch (fl.kind) {
      case 'ip':
        out[fl.name] = [...b.subarray(o, o + 4)].join('.');
        break;
      case 'mac':
        out[fl.name] = [...b.subarray(o, o + 6)].map((x) => x.toString(16).padStart(2, '0')).join(':');
        break;
      case 'port':
        out[fl.name] = b.readUInt16BE(o);
        break;
      case 'u16':
        out[fl.name] = b.readUInt16LE(o);
        break;
      case 'u32':
        out[fl.name] = b.readUInt32LE(o);
        break;
      case 'u64':
        out[fl.name] = b.readBigUInt64LE(o);
        break;
    }
  }
  return out;
}

export const hex = (b: Buffer): string => [...b].map((x) => x.toString(16).padStart(2, '0')).join(' ');

export function updateLine(map: string, key: Buffer, value: Buffer): string {
  return `map update pinned ${map} key hex ${hex(key)} value hex ${hex(value)}`;
}

export function deleteLine(map: string, key: Buffer): string {
  return `map delete pinned ${map} key hex ${hex(key)}`;
}

/** The 64-slot table of one listener on one node (same spreading as the nft path). */
export function slotValue(backends: readonly Backend[], idleSeconds: number): Buffer | undefined {
  const slots = fillSlots(backends);
  if (slots.length === 0) return undefined;
  const b = Buffer.alloc(SLOT_VAL.size);
  slots.forEach((s, i) => {
    putIp(b, SLOT_VAL.ip + 4 * i, s.ip);
    b.writeUInt16BE(s.port, SLOT_VAL.port + 2 * i);
  });
  b.writeUInt32LE(idleSeconds, SLOT_VAL.idle);
  return b;
}

/** A CIDR or bare address → [network address, prefix length], undefined when not IPv4. */
function cidrOf(s: string): [string, number] | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)(?:\/(\d+))?$/.exec(s.trim());
  if (!m) return undefined;
  const len = m[5] === undefined ? 32 : Number(m[5]);
  const n = ((Number(m[1]) << 24) | (Number(m[2]) << 16) | (Number(m[3]) << 8) | Number(m[4])) >>> 0;
  const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
  const net = (n & mask) >>> 0;
  return [[net >>> 24, (net >>> 16) & 255, (net >>> 8) & 255, net & 255].join('.'), len];
}

function contains([net, len]: [string, number], [ip, ilen]: [string, number]): boolean {
  if (ilen < len) return false;
  const c = cidrOf(`${ip}/${len}`);
  return c?.[0] === net;
}

/**
 * Security-group ingress as LPM entries: per source prefix the TCP port ranges allowed from it.
 * A longest-prefix lookup returns one entry, so each entry also carries the ranges of every
 * shorter prefix containing it. Undefined when the rules do not fit (more than SG_RANGES ranges
 * for one prefix, non-IPv4 sources): the endpoint then stays on the nftables path.
 */
export function sgEntries(
  rules: readonly IngressRule[],
): { addr: string; len: number; ranges: [number, number][] }[] | undefined {
  const byPrefix = new Map<string, { c: [string, number]; ranges: [number, number][] }>();
  for (const r of rules) {
    const proto = r.protocol;
    let range: [number, number] | undefined;
    if (proto === 'all' || proto === '-1') range = [0, 65535];
    else if (proto === 'tcp' || proto === '6') {
      const all = r.fromPort === undefined || r.fromPort < 0 || (r.fromPort === 0 && r.toPort === 65535);
      range = all ? [0, 65535] : [r.fromPort ?? 0, r.toPort ?? r.fromPort ?? 0];
    } else continue; // UDP/ICMP rules never admit a TCP flow
    for (const s of r.sources) {
      const c = cidrOf(s);
      if (!c) return undefined;
      const key = `${c[0]}/${c[1]}`;
      const e = byPrefix.get(key) ?? { c, ranges: [] };
      e.ranges.push(range);
      byPrefix.set(key, e);
    }
  }
  const out: { addr: string; len: number; ranges: [number, number][] }[] = [];
  for (const e of byPrefix.values()) {
    const ranges = [...byPrefix.values()].filter((o) => contains(o.c, e.c)).flatMap((o) => o.ranges);
    const uniq = [...new Map(ranges.map((x) => [`${x[0]}-${x[1]}`, x])).values()];
    if (uniq.length > SG_RANGES) return undefined;
    out.push({ addr: e.c[0], len: e.c[1], ranges: uniq });
  }
  return out;
}

export function sgKey(eniMac: string, addr: string, len: number): Buffer {
  return pack(LAYOUTS.sg_key, { prefixlen: 48 + len, eni_mac: eniMac, addr });
}

export function sgValue(ranges: readonly [number, number][]): Buffer {
  const b = Buffer.alloc(SG_VAL.size);
  b.writeUInt32LE(ranges.length, 0);
  ranges.forEach(([from, to], i) => {
    b.writeUInt16LE(from, 4 + 4 * i);
    b.writeUInt16LE(to, 6 + 4 * i);
  });
  return b;
}

/** Raw bytes of a `bpftool -j map dump` key/value (an array of "0x.." strings). */
export function dumpBytes(v: unknown): Buffer {
  return Buffer.from(Array.isArray(v) ? v.map((x) => parseInt(String(x), 16)) : []);
}

/** Sum over CPUs of a per-CPU array slot as `bpftool -j map dump` prints it (u64 values). */
export function perCpuSum(values: unknown): bigint {
  let sum = 0n;
  for (const v of Array.isArray(values) ? (values as { value?: unknown }[]) : []) {
    const b = dumpBytes(v.value);
    if (b.length >= 8) sum += b.readBigUInt64LE(0);
  }
  return sum;
}

/** A link of `ip -d -j link show` (the fields vpc_fwd needs). */
export interface IpLink {
  ifindex: number;
  ifname: string;
  address?: string;
  master?: string;
  flags?: string[];
  link_netnsid?: number;
  linkinfo?: { info_kind?: string };
}

/** An entry of `bridge -j fdb show`. */
export interface FdbEntry {
  mac: string;
  ifname?: string;
  master?: string;
  state?: string;
  flags?: string[];
}

export interface VpcFwdView {
  /** br0's MAC (the VPC router's) and ifindex. */
  router: { mac: string; ifindex: number } | undefined;
  /** Bridge ports vpc_fwd runs on: veths whose peer is in another namespace. */
  ports: { ifindex: number; ifname: string; up: boolean }[];
  /** Next-hop MAC -> port ifindex, for ports that are up. */
  nextHops: Map<string, number>;
}

/**
 * What vpc_fwd needs of one VPC namespace. Next hops are the bridge's learned FDB entries on
 * veth ports that are up. A MAC `kept` from an earlier pass stays on its port while that port
 * is up and the MAC was not learned elsewhere: frames vpc_fwd redirects never reach the bridge,
 * so a busy host's entry would otherwise age out of the FDB (300 s) and send its flows back to
 * the stack, flooded as unknown unicast, until the host next sends through the bridge.
 */
export function vpcFwdView(
  links: readonly IpLink[],
  fdb: readonly FdbEntry[],
  bridge: string,
  kept: ReadonlyMap<string, number> = new Map(),
): VpcFwdView {
  const br = links.find((l) => l.ifname === bridge);
  const ports = links.filter(
    (l) => l.master === bridge && l.linkinfo?.info_kind === 'veth' && l.link_netnsid !== undefined,
  );
  const up = new Map(
    ports
      .filter((l) => (l.flags ?? []).includes('UP') && (l.flags ?? []).includes('LOWER_UP'))
      .map((l) => [l.ifname, l.ifindex]),
  );
  const upIndexes = new Set(up.values());
  const nextHops = new Map<string, number>();
  for (const e of fdb) {
    if (e.master !== bridge || (e.state ?? '') !== '' || (e.flags ?? []).includes('self')) continue;
    const ifindex = up.get(e.ifname ?? '');
    if (ifindex !== undefined) nextHops.set(e.mac.toLowerCase(), ifindex);
  }
  for (const [mac, ifindex] of kept)
    if (!nextHops.has(mac) && upIndexes.has(ifindex)) nextHops.set(mac, ifindex);
  return {
    router: br?.address ? { mac: br.address.toLowerCase(), ifindex: br.ifindex } : undefined,
    ports: ports.map((l) => ({ ifindex: l.ifindex, ifname: l.ifname, up: up.has(l.ifname) })),
    nextHops,
  };
}
