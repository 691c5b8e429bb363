/**
 * Measures interface-endpoint traffic per ENI and sums it per endpoint (the data plane's
 * `EndpointTrafficSource`).
 *
 * - netns mode: the ENI namespace's named nft counters (endpoint-rules.ts: `conns`, `bytes_in`,
 *   `bytes_out`) and its conntrack table (established TCP flows whose original destination is
 *   the ENI's IP = open connections, proxied ones included). Each namespace has its own
 *   conntrack table, so no zones or marks are needed.
 * - loopback mode: the userspace proxy's listening server counts accepted sockets and their
 *   bytes (`LoopbackMeter`).
 *
 * - BPF data path (bpf/fastpath.ts): fast-path flows never meet those nft counters or the
 *   namespace's conntrack, so the per-ENI map counters (keyed by the ENI's MAC) and its open
 *   conntrack entries are added.
 *
 * Kernel counters restart from zero whenever the rules are reloaded (the script replaces the
 * table); totals are kept monotonic by remembering the last reading per ENI. Readings of one
 * call are taken in parallel with a small concurrency cap, and callers arriving while a reading
 * is under way share it, so several readers (console stream, /metrics) cost one pass; a reading
 * is never served after it completed (a scrape right after traffic sees that traffic).
 */
import type { Socket, Server } from 'node:net';
import type { EndpointTraffic } from '../../control/ports.js';
import type { Runner } from '../netns/runner.js';
import { nsExec } from '../netns/commands.js';
import { ENDPOINT_TABLE } from './endpoint-rules.js';
import type { FastCounters } from '../bpf/fastpath.js';

/** What the meter reads of the BPF fast path. */
export interface FastSource {
  counters(): Promise<Map<string, FastCounters>>;
  openFlows(): Promise<Map<string, number>>;
}

export interface MeteredEni {
  eniId: string;
  endpointId: string;
  eniIp: string;
  namespace: string | undefined;
  loopback?: LoopbackMeter;
  /** BPF data path: the ENI's MAC (its key in the fast path's maps). */
  fast?: { mac: string };
}

interface Totals {
  conns: number;
  bytesIn: number;
  bytesOut: number;
}

/** Counts accepted sockets and their bytes on loopback proxy servers of one ENI. */
export class LoopbackMeter {
  private readonly live = new Set<Socket>();
  private conns = 0;
  private closedIn = 0;
  private closedOut = 0;

  watch(server: Server): void {
    server.on('connection', (s: Socket) => {
      this.conns++;
      this.live.add(s);
      s.once('close', () => {
        this.live.delete(s);
        this.closedIn += s.bytesRead;
        this.closedOut += s.bytesWritten;
      });
    });
  }

  read(): EndpointTraffic {
    let bytesIn = this.closedIn;
    let bytesOut = this.closedOut;
    for (const s of this.live) {
      bytesIn += s.bytesRead;
      bytesOut += s.bytesWritten;
    }
    return { activeConnections: this.live.size, connectionsTotal: this.conns, bytesIn, bytesOut };
  }
}

const CONCURRENCY = 8;

/** Parses `nft -j list counters table ip privlink_ep`. */
export function parseNftCounters(json: string): Totals {
  const t: Totals = { conns: 0, bytesIn: 0, bytesOut: 0 };
  const doc = JSON.parse(json) as {
    nftables?: { counter?: { name: string; packets: number; bytes: number } }[];
  };
  for (const item of doc.nftables ?? []) {
    const c = item.counter;
    if (!c) continue;
    if (c.name === 'conns') t.conns = c.packets;
    else if (c.name === 'bytes_in') t.bytesIn = c.bytes;
    else if (c.name === 'bytes_out') t.bytesOut = c.bytes;
  }
  return t;
}

/** Flow lines of `conntrack -L` (the summary goes to stderr). */
export function countFlows(stdout: string): number {
  let n = 0;
  for (const line of stdout.split('\n')) if (line.trim()) n++;
  return n;
}

export class TrafficMeter {
  /** Per ENI: last kernel reading and what earlier table generations had counted. */
  private readonly seen = new Map<string, { last: Totals; base: Totals }>();
  private inflight: Promise<Map<string, EndpointTraffic>> | undefined;

