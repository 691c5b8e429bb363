/**
 * Soak campaign: SOAK_MINUTES (default 10; or `--minutes N`) of mixed API calls and endpoint
 * traffic against a `privlink serve` child in netns mode (prefix `sds`, under the shared flock
 * lock). Two accepted interface endpoints carry a steady HTTP load from a consumer instance to
 * the provider's web instance behind an NLB, while the API churns: endpoints created, accepted,
 * rejected and deleted (ENI namespaces come and go), extra VPCs and subnets created and deleted,
 * security groups, tags, Describe calls from both accounts.
 *
 * Every SOAK_SAMPLE_S seconds (default 15) it samples the server's RSS and open fds, the
 * namespaces with the prefix and the conntrack entries in them, and prints the series. Verdict:
 * flat when, after a warm-up (150 s, or a third of a shorter run: TIME_WAIT entries live 120 s),
 * the median of the second half is within a tolerance of the first half's: RSS +10 % + 8 MB,
 * fds +8, namespaces +2, conntrack +25 % + 50; and the traffic error rate stays under 1 %.
 * Run: `npm run torture -- soak` or `node --import tsx bench/torture/soak.ts [--minutes N]`.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AcceptVpcEndpointConnectionsCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateTagsCommand,
  CreateVpcCommand,
  CreateVpcEndpointCommand,
  CreateVpcEndpointServiceConfigurationCommand,
  DeleteSecurityGroupCommand,
  DeleteSubnetCommand,
  DeleteVpcCommand,
  DeleteVpcEndpointsCommand,
  DescribeNetworkInterfacesCommand,
  DescribeSecurityGroupsCommand,
  DescribeVpcEndpointConnectionsCommand,
  DescribeVpcEndpointsCommand,
  DescribeVpcsCommand,
  ModifyVpcEndpointServicePermissionsCommand,
  RejectVpcEndpointConnectionsCommand,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateTargetGroupCommand,
  DescribeTargetHealthCommand,
  RegisterTargetsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  clients,
  conntrackEntries,
  freePort,
  holdNetnsLock,
  namespaces,
  openFds,
  processesInNamespaces,
  processesWith,
  rssKb,
  sleep,
  startServe,
  stopServe,
  webUserData,
} from './child-server.js';

process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';

const PROVIDER = '111111111111';
const CONSUMER = '222222222222';
const PREFIX = 'sds';
const AMI = 'ami-0123456789abcdef0';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

interface Sample {
  t: number;
  rssMb: number;
  fds: number;
  ns: number;
  conntrack: number;
  apiCalls: number;
  httpOk: number;
  httpFail: number;
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('the soak campaign needs root (netns data plane)');
  if (holdNetnsLock()) return;
  const minutes = Number(arg('--minutes') ?? process.env['SOAK_MINUTES'] ?? 10);
  const sampleS = Number(process.env['SOAK_SAMPLE_S'] ?? 15);
  const dir = mkdtempSync(join(tmpdir(), 'privlink-soak-'));
  const tag = `soakrun${process.pid}`;
  const server = await startServe({
    dataDir: join(dir, 'data'),
    prefix: PREFIX,
    port: await freePort(),
    log: join(dir, 'serve.log'),
  });
  console.log(`soak: ${minutes} min, sample every ${sampleS} s, server pid ${server.pid}, prefix ${PREFIX}`);
  const p = clients(server.url, PROVIDER);
  const c = clients(server.url, CONSUMER);
  let traffic: ReturnType<typeof spawn> | undefined;
  let verdictOk: boolean;
  try {
    // Provider: web instance behind an NLB, published as a service the consumer may use.
    const pVpc = (await p.ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }))).Vpc?.VpcId ?? '';
    const pSub =
      (
        await p.ec2.send(
          new CreateSubnetCommand({ VpcId: pVpc, CidrBlock: '10.0.1.0/24', AvailabilityZone: 'us-east-1a' }),
        )
      ).Subnet?.SubnetId ?? '';
    const web =
      (
        await p.ec2.send(
          new RunInstancesCommand({
            ImageId: AMI,
            MinCount: 1,
            MaxCount: 1,
            SubnetId: pSub,
            UserData: webUserData(tag),
          }),
        )
      ).Instances?.[0]?.InstanceId ?? '';
    const tg =
      (
        await p.elb.send(
          new CreateTargetGroupCommand({
            Name: 'web',
            Protocol: 'TCP',
            Port: 8080,
            VpcId: pVpc,
            TargetType: 'instance',
          }),
        )
      ).TargetGroups?.[0]?.TargetGroupArn ?? '';
    await p.elb.send(new RegisterTargetsCommand({ TargetGroupArn: tg, Targets: [{ Id: web }] }));
    const nlb =
      (
        await p.elb.send(
          new CreateLoadBalancerCommand({
            Name: 'web',
            Type: 'network',
            Scheme: 'internal',
            Subnets: [pSub],
          }),
        )
      ).LoadBalancers?.[0]?.LoadBalancerArn ?? '';
    await p.elb.send(
      new CreateListenerCommand({
        LoadBalancerArn: nlb,
        Protocol: 'TCP',
        Port: 80,
        DefaultActions: [{ Type: 'forward', TargetGroupArn: tg }],
      }),
    );
    const svc = (
      await p.ec2.send(
        new CreateVpcEndpointServiceConfigurationCommand({
          NetworkLoadBalancerArns: [nlb],
          AcceptanceRequired: true,
        }),
      )
    ).ServiceConfiguration;
    const serviceId = svc?.ServiceId ?? '';
    await p.ec2.send(
      new ModifyVpcEndpointServicePermissionsCommand({
        ServiceId: serviceId,
        AddAllowedPrincipals: [`arn:aws:iam::${CONSUMER}:root`],
      }),
    );
    // Consumer: a VPC with a client instance and two steady endpoints.
    const cVpc = (await c.ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }))).Vpc?.VpcId ?? '';
    const cSub =
      (
        await c.ec2.send(
          new CreateSubnetCommand({ VpcId: cVpc, CidrBlock: '10.0.1.0/24', AvailabilityZone: 'us-east-1a' }),
        )
      ).Subnet?.SubnetId ?? '';
    const client =
      (await c.ec2.send(new RunInstancesCommand({ ImageId: AMI, MinCount: 1, MaxCount: 1, SubnetId: cSub })))
        .Instances?.[0]?.InstanceId ?? '';
    const endpoint = async () => {
      const id =
        (
          await c.ec2.send(
            new CreateVpcEndpointCommand({
              VpcEndpointType: 'Interface',
              VpcId: cVpc,
              ServiceName: svc?.ServiceName,
              SubnetIds: [cSub],
            }),
          )
        ).VpcEndpoint?.VpcEndpointId ?? '';
      return id;
    };
    const steady = [await endpoint(), await endpoint()];
    await p.ec2.send(
      new AcceptVpcEndpointConnectionsCommand({ ServiceId: serviceId, VpcEndpointIds: steady }),
    );
    for (;;) {
      const eps =
        (await c.ec2.send(new DescribeVpcEndpointsCommand({ VpcEndpointIds: steady }))).VpcEndpoints ?? [];
      if (eps.every((e) => (e.State as string) === 'available')) break;
      await sleep(200);
    }
    for (;;) {
      const h = await p.elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: tg }));
      if (h.TargetHealthDescriptions?.[0]?.TargetHealth?.State === 'healthy') break;
      await sleep(500);
    }
    const eniIds = (
      (await c.ec2.send(new DescribeVpcEndpointsCommand({ VpcEndpointIds: steady }))).VpcEndpoints ?? []
    ).flatMap((e) => e.NetworkInterfaceIds ?? []);
    const ips = (
      (await c.ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: eniIds })))
        .NetworkInterfaces ?? []
    ).map((n) => n.PrivateIpAddress ?? '');

    // Steady load from inside the client instance: ~20 requests/s, counts printed every second.
    const js = `const net=require('net');const ips=${JSON.stringify(ips)};let ok=0,fail=0,i=0;function one(){const ip=ips[i++%ips.length];const s=net.connect(80,ip);let b='';const t=setTimeout(()=>s.destroy(new Error('timeout')),3000);s.on('connect',()=>s.write('GET / HTTP/1.1\\r\\nHost: x\\r\\nConnection: close\\r\\n\\r\\n'));s.on('data',d=>b+=d);s.on('error',()=>{});s.on('close',()=>{clearTimeout(t);if(b.includes('${tag}'))ok++;else fail++;})}setInterval(one,50);setInterval(()=>console.log(JSON.stringify({ok,fail})),1000);`;
    traffic = spawn('ip', ['netns', 'exec', `${PREFIX}-${client}`, process.execPath, '-e', js], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let httpOk = 0;
    let httpFail = 0;
    traffic.stdout?.on('data', (d: Buffer) => {
      const last = d.toString().trim().split('\n').at(-1);
      try {
        const m = JSON.parse(last ?? '{}') as { ok?: number; fail?: number };
        httpOk = m.ok ?? httpOk;
        httpFail = m.fail ?? httpFail;
      } catch {
        // a partial line
      }
    });

    // Churn until the deadline, sampling as it goes.
    const start = Date.now();
    const end = start + minutes * 60_000;
    const samples: Sample[] = [];
    let apiCalls = 0;
    let nextSample = start;
    const churn: string[] = [];
    let round = 0;
    const api = async <T>(f: () => Promise<T>): Promise<T | undefined> => {
      apiCalls++;
      try {
        return await f();
      } catch (e) {
        const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode ?? 0;
        if (status >= 500 || status === 0)
          console.log(`  API ${status || 'network'} error: ${(e as Error).message}`);
        return undefined;
      }
    };
    while (Date.now() < end) {
      if (Date.now() >= nextSample) {
        const s: Sample = {
          t: Math.round((Date.now() - start) / 1000),
          rssMb: Math.round(rssKb(server.pid) / 102.4) / 10,
          fds: openFds(server.pid),
          ns: namespaces(PREFIX).length,
          conntrack: conntrackEntries(PREFIX),
          apiCalls,
          httpOk,
          httpFail,
        };
        samples.push(s);
        console.log(
          `  t=${String(s.t).padStart(4)}s rss=${s.rssMb} MB fds=${s.fds} ns=${s.ns} conntrack=${s.conntrack} api=${s.apiCalls} http ok=${s.httpOk} fail=${s.httpFail}`,
        );
        nextSample += sampleS * 1000;
      }
      round++;
      // Endpoint churn: create, then accept or reject, then delete the oldest beyond two.
      const id = await api(endpoint);
      if (id) {
        churn.push(id);
        await api(() =>
          round % 3 === 0
            ? p.ec2.send(
                new RejectVpcEndpointConnectionsCommand({ ServiceId: serviceId, VpcEndpointIds: [id] }),
              )
            : p.ec2.send(
                new AcceptVpcEndpointConnectionsCommand({ ServiceId: serviceId, VpcEndpointIds: [id] }),
              ),
        );
      }
      while (churn.length > 2) {
        const old = churn.shift() ?? '';
        await api(() => c.ec2.send(new DeleteVpcEndpointsCommand({ VpcEndpointIds: [old] })));
      }
      // Namespace churn: an extra VPC with a subnet, gone again.
      const v = await api(() =>
        p.ec2.send(new CreateVpcCommand({ CidrBlock: `10.${1 + (round % 200)}.0.0/16` })),
      );
      const vpcId = v?.Vpc?.VpcId;
      if (vpcId) {
        const sn = await api(() =>
          p.ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: `10.${1 + (round % 200)}.1.0/24` })),
        );
        const g = await api(() =>
          p.ec2.send(
            new CreateSecurityGroupCommand({ VpcId: vpcId, GroupName: `g${round}`, Description: 'soak' }),
          ),
        );
        await api(() =>
          p.ec2.send(
            new CreateTagsCommand({ Resources: [vpcId], Tags: [{ Key: 'round', Value: String(round) }] }),
          ),
        );
        if (g?.GroupId) await api(() => p.ec2.send(new DeleteSecurityGroupCommand({ GroupId: g.GroupId })));
        if (sn?.Subnet?.SubnetId)
          await api(() => p.ec2.send(new DeleteSubnetCommand({ SubnetId: sn.Subnet?.SubnetId })));
        await api(() => p.ec2.send(new DeleteVpcCommand({ VpcId: vpcId })));
      }
      await api(() => c.ec2.send(new DescribeVpcEndpointsCommand({})));
      await api(() => p.ec2.send(new DescribeVpcEndpointConnectionsCommand({})));
      await api(() => p.ec2.send(new DescribeVpcsCommand({})));
      await api(() => c.ec2.send(new DescribeSecurityGroupsCommand({})));
      await sleep(100);
    }
    // Closed connections stay in conntrack for 120 s (TIME_WAIT) and the JIT and caches settle
    // in the first minutes: the verdict compares what comes after that warm-up.
    verdictOk = verdict(samples, Math.min(150, (minutes * 60) / 3));
  } finally {
    traffic?.kill('SIGTERM');
    await stopServe(server);
    await sleep(200);
    const leftNs = namespaces(PREFIX).length;
    const leftProcs = [...new Set([...processesWith(tag), ...processesInNamespaces(PREFIX)])];
    console.log(`after stop: ${leftNs} namespaces, ${leftProcs.length} processes left`);
    for (const pid of leftProcs) {
      try {
        process.kill(pid, 'SIGKILL'); // started by this campaign's server
      } catch {
        // gone
      }
    }
    if (leftNs || leftProcs.length) verdictOk = false;
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`verdict: ${verdictOk ? 'FLAT (PASS)' : 'NOT FLAT (FAIL)'}`);
  if (!verdictOk) process.exitCode = 1;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}

function verdict(samples: Sample[], warmupS: number): boolean {
  const body = samples.filter((s) => s.t >= warmupS);
  if (body.length < 4) {
    console.log('too few samples for a verdict');
    return false;
  }
  const half = Math.floor(body.length / 2);
  const a = body.slice(0, half);
  const b = body.slice(half);
  const checks: [string, (s: Sample) => number, (x: number) => number][] = [
    ['rssMb', (s) => s.rssMb, (x) => x * 1.1 + 8],
    ['fds', (s) => s.fds, (x) => x + 8],
    ['ns', (s) => s.ns, (x) => x + 2],
    ['conntrack', (s) => s.conntrack, (x) => x * 1.25 + 50],
  ];
  let ok = true;
  for (const [name, get, tolerance] of checks) {
    const m1 = median(a.map(get));
    const m2 = median(b.map(get));
    const flat = m2 <= tolerance(m1);
    ok &&= flat;
    console.log(
      `  ${name}: series ${samples.map(get).join(' ')} | after ${warmupS} s warm-up: median first half ${m1}, second half ${m2} → ${flat ? 'flat' : 'GROWING'}`,
    );
  }
  const last = samples.at(-1);
  const total = (last?.httpOk ?? 0) + (last?.httpFail ?? 0);
  const errRate = total ? (last?.httpFail ?? 0) / total : 1;
  console.log(
    `  traffic: ${last?.httpOk} ok, ${last?.httpFail} failed (${(errRate * 100).toFixed(2)} %); API calls ${last?.apiCalls}`,
  );
  return ok && errRate < 0.01;
}

await main();
