/**
 * Console and metrics benchmark with 1,000 interface endpoints stored (BENCH_CONSOLE_ENDPOINTS):
 * - the console snapshot (`GET /console/api/snapshot`) against a baseline call that does no store
 *   work (`GET /_privlink/health`);
 * - one live update: a committed endpoint state change → the `changed` server-sent event → the
 *   snapshot refetch the page then makes; server CPU per update (process CPU: the server runs in
 *   this process, the client side of the bench costs little next to it);
 * - page load in Debian's chromium: navigation until the topology SVG (elkjs layout in the page)
 *   is drawn;
 * - `GET /metrics` scrape time, every endpoint reporting traffic.
 * The data plane is a stand-in that reports traffic for every endpoint (no namespaces), so the
 * figures are the console's and the metrics' own cost.
 */
import { request } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { Privlink } from '../src/emulator.js';
import type { EndpointTraffic } from '../src/control/ports.js';
import { fakeDataplane, CONSUMER } from '../test/helpers/privlink.js';
import { seedService } from '../test/api/privatelink-consumer-fixtures.js';
import { seedEndpoint, setEndpointState } from '../test/api/privatelink-provider-fixtures.js';
import { fmt, summarize } from './stats.js';

const TOTAL = Number(process.env['BENCH_CONSOLE_ENDPOINTS'] ?? 1000);
const ROUNDS = 20;

function get(url: string): Promise<{ ms: number; bytes: number }> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    request(url, (res) => {
      let bytes = 0;
      res.on('data', (d: Buffer) => (bytes += d.length));
      res.on('end', () => resolve({ ms: performance.now() - t0, bytes }));
      res.on('error', reject);
    })
      .on('error', reject)
      .end();
  });
}

async function timed(url: string): Promise<{ p50: number; p99: number; bytes: number }> {
  const ms: number[] = [];
  let bytes = 0;
  for (let i = 0; i < ROUNDS; i++) {
    const r = await get(url);
    ms.push(r.ms);
    bytes = r.bytes;
  }
  const s = summarize(ms);
  return { p50: s.p50, p99: s.p99, bytes };
}

export async function run(): Promise<void> {
  const traffic = new Map<string, EndpointTraffic>();
  const p = new Privlink(
    { port: 0, ephemeral: true, logLevel: 'warn', dataplane: 'off', dnsPort: -1, pendingMs: 50 },
    {
      dataplane: fakeDataplane({
        traffic: { endpointTraffic: () => Promise.resolve(new Map(traffic)) },
      }),
    },
  );
  await p.start();
  try {
    const svc = seedService(p, { acceptanceRequired: true });
    const ids: string[] = [];
    for (let i = 0; i < TOTAL; i++) {
      const id = seedEndpoint(p, {
        account: CONSUMER,
        serviceId: svc.serviceId,
        serviceName: svc.serviceName,
        state: 'available',
      });
      ids.push(id);
      traffic.set(id, {
        activeConnections: i % 7,
        connectionsTotal: i * 3,
        bytesIn: i * 1000,
        bytesOut: i * 5000,
      });
    }
    console.log(`${TOTAL} endpoints stored (one service, one consumer account)`);

    const base = await timed(`${p.url}/_privlink/health`);
    const snap = await timed(`${p.url}/console/api/snapshot`);
    console.log(
      `snapshot: p50 ${fmt(snap.p50)} ms, p99 ${fmt(snap.p99)} ms, ${Math.round(snap.bytes / 1024)} KiB` +
        ` (baseline /_privlink/health p50 ${fmt(base.p50)} ms, ratio ${fmt(snap.p50 / base.p50, 1)}×)`,
    );
    const metrics = await timed(`${p.url}/metrics`);
    console.log(
      `/metrics scrape: p50 ${fmt(metrics.p50)} ms, p99 ${fmt(metrics.p99)} ms, ${Math.round(metrics.bytes / 1024)} KiB` +
        ` (ratio to baseline ${fmt(metrics.p50 / base.p50, 1)}×)`,
    );

    // Live updates: one SSE client; each update = a state change, its event, the refetch.
    const events: (() => void)[] = [];
    const sse = request(`${p.url}/console/api/events`, (res) => {
      res.on('data', (d: Buffer) => {
        if (d.toString().includes('event: changed')) events.shift()?.();
      });
    });
    sse.end();
    await new Promise((r) => setTimeout(r, 200));
    const updates = 20;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < updates; i++) {
      const seen = new Promise<void>((resolve) => events.push(resolve));
      setEndpointState(p, ids[i] ?? '', i % 2 ? 'available' : 'pending');
      await seen;
      await get(`${p.url}/console/api/snapshot`);
    }
    const wall = (performance.now() - t0) / updates;
    const cpu = process.cpuUsage(cpu0);
    console.log(
      `live update (change → SSE event → snapshot refetch): ${fmt((cpu.user + cpu.system) / 1000 / updates)} ms CPU, ` +
        `${fmt(wall)} ms wall each (includes the ${100} ms event debounce)`,
    );
    sse.destroy();

    const profile = mkdtempSync(join(tmpdir(), 'privlink-bench-profile-'));
    const ctx = await chromium.launchPersistentContext(profile, {
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    try {
      const page = ctx.pages()[0] ?? (await ctx.newPage());
      const loads: number[] = [];
      for (let i = 0; i < 3; i++) {
        const l0 = performance.now();
        await page.goto(`${p.url}/console/`);
        await page.waitForSelector('svg[data-topology]', { timeout: 120_000 });
        loads.push(performance.now() - l0);
      }
      console.log(
        `page load to drawn topology (chromium, elkjs in the page): ${loads.map((x) => fmt(x, 0)).join(', ')} ms`,
      );
    } finally {
      await ctx.close();
      rmSync(profile, { recursive: true, force: true });
    }
  } finally {
    await p.close();
  }
}
