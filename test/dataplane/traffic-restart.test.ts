/**
 * Interface endpoint traffic survives restarts, driven only through the AWS SDK clients against
 * a file data dir: provider and consumer VPCs (both 10.0.0.0/16), two provider instances whose
 * user data serves HTTP behind an NLB (instance targets), an accepted interface endpoint and a
 * consumer instance that curls the endpoint ENI.
 *
 * 1. In-process Privlink: the request reaches a target.
 * 2. Clean restart (close, new Privlink on the same dir): nothing with the prefix survives the
 *    close; afterwards the same ENI IP answers again, targets get back to healthy, the endpoint
 *    is still available.
 * 3. `kill -9` of a `privlink serve` subprocess: namespaces and user-data processes are left
 *    behind; the next `serve` sweeps them (the old processes are dead, each namespace holds only
 *    what this run started) and traffic works again; SIGTERM then leaves no namespace and no
 *    process of either run (fabric agent, user data) behind.
 */
import { test } from 'node:test';
import { agentWorkers } from '../../src/dataplane/agent/agent-client.js';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DescribeNetworkInterfacesCommand,
  DescribeVpcEndpointsCommand,
  EC2Client,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import {
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { createComponents, createDataplane } from '../../src/components.js';
import { deleteNamespace, run } from '../../src/dataplane/netns/run.js';
import { CONSUMER, PROVIDER, REGION, eventually, startPrivlink } from '../helpers/privlink.js';
import { prefixedNamespaces, publishService } from './traffic-helpers.js';
import {
  FAST_HEALTH_CHECKS,
  acceptEndpoints,
  interfaceEndpoint,
  networkLoadBalancer,
  vpcWithSubnets,
} from './privatelink-builders.js';
import { netnsSkip } from '../helpers/netns.js';

const PREFIX = 'trs';
const AMI = 'ami-0123456789abcdef0';
const skip = await netnsSkip('traffic restart tests');

const root = new URL('../..', import.meta.url).pathname;
/** Marks `serve` subprocesses (and what inherits their environment, like the fabric agent). */
const MARK = `PRIVLINK_TRS_MARK=${randomBytes(6).toString('hex')}`;

const namespaces = () => prefixedNamespaces(PREFIX);

async function nsPids(ns: string): Promise<number[]> {
  const { stdout } = await run(['ip', 'netns', 'pids', ns]);
  return stdout
    .split(/\s+/)
    .filter((p) => /^\d+$/.test(p))
    .map(Number);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Live processes whose environment holds one of the markers (zombies excluded). */
async function markedProcesses(markers: string[]): Promise<number[]> {
  const found: number[] = [];
  for (const d of await readdir('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const env = await readFile(`/proc/${d}/environ`, 'utf8').catch(() => '');
    if (!env) continue;
    const vars = env.split('\0');
    if (!markers.some((m) => vars.includes(m))) continue;
    const stat = await readFile(`/proc/${d}/stat`, 'utf8').catch(() => '');
    if (/^\d+ \(.*\) Z /.test(stat)) continue;
    found.push(Number(d));
  }
  return found;
}

function clients(endpoint: string) {
  const cfg = (account: string) => ({
    endpoint,
    region: REGION,
    credentials: { accessKeyId: account, secretAccessKey: 'test-secret' },
    maxAttempts: 1,
  });
  return {
    provider: new EC2Client(cfg(PROVIDER)),
    consumer: new EC2Client(cfg(CONSUMER)),
    elb: new ElasticLoadBalancingV2Client(cfg(PROVIDER)),
  };
}

function serverScript(tag: string): string {
  const js = `require('http').createServer((q,r)=>r.end('${tag} '+process.env.PRIVLINK_INSTANCE_ID)).listen(8080)`;
  return Buffer.from(`#!/bin/sh\nexec ${process.execPath} -e "${js}"\n`).toString('base64');
}

/** curl from inside the consumer instance namespace; '' when the request fails. */
async function curlIn(instanceId: string, url: string): Promise<string> {
  try {
    const argv = ['ip', 'netns', 'exec', `${PREFIX}-${instanceId}`, 'curl', '-s', '-m', '1', url];
    return (await run(argv, undefined, 5000)).stdout;
  } catch {
    return '';
  }
}

interface World {
  eniIp: string;
  epId: string;
  tgArn: string;
  targets: string[];
  client: string;
}

async function build(c: ReturnType<typeof clients>): Promise<World> {
  const { provider, consumer, elb } = c;
  const launch = async (ec2: EC2Client, subnetId: string, ip: string, userData?: string) =>
    (
      await ec2.send(
        new RunInstancesCommand({
          ImageId: AMI,
          MinCount: 1,
          MaxCount: 1,
          SubnetId: subnetId,
          PrivateIpAddress: ip,
          UserData: userData,
        }),
      )
    ).Instances?.[0]?.InstanceId ?? '';

  const pv = await vpcWithSubnets(provider, '10.0.0.0/16', ['10.0.1.0/24', '10.0.2.0/24']);
  const [lbSubnet, hostSubnet] = pv.subnets;
  const targets = [
    await launch(provider, hostSubnet, '10.0.2.10', serverScript('T1')),
    await launch(provider, hostSubnet, '10.0.2.11', serverScript('T2')),
  ];
  const { lbArn, tgArn } = await networkLoadBalancer(elb, {
    name: 'rs',
    vpcId: pv.vpcId,
    subnetId: lbSubnet,
    targets,
    targetType: 'instance',
    healthCheck: FAST_HEALTH_CHECKS,
  });
  const { serviceId, serviceName } = await publishService(provider, lbArn, CONSUMER);

  const cv = await vpcWithSubnets(consumer, '10.0.0.0/16', ['10.0.1.0/24']);
  const client = await launch(consumer, cv.subnets[0], '10.0.1.10');
  const { epId, eniIp } = await interfaceEndpoint(consumer, {
    vpcId: cv.vpcId,
    subnetId: cv.subnets[0],
    serviceName,
    allow: { port: 80, cidr: '10.0.0.0/16' },
  });
  await acceptEndpoints(provider, serviceId, [epId]);
  return { eniIp, epId, tgArn, targets, client };
}

async function eniIpOf(consumer: EC2Client, epId: string): Promise<string> {
  const ep = await consumer.send(new DescribeVpcEndpointsCommand({ VpcEndpointIds: [epId] }));
  const enis = await consumer.send(
    new DescribeNetworkInterfacesCommand({
      NetworkInterfaceIds: ep.VpcEndpoints?.[0]?.NetworkInterfaceIds ?? [],
    }),
  );
  return enis.NetworkInterfaces?.[0]?.PrivateIpAddress ?? '';
}

async function endpointState(consumer: EC2Client, epId: string): Promise<string> {
  const out = await consumer.send(new DescribeVpcEndpointsCommand({ VpcEndpointIds: [epId] }));
  return out.VpcEndpoints?.[0]?.State ?? 'missing';
}

async function allHealthy(elb: ElasticLoadBalancingV2Client, tgArn: string): Promise<void> {
  await eventually(
    async () =>
      (await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: tgArn }))).TargetHealthDescriptions ??
      [],
    (d) => d.length === 2 && d.every((x) => x.TargetHealth?.State === 'healthy'),
    { timeoutMs: 15_000, intervalMs: 200 },
  );
}

