/**
 * Control-plane benchmark: CreateVpcEndpoint, DescribeVpcEndpoints by ID and with filters, with
 * 10,000 endpoints stored. The server runs in its own process (as `privlink serve` would); the
 * client is the real AWS SDK. Baseline measured in the same run: DescribeAvailabilityZones, a
 * call that does no store work, so the ratios show what the endpoint logic itself costs.
 * Targets (issue 2): DescribeVpcEndpoints by ID p99 < 2 ms with 10,000 stored; > 1,000 req/s.
 *
 * Signed requests: the same store is then served again with `--credentials` (strict mode: every
 * request's SigV4 signature verified), and the by-ID figures are measured once more with
 * requests signed per call, the cost a real client and server pay.
 */
import { spawn } from 'node:child_process';
import { Agent, request } from 'node:http';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { fileURLToPath } from 'node:url';
import {
  CreateSubnetCommand,
  CreateVpcCommand,
  CreateVpcEndpointCommand,
  CreateVpcEndpointServiceConfigurationCommand,
  DescribeAvailabilityZonesCommand,
  DescribeVpcEndpointsCommand,
  EC2Client,
  ModifyVpcEndpointServicePermissionsCommand,
} from '@aws-sdk/client-ec2';
import {
  CreateLoadBalancerCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { fmt, summarize } from './stats.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const PROVIDER = '111111111111';
const CONSUMER = '222222222222';
const TOTAL = Number(process.env['BENCH_ENDPOINTS'] ?? 10_000);
const PER_VPC = 50;
const CONCURRENCY = 16;

/** Keys of strict mode (the same accounts as the unsigned run). */
const KEYS: Record<string, { accessKeyId: string; secretAccessKey: string }> = {
  [PROVIDER]: { accessKeyId: 'AKIABENCHPROVIDER001', secretAccessKey: 'bench-provider-secret' },
  [CONSUMER]: { accessKeyId: 'AKIABENCHCONSUMER001', secretAccessKey: 'bench-consumer-secret' },
};

async function startServer(
  dataDir: string,
  extra: string[] = [],
): Promise<{ url: string; stop: () => Promise<void> }> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(ROOT, 'src/cli/main.ts'),
      'serve',
      '--data-dir',
      dataDir,
      ...extra,
      '--port',
      '0',
      '--dataplane',
      'off',
      '--dns-port',
      'off',
      '--log-level',
      'warn',
      '--pending-ms',
      '0',
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let buf = '';
  const url = await new Promise<string>((res, rej) => {
    child.stdout?.on('data', (d: Buffer) => {
      buf += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(buf);
      if (m?.[1]) res(m[1]);
    });
    child.once('exit', (c) => rej(new Error(`server exited ${c}`)));
  });
  return {
    url,
    stop: async () => {
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

function client(url: string, account: string, signed = false): EC2Client {
  return new EC2Client({
    endpoint: url,
    region: 'us-east-1',
    credentials: signed
      ? (KEYS[account] ?? { accessKeyId: account, secretAccessKey: 'x' })
      : { accessKeyId: account, secretAccessKey: 'x' },
    maxAttempts: 1,
  });
}

/** Runs fn n times with `concurrency` in flight; returns per-call latencies and the rate. */
async function measure(n: number, concurrency: number, fn: (i: number) => Promise<unknown>) {
  const lat: number[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (;;) {
        const i = next++;
        if (i >= n) return;
        const s = performance.now();
        await fn(i);
        lat.push(performance.now() - s);
      }
    }),
  );
  const secs = (performance.now() - t0) / 1000;
  return { ...summarize(lat), rps: n / secs };
}

const agent = new Agent({ keepAlive: true, maxSockets: 64 });

/**
 * A minimal keep-alive HTTP client (no SDK): isolates the server's latency from the SDK's own
 * signing and XML parsing. Unsigned, as privlink does not verify signatures by default; the
 * Authorization header only carries the account in its credential scope.
 */
function rawCall(url: string, account: string, body: string): Promise<number> {
  return post(url, body, {
    'content-type': 'application/x-www-form-urlencoded',
    authorization: `AWS4-HMAC-SHA256 Credential=${account}/20260101/us-east-1/ec2/aws4_request, SignedHeaders=host, Signature=00`,
  });
}

function post(url: string, body: string, headers: Record<string, string>): Promise<number> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: u.hostname, port: u.port, method: 'POST', path: '/', agent, headers },
      (res) => {
        res.resume();
        res.on('end', () =>
          res.statusCode === 200 ? resolve(200) : reject(new Error(`HTTP ${res.statusCode ?? 0}`)),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** The raw keep-alive client again, each request SigV4-signed on the spot (strict mode verifies it). */
function signedRawCall(url: string, account: string, body: string): Promise<number> {
  const u = new URL(url);
  const key = KEYS[account];
  if (!key) throw new Error(`no key for ${account}`);
  const signer = new SignatureV4({ credentials: key, region: 'us-east-1', service: 'ec2', sha256: Sha256 });
  return signer
    .sign({
      method: 'POST',
      protocol: 'http:',
      hostname: u.hostname,
      port: Number(u.port),
      path: '/',
      headers: { host: u.host, 'content-type': 'application/x-www-form-urlencoded' },
      body,
    })
    .then((signed) => post(url, body, signed.headers));
}

function line(
  name: string,
  r: { p50: number; p99: number; rps: number },
  base?: { p50: number; rps: number },
) {
  const ratio = base ? `  (p50 ×${fmt(r.p50 / base.p50)} of baseline, rate ×${fmt(r.rps / base.rps)})` : '';
  console.log(
    `${name.padEnd(44)} p50 ${fmt(r.p50)} ms  p99 ${fmt(r.p99)} ms  ${fmt(r.rps, 0)} req/s${ratio}`,
  );
}

export async function run(): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), 'privlink-api-bench-'));
  let server = await startServer(dataDir);
  try {
    const prov = client(server.url, PROVIDER);
    const cons = client(server.url, CONSUMER);
    const elb = new ElasticLoadBalancingV2Client({
      endpoint: server.url,
      region: 'us-east-1',
      credentials: { accessKeyId: PROVIDER, secretAccessKey: 'x' },
      maxAttempts: 1,
    });
    const pv = await prov.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
    const ps = await prov.send(
      new CreateSubnetCommand({
        VpcId: pv.Vpc?.VpcId,
        CidrBlock: '10.0.1.0/24',
        AvailabilityZone: 'us-east-1a',
      }),
    );
    const lb = await elb.send(
      new CreateLoadBalancerCommand({
        Name: 'bench',
        Type: 'network',
        Scheme: 'internal',
        Subnets: [ps.Subnet?.SubnetId ?? ''],
      }),
    );
    const svc = await prov.send(
      new CreateVpcEndpointServiceConfigurationCommand({
        AcceptanceRequired: false,
        NetworkLoadBalancerArns: [lb.LoadBalancers?.[0]?.LoadBalancerArn ?? ''],
      }),
    );
    const serviceName = svc.ServiceConfiguration?.ServiceName ?? '';
    await prov.send(
      new ModifyVpcEndpointServicePermissionsCommand({
        ServiceId: svc.ServiceConfiguration?.ServiceId,
        AddAllowedPrincipals: ['*'],
      }),
    );

    const vpcCount = Math.ceil(TOTAL / PER_VPC);
    const subnets: { vpcId: string; subnetId: string }[] = [];
    for (let i = 0; i < vpcCount; i++) {
      const v = await cons.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
      const s = await cons.send(
        new CreateSubnetCommand({
          VpcId: v.Vpc?.VpcId,
          CidrBlock: '10.0.0.0/20',
          AvailabilityZone: 'us-east-1a',
        }),
      );
      subnets.push({ vpcId: v.Vpc?.VpcId ?? '', subnetId: s.Subnet?.SubnetId ?? '' });
    }
    const base = await measure(2000, CONCURRENCY, () => cons.send(new DescribeAvailabilityZonesCommand({})));
    line('baseline DescribeAvailabilityZones', base);
    const ids: string[] = [];
    const create = await measure(TOTAL, CONCURRENCY, async (i) => {
      const s = subnets[i % vpcCount];
      const out = await cons.send(
        new CreateVpcEndpointCommand({
          VpcEndpointType: 'Interface',
          VpcId: s?.vpcId,
          ServiceName: serviceName,
          SubnetIds: [s?.subnetId ?? ''],
        }),
      );
      ids.push(out.VpcEndpoint?.VpcEndpointId ?? '');
    });
    line(`CreateVpcEndpoint (${TOTAL} total)`, create, base);
    const byId = await measure(5000, CONCURRENCY, (i) =>
      cons.send(new DescribeVpcEndpointsCommand({ VpcEndpointIds: [ids[(i * 7919) % ids.length] ?? ''] })),
    );
    line(`DescribeVpcEndpoints by ID (${ids.length} stored)`, byId, base);
    const byIdSerial = await measure(2000, 1, (i) =>
      cons.send(new DescribeVpcEndpointsCommand({ VpcEndpointIds: [ids[(i * 7919) % ids.length] ?? ''] })),
    );
    line('DescribeVpcEndpoints by ID, one at a time', byIdSerial, base);
    const rawById = await measure(5000, 1, (i) =>
      rawCall(
        server.url,
        CONSUMER,
        `Action=DescribeVpcEndpoints&Version=2016-11-15&VpcEndpointId.1=${ids[(i * 7919) % ids.length] ?? ''}`,
      ),
    );
    line('DescribeVpcEndpoints by ID, raw HTTP, serial', rawById, base);
    const rawByIdConc = await measure(20000, CONCURRENCY, (i) =>
      rawCall(
        server.url,
        CONSUMER,
        `Action=DescribeVpcEndpoints&Version=2016-11-15&VpcEndpointId.1=${ids[(i * 7919) % ids.length] ?? ''}`,
      ),
    );
    line(`DescribeVpcEndpoints by ID, raw HTTP, ${CONCURRENCY} in flight`, rawByIdConc, base);
    const filtered = await measure(1000, CONCURRENCY, (i) =>
      cons.send(
        new DescribeVpcEndpointsCommand({
          Filters: [
            { Name: 'vpc-id', Values: [subnets[i % vpcCount]?.vpcId ?? ''] },
            { Name: 'vpc-endpoint-state', Values: ['available', 'pending'] },
          ],
        }),
      ),
    );
    line('DescribeVpcEndpoints filter vpc-id+state (50 hits)', filtered, base);
    console.log(
      `targets: by-ID p99 < 2 ms → ${rawById.p99 < 2 ? 'met' : 'NOT met'} (raw HTTP serial p99 ${fmt(rawById.p99)} ms; through the SDK ${fmt(byIdSerial.p99)} ms); ` +
        `> 1000 req/s → ${rawByIdConc.rps > 1000 ? 'met' : 'NOT met'} (raw ${fmt(rawByIdConc.rps, 0)} req/s; SDK ${fmt(byId.rps, 0)} req/s)`,
    );

    // The same store in strict mode: every request signed by the client and verified by the server.
    await server.stop();
    const credFile = join(dataDir, 'credentials.json');
    await writeFile(
      credFile,
      JSON.stringify(
        Object.fromEntries(
          Object.entries(KEYS).map(([accountId, k]) => [
            k.accessKeyId,
            { secretAccessKey: k.secretAccessKey, accountId },
          ]),
        ),
      ),
    );
    server = await startServer(dataDir, ['--credentials', credFile]);
    const signedCons = client(server.url, CONSUMER, true);
    const signedBase = await measure(2000, CONCURRENCY, () =>
      signedCons.send(new DescribeAvailabilityZonesCommand({})),
    );
    line('signed: baseline DescribeAvailabilityZones', signedBase, base);
    const byIdBody = (i: number) =>
      `Action=DescribeVpcEndpoints&Version=2016-11-15&VpcEndpointId.1=${ids[(i * 7919) % ids.length] ?? ''}`;
    const signedSerial = await measure(2000, 1, (i) => signedRawCall(server.url, CONSUMER, byIdBody(i)));
    line('signed: by ID, raw HTTP, serial', signedSerial, rawById);
    const signedConc = await measure(10000, CONCURRENCY, (i) =>
      signedRawCall(server.url, CONSUMER, byIdBody(i)),
    );
    line(`signed: by ID, raw HTTP, ${CONCURRENCY} in flight`, signedConc, rawByIdConc);
    const signedSdk = await measure(2000, 1, (i) =>
      signedCons.send(
        new DescribeVpcEndpointsCommand({ VpcEndpointIds: [ids[(i * 7919) % ids.length] ?? ''] }),
      ),
    );
    line('signed: by ID through the SDK, serial', signedSdk, byIdSerial);
    console.log('(signed rows: ratios are to the same unsigned row above)');
  } finally {
    await server.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}
