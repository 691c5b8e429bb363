/**
 * The Dataplane component: owns everything privlink builds outside its own process (network
 * namespaces, links, nft tables, user-data processes, sockets bound in namespaces), the shared
 * `Traffic` (fabric, proxy host, health checker) and the `Runner` every process goes through.
 *
 * It probes the mode (netns when root with `ip`/`nft`, else loopback), sweeps leftovers named
 * `<prefix>-…` at start and at close, subscribes to committed store changes and runs an ordered
 * list of sub-reconcilers **serially**: one pass at a time, bursts of changes coalesced into one
 * pass, a failed reconciler logged and retried on a later pass (never a crash).
 *
 * Order of a pass: VPC networks → instances → load balancer nodes → endpoint interfaces. Every
 * reconciler keeps its own "actual" map and converges it to the store, so after a restart the
 * sweep removes everything and the first pass rebuilds it.
 *
 * What it reports back it offers as ports, stable objects handed out by the composition root
 * before start() and valid after close(): `ports` for the control plane (target health, endpoint
 * readiness, instance consoles) and `dns` for the DNS component (VPC events and networks, mode,
 * loopback addresses of ENIs, binding sockets in a namespace).
 */
import { EventEmitter } from 'node:events';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { PrivlinkOptions } from '../config/options.js';
import type { Component, ExecResult } from '../emulator.js';
import {
  alwaysReady,
  assumeHealthy,
  noConsoleOutput,
  type DataplanePorts,
  type ReconcileStats,
} from '../control/ports.js';
import type { Clock } from '../shared/clock.js';
import type { IdSource } from '../shared/ids.js';
import type { Logger } from '../shared/logger.js';
import type { Store } from '../store/store.js';
import type { DataplaneContext, DataplaneMode, Reconciler, ReconcilerFactory } from './context.js';
import type { Runner } from './netns/runner.js';
import { systemRunner } from './netns/system-runner.js';
import { chooseDatapath, type DatapathDecision } from './bpf/datapath-choice.js';
import { sweepBpfMounts } from './bpf/fastpath.js';
import { deleteNamespace, listNamespaces, probeNetns } from './netns/commands.js';
import { openInNamespace, type NsSocket, type NsSocketRequest } from './netns/ns-sockets.js';
import type { VpcNetworks } from './vpc/vpc-network.js';
import { VpcReconciler } from './vpc/vpc-reconciler.js';
import { InstanceReconciler } from './instances/instance-reconciler.js';
import { prepareRunDir, removeRunDir } from './run-dir.js';
import { NlbReconciler } from './nlb/nlb-reconciler.js';
import { EndpointReconciler } from './endpoints/endpoint-reconciler.js';
import { RoutingReconciler, storeHopFacts } from './routing/routing-reconciler.js';
import { defaultHopResolvers } from './routing/route-plan.js';
import { GatewayEndpointReconciler } from './endpoints/gateway-reconciler.js';
import { GwlbReconciler } from './gwlb/gwlb-reconciler.js';
import { VpcFwdReconciler } from './bpf/vpc-fwd.js';
import { Traffic } from './fabric/traffic.js';

export type { VpcNetworks, VpcNetwork } from './vpc/vpc-network.js';
export { VPC_BRIDGE } from './vpc/vpc-network.js';
export type { DataplaneContext, DataplaneEvents, Reconciler, ReconcilerFactory } from './context.js';

/** What DNS needs of the data plane (structurally the DNS component's `DnsDataplane`). */
export interface DataplaneDnsPort {
  /** 'vpc-up' / 'vpc-down' (DataplaneEvents); usable before start(). */
  events: EventEmitter;
  vpcs: VpcNetworks;
  /** The mode once started ('loopback' before). */
  mode(): DataplaneMode;
  /** Loopback mode: the 127.77.x.y an ENI's proxies listen on, if any. */
  hostAddressOf(eniId: string): string | undefined;
  /** Binds sockets inside a namespace (VPC resolvers) through the data plane's runner. */
  bindInNamespace(ns: string, requests: readonly NsSocketRequest[]): Promise<NsSocket[]>;
}

/**
 * Reconcilers run after the VPC networks, in this order: instance boots, load balancer nodes,
 * instance stops, then endpoint interfaces (which forward to the nodes).
 */
