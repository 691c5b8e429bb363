/**
 * The commands the data plane programs the kernel with, over an injected `Runner`: `ip -batch`
 * scripts (one process for many changes), nft transactions, commands inside a namespace, and
 * namespace listing, teardown and probing. `Command` is the pure form a plan is made of (argv +
 * stdin), so a plan can be compared to a golden text and applied by `runCommands`.
 */
import { CommandError, type RunResult, type Runner } from './runner.js';

/** One process to run: argv and optional stdin. */
export interface Command {
  argv: readonly string[];
  input?: string;
}

/** `ip -batch` of lines (one process), optionally inside namespace ns. */
export function ipBatchCommand(lines: readonly string[], ns?: string, force = false): Command {
  return {
    argv: ['ip', ...(ns ? ['-n', ns] : []), ...(force ? ['-force'] : []), '-batch', '-'],
    input: lines.join('\n') + '\n',
  };
}

/** A command run inside namespace ns. */
export function nsCommand(ns: string, argv: readonly string[], input?: string): Command {
  return { argv: ['ip', 'netns', 'exec', ns, ...argv], ...(input !== undefined ? { input } : {}) };
}

/** An nft script (one transaction: applied atomically or not at all) loaded inside ns. */
export function nftCommand(ns: string, script: string): Command {
  return nsCommand(ns, ['nft', '-f', '-'], script);
}

/** Text of a plan (golden tests and debug logs): argv, then stdin indented. */
export function renderCommands(cmds: readonly Command[]): string {
  return cmds
    .map((c) => {
      const input = c.input === undefined ? '' : c.input.replace(/^/gm, '  ').replace(/\s+$/, '') + '\n';
      return `$ ${c.argv.join(' ')}\n${input}`;
    })
    .join('');
}

/** Runs commands in order (the first failure rejects). */
export async function runCommands(runner: Runner, cmds: readonly Command[]): Promise<void> {
  for (const c of cmds) await runner.run(c.argv, c.input);
}

export function ipBatch(
  runner: Runner,
  lines: readonly string[],
  ns?: string,
  force = false,
): Promise<RunResult> {
  if (lines.length === 0) return Promise.resolve({ stdout: '', stderr: '' });
  const c = ipBatchCommand(lines, ns, force);
  return runner.run(c.argv, c.input);
}

/** sysctl settings that keep bridged frames out of netfilter (br_netfilter is built in and on by default). */
export const NO_BRIDGE_NETFILTER = [
  'net.bridge.bridge-nf-call-iptables=0',
  'net.bridge.bridge-nf-call-ip6tables=0',
  'net.bridge.bridge-nf-call-arptables=0',
];

export function nft(runner: Runner, ns: string, script: string): Promise<RunResult> {
  const c = nftCommand(ns, script);
  return runner.run(c.argv, c.input);
}

export function nsExec(
  runner: Runner,
  ns: string,
  argv: readonly string[],
  input?: string,
  timeoutMs?: number,
): Promise<RunResult> {
  return runner.run(['ip', 'netns', 'exec', ns, ...argv], input, timeoutMs);
}

/** Network namespaces whose names start with prefix + '-'. */
export async function listNamespaces(runner: Runner, prefix: string): Promise<string[]> {
  const { stdout } = await runner.run(['ip', '-j', 'netns', 'list']);
  const list = stdout.trim() ? (JSON.parse(stdout) as { name: string }[]) : [];
  return list.map((n) => n.name).filter((n) => n.startsWith(prefix + '-'));
}

/** Kills every process inside a namespace, then deletes it. Missing namespaces are fine. */
export async function deleteNamespace(runner: Runner, ns: string): Promise<void> {
  try {
    const { stdout } = await runner.run(['ip', 'netns', 'pids', ns]);
    for (const p of stdout.split(/\s+/)) {
      if (!/^\d+$/.test(p)) continue;
      try {
        runner.kill(Number(p), 'SIGKILL');
      } catch {
        // already gone
      }
    }
  } catch {
    // the namespace may not exist
  }
  try {
    await runner.run(['ip', 'netns', 'delete', ns]);
  } catch (e) {
    if (e instanceof CommandError && /No such file|not found|Cannot remove/i.test(e.stderr)) return;
    throw e;
  }
}

/** Whether this process can create network namespaces (root with `ip` and `nft` present). */
export async function probeNetns(runner: Runner): Promise<{ ok: boolean; reason: string }> {
  if (process.platform !== 'linux')
    return { ok: false, reason: `platform ${process.platform} has no network namespaces` };
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    return { ok: false, reason: 'not running as root (network namespaces need CAP_NET_ADMIN)' };
  }
  for (const tool of ['ip', 'nft']) {
    try {
      await runner.run([tool, '-V']);
    } catch {
      return { ok: false, reason: `'${tool}' is not installed (apt-get install iproute2 nftables)` };
    }
  }
  return { ok: true, reason: 'root with ip and nft' };
}
