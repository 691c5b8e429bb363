/**
 * AWS services behind endpoints (root, real namespaces, the real data plane). One consumer VPC
 * with an sts interface endpoint (private DNS) and an S3 gateway endpoint (prefix-list route in
 * the main route table), one instance, s3rver as the S3 backend. Side by side in the same round:
 *   - sts GetCallerIdentity from inside the instance through the endpoint (HTTPS to
 *     sts.us-east-1.amazonaws.com: ENI → fabric agent → unix socket → PPv2 + TLS in the API
 *     process) vs the same call on the API's own port 127.0.0.1 from the host (plain HTTP):
 *     latency p50/p99 with one keep-alive connection, requests/s with CONC connections;
 *   - S3 GET of an OBJECT_MIB object from inside the instance through the gateway endpoint
 *     (HTTPS to s3.us-east-1.amazonaws.com, policy check, re-signed and forwarded by privlink)
 *     vs a presigned GET straight to s3rver on 127.0.0.1 from the host: MiB/s, 1 and 4 streams.
 * Both sides run the same small Node HTTP client (node -e, builtins only), timed inside itself,
 * so process start and exec overhead are outside the figures. Requests are signed once per
 * round: privlink's default (non-strict) auth reads the key ID and does not verify signatures,
 * and privlink re-signs S3 requests for the backend.
 *
 * Knobs (environment): BENCH_AWS_SECONDS (per measurement, default 3), BENCH_AWS_ROUNDS (default
 * and minimum 3), BENCH_AWS_CONC (default 16), BENCH_AWS_OBJECT_MIB (default 4). Namespace prefix
 * `bas`: never run two at once.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateSubnetCommand,
  CreateVpcCommand,
  CreateVpcEndpointCommand,
  DescribeInstancesCommand,
  DescribeRouteTablesCommand,
  DescribeVpcEndpointsCommand,
  EC2Client,
  ModifyVpcAttributeCommand,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import { SignatureV4 } from '@smithy/signature-v4';
import { Sha256 } from '@aws-crypto/sha256-js';
import { Privlink } from '../src/emulator.js';
import { createComponents, createDataplane } from '../src/components.js';
import { probeNetns } from '../src/dataplane/netns/run.js';
import { CA_BUNDLE_PATH } from '../src/dataplane/instances/sandbox-spec.js';
import { startS3Backend } from '../src/demo/s3-backend.js';
import { MIN_ROUNDS, fmt, median } from './stats.js';

const PREFIX = 'bas';
const CONSUMER = '222222222222';
const REGION = 'us-east-1';
const BUCKET = 'bench-bucket';
const KEY = 'object.bin';
const SECONDS = Number(process.env['BENCH_AWS_SECONDS'] ?? 3);
const ROUNDS = Math.max(MIN_ROUNDS, Number(process.env['BENCH_AWS_ROUNDS'] ?? MIN_ROUNDS));
const CONC = Number(process.env['BENCH_AWS_CONC'] ?? 16);
const OBJECT_MIB = Number(process.env['BENCH_AWS_OBJECT_MIB'] ?? 4);
const STS_BODY = 'Action=GetCallerIdentity&Version=2011-06-15';

/** The load client: runs CONC keep-alive workers for SECONDS, prints one JSON line. */
const CLIENT = `
const c = JSON.parse(process.env.BENCH_REQ);
const mod = await import(c.url.startsWith('https:') ? 'node:https' : 'node:http');
const agent = new mod.Agent({ keepAlive: true, maxSockets: c.conc });
const lat = []; let bytes = 0; let err = '';
const one = () => new Promise((resolve, reject) => {
  const t0 = performance.now();
  const req = mod.request(c.url, { method: c.method, headers: c.headers, agent }, (res) => {
    let n = 0;
    res.on('data', (d) => (n += d.length));
    res.on('end', () => {
      if (res.statusCode !== 200) return reject(new Error('HTTP ' + res.statusCode));
      bytes += n; lat.push(performance.now() - t0); resolve();
    });
    res.on('error', reject);
  });
  req.on('error', reject);
  req.end(c.body ?? undefined);
});
await one();
lat.length = 0; bytes = 0;
const start = performance.now(); const end = start + c.seconds * 1000;
await Promise.all(Array.from({ length: c.conc }, async () => {
  while (!err && performance.now() < end) await one().catch((e) => (err = String(e)));
}));
const secs = (performance.now() - start) / 1000;
lat.sort((a, b) => a - b);
const pct = (p) => lat[Math.min(lat.length - 1, Math.max(0, Math.ceil((p / 100) * lat.length) - 1))];
console.log(JSON.stringify({ n: lat.length, rps: lat.length / secs, mibps: bytes / secs / 1048576, p50: pct(50), p99: pct(99), err }));
agent.destroy();
`;

