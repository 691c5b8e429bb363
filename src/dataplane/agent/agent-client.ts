/**
 * `AgentProxyHost`: the `ProxyHost` of netns mode. Starts the fabric agent (agent-main) inside the
 * fabric namespace and talks to it over IPC; listening sockets are handed over with the request.
 * One owner: close() disconnects the agent, which then closes its proxies and exits (and the
 * fabric namespace's deletion kills it in any case). If the agent dies, `generation` changes and
 * every later request starts a new one, so reconcilers can tell that their proxies are gone.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Server } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../../shared/logger.js';
import type { ProbeResult, ProbeSpec } from '../health/probe.js';
import type { AgentReply, AgentRequest, DistributiveOmit } from './agent-protocol.js';
import type { ProxyHost, ProxySpec, ProxyStats } from './proxy-host.js';

const START_TIMEOUT_MS = 15_000;
const REQUEST_TIMEOUT_MS = 15_000;

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

export class AgentProxyHost implements ProxyHost {
  private child: ChildProcess | undefined;
  private starting: Promise<ChildProcess> | undefined;
  private readonly pending = new Map<number, Pending>();
  private seq = 0;
  private closed = false;
  /** Incremented whenever a new agent process starts. */
  generation = 0;

  constructor(
    private readonly namespace: string,
    private readonly logger: Logger,
  ) {}

  private start(): Promise<ChildProcess> {
    if (this.child) return Promise.resolve(this.child);
    if (this.starting) return this.starting;
    this.starting = new Promise<ChildProcess>((resolve, reject) => {
      const child = spawn('ip', ['netns', 'exec', this.namespace, process.execPath, ...agentArgv()], {
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      const timer = setTimeout(() => {
        reject(new Error(`fabric agent did not start within ${START_TIMEOUT_MS} ms`));
        child.kill('SIGKILL');
      }, START_TIMEOUT_MS);
      child.on('message', (m: AgentReply) => {
        if (m.reqId === 0) {
          clearTimeout(timer);
          this.child = child;
          this.generation++;
          resolve(child);
          return;
        }
        const p = this.pending.get(m.reqId);
        if (!p) return;
        this.pending.delete(m.reqId);
        clearTimeout(p.timer);
        if (m.ok) p.resolve(m.result);
        else p.reject(new Error(`fabric agent: ${m.error}`));
      });
      child.on('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      child.on('exit', (code, signal) => {
        clearTimeout(timer);
        if (this.child === child) this.child = undefined;
        for (const [id, p] of this.pending) {
          clearTimeout(p.timer);
          p.reject(new Error('fabric agent exited'));
          this.pending.delete(id);
        }
        if (!this.closed) this.logger.warn('fabric agent exited', { code, signal });
        reject(new Error(`fabric agent exited (${code ?? signal})`));
      });
    }).finally(() => {
      this.starting = undefined;
    });
    return this.starting;
  }

  private async request(req: DistributiveOmit<AgentRequest, 'reqId'>, handle?: Server): Promise<unknown> {
    if (this.closed) throw new Error('fabric agent closed');
    const child = await this.start();
    const reqId = ++this.seq;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(reqId);
        reject(new Error(`fabric agent did not answer ${req.op} in time`));
      }, REQUEST_TIMEOUT_MS);
      this.pending.set(reqId, { resolve, reject, timer });
      child.send({ ...req, reqId }, handle, (err) => {
        if (!err) return;
        clearTimeout(timer);
        this.pending.delete(reqId);
        reject(err);
      });
    });
  }

  async serve(id: string, server: Server, spec: ProxySpec): Promise<void> {
    try {
      await this.request({ op: 'serve', id, spec }, server);
    } finally {
      // The agent holds its own copy of the listening socket now.
      server.close();
    }
  }

  async stop(id: string): Promise<void> {
    if (!this.child) return; // no agent: nothing is served
    await this.request({ op: 'stop', id });
  }

  async probe(spec: ProbeSpec): Promise<ProbeResult> {
    return (await this.request({ op: 'probe', spec })) as ProbeResult;
  }

  async stats(): Promise<ProxyStats> {
    if (!this.child) return { proxies: 0, open: 0, accepted: 0 };
    return (await this.request({ op: 'stats' })) as ProxyStats;
  }

  async close(): Promise<void> {
    this.closed = true;
    const child = this.child ?? (await this.starting?.catch(() => undefined));
    if (!child || child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.disconnect();
    const t = setTimeout(() => child.kill('SIGKILL'), 2_000);
    await exited;
    clearTimeout(t);
  }
}
