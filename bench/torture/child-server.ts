/**
 * What the crash and soak campaigns share: a `privlink serve` child process on a free loopback
 * port (so it can be killed with SIGKILL), SDK clients bound to it, a seeded random source, and
 * probes of what the host holds (namespaces with a prefix, processes carrying a tag, RSS, fds,
 * conntrack entries).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { openSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const LOCK = '/tmp/privlink-netns.lock';

/**
 * Namespace campaigns must hold the shared lock: re-runs this script under `flock` unless the
 * marker says it already does. Returns true when the caller should just exit (the child ran).
 */
export function holdNetnsLock(): boolean {
  if (process.env['PRIVLINK_TORTURE_LOCKED'] === '1') return false;
  const r = spawnSync('flock', [LOCK, process.execPath, ...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, PRIVLINK_TORTURE_LOCKED: '1' },
  });
  process.exitCode = r.status ?? 1;
  return true;
}

export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

export interface ServeChild {
  child: ChildProcess;
  url: string;
  pid: number;
  exited: Promise<number | null>;
}

export async function startServe(o: {
  dataDir: string;
  prefix: string;
  port: number;
  log: string;
  extra?: string[];
}): Promise<ServeChild> {
  const out = openSync(o.log, 'a');
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(ROOT, 'src/cli/main.ts'),
      'serve',
      '--port',
      String(o.port),
      '--data-dir',
      o.dataDir,
      '--dataplane',
      'netns',
      '--netns-prefix',
      o.prefix,
      '--dns-port',
      'off',
      '--pending-ms',
      '100',
      '--log-level',
      'warn',
      ...(o.extra ?? []),
    ],
    { cwd: ROOT, stdio: ['ignore', out, out] },
  );
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const url = `http://127.0.0.1:${o.port}`;
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`privlink serve exited with ${child.exitCode}; see ${o.log}`);
    try {
      const r = await fetch(`${url}/_privlink/health`);
      if (r.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`privlink serve not healthy after 90 s; see ${o.log}`);
    await sleep(100);
  }
  return { child, url, pid: child.pid ?? 0, exited };
}

export async function stopServe(s: ServeChild, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (s.child.exitCode !== null || s.child.signalCode !== null) return;
  s.child.kill(signal);
  const t = setTimeout(() => s.child.kill('SIGKILL'), 30_000);
  await s.exited;
  clearTimeout(t);
}

export function clients(url: string, account: string) {
  const config = {
    endpoint: url,
    region: 'us-east-1',
    credentials: { accessKeyId: account, secretAccessKey: 'x' },
    maxAttempts: 1,
  };
  return { ec2: new EC2Client(config), elb: new ElasticLoadBalancingV2Client(config) };
}

/** mulberry32: small, seeded, good enough to pick operations reproducibly. */
export function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: <T>(xs: readonly T[]): T | undefined => xs[Math.floor(next() * xs.length)],
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function namespaces(prefix: string): string[] {
  const r = spawnSync('ip', ['-j', 'netns', 'list'], { encoding: 'utf8' });
  const list = r.stdout.trim() ? (JSON.parse(r.stdout) as { name: string }[]) : [];
  return list.map((n) => n.name).filter((n) => n.startsWith(`${prefix}-`));
}

/** Pids whose command line contains `tag` (never this process). */
export function processesWith(tag: string): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d) || Number(d) === process.pid) continue;
    try {
      const cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8');
      if (cmd.includes(tag)) out.push(Number(d));
    } catch {
      // gone
    }
  }
  return out;
}

/** Pids of processes running inside a namespace of `prefix`. */
export function processesInNamespaces(prefix: string): number[] {
  const out: number[] = [];
  for (const ns of namespaces(prefix)) {
    const r = spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' });
    for (const p of r.stdout.split(/\s+/)) if (p) out.push(Number(p));
  }
  return out;
}

export function rssKb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

export function openFds(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/fd`).filter((f) => {
      try {
        readlinkSync(`/proc/${pid}/fd/${f}`);
        return true;
      } catch {
        return false;
      }
    }).length;
  } catch {
    return 0;
  }
}

/** Conntrack entries summed over the namespaces of `prefix`. */
export function conntrackEntries(prefix: string): number {
  let n = 0;
  for (const ns of namespaces(prefix)) {
    const r = spawnSync('ip', ['netns', 'exec', ns, 'cat', '/proc/sys/net/netfilter/nf_conntrack_count'], {
      encoding: 'utf8',
    });
    n += Number(r.stdout.trim()) || 0;
  }
  return n;
}

/** An HTTP GET from inside a namespace (node is on the host, namespaces share the filesystem). */
export function httpFromNamespace(ns: string, host: string, port: number, timeoutMs = 3000): string {
  const js = `const s=require('net').connect(${port},'${host}');let b='';s.setTimeout(${timeoutMs},()=>{s.destroy();process.exit(2)});s.on('connect',()=>s.write('GET / HTTP/1.1\\r\\nHost: x\\r\\nConnection: close\\r\\n\\r\\n'));s.on('data',d=>b+=d);s.on('error',()=>process.exit(3));s.on('close',()=>{process.stdout.write(b.slice(b.indexOf('\\r\\n\\r\\n')+4))})`;
  const r = spawnSync('ip', ['netns', 'exec', ns, process.execPath, '-e', js], {
    encoding: 'utf8',
    timeout: timeoutMs + 2000,
  });
  return r.status === 0 ? r.stdout : '';
}

/** User data of a provider web instance: answers `<tag> <instance id>` on port 8080. */
export function webUserData(tag: string): string {
  const js = `require('http').createServer((q,r)=>r.end('${tag} '+process.env.PRIVLINK_INSTANCE_ID)).listen(8080)`;
  return Buffer.from(`#!/bin/sh\nexec ${process.execPath} -e "${js}"\n`).toString('base64');
}

export function stats(xs: number[]) {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? 0;
  return { n: s.length, min: s[0] ?? 0, median: q(0.5), p90: q(0.9), max: s.at(-1) ?? 0 };
}