interface Req {
  url: string;
  method: string;
  headers: Record<string, string>;
  body?: string;
  conc: number;
  seconds: number;
}
interface Result {
  n: number;
  rps: number;
  mibps: number;
  p50: number;
  p99: number;
  err: string;
}

function parse(stdout: string, where: string): Result {
  const line = stdout.trim().split('\n').pop() ?? '';
  const r = JSON.parse(line) as Result;
  if (r.err) throw new Error(`${where}: ${r.err}`);
  return r;
}

function onHost(req: Req): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      process.execPath,
      ['--input-type=module', '-e', CLIENT],
      { env: { ...process.env, BENCH_REQ: JSON.stringify(req) }, timeout: (req.seconds + 30) * 1000 },
      (e, stdout, stderr) => {
        if (e) return reject(new Error(`host client: ${stderr || String(e)}`));
        try {
          resolve(parse(stdout, 'host'));
        } catch (x) {
          reject(x as Error);
        }
      },
    );
    void child;
  });
}

async function inInstance(p: Privlink, id: string, req: Req): Promise<Result> {
  const r = await p.execInInstance(
    id,
    [
      'env',
      `NODE_EXTRA_CA_CERTS=${CA_BUNDLE_PATH}`,
      `BENCH_REQ=${JSON.stringify(req)}`,
      process.execPath,
      '--input-type=module',
      '-e',
      CLIENT,
    ],
    (req.seconds + 30) * 1000,
  );
  if (r.code !== 0) throw new Error(`instance client exited ${r.code}: ${r.stderr.slice(0, 300)}`);
  return parse(r.stdout, 'instance');
}

async function signed(
  service: string,
  url: string,
  method: string,
  body: string | undefined,
  creds: { accessKeyId: string; secretAccessKey: string },
  headers: Record<string, string> = {},
): Promise<Record<string, string>> {
  const u = new URL(url);
  const signer = new SignatureV4({ service, region: REGION, credentials: creds, sha256: Sha256 });
  const req = await signer.sign({
    method,
    protocol: u.protocol,
    hostname: u.hostname,
    ...(u.port && { port: Number(u.port) }),
    path: u.pathname,
    query: {},
    headers: { host: u.host, ...headers },
    ...(body !== undefined && { body }),
  });
  return req.headers;
}

async function presigned(url: string): Promise<string> {
  const u = new URL(url);
  const signer = new SignatureV4({
    service: 's3',
    region: REGION,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    sha256: Sha256,
  });
  const r = await signer.presign(
    {
      method: 'GET',
      protocol: u.protocol,
      hostname: u.hostname,
      port: Number(u.port),
      path: u.pathname,
      query: {},
      headers: { host: u.host },
    },
    { expiresIn: 3600 },
  );
  const q = new URLSearchParams(r.query as Record<string, string>).toString();
  return `${u.origin}${u.pathname}?${q}`;
}

