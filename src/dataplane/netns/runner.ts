/**
 * The one seam between the data plane and the processes it starts. Every reconciler, the fabric,
 * the agent pool, the namespace socket helper and user data receive a `Runner`; only
 * `system-runner.ts` implements it with real processes, so the apply side of every reconciler can
 * be driven without root by a fake (`recording-runner.ts`).
 *
 * Short-lived commands (`ip`, `nft`, `conntrack`, `sysctl` through `ip netns exec`) go through
 * `run` with an argv array — never a shell string; long-lived processes (fabric agents, socket
 * helpers, user data, `exec` in an instance) through `spawn`.
 */
import type { ChildProcess, StdioOptions } from 'node:child_process';

export class CommandError extends Error {
  override name = 'CommandError';
  constructor(
    readonly argv: readonly string[],
    readonly code: number | null,
    readonly stderr: string,
  ) {
    super(`${argv.join(' ')} failed (exit ${code ?? 'signal'}): ${stderr.trim().slice(0, 500)}`);
  }
}

export interface RunResult {
  stdout: string;
  stderr: string;
}

export interface SpawnSpec {
  stdio: StdioOptions;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Own process group (user data: killed as a group). */
  detached?: boolean;
  /** Killed with killSignal after this long. */
  timeoutMs?: number;
  killSignal?: NodeJS.Signals;
}

export interface Runner {
  /** Runs argv to completion; optional stdin; rejects with CommandError on a non-zero exit. */
  run(argv: readonly string[], input?: string, timeoutMs?: number): Promise<RunResult>;
  /** Starts a long-lived process (argv array) and hands back the child. */
  spawn(argv: readonly string[], spec: SpawnSpec): ChildProcess;
  /** Signals a process (namespace teardown kills what still runs inside). */
  kill(pid: number, signal: NodeJS.Signals): void;
}
