/**
 * Data-plane benchmark (root, real namespaces; nothing is installed — iperf3, wrk and haproxy
 * must be present, see scripts/install-deps.sh). Two Privlinks with the netns data plane, one per
 * data path (`datapath: 'nftables'` and `'bpf'`; a path this machine cannot run is left out with
 * its reason), each build, via the real SDK clients, a provider VPC (NLB + targets) and a consumer
 * VPC (client + interface endpoint), both 10.0.0.0/16. Every round measures the direct veth path
 * (two bench namespaces, one hop, no netfilter) and every privlink path, in an order rotated from
 * round to round, and records each path's ratio to the raw figure of its own round:
 *   - throughput, 1 and 4 streams (iperf3), kernel paths (PPv2 off);
 *   - new connections/s (wrk, Connection: close) and request latency p50/p99 (wrk, 1 keep-alive
 *     connection) for the kernel paths, the PPv2 paths (Node proxy in the fabric agent) and
 *     HAProxy (`mode tcp`, `send-proxy-v2`) as a userspace peer on the agent's path: accepting in
 *     the endpoint namespace, connecting from the fabric namespace to the same NLB node;
 *   - accept → first byte through a new endpoint;
 *   - the same again with BENCH_DP_ENDPOINTS (default 1,000) endpoints live on each path.
 * Issue 15's aims (≥ 0.9× raw throughput, ≥ 0.8× raw conn/s, p50 ≤ 1.1× raw) are printed next
 * to the kernel paths' ratios. Targets are HAProxy `http-request return` (plain and
 * `accept-proxy`) and `iperf3 -s`.
 *
 * Quick mode (`npm run bench -- dataplane --quick`, or BENCH_DP_QUICK=1): 2 s per measurement,
 * 1 stream, kernel paths only, 200 endpoints in the scale phase: about nine minutes on 2 cores.
 *
 * Knobs (environment): BENCH_DP_PATHS (default `nftables,bpf`), BENCH_DP_ENDPOINTS, BENCH_DP_SECONDS (per measurement, default 3),
 * BENCH_DP_ROUNDS (default and minimum 3: a median of two is only the smaller one), BENCH_DP_LOG=debug (privlink's log), BENCH_DP_PROXY_WORKERS
 * (fabric agents serving PPv2; default one per core), and for investigating a
 * live topology: BENCH_DP_HOLD=S (hold S seconds before measuring), BENCH_DP_HOLD_SCALE=S (hold
 * after the scale phase is built), BENCH_DP_HOLD_ON_FAIL=1 (dump and hold when an endpoint does
 * not carry traffic). Never run two at once: they share the namespace prefixes `bnd`, `bndn` and
 * `bndb`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AcceptVpcEndpointConnectionsCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  CreateVpcEndpointCommand,
  DescribeNetworkInterfacesCommand,
  DescribeVpcEndpointsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateTargetGroupCommand,
  ElasticLoadBalancingV2Client,
  ModifyTargetGroupAttributesCommand,
  RegisterTargetsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { Privlink } from '../src/emulator.js';
import type { Datapath } from '../src/dataplane/bpf/datapath-choice.js';
import { createComponents, createDataplane } from '../src/components.js';
import {
  deleteNamespace,
  ipBatch,
  listNamespaces,
  nsExec,
  probeNetns,
  run,
} from '../src/dataplane/netns/run.js';
import { eniNamespace, fabricNamespace, linkName } from '../src/dataplane/netns/naming.js';
import { MIN_ROUNDS, fmt, median, summarize } from './stats.js';
import { publishService } from '../test/dataplane/traffic-helpers.js';

const PREFIX = 'bnd';
const PROVIDER = '111111111111';
const CONSUMER = '222222222222';
const REGION = 'us-east-1';
const QUICK = ['BENCH_DP_QUICK', 'BENCH_QUICK'].some((k) => process.env[k] === '1');
const ENDPOINTS = Number(process.env['BENCH_DP_ENDPOINTS'] ?? (QUICK ? 200 : 1000));
const SECONDS = Number(process.env['BENCH_DP_SECONDS'] ?? (QUICK ? 2 : 3));
/** A median of two rounds is just the smaller figure: three rounds at least. */
const ROUNDS = Math.max(MIN_ROUNDS, Number(process.env['BENCH_DP_ROUNDS'] ?? MIN_ROUNDS));
const PER_VPC = 50;
/** The privlink data paths to measure (BENCH_DP_PATHS=bpf for one): the raw path is always in. */
const PATHS = (process.env['BENCH_DP_PATHS'] ?? 'nftables,bpf').split(',').map((x) => x.trim());
const RAW_C = `${PREFIX}-rawc`;
const RAW_S = `${PREFIX}-raws`;
const RAW_IP = '192.168.200.2';