/** Polls the endpoint from the consumer instance until a target answers; returns the body. */
async function reaches(w: World, via: (argv: string[]) => Promise<string>): Promise<string> {
  const body = await eventually(
    () => via(['curl', '-s', '-m', '1', `http://${w.eniIp}/`]),
    (s) => /^T[12] i-/.test(s),
    { timeoutMs: 15_000, intervalMs: 100 },
  );
  assert.ok(
    w.targets.some((id) => body.endsWith(id)),
    `answer from an unknown target: ${body}`,
  );
  return body;
}

interface Serve {
  child: ChildProcess;
  url: string;
  exited: Promise<number | string>;
}

function startServe(dir: string): Promise<Serve> {
  const [k, v] = MARK.split('=');
  const child = spawn(
    process.execPath,
    [
      join(root, 'bin/privlink.js'),
      'serve',
      ...['--data-dir', dir, '--port', '0', '--dns-port', 'off', '--netns-prefix', PREFIX],
      ...['--dataplane', 'netns', '--pending-ms', '50', '--log-level', 'warn'],
    ],
    { cwd: root, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, [k ?? '']: v ?? '' } },
  );
  const exited = new Promise<number | string>((resolve) =>
    child.on('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')),
  );
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${out}`)), 20_000);
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve({ child, url: m[1], exited });
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited (${code}) before listening: ${out}`));
    });
  });
}

