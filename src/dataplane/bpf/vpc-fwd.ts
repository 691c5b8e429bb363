/**
 * vpc_fwd on the VPC bridges (datapath 'bpf'; docs/bpf-datapath.md): attaches the program to
 * every bridge port of every VPC namespace where it is missing, and keeps its maps in step —
 * the router (br0's MAC → br0's ifindex) and the next hops (router MAC + MAC → port, mirrored
 * from the bridge's FDB). Runs as the last step of each reconcile pass (instances, ENIs and NLB
 * nodes are plugged by then) and on the fast path's GC tick (ports plugged between passes, FDB
 * changes); it also reads the hit/miss counters for status. It never waits for the programs
 * to load inside a pass (the compile takes seconds on a busy machine and held up the passes
 * behind it): the first pass starts the load, the next sync does the work.
 *
 * `PRIVLINK_VPC_FWD=0` keeps it off (routed frames then take the VPC namespaces' IP stacks).
 */
import type { DataplaneContext, Reconciler } from '../context.js';
import { VPC_BRIDGE } from '../vpc/vpc-network.js';
import { fastPathOf, type FastPath } from './fastpath.js';
import {
  LAYOUTS,
  deleteLine,
  hex,
  pack,
  perCpuSum,
  updateLine,
  vpcFwdView,
  type FdbEntry,
  type IpLink,
} from './fastpath-maps.js';

/** VPC namespaces read at once by a sync. */
const SYNC_PARALLEL = 4;

export const vpcFwdEnabled = (): boolean =>
  !/^(0|off|false|no)$/i.test(process.env['PRIVLINK_VPC_FWD'] ?? '');

interface Entry {
  map: 'fp_vrtr' | 'fp_vfdb';
  key: Buffer;
  value: Buffer;
}

interface NsState {
  /** Ports carrying vpc_fwd: ifindex → name. */
  attached: Map<number, string>;
  /** Next hops written for this namespace (MAC → port ifindex). */
  nextHops: Map<string, number>;
}

export class VpcFwdReconciler implements Reconciler {
  readonly name = 'vpc-fwd';
  private readonly fast: FastPath | undefined;
  private readonly byNs = new Map<string, NsState>();
  /** Map entries written: key line part → value hex (fp_vrtr and fp_vfdb). */
  private readonly written = new Map<string, Entry>();
  private closed = false;
  private running: Promise<void> | undefined;
  private again = false;
  private lastError: string | undefined;

  constructor(private readonly ctx: DataplaneContext) {
    this.fast = vpcFwdEnabled() ? fastPathOf(ctx) : undefined;
    if (!this.fast) return;
    this.fast.use();
    this.fast.onTick(() => this.sync());
    // A rebuilt namespace has fresh ports: attach again.
    ctx.events.on('vpc-up', ({ namespace }: { namespace?: string }) => {
      if (namespace) this.byNs.delete(namespace);
    });
  }

  reconcile(): Promise<void> {
    return this.sync();
  }

