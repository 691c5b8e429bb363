/**
 * The data plane's run directory (user-data pid files, instance files): private to this
 * process's user and never a path someone else could have created first.
 *
 * - With a data dir: `<dataDir>/run`, re-made at each start (mode 0700; a symlink or a
 *   directory of another user found there is removed, never followed or reused).
 * - Ephemeral: a fresh `mkdtemp` directory `<tmpdir>/privlink-run-<prefix>-XXXXXX` (0700). So the
 *   next run can still kill what a crashed one left, earlier `privlink-run-<prefix>-*` directories
 *   are swept — only those that are real directories of this user with no access for others
 *   (anything else in /tmp may belong to someone else and is left alone).
 *
 * A run dir may hold mounts a `kill -9` left behind: the private bpffs of the GWLB and of the
 * BPF fast path (`<runDir>/bpf`). Before a run dir is removed, the pins in each such bpffs are
 * removed (that frees the programs and maps, even if another mount namespace still holds a copy
 * of the mount) and every mount under it is unmounted, deepest first; a plain `rm -r` would stop
 * at the mount point with EBUSY and fail the start.
 */
import { lstat, mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sweepLoopbackProcesses } from './instances/instance-reconciler.js';
import { systemRunner, type Runner } from './netns/run.js';

export interface RunDirOptions {
  ephemeral: boolean;
  dataDir: string;
  prefix: string;
  /** Where ephemeral run directories go (default os.tmpdir()). */
  tmp?: string;
  /** Runs `umount` for mounts left under an old run dir (default: real processes). */
  runner?: Runner;
}

export interface PreparedRunDir {
  path: string;
  /** User-data process groups of an earlier run that were killed. */
  orphansKilled: number;
}

const uid = () => (typeof process.getuid === 'function' ? process.getuid() : -1);

/** A directory this user made for itself: not a link, owned by us, no group/other access. */
async function ownDir(path: string, privateOnly = true): Promise<boolean> {
  try {
    const st = await lstat(path);
    return (
      st.isDirectory() &&
      !st.isSymbolicLink() &&
      st.uid === uid() &&
      (!privateOnly || (st.mode & 0o077) === 0)
    );
  } catch {
    return false;
  }
}

/** mountinfo escapes blanks and backslashes in paths as octal (`\040`). */
const unescapeMountPath = (p: string) =>
  p.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

/** Mounts strictly under dir, deepest first, with their filesystem type. */
export async function mountsUnder(dir: string): Promise<{ path: string; fstype: string }[]> {
  const info = await readFile('/proc/self/mountinfo', 'utf8').catch(() => '');
  const out: { path: string; fstype: string }[] = [];
  for (const line of info.split('\n')) {
    const fields = line.split(' ');
    const sep = fields.indexOf('-');
    const path = unescapeMountPath(fields[4] ?? '');
    if (sep < 0 || !path.startsWith(dir + '/')) continue;
    out.push({ path, fstype: fields[sep + 1] ?? '' });
  }
  return out.sort((a, b) => b.path.split('/').length - a.path.split('/').length);
}

/** Removes pins, unmounts whatever is mounted under dir, then dir itself. */
export async function removeRunDir(dir: string, runner: Runner = systemRunner): Promise<void> {
  for (const m of await mountsUnder(dir)) {
    if (m.fstype === 'bpf') {
      for (const name of await readdir(m.path).catch(() => [] as string[])) {
        await rm(join(m.path, name), { recursive: true, force: true }).catch(() => undefined);
      }
    }
    // Lazy: a process still inside (a crashed run's helper) must not keep the start from going on.
    await runner.run(['umount', '-l', m.path]).catch(() => undefined);
  }
  await rm(dir, { recursive: true, force: true });
}

export async function prepareRunDir(o: RunDirOptions): Promise<PreparedRunDir> {
  let orphansKilled = 0;
  if (o.ephemeral) {
    const tmp = o.tmp ?? tmpdir();
    const stem = `privlink-run-${o.prefix}-`;
    for (const name of await readdir(tmp).catch(() => [] as string[])) {
      if (!name.startsWith(stem)) continue;
      const dir = join(tmp, name);
      if (!(await ownDir(dir))) continue;
      orphansKilled += await sweepLoopbackProcesses(dir);
      await removeRunDir(dir, o.runner);
    }
    return { path: await mkdtemp(join(tmp, stem)), orphansKilled };
  }
  await mkdir(o.dataDir, { recursive: true, mode: 0o700 });
  const path = join(o.dataDir, 'run');
  // Inside the user's own data dir, an earlier version's 0755 run dir is still ours to sweep.
  if (await ownDir(path, false)) orphansKilled += await sweepLoopbackProcesses(path);
  // rm removes a symlink itself, not its target; the mkdir below fails if anyone re-creates the
  // path in between, rather than adopting it.
  await removeRunDir(path, o.runner);
  await mkdir(path, { mode: 0o700 });
  return { path, orphansKilled };
}