test(
  'traffic after a clean restart and after kill -9 of privlink serve; leftovers swept',
  { skip, timeout: 90_000 },
  async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'privlink-trs-'));
    const serves: ChildProcess[] = [];
    t.after(async () => {
      for (const c of serves) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      // Whatever a failed run left: processes of the serve runs, then the namespaces.
      for (const pid of await markedProcesses([MARK]).catch(() => [])) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
      for (const ns of await namespaces()) await deleteNamespace(ns).catch(() => undefined);
      await run(['sh', '-c', `rm -rf /etc/netns/${PREFIX}-*`]).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    });
    const opts = { dataplane: 'netns' as const, netnsPrefix: PREFIX, ephemeral: false, dataDir: dir };
    const t0 = Date.now();

    // 1. Build everything through the SDK; the consumer instance reaches a target.
    const p1 = await startPrivlink(t, opts, { dataplane: createDataplane, components: createComponents });
    const w = await build(clients(p1.url));
    const execIn = (p: typeof p1) => async (argv: string[]) =>
      (await p.execInInstance(w.client, argv, 5000)).stdout;
    await reaches(w, execIn(p1));
    t.diagnostic(`built and first response: ${Date.now() - t0} ms`);
    await p1.close();
    assert.deepEqual(await namespaces(), [], 'namespaces left after a clean close');

    // 2. Clean restart on the same data dir.
    const t1 = Date.now();
    const p2 = await startPrivlink(t, opts, { dataplane: createDataplane, components: createComponents });
    const c2 = clients(p2.url);
    assert.equal(await eniIpOf(c2.consumer, w.epId), w.eniIp);
    await reaches(w, execIn(p2));
    t.diagnostic(`clean restart → traffic: ${Date.now() - t1} ms`);
    await allHealthy(c2.elb, w.tgArn);
    t.diagnostic(`clean restart → targets healthy: ${Date.now() - t1} ms`);
    assert.equal(await endpointState(c2.consumer, w.epId), 'available');
    await p2.close();
    assert.deepEqual(await namespaces(), []);

    // 3. kill -9 of a serve subprocess on the same data dir.
    const t2 = Date.now();
    const s1 = await startServe(dir);
    serves.push(s1.child);
    await reaches(w, (argv) => curlIn(w.client, argv.at(-1) ?? ''));
    t.diagnostic(`serve → traffic: ${Date.now() - t2} ms`);
    const before = await namespaces();
    const fabric = `${PREFIX}-fabric`;
    assert.ok(before.includes(fabric));
    // Each target instance is a sandbox: its init, user data and the server it started.
    const perTarget = await Promise.all(w.targets.map((id) => nsPids(`${PREFIX}-${id}`)));
    assert.ok(
      perTarget.every((pids) => pids.length >= 1),
      'every target instance runs its sandbox',
    );
    const oldUserData = perTarget.flat();
    const oldAgents = await nsPids(fabric);
    s1.child.kill('SIGKILL');
    await s1.exited;
    const leftNs = await namespaces();
    assert.deepEqual(leftNs.sort(), [...before].sort(), 'kill -9 leaves every namespace behind');
    assert.ok(oldUserData.every(alive), 'user-data servers outlive a kill -9');
    t.diagnostic(
      `after kill -9: ${leftNs.length} namespaces, fabric agent ${oldAgents.some(alive) ? 'alive' : 'gone'}`,
    );

    const t3 = Date.now();
    const s2 = await startServe(dir);
    serves.push(s2.child);
    await reaches(w, (argv) => curlIn(w.client, argv.at(-1) ?? ''));
    t.diagnostic(`serve after kill -9 → traffic: ${Date.now() - t3} ms`);
    const c3 = clients(s2.url);
    assert.equal(await eniIpOf(c3.consumer, w.epId), w.eniIp);
    assert.equal(await endpointState(c3.consumer, w.epId), 'available');
    await allHealthy(c3.elb, w.tgArn);
    // Swept: the old processes are dead; each namespace holds only what this run started.
    for (const pid of [...oldUserData, ...oldAgents])
      assert.equal(alive(pid), false, `pid ${pid} survived the sweep`);
    const now = await namespaces();
    assert.deepEqual(now.sort(), [...before].sort(), 'the same namespaces, once each');
    for (const ns of now) {
      const pids = await nsPids(ns);
      const target = w.targets.some((id) => ns === `${PREFIX}-${id}`);
      if (target) assert.ok(pids.length >= 1, `${ns} runs no sandbox`);
      else if (!ns.startsWith(`${PREFIX}-i-`)) {
        // Instances without user data still run their sandbox's init; everything else is empty.
        const want = ns === fabric ? agentWorkers() : 0;
        assert.equal(pids.length, want, `${ns} holds ${pids.length} processes: ${pids.join(' ')}`);
      }
    }
    const newAgents = await nsPids(fabric);

    // SIGTERM: nothing with the prefix and no process of either run remains.
    s2.child.kill('SIGTERM');
    assert.equal(await s2.exited, 0);
    assert.deepEqual(await namespaces(), []);
    const etc = await readdir('/etc/netns').catch(() => [] as string[]);
    assert.deepEqual(
      etc.filter((f) => f.startsWith(PREFIX + '-')),
      [],
      '/etc/netns entries left',
    );
    for (const pid of newAgents) assert.equal(alive(pid), false, `fabric agent ${pid} outlived serve`);
    const instanceMarks = [...w.targets, w.client].map((id) => `PRIVLINK_INSTANCE_ID=${id}`);
    assert.deepEqual(await markedProcesses([MARK, ...instanceMarks]), [], 'orphaned privlink processes');
    t.diagnostic(`total: ${Date.now() - t0} ms`);
  },
);