const procs: ChildProcess[] = [];
let stopping = false;
let workDir = '';

function bg(ns: string, argv: string[]): ChildProcess {
  const c = spawn('ip', ['netns', 'exec', ns, ...argv], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  c.stderr?.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-2000)));
  c.on('exit', (code, signal) => {
    if (!stopping && signal === null && code !== 0)
      console.error(`${argv[0] ?? ''} in ${ns} exited with ${code}: ${err.trim()}`);
  });
  procs.push(c);
  return c;
}

async function tools(): Promise<string | undefined> {
  for (const t of ['iperf3', 'wrk', 'haproxy', 'conntrack']) {
    try {
      await run(['sh', '-c', `command -v ${t}`]);
    } catch {
      return t;
    }
  }
  return undefined;
}

/** A namespace with eth0 on a VPC bridge (like an instance). */
async function vpcHost(ns: string, vpcNs: string, cidr: string, gw: string): Promise<void> {
  await deleteNamespace(ns);
  await run(['ip', 'netns', 'add', ns]);
  const peer = linkName('b', ns);
  await ipBatch([`link add eth0 netns ${ns} type veth peer name ${peer} netns ${vpcNs}`]);
  await ipBatch([`link set ${peer} master br0`, `link set ${peer} up`], vpcNs);
  await ipBatch(
    ['link set lo up', `addr add ${cidr} dev eth0`, 'link set eth0 up', `route add default via ${gw}`],
    ns,
  );
  await tune(ns);
}

async function tune(ns: string): Promise<void> {
  await nsExec(ns, ['sysctl', '-qw', 'net.ipv4.ip_local_port_range=1024 65535', 'net.ipv4.tcp_tw_reuse=1']);
}

async function haproxyConfig(name: string, body: string): Promise<string> {
  const f = join(workDir, `${name}.cfg`);
  await writeFile(
    f,
    `global\n  maxconn 8000\ndefaults\n  timeout connect 2s\n  timeout client 20s\n  timeout server 20s\n${body}`,
  );
  return f;
}

async function targetServers(ns: string, ip: string): Promise<void> {
  // Servers close first (Connection: close) and would hold a TIME_WAIT per connection: paths
  // measured one after another through the same NLB address would then hit those tuples with
  // other clients' timestamps and stall on SYN retransmits. Without TIME_WAIT they stay apart.
  await nsExec(ns, ['sysctl', '-qw', 'net.ipv4.tcp_max_tw_buckets=0']);
  const cfg = await haproxyConfig(
    `target-${ns}`,
    `frontend plain\n  mode http\n  bind ${ip}:8080\n  http-request return status 200 content-type text/plain string ok\n` +
      `frontend pp\n  mode http\n  bind ${ip}:8081 accept-proxy\n  http-request return status 200 content-type text/plain string ok\n`,
  );
  bg(ns, ['haproxy', '-db', '-f', cfg]);
  bg(ns, ['iperf3', '-s', '-B', ip, '-p', '5201']);
}

