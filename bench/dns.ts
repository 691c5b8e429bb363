/**
 * DNS benchmark: `privlink serve` answering 10,000 endpoint names on its host resolver vs dnsmasq
 * serving the same 10,000 names from a hosts file, both on 127.0.0.1, measured in the same run
 * with the same UDP load generator. Figures: queries/s with 64 queries in flight, and p50/p99
 * latency one query at a time, printed with privlink/dnsmasq ratios — first with the API idle,
 * then while a second client keeps the same server's API busy (DescribeVpcEndpoints, 8 in flight:
 * API, DNS and the record feeder share one event loop, as they do in production). Also: how
 * long `privlink serve` takes from start to its first answer with 5,000 endpoints stored.
 *
 * The store is seeded straight into the data directory (5,000 available interface endpoints,
 * regional + zonal name each), then `privlink serve --data-dir` starts on it like a restart.
 * Needs `dnsmasq` (Debian `dnsmasq-base`); without it only privlink's figures print.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import dnsPacket from 'dns-packet';
import { Control } from '../src/control/control.js';
import { zonesForRegion } from '../src/control/zones.js';
import { endpointServiceName } from '../src/control/names.js';
import { Agent, request } from 'node:http';
import { systemClock } from '../src/shared/clock.js';
import { randomIdSource } from '../src/shared/ids.js';
import { silentLogger } from '../src/shared/logger.js';
import { SqliteStore } from '../src/store/sqlite-store.js';
import { fmt, median, rounds, summarize } from './stats.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const NAMES = Number(process.env['BENCH_DNS_NAMES'] ?? 10_000);
const PER_VPC = 50;
const CONCURRENCY = 64;
const THROUGHPUT_QUERIES = Number(process.env['BENCH_DNS_QUERIES'] ?? 60_000);
const LATENCY_QUERIES = 5_000;
const REGION = 'us-east-1';

// ---------------------------------------------------------------- the store privlink serve starts on

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

/** Seeds the data directory's store; returns the hosts-file lines (IP NAME) of every name. */
function seedDataDir(dir: string): string[] {
  const store = new SqliteStore(join(dir, 'privlink.db'));
  const control = new Control({
    store,
    clock: systemClock,
    ids: randomIdSource(),
    config: { pendingMs: 0, deletedRetentionMs: 60_000 },
    logger: silentLogger,
  });
  seed(store, control, Math.ceil(NAMES / 2));
  const lines: string[] = [];
  for (const ep of store.listAll('vpcEndpoint')) {
    const eni = store.find('networkInterface', ep.networkInterfaceIds[0] ?? '');
    if (!eni) throw new Error(`endpoint ${ep.id} has no ENI`);
    for (const name of [
      `${ep.id}-${ep.dnsLabel}.${ep.serviceId ?? ''}.${REGION}.vpce.amazonaws.com`,
      `${ep.id}-${ep.dnsLabel}-${REGION}a.${ep.serviceId ?? ''}.${REGION}.vpce.amazonaws.com`,
    ]) {
      lines.push(`${eni.privateIpAddress} ${name}`);
    }
  }
  store.close();
  return lines;
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

/** `privlink serve` on the seeded data directory: API on a free port, host DNS on `dnsPort`. */
function startServe(dir: string, dnsPort: number): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(ROOT, 'src/cli/main.ts'),
      'serve',
      '--data-dir',
      dir,
      '--port',
      '0',
      '--dataplane',
      'off',
      '--dns-port',
      String(dnsPort),
      '--log-level',
      'warn',
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  return new Promise((res, rej) => {
    let buf = '';
    child.stdout?.on('data', (d: Buffer) => {
      buf += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(buf);
      if (m?.[1]) res({ child, url: m[1] });
    });
    child.once('exit', (c) => rej(new Error(`privlink serve exited ${c}`)));
  });
}

const agent = new Agent({ keepAlive: true, maxSockets: 16 });

/**
 * Keeps the server's API busy with DescribeVpcEndpoints (one endpoint by ID, 8 in flight) until
 * stopped; returns the requests/s it achieved and how many failed.
 */
