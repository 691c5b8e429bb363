/**
 * DNS benchmark: the privlink resolver answering 10,000 endpoint names vs dnsmasq serving the same
 * 10,000 names from a hosts file, both on 127.0.0.1, measured in the same run with the same UDP
 * load generator. Figures: queries/s with 64 queries in flight, and p50/p99 latency one query at
 * a time; printed with privlink/dnsmasq ratios. Also: how long deriving the records of 5,000
 * endpoints from the store takes (the full resync at start-up or reset).
 *
 * The privlink side runs in its own process (`bench/dns.ts --serve DIR`), like `privlink serve`:
 * an in-memory store seeded with 5,000 available interface endpoints (regional + zonal name
 * each), the record feeder and the host resolver, so the load generator never shares its event
 * loop. Needs `dnsmasq` (Debian `dnsmasq-base`); without it only privlink's figures print.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import dnsPacket from 'dns-packet';
import { Control } from '../src/control/control.js';
import { zonesForRegion } from '../src/control/zones.js';
import { endpointServiceName } from '../src/control/names.js';
import { listenDns } from '../src/dns/dns-server.js';
import { RecordFeeder } from '../src/dns/record-feeder.js';
import { answerQuery } from '../src/dns/resolver.js';
import { hostView } from '../src/dns/views.js';
import { systemClock } from '../src/shared/clock.js';
import { randomIdSource } from '../src/shared/ids.js';
import { silentLogger } from '../src/shared/logger.js';
import { SqliteStore } from '../src/store/sqlite-store.js';
import { fmt, summarize } from './stats.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const NAMES = Number(process.env['BENCH_DNS_NAMES'] ?? 10_000);
const PER_VPC = 50;
const CONCURRENCY = 64;
const THROUGHPUT_QUERIES = Number(process.env['BENCH_DNS_QUERIES'] ?? 60_000);
const LATENCY_QUERIES = 5_000;
const REGION = 'us-east-1';

// ---------------------------------------------------------------- privlink side (child process)

/** Seeds `endpoints` available interface endpoints (one ENI each) straight into the store. */
function seed(store: SqliteStore, control: Control, endpoints: number): void {
  const ids = control.ids;
  const now = systemClock.now();
  const zone = zonesForRegion(REGION)[0];
  const owner = (accountId: string) => ({ accountId, region: REGION, createdAt: now, tags: [] });
  const serviceId = ids.resourceId('vpce-svc');
  store.transaction(() => {
    store.put('endpointService', {
      ...owner('111111111111'),
      id: serviceId,
      serviceName: endpointServiceName(REGION, serviceId),
      serviceType: 'Interface',
      state: 'Available',
      acceptanceRequired: false,
      managesVpcEndpoints: false,
      networkLoadBalancerArns: [],
      gatewayLoadBalancerArns: [],
      supportedIpAddressTypes: ['ipv4'],
      supportedRegions: [REGION],
    });
    for (let v = 0; v * PER_VPC < endpoints; v++) {
      const vpcId = ids.resourceId('vpc');
      const subnetId = ids.resourceId('subnet');
      store.put('vpc', {
        ...owner('222222222222'),
        id: vpcId,
        cidrBlock: '10.0.0.0/16',
        state: 'available',
        instanceTenancy: 'default',
        isDefault: false,
        dhcpOptionsId: ids.resourceId('dopt'),
        enableDnsSupport: true,
        enableDnsHostnames: true,
        mainRouteTableId: ids.resourceId('rtb'),
        defaultSecurityGroupId: ids.resourceId('sg'),
        cidrAssociationId: ids.resourceId('vpc-cidr-assoc'),
      });
      store.put('subnet', {
        ...owner('222222222222'),
        id: subnetId,
        vpcId,
        cidrBlock: '10.0.0.0/20',
        availabilityZone: zone?.zoneName ?? 'us-east-1a',
        availabilityZoneId: zone?.zoneId ?? 'use1-az1',
        state: 'available',
        mapPublicIpOnLaunch: false,
      });
      for (let i = 0; i < PER_VPC && v * PER_VPC + i < endpoints; i++) {
        const id = ids.resourceId('vpce');
        const eniId = ids.resourceId('eni');
        store.put('networkInterface', {
          ...owner('222222222222'),
          id: eniId,
          vpcId,
          subnetId,
          availabilityZone: zone?.zoneName ?? 'us-east-1a',
          privateIpAddress: `10.0.${Math.floor(i / 200)}.${10 + (i % 200)}`,
          macAddress: '02:00:00:00:00:01',
          interfaceType: 'vpc_endpoint',
          description: `VPC Endpoint Interface ${id}`,
          requesterManaged: true,
          groupIds: [],
          status: 'in-use',
          ownerResourceId: id,
        });
        store.put('vpcEndpoint', {
          ...owner('222222222222'),
          id,
          endpointType: 'Interface',
          vpcId,
          serviceName: endpointServiceName(REGION, serviceId),
          serviceId,
          serviceOwner: '111111111111',
          serviceRegion: REGION,
          state: 'available',
          stateChangedAt: now,
          routeTableIds: [],
          subnetIds: [subnetId],
          groupIds: [],
          networkInterfaceIds: [eniId],
          ipAddressType: 'ipv4',
          privateDnsEnabled: false,
          dnsLabel: ids.chars(8, 'abcdefghijklmnopqrstuvwxyz0123456789'),
          requesterArn: 'arn:aws:iam::222222222222:root',
        });
      }
    }
  });
}