async function waitHttp(ns: string, url: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      await nsExec(ns, ['wrk', '-t1', '-c1', '-d1s', url], undefined, 5000).then((r) => {
        if (!/Requests\/sec/.test(r.stdout) || /Non-2xx|Socket errors/.test(r.stdout))
          throw new Error(r.stdout);
      });
      return;
    } catch (e) {
      if (Date.now() > deadline)
        throw new Error(`${url} not answering from ${ns}: ${String(e).slice(0, 300)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

async function flush(nss: readonly string[]): Promise<void> {
  for (const ns of nss) await nsExec(ns, ['conntrack', '-F']).catch(() => undefined);
}

async function iperf(ns: string, ip: string, streams: number): Promise<number> {
  const r = await nsExec(
    ns,
    ['iperf3', '-c', ip, '-p', '5201', '-t', String(SECONDS), '-O', '1', '-P', String(streams), '-J'],
    undefined,
    60_000,
  );
  const j = JSON.parse(r.stdout) as { end: { sum_received: { bits_per_second: number } } };
  return j.end.sum_received.bits_per_second / 1e9;
}

/** Runs a measurement; a failure (a tool stuck on this busy machine) costs the figure, not the run. */
async function guarded<T>(what: string, fn: () => Promise<T>, fallback: T): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    console.log(`  FAILED ${what}: ${String(e).split('\n')[0]?.slice(0, 200) ?? ''}`);
    return fallback;
  }
}

async function connRate(ns: string, url: string): Promise<number> {
  const r = await nsExec(
    ns,
    [
      'timeout',
      '-s',
      'INT',
      String(SECONDS + 10),
      'wrk',
      '-t2',
      '-c50',
      `-d${SECONDS}s`,
      '-H',
      'Connection: close',
      url,
    ],
    undefined,
    60_000,
  );
  return Number(/Requests\/sec:\s+([\d.]+)/.exec(r.stdout)?.[1] ?? NaN);
}

function usOf(v: string, unit: string): number {
  const n = Number(v);
  return unit === 'ms' ? n * 1000 : unit === 's' ? n * 1e6 : n;
}

async function latency(ns: string, url: string): Promise<{ p50: number; p99: number }> {
  const r = await nsExec(
    ns,
    ['timeout', '-s', 'INT', String(SECONDS + 10), 'wrk', '-t1', '-c1', `-d${SECONDS}s`, '--latency', url],
    undefined,
    60_000,
  );
  const m50 = /50%\s+([\d.]+)(us|ms|s)/.exec(r.stdout);
  const m99 = /99%\s+([\d.]+)(us|ms|s)/.exec(r.stdout);
  return {
    p50: m50 ? usOf(m50[1] ?? '', m50[2] ?? '') : NaN,
    p99: m99 ? usOf(m99[1] ?? '', m99[2] ?? '') : NaN,
  };
}

interface Row {
  values: Record<string, number[]>;
  ratios: Record<string, number[]>;
}
const results = new Map<string, Row>();
/** Records a figure of a path and, when given, its ratio to the baseline measured in the same round. */
function record(path: string, metric: string, v: number, base?: number): void {
  const row = results.get(path) ?? { values: {}, ratios: {} };
  (row.values[metric] ??= []).push(v);
  if (base !== undefined) (row.ratios[metric] ??= []).push(v / base);
  results.set(path, row);
}

const METRICS: [string, string][] = [
  ['gbps1', 'Gbit/s 1 stream'],
  ['gbps4', 'Gbit/s 4 streams'],
  ['cps', 'new conn/s'],
  ['p50', 'latency p50 µs'],
  ['p99', 'latency p99 µs'],
];

function printTable(paths: readonly string[], label: string): void {
  console.log(
    `\n${label}  (median of ${ROUNDS} rounds; in brackets the median ratio to the direct veth path measured in the same round, the order of the paths rotating from round to round; [k failed] rounds that gave no figure, printed above as they failed; † fewer than ${MIN_ROUNDS} good rounds)`,
  );
  console.log(['path'.padEnd(30), ...METRICS.map(([, h]) => h.padStart(18))].join(''));
  for (const path of paths) {
    const row = results.get(path);
    const cells = METRICS.map(([m]) => {
      const v = row?.values[m];
      if (!v?.length) return '–'.padStart(18);
      const r = row?.ratios[m];
      const ratio = r?.length ? ` (${fmt(median(r))}×)` : '';
      const good = v.filter((x) => Number.isFinite(x)).length;
      const failed = v.length - good;
      const mark = good < MIN_ROUNDS ? '†' : '';
      const fails = failed ? ` [${failed} failed]` : '';
      return `${fmt(median(v), m.startsWith('gbps') ? 2 : 0)}${mark}${ratio}${fails}`.padStart(18);
    });
    console.log([path.padEnd(30), ...cells].join(''));
  }
}

/** Issue 15's aims for the kernel paths, as ratios to the direct veth path. */
const AIMS: { metric: string; label: string; ok: (r: number) => boolean }[] = [
  { metric: 'gbps1', label: 'throughput ≥ 0.9×', ok: (r) => r >= 0.9 },
  { metric: 'cps', label: 'new conn/s ≥ 0.8×', ok: (r) => r >= 0.8 },
  { metric: 'p50', label: 'latency p50 ≤ 1.1×', ok: (r) => r <= 1.1 },
];

function printAims(paths: readonly string[], label: string): void {
  console.log(`\naims (issue 15), ${label}:`);
  console.log(['path'.padEnd(30), ...AIMS.map((a) => a.label.padStart(22))].join(''));
  for (const path of paths) {
    const row = results.get(path);
    const cells = AIMS.map((a) => {
      const r = median(row?.ratios[a.metric] ?? []);
      return Number.isFinite(r)
        ? `${fmt(r)}× ${a.ok(r) ? 'met' : 'MISSED'}`.padStart(22)
        : 'n/a'.padStart(22);
    });
    console.log([path.padEnd(30), ...cells].join(''));
  }
}

/** One privlink, with one data path, and the topology built through it. */
interface Side {
  datapath: Datapath;
  prefix: string;
  p: Privlink;
  provider: EC2Client;
  consumer: EC2Client;
  serviceId: string;
  serviceName: string;
  client: string;
  main: { id: string; ip: string; eni: string };
  eniNs: string;
  nodeNs: string[];
  firstByte: number[];
  /** Paths measured from this side's client: row name → URL. */
  paths: [string, string][];
}

const sides: Side[] = [];

export async function run_(): Promise<void> {
  const probe = await probeNetns();
  if (!probe.ok) {
    console.log(`skipped: ${probe.reason}`);
    return;
  }
  const missing = await tools();
  if (missing) {
    console.log(`skipped: '${missing}' is not installed (scripts/install-deps.sh installs it)`);
    return;
  }
  workDir = await mkdtemp(join(tmpdir(), 'privlink-bench-'));
  const started: Privlink[] = [];
  try {
    await rawPath();
    for (const [datapath, prefix] of [
      ['nftables', `${PREFIX}n`],
      ['bpf', `${PREFIX}b`],
    ] as const) {
      if (!PATHS.includes(datapath)) continue;
      const p = new Privlink(
        {
          port: 0,
          ephemeral: true,
          logLevel: process.env['BENCH_DP_LOG'] === 'debug' ? 'debug' : 'warn',
          dataplane: 'netns',
          datapath,
          netnsPrefix: prefix,
          dnsPort: -1,
          pendingMs: 0,
          proxyWorkers: Number(process.env['BENCH_DP_PROXY_WORKERS'] ?? 0),
          // The many-endpoints run spreads ENDPOINTS over consumer VPCs of 50 (AWS's per-VPC
          // limit): more VPCs than AWS's default 5, and a namespace per ENI beyond the default cap.
          quotas: { vpcsPerRegion: Math.ceil(ENDPOINTS / PER_VPC) + 5 },
          maxNamespaces: ENDPOINTS + 200,
        },
        { dataplane: createDataplane, components: createComponents },
      );
      try {
        await p.start();
      } catch (e) {
        console.log(
          `data path ${datapath}: cannot start, left out of this run: ${String(e).split('\n')[0] ?? ''}`,
        );
        continue;
      }
      started.push(p);
      sides.push(await buildSide(p, datapath, prefix));
    }
    await bench();
  } finally {
    stopping = true;
    for (const c of procs) if (c.exitCode === null) c.kill('SIGTERM');
    for (const p of started) await p.close();
    for (const prefix of [PREFIX, `${PREFIX}n`, `${PREFIX}b`])
      for (const ns of await listNamespaces(prefix)) await deleteNamespace(ns);
    await rm(workDir, { recursive: true, force: true });
  }
}

/** Direct veth baseline: two bench namespaces, one hop. */
async function rawPath(): Promise<void> {
  for (const ns of [RAW_C, RAW_S]) {
    await deleteNamespace(ns);
    await run(['ip', 'netns', 'add', ns]);
  }
  await ipBatch([`link add eth0 netns ${RAW_C} type veth peer name eth0 netns ${RAW_S}`]);
  await ipBatch(['link set lo up', 'addr add 192.168.200.1/30 dev eth0', 'link set eth0 up'], RAW_C);
  await ipBatch(['link set lo up', `addr add ${RAW_IP}/30 dev eth0`, 'link set eth0 up'], RAW_S);
  await tune(RAW_C);
  await targetServers(RAW_S, RAW_IP);
  await waitHttp(RAW_C, url(RAW_IP, 8080));
}

const url = (ip: string, port: number) => `http://${ip}:${port}/`;

async function buildSide(p: Privlink, datapath: Datapath, prefix: string): Promise<Side> {
  const cfg = (account: string) => ({
    endpoint: p.url,
    region: REGION,
    credentials: { accessKeyId: account, secretAccessKey: 'x' },
    maxAttempts: 1,
  });
  const provider = new EC2Client(cfg(PROVIDER));
  const consumer = new EC2Client(cfg(CONSUMER));
  const elb = new ElasticLoadBalancingV2Client(cfg(PROVIDER));

  // Provider: VPC, NLB in 10.0.1.0/24, target host 10.0.2.10 with three target groups.
  const pv = await provider.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
  const pvId = pv.Vpc?.VpcId ?? '';
  const nlbSubnet = await provider.send(
    new CreateSubnetCommand({ VpcId: pvId, CidrBlock: '10.0.1.0/24', AvailabilityZone: `${REGION}a` }),
  );
  await provider.send(
    new CreateSubnetCommand({ VpcId: pvId, CidrBlock: '10.0.2.0/24', AvailabilityZone: `${REGION}a` }),
  );
  const lb = await elb.send(
    new CreateLoadBalancerCommand({
      Name: 'bench',
      Type: 'network',
      Scheme: 'internal',
      Subnets: [nlbSubnet.Subnet?.SubnetId ?? ''],
    }),
  );
  const lbArn = lb.LoadBalancers?.[0]?.LoadBalancerArn ?? '';
  const groups: [string, number, number, boolean][] = [
    ['http', 8080, 80, false],
    ['pp', 8081, 81, true],
    ['iperf', 5201, 5201, false],
  ];
  for (const [name, port, listenerPort, pp] of groups) {
    const tg = await elb.send(
      new CreateTargetGroupCommand({
        Name: `bench-${name}`,
        Protocol: 'TCP',
        Port: port,
        VpcId: pvId,
        TargetType: 'ip',
      }),
    );
    const arn = tg.TargetGroups?.[0]?.TargetGroupArn ?? '';
    if (pp) {
      await elb.send(
        new ModifyTargetGroupAttributesCommand({
          TargetGroupArn: arn,
          Attributes: [{ Key: 'proxy_protocol_v2.enabled', Value: 'true' }],
        }),
      );
    }
    await elb.send(new RegisterTargetsCommand({ TargetGroupArn: arn, Targets: [{ Id: '10.0.2.10' }] }));
    await elb.send(
      new CreateListenerCommand({
        LoadBalancerArn: lbArn,
        Protocol: 'TCP',
        Port: listenerPort,
        DefaultActions: [{ Type: 'forward', TargetGroupArn: arn }],
      }),
    );
  }
  const { serviceId, serviceName } = await publishService(provider, lbArn, CONSUMER);

  // Consumer: the same CIDR; ENIs in a /20 (room for many endpoints), client 10.0.2.10.
  const cv = await consumer.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
  const cvId = cv.Vpc?.VpcId ?? '';
  const eniSubnet = await consumer.send(
    new CreateSubnetCommand({ VpcId: cvId, CidrBlock: '10.0.16.0/20', AvailabilityZone: `${REGION}a` }),
  );
  await consumer.send(
    new CreateSubnetCommand({ VpcId: cvId, CidrBlock: '10.0.2.0/24', AvailabilityZone: `${REGION}a` }),
  );
  const eniSubnetId = eniSubnet.Subnet?.SubnetId ?? '';
  const sg = await consumer.send(
    new CreateSecurityGroupCommand({ GroupName: 'bench', Description: 'bench', VpcId: cvId }),
  );
  const sgId = sg.GroupId ?? '';
  await consumer.send(
    new AuthorizeSecurityGroupIngressCommand({
      GroupId: sgId,
      IpPermissions: [
        { IpProtocol: 'tcp', FromPort: 0, ToPort: 65535, IpRanges: [{ CidrIp: '10.0.0.0/16' }] },
      ],
    }),
  );

  const waitNs = async (ns: string) => {
    for (let i = 0; i < 200 && !(await listNamespaces(prefix)).includes(ns); i++)
      await new Promise((r) => setTimeout(r, 50));
  };
  await waitNs(`${prefix}-${pvId}`);
  await waitNs(`${prefix}-${cvId}`);
  const target = `${prefix}-target`;
  const client = `${prefix}-client`;
  await vpcHost(target, `${prefix}-${pvId}`, '10.0.2.10/24', '10.0.2.1');
  await targetServers(target, '10.0.2.10');
  await vpcHost(client, `${prefix}-${cvId}`, '10.0.2.10/24', '10.0.2.1');

  const newEndpoint = async (): Promise<{ id: string; ip: string; eni: string }> => {
    const ep = await consumer.send(
      new CreateVpcEndpointCommand({
        VpcEndpointType: 'Interface',
        VpcId: cvId,
        ServiceName: serviceName,
        SubnetIds: [eniSubnetId],
        SecurityGroupIds: [sgId],
      }),
    );
    const eni = ep.VpcEndpoint?.NetworkInterfaceIds?.[0] ?? '';
    const d = await consumer.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [eni] }));
    return {
      id: ep.VpcEndpoint?.VpcEndpointId ?? '',
      ip: d.NetworkInterfaces?.[0]?.PrivateIpAddress ?? '',
      eni,
    };
  };

  // Accept → first byte, three fresh endpoints (namespace built while pendingAcceptance).
  const firstByte: number[] = [];
  const endpoints: { id: string; ip: string; eni: string }[] = [];
  for (let i = 0; i < 3; i++) {
    const ep = await newEndpoint();
    endpoints.push(ep);
    await waitNs(eniNamespace(prefix, ep.eni));
    await new Promise((r) => setTimeout(r, 300));
    // A prober already running inside the client namespace retries every 2 ms, so the figure is
    // the data plane's delay, not the cost of spawning a client after the accept.
    const probe = firstByteProber(client, ep.ip, 80);
    await probe.ready;
    const t0 = performance.timeOrigin + performance.now();
    await provider.send(
      new AcceptVpcEndpointConnectionsCommand({ ServiceId: serviceId, VpcEndpointIds: [ep.id] }),
    );
    const at = await probe.done.catch(async (e: unknown) => {
      if (process.env['BENCH_DP_HOLD_ON_FAIL']) {
        const ens = eniNamespace(prefix, ep.eni);
        const vns = `${prefix}-${cvId}`;
        for (const argv of [
          ['ip', '-n', ens, '-br', 'addr'],
          ['ip', '-n', ens, 'route'],
          ['ip', '-n', vns, 'neigh'],
          ['ip', '-n', vns, '-br', 'link'],
          ['ip', '-n', vns, '-br', 'addr'],
          ['ip', 'netns', 'exec', ens, 'nft', 'list', 'ruleset'],
          ['ip', 'netns', 'exec', ens, 'conntrack', '-L'],
        ]) {
          const o = await run(argv).catch((err: unknown) => ({ stdout: String(err) }));
          console.log(`$ ${argv.join(' ')}\n${o.stdout}`);
        }
        console.log(`FAILED; holding: endpoint ${ep.ip} ${ep.eni}`);
        await new Promise((r) => setTimeout(r, 120_000));
      }
      const st = await consumer.send(new DescribeVpcEndpointsCommand({ VpcEndpointIds: [ep.id] }));
      throw new Error(
        `${datapath}: endpoint never carried traffic (${String(e)}): ${st.VpcEndpoints?.[0]?.State}; ${JSON.stringify(p.health())}`,
      );
    });
    firstByte.push(at - t0);
  }
  const main = endpoints[0];
  if (!main) throw new Error('no endpoint');
  const eniNs = eniNamespace(prefix, main.eni);
  const nodeNs = (await listNamespaces(prefix)).filter(
    (n) => n.startsWith(`${prefix}-eni-`) && !endpoints.some((e) => n.endsWith(e.eni)),
  );

  const paths: [string, string][] = [[datapath, url(main.ip, 80)]];
  if (!QUICK) {
    paths.push([`${datapath} node PPv2`, url(main.ip, 81)]);
    // HAProxy as the userspace PPv2 peer on the Node agent's path: like the agent's proxy it
    // accepts inside the endpoint's namespace (`bind … namespace`) and connects out from the
    // fabric namespace, where the agent runs, to the same NLB node address and port. Once: it
    // is a reference for the agent, whatever the kernel path.
    if (sides.length === 0) {
      const nodeAddr = await nodeInternal(nodeNs[0] ?? '');
      const hcfg = await haproxyConfig(
        `peer-${prefix}`,
        `frontend f\n  mode tcp\n  bind ${main.ip}:9081 namespace ${eniNs}\n  default_backend b\nbackend b\n  mode tcp\n  server s ${nodeAddr}:81 send-proxy-v2\n`,
      );
      bg(fabricNamespace(prefix), ['haproxy', '-db', '-f', hcfg]);
      paths.push([`haproxy send-proxy-v2 (${datapath})`, url(main.ip, 9081)]);
    }
  }
  for (const [, u] of paths) await waitHttp(client, u);
  return {
    datapath,
    prefix,
    p,
    provider,
    consumer,
    serviceId,
    serviceName,
    client,
    main,
    eniNs,
    nodeNs,
    firstByte,
    paths,
  };
}

