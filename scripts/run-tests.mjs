#!/usr/bin/env node
// Runs the node:test suite through tsx. Node 20's --test does not expand globs, so this finds
// the test files itself: src/**/*.test.ts (unit) and test/**/*.test.ts (integration).
//
// The data-plane traffic tests run on both data paths (docs/dataplane.md "Data paths"): the whole
// suite first on the default one (PRIVLINK_DATAPATH, else auto — BPF where the machine allows
// it), then the traffic tests again as a separate `node --test` with PRIVLINK_DATAPATH set to the
// other path. Both passes count: a failure in either fails the run.
//
// Usage: node scripts/run-tests.mjs [--datapath=auto|bpf|nftables|both] [substring…]
//   substring…   only files whose path contains one of them (one pass, on the default path)
//   --datapath=X one pass with PRIVLINK_DATAPATH=X; `both` adds the second pass as without
//                filters (over the matched files that are in the traffic set)
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawn } from 'node:child_process';

/**
 * Files rerun on the second path: those whose packets take an endpoint's data path (gating,
 * balancing, security groups, health and failover, PPv2, reject cuts, restart and kill -9, route
 * tables, MSS and checksums). Measured on the nftables pass (2 cores): ~95 s in all. Left out:
 * aws-services (45 s of booting an instance and the aws CLI; its endpoint hop is the same path
 * traffic.test.ts covers) and every other instance, sandbox and IaC test.
 */
const BOTH_PATHS = [
  /^test\/dataplane\/traffic(?!-loopback)[\w-]*\.test\.ts$/,
  /^test\/dataplane\/node-links\.test\.ts$/,
  /^test\/dataplane\/ppv2-proxy\.test\.ts$/,
  /^test\/dataplane\/instances-nlb-stop\.test\.ts$/,
  /^test\/dataplane\/route-tables\.test\.ts$/,
  /^test\/dataplane\/vpc\.test\.ts$/,
  /^test\/dataplane\/datapath-packets\.test\.ts$/,
];
const PATHS = ['auto', 'bpf', 'nftables'];

const root = new URL('..', import.meta.url).pathname;
function walk(dir) {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    if (f === 'node_modules' || f.startsWith('.')) return [];
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.test.ts') ? [p] : [];
  });
}

let datapath;
const filters = [];
for (const a of process.argv.slice(2)) {
  const m = /^--datapath=(.*)$/.exec(a);
  if (m) datapath = m[1];
  else filters.push(a);
}
if (datapath !== undefined && ![...PATHS, 'both'].includes(datapath)) {
  console.error(`--datapath must be ${[...PATHS, 'both'].join(', ')}, got '${datapath}'`);
  process.exit(2);
}
const envPath = process.env.PRIVLINK_DATAPATH;
if (envPath !== undefined && envPath !== '' && !PATHS.includes(envPath)) {
  console.error(`PRIVLINK_DATAPATH must be ${PATHS.join(', ')}, got '${envPath}'`);
  process.exit(2);
}

const files = [...walk(join(root, 'src')), ...walk(join(root, 'test'))]
  .map((f) => relative(root, f))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
if (files.length === 0) {
  console.error('no test files match');
  process.exit(1);
}

const first = datapath && datapath !== 'both' ? datapath : envPath || 'auto';
// The second pass takes the path the first did not: nftables, or bpf when nftables came first.
const second = first === 'nftables' ? 'bpf' : 'nftables';
const passes = [{ path: first, files }];
if (datapath === 'both' || (datapath === undefined && filters.length === 0)) {
  const again = files.filter((f) => BOTH_PATHS.some((re) => re.test(f)));
  if (again.length) passes.push({ path: second, files: again });
}

function banner(text) {
  const line = '='.repeat(Math.max(20, text.length + 8));
  console.log(`\n${line}\n=== ${text}\n${line}\n`);
}

function runPass({ path, files: list }) {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-timeout=240000', ...list],
      { cwd: root, stdio: 'inherit', env: { ...process.env, PRIVLINK_DATAPATH: path } },
    );
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

const results = [];
for (const [i, pass] of passes.entries()) {
  const label = `pass ${i + 1}/${passes.length}: PRIVLINK_DATAPATH=${pass.path} (${pass.files.length} file(s))`;
  if (passes.length > 1) banner(`${label} — start`);
  const code = await runPass(pass);
  results.push({ label, code });
  if (passes.length > 1) banner(`${label} — ${code === 0 ? 'passed' : `FAILED (exit ${code})`}`);
}
if (passes.length > 1) {
  for (const r of results) console.log(`${r.code === 0 ? 'ok    ' : 'FAILED'} ${r.label}`);
}
process.exit(results.find((r) => r.code !== 0)?.code ?? 0);
