/**
 * The data path netns mode runs, as chosen at start and shown by `privlink status`: privlink
 * started with datapath auto / nftables / bpf, read through the admin status endpoint (the
 * `privlink status` CLI formats the same document, checked once below). With a PATH that has everything but `bpftool`, auto falls back to
 * nftables and says why, and an explicit bpf fails the start with the reason. Bad --datapath
 * values are refused by the CLI before anything starts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, rm, symlink } from 'node:fs/promises';
import { release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Privlink } from '../../src/emulator.js';
import { createComponents, createDataplane } from '../../src/components.js';
import { parseServeArgs } from '../../src/cli/serve.js';
import type { DatapathChoice } from '../../src/config/options.js';
import { bpfUnavailableReason, kernelVersion } from '../../src/dataplane/bpf/datapath-choice.js';
import { systemRunner } from '../../src/dataplane/netns/run.js';
import { netnsSkip } from '../helpers/netns.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const PREFIX = 'pdc';
const exec = promisify(execFile);
const skip = await netnsSkip('datapath choice');

interface Exit {
  code: number;
  stderr: string;
}

/** Starts `privlink serve`; resolves with its URL once listening, or with its exit. */
function serve(
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ url: string; child: ChildProcess } | Exit> {
  const child = spawn(
    process.execPath,
    [
      'bin/privlink.js',
      'serve',
      '--ephemeral',
      '--port',
      '0',
      '--dns-port',
      'off',
      '--netns-prefix',
      PREFIX,
      '--log-level',
      'warn',
      ...args,
    ],
    { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  return new Promise((resolve) => {
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /privlink listening on (\S+)/.exec(out);
      if (m?.[1]) resolve({ url: m[1], child });
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => resolve({ code: code ?? 1, stderr: err }));
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

async function statusLine(url: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const r = await exec(process.execPath, ['bin/privlink.js', 'status', '--endpoint-url', url], {
    cwd: ROOT,
    env,
  });
  return /^\s*datapath:\s*(.*)$/m.exec(r.stdout)?.[1] ?? `no datapath line in:\n${r.stdout}`;
}

/** A directory of symlinks to every program on PATH except the ones named. */
async function pathWithout(names: string[]): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'privlink-path-'));
  const seen = new Set(names);
  for (const d of (process.env['PATH'] ?? '').split(':')) {
    for (const f of await readdir(d).catch(() => [] as string[])) {
      if (seen.has(f)) continue;
      seen.add(f);
      await symlink(join(d, f), join(dir, f));
    }
  }
  return dir;
}

test('bad --datapath values are refused by the CLI with the accepted values', async () => {
  const bad = await serve(['--datapath', 'ebpf', '--dataplane', 'off']);
  assert.ok('code' in bad, 'serve must not start');
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /--datapath must be auto, bpf, nftables, got 'ebpf'/);
  assert.throws(
    () => parseServeArgs(['--dataplane', 'bpf', '--datapath', 'nftables']),
    /--dataplane bpf contradicts --datapath nftables/,
  );
  // The other spelling: --dataplane bpf|nftables is netns mode with that path.
  const legacy = parseServeArgs(['--dataplane', 'nftables']);
  assert.deepEqual([legacy.dataplane, legacy.datapath], ['netns', 'nftables']);
});

test('the admin status shows the data path chosen at start and why', { skip, timeout: 60_000 }, async (t) => {
  const here = await bpfUnavailableReason(systemRunner);
  const want: [DatapathChoice, RegExp][] = here
    ? [
        ['auto', /^nftables: .*; using nftables$/],
        ['nftables', /^nftables: requested with datapath=nftables$/],
      ]
    : [
        ['auto', /^bpf: kernel, bpftool, tc and clang present$/],
        ['nftables', /^nftables: requested with datapath=nftables$/],
        ['bpf', /^bpf: requested with datapath=bpf$/],
      ];
  for (const [datapath, re] of want) {
    const p = new Privlink(
      {
        port: 0,
        ephemeral: true,
        logLevel: 'warn',
        dnsPort: -1,
        dataplane: 'netns',
        netnsPrefix: PREFIX,
        datapath,
      },
      { dataplane: createDataplane, components: createComponents },
    );
    await p.start();
    try {
      const doc = (await (await fetch(`${p.url}/_privlink/status`)).json()) as {
        components: { dataplane?: { datapath?: string; datapathReason?: string } };
      };
      const dp = doc.components.dataplane;
      assert.match(`${dp?.datapath ?? ''}: ${dp?.datapathReason ?? ''}`, re, `datapath ${datapath}`);
    } finally {
      await p.close();
    }
  }
  t.diagnostic(here ? `BPF unavailable here: ${here}` : 'BPF available here');
});

test(
  'without bpftool: auto falls back to nftables saying why, bpf fails the start',
  { skip, timeout: 60_000 },
  async (t) => {
    const dir = await pathWithout(['bpftool']);
    t.after(() => rm(dir, { recursive: true, force: true }));
    const env = { ...process.env, PATH: dir };
    // The kernel is checked first: on one older than 5.13 that is the reason, else bpftool.
    const [major, minor] = kernelVersion(release());
    const why =
      major < 5 || (major === 5 && minor < 13)
        ? `kernel ${release()} is older than 5.13 (no bpf_for_each_map_elem for the conntrack GC)`
        : "'bpftool' is not installed (apt-get install bpftool)";
    const auto = await serve(['--dataplane', 'netns', '--datapath', 'auto'], env);
    assert.ok('url' in auto, `serve --datapath auto failed: ${'stderr' in auto ? auto.stderr : ''}`);
    try {
      assert.equal(await statusLine(auto.url, env), `nftables (${why}; using nftables)`);
    } finally {
      await stop(auto.child);
    }
    const bpf = await serve(['--dataplane', 'netns', '--datapath', 'bpf'], env);
    assert.ok('code' in bpf, 'serve --datapath bpf must not start without bpftool');
    assert.notEqual(bpf.code, 0);
    assert.ok(
      bpf.stderr.includes(`datapath=bpf requested but unavailable: ${why}`),
      `serve's error names the reason: ${bpf.stderr}`,
    );
  },
);
