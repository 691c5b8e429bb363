/**
 * Runs an instance's user data once at boot, like cloud-init's "scripts-user": the decoded
 * script is written to the instance's run directory and executed — inside the instance
 * namespace in netns mode, as a plain host process in loopback mode — in its own process group,
 * with stdout and stderr captured into the instance console.
 *
 * Fidelity ledger
 * - Covered: scripts starting with `#!` run with that interpreter; gzip-compressed user data is
 *   unpacked first (cloud-init does); anything else runs with /bin/sh (a privlink convenience).
 * - Gaps: `#cloud-config` and MIME multi-part documents are not interpreted (a console line says
 *   so); the script runs as the privlink user (root in netns mode), not a fresh OS.
 * - By design: the run directory is the working directory; environment: PATH, HOME, and
 *   PRIVLINK_INSTANCE_ID, PRIVLINK_PRIVATE_IP, PRIVLINK_BIND_IP (loopback: the instance's own
 *   127.x address to listen on), PRIVLINK_VPC_ID, PRIVLINK_SUBNET_ID, PRIVLINK_REGION,
 *   PRIVLINK_AVAILABILITY_ZONE, and in loopback mode AWS_EC2_METADATA_SERVICE_ENDPOINT.
 */
import type { ChildProcess } from 'node:child_process';
import type { Runner } from '../netns/runner.js';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { ConsoleBuffer } from './console-buffer.js';

export interface UserDataRun {
  child: ChildProcess;
  /** Resolves with the exit code (or signal name) when the script ends. */
  exited: Promise<number | string>;
}

/** Decodes stored (base64) user data, unpacking gzip; undefined when there is none. */
export function decodeStoredUserData(b64: string | undefined): Buffer | undefined {
  if (!b64) return undefined;
  const raw = Buffer.from(b64, 'base64');
  if (raw.length >= 2 && raw[0] === 0x1f && raw[1] === 0x8b) {
    try {
      return gunzipSync(raw);
    } catch {
      return raw;
    }
  }
  return raw;
}

export interface StartUserData {
  /** Starts the process (the data plane's runner). */
  runner: Pick<Runner, 'spawn'>;
  script: Buffer;
  dir: string;
  /** argv prefix that places the process (netns: ['ip','netns','exec',NS]; loopback: []). */
  prefix: readonly string[];
  env: Record<string, string>;
  console: ConsoleBuffer;
}

/** Writes and starts the script; undefined when the content is not something we execute. */
export async function startUserData(o: StartUserData): Promise<UserDataRun | undefined> {
  const text = o.script.subarray(0, 64).toString('utf8');
  if (/^#cloud-config|^Content-Type: multipart|^#include|^#cloud-boothook/.test(text)) {
    o.console.write(`privlink: user data format not supported (${text.split('\n')[0] ?? ''}); not run\n`);
    return undefined;
  }
  await mkdir(o.dir, { recursive: true });
  const file = join(o.dir, 'user-data');
  await writeFile(file, o.script);
  await chmod(file, 0o755);
  const argv = text.startsWith('#!') ? [...o.prefix, file] : [...o.prefix, '/bin/sh', file];
  const child = o.runner.spawn(argv, {
    cwd: o.dir,
    env: o.env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d: Buffer) => o.console.write(d));
  child.stderr?.on('data', (d: Buffer) => o.console.write(d));
  const exited = new Promise<number | string>((resolve) => {
    child.on('error', (e) => {
      o.console.write(`privlink: user data could not start: ${e.message}\n`);
      resolve('error');
    });
    child.on('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
  });
  return { child, exited };
}

/**
 * Kills a user-data run's whole process group (the script and whatever it started; the group
 * outlives its leader when the script backgrounds a server and exits).
 */
export function killProcessGroup(run: UserDataRun | undefined, signal: NodeJS.Signals = 'SIGKILL'): void {
  const pid = run?.child.pid;
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}
