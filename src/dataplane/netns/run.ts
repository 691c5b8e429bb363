/**
 * Runs the system tools the data plane programs the kernel with (`ip`, `nft`, `conntrack`,
 * `sysctl` through `ip netns exec`). Always execFile with an argv array — never a shell string —
 * and batches (`ip -batch -`, `nft -f -`) because every process start costs ~15–35 ms here.
 */
import { execFile, spawn } from 'node:child_process';

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

/** Runs argv[0] with the rest as arguments; optional stdin; rejects with CommandError. */
export function run(argv: readonly string[], input?: string, timeoutMs = 30_000): Promise<RunResult> {
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
    if (input !== undefined) child.stdin?.end(input);
  });
}

/** Runs a batch of `ip` commands (one per line) in one process, optionally in a namespace. */
export function ipBatch(lines: readonly string[], ns?: string, force = false): Promise<RunResult> {
  if (lines.length === 0) return Promise.resolve({ stdout: '', stderr: '' });
  const argv = ['ip', ...(ns ? ['-n', ns] : []), ...(force ? ['-force'] : []), '-batch', '-'];
  return run(argv, lines.join('\n') + '\n');
}

/** sysctl settings that keep bridged frames out of netfilter (br_netfilter is built in and on by default). */
export const NO_BRIDGE_NETFILTER = [
  'net.bridge.bridge-nf-call-iptables=0',
  'net.bridge.bridge-nf-call-ip6tables=0',
  'net.bridge.bridge-nf-call-arptables=0',
];

/** Loads an nft script (a whole transaction: applied atomically or not at all) inside a namespace. */
export function nft(ns: string, script: string): Promise<RunResult> {
  return run(['ip', 'netns', 'exec', ns, 'nft', '-f', '-'], script);
}

/** Runs a command inside a namespace. */
export function nsExec(
  ns: string,
  argv: readonly string[],
  input?: string,
  timeoutMs?: number,
): Promise<RunResult> {
  return run(['ip', 'netns', 'exec', ns, ...argv], input, timeoutMs);
}

/** Network namespaces whose names start with prefix + '-'. */
export async function listNamespaces(prefix: string): Promise<string[]> {
  const { stdout } = await run(['ip', '-j', 'netns', 'list']);
  const list = stdout.trim() ? (JSON.parse(stdout) as { name: string }[]) : [];
  return list.map((n) => n.name).filter((n) => n.startsWith(prefix + '-'));
}

/** Kills every process inside a namespace, then deletes it. Missing namespaces are fine. */
export async function deleteNamespace(ns: string): Promise<void> {
  try {
    const { stdout } = await run(['ip', 'netns', 'pids', ns]);
    const pids = stdout
      .split(/\s+/)
      .filter((p) => /^\d+$/.test(p))
      .map(Number);
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  } catch {
    // the namespace may not exist
  }
  try {
    await run(['ip', 'netns', 'delete', ns]);
  } catch (e) {
    if (e instanceof CommandError && /No such file|not found|Cannot remove/i.test(e.stderr)) return;
    throw e;
  }
}

/** Whether this process can create network namespaces (root with `ip` and `nft` present). */
export async function probeNetns(): Promise<{ ok: boolean; reason: string }> {
  if (process.platform !== 'linux')
    return { ok: false, reason: `platform ${process.platform} has no network namespaces` };
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    return { ok: false, reason: 'not running as root (network namespaces need CAP_NET_ADMIN)' };
  }
  for (const tool of ['ip', 'nft']) {
    try {
      await run([tool, '-V']);
    } catch {
      return { ok: false, reason: `'${tool}' is not installed (apt-get install iproute2 nftables)` };
    }
  }
  return { ok: true, reason: 'root with ip and nft' };
}

/** Spawns a long-running process (argv array) and returns the child. */
export { spawn };
