/**
 * How `privlink exec` knows it talks to the local privlink: when privlink runs as root, it
 * answers exec's questions on a unix socket `/run/privlink/exec-<prefix>.sock` (mode 0600) in a
 * root-owned directory that nobody else may write. A process squatting on the API port can
 * answer HTTP, but it cannot create that socket, so exec (as root) takes the sandbox to enter
 * only from there — never from an HTTP answer.
 *
 * Protocol: HTTP over the socket, `GET /instances/<id>` → 200 {mode, container?, runcRoot?,
 * bindIp?, imds?} or 404.
 */
import { createServer, type Server } from 'node:http';
import { chmod, mkdir, rm } from 'node:fs/promises';
import { EXEC_SOCKET_DIR, execSocketPath, isTrustedDir, type ExecTarget } from '../../shared/exec-socket.js';

export type { ExecTarget };

export async function serveExecSocket(
  prefix: string,
  lookup: (instanceId: string) => ExecTarget | undefined,
): Promise<Server> {
  await mkdir(EXEC_SOCKET_DIR, { recursive: true, mode: 0o755 });
  if (!(await isTrustedDir(EXEC_SOCKET_DIR))) {
    throw new Error(`${EXEC_SOCKET_DIR} is not a root-owned directory only root can write`);
  }
  const path = execSocketPath(prefix);
  await rm(path, { force: true });
  const server = createServer((req, res) => {
    const m = /^\/instances\/(i-[0-9a-f]{8,17})$/.exec(req.url ?? '');
    const target = m?.[1] ? lookup(m[1]) : undefined;
    res.writeHead(target ? 200 : 404, { 'content-type': 'application/json' });
    res.end(JSON.stringify(target ?? { error: 'not running' }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // umask-independent: the socket is created, then restricted before anyone is told of it.
    server.listen(path, () => resolve());
  });
  await chmod(path, 0o600);
  return server;
}

export async function closeExecSocket(server: Server | undefined, prefix: string): Promise<void> {
  if (!server) return;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await rm(execSocketPath(prefix), { force: true });
}
