/**
 * The Dataplane component: owns everything privlink builds outside its own process (network
 * namespaces, links, nft tables, user-data processes, sockets bound in namespaces).
 *
 * It probes the mode (netns when root with `ip`/`nft`, else loopback), sweeps leftovers named
 * `<prefix>-…` at start and at close, subscribes to committed store changes and runs an ordered
 * list of sub-reconcilers **serially**: one pass at a time, bursts of changes coalesced into one
 * pass, a failed reconciler logged and retried on a later pass (never a crash).
 *
 * Order of a pass: VPC networks → instances → load balancer nodes → endpoint interfaces. Every
 * reconciler keeps its own "actual" map and converges it to the store, so after a restart the
 * sweep removes everything and the first pass rebuilds it (dp-contract).
 */
import { EventEmitter } from 'node:events';
import { readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Control } from '../control/control.js';
import type { PrivlinkOptions } from '../config/options.js';
import type { Component, ExecResult } from '../emulator.js';
import type { Logger } from '../shared/logger.js';
import type { Store } from '../store/store.js';
import { deleteNamespace, listNamespaces, probeNetns } from './netns/run.js';
import { spawn } from 'node:child_process';
import { VpcReconciler, type VpcNetworks } from './vpc/vpc-reconciler.js';
import { InstanceReconciler, sweepLoopbackProcesses } from './instances/instance-reconciler.js';
import { NlbReconciler } from './nlb/nlb-reconciler.js';
import { EndpointReconciler } from './endpoints/endpoint-reconciler.js';

export type { VpcNetworks, VpcNetwork } from './vpc/vpc-reconciler.js';
export { VPC_BRIDGE } from './vpc/vpc-reconciler.js';

/** One step of a reconcile pass. reconcile() converges its actual state to the store. */
export interface Reconciler {
  readonly name: string;
  reconcile(): Promise<void>;
  /** Removes everything this reconciler made. Called once, at shutdown. */
  close(): Promise<void>;
  describe?(): Record<string, unknown>;
}

/** Events of `DataplaneContext.events`. */
export interface DataplaneEvents {
  /** A VPC network is ready (netns: namespace and bridge exist; loopback: namespace undefined). */
  'vpc-up': { vpcId: string; namespace: string | undefined; resolverIp: string };
  'vpc-down': { vpcId: string };
  /** The fabric agents died: the proxies they served must be served again (next pass). */
  'agent-lost': Record<string, never>;
}

export interface DataplaneContext {
  store: Store;
  control: Control;
  /** Prefix of every namespace/link privlink makes (options.netnsPrefix). */
  prefix: string;
  mode: 'netns' | 'loopback';
  logger: Logger;
  fabricCidr: string;
  /** Fabric agent processes serving PPv2 listeners (0 = one per core). */
  proxyWorkers: number;
  /** Directory for per-run files (user-data scripts, console logs); removed at close. */
  runDir: string;
  /** Lookup of VPC networks: namespace + bridge + isReady(vpcId). */
  vpcs: VpcNetworks;
  /**
   * Loopback mode: the 127.x address each instance listens on, by instance ID (filled by the
   * instances reconciler). Load balancers reach instance targets there; a VPC address is never
   * contacted from the host.
   */
  hostAddresses: Map<string, string>;
  /** 'vpc-up' {vpcId, namespace, resolverIp}, 'vpc-down' {vpcId} (see DataplaneEvents). */
  events: EventEmitter;
}

export type ReconcilerFactory = (ctx: DataplaneContext) => Reconciler;

/**
 * Reconcilers run after the VPC networks, in this order. The traffic engineer appends the load
 * balancer node and endpoint interface reconcilers here (in that order).
 */
export const RECONCILERS: readonly ReconcilerFactory[] = [
  (ctx) => new InstanceReconciler(ctx),
  (ctx) => new NlbReconciler(ctx),
  (ctx) => new EndpointReconciler(ctx),
];

export interface DataplaneDeps {
  store: Store;
  control: Control;
  options: PrivlinkOptions;
  logger: Logger;
}

const RETRY_MIN_MS = 250;
const RETRY_MAX_MS = 5_000;

