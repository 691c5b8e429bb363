/**
 * After `kill -9` of privlink, a private bpffs it mounted under its run dir (the GWLB's and the
 * fast path's `<runDir>/bpf`) is still mounted and its pins still hold programs and maps. The
 * next start must remove the pins (the objects are freed), unmount the bpffs and only then remove
 * the directory; `rm -r` of a mount point fails with EBUSY and would fail the start.
 * Here: a bpffs with a pinned map mounted in the run dir of a running `privlink serve`, which is
 * then killed with SIGKILL (and, for ephemeral run dirs, the same left in an earlier one).
 */
import { test } from 'node:test';
import { spawn } from 'node:child_process';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createComponents, createDataplane } from '../../src/components.js';
import { prepareRunDir } from '../../src/dataplane/run-dir.js';
import { run, systemRunner } from '../../src/dataplane/netns/run.js';
import { startPrivlink } from '../helpers/privlink.js';
import { netnsSkip } from '../helpers/netns.js';

const PREFIX = 'rdb';
const ROOT = new URL('../..', import.meta.url).pathname;
const skip = await netnsSkip('run-dir bpffs sweep');

async function mounted(under: string): Promise<string[]> {
  const info = await readFile('/proc/self/mountinfo', 'utf8');
  return info
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((m) => m === under || m.startsWith(under + '/'));
}

/** A bpffs at `<dir>/bpf` with a pinned map in a subdirectory; returns the map's id. */
async function leaveBpffs(dir: string): Promise<number> {
  const bpf = join(dir, 'bpf');
  await mkdir(join(bpf), { recursive: true });
  await run(['mount', '-t', 'bpf', 'bpf', bpf]);
  await mkdir(join(bpf, 'm'));
  const pin = join(bpf, 'm', 'leftover');
  await run([
    'bpftool',
    'map',
    'create',
    pin,
    'type',
    'hash',
    'key',
    '4',
    'value',
    '4',
    'entries',
    '4',
    'name',
    'leftover',
  ]);
  const { stdout } = await run(['bpftool', '-j', 'map', 'show', 'pinned', pin]);
  return (JSON.parse(stdout) as { id: number }).id;
}

async function mapExists(id: number): Promise<boolean> {
  return run(['bpftool', 'map', 'show', 'id', String(id)]).then(
    () => true,
    () => false,
  );
}

test(
  'a start after kill -9 removes pins and unmounts a leftover bpffs in <dataDir>/run',
  { skip, timeout: 60_000 },
  async (t) => {
    const dataDir = await mkdtemp(join(tmpdir(), 'privlink-rdb-'));
    const runDir = join(dataDir, 'run');
    t.after(async () => {
      for (const m of (await mounted(runDir)).reverse())
        await run(['umount', '-l', m]).catch(() => undefined);
      await rm(dataDir, { recursive: true, force: true });
    });
    // A real `privlink serve` on this data dir; while it runs, a bpffs with a pin appears in its
    // run dir (what the GWLB or the fast path mounts); then kill -9.
    const serve = spawn(
      process.execPath,
      [
        'bin/privlink.js',
        'serve',
        '--data-dir',
        dataDir,
        '--port',
        '0',
        '--dns-port',
        'off',
        '--dataplane',
        'netns',
        '--netns-prefix',
        PREFIX,
        '--log-level',
        'warn',
      ],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    t.after(() => serve.kill('SIGKILL'));
    await new Promise<void>((resolve, reject) => {
      let out = '';
      serve.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('privlink listening on')) resolve();
      });
      serve.on('exit', (code) => reject(new Error(`serve exited with ${code}`)));
    });
    const mapId = await leaveBpffs(runDir);
    const killed = new Promise((r) => serve.once('exit', r));
    serve.kill('SIGKILL');
    await killed;
    assert.deepEqual(await mounted(runDir), [join(runDir, 'bpf')]);
    assert.ok(await mapExists(mapId));

    await startPrivlink(
      t,
      { dataplane: 'netns', netnsPrefix: PREFIX, ephemeral: false, dataDir, logLevel: 'warn' },
      { dataplane: createDataplane, components: createComponents },
    );
    assert.deepEqual(await mounted(runDir), [], 'no bpffs left under the run dir');
    assert.equal(await mapExists(mapId), false, 'the pinned map is freed');
  },
);

test(
  'the sweep of earlier ephemeral run dirs unmounts their bpffs too',
  { skip, timeout: 30_000 },
  async (t) => {
    const tmp = await mkdtemp(join(tmpdir(), 'privlink-rdb-tmp-'));
    t.after(async () => {
      for (const m of (await mounted(tmp)).reverse()) await run(['umount', '-l', m]).catch(() => undefined);
      await rm(tmp, { recursive: true, force: true });
    });
    const first = await prepareRunDir({
      ephemeral: true,
      dataDir: '',
      prefix: PREFIX,
      tmp,
      runner: systemRunner,
    });
    const mapId = await leaveBpffs(first.path);
    const second = await prepareRunDir({
      ephemeral: true,
      dataDir: '',
      prefix: PREFIX,
      tmp,
      runner: systemRunner,
    });
    assert.notEqual(second.path, first.path);
    assert.deepEqual(await mounted(tmp), []);
    assert.equal(await mapExists(mapId), false);
  },
);