/** One instance reconciler per context: its boots and its stops are two steps of a pass. */
const instanceReconcilers = new WeakMap<DataplaneContext, InstanceReconciler>();
function instancesOf(ctx: DataplaneContext): InstanceReconciler {
  let r = instanceReconcilers.get(ctx);
  if (!r) instanceReconcilers.set(ctx, (r = new InstanceReconciler(ctx)));
  return r;
}

/** One gateway-endpoint reconciler per context: route tables ask it for next hops. */
const gatewayReconcilers = new WeakMap<DataplaneContext, GatewayEndpointReconciler>();
function gatewaysOf(ctx: DataplaneContext): GatewayEndpointReconciler {
  let g = gatewayReconcilers.get(ctx);
  if (!g) gatewayReconcilers.set(ctx, (g = new GatewayEndpointReconciler(ctx)));
  return g;
}

export const RECONCILERS: readonly ReconcilerFactory[] = [
  (ctx) => instancesOf(ctx),
  (ctx) => new NlbReconciler(ctx),
  // Stops after the NLB nodes: a stopping instance's target gets no new flows before it goes.
  (ctx) => instancesOf(ctx).stopStep,
  (ctx) => new EndpointReconciler(ctx),
  (ctx) => gatewaysOf(ctx),
  (ctx) => new GwlbReconciler(ctx),
  // Last: route tables name ENIs and endpoints as next hops.
  (ctx) =>
    new RoutingReconciler(ctx, () => ({
      ...defaultHopResolvers(storeHopFacts(ctx.store)),
      'gateway-endpoint': (t) => {
        const hop = gatewaysOf(ctx).hopOf(t.vpceId);
        return hop ? { type: 'via', gateway: hop } : { type: 'unreachable' };
      },
    })),
  // After everything that plugs ports into VPC bridges (BPF data path only; inert otherwise).
  (ctx) => new VpcFwdReconciler(ctx),
];

export interface DataplaneDeps {
  store: Store;
  clock: Clock;
  ids: IdSource;
  options: PrivlinkOptions;
  logger: Logger;
  /** Starts every process the data plane needs (default: real processes). */
  runner?: Runner;
  /** privlink's CA certificate (PEM): instances trust it besides the host's bundle. */
  caCertificate?: () => string | undefined;
}

/** The host's trust bundle (Debian's path), which instances get with privlink's CA appended. */
const HOST_CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';

/** Writes host bundle + privlink CA into runDir; undefined without a CA. */
async function writeCaBundle(runDir: string, caPem: string | undefined): Promise<string | undefined> {
  if (!caPem) return undefined;
  const host = await readFile(HOST_CA_BUNDLE, 'utf8').catch(() => '');
  const path = join(runDir, 'ca-certificates.crt');
  await writeFile(path, `${host}${host && !host.endsWith('\n') ? '\n' : ''}${caPem}`, { mode: 0o644 });
  return path;
}

/** A reconcile failure with what to do about it, where the cause is a known one. */
export function failureWithRemedy(msg: string): string {
  const inUse = /EADDRINUSE\D*?((?:\d{1,3}\.){3}\d{1,3}):(\d+)/.exec(msg);
  if (inUse) {
    return (
      `${msg} — another process on this host holds port ${inUse[2] ?? ''} (in loopback mode often an instance's ` +
      `user data listening on 0.0.0.0 instead of its PRIVLINK_BIND_IP); stop it or bind it to its own ` +
      `address, or run privlink as root for the netns data plane, where every VPC has its own ports`
    );
  }
  if (/EACCES/.test(msg) && /listen/.test(msg)) {
    return `${msg} — ports below 1024 need root (or CAP_NET_BIND_SERVICE) in loopback mode`;
  }
  return msg;
}

const RETRY_MIN_MS = 250;
const RETRY_MAX_MS = 5_000;