/** `xs` rotated left by n: each path takes each place in the order over the rounds. */
function rotate<T>(xs: readonly T[], n: number): T[] {
  const k = n % (xs.length || 1);
  return [...xs.slice(k), ...xs.slice(0, k)];
}

/**
 * One round: every path once per metric, the direct veth path among them, in an order rotated
 * by `round`; ratios are to the raw figure of the same round.
 */
async function measureRound(round: number, suffix: string): Promise<void> {
  const flushAll = () => flush(sides.flatMap((s) => [s.eniNs, ...s.nodeNs]));
  interface P {
    name: string;
    ns: string;
    url: string;
    iperfIp?: string;
  }
  const all: P[] = [{ name: 'raw', ns: RAW_C, url: url(RAW_IP, 8080), iperfIp: RAW_IP }];
  for (const s of sides) {
    for (const [name, u] of s.paths) {
      all.push({ name, ns: s.client, url: u, iperfIp: name === s.datapath ? s.main.ip : undefined });
    }
  }
  const order = rotate(all, round);
  const nan = { p50: NaN, p99: NaN };
  const got = new Map<string, Record<string, number>>();
  const put = (name: string, m: string, v: number) => got.set(name, { ...got.get(name), [m]: v });
  for (const streams of QUICK ? [1] : [1, 4]) {
    for (const x of order.filter((o) => o.iperfIp)) {
      await flushAll();
      put(
        x.name,
        `gbps${streams}`,
        await guarded(`${x.name} iperf3`, () => iperf(x.ns, x.iperfIp ?? '', streams), NaN),
      );
    }
  }
  for (const x of order) {
    await flushAll();
    put(x.name, 'cps', await guarded(`${x.name} conn/s`, () => connRate(x.ns, x.url), NaN));
  }
  for (const x of order) {
    const l = await guarded(`${x.name} latency`, () => latency(x.ns, x.url), nan);
    put(x.name, 'p50', l.p50);
    put(x.name, 'p99', l.p99);
  }
  const raw = got.get('raw') ?? {};
  for (const [name, vals] of got) {
    for (const [m, v] of Object.entries(vals)) {
      record(`${name}${suffix}`, m, v, name === 'raw' ? undefined : raw[m]);
    }
  }
}

