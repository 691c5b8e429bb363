/**
 * Messages between privlink and its fabric agent (IPC, JSON plus an optional socket handle), and
 * between the agent's main thread and its proxy threads (worker_threads messages).
 */
import type { ProbeSpec } from '../health/probe.js';
import type { ProxySpec } from './proxy-host.js';

export type AgentRequest =
  /**
   * `slot` picks the proxy thread (0 = the agent's main thread). Every slot gets its own copy of
   * the listening socket (one IPC handle transfer each), so each thread owns and closes its fd.
   */
  | { reqId: number; op: 'serve'; id: string; spec: ProxySpec; slot?: number }
  | { reqId: number; op: 'stop'; id: string }
  | { reqId: number; op: 'probe'; spec: ProbeSpec }
  | { reqId: number; op: 'stats' };

export type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

export type AgentReply =
  { reqId: number; ok: true; result?: unknown } | { reqId: number; ok: false; error: string };

/** What the agent announces once it runs (reqId 0). */
export interface AgentHello {
  /** Proxy threads serving each listener (the main thread included). */
  threads: number;
}

export type WorkerRequest =
  | { reqId: number; op: 'serve'; id: string; fd: number; spec: ProxySpec }
  | { reqId: number; op: 'stop'; id: string }
  | { reqId: number; op: 'stats' }
  | { reqId: number; op: 'close' };
