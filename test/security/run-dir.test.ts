/**
 * The ephemeral run directory is no longer the predictable /tmp/privlink-run-<prefix> that root
 * removed and re-created: a fresh mkdtemp directory (0700, ours) is used, a path planted by
 * someone else is never removed, followed or reused, and our own leftovers are swept.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chown, mkdir, mkdtemp, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createComponents, createDataplane } from '../../src/components.js';
import { prepareRunDir } from '../../src/dataplane/run-dir.js';
import { startPrivlink } from '../helpers/privlink.js';

const PREFIX = 'se';
const isRoot = process.getuid?.() === 0;

async function runDirs(): Promise<string[]> {
  return (await readdir(tmpdir())).filter((n) => n.startsWith(`privlink-run-${PREFIX}-`));
}

test('run dir: an ephemeral server never reuses or removes a planted /tmp/privlink-run-<prefix>', async (t) => {
  const planted = join(tmpdir(), `privlink-run-${PREFIX}`);
  await rm(planted, { recursive: true, force: true });
  await mkdir(planted, { mode: 0o777 });
  await writeFile(join(planted, 'marker'), 'planted by another user');
  if (isRoot) await chown(planted, 65534, 65534);
  t.after(() => rm(planted, { recursive: true, force: true }));
  const before = new Set(await runDirs());

  const p = await startPrivlink(
    t,
    { dataplane: 'loopback', netnsPrefix: PREFIX },
    { dataplane: createDataplane, components: createComponents },
  );
  assert.ok(existsSync(join(planted, 'marker')), 'the planted directory was left alone');
  const fresh = (await runDirs()).filter((n) => !before.has(n));
  assert.equal(fresh.length, 1, `one fresh run dir: ${fresh.join(',')}`);
  const dir = join(tmpdir(), fresh[0] ?? '');
  const st = await stat(dir);
  assert.equal(st.mode & 0o777, 0o700);
  assert.equal(st.uid, process.getuid?.());
  await p.close();
  assert.ok(!existsSync(dir), 'removed at close');
  assert.ok(existsSync(join(planted, 'marker')));
});

test('run dir: leftovers are swept only when they are our own private directories', async (t) => {
  const tmp = await mkdtemp(join(tmpdir(), 'privlink-sec-'));
  t.after(() => rm(tmp, { recursive: true, force: true }));
  const ownStale = join(tmp, `privlink-run-${PREFIX}-stale1`);
  await mkdir(ownStale, { mode: 0o700 });
  const openStale = join(tmp, `privlink-run-${PREFIX}-open01`);
  await mkdir(openStale, { mode: 0o755 });
  await writeFile(join(openStale, 'keep'), '');
  const target = join(tmp, 'victim');
  await mkdir(target);
  await writeFile(join(target, 'keep'), '');
  await symlink(target, join(tmp, `privlink-run-${PREFIX}-link01`));

  const { path } = await prepareRunDir({ ephemeral: true, dataDir: '/nonexistent', prefix: PREFIX, tmp });
  assert.ok(!existsSync(ownStale), 'our own stale dir is swept');
  assert.ok(existsSync(join(openStale, 'keep')), 'a dir others can write is not ours to remove');
  assert.ok(existsSync(join(target, 'keep')), 'a symlink is not followed');
  assert.equal((await stat(path)).mode & 0o777, 0o700);
  assert.ok(path.startsWith(join(tmp, `privlink-run-${PREFIX}-`)));
  assert.notEqual(path, ownStale);

  // With a data dir: <dataDir>/run is re-made 0700 and a symlink there is replaced, not followed.
  const dataDir = join(tmp, 'data');
  await mkdir(dataDir);
  await symlink(target, join(dataDir, 'run'));
  const made = await prepareRunDir({ ephemeral: false, dataDir, prefix: PREFIX });
  assert.equal(made.path, join(dataDir, 'run'));
  const st = await stat(made.path);
  assert.ok(st.isDirectory());
  assert.equal(st.mode & 0o777, 0o700);
  assert.ok(existsSync(join(target, 'keep')));
});