  constructor(
    private readonly runner: Runner,
    private readonly enis: () => Iterable<MeteredEni>,
    private readonly fast?: FastSource,
  ) {}

  read(): Promise<Map<string, EndpointTraffic>> {
    this.inflight ??= this.measure().finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  private async measure(): Promise<Map<string, EndpointTraffic>> {
    const list = [...this.enis()];
    const out = new Map<string, EndpointTraffic>();
    const add = (endpointId: string, r: EndpointTraffic) => {
      const cur = out.get(endpointId) ?? {
        activeConnections: 0,
        connectionsTotal: 0,
        bytesIn: 0,
        bytesOut: 0,
      };
      cur.activeConnections += r.activeConnections;
      cur.connectionsTotal += r.connectionsTotal;
      cur.bytesIn += r.bytesIn;
      cur.bytesOut += r.bytesOut;
      out.set(endpointId, cur);
    };
    const [fastCounters, fastOpen] = this.fast
      ? await Promise.all([
          this.fast.counters().catch(() => new Map<string, FastCounters>()),
          this.fast.openFlows().catch(() => new Map<string, number>()),
        ])
      : [new Map<string, FastCounters>(), new Map<string, number>()];
    let next = 0;
    const worker = async () => {
      while (next < list.length) {
        const eni = list[next++];
        if (!eni) break;
        const mac = eni.fast?.mac;
        const r = await this.readEni(
          eni,
          mac ? fastCounters.get(mac) : undefined,
          mac ? (fastOpen.get(mac) ?? 0) : 0,
        ).catch(() => undefined);
        if (r) add(eni.endpointId, r);
      }
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, list.length) }, worker));
    const live = new Set(list.map((e) => e.eniId));
    for (const id of this.seen.keys()) if (!live.has(id.split('|')[0] ?? id)) this.seen.delete(id);
    return out;
  }

  /** Monotonic total of a counter source that restarts from zero (kept per ENI and source). */
  private fold(key: string, now: Totals): Totals {
    const s = this.seen.get(key) ?? {
      last: { conns: 0, bytesIn: 0, bytesOut: 0 },
      base: { conns: 0, bytesIn: 0, bytesOut: 0 },
    };
    if (now.conns < s.last.conns || now.bytesIn < s.last.bytesIn || now.bytesOut < s.last.bytesOut) {
      s.base = {
        conns: s.base.conns + s.last.conns,
        bytesIn: s.base.bytesIn + s.last.bytesIn,
        bytesOut: s.base.bytesOut + s.last.bytesOut,
      };
    }
    s.last = now;
    this.seen.set(key, s);
    return {
      conns: s.base.conns + now.conns,
      bytesIn: s.base.bytesIn + now.bytesIn,
      bytesOut: s.base.bytesOut + now.bytesOut,
    };
  }

  private async readEni(
    eni: MeteredEni,
    fast?: FastCounters,
    fastOpen = 0,
  ): Promise<EndpointTraffic | undefined> {
    if (!eni.namespace) return eni.loopback?.read();
    const [counters, flows] = await Promise.all([
      nsExec(this.runner, eni.namespace, ['nft', '-j', 'list', 'counters', 'table', 'ip', ENDPOINT_TABLE]),
      nsExec(this.runner, eni.namespace, [
        'conntrack',
        '-L',
        '-p',
        'tcp',
        '--state',
        'ESTABLISHED',
        '--orig-dst',
        eni.eniIp,
      ]).catch(() => ({ stdout: '' })),
    ]);
    const k = this.fold(eni.eniId, parseNftCounters(counters.stdout));
    const b = fast ? this.fold(`${eni.eniId}|bpf`, fast) : { conns: 0, bytesIn: 0, bytesOut: 0 };
    return {
      activeConnections: countFlows(flows.stdout) + fastOpen,
      connectionsTotal: k.conns + b.conns,
      bytesIn: k.bytesIn + b.bytesIn,
      bytesOut: k.bytesOut + b.bytesOut,
    };
  }
}
