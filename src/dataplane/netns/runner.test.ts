import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RecordingRunner } from './recording-runner.js';
import { deleteNamespace, ipBatch, listNamespaces } from './commands.js';

const DATAPLANE = fileURLToPath(new URL('..', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) return sources(p);
    return p.endsWith('.ts') && !p.endsWith('.test.ts') ? [p] : [];
  });
}

test('only system-runner.ts starts processes in the data plane', () => {
  const spawning = sources(DATAPLANE).filter((f) =>
    /^\s*import\s+(?!type\b)[^;]*from\s+'node:child_process'/m.test(readFileSync(f, 'utf8')),
  );
  assert.deepEqual(
    spawning.map((f) => relative(DATAPLANE, f)),
    ['netns/system-runner.ts'],
  );
});

test('no data-plane module imports dataplane.ts (the module that imports the reconcilers)', () => {
  const importers = sources(DATAPLANE).filter(
    (f) => !f.endsWith('/dataplane.ts') && /from\s+'[./]*\/?dataplane\.js'/.test(readFileSync(f, 'utf8')),
  );
  assert.deepEqual(
    importers.map((f) => relative(DATAPLANE, f)),
    [],
  );
});

test('commands go through the injected runner: batches, namespace listing and teardown', async () => {
  const runner = new RecordingRunner()
    .on('ip -j netns list', { stdout: '[{"name":"pl-vpc-1"},{"name":"other-x"},{"name":"pl-fabric"}]' })
    .on('ip netns pids pl-vpc-1', { stdout: '101\n202\n' })
    .on('ip netns delete pl-gone', {
      fail: 'Cannot remove namespace file "/run/netns/pl-gone": No such file',
    });
  assert.deepEqual(await listNamespaces(runner, 'pl'), ['pl-vpc-1', 'pl-fabric']);
  await deleteNamespace(runner, 'pl-vpc-1');
  await deleteNamespace(runner, 'pl-gone');
  await ipBatch(runner, []);
  await ipBatch(runner, ['link set lo up', 'link set br0 up'], 'pl-vpc-1');
  assert.deepEqual(runner.killed, [101, 202]);
  assert.equal(
    runner.transcript,
    [
      '$ ip -j netns list',
      '$ ip netns pids pl-vpc-1',
      '$ ip netns delete pl-vpc-1',
      '$ ip netns pids pl-gone',
      '$ ip netns delete pl-gone',
      '$ ip -n pl-vpc-1 -batch -',
      '  link set lo up',
      '  link set br0 up',
      '',
    ].join('\n'),
  );
});