async function bench(): Promise<void> {
  const hold = Number(process.env['BENCH_DP_HOLD'] ?? 0);
  if (hold) {
    for (const s of sides)
      console.log(`holding ${hold} s: ${s.datapath}: client ${s.client}, endpoint ${s.main.ip} (${s.eniNs})`);
    await new Promise((r) => setTimeout(r, hold * 1000));
  }
  console.log(
    `data paths: ${sides.map((s) => s.datapath).join(', ')}; rounds: ${ROUNDS}, ${SECONDS} s per measurement${QUICK ? ', quick' : ''}`,
  );
  for (let round = 0; round < ROUNDS; round++) await measureRound(round, '');
  const names = ['raw', ...sides.flatMap((s) => s.paths.map(([n]) => n))];
  printTable(names, 'one endpoint');
  printAims(
    sides.map((s) => s.datapath),
    'one endpoint',
  );
  for (const s of sides) {
    const fb = summarize(s.firstByte);
    console.log(
      `accept → first byte through a new endpoint (${s.datapath}): p50 ${fmt(fb.p50, 0)} ms, max ${fmt(Math.max(...s.firstByte), 0)} ms (n=${fb.n}, pendingMs=0)`,
    );
  }

  // Many endpoints: per-connection cost on the first endpoint must not grow.
  if (ENDPOINTS <= 3) return;
  for (const s of sides) await scale(s);
  const suffix = ` @${ENDPOINTS}`;
  for (let round = 0; round < ROUNDS; round++) await measureRound(round, suffix);
  printTable(
    names.map((n) => n + suffix),
    `with ${ENDPOINTS} endpoints live`,
  );
  printAims(
    sides.map((s) => s.datapath + suffix),
    `with ${ENDPOINTS} endpoints live`,
  );
}

