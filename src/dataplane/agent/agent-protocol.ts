/** Messages between privlink and its fabric agent (IPC, JSON plus an optional socket handle). */
import type { ProbeSpec } from '../health/probe.js';
import type { ProxySpec } from './proxy-host.js';

export type AgentRequest =
  | { reqId: number; op: 'serve'; id: string; spec: ProxySpec }
  | { reqId: number; op: 'stop'; id: string }
  | { reqId: number; op: 'probe'; spec: ProbeSpec }
  | { reqId: number; op: 'stats' };

export type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

export type AgentReply =
  { reqId: number; ok: true; result?: unknown } | { reqId: number; ok: false; error: string };
