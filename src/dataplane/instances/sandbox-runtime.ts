/**
 * The sandbox runtime: runc, driven through a small `Runner` (the one way this module starts
 * processes, so tests and the data plane can inject their own).
 *
 * Containers are named `<prefix>-<instanceId>` under a state root of their own
 * (`/run/privlink-runc/<prefix>`), started detached (`runc run -d`): no monitor process stays per
 * instance. The container's stdout/stderr are the pipes handed to `runc run`, so the console is
 * read from them, and their end-of-file is the sandbox's end (PID 1 exited, the kernel killed
 * the rest of its PID namespace).
 */
import type { ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { RunResult, Runner as ProcessRunner } from '../netns/runner.js';

export interface Runner {
  run(argv: readonly string[], timeoutMs?: number): Promise<RunResult>;
  spawn(
    argv: readonly string[],
    opts: { stdio: ('ignore' | 'pipe' | 'inherit')[]; env?: NodeJS.ProcessEnv },
  ): ChildProcess;
}

/** The data plane's runner as the sandbox uses it (timeouts, no stdin). */
export function sandboxRunner(runner: ProcessRunner): Runner {
  return {
    run: (argv, timeoutMs) => runner.run(argv, undefined, timeoutMs),
    spawn: (argv, opts) => runner.spawn(argv, { stdio: opts.stdio, ...(opts.env && { env: opts.env }) }),
  };
}

/** Debian packages the sandbox needs, by the file each one provides. */
export const RUNTIME_PACKAGES: readonly { file: string; pkg: string }[] = [
  { file: 'runc', pkg: 'runc' },
  { file: 'tini-static', pkg: 'tini' },
  { file: 'setfattr', pkg: 'attr' },
];

export function findOnPath(file: string): string | undefined {
  const dirs = (process.env['PATH'] ?? '')
    .split(delimiter)
    .concat(['/usr/sbin', '/usr/bin', '/sbin', '/bin']);
  for (const d of dirs) {
    const p = join(d, file);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // next
    }
  }
  return undefined;
}

/** Throws naming the Debian packages to install when a runtime piece is missing. */
export function checkRuntimeInstalled(): { runc: string; init: string } {
  const missing = RUNTIME_PACKAGES.filter((r) => !findOnPath(r.file));
  if (missing.length) {
    const pkgs = [...new Set(missing.map((m) => m.pkg))].join(' ');
    throw new Error(
      `instance sandboxes need ${missing.map((m) => m.file).join(', ')}: apt-get install -y ${pkgs} (or run scripts/install-deps.sh)`,
    );
  }
  return { runc: findOnPath('runc') ?? 'runc', init: findOnPath('tini-static') ?? '/usr/bin/tini-static' };
}

export function runcRoot(prefix: string): string {
  return `/run/privlink-runc/${prefix}`;
}

export class Runc {
  constructor(
    private readonly runner: Runner,
    readonly root: string,
    private readonly bin = 'runc',
  ) {}

  /** Starts the bundle detached; the returned child's stdout/stderr are the container's. */
  start(id: string, bundle: string): ChildProcess {
    return this.runner.spawn([this.bin, '--root', this.root, 'run', '-d', '--bundle', bundle, id], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  }

  /** Kills every process of the container and removes it; a missing container is fine. */
  async remove(id: string): Promise<void> {
    await this.runner.run([this.bin, '--root', this.root, 'delete', '--force', id]).catch(() => undefined);
  }

  async list(): Promise<string[]> {
    try {
      const { stdout } = await this.runner.run([this.bin, '--root', this.root, 'list', '-q']);
      return stdout.split('\n').filter(Boolean);
    } catch {
      return [];
    }
  }

  /** argv that runs a command inside the container (same namespaces, cgroup, caps, seccomp). */
  execArgv(id: string, env: Record<string, string>, argv: readonly string[]): string[] {
    const envArgs = Object.entries(env).flatMap(([k, v]) => ['--env', `${k}=${v}`]);
    return [this.bin, '--root', this.root, 'exec', ...envArgs, '--cwd', '/', id, ...argv];
  }

  async version(): Promise<string> {
    try {
      const { stdout } = await this.runner.run([this.bin, '--version']);
      return stdout.split('\n')[0] ?? 'runc';
    } catch {
      return 'runc (version unknown)';
    }
  }
}

/** Which cgroup hierarchy the kernel offers (reported in `privlink status`). */
export function cgroupFlavour(): string {
  const has = (p: string) => {
    try {
      accessSync(p);
      return true;
    } catch {
      return false;
    }
  };
  if (has('/sys/fs/cgroup/cgroup.controllers')) return 'v2 (unified)';
  if (has('/sys/fs/cgroup/unified'))
    return 'v1 controllers (hybrid: a cgroup2 tree at /sys/fs/cgroup/unified)';
  return 'v1';
}
