/**
 * `AgentProxyHost`: the `ProxyHost` of netns mode. Runs a small pool of fabric agents (agent-main)
 * inside the fabric namespace and talks to them over IPC. Every PPv2 listening socket is handed to
 * every agent of the pool: they all accept on the same socket and the kernel gives each new
 * connection to one of them, so PPv2 traffic uses more than one core (Node 20 has no reusePort;
 * sharing one listening socket between processes is what `cluster` does too). Health probes go
 * to one agent at a time.
 *
 * One owner: close() disconnects the agents, which then close their proxies and exit (and the
 * fabric namespace's deletion kills them in any case). If any agent dies, the whole pool is
 * stopped, `generation` changes and the next request starts a new pool, so reconcilers can tell
 * that their proxies are gone and serve them again.
 */
import type { ChildProcess } from 'node:child_process';
import type { Server } from 'node:net';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../../shared/logger.js';
import type { Runner } from '../netns/runner.js';
import type { ProbeResult, ProbeSpec } from '../health/probe.js';
import type { AgentReply, AgentRequest, DistributiveOmit } from './agent-protocol.js';
import type { ProxyHost, ProxySpec, ProxyStats } from './proxy-host.js';

const START_TIMEOUT_MS = 15_000;
const REQUEST_TIMEOUT_MS = 15_000;
/** More agents than this buys nothing on hosts we know of and costs ~50 MB each. */
const MAX_AUTO_WORKERS = 4;

/** Pool size for `requested` (0 = one per core, at most MAX_AUTO_WORKERS). */
export function agentWorkers(requested = 0): number {
  return requested > 0 ? requested : Math.max(1, Math.min(MAX_AUTO_WORKERS, availableParallelism()));
}

/** argv to run agent-main with the current runtime (tsx when running from sources). */
function agentArgv(): string[] {
  const here = fileURLToPath(import.meta.url);
  const ext = here.endsWith('.ts') ? '.ts' : '.js';
  const entry = here.replace(/agent-client\.(ts|js)$/, `agent-main${ext}`);
  return ext === '.ts' ? ['--import', import.meta.resolve('tsx'), entry] : [entry];
}

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

type Request = DistributiveOmit<AgentRequest, 'reqId'>;

/** One agent process and its request/reply channel. */
class AgentProcess {
  private readonly pending = new Map<number, Pending>();
  private seq = 0;
  exited = false;

  private constructor(private readonly child: ChildProcess) {}

  static start(
    runner: Runner,
    namespace: string,
    onExit: (agent: AgentProcess, why: string) => void,
  ): Promise<AgentProcess> {
    return new Promise<AgentProcess>((resolve, reject) => {
      const child = runner.spawn(['ip', 'netns', 'exec', namespace, process.execPath, ...agentArgv()], {
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      const agent = new AgentProcess(child);
      const timer = setTimeout(() => {
        reject(new Error(`fabric agent did not start within ${START_TIMEOUT_MS} ms`));
        child.kill('SIGKILL');
      }, START_TIMEOUT_MS);
      child.on('message', (m: AgentReply) => {
        if (m.reqId === 0) {
          clearTimeout(timer);
          resolve(agent);
          return;
        }
        agent.settle(m);
      });
      child.on('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      child.on('exit', (code, signal) => {
        clearTimeout(timer);
        agent.exited = true;
        for (const [id, p] of agent.pending) {
          clearTimeout(p.timer);
          p.reject(new Error('fabric agent exited'));
          agent.pending.delete(id);
        }
        const why = String(code ?? signal);
        reject(new Error(`fabric agent exited (${why})`));
        onExit(agent, why);
      });
    });
  }

  private settle(m: AgentReply): void {
    const p = this.pending.get(m.reqId);
    if (!p) return;
    this.pending.delete(m.reqId);
    clearTimeout(p.timer);
    if (m.ok) p.resolve(m.result);
    else p.reject(new Error(`fabric agent: ${m.error}`));
  }

  request(req: Request, handle?: Server): Promise<unknown> {
    if (this.exited) return Promise.reject(new Error('fabric agent exited'));
    const reqId = ++this.seq;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(reqId);
        reject(new Error(`fabric agent did not answer ${req.op} in time`));
      }, REQUEST_TIMEOUT_MS);
      this.pending.set(reqId, { resolve, reject, timer });
      this.child.send({ ...req, reqId }, handle, (err) => {
        if (!err) return;
        clearTimeout(timer);
        this.pending.delete(reqId);
        reject(err);
      });
    });
  }

  /** Disconnects (the agent exits on its own), killing it if it lingers. */
  async stop(): Promise<void> {
    const child = this.child;
    if (this.exited || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    if (child.connected) child.disconnect();
    else child.kill('SIGKILL');
    const t = setTimeout(() => child.kill('SIGKILL'), 2_000);
    await exited;
    clearTimeout(t);
  }
}

