/**
 * `--host` on anything but loopback without --credentials would hand the whole API to the
 * network: privlink refuses to start unless --insecure-bind says so, and warns when it does.
 * (Nothing here binds a non-loopback address: the refusal comes before any socket.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ConfigError, resolveOptions } from '../../src/config/options.js';
import { bindWarning, parseServeArgs } from '../../src/cli/serve.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CREDS = { AKIAX: { secretAccessKey: 's', accountId: '111111111111' } };

test('insecure bind: a non-loopback host without credentials is refused', () => {
  for (const host of ['0.0.0.0', '::', '192.168.1.10', '10.0.0.1', 'myhost.example']) {
    assert.throws(
      () => resolveOptions({ host }),
      (e: unknown) => {
        assert.ok(e instanceof ConfigError);
        assert.match(e.message, /--credentials[\s\S]*--insecure-bind/);
        return true;
      },
      host,
    );
  }
  for (const host of ['127.0.0.1', '127.1.2.3', '::1', 'localhost']) {
    assert.equal(resolveOptions({ host }).host, host);
    assert.equal(bindWarning(resolveOptions({ host })), undefined);
  }
});

test('insecure bind: allowed with credentials or when forced, and warned about', () => {
  const signed = resolveOptions({ host: '0.0.0.0', credentials: CREDS });
  assert.match(bindWarning(signed) ?? '', /reachable from the network/);
  const forced = resolveOptions(parseServeArgs(['--host', '0.0.0.0', '--insecure-bind']));
  assert.equal(forced.insecureBind, true);
  assert.match(bindWarning(forced) ?? '', /unauthenticated/);
});

test('insecure bind: `privlink serve --host 0.0.0.0` exits with a clear error, binding nothing', async () => {
  const r = await new Promise<{ code: number; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      [
        '--import',
        'tsx',
        'src/cli/main.ts',
        'serve',
        '--host',
        '0.0.0.0',
        '--port',
        '0',
        '--ephemeral',
        '--dataplane',
        'off',
        '--dns-port',
        'off',
      ],
      { cwd: ROOT, timeout: 30_000 },
      (err, _stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, stderr }),
    );
  });
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /refusing to serve an unauthenticated API on 0\.0\.0\.0/);
});