/** Creates and accepts ENDPOINTS - 3 more endpoints of a side; waits until all carry traffic. */
async function scale(s: Side): Promise<void> {
  const t0 = performance.now();
  const ids: string[] = [];
  const todo = ENDPOINTS - 3;
  // AWS allows 50 interface endpoints per VPC: spread them over more consumer VPCs (same CIDR).
  for (let i = 0; i < todo; i += PER_VPC) {
    const v = await s.consumer.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
    const vId = v.Vpc?.VpcId ?? '';
    const sub = await s.consumer.send(
      new CreateSubnetCommand({ VpcId: vId, CidrBlock: '10.0.16.0/20', AvailabilityZone: `${REGION}a` }),
    );
    const subnetId = sub.Subnet?.SubnetId ?? '';
    for (let j = 0; j < Math.min(PER_VPC, todo - i); j += 10) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(10, PER_VPC - j, todo - i - j) }, () =>
          s.consumer.send(
            new CreateVpcEndpointCommand({
              VpcEndpointType: 'Interface',
              VpcId: vId,
              ServiceName: s.serviceName,
              SubnetIds: [subnetId],
            }),
          ),
        ),
      );
      ids.push(...batch.map((b) => b.VpcEndpoint?.VpcEndpointId ?? ''));
    }
  }
  for (let i = 0; i < ids.length; i += 500) {
    await s.provider.send(
      new AcceptVpcEndpointConnectionsCommand({
        ServiceId: s.serviceId,
        VpcEndpointIds: ids.slice(i, i + 500),
      }),
    );
  }
  // Done when the data plane carries traffic for all of them (not merely `available`).
  const carrying = () => {
    const h = s.p.health() as {
      components: { dataplane?: { reconcilers?: Record<string, { carrying?: number }> } };
    };
    return h.components.dataplane?.reconcilers?.['endpoint-interfaces']?.carrying ?? 0;
  };
  while (carrying() < ENDPOINTS) {
    if (performance.now() - t0 > 30 * 60_000)
      throw new Error(`${s.datapath}: only ${carrying()} endpoints carry traffic`);
    await new Promise((r) => setTimeout(r, 1000));
  }
  const built = (performance.now() - t0) / 1000;
  const nsCount = (await listNamespaces(s.prefix)).length;
  console.log(
    `\n${s.datapath}: ${ENDPOINTS} endpoints carrying traffic after ${fmt(built, 1)} s (${fmt((built * 1000) / todo, 0)} ms each; ${nsCount} namespaces)`,
  );
  const holdScale = Number(process.env['BENCH_DP_HOLD_SCALE'] ?? 0);
  if (holdScale) {
    console.log(`holding ${holdScale} s: client ${s.client}, endpoint ${s.main.ip} (${s.eniNs})`);
    await new Promise((r) => setTimeout(r, holdScale * 1000));
  }
}

