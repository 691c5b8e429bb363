/**
 * `privlink exec` run as root must not be steered by whatever answers on the API port: a fake
 * server claiming an instance (in loopback or netns mode) cannot make it run anything on the
 * host. Only the server's root-owned unix socket is believed (issue 11, item 10).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

const ID = 'i-0123456789abcdef0';
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

function fakeServer(mode: 'loopback' | 'netns'): Promise<Server> {
  const doc = {
    status: 'ok',
    components: {
      dataplane: {
        mode,
        netnsPrefix: 'zq',
        reconcilers: {
          instances: {
            instances: { [ID]: { namespace: 'zq-evil', bindIp: '127.0.0.1', privateIp: '10.0.0.5' } },
          },
        },
      },
    },
  };
  const s = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(doc));
  });
  return new Promise((resolve) => s.listen(0, '127.0.0.1', () => resolve(s)));
}

function cli(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stderr }));
  });
}

for (const mode of ['loopback', 'netns'] as const) {
  test(
    `exec as root refuses a server it cannot verify (fake ${mode} answer on the port)`,
    { skip: isRoot || process.env['CI'] ? false : 'needs root' },
    async (t) => {
      const server = await fakeServer(mode);
      const marker = `/tmp/privlink-exec-pwned-${process.pid}-${mode}`;
      t.after(async () => {
        server.close();
        await rm(marker, { force: true });
      });
      const port = (server.address() as AddressInfo).port;
      const r = await cli(['exec', '--port', String(port), ID, '--', 'touch', marker]);
      assert.equal(existsSync(marker), false, 'the fake server made exec run a command on the host');
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /cannot verify/);
    },
  );
}