function apiLoad(
  url: string,
  endpointIds: readonly string[],
): { stop: () => Promise<{ rps: number; failed: number }> } {
  const u = new URL(url);
  let running = true;
  let done = 0;
  let failed = 0;
  const t0 = performance.now();
  const call = (i: number) =>
    new Promise<void>((resolve) => {
      const req = request(
        {
          host: u.hostname,
          port: u.port,
          method: 'POST',
          path: '/',
          agent,
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            authorization: `AWS4-HMAC-SHA256 Credential=222222222222/20260101/${REGION}/ec2/aws4_request, SignedHeaders=host, Signature=00`,
          },
        },
        (res) => {
          res.resume();
          res.on('end', () => {
            if (res.statusCode === 200) done++;
            else failed++;
            resolve();
          });
        },
      );
      req.on('error', () => {
        failed++;
        resolve();
      });
      req.end(
        `Action=DescribeVpcEndpoints&Version=2016-11-15&VpcEndpointId.1=${endpointIds[(i * 7919) % endpointIds.length] ?? ''}`,
      );
    });
  const workers = Array.from({ length: 8 }, async (_, w) => {
    for (let i = w; running; i += 8) await call(i);
  });
  return {
    stop: async () => {
      running = false;
      await Promise.all(workers);
      return { rps: done / ((performance.now() - t0) / 1000), failed };
    },
  };
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
    const lines = seedDataDir(dir);
    await writeFile(join(dir, 'hosts'), lines.join('\n') + '\n');
    const names = lines.map((l) => l.split(' ')[1] ?? '');
    const endpointIds = [...new Set(names.map((n) => n.slice(0, n.indexOf('-', 5))))];
    const plPort = await freePort();
    const t0 = performance.now();
    const serve = await startServe(dir, plPort);
    pl = serve.child;
    await waitForAnswer(plPort, names[0] ?? '');
    console.log(
      `privlink serve: first answer ${fmt(performance.now() - t0, 0)} ms after start, ${names.length} names from ${endpointIds.length} stored endpoints`,
    );
    // Spread queries over every name (a stride so consecutive queries hit different names).
    const order = names.map((_, i) => names[(i * 7919) % names.length] ?? '');
    const d = await startDnsmasq(dir);
    dm = d?.child;
    if (d) await waitForAnswer(d.port, names[0] ?? '');
    else console.log('dnsmasq not found (apt-get install dnsmasq-base): privlink figures only');

    const results: { name: string; pl: LoadResult; dm?: LoadResult; api?: string }[] = [];
    for (const busy of [false, true]) {
      for (const [label, total, conc] of [
        [`UDP A, ${CONCURRENCY} in flight`, THROUGHPUT_QUERIES, CONCURRENCY],
        ['UDP A, one at a time', LATENCY_QUERIES, 1],
      ] as const) {
        // Warm both (JIT, dnsmasq's cache), then measure alternately, three rounds each.
        await load(plPort, order, 3000, conc);
        if (d) await load(d.port, order, 3000, conc);
        const dmr = d
          ? await rounds(`dnsmasq ${label}`, 3, () => load(d.port, order, total, conc))
          : undefined;
        const api = busy ? apiLoad(serve.url, endpointIds) : undefined;
        const plr = await rounds(`privlink ${label}`, 3, () => load(plPort, order, total, conc));
        const apiRate = await api?.stop();
        const med = (xs: LoadResult[]): LoadResult => ({
          qps: median(xs.map((x) => x.qps)),
          p50: median(xs.map((x) => x.p50)),
          p99: median(xs.map((x) => x.p99)),
          lost: xs.reduce((n, x) => n + x.lost, 0),
          wrong: xs.reduce((n, x) => n + x.wrong, 0),
        });
        results.push({
          name: `${label}${busy ? ', API busy' : ''}`,
          pl: med(plr.ok),
          ...(dmr && { dm: med(dmr.ok) }),
          ...(apiRate && {
            api: `API meanwhile: ${fmt(apiRate.rps, 0)} DescribeVpcEndpoints/s, ${apiRate.failed} failed`,
          }),
        });
      }
    }
    console.log(
      `${names.length} names, ${THROUGHPUT_QUERIES} / ${LATENCY_QUERIES} queries per round, median of 3 rounds, one load generator`,
    );
    for (const r of results) {
      if (r.dm) line(`dnsmasq   ${r.name}`, r.dm);
      line(`privlink  ${r.name}`, r.pl, r.dm);
      if (r.api) console.log(`          ${r.api}`);
    }
  } finally {
    await stop(pl);
    await stop(dm);
    await rm(dir, { recursive: true, force: true });
  }
}