export class Dataplane implements Component {
  readonly name = 'dataplane';
  private mode: 'netns' | 'loopback' = 'loopback';
  private reason = '';
  private ctx: DataplaneContext | undefined;
  private reconcilers: Reconciler[] = [];
  private unsubscribe: (() => void) | undefined;
  private running: Promise<void> | undefined;
  private dirty = false;
  private scheduled = false;
  private closed = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryMs = RETRY_MIN_MS;
  private passes = 0;
  private lastError: string | undefined;
  private readonly errors = new Map<string, string>();
  private vpcReconciler: VpcReconciler | undefined;
  /**
   * 'vpc-up' / 'vpc-down' (DataplaneEvents). Exists from construction so components built next to
   * the data plane (DNS) can listen before start(); VPCs already up are in `vpcs.list()`.
   */
  readonly events = new EventEmitter();
  /** Stable lookup of VPC networks (empty until start()). */
  readonly vpcs: VpcNetworks = {
    get: (id) => this.vpcReconciler?.networks.get(id),
    isReady: (id) => this.vpcReconciler?.networks.isReady(id) ?? false,
    namespaceOf: (id) => this.vpcReconciler?.networks.namespaceOf(id),
    list: () => this.vpcReconciler?.networks.list() ?? [],
  };

  constructor(private readonly deps: DataplaneDeps) {
    this.events.setMaxListeners(50);
    this.events.on('agent-lost', () => this.schedule());
  }

  /** Data-plane mode once started ('loopback' before). */
  get currentMode(): 'netns' | 'loopback' {
    return this.mode;
  }

  /** The context handed to reconcilers (undefined before start()). */
  get context(): DataplaneContext | undefined {
    return this.ctx;
  }

  get prefix(): string {
    return this.deps.options.netnsPrefix;
  }

  async start(): Promise<void> {
    const { options, logger } = this.deps;
    await this.chooseMode(options.dataplane);
    logger.info(`data plane mode: ${this.mode} (${this.reason})`, { netnsPrefix: this.prefix });
    await this.sweep();
    // Ephemeral runs have no data dir: a per-prefix directory lets the next run find orphans.
    const runDir = options.ephemeral
      ? join(tmpdir(), `privlink-run-${this.prefix}`)
      : join(options.dataDir, 'run');
    const orphans = await sweepLoopbackProcesses(runDir);
    if (orphans) logger.info(`killed ${orphans} user-data process group(s) left by an earlier run`);
    await rm(runDir, { recursive: true, force: true });
    const events = this.events;
    const base = {
      store: this.deps.store,
      control: this.deps.control,
      prefix: this.prefix,
      mode: this.mode,
      logger,
      fabricCidr: options.fabricCidr,
      proxyWorkers: options.proxyWorkers,
      runDir,
      events,
      hostAddresses: new Map<string, string>(),
    };
    const vpc = new VpcReconciler({ ...base, logger: logger.child('vpc') });
    this.vpcReconciler = vpc;
    const ctx: DataplaneContext = { ...base, vpcs: this.vpcs };
    this.ctx = ctx;
    this.reconcilers = [vpc, ...RECONCILERS.map((f) => f(ctx))];
    this.unsubscribe = this.deps.store.subscribe(() => this.schedule());
    // The first pass rebuilds whatever the store holds (restart = sweep + rebuild).
    await this.pass();
  }

  /** Runs a pass now (or after the one in flight) and resolves when the store is converged. */
  async pass(): Promise<void> {
    this.dirty = true;
    while (this.running) await this.running;
    if (this.dirty && !this.closed) {
      this.running = this.runPass().finally(() => {
        this.running = undefined;
      });
      await this.running;
    }
  }

