/**
 * The real `Runner`: the only module of the data plane that starts processes. execFile with an
 * argv array for short-lived commands (batched by the callers — `ip -batch -`, `nft -f -` —
 * because every process start costs ~15–35 ms here), spawn for long-lived ones.
 */
import { execFile, spawn } from 'node:child_process';
import { CommandError, type RunResult, type Runner, type SpawnSpec } from './runner.js';

function run(argv: readonly string[], input?: string, timeoutMs = 30_000): Promise<RunResult> {
  const [cmd, ...args] = argv;
  if (!cmd) return Promise.reject(new Error('empty command'));
  return new Promise((resolve, reject) => {
    const child = execFile(
      cmd,
      args,
      { timeout: timeoutMs, maxBuffer: 32 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err) {
          const code =
            typeof (err as NodeJS.ErrnoException & { code?: unknown }).code === 'number'
              ? Number(err.code)
              : null;
          reject(new CommandError(argv, code, String(stderr) || err.message));
          return;
        }
        resolve({ stdout: String(stdout), stderr: String(stderr) });
      },
    );
    // A command that exits before reading its input (a namespace that went away) closes the
    // pipe: EPIPE on stdin, unhandled, would crash the server; its exit status says what failed.
    child.stdin?.on('error', () => undefined);
    if (input !== undefined) child.stdin?.end(input);
  });
}

export const systemRunner: Runner = {
  run,
  spawn(argv: readonly string[], spec: SpawnSpec) {
    const [cmd, ...args] = argv;
    if (!cmd) throw new Error('empty command');
    return spawn(cmd, args, {
      stdio: spec.stdio,
      ...(spec.env ? { env: spec.env } : {}),
      ...(spec.cwd ? { cwd: spec.cwd } : {}),
      ...(spec.detached ? { detached: true } : {}),
      ...(spec.timeoutMs !== undefined ? { timeout: spec.timeoutMs } : {}),
      ...(spec.killSignal ? { killSignal: spec.killSignal } : {}),
    });
  },
  kill(pid, signal) {
    process.kill(pid, signal);
  },
};