async function serve(dir: string): Promise<void> {
  const store = new SqliteStore(':memory:');
  const control = new Control({
    store,
    clock: systemClock,
    ids: randomIdSource(),
    config: { pendingMs: 0, deletedRetentionMs: 60_000 },
    logger: silentLogger,
  });
  seed(store, control, Math.ceil(NAMES / 2));
  const feeder = new RecordFeeder(control, silentLogger);
  const t0 = performance.now();
  feeder.start();
  const deriveMs = performance.now() - t0;
  const view = hostView(feeder, { includePrivate: () => false });
  const listener = await listenDns('127.0.0.1', 0, (msg, tr) => answerQuery(view, msg, tr, undefined));
  // The same names for dnsmasq's hosts file: "IP NAME" per line.
  const lines: string[] = [];
  for (const ep of store.listAll('vpcEndpoint')) {
    const eni = store.find('networkInterface', ep.networkInterfaceIds[0] ?? '');
    const r = view.lookup(`${ep.id}-${ep.dnsLabel}.${ep.serviceId ?? ''}.${REGION}.vpce.amazonaws.com`, 'A');
    if (!eni || r.kind !== 'answer') throw new Error(`endpoint ${ep.id} has no records`);
    for (const name of [
      `${ep.id}-${ep.dnsLabel}.${ep.serviceId ?? ''}.${REGION}.vpce.amazonaws.com`,
      `${ep.id}-${ep.dnsLabel}-${REGION}a.${ep.serviceId ?? ''}.${REGION}.vpce.amazonaws.com`,
    ]) {
      lines.push(`${eni.privateIpAddress} ${name}`);
    }
  }
  await writeFile(join(dir, 'hosts'), lines.join('\n') + '\n');
  process.stdout.write(
    `READY ${JSON.stringify({ port: listener.port, deriveMs, records: feeder.publicTable.recordCount })}\n`,
  );
  const stop = () => {
    void listener.close().then(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

// ---------------------------------------------------------------- load generator (parent)

interface LoadResult {
  qps: number;
  p50: number;
  p99: number;
  lost: number;
  wrong: number;
}

/** Sends `total` A queries for names[], `concurrency` in flight on one socket; checks each answer. */
async function load(
  port: number,
  names: readonly string[],
  total: number,
  concurrency: number,
): Promise<LoadResult> {
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  const queries = names.map((name) =>
    dnsPacket.encode({
      type: 'query',
      id: 0,
      flags: dnsPacket.RECURSION_DESIRED,
      questions: [{ type: 'A', name }],
    }),
  );
  const inflight = new Map<number, { start: number; timer: NodeJS.Timeout }>();
  const lat: number[] = [];
  let sent = 0;
  let done = 0;
  let lost = 0;
  let wrong = 0;
  let nextId = 1;
  const t0 = performance.now();
  await new Promise<void>((resolveAll) => {
    const finishOne = () => {
      done++;
      if (done === total) resolveAll();
      else if (sent < total) sendOne();
    };
    const sendOne = () => {
      const q = queries[sent % queries.length];
      sent++;
      if (!q) return;
      let id = nextId;
      while (inflight.has(id)) id = (id + 1) & 0xffff || 1;
      nextId = (id + 1) & 0xffff || 1;
      q.writeUInt16BE(id, 0);
      const timer = setTimeout(() => {
        inflight.delete(id);
        lost++;
        finishOne();
      }, 1000);
      inflight.set(id, { start: performance.now(), timer });
      sock.send(q, port, '127.0.0.1');
    };
    sock.on('message', (msg) => {
      const id = msg.readUInt16BE(0);
      const f = inflight.get(id);
      if (!f) return;
      inflight.delete(id);
      clearTimeout(f.timer);
      lat.push(performance.now() - f.start);
      // NOERROR with one answer (ANCOUNT = 1).
      if ((msg.readUInt16BE(2) & 0xf) !== 0 || msg.readUInt16BE(6) !== 1) wrong++;
      finishOne();
    });
    for (let i = 0; i < Math.min(concurrency, total); i++) sendOne();
  });
  const secs = (performance.now() - t0) / 1000;
  sock.close();
  const s = summarize(lat);
  return { qps: total / secs, p50: s.p50, p99: s.p99, lost, wrong };
}

async function freePort(): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function waitForAnswer(port: number, name: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const r = await load(port, [name], 1, 1);
    if (r.lost === 0 && r.wrong === 0) return;
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error(`no answer on 127.0.0.1:${port}`);
}

function startPrivlinkResolver(
  dir: string,
): Promise<{ child: ChildProcess; port: number; deriveMs: number; records: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'bench/dns.ts'), '--serve', dir], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((res, rej) => {
    let buf = '';
    child.stdout?.on('data', (d: Buffer) => {
      buf += d.toString();
      const m = /READY (\{.*\})/.exec(buf);
      if (m?.[1]) {
        const info = JSON.parse(m[1]) as { port: number; deriveMs: number; records: number };
        res({ child, ...info });
      }
    });
    child.once('exit', (c) => rej(new Error(`privlink resolver exited ${c}`)));
  });
}

async function startDnsmasq(dir: string): Promise<{ child: ChildProcess; port: number } | undefined> {
  const port = await freePort();
  const child = spawn(
    'dnsmasq',
    [
      '--keep-in-foreground',
      '--conf-file=/dev/null',
      '--no-resolv',
      '--no-hosts',
      `--addn-hosts=${join(dir, 'hosts')}`,
      '--listen-address=127.0.0.1',
      '--bind-interfaces',
      `--port=${port}`,
      '--local=/vpce.amazonaws.com/',
      `--pid-file=${join(dir, 'dnsmasq.pid')}`,
      '--cache-size=10000',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const failed = await Promise.race([
    once(child, 'error').then(() => true),
    once(child, 'exit').then(() => true),
    new Promise<boolean>((r) => setTimeout(() => r(false), 300)),
  ]);
  if (failed) return undefined;
  return { child, port };
}

async function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  await Promise.race([once(child, 'exit'), new Promise((r) => setTimeout(r, 2000))]);
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

function line(name: string, r: LoadResult, base?: LoadResult): void {
  const ratio = base
    ? `  (rate ×${fmt(r.qps / base.qps)}, p50 ×${fmt(r.p50 / base.p50)}, p99 ×${fmt(r.p99 / base.p99)} of dnsmasq)`
    : '';
  const errs = r.lost || r.wrong ? `  lost ${r.lost} wrong ${r.wrong}` : '';
  console.log(
    `${name.padEnd(34)} ${fmt(r.qps, 0).padStart(7)} q/s  p50 ${fmt(r.p50, 3)} ms  p99 ${fmt(r.p99, 3)} ms${errs}${ratio}`,
  );
}

export async function run(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'privlink-dns-bench-'));
  // dnsmasq drops to `nobody` before it reads the hosts file.
  await chmod(dir, 0o755);
  let pl: ChildProcess | undefined;
  let dm: ChildProcess | undefined;
  try {
    const p = await startPrivlinkResolver(dir);
    pl = p.child;
    console.log(
      `privlink: ${p.records} records derived from ${Math.ceil(NAMES / 2)} endpoints in ${fmt(p.deriveMs, 1)} ms`,
    );
    const names = (await readFile(join(dir, 'hosts'), 'utf8'))
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split(' ')[1] ?? '');
    // Spread queries over every name (a stride so consecutive queries hit different names).
    const order = names.map((_, i) => names[(i * 7919) % names.length] ?? '');
    const d = await startDnsmasq(dir);
    dm = d?.child;
    if (d) await waitForAnswer(d.port, names[0] ?? '');
    else console.log('dnsmasq not found (apt-get install dnsmasq-base): privlink figures only');
    await waitForAnswer(p.port, names[0] ?? '');

    const results: { name: string; pl: LoadResult; dm?: LoadResult }[] = [];
    for (const [label, total, conc] of [
      [`UDP A, ${CONCURRENCY} in flight`, THROUGHPUT_QUERIES, CONCURRENCY],
      ['UDP A, one at a time', LATENCY_QUERIES, 1],
    ] as const) {
      // Warm both (JIT, dnsmasq's cache), then measure alternately.
      await load(p.port, order, 3000, conc);
      if (d) await load(d.port, order, 3000, conc);
      const dmr = d ? await load(d.port, order, total, conc) : undefined;
      const plr = await load(p.port, order, total, conc);
      results.push({ name: label, pl: plr, ...(dmr && { dm: dmr }) });
    }
    console.log(
      `${names.length} names, ${THROUGHPUT_QUERIES} / ${LATENCY_QUERIES} queries, one load generator`,
    );
    for (const r of results) {
      if (r.dm) line(`dnsmasq   ${r.name}`, r.dm);
      line(`privlink  ${r.name}`, r.pl, r.dm);
    }
  } finally {
    await stop(pl);
    await stop(dm);
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--serve') {
  await serve(process.argv[3] ?? tmpdir());
}
