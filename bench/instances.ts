/**
 * Instances benchmark (root, netns mode; run under the namespace lock): how fast a sandboxed
 * instance boots and stops, and what it costs.
 *
 * Figures: RunInstances → user data running (its first console line; p50/p99 over
 * BENCH_INST_LAUNCHES launches), StopInstances → sandbox gone, StartInstances → boot finished,
 * memory per idle instance (cgroup memory usage and RSS of its processes) and the time to bring
 * BENCH_INST_SCALE (default 100) instances to running, with the host's MemAvailable before/after.
 */
import { readFile } from 'node:fs/promises';
import {
  CreateSubnetCommand,
  CreateVpcCommand,
  EC2Client,
  GetConsoleOutputCommand,
  RunInstancesCommand,
  StartInstancesCommand,
  StopInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { createComponents, createDataplane } from '../src/components.js';
import { Privlink } from '../src/emulator.js';
import { probeNetns } from '../src/dataplane/netns/run.js';
import { fmt, summarize } from './stats.js';

const PREFIX = 'bin';
const AMI = 'ami-0123456789abcdef0';
const LAUNCHES = Number(process.env['BENCH_INST_LAUNCHES'] ?? 20);
const SCALE = Number(process.env['BENCH_INST_SCALE'] ?? 100);
/** Instances per account (the default quota is 20 per account and region). */
const PER_ACCOUNT = 20;

function client(p: Privlink, account: string): EC2Client {
  return new EC2Client({
    endpoint: p.url,
    region: 'us-east-1',
    credentials: { accessKeyId: account, secretAccessKey: 'bench' },
    maxAttempts: 1,
  });
}

async function until<T>(read: () => Promise<T> | T, ok: (v: T) => boolean, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error('bench: timed out waiting');
    await new Promise((r) => setTimeout(r, 5));
  }
}

function sandboxOf(p: Privlink, id: string): string | undefined {
  const dp = p.health()['components'] as Record<string, Record<string, unknown>>;
  const inst = (
    dp['dataplane']?.['reconcilers'] as Record<string, { instances?: Record<string, { container?: string }> }>
  )['instances']?.instances?.[id];
  return inst?.container;
}

async function consoleOf(ec2: EC2Client, id: string): Promise<string> {
  const o = await ec2.send(new GetConsoleOutputCommand({ InstanceId: id }));
  return Buffer.from(o.Output ?? '', 'base64').toString();
}

async function subnetIn(ec2: EC2Client, third: number): Promise<string> {
  const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: `10.${third}.0.0/16` }));
  const sn = await ec2.send(
    new CreateSubnetCommand({
      VpcId: vpc.Vpc?.VpcId,
      CidrBlock: `10.${third}.1.0/24`,
      AvailabilityZone: 'us-east-1a',
    }),
  );
  return sn.Subnet?.SubnetId ?? '';
}

async function memAvailableMiB(): Promise<number> {
  const m = /MemAvailable:\s+(\d+)/.exec(await readFile('/proc/meminfo', 'utf8'));
  return Number(m?.[1] ?? 0) / 1024;
}

/** Sum of RSS (KiB) of the processes in an instance's memory cgroup, and the cgroup's usage. */
async function memoryOf(id: string): Promise<{ rssKiB: number; cgroupKiB: number }> {
  const dir = `/sys/fs/cgroup/memory/privlink-${PREFIX}/${id}`;
  const usage = Number(await readFile(`${dir}/memory.usage_in_bytes`, 'utf8').catch(() => '0'));
  const pids = (await readFile(`${dir}/cgroup.procs`, 'utf8').catch(() => '')).split('\n').filter(Boolean);
  let rss = 0;
  for (const pid of pids) {
    const st = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
    rss += Number(/VmRSS:\s+(\d+)/.exec(st)?.[1] ?? 0);
  }
  return { rssKiB: rss, cgroupKiB: usage / 1024 };
}