const PROBER = `
const net = require('net');
const [host, port, limit] = [process.argv[1], Number(process.argv[2]), Number(process.argv[3])];
const started = Date.now();
let first = true;
const attempt = () => {
  if (Date.now() - started > limit) { console.log('timeout'); process.exit(1); }
  const s = net.connect({ host, port });
  let got = false;
  s.on('connect', () => s.write('GET / HTTP/1.0\\r\\n\\r\\n'));
  s.on('data', () => {
    if (got) return;
    got = true;
    console.log('byte ' + (performance.timeOrigin + performance.now()));
    process.exit(0);
  });
  s.on('error', () => undefined);
  s.on('close', () => {
    if (got) return;
    if (first) { first = false; console.log('ready'); }
    setTimeout(attempt, 2);
  });
};
attempt();
`;

/**
 * Starts a client inside `ns` that connects to ip:port every 2 ms until it receives a byte.
 * `ready` resolves after its first (refused) attempt; `done` with the epoch time (ms) of the byte.
 */
function firstByteProber(
  ns: string,
  ip: string,
  port: number,
): { ready: Promise<void>; done: Promise<number> } {
  const c = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', PROBER, ip, String(port), '10000'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  procs.push(c);
  let out = '';
  let onReady: () => void = () => undefined;
  const ready = new Promise<void>((r) => (onReady = r));
  const done = new Promise<number>((resolve, reject) => {
    c.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('ready')) onReady();
      const m = /byte ([\d.]+)/.exec(out);
      if (m) {
        onReady();
        resolve(Number(m[1]));
      }
    });
    c.on('exit', (code) => {
      onReady();
      reject(new Error(`prober exited with ${code}: ${out.trim()}`));
    });
  });
  return { ready, done };
}

async function nodeInternal(ns: string): Promise<string> {
  const r = await run(['ip', '-n', ns, '-j', '-4', 'addr', 'show', 'dev', 'f']);
  const j = JSON.parse(r.stdout) as { addr_info: { local: string }[] }[];
  const a = j[0]?.addr_info[0]?.local;
  if (!a) throw new Error(`no fabric address in ${ns}`);
  return a;
}

export { run_ as run };
