/**
 * The fabric agent's extra proxy threads (worker_threads running proxy-worker), seen from the
 * agent's main thread: request/reply over postMessage, fan-out helpers, and one rule — a thread
 * that dies takes the agent down with it (`onDeath`), so privlink starts a new agent and
 * re-serves every listener instead of running with a silently missing share of the accepts.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { AgentReply, DistributiveOmit, WorkerRequest } from './agent-protocol.js';
import type { ProxySpec, ProxyStats } from './proxy-host.js';

/**
 * Proxy threads per agent, the main thread included: one per core (HAProxy's default nbthread),
 * PRIVLINK_AGENT_THREADS overrides (1 = no extra threads).
 */
export function proxyThreadCount(): number {
  const env = Number(process.env['PRIVLINK_AGENT_THREADS']);
  const n = Number.isInteger(env) && env > 0 ? env : availableParallelism();
  return Math.max(1, Math.min(n, 16));
}

/**
 * Compiled: the proxy-worker module itself. From sources: a bootstrap that registers tsx in the
 * thread first (tsx's `--import` hooks do not reach worker threads on Node 20).
 */
function startWorker(): Worker {
  // Same young generation as the agent's main thread (agentArgv): 3 semi-spaces of 32 MB.
  const resourceLimits = { maxYoungGenerationSizeMb: 96 };
  if (!import.meta.url.endsWith('.ts'))
    return new Worker(new URL('./proxy-worker.js', import.meta.url), { resourceLimits });
  const api = import.meta.resolve('tsx/esm/api');
  const entry = new URL('./proxy-worker.ts', import.meta.url).href;
  return new Worker(
    `import(${JSON.stringify(api)}).then((t) => { t.register(); return import(${JSON.stringify(entry)}); });`,
    { eval: true, resourceLimits },
  );
}

class ProxyThread {
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private seq = 0;
  private exited = false;

  constructor(onDeath: (why: string) => void) {
    this.worker = startWorker();
    this.worker.on('message', (m: AgentReply) => {
      const p = this.pending.get(m.reqId);
      if (!p) return;
      this.pending.delete(m.reqId);
      if (m.ok) p.resolve(m.result);
      else p.reject(new Error(m.error));
    });
    this.worker.on('error', (e) => onDeath(`proxy thread failed: ${e.message}`));
    this.worker.on('exit', (code) => {
      this.exited = true;
      for (const p of this.pending.values()) p.reject(new Error('proxy thread exited'));
      this.pending.clear();
      onDeath(`proxy thread exited (${code})`);
    });
  }

  request(req: DistributiveOmit<WorkerRequest, 'reqId'>): Promise<unknown> {
    if (this.exited) return Promise.reject(new Error('proxy thread exited'));
    const reqId = ++this.seq;
    return new Promise((resolve, reject) => {
      this.pending.set(reqId, { resolve, reject });
      this.worker.postMessage({ ...req, reqId });
    });
  }

  async terminate(): Promise<void> {
    if (!this.exited) await this.worker.terminate();
  }
}

export class ProxyThreads {
  private readonly threads: ProxyThread[];
  private closing = false;

  constructor(extra: number, onDeath: (why: string) => void) {
    this.threads = Array.from(
      { length: extra },
      () => new ProxyThread((why) => !this.closing && onDeath(why)),
    );
  }

  /** Extra threads (slot k ↔ thread k-1; slot 0 is the main thread). */
  get size(): number {
    return this.threads.length;
  }

  async serve(slot: number, id: string, fd: number, spec: ProxySpec): Promise<void> {
    const t = this.threads[slot - 1];
    if (!t) throw new Error(`no proxy thread for slot ${slot}`);
    await t.request({ op: 'serve', id, fd, spec });
  }

  async stop(id: string): Promise<void> {
    await Promise.all(this.threads.map((t) => t.request({ op: 'stop', id })));
  }

  async stats(): Promise<ProxyStats[]> {
    return (await Promise.all(this.threads.map((t) => t.request({ op: 'stats' })))) as ProxyStats[];
  }

  /** Closes every thread's proxies (open connections are reset), then ends the threads. */
  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.threads.map((t) => t.request({ op: 'close' }).catch(() => undefined)));
    await Promise.all(this.threads.map((t) => t.terminate()));
  }
}
