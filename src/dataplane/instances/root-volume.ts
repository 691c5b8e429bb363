/**
 * An instance's root filesystem: an overlay whose lower layers are a small privlink "mask" layer
 * on top of the image, and whose upper layer is the instance's root volume under the data dir
 * (`<volumes>/<id>/upper`). The volume survives stop/start, reboot and restarts of privlink; it
 * is deleted on terminate.
 *
 * The mask layer is built once per image and run of privlink, and shared by the image's
 * instances (a read-only lower layer). For the default image (the host's root) it hides, with
 * overlayfs opaque directories and whiteouts, what an instance must not see: privlink's data and
 * run dirs, /root, /home, /var/tmp, /etc/netns, SSH host keys, and it replaces /etc/shadow and
 * /etc/gshadow with copies whose password hashes are locked. Host mounts (/proc, /run, /sys, /dev,
 * any other filesystem) never show through: overlayfs does not cross mount points of a lower
 * layer. For every image it adds the shutdown shims (boot-files.ts).
 */
import { chmod, lstat, mkdir, readFile, readlink, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Runner } from './sandbox-runtime.js';
import { SHUTDOWN_COMMANDS, SHUTDOWN_SHIM } from './boot-files.js';

export interface VolumePaths {
  dir: string;
  upper: string;
  work: string;
  merged: string;
  mask: string;
}

/**
 * Mask layers live on a tmpfs of privlink's own (`masksDir`): overlayfs refuses a lower layer
 * inside another lower layer, and the host's root is one.
 */
export function volumePaths(
  volumesDir: string,
  masksDir: string,
  instanceId: string,
  imageId = 'host',
): VolumePaths {
  const dir = join(volumesDir, instanceId);
  return {
    dir,
    upper: join(dir, 'upper'),
    work: join(dir, 'work'),
    merged: join(dir, 'root'),
    // One mask per image, shared by its instances.
    mask: join(masksDir, imageId),
  };
}

async function isMountPoint(path: string): Promise<boolean> {
  const mounts = await readFile('/proc/self/mountinfo', 'utf8').catch(() => '');
  return mounts.split('\n').some((l) => l.split(' ')[4] === path);
}

/** Mounts the masks tmpfs once (kept across runs of privlink; it holds only rebuilt files). */
export async function ensureMasksFs(run: Runner, masksDir: string): Promise<void> {
  await mkdir(masksDir, { recursive: true, mode: 0o700 });
  if (await isMountPoint(masksDir)) return;
  await run.run(['mount', '-t', 'tmpfs', '-o', 'size=64m,mode=0700', 'privlink-masks', masksDir]);
}

export async function unmountMasksFs(run: Runner, masksDir: string): Promise<void> {
  if (await isMountPoint(masksDir)) await run.run(['umount', '-l', masksDir]);
  await rm(masksDir, { recursive: true, force: true });
}

/** Where an image's root comes from: the host's own root (default) or a registered directory. */
export type ImageRoot = { kind: 'host'; hide: readonly string[] } | { kind: 'dir'; path: string };

/** Fixed paths of the host that the default image hides (besides privlink's own dirs). */
export const HOST_HIDDEN_DIRS = ['/root', '/home', '/var/tmp', '/etc/netns', '/var/lib/privlink'];

async function exists(p: string): Promise<boolean> {
  try {
    await lstat(p);
    return true;
  } catch {
    return false;
  }
}

async function lockedCopy(src: string, dst: string): Promise<void> {
  let text: string;
  try {
    text = await readFile(src, 'utf8');
  } catch {
    return;
  }
  const locked = text
    .split('\n')
    .map((line) => {
      const f = line.split(':');
      if (f.length < 2) return line;
      f[1] = f[1] === '' || f[1]?.startsWith('!') || f[1] === '*' ? (f[1] ?? '*') : '*';
      return f.join(':');
    })
    .join('\n');
  await mkdir(dirname(dst), { recursive: true });
  await writeFile(dst, locked, { mode: 0o640 });
}