  /** One sync at a time; a call during one runs another after it. */
  sync(): Promise<void> {
    if (!this.fast || this.closed) return Promise.resolve();
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.again = false;
        await this.syncOnce();
      } while (this.again);
    })().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async syncOnce(): Promise<void> {
    const fast = this.fast;
    if (!fast) return;
    const vpcs = this.ctx.vpcs.list().filter((v) => v.namespace);
    if (vpcs.length === 0 && this.written.size === 0) return;
    if (!fast.loaded) {
      // Loading compiles the programs (seconds on a busy machine): not inside the pass. The
      // GC tick, which starts with the load, or the next pass, does the rest.
      void fast.ensure().catch((e: unknown) => (this.lastError = String(e)));
      return;
    }
    const { runner } = this.ctx;
    const want = new Map<string, Entry>();
    const errors: string[] = [];
    const seen = new Set<string>();
    const one = async (ns: string): Promise<void> => {
      try {
        const [links, fdb] = await Promise.all([
          runner.run(['ip', '-n', ns, '-d', '-j', 'link', 'show']),
          runner.run(['bridge', '-n', ns, '-j', 'fdb', 'show', 'br', VPC_BRIDGE]),
        ]);
        const st = this.byNs.get(ns) ?? {
          attached: new Map<number, string>(),
          nextHops: new Map(),
        };
        this.byNs.set(ns, st);
        const view = vpcFwdView(
          JSON.parse(links.stdout || '[]') as IpLink[],
          JSON.parse(fdb.stdout || '[]') as FdbEntry[],
          VPC_BRIDGE,
          st.nextHops,
        );
        if (!view.router) return;
        const present = new Set(view.ports.map((p) => p.ifindex));
        for (const i of [...st.attached.keys()]) if (!present.has(i)) st.attached.delete(i);
        const fresh = view.ports.filter((p) => st.attached.get(p.ifindex) !== p.ifname);
        // One tc process for the namespace's new ports; when one went away meanwhile (the batch
        // fails), each alone: that port drops out of the view on the next sync.
        await fast
          .attachMany(
            ns,
            fresh.map((p) => p.ifname),
            'vpc_fwd',
          )
          .then(
            () => fresh.forEach((p) => st.attached.set(p.ifindex, p.ifname)),
            async () => {
              for (const p of fresh)
                await fast.attach(ns, p.ifname, 'vpc_fwd').then(
                  () => st.attached.set(p.ifindex, p.ifname),
                  (e: unknown) => errors.push(`${ns} ${p.ifname}: ${String(e)}`),
                );
            },
          );
        // Next hops only on ports that carry the program (the rest are not redirect targets yet).
        const attachedIdx = new Set(st.attached.keys());
        st.nextHops = new Map([...view.nextHops].filter(([, i]) => attachedIdx.has(i)));
        const rkey = fast.macKey(view.router.mac);
        want.set(`r ${hex(rkey)}`, {
          map: 'fp_vrtr',
          key: rkey,
          value: pack(LAYOUTS.vrtr_val, { br_ifindex: view.router.ifindex }),
        });
        for (const [mac, ifindex] of st.nextHops) {
          const k = pack(LAYOUTS.vfdb_key, { router_mac: view.router.mac, mac });
          want.set(`f ${hex(k)}`, {
            map: 'fp_vfdb',
            key: k,
            value: pack(LAYOUTS.vfdb_val, { port_ifindex: ifindex }),
          });
        }
      } catch (e) {
        errors.push(`${ns}: ${e instanceof Error ? e.message : String(e)}`);
        // Unreadable this time (namespace going away): keep what is written for it.
        for (const [id, w] of this.written) if (!want.has(id)) want.set(id, w);
      }
    };
    // A few namespaces at a time: each costs two reads (and a tc run for new ports), and a
    // pass with many VPCs waited for them one after another.
    const queue = vpcs.map((v) => v.namespace ?? '');
    for (const ns of queue) seen.add(ns);
    const worker = async () => {
      for (let ns = queue.shift(); ns !== undefined; ns = queue.shift()) await one(ns);
    };
    await Promise.all(Array.from({ length: Math.min(SYNC_PARALLEL, queue.length) }, worker));
    for (const ns of [...this.byNs.keys()]) if (!seen.has(ns)) this.byNs.delete(ns);
    const lines: string[] = [];
    for (const [id, w] of this.written) {
      if (!want.has(id)) lines.push(deleteLine(fast.map(w.map), w.key));
    }
    for (const [id, w] of want) {
      const had = this.written.get(id);
      if (!had?.value.equals(w.value)) lines.push(updateLine(fast.map(w.map), w.key, w.value));
    }
    await fast.batch(lines, true);
    this.written.clear();
    for (const [id, w] of want) this.written.set(id, w);
    this.lastError = errors.length ? errors.join('; ') : undefined;
    await this.readCounters(fast).catch(() => undefined);
    if (errors.length) throw new Error(errors.join('; '));
  }

  private async readCounters(fast: FastPath): Promise<void> {
    const { stdout } = await this.ctx.runner.run([
      'bpftool',
      '-j',
      'map',
      'dump',
      'pinned',
      fast.map('fp_vstat'),
    ]);
    const rows = JSON.parse(stdout || '[]') as { values?: unknown }[];
    let ports = 0;
    for (const st of this.byNs.values()) ports += st.attached.size;
    fast.vpcFwd = {
      hits: Number(perCpuSum(rows[0]?.values)),
      misses: Number(perCpuSum(rows[1]?.values)),
      ports,
      nextHops: [...this.written.keys()].filter((k) => k.startsWith('f ')).length,
      ...(this.lastError ? { lastError: this.lastError } : {}),
    };
  }

  async close(): Promise<void> {
    if (!this.fast) return;
    this.closed = true;
    await this.running?.catch(() => undefined);
    this.byNs.clear();
    this.written.clear();
    this.fast.vpcFwd = undefined;
    await this.fast.release();
  }

  describe(): Record<string, unknown> {
    if (!this.fast) return { enabled: false };
    let ports = 0;
    for (const st of this.byNs.values()) ports += st.attached.size;
    return { enabled: true, vpcs: this.byNs.size, ports };
  }
}
