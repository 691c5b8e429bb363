/**
 * `privlink demo` as a user runs it: as a subprocess, checking its exit status and step lines;
 * and the README's first command, literally, from a fresh clone of the repository.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { requireNetns } from '../helpers/netns.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

function run(
  cmd: string,
  args: string[],
  cwd: string,
  timeoutMs: number,
  env: Record<string, string> = {},
): Promise<{ code: number; out: string }> {
  return new Promise((resolvePromise) => {
    const child = spawn(cmd, args, {
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, CI: 'true', ...env },
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code: code ?? 1, out });
    });
  });
}

function assertAllStepsPassed(out: string): void {
  const passed = [...out.matchAll(/^\[PASS\] (\d+)\. (.+) \((\d+) ms\)$/gm)].map((m) => Number(m[1]));
  assert.deepEqual(
    passed,
    Array.from({ length: 11 }, (_, i) => i + 1),
    out,
  );
  assert.doesNotMatch(out, /^\[FAIL\]/m);
  assert.match(out, /^demo passed: 11 steps/m);
  for (const step of [
    /Provider: VPC 10\.0\.0\.0\/16/,
    /PROXY v2 on, targets healthy/,
    /private DNS name xyz\.com verified via TXT/,
    /Consumer: VPC with the same CIDR/,
    /pendingAcceptance; a request fails/,
    /accepts it → available; xyz\.com answers from both instances/,
    /endpoint ID from the PROXY v2 header/,
    /rejects the connection → rejected; the same request now fails/,
  ]) {
    assert.match(out, step);
  }
  assert.match(out, /endpoint=vpce-[0-9a-f]{17}/);
}

test('privlink demo passes every step and exits 0', async (t) => {
  if (!(await requireNetns(t, "the demo's data plane"))) return;
  const r = await run(process.execPath, ['bin/privlink.js', 'demo', '--port', '0'], ROOT, 240_000);
  assert.equal(r.code, 0, r.out);
  assertAllStepsPassed(r.out);
});

test('privlink demo --loopback (what a machine without namespaces gets) passes every step', async () => {
  const r = await run(
    process.execPath,
    ['bin/privlink.js', 'demo', '--loopback', '--port', '0'],
    ROOT,
    120_000,
  );
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /--loopback given: the data plane runs in loopback mode/);
  assertAllStepsPassed(r.out);
});

test('privlink demo fails at the first step, naming why, when its port is taken', async (t) => {
  const blocker = createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
  t.after(() => blocker.close());
  const port = (blocker.address() as AddressInfo).port;
  const r = await run(process.execPath, ['bin/privlink.js', 'demo', '--port', String(port)], ROOT, 60_000);
  assert.equal(r.code, 1, r.out);
  assert.match(r.out, /^\[FAIL\] 1\. Preflight.*port \d+ on 127\.0\.0\.1 is taken/m);
  assert.match(r.out, /^demo FAILED at step 1/m);
});

/**
 * A prebuild-install tarball of the better-sqlite3 addon this checkout built, in the layout and
 * name prebuild-install looks for; undefined when there is none to offer.
 */
function localPrebuilds(dir: string): string | undefined {
  const pkgDir = join(ROOT, 'node_modules', 'better-sqlite3');
  const addon = join(pkgDir, 'build', 'Release', 'better_sqlite3.node');
  if (!existsSync(addon)) return undefined;
  const { version } = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as { version: string };
  const out = join(dir, 'prebuilds');
  mkdirSync(out);
  const name = `better-sqlite3-v${version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`;
  const tar = spawnSync('tar', ['-czf', join(out, name), '-C', pkgDir, 'build/Release/better_sqlite3.node']);
  return tar.status === 0 ? out : undefined;
}

test("the README's demo command works literally from a fresh clone", async (t) => {
  if (!(await requireNetns(t, "the demo's data plane"))) return;
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const block = /```bash\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
  const lines = block.split('\n');
  const demoLine = lines[lines.findIndex((l) => /^# 1\./.test(l)) + 1] ?? '';
  assert.match(demoLine, /privlink demo/, 'the README starts with the demo command');
  const testLine = lines[lines.findIndex((l) => /^# 2\./.test(l)) + 1] ?? '';
  assert.equal(testLine.trim(), 'bash .ci/run', 'the README names the CI command as the test command');
  const dir = mkdtempSync(join(tmpdir(), 'privlink-readme-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const clone = await run('git', ['clone', '--quiet', ROOT, join(dir, 'privlink')], dir, 60_000);
  assert.equal(clone.code, 0, clone.out);
  // The command as written; npm may answer from its cache instead of asking the registry for
  // every package again (the suite's own `npm ci` has just filled it), and better-sqlite3's
  // install finds the addon the suite's own install compiled as a local prebuild (its download
  // host is not reachable here, so it would compile the same C++ again for about 80 s).
  const prebuilds = localPrebuilds(dir);
  const r = await run('bash', ['-c', demoLine], join(dir, 'privlink'), 400_000, {
    npm_config_prefer_offline: 'true',
    ...(prebuilds && { npm_config_better_sqlite3_local_prebuilds: prebuilds }),
  });
  assert.equal(r.code, 0, r.out);
  assertAllStepsPassed(r.out);
});
