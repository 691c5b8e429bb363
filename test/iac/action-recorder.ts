/**
 * A loopback proxy in front of privlink that records the Action of every request a tool sends,
 * so tests can compare what Ansible really called with the lists in scripts/iac-calls.ts.
 * Headers (Host included) pass unchanged, so SigV4 signatures stay valid.
 */
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ActionRecorder {
  url: string;
  actions: string[];
  close(): Promise<void>;
}

export async function recordActions(target: string): Promise<ActionRecorder> {
  const to = new URL(target);
  const actions: string[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const query = new URL(req.url ?? '/', 'http://x').searchParams;
      const action = new URLSearchParams(body.toString('utf8')).get('Action') ?? query.get('Action');
      if (action) actions.push(action);
      const up = request(
        { host: to.hostname, port: to.port, method: req.method, path: req.url, headers: req.headers },
        (r) => {
          res.writeHead(r.statusCode ?? 502, r.headers);
          r.pipe(res);
        },
      );
      up.on('error', () => res.writeHead(502).end());
      up.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    actions,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