function sh(argv: string[], env: Record<string, string>): Promise<void> {
  return new Promise((resolve, reject) => {
    const c = spawn(argv[0] ?? '', argv.slice(1), { env: { ...process.env, ...env }, stdio: 'pipe' });
    let err = '';
    c.stderr.on('data', (d: Buffer) => (err += d.toString()));
    c.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${argv.join(' ')}: ${err}`))));
  });
}

async function until<T>(
  what: string,
  read: () => Promise<T>,
  ok: (v: T) => boolean,
  ms = 30_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await read().catch(() => undefined);
    if (v !== undefined && ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export async function run(): Promise<void> {
  const probe = await probeNetns();
  if (!probe.ok) {
    console.log(`skipped: ${probe.reason}`);
    return;
  }
  const work = await mkdtemp(join(tmpdir(), 'privlink-bench-aws-'));
  const s3 = await startS3Backend([BUCKET]);
  const p = new Privlink(
    {
      port: 0,
      ephemeral: true,
      logLevel: 'error',
      dataplane: 'netns',
      netnsPrefix: PREFIX,
      dnsPort: -1,
      pendingMs: 50,
      awsServices: { s3: s3.url },
    },
    { dataplane: createDataplane, components: createComponents },
  );
  await p.start();
  try {
    const ec2 = new EC2Client({
      endpoint: p.url,
      region: REGION,
      credentials: { accessKeyId: CONSUMER, secretAccessKey: 'x' },
    });
    const vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }))).Vpc?.VpcId ?? '';
    await ec2.send(new ModifyVpcAttributeCommand({ VpcId: vpcId, EnableDnsHostnames: { Value: true } }));
    const subnetId =
      (
        await ec2.send(
          new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.0.1.0/24', AvailabilityZone: 'us-east-1a' }),
        )
      ).Subnet?.SubnetId ?? '';
    const main =
      (
        await ec2.send(new DescribeRouteTablesCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] }))
      ).RouteTables?.find((t) => t.Associations?.some((a) => a.Main))?.RouteTableId ?? '';
    const eps: string[] = [];
    for (const [svc, type] of [
      ['sts', 'Interface'],
      ['s3', 'Gateway'],
    ] as const) {
      const r = await ec2.send(
        new CreateVpcEndpointCommand({
          VpcId: vpcId,
          ServiceName: `com.amazonaws.${REGION}.${svc}`,
          VpcEndpointType: type,
          ...(type === 'Interface'
            ? { SubnetIds: [subnetId], PrivateDnsEnabled: true }
            : { RouteTableIds: [main] }),
        }),
      );
      eps.push(r.VpcEndpoint?.VpcEndpointId ?? '');
    }
    const inst =
      (
        await ec2.send(
          new RunInstancesCommand({
            ImageId: 'ami-12345678',
            InstanceType: 't3.micro',
            MinCount: 1,
            MaxCount: 1,
            SubnetId: subnetId,
          }),
        )
      ).Instances?.[0]?.InstanceId ?? '';
    await until(
      'endpoints available',
      () => ec2.send(new DescribeVpcEndpointsCommand({ VpcEndpointIds: eps })),
      (d) => (d.VpcEndpoints ?? []).every((e) => String(e.State) === 'available'),
    );
    await until(
      'instance running',
      () => ec2.send(new DescribeInstancesCommand({ InstanceIds: [inst] })),
      (d) => d.Reservations?.[0]?.Instances?.[0]?.State?.Name === 'running',
    );

    // The object goes straight into s3rver from the host (loopback only).
    const file = join(work, KEY);
    await writeFile(file, Buffer.alloc(OBJECT_MIB * 1048576, 7));
    await sh(
      [
        'aws',
        '--endpoint-url',
        `http://127.0.0.1:${s3.port}`,
        's3',
        'cp',
        '--no-progress',
        file,
        `s3://${BUCKET}/${KEY}`,
      ],
      {
        AWS_ACCESS_KEY_ID: 'S3RVER',
        AWS_SECRET_ACCESS_KEY: 'S3RVER',
        AWS_DEFAULT_REGION: REGION,
        AWS_REQUEST_CHECKSUM_CALCULATION: 'when_required',
      },
    );

    const consumer = { accessKeyId: CONSUMER, secretAccessKey: 'x' };
    const stsForm = { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' };
    const viaEp = `https://sts.${REGION}.amazonaws.com/`;
    const s3Ep = `https://s3.${REGION}.amazonaws.com/${BUCKET}/${KEY}`;
    // The path must work before it is timed (private DNS and the agents settle after boot).
    await until(
      'sts through the endpoint',
      async () =>
        inInstance(p, inst, {
          url: viaEp,
          method: 'POST',
          body: STS_BODY,
          headers: await signed('sts', viaEp, 'POST', STS_BODY, consumer, stsForm),
          conc: 1,
          seconds: 0.2,
        }),
      (r) => r.n > 0,
    );

    const api = { ep1: [] as Result[], host1: [] as Result[], epN: [] as Result[], hostN: [] as Result[] };
    const s3r = { ep1: [] as Result[], host1: [] as Result[], ep4: [] as Result[], host4: [] as Result[] };
    for (let round = 0; round < ROUNDS; round++) {
      const epH = await signed('sts', viaEp, 'POST', STS_BODY, consumer, stsForm);
      const hostH = await signed('sts', `${p.url}/`, 'POST', STS_BODY, consumer, stsForm);
      const stsReq = (url: string, headers: Record<string, string>, conc: number): Req => ({
        url,
        method: 'POST',
        body: STS_BODY,
        headers,
        conc,
        seconds: SECONDS,
      });
      const guard = async (into: Result[], what: string, fn: () => Promise<Result>) => {
        try {
          into.push(await fn());
        } catch (e) {
          console.log(
            `  FAILED ${what}, round ${round + 1}: ${String(e).split('\n')[0]?.slice(0, 200) ?? ''}`,
          );
        }
      };
      await guard(api.ep1, 'sts via endpoint c=1', () => inInstance(p, inst, stsReq(viaEp, epH, 1)));
      await guard(api.host1, 'sts on 127.0.0.1 c=1', () => onHost(stsReq(`${p.url}/`, hostH, 1)));
      await guard(api.epN, `sts via endpoint c=${CONC}`, () => inInstance(p, inst, stsReq(viaEp, epH, CONC)));
      await guard(api.hostN, `sts on 127.0.0.1 c=${CONC}`, () => onHost(stsReq(`${p.url}/`, hostH, CONC)));

      const s3H = await signed('s3', s3Ep, 'GET', undefined, consumer, {
        'x-amz-content-sha256': 'UNSIGNED-PAYLOAD',
      });
      const direct = await presigned(`http://127.0.0.1:${s3.port}/${BUCKET}/${KEY}`);
      const get = (url: string, headers: Record<string, string>, conc: number): Req => ({
        url,
        method: 'GET',
        headers,
        conc,
        seconds: SECONDS,
      });
      await guard(s3r.ep1, 'S3 GET via gateway, 1 stream', () => inInstance(p, inst, get(s3Ep, s3H, 1)));
      await guard(s3r.host1, 'S3 GET direct, 1 stream', () => onHost(get(direct, {}, 1)));
      await guard(s3r.ep4, 'S3 GET via gateway, 4 streams', () => inInstance(p, inst, get(s3Ep, s3H, 4)));
      await guard(s3r.host4, 'S3 GET direct, 4 streams', () => onHost(get(direct, {}, 4)));
    }

    const m = (rs: Result[], k: keyof Omit<Result, 'err'>) => median(rs.map((r) => r[k]));
    const row = (label: string, a: number, b: number, unit: string, digits = 2) =>
      console.log(
        `  ${label.padEnd(44)} ${fmt(a, digits).padStart(9)} ${fmt(b, digits).padStart(11)} ${unit.padEnd(6)} ${fmt(a / b).padStart(7)}`,
      );
    console.log(
      `\n  medians of ${ROUNDS} rounds, ${SECONDS} s each; sts GetCallerIdentity; S3 object ${OBJECT_MIB} MiB`,
    );
    console.log(
      `  ${''.padEnd(44)} ${'endpoint'.padStart(9)} ${'127.0.0.1'.padStart(11)} ${''.padEnd(6)} ${'ratio'.padStart(7)}`,
    );
    row('API latency p50, 1 connection', m(api.ep1, 'p50'), m(api.host1, 'p50'), 'ms', 3);
    row('API latency p99, 1 connection', m(api.ep1, 'p99'), m(api.host1, 'p99'), 'ms', 3);
    row('API requests/s, 1 connection', m(api.ep1, 'rps'), m(api.host1, 'rps'), 'req/s', 0);
    row(`API requests/s, ${CONC} connections`, m(api.epN, 'rps'), m(api.hostN, 'rps'), 'req/s', 0);
    row(`API latency p50, ${CONC} connections`, m(api.epN, 'p50'), m(api.hostN, 'p50'), 'ms', 3);
    row(`API latency p99, ${CONC} connections`, m(api.epN, 'p99'), m(api.hostN, 'p99'), 'ms', 3);
    console.log(
      `  added latency through the endpoint: p50 ${fmt(m(api.ep1, 'p50') - m(api.host1, 'p50'), 3)} ms, p99 ${fmt(m(api.ep1, 'p99') - m(api.host1, 'p99'), 3)} ms (1 connection)`,
    );
    console.log(`  ${''.padEnd(44)} ${'gateway'.padStart(9)} ${'direct'.padStart(11)}`);
    row('S3 GET throughput, 1 stream', m(s3r.ep1, 'mibps'), m(s3r.host1, 'mibps'), 'MiB/s', 1);
    row('S3 GET throughput, 4 streams', m(s3r.ep4, 'mibps'), m(s3r.host4, 'mibps'), 'MiB/s', 1);
    row('S3 GET latency p50, 1 stream', m(s3r.ep1, 'p50'), m(s3r.host1, 'p50'), 'ms', 1);
  } finally {
    await p.close();
    await s3.close();
    await rm(work, { recursive: true, force: true });
  }
}