export class AgentProxyHost implements ProxyHost {
  private pool: AgentProcess[] | undefined;
  private starting: Promise<AgentProcess[]> | undefined;
  private next = 0;
  private closed = false;
  /** Incremented whenever a pool of agents starts or is lost. */
  generation = 0;
  readonly workers: number;

  constructor(
    private readonly runner: Runner,
    private readonly namespace: string,
    private readonly logger: Logger,
    private readonly options: { workers?: number; onLost?: () => void } = {},
  ) {
    this.workers = agentWorkers(options.workers);
  }

  private start(): Promise<AgentProcess[]> {
    if (this.pool) return Promise.resolve(this.pool);
    if (this.starting) return this.starting;
    const onExit = (agent: AgentProcess, why: string) => {
      if (this.pool?.includes(agent)) {
        // A pool with a hole would serve listeners on fewer cores without anyone noticing:
        // stop it whole, so the next request starts a new generation and proxies are re-served.
        const pool = this.pool;
        this.pool = undefined;
        // Whatever the lost pool served is gone: proxies recorded with its generation are stale.
        this.generation++;
        for (const a of pool) void a.stop();
        if (!this.closed) this.options.onLost?.();
      }
      if (!this.closed) this.logger.warn('fabric agent exited', { why });
    };
    this.starting = Promise.allSettled(
      Array.from({ length: this.workers }, () => AgentProcess.start(this.runner, this.namespace, onExit)),
    )
      .then(async (results) => {
        const started = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
        const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
        if (failed || this.closed) {
          await Promise.all(started.map((a) => a.stop()));
          throw failed ? (failed.reason as Error) : new Error('fabric agent closed');
        }
        this.pool = started;
        this.generation++;
        return started;
      })
      .finally(() => {
        this.starting = undefined;
      });
    return this.starting;
  }

  private async all(req: Request, handle?: Server): Promise<{ results: unknown[]; generation: number }> {
    if (this.closed) throw new Error('fabric agent closed');
    const pool = await this.start();
    const generation = this.generation;
    return { results: await Promise.all(pool.map((a) => a.request(req, handle))), generation };
  }

  private async one(req: Request): Promise<unknown> {
    if (this.closed) throw new Error('fabric agent closed');
    const pool = await this.start();
    const agent = pool[this.next++ % pool.length];
    if (!agent) throw new Error('fabric agent pool is empty');
    return agent.request(req);
  }

  async serve(id: string, server: Server, spec: ProxySpec): Promise<number> {
    try {
      return (await this.all({ op: 'serve', id, spec }, server)).generation;
    } finally {
      // Every agent holds its own copy of the listening socket now.
      server.close();
    }
  }

  async stop(id: string): Promise<void> {
    if (!this.pool) return; // no agents: nothing is served
    await this.all({ op: 'stop', id });
  }

  async probe(spec: ProbeSpec): Promise<ProbeResult> {
    return (await this.one({ op: 'probe', spec })) as ProbeResult;
  }

  async stats(): Promise<ProxyStats> {
    if (!this.pool) return { proxies: 0, open: 0, accepted: 0 };
    const each = (await this.all({ op: 'stats' })).results as ProxyStats[];
    return {
      // Every agent serves every proxy.
      proxies: each[0]?.proxies ?? 0,
      open: each.reduce((n, s) => n + s.open, 0),
      accepted: each.reduce((n, s) => n + s.accepted, 0),
      agents: each,
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    const pool = this.pool ?? (await this.starting?.catch(() => undefined));
    this.pool = undefined;
    await Promise.all((pool ?? []).map((a) => a.stop()));
  }
}