export async function run(): Promise<void> {
  const probe = await probeNetns();
  if (!probe.ok) {
    console.log(`skipped: ${probe.reason}`);
    return;
  }
  const p = new Privlink(
    {
      port: 0,
      ephemeral: true,
      logLevel: 'error',
      dataplane: 'netns',
      netnsPrefix: PREFIX,
      dnsPort: -1,
      pendingMs: 50,
    },
    { dataplane: createDataplane, components: createComponents },
  );
  await p.start();
  try {
    const ec2 = client(p, '100000000000');
    const subnet = await subnetIn(ec2, 0);

    const launch: number[] = [];
    const stop: number[] = [];
    const start: number[] = [];
    for (let n = 0; n < LAUNCHES; n++) {
      const t0 = performance.now();
      const r = await ec2.send(
        new RunInstancesCommand({
          ImageId: AMI,
          MinCount: 1,
          MaxCount: 1,
          SubnetId: subnet,
          UserData: Buffer.from('#!/bin/sh\necho user-data-running\n').toString('base64'),
        }),
      );
      const id = r.Instances?.[0]?.InstanceId ?? '';
      await until(
        () => consoleOf(ec2, id),
        (s) => s.includes('user-data-running'),
      );
      launch.push(performance.now() - t0);
      if (n < 5) {
        const t1 = performance.now();
        await ec2.send(new StopInstancesCommand({ InstanceIds: [id] }));
        await until(
          () => sandboxOf(p, id),
          (c) => c === undefined,
        );
        stop.push(performance.now() - t1);
        await until(
          () => ec2.send(new StartInstancesCommand({ InstanceIds: [id] })).catch(() => undefined),
          (x) => x !== undefined,
        );
        const t2 = performance.now();
        await until(
          () => consoleOf(ec2, id),
          (s) => s.split('privlink: boot finished').length === 3,
        );
        start.push(performance.now() - t2);
      }
      await ec2.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
    }
    const l = summarize(launch);
    const s1 = summarize(stop);
    const s2 = summarize(start);
    console.log(`RunInstances → user data running: p50 ${fmt(l.p50)} ms  p99 ${fmt(l.p99)} ms  (n=${l.n})`);
    console.log(
      `StopInstances → sandbox gone:      p50 ${fmt(s1.p50)} ms  p99 ${fmt(s1.p99)} ms  (n=${s1.n})`,
    );
    console.log(
      `StartInstances → boot finished:    p50 ${fmt(s2.p50)} ms  p99 ${fmt(s2.p99)} ms  (n=${s2.n}; from the call after 'stopped')`,
    );
    await until(
      () => p.health(),
      () => true,
    );

    if (SCALE <= 0) return;
    // Scale: SCALE idle instances across accounts (quota 20 each).
    const before = await memAvailableMiB();
    const t0 = performance.now();
    const ids: string[] = [];
    for (let a = 0; a * PER_ACCOUNT < SCALE; a++) {
      const acct = client(p, String(200000000000 + a));
      const sn = await subnetIn(acct, a + 1);
      const r = await acct.send(
        new RunInstancesCommand({
          ImageId: AMI,
          MinCount: 1,
          MaxCount: Math.min(PER_ACCOUNT, SCALE - a * PER_ACCOUNT),
          SubnetId: sn,
        }),
      );
      ids.push(...(r.Instances ?? []).map((i) => i.InstanceId ?? ''));
    }
    await until(
      () => ids.every((id) => sandboxOf(p, id) !== undefined),
      (ok) => ok,
      600_000,
    );
    const bootAll = performance.now() - t0;
    await new Promise((r) => setTimeout(r, 2000));
    const after = await memAvailableMiB();
    const mems = await Promise.all(ids.map((id) => memoryOf(id)));
    const rss = mems.reduce((x, m) => x + m.rssKiB, 0) / mems.length;
    const cg = mems.reduce((x, m) => x + m.cgroupKiB, 0) / mems.length;
    console.log(`${ids.length} instances running after ${fmt(bootAll / 1000)} s`);
    console.log(
      `memory per idle instance: RSS ${fmt(rss / 1024)} MiB, cgroup usage ${fmt(cg / 1024)} MiB; ` +
        `host MemAvailable ${fmt(before)} → ${fmt(after)} MiB (${fmt((before - after) / ids.length)} MiB each, ` +
        'namespaces and page cache included)',
    );
  } finally {
    await p.close();
  }
}
