/**
 * Where `privlink exec` and the data plane meet to prove the server is the local privlink: a unix
 * socket `/run/privlink/exec-<prefix>.sock` (mode 0600) in a directory only root may write.
 * Shared by the server side (dataplane/instances/exec-socket.ts) and the CLI (cli/exec.ts).
 */
import { lstat } from 'node:fs/promises';
import { join } from 'node:path';

export const EXEC_SOCKET_DIR = '/run/privlink';

export function execSocketPath(prefix: string): string {
  return join(EXEC_SOCKET_DIR, `exec-${prefix}.sock`);
}

/** What exec enters: a runc container (netns mode) or the host with an instance's environment. */
export interface ExecTarget {
  mode: 'netns' | 'loopback';
  container?: string;
  runcRoot?: string;
  bindIp?: string;
  imds?: string;
}

/** Owned by root and writable by root only, and not a symlink: nobody else can plant a socket. */
export async function isTrustedDir(dir: string): Promise<boolean> {
  const st = await lstat(dir).catch(() => undefined);
  return !!st && st.isDirectory() && st.uid === 0 && (st.mode & 0o022) === 0;
}
