/**
 * The endpoint fast path at run time (netns mode, datapath 'bpf'; docs/bpf-datapath.md): builds
 * fastpath.c with clang once, pins its programs and maps in a private bpffs under the run dir
 * (`<runDir>/bpf-fast`, apart from the GWLB's), attaches programs to legs with `tc`, writes maps
 * with one `bpftool batch` per pass, reads counters and conntrack, and garbage-collects
 * conntrack entries (idle timeout, closed flows, cut generations).
 *
 * One instance per data plane, shared by the NLB and endpoint reconcilers (`fastPathOf(ctx)`);
 * the last of them to close unmounts it. The reconcilers decide what the maps hold; this module
 * only knows maps and legs.
 */
import { mkdir, mkdtemp, readFile, rm, rmdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import type { DataplaneContext } from '../context.js';
import { compileBpfCommand, loadAllCommand } from './bpf-object.js';
import {
  CT_FIN_FWD,
  CT_RST,
  LAYOUTS,
  deleteLine,
  dumpBytes,
  pack,
  unpack,
  type Record_,
} from './fastpath-maps.js';

export const FASTPATH_DIR = 'bpf-fast';
export type FastProgram = 'nat_fwd' | 'node_fwd' | 'nat_rev' | 'eni_out' | 'vpc_fwd' | 'ct_gc';
export type FastMap =
  | 'fp_svc'
  | 'fp_slots'
  | 'fp_nodes'
  | 'fp_enis'
  | 'fp_stats'
  | 'fp_sg'
  | 'fp_ctf'
  | 'fp_ctr'
  | 'fp_vrtr'
  | 'fp_vfdb'
  | 'fp_vstat'
  | 'fp_gcstat';

/** Conntrack GC period (PRIVLINK_BPF_GC_MS: tests shorten it). */
const gcIntervalMs = () => Number(process.env['PRIVLINK_BPF_GC_MS'] ?? 5000) || 5000;

/** A registered NLB node (what endpoint entries need of it). */
export interface FastNode {
  mac: string;
  pIfindex: number;
  nlbIp: string;
  namespace: string;
}

export interface FastCounters {
  conns: number;
  bytesIn: number;
  bytesOut: number;
}

export interface CtEntry {
  key: Record_;
  keyBytes: Buffer;
  val: Record_;
}

interface PendingBatch {
  lines: readonly string[];
  tolerant: boolean;
  resolve: () => void;
  reject: (e: Error) => void;
}

/** Leg MAC and ifindex inside a namespace. */
export interface Leg {
  mac: string;
  ifindex: number;
}

const instances = new WeakMap<DataplaneContext, FastPath>();

/** The data plane's fast path (undefined unless netns mode with datapath 'bpf'). */
export function fastPathOf(ctx: DataplaneContext): FastPath | undefined {
  if (ctx.mode !== 'netns' || ctx.datapath !== 'bpf') return undefined;
  let f = instances.get(ctx);
  if (!f) instances.set(ctx, (f = new FastPath(ctx)));
  return f;
}

/** Unmounts bpffs mounts left under `root` by an earlier run that was killed (before its sweep). */
export async function sweepBpfMounts(
  run: (argv: string[]) => Promise<unknown>,
  isOurs: (mountPoint: string) => boolean,
): Promise<number> {
  const info = await readFile('/proc/self/mountinfo', 'utf8').catch(() => '');
  const points = info
    .split('\n')
    .map((l) => l.split(' '))
    .filter((p) => p[p.indexOf('-') + 1] === 'bpf')
    .map((p) => (p[4] ?? '').replace(/\\040/g, ' '))
    .filter(isOurs)
    .sort((a, b) => b.length - a.length);
  for (const p of points) {
    await run(['umount', '-l', p]).catch(() => undefined);
    // A mount made in its own temporary directory (a run dir with a dot) takes it along.
    if (/\/privlink-run-[^/]*-bpf-[^/]*$/.test(p)) await rmdir(p).catch(() => undefined);
  }
  return points.length;
}

export class FastPath {
  private dir: string | undefined;
  private tempDir: string | undefined;
  private failed: string | undefined;
  private loading: Promise<void> | undefined;
  private users = 0;
  private gcTimer: NodeJS.Timeout | undefined;
  private gcRunning = false;
  private nextGen = 1;
  /** NLB nodes by node ENI id. */
  readonly nodes = new Map<string, FastNode>();
  /** Last GC / dump figures (describe()). */
  stats = { flows: 0, reverse: 0, gcRuns: 0, gcDeleted: 0, gcLastMs: 0, attached: 0 };
  /** vpc_fwd figures at its last sync (vpc-fwd.ts); undefined while it is not running. */
  vpcFwd: Record<string, unknown> | undefined;
  /** Map writes waiting for the batch in flight (batch()). */
  private readonly pending: PendingBatch[] = [];
  private flushing: Promise<void> | undefined;
  /** Work run on every GC tick besides the GC (vpc_fwd's FDB mirror). */
  private readonly tickHooks: (() => Promise<unknown>)[] = [];

  constructor(private readonly ctx: DataplaneContext) {}

  /** A reconciler that uses the fast path; the last to release it unmounts it. */
  use(): void {
    this.users++;
  }

  /** True once the programs and maps are pinned. */
  get loaded(): boolean {
    return this.dir !== undefined;
  }

  gen(): number {
    return this.nextGen++;
  }

  map(name: FastMap): string {
    return join(this.dir ?? '', 'm', name);
  }

  private prog(name: FastProgram): string {
    return join(this.dir ?? '', 'p', name);
  }

  /** Mounts the bpffs, compiles and loads the programs (once; concurrent callers share it). */
  ensure(): Promise<void> {
    if (this.dir) return Promise.resolve();
    if (this.failed) return Promise.reject(new Error(this.failed));
    this.loading ??= this.load()
      .catch((e: unknown) => {
        // Not retried per namespace: the reason shows in status and everything stays on nftables.
        this.failed = e instanceof Error ? e.message : String(e);
        throw e;
      })
      .finally(() => {
        this.loading = undefined;
      });
    return this.loading;
  }

  private async load(): Promise<void> {
    const { runner, runDir } = this.ctx;
    // libbpf rewrites dots in pin paths (to '_'): a run dir with a dot in its path (a data dir
    // such as `.privlink`) gets its mount in a private temporary directory the run-dir sweep
    // also knows (`privlink-run-<prefix>-…`).
    let dir = join(runDir, FASTPATH_DIR);
    if (dir.includes('.')) {
      dir = await mkdtemp(join(tmpdir(), `privlink-run-${this.ctx.prefix}-bpf-`));
      this.tempDir = dir;
    } else await mkdir(dir, { recursive: true });
    await runner.run(['mount', '-t', 'bpf', 'bpf', dir]);
    try {
      const src = fileURLToPath(new URL('./fastpath.c', import.meta.url));
      const obj = join(runDir, 'fastpath.o');
      await runner.run(compileBpfCommand(src, obj).argv);
      await runner.run(loadAllCommand(obj, dir).argv);
    } catch (e) {
      await runner.run(['umount', dir]).catch(() => undefined);
      if (this.tempDir) await rm(this.tempDir, { recursive: true, force: true }).catch(() => undefined);
      this.tempDir = undefined;
      throw e;
    }
    this.dir = dir;
    this.gcTimer = setInterval(() => {
      void this.timedGc();
      for (const h of this.tickHooks) void h().catch(() => undefined);
    }, gcIntervalMs());
    this.gcTimer.unref();
  }

  /** A GC run unless one is still going. */
  private async timedGc(): Promise<void> {
    if (this.gcRunning) return;
    this.gcRunning = true;
    const t0 = Date.now();
    try {
      await this.gc();
    } catch {
      // Counted by nothing: the next tick tries again.
    } finally {
      this.gcRunning = false;
      this.stats.gcLastMs = Date.now() - t0;
    }
  }

  /** Runs `fn` on every GC tick while the fast path is loaded. */
  onTick(fn: () => Promise<unknown>): void {
    this.tickHooks.push(fn);
  }

  /** The leg's MAC and ifindex in `ns`. */
  async leg(ns: string, dev: string): Promise<Leg> {
    const { stdout } = await this.ctx.runner.run(['ip', '-n', ns, '-j', 'link', 'show', 'dev', dev]);
    const l = (JSON.parse(stdout) as { ifindex: number; address: string }[])[0];
    if (!l) throw new Error(`no link ${dev} in ${ns}`);
    return { mac: l.address, ifindex: l.ifindex };
  }

  /** Attaches `prog` at tc ingress of `dev` in `ns` (replacing what was there). */
  attach(ns: string, dev: string, prog: FastProgram): Promise<void> {
    return this.attachMany(ns, [dev], prog);
  }

  /** Attaches `prog` to every device of `devs` in `ns`: one `tc -batch` process for all of them. */
  async attachMany(ns: string, devs: readonly string[], prog: FastProgram): Promise<void> {
    if (devs.length === 0) return;
    await this.ensure();
    const pinned = this.prog(prog);
    const script = devs
      .flatMap((dev) => [
        `qdisc replace dev ${dev} clsact`,
        `filter replace dev ${dev} ingress pref 1 handle 1 bpf da pinned ${pinned}`,
      ])
      .join('\n');
    await this.ctx.runner.run(['tc', '-n', ns, '-batch', '-'], script + '\n');
    this.stats.attached += devs.length;
  }

  /**
   * Runs map commands in one bpftool process; a failed batch is retried line by line. Calls made
   * while a batch runs are combined into the next one (every process start costs 10–30 ms here,
   * and a pass building many endpoints makes a few calls per endpoint); each call still returns
   * once its own lines are written, so callers keep their order (entries before the nft gate).
   */
  batch(lines: readonly string[], tolerant = false): Promise<void> {
    if (lines.length === 0 || !this.dir) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ lines, tolerant, resolve, reject });
      if (!this.flushing) this.flushing = this.flush();
    });
  }

  private async flush(): Promise<void> {
    try {
      while (this.pending.length) {
        const group = this.pending.splice(0);
        try {
          await this.runBatch(group.flatMap((g) => g.lines));
          for (const g of group) g.resolve();
        } catch {
          // bpftool stops at the first failing line (a delete of an entry already gone): each
          // call again on its own, line by line, so one call's stale delete fails no other.
          for (const g of group) await this.retryAlone(g);
        }
      }
    } finally {
      this.flushing = undefined;
    }
  }

  private async retryAlone(g: PendingBatch): Promise<void> {
    const errors: string[] = [];
    for (const l of g.lines) await this.runBatch([l]).catch((err: unknown) => errors.push(String(err)));
    if (!g.tolerant && errors.length) g.reject(new Error(errors.join('; ')));
    else g.resolve();
  }

  private runBatch(lines: readonly string[]): Promise<unknown> {
    return this.ctx.runner.run(['bpftool', 'batch', 'file', '-'], lines.join('\n') + '\n');
  }

  /** Entries of a map as raw key/value bytes. */
  async dump(name: FastMap): Promise<{ key: Buffer; value: Buffer }[]> {
    if (!this.dir) return [];
    const { stdout } = await this.ctx.runner.run(['bpftool', '-j', 'map', 'dump', 'pinned', this.map(name)]);
    const rows = JSON.parse(stdout || '[]') as { key?: unknown; value?: unknown }[];
    return rows.map((r) => ({ key: dumpBytes(r.key), value: dumpBytes(r.value) }));
  }

  async conntrack(): Promise<{ fwd: CtEntry[]; rev: CtEntry[] }> {
    const [f, r] = await Promise.all([this.dump('fp_ctf'), this.dump('fp_ctr')]);
    const dec = (rows: { key: Buffer; value: Buffer }[], l: typeof LAYOUTS.ct_fwd | typeof LAYOUTS.ct_rev) =>
      rows.map((x) => ({ key: unpack(LAYOUTS.ct_key, x.key), keyBytes: x.key, val: unpack(l, x.value) }));
    const out = { fwd: dec(f, LAYOUTS.ct_fwd), rev: dec(r, LAYOUTS.ct_rev) };
    this.stats.flows = out.fwd.length;
    this.stats.reverse = out.rev.length;
    return out;
  }

  /** Counters by ENI MAC. */
  async counters(): Promise<Map<string, FastCounters>> {
    const out = new Map<string, FastCounters>();
    for (const r of await this.dump('fp_stats')) {
      const k = unpack(LAYOUTS.node_key, r.key);
      const v = unpack(LAYOUTS.stats_val, r.value);
      out.set(String(k['mac']), {
        conns: Number(v['conns']),
        bytesIn: Number(v['bytes_in']),
        bytesOut: Number(v['bytes_out']),
      });
    }
    return out;
  }

  /** Open fast-path flows by ENI MAC (live generation, not closed). */
  async openFlows(): Promise<Map<string, number>> {
    const [{ fwd }, gens] = await Promise.all([this.conntrack(), this.liveGens()]);
    const out = new Map<string, number>();
    for (const e of fwd) {
      const mac = String(e.key['mac']);
      if (Number(e.val['flags']) & (CT_RST | CT_FIN_FWD)) continue;
      if (gens.get(`${mac}|${String(e.key['dport'])}`) !== Number(e.val['gen'])) continue;
      out.set(mac, (out.get(mac) ?? 0) + 1);
    }
    return out;
  }

  /** Generation of every service entry, by `ENI MAC|port`. */
  private async liveGens(): Promise<Map<string, number>> {
    const gens = new Map<string, number>();
    for (const r of await this.dump('fp_svc')) {
      const k = unpack(LAYOUTS.svc_key, r.key);
      const v = unpack(LAYOUTS.svc_val, r.value);
      gens.set(`${String(k['eni_mac'])}|${String(k['port'])}`, Number(v['gen']));
    }
    return gens;
  }

  /**
   * Deletes conntrack entries that are idle past the listener's timeout, closed for longer than
   * 2 s (CLOSED_LINGER_NS), or of a generation no service entry has any more (cut flows). ct_gc in
   * fastpath.c does it inside the kernel, judging and deleting each entry in one step: a GC that
   * judged a dump here and deleted later could remove an entry a new flow had just taken over
   * (a reset for that flow), and dumping tens of thousands of entries took half a second.
   */
  async gc(): Promise<number> {
    if (!this.dir) return 0;
    // A test run of a tc program needs a packet: an empty Ethernet frame it never looks at.
    await this.ctx.runner.run(
      ['bpftool', 'prog', 'run', 'pinned', this.prog('ct_gc'), 'data_in', '-', 'repeat', '1'],
      '\0'.repeat(64),
    );
    const [row] = await this.dump('fp_gcstat');
    if (!row) throw new Error('fp_gcstat is empty');
    const st = unpack(LAYOUTS.gc_stat, row.value);
    this.stats.flows = Number(st['flows']);
    this.stats.reverse = Number(st['replies']);
    this.stats.gcRuns++;
    this.stats.gcDeleted += Number(st['deleted']);
    return Number(st['deleted']);
  }

  /** Resets what is open towards target ip:port through node `nodeMac` (deregistration, health). */
  async cutTarget(nodeMac: string, ip: string, port: number): Promise<number> {
    if (!this.dir) return 0;
    const { fwd, rev } = await this.conntrack();
    const lines: string[] = [];
    const nat = new Set<number>();
    for (const e of rev) {
      if (e.key['mac'] !== nodeMac || e.key['saddr'] !== ip || e.key['sport'] !== port) continue;
      lines.push(deleteLine(this.map('fp_ctr'), e.keyBytes));
      nat.add(Number(e.key['dport']));
    }
    for (const e of fwd) {
      if (e.val['target_ip'] === ip && e.val['target_port'] === port && nat.has(Number(e.val['nat_port'])))
        lines.push(deleteLine(this.map('fp_ctf'), e.keyBytes));
    }
    await this.batch(lines, true);
    return lines.length;
  }

  /** Key bytes for single-record maps keyed by a MAC (fp_nodes, fp_enis, fp_stats). */
  macKey(mac: string): Buffer {
    return pack(LAYOUTS.node_key, { mac });
  }

  /** A reconciler is done with the fast path; the last one detaches nothing (namespaces go) but unmounts. */
  async release(): Promise<void> {
    this.users = Math.max(0, this.users - 1);
    if (this.users > 0) return;
    if (this.gcTimer) clearInterval(this.gcTimer);
    this.gcTimer = undefined;
    if (this.dir) {
      await this.ctx.runner.run(['umount', this.dir]).catch(() => undefined);
      if (this.tempDir) await rm(this.tempDir, { recursive: true, force: true }).catch(() => undefined);
      this.dir = undefined;
      this.tempDir = undefined;
    }
  }

  describe(): Record<string, unknown> {
    return {
      loaded: this.dir !== undefined,
      ...(this.failed ? { failed: this.failed } : {}),
      programsAttached: this.stats.attached,
      nodes: this.nodes.size,
      conntrack: { flows: this.stats.flows, replies: this.stats.reverse },
      gc: { runs: this.stats.gcRuns, deleted: this.stats.gcDeleted, lastMs: this.stats.gcLastMs },
      ...(this.vpcFwd ? { vpcFwd: this.vpcFwd } : {}),
    };
  }
}
