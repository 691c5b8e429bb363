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
 */
import { lstat, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sweepLoopbackProcesses } from './instances/instance-reconciler.js';

export interface RunDirOptions {
  ephemeral: boolean;
  dataDir: string;
  prefix: string;
  /** Where ephemeral run directories go (default os.tmpdir()). */
  tmp?: string;
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
      await rm(dir, { recursive: true, force: true });
    }
    return { path: await mkdtemp(join(tmp, stem)), orphansKilled };
  }
  await mkdir(o.dataDir, { recursive: true, mode: 0o700 });
  const path = join(o.dataDir, 'run');
  // Inside the user's own data dir, an earlier version's 0755 run dir is still ours to sweep.
  if (await ownDir(path, false)) orphansKilled += await sweepLoopbackProcesses(path);
  // rm removes a symlink itself, not its target; the mkdir below fails if anyone re-creates the
  // path in between, rather than adopting it.
  await rm(path, { recursive: true, force: true });
  await mkdir(path, { mode: 0o700 });
  return { path, orphansKilled };
}