  /** Asks for a pass soon; many calls in one tick (or during a pass) give one more pass. */
  private schedule(): void {
    if (this.closed) return;
    this.dirty = true;
    if (this.running || this.scheduled) return; // a running pass loops while dirty
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (!this.closed) void this.pass();
    });
  }

  private async runPass(): Promise<void> {
    while (this.dirty && !this.closed) {
      this.dirty = false;
      this.passes++;
      let failed = false;
      for (const r of this.reconcilers) {
        if (this.closed) return;
        try {
          await r.reconcile();
          this.errors.delete(r.name);
        } catch (e) {
          failed = true;
          const msg = e instanceof Error ? e.message : String(e);
          this.errors.set(r.name, msg);
          this.lastError = `${r.name}: ${msg}`;
          this.deps.logger.warn(`reconcile step ${r.name} failed; will retry`, { error: msg });
        }
      }
      if (failed) this.scheduleRetry();
      else this.retryMs = RETRY_MIN_MS;
    }
  }

  private scheduleRetry(): void {
    if (this.retryTimer || this.closed) return;
    const delay = this.retryMs;
    this.retryMs = Math.min(RETRY_MAX_MS, this.retryMs * 2);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.schedule();
    }, delay);
    this.retryTimer.unref();
  }

  private async chooseMode(wanted: PrivlinkOptions['dataplane']): Promise<void> {
    if (wanted === 'loopback') {
      this.mode = 'loopback';
      this.reason = 'requested with dataplane=loopback; instances and endpoints are not isolated';
      return;
    }
    const probe = await probeNetns();
    if (probe.ok) {
      this.mode = 'netns';
      this.reason = probe.reason;
      return;
    }
    if (wanted === 'netns') throw new Error(`dataplane=netns requested but unavailable: ${probe.reason}`);
    this.mode = 'loopback';
    this.reason = `${probe.reason}; falling back to loopback (no isolation between VPCs)`;
  }

  /** Removes every namespace and /etc/netns entry named `<prefix>-…` (leftovers of any run). */
  private async sweep(): Promise<void> {
    if (this.mode !== 'netns') return;
    const names = await listNamespaces(this.prefix);
    // The fabric goes last: ENI namespaces hold veths into it.
    names.sort((a, b) => Number(a.endsWith('-fabric')) - Number(b.endsWith('-fabric')));
    for (const ns of names) {
      try {
        await deleteNamespace(ns);
      } catch (e) {
        this.deps.logger.warn(`sweep: could not delete namespace ${ns}`, { error: String(e) });
      }
    }
    try {
      for (const f of await readdir('/etc/netns')) {
        if (f.startsWith(this.prefix + '-'))
          await rm(join('/etc/netns', f), { recursive: true, force: true });
      }
    } catch {
      // no /etc/netns: nothing to sweep
    }
    if (names.length) this.deps.logger.info(`swept ${names.length} leftover namespace(s)`);
  }

  async reset(): Promise<void> {
    // The store is empty now: one pass converges every reconciler to nothing.
    await this.pass();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe?.();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    while (this.running) await this.running;
    for (const r of [...this.reconcilers].reverse()) {
      try {
        await r.close();
      } catch (e) {
        this.deps.logger.warn(`closing ${r.name} failed`, { error: String(e) });
      }
    }
    await this.sweep();
    if (this.ctx) await rm(this.ctx.runDir, { recursive: true, force: true }).catch(() => undefined);
  }

  /**
   * Runs argv inside a running instance and collects its output (the demo and tests use this;
   * `privlink exec` does the same from another process). Bounded by timeoutMs.
   */
  async execInInstance(instanceId: string, argv: readonly string[], timeoutMs: number): Promise<ExecResult> {
    const inst = this.deps.store.find('instance', instanceId);
    // pending counts: the state settles lazily (on the next instance action), but the instance
    // was booted as soon as it was launched — `privlink exec` accepts it too.
    if (!inst || (inst.state !== 'running' && inst.state !== 'pending'))
      throw new Error(`instance ${instanceId} is not running`);
    const sandboxed = this.reconcilers
      .find((r): r is InstanceReconciler => r instanceof InstanceReconciler)
      ?.execArgv(instanceId, argv);
    // netns mode: only inside the instance's sandbox, never in its bare namespace.
    if (this.mode === 'netns' && !sandboxed) {
      return { code: 125, stdout: '', stderr: `instance ${instanceId} has no running sandbox (yet)\n` };
    }
    const [cmd, ...args] = sandboxed ?? [...argv];
    if (!cmd) throw new Error('empty command');
    return new Promise((resolve, reject) => {
      const child = spawn(cmd, args, {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, PRIVLINK_INSTANCE_ID: instanceId },
        timeout: timeoutMs,
        killSignal: 'SIGKILL',
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('error', reject);
      child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr }));
    });
  }

  describe(): Record<string, unknown> {
    const parts: Record<string, unknown> = {};
    let namespaces = 0;
    for (const r of this.reconcilers) {
      const d = r.describe?.() ?? {};
      parts[r.name] = d;
      if (typeof d['namespaces'] === 'number') namespaces += d['namespaces'];
    }
    return {
      mode: this.mode,
      reason: this.reason,
      netnsPrefix: this.prefix,
      namespaces,
      passes: this.passes,
      ...(this.errors.size ? { errors: Object.fromEntries(this.errors) } : {}),
      ...(this.lastError ? { lastError: this.lastError } : {}),
      reconcilers: parts,
    };
  }
}
