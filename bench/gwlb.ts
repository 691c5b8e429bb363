/**
 * GWLB bench (root, real namespaces): the same traffic between two subnets of one VPC, first
 * through a GWLB endpoint and an echo appliance (examples/gwlb-appliance.mjs), then directly
 * (the route tables disassociated), in one run: TCP throughput (iperf3, 1 stream), UDP packets/s
 * (iperf3 -u, 64-byte payloads) and round-trip latency p50/p99 (ping), with the ratio of each.
 *   BENCH_GWLB_SECONDS (default 3).
 */
import { DescribeRouteTablesCommand, DisassociateRouteTableCommand } from '@aws-sdk/client-ec2';
import { spawn } from 'node:child_process';
import { run } from '../src/dataplane/netns/run.js';
import { gwlbWorld } from '../test/dataplane/gwlb-helpers.js';
import { fmt, summarize } from './stats.js';

const SECONDS = Number(process.env['BENCH_GWLB_SECONDS'] ?? 3);
const PREFIX = 'bgw';
const A = `${PREFIX}-ha`;
const B = `${PREFIX}-hb`;

async function iperf(extra: string[]): Promise<{ bps: number; pps: number }> {
  const { stdout } = await run(
    [
      'ip',
      'netns',
      'exec',
      A,
      'iperf3',
      '-c',
      '10.0.2.10',
      '-p',
      '5201',
      '-t',
      String(SECONDS),
      '-J',
      ...extra,
    ],
    undefined,
    (SECONDS + 15) * 1000,
  );
  const j = JSON.parse(stdout) as {
    end: {
      sum_received?: { bits_per_second: number };
      sum?: { bits_per_second: number; packets?: number; lost_packets?: number; seconds?: number };
    };
  };
  const s = j.end.sum;
  if (!s?.packets) return { bps: j.end.sum_received?.bits_per_second ?? 0, pps: 0 };
  const pps = s.seconds ? (s.packets - (s.lost_packets ?? 0)) / s.seconds : 0;
  return { bps: s?.bits_per_second ?? 0, pps };
}

async function latency(): Promise<{ p50: number; p99: number }> {
  const full = await run(
    ['ip', 'netns', 'exec', A, 'ping', '-c', '300', '-i', '0.005', '-n', '10.0.2.10'],
    undefined,
    30_000,
  );
  const ms = [...full.stdout.matchAll(/time=([\d.]+) ms/g)].map((m) => Number(m[1]));
  const s = summarize(ms);
  return { p50: s.p50 * 1000, p99: s.p99 * 1000 };
}

async function measure(): Promise<{ gbit: number; pps: number; p50: number; p99: number }> {
  const tcp = await iperf([]);
  const udp = await iperf(['-u', '-b', '0', '-l', '64']);
  const lat = await latency();
  return { gbit: tcp.bps / 1e9, pps: udp.pps, ...lat };
}

export async function run_(): Promise<void> {
  const cleanups: (() => unknown)[] = [];
  try {
    // The appliance echoes without logging (a log line per packet would be what is measured).
    const w = await gwlbWorld({ after: (fn) => cleanups.unshift(fn) }, PREFIX, ['']);
    await w.accept();
    const server = spawn('ip', ['netns', 'exec', B, 'iperf3', '-s', '-B', '10.0.2.10', '-p', '5201'], {
      stdio: 'ignore',
    });
    cleanups.unshift(() => server.kill());
    for (let i = 0; i < 100 && !(await w.reaches(8080)); i++) await new Promise((r) => setTimeout(r, 100));
    const through = await measure();
    // The same hosts without the endpoint routes: both subnets back on the main table.
    const tables = await w.cons.send(new DescribeRouteTablesCommand({}));
    for (const t of tables.RouteTables ?? []) {
      for (const a of t.Associations ?? []) {
        if (!a.Main && a.RouteTableAssociationId) {
          await w.cons.send(new DisassociateRouteTableCommand({ AssociationId: a.RouteTableAssociationId }));
        }
      }
    }
    await new Promise((r) => setTimeout(r, 500));
    const direct = await measure();
    const row = (name: string, m: typeof through, base?: typeof through) => {
      const r = (x: number, y: number | undefined) => (y ? ` (${fmt(x / y)}×)` : '');
      return `${name.padEnd(28)}${(fmt(m.gbit) + r(m.gbit, base?.gbit)).padStart(18)}${(fmt(m.pps, 0) + r(m.pps, base?.pps)).padStart(22)}${(fmt(m.p50, 0) + r(m.p50, base?.p50)).padStart(18)}${(fmt(m.p99, 0) + r(m.p99, base?.p99)).padStart(18)}`;
    };
    console.log(`${SECONDS} s per measurement; UDP 64-byte payloads; ping RTT over 300 packets`);
    console.log(
      `${'path'.padEnd(28)}${'TCP Gbit/s'.padStart(18)}${'UDP packets/s'.padStart(22)}${'RTT p50 µs'.padStart(18)}${'RTT p99 µs'.padStart(18)}`,
    );
    console.log(row('subnet → subnet (direct)', direct));
    console.log(row('through GWLB + echo appliance', through, direct));
    console.log(
      `added latency: p50 ${fmt(through.p50 - direct.p50, 0)} µs, p99 ${fmt(through.p99 - direct.p99, 0)} µs`,
    );
  } finally {
    for (const c of cleanups) await Promise.resolve(c()).catch(() => undefined);
  }
}

export { run_ as run };