export class Dataplane implements Component {
  readonly name = 'dataplane';
  private mode: DataplaneMode = 'loopback';
  private reason = '';
  private datapath: DatapathDecision = { datapath: 'nftables', reason: 'not in netns mode' };
  private ctx: DataplaneContext | undefined;
  private traffic: Traffic | undefined;
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
  /** Passes, failures and time per reconciler (the `reconcile` port, for /metrics). */
  private readonly stats = new Map<string, ReconcileStats>();
  private vpcReconciler: VpcReconciler | undefined;
  private instances: InstanceReconciler | undefined;
  private endpoints: EndpointReconciler | undefined;
  private gwlb: GwlbReconciler | undefined;
  private readonly runner: Runner;
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
  /**
   * For the control plane. Before start() and after close() they answer as if there were no
   * data plane: every target healthy, every endpoint ready, no console output.
   */
  readonly ports: DataplanePorts = {
    health: {
      healthOf: (tg, id, port) => {
        const t = this.liveTraffic();
        if (!t) return assumeHealthy.healthOf(tg, id, port);
        // NLB targets are checked by the shared checker, GWLB appliances by their nodes.
        return t.health.healthOf(tg, id, port) ?? this.gwlb?.healthOf(tg, id, port);
      },
    },
    readiness: {
      isReady: (ep) =>
        this.endpoints && !this.closed ? this.endpoints.isReady(ep) : alwaysReady.isReady(ep),
    },
    console: {
      consoleOutputOf: (id) =>
        this.instances && !this.closed
          ? this.instances.consoleOutputOf(id)
          : noConsoleOutput.consoleOutputOf(id),
      machineStatusOf: (id) =>
        this.instances && !this.closed ? this.instances.machineStatusOf(id) : undefined,
    },
    traffic: {
      endpointTraffic: () =>
        this.endpoints && !this.closed ? this.endpoints.endpointTraffic() : Promise.resolve(new Map()),
    },
    reconcile: { reconcileStats: () => this.stats },
  };
  /** For the DNS component. */
  readonly dns: DataplaneDnsPort = {
    events: this.events,
    vpcs: this.vpcs,
    mode: () => this.mode,
    hostAddressOf: (eniId) =>
      this.mode === 'loopback' ? this.liveTraffic()?.loopback?.lookup(eniId) : undefined,
    bindInNamespace: (ns, requests) => openInNamespace(this.runner, ns, requests),
  };

  /** The unix socket AWS-service endpoint traffic arrives on (netns mode, once started). */
  get awsServicesSocket(): string | undefined {
    return this.ctx?.awsServicesSocket;
  }

  constructor(private readonly deps: DataplaneDeps) {
    this.runner = deps.runner ?? systemRunner;
    this.events.setMaxListeners(50);
    this.events.on('agent-lost', () => this.schedule());
  }

  private liveTraffic(): Traffic | undefined {
    return this.traffic && !this.traffic.isClosed ? this.traffic : undefined;
  }

  /** Data-plane mode once started ('loopback' before). */
  get currentMode(): DataplaneMode {
    return this.mode;
  }

  get prefix(): string {
    return this.deps.options.netnsPrefix;
  }