/** Builds the mask layer for an image (idempotent: rebuilt from scratch). */
export async function buildMask(run: Runner, mask: string, image: ImageRoot): Promise<void> {
  await rm(mask, { recursive: true, force: true });
  await mkdir(mask, { recursive: true, mode: 0o755 });
  const lower = image.kind === 'host' ? '/' : image.path;
  if (image.kind === 'host') {
    for (const d of [...HOST_HIDDEN_DIRS, ...image.hide]) {
      const target = join(mask, d);
      await mkdir(target, { recursive: true, mode: 0o700 });
      await run.run(['setfattr', '-n', 'trusted.overlay.opaque', '-v', 'y', target]);
    }
    for (const key of [
      'ssh_host_rsa_key',
      'ssh_host_ecdsa_key',
      'ssh_host_ed25519_key',
      'ssh_host_dsa_key',
    ]) {
      if (!(await exists(join('/etc/ssh', key)))) continue;
      await mkdir(join(mask, 'etc/ssh'), { recursive: true });
      await run.run(['mknod', join(mask, 'etc/ssh', key), 'c', '0', '0']);
    }
    await lockedCopy('/etc/shadow', join(mask, 'etc/shadow'));
    await lockedCopy('/etc/gshadow', join(mask, 'etc/gshadow'));
  }
  // Merged-/usr images have /sbin → usr/sbin: the shims go where the image's sbin really is.
  let sbin = 'sbin';
  try {
    const l = await readlink(join(lower, 'sbin'));
    sbin = join(l.replace(/^\//, ''));
  } catch {
    // a real directory (or none)
  }
  await mkdir(join(mask, sbin), { recursive: true, mode: 0o755 });
  for (const cmd of SHUTDOWN_COMMANDS) {
    const f = join(mask, sbin, cmd);
    await writeFile(f, SHUTDOWN_SHIM);
    await chmod(f, 0o755);
  }
}

/** Mounts the overlay at paths.merged (unmounting a stale one first). */
export async function mountRoot(run: Runner, p: VolumePaths, image: ImageRoot): Promise<void> {
  const lower = image.kind === 'host' ? '/' : image.path;
  const st = await stat(lower).catch(() => undefined);
  if (!st?.isDirectory()) throw new ImageMissingError(lower);
  await unmountRoot(run, p);
  await mkdir(p.upper, { recursive: true, mode: 0o755 });
  await mkdir(p.work, { recursive: true, mode: 0o700 });
  await mkdir(p.merged, { recursive: true, mode: 0o755 });
  await run.run([
    'mount',
    '-t',
    'overlay',
    'overlay',
    '-o',
    `lowerdir=${p.mask}:${lower},upperdir=${p.upper},workdir=${p.work}`,
    p.merged,
  ]);
}

export async function unmountRoot(run: Runner, p: VolumePaths): Promise<void> {
  if (await isMountPoint(p.merged)) await run.run(['umount', '-l', p.merged]);
}

/** Every mount point under a directory (leftovers of a killed privlink). */
export async function mountsUnder(dir: string): Promise<string[]> {
  const mounts = await readFile('/proc/self/mountinfo', 'utf8').catch(() => '');
  return mounts
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((m) => m.startsWith(dir + '/'));
}

export async function deleteVolume(run: Runner, p: VolumePaths): Promise<void> {
  await unmountRoot(run, p);
  await rm(p.dir, { recursive: true, force: true });
}

export class ImageMissingError extends Error {
  constructor(
    readonly path: string,
    message = `image directory ${path} does not exist`,
  ) {
    super(message);
  }
}

/**
 * A full filesystem (or quota) under the volumes or run dir: Node's ENOSPC/EDQUOT, or a command
 * (mount, runc) that said so. It fails that instance's boot, not the data plane's pass.
 */
export function isDiskFull(e: unknown): boolean {
  const code = (e as { code?: unknown } | undefined)?.code;
  if (code === 'ENOSPC' || code === 'EDQUOT') return true;
  return /no space left on device|disk quota exceeded/i.test(e instanceof Error ? e.message : String(e));
}
