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

export interface MeteredEni {
  eniId: string;
  endpointId: string;
  eniIp: string;
  namespace: string | undefined;
  loopback?: LoopbackMeter;
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
    let next = 0;
    const worker = async () => {
      while (next < list.length) {
        const eni = list[next++];
        if (!eni) break;
        const r = await this.readEni(eni).catch(() => undefined);
        if (r) add(eni.endpointId, r);
      }
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, list.length) }, worker));
    const live = new Set(list.map((e) => e.eniId));
    for (const id of this.seen.keys()) if (!live.has(id)) this.seen.delete(id);
    return out;
  }

  private async readEni(eni: MeteredEni): Promise<EndpointTraffic | undefined> {
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
    const now = parseNftCounters(counters.stdout);
    const s = this.seen.get(eni.eniId) ?? {
      last: { conns: 0, bytesIn: 0, bytesOut: 0 },
      base: { conns: 0, bytesIn: 0, bytesOut: 0 },
    };
    // A reading below the last one means the table was replaced: fold the old total in.
    if (now.conns < s.last.conns || now.bytesIn < s.last.bytesIn || now.bytesOut < s.last.bytesOut) {
      s.base = {
        conns: s.base.conns + s.last.conns,
        bytesIn: s.base.bytesIn + s.last.bytesIn,
        bytesOut: s.base.bytesOut + s.last.bytesOut,
      };
    }
    s.last = now;
    this.seen.set(eni.eniId, s);
    return {
      activeConnections: countFlows(flows.stdout),
      connectionsTotal: s.base.conns + now.conns,
      bytesIn: s.base.bytesIn + now.bytesIn,
      bytesOut: s.base.bytesOut + now.bytesOut,
    };
  }
}
