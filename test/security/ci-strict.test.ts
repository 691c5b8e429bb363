/**
 * CI must fail, not skip (issue 11, item 16): `.ci/run` refuses to start without root and runs the
 * suite with CI=true, and under CI=true a namespace test file that cannot create namespaces fails
 * instead of reporting its tests as skipped. The unprivileged runs use setpriv to drop to nobody.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SETPRIV = 'setpriv';
const AS_NOBODY = ['--reuid=65534', '--regid=65534', '--clear-groups'];
const haveSetpriv = spawnSync('setpriv', ['--version']).status === 0;
const skip =
  process.getuid?.() !== 0 || !haveSetpriv ? 'needs root and setpriv to run a child as nobody' : false;

/** A copy of .ci/run in a scratch tree whose install script and npm only say that they ran. */
function scratchCi(): { dir: string; env: NodeJS.ProcessEnv } {
  const dir = mkdtempSync(join(tmpdir(), 'privlink-ci-'));
  chmodSync(dir, 0o755);
  mkdirSync(join(dir, '.ci'));
  mkdirSync(join(dir, 'scripts'));
  mkdirSync(join(dir, 'bin'));
  copyFileSync(join(ROOT, '.ci/run'), join(dir, '.ci/run'));
  writeFileSync(join(dir, 'scripts/install-deps.sh'), 'echo INSTALL-RAN\n');
  writeFileSync(join(dir, 'bin/npm'), '#!/bin/sh\necho "NPM-RAN $* CI=$CI"\n', { mode: 0o755 });
  return { dir, env: { PATH: `${join(dir, 'bin')}:${process.env['PATH'] ?? ''}`, HOME: dir } };
}

test('.ci/run stops before installing anything when not root', { skip }, (t) => {
  const { dir, env } = scratchCi();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const r = spawnSync(SETPRIV, [...AS_NOBODY, 'bash', join(dir, '.ci/run')], {
    env,
    encoding: 'utf8',
  });
  assert.notEqual(r.status, 0, r.stdout + r.stderr);
  assert.doesNotMatch(r.stdout, /INSTALL-RAN|NPM-RAN/);
  assert.match(r.stderr, /must run as root/);
});

test('.ci/run as root runs the suite with CI=true', { skip }, (t) => {
  const { dir, env } = scratchCi();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const r = spawnSync('bash', [join(dir, '.ci/run')], { env, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /NPM-RAN test CI=true/);
});

function runAsNobody(file: string, ci: boolean) {
  return spawnSync(SETPRIV, [...AS_NOBODY, process.execPath, '--import', 'tsx', '--test', file], {
    cwd: ROOT,
    env: { PATH: process.env['PATH'], HOME: tmpdir(), ...(ci ? { CI: 'true' } : {}) },
    encoding: 'utf8',
    timeout: 60_000,
  });
}

test('a namespace test file without root: skipped on a laptop, failed under CI=true', { skip }, () => {
  const file = 'test/dataplane/node-links.test.ts';
  const laptop = runAsNobody(file, false);
  assert.equal(laptop.status, 0, laptop.stdout + laptop.stderr);
  assert.match(laptop.stdout, /# skipped [1-9]/);
  const ci = runAsNobody(file, true);
  assert.notEqual(ci.status, 0, ci.stdout + ci.stderr);
  assert.match(ci.stdout, /# fail [1-9]/);
  assert.match(ci.stdout, /network namespaces are required under CI=true/);
});