  async start(): Promise<void> {
    const { options, logger } = this.deps;
    await this.chooseMode(options.dataplane);
    logger.info(`data plane mode: ${this.mode} (${this.reason})`, { netnsPrefix: this.prefix });
    if (this.mode === 'netns') {
      this.datapath = await chooseDatapath(this.runner, options.datapath);
      logger.info(`data path: ${this.datapath.datapath} (${this.datapath.reason})`);
    }
    await this.sweep();
    // bpffs mounts of a run killed with -9 would make removing its run dir fail (EBUSY).
    if (this.mode === 'netns') {
      const stem = `privlink-run-${this.prefix}-`;
      const dataRun = join(options.dataDir, 'run') + '/';
      await sweepBpfMounts(
        (argv) => this.runner.run(argv),
        (p) => p.includes(`/${stem}`) || p.startsWith(dataRun),
      );
    }
    // A private directory nobody else can have made first (run-dir.ts).
    const { path: runDir, orphansKilled: orphans } = await prepareRunDir({
      ephemeral: options.ephemeral,
      dataDir: options.dataDir,
      prefix: this.prefix,
      runner: this.runner,
    });
    if (orphans) logger.info(`killed ${orphans} user-data process group(s) left by an earlier run`);
    const events = this.events;
    const traffic = new Traffic({
      mode: this.mode,
      prefix: this.prefix,
      fabricCidr: options.fabricCidr,
      proxyWorkers: options.proxyWorkers,
      runner: this.runner,
      clock: this.deps.clock,
      logger,
      events,
    });
    this.traffic = traffic;
    const vpc = new VpcReconciler({
      store: this.deps.store,
      runner: this.runner,
      prefix: this.prefix,
      mode: this.mode,
      logger: logger.child('vpc'),
      events,
    });
    this.vpcReconciler = vpc;
    const ctx: DataplaneContext = {
      store: this.deps.store,
      clock: this.deps.clock,
      ids: this.deps.ids,
      runner: this.runner,
      prefix: this.prefix,
      mode: this.mode,
      datapath: this.datapath.datapath,
      logger,
      runDir,
      awsServicesSocket: this.mode === 'netns' ? join(runDir, 'aws-services.sock') : undefined,
      caBundle: await writeCaBundle(runDir, this.deps.caCertificate?.()),
      instanceTiming: { pendingMs: options.pendingMs, deletedRetentionMs: options.deletedRetentionMs },
      events,
      vpcs: this.vpcs,
      hostAddresses: new Map<string, string>(),
      traffic,
    };
    this.ctx = ctx;
    const rest = RECONCILERS.map((f) => f(ctx));
    this.instances = rest.find((r): r is InstanceReconciler => r instanceof InstanceReconciler);
    this.endpoints = rest.find((r): r is EndpointReconciler => r instanceof EndpointReconciler);
    this.gwlb = rest.find((r): r is GwlbReconciler => r instanceof GwlbReconciler);
    this.reconcilers = [vpc, ...rest];
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
        const stat = this.stats.get(r.name) ?? { passes: 0, failures: 0, secondsTotal: 0 };
        this.stats.set(r.name, stat);
        const t0 = performance.now();
        try {
          await r.reconcile();
          if (this.errors.delete(r.name)) {
            this.deps.logger.info(`reconcile step ${r.name} recovered`);
          }
        } catch (e) {
          failed = true;
          stat.failures++;
          const msg = failureWithRemedy(e instanceof Error ? e.message : String(e));
          // Logged when it starts or changes, not on every retry: a lasting failure (a port held
          // by another process) would otherwise fill the log every 5 s. Status shows it all along.
          if (this.errors.get(r.name) !== msg) {
            this.deps.logger.warn(`reconcile step ${r.name} failed; retrying quietly until it changes`, {
              error: msg,
            });
          }
          this.errors.set(r.name, msg);
          this.lastError = `${r.name}: ${msg}`;
        } finally {
          stat.passes++;
          stat.secondsTotal += (performance.now() - t0) / 1000;
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
    const probe = await probeNetns(this.runner);
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
    const names = await listNamespaces(this.runner, this.prefix);
    // The fabric goes last: ENI namespaces hold veths into it.
    names.sort((a, b) => Number(a.endsWith('-fabric')) - Number(b.endsWith('-fabric')));
    for (const ns of names) {
      try {
        await deleteNamespace(this.runner, ns);
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
    // After every reconciler: the endpoints stop their proxies on the host first.
    await this.traffic
      ?.close()
      .catch((e: unknown) => this.deps.logger.warn('closing the traffic host failed', { error: String(e) }));
    await this.sweep();
    // A reconciler that failed to close may have left its bpffs mounted there.
    if (this.ctx) await removeRunDir(this.ctx.runDir, this.runner).catch(() => undefined);
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
    const full = sandboxed ?? [...argv];
    if (full.length === 0) throw new Error('empty command');
    return new Promise((resolve, reject) => {
      const child = this.runner.spawn(full, {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, PRIVLINK_INSTANCE_ID: instanceId },
        timeoutMs,
        killSignal: 'SIGKILL',
      });
      let stdout = '';
      let stderr = '';
      child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
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
      ...(this.mode === 'netns'
        ? { datapath: this.datapath.datapath, datapathReason: this.datapath.reason }
        : {}),
      netnsPrefix: this.prefix,
      namespaces,
      passes: this.passes,
      ...(this.errors.size ? { errors: Object.fromEntries(this.errors) } : {}),
      ...(this.lastError ? { lastError: this.lastError } : {}),
      reconcilers: parts,
    };
  }
}
