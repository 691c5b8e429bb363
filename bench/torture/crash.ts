/**
 * Crash-consistency campaign: RUNS runs (default 20; `CRASH_RUNS=N` or `--runs N`) of a
 * 200-operation two-account workload (VPCs, subnets, security groups, tags, a provider web
 * instance behind an NLB, an endpoint service with a permission, interface endpoints accepted,
 * rejected and deleted) against a `privlink serve` child process that is killed with SIGKILL
 * at a random operation, with that request in flight. After a restart on the same data dir:
 *
 * - every acknowledged write is there (created IDs exist unless an acknowledged delete followed,
 *   endpoint states match the last acknowledged transition, tags are on their resources);
 * - nothing half-done is visible (each VPC has its main route table and default group, each
 *   subnet its VPC, each live interface endpoint one ENI per subnet, each NLB one ENI per
 *   subnet, no requester-managed ENI without its owner);
 * - every available endpoint carries traffic from a consumer instance to the provider's web
 *   instance through the NLB;
 * - after a graceful stop no namespace of the run's prefix and no process of the run is left.
 *
 * Netns mode, under the shared flock lock, prefix `sdc`. Seed: `CRASH_SEED` (printed).
 * Run: `npm run torture -- crash` or `node --import tsx bench/torture/crash.ts [--runs N]`.
 */
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
  DescribeInstancesCommand,
  DescribeNetworkInterfacesCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeTagsCommand,
  DescribeVpcEndpointServiceConfigurationsCommand,
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
  DescribeLoadBalancersCommand,
  RegisterTargetsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  clients,
  freePort,
  holdNetnsLock,
  httpFromNamespace,
  namespaces,
  processesInNamespaces,
  processesWith,
  rng,
  sleep,
  startServe,
  stats,
  stopServe,
  webUserData,
  type ServeChild,
} from './child-server.js';

process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';

const PROVIDER = '111111111111';
const CONSUMER = '222222222222';
const PREFIX = 'sdc';
const OPS = 200;
const AMI = 'ami-0123456789abcdef0';

type EpState = 'pendingAcceptance' | 'accepted' | 'rejected' | 'deleted';

/** What acknowledged responses promise about the store. */
interface Ledger {
  /** id → kind, for resources whose create was acknowledged and no delete was. */
  live: Map<string, string>;
  /** ids whose delete was acknowledged. */
  deleted: Set<string>;
  endpoints: Map<string, EpState>;
  /** resource id → tag values acknowledged on it. */
  tags: Map<string, string>;
}

interface World {
  pVpc?: string;
  pSubnet?: string;
  web?: string;
  tg?: string;
  registered?: boolean;
  nlb?: string;
  listener?: boolean;
  service?: string;
  serviceName?: string;
  permitted?: boolean;
  cVpc?: string;
  cSubnet?: string;
  client?: string;
  extraVpcs: { id: string; subnets: string[] }[];
  groups: string[];
}

interface RunResult {
  run: number;
  killAt: number;
  acked: number;
  inflight: string;
  inflightAcked: boolean;
  restartMs: number;
  /** Namespaces the killed server left behind (the restart must sweep or adopt them). */
  leftByKill: number;
  available: number;
  trafficOk: number;
  violations: string[];
  leakedNs: number;
  leakedProcs: number;
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('the crash campaign needs root (netns data plane)');
  if (holdNetnsLock()) return;
  const runs = Number(arg('--runs') ?? process.env['CRASH_RUNS'] ?? 20);
  const seed = Number(process.env['CRASH_SEED'] ?? Date.now() % 1_000_000);
  console.log(`crash campaign: ${runs} runs × ${OPS} operations, seed ${seed}, prefix ${PREFIX}`);
  // CRASH_UNTIL (epoch ms): start no run after it, and say how many of the asked-for runs ran.
  const until = Number(process.env['CRASH_UNTIL'] ?? Infinity);
  const results: RunResult[] = [];
  for (let run = 1; run <= runs; run++) {
    if (Date.now() > until) {
      console.log(`time limit: ${run - 1} of ${runs} runs done`);
      break;
    }
    const r = await oneRun(run, seed + run);
    results.push(r);
    console.log(
      `run ${String(run).padStart(2)}: kill at op ${String(r.killAt).padStart(3)} (${r.inflight}, ${r.inflightAcked ? 'acked' : 'lost'}), ` +
        `${r.acked} acked, ${r.leftByKill} ns left by kill, restart ${r.restartMs} ms, ${r.available} available endpoint(s), traffic ok ${r.trafficOk}/${r.available}, ` +
        `violations ${r.violations.length}, leaked ns ${r.leakedNs}, leaked procs ${r.leakedProcs}`,
    );
    for (const v of r.violations) console.log(`    VIOLATION ${v}`);
  }
  const bad = results.filter(
    (r) => r.violations.length || r.leakedNs || r.leakedProcs || r.trafficOk < r.available,
  );
  const restart = stats(results.map((r) => r.restartMs));
  console.log(
    `\nsummary: ${results.length} runs, ${results.reduce((a, r) => a + r.acked, 0)} acknowledged writes checked, ` +
      `${results.reduce((a, r) => a + r.available, 0)} available endpoints, traffic ok ${results.reduce((a, r) => a + r.trafficOk, 0)}, ` +
      `restart ms median ${restart.median} max ${restart.max}; runs with a failure: ${bad.length}`,
  );
  console.log(`verdict: ${bad.length === 0 ? 'PASS' : 'FAIL'} (seed ${seed})`);
  if (bad.length) process.exitCode = 1;
}

async function oneRun(run: number, seed: number): Promise<RunResult> {
  const r = rng(seed);
  const dir = mkdtempSync(join(tmpdir(), 'privlink-crash-'));
  const dataDir = join(dir, 'data');
  const log = join(dir, 'serve.log');
  const tag = `crashrun${seed}`;
  const port = await freePort();
  const ledger: Ledger = { live: new Map(), deleted: new Set(), endpoints: new Map(), tags: new Map() };
  const world: World = { extraVpcs: [], groups: [] };
  const killAt = r.int(1, OPS);
  let server = await startServe({ dataDir, prefix: PREFIX, port, log });
  const result: RunResult = {
    run,
    killAt,
    acked: 0,
    inflight: '',
    inflightAcked: false,
    restartMs: 0,
    leftByKill: 0,
    available: 0,
    trafficOk: 0,
    violations: [],
    leakedNs: 0,
    leakedProcs: 0,
  };
  try {
    const p = clients(server.url, PROVIDER);
    const c = clients(server.url, CONSUMER);
    for (let op = 1; op <= OPS; op++) {
      const step = nextStep(world, ledger, r, p, c, tag);
      if (op === killAt) {
        result.inflight = step.name;
        const pending = step.run().then(
          () => true,
          () => false,
        );
        await sleep(r.int(0, 8));
        server.child.kill('SIGKILL');
        result.inflightAcked = await pending;
        await server.exited;
        break;
      }
      try {
        await step.run();
        result.acked++;
      } catch (e) {
        // A refused operation (quota, state) is an acknowledged no-op: nothing to record.
        if (!isAwsError(e)) throw e;
      }
    }
    if (server.child.exitCode === null && server.child.signalCode === null) {
      server.child.kill('SIGKILL');
      await server.exited;
    }
    result.leftByKill = namespaces(PREFIX).length;
    const t0 = Date.now();
    server = await startServe({ dataDir, prefix: PREFIX, port, log });
    result.restartMs = Date.now() - t0;
    await verify(server, world, ledger, result, tag);
  } catch (e) {
    result.violations.push(`run aborted: ${(e as Error).message}`);
  } finally {
    await stopServe(server);
    await sleep(200);
    result.leakedNs = namespaces(PREFIX).length;
    const procs = [
      ...new Set([...processesWith(tag), ...processesWith(dataDir), ...processesInNamespaces(PREFIX)]),
    ];
    result.leakedProcs = procs.length;
    for (const pid of procs) {
      try {
        process.kill(pid, 'SIGKILL'); // children of the server this run started
      } catch {
        // gone
      }
    }
    if (result.leakedNs) {
      // Leave the host clean for the next run and for others.
      const s = await startServe({ dataDir, prefix: PREFIX, port, log });
      await stopServe(s);
    }
    if (result.violations.length === 0 && !result.leakedNs && !result.leakedProcs) {
      rmSync(dir, { recursive: true, force: true });
    } else {
      console.log(`    kept ${dir} for inspection`);
    }
  }
  return result;
}

function isAwsError(e: unknown): boolean {
  const m = (e as { $metadata?: { httpStatusCode?: number } }).$metadata;
  return Boolean(m?.httpStatusCode && m.httpStatusCode >= 400 && m.httpStatusCode < 500);
}

type Clients = ReturnType<typeof clients>;
interface Step {
  name: string;
  run: () => Promise<unknown>;
}

/** The next operation: the bootstrap in order, then a weighted random mix. */
function nextStep(w: World, l: Ledger, r: ReturnType<typeof rng>, p: Clients, c: Clients, tag: string): Step {
  const created = (kind: string, id: string | undefined) => {
    if (id) l.live.set(id, kind);
    return id;
  };
  if (!w.pVpc)
    return {
      name: 'CreateVpc(provider)',
      run: async () =>
        (w.pVpc = created(
          'vpc',
          (await p.ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }))).Vpc?.VpcId,
        )),
    };
  if (!w.pSubnet)
    return {
      name: 'CreateSubnet(provider)',
      run: async () =>
        (w.pSubnet = created(
          'subnet',
          (
            await p.ec2.send(
              new CreateSubnetCommand({
                VpcId: w.pVpc,
                CidrBlock: '10.0.1.0/24',
                AvailabilityZone: 'us-east-1a',
              }),
            )
          ).Subnet?.SubnetId,
        )),
    };
  if (!w.web)
    return {
      name: 'RunInstances(web)',
      run: async () =>
        (w.web = created(
          'instance',
          (
            await p.ec2.send(
              new RunInstancesCommand({
                ImageId: AMI,
                MinCount: 1,
                MaxCount: 1,
                SubnetId: w.pSubnet,
                UserData: webUserData(tag),
              }),
            )
          ).Instances?.[0]?.InstanceId,
        )),
    };
  if (!w.tg)
    return {
      name: 'CreateTargetGroup',
      run: async () =>
        (w.tg = created(
          'targetGroup',
          (
            await p.elb.send(
              new CreateTargetGroupCommand({
                Name: 'web',
                Protocol: 'TCP',
                Port: 8080,
                VpcId: w.pVpc,
                TargetType: 'instance',
              }),
            )
          ).TargetGroups?.[0]?.TargetGroupArn,
        )),
    };
  if (!w.registered)
    return {
      name: 'RegisterTargets',
      run: async () => {
        await p.elb.send(
          new RegisterTargetsCommand({ TargetGroupArn: w.tg, Targets: [{ Id: w.web ?? '' }] }),
        );
        w.registered = true;
      },
    };
  if (!w.nlb)
    return {
      name: 'CreateLoadBalancer',
      run: async () =>
        (w.nlb = created(
          'loadBalancer',
          (
            await p.elb.send(
              new CreateLoadBalancerCommand({
                Name: 'web',
                Type: 'network',
                Scheme: 'internal',
                Subnets: [w.pSubnet ?? ''],
              }),
            )
          ).LoadBalancers?.[0]?.LoadBalancerArn,
        )),
    };
  if (!w.listener)
    return {
      name: 'CreateListener',
      run: async () => {
        await p.elb.send(
          new CreateListenerCommand({
            LoadBalancerArn: w.nlb,
            Protocol: 'TCP',
            Port: 80,
            DefaultActions: [{ Type: 'forward', TargetGroupArn: w.tg }],
          }),
        );
        w.listener = true;
      },
    };
  if (!w.service)
    return {
      name: 'CreateVpcEndpointServiceConfiguration',
      run: async () => {
        const s = await p.ec2.send(
          new CreateVpcEndpointServiceConfigurationCommand({
            NetworkLoadBalancerArns: [w.nlb ?? ''],
            AcceptanceRequired: true,
          }),
        );
        w.serviceName = s.ServiceConfiguration?.ServiceName;
        w.service = created('endpointService', s.ServiceConfiguration?.ServiceId);
      },
    };
  if (!w.permitted)
    return {
      name: 'ModifyVpcEndpointServicePermissions',
      run: async () => {
        await p.ec2.send(
          new ModifyVpcEndpointServicePermissionsCommand({
            ServiceId: w.service,
            AddAllowedPrincipals: [`arn:aws:iam::${CONSUMER}:root`],
          }),
        );
        w.permitted = true;
      },
    };
  if (!w.cVpc)
    return {
      name: 'CreateVpc(consumer)',
      run: async () =>
        (w.cVpc = created(
          'vpc',
          (await c.ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }))).Vpc?.VpcId,
        )),
    };
  if (!w.cSubnet)
    return {
      name: 'CreateSubnet(consumer)',
      run: async () =>
        (w.cSubnet = created(
          'subnet',
          (
            await c.ec2.send(
              new CreateSubnetCommand({
                VpcId: w.cVpc,
                CidrBlock: '10.0.1.0/24',
                AvailabilityZone: 'us-east-1a',
              }),
            )
          ).Subnet?.SubnetId,
        )),
    };
  if (!w.client)
    return {
      name: 'RunInstances(client)',
      run: async () =>
        (w.client = created(
          'instance',
          (
            await c.ec2.send(
              new RunInstancesCommand({ ImageId: AMI, MinCount: 1, MaxCount: 1, SubnetId: w.cSubnet }),
            )
          ).Instances?.[0]?.InstanceId,
        )),
    };

  const eps = (s: EpState) => [...l.endpoints].filter(([, v]) => v === s).map(([k]) => k);
  const liveEps = [...l.endpoints].filter(([, v]) => v !== 'deleted').map(([k]) => k);
  const choices: [number, () => Step][] = [
    [
      liveEps.length < 4 ? 4 : 0,
      () => ({
        name: 'CreateVpcEndpoint',
        run: async () => {
          const e = await c.ec2.send(
            new CreateVpcEndpointCommand({
              VpcEndpointType: 'Interface',
              VpcId: w.cVpc,
              ServiceName: w.serviceName,
              SubnetIds: [w.cSubnet ?? ''],
            }),
          );
          const id = e.VpcEndpoint?.VpcEndpointId;
          if (id) {
            l.endpoints.set(id, 'pendingAcceptance');
            l.live.set(id, 'vpcEndpoint');
          }
        },
      }),
    ],
    [
      eps('pendingAcceptance').length ? 4 : 0,
      () => {
        const id = r.pick(eps('pendingAcceptance')) ?? '';
        return {
          name: 'AcceptVpcEndpointConnections',
          run: async () => {
            const a = await p.ec2.send(
              new AcceptVpcEndpointConnectionsCommand({ ServiceId: w.service, VpcEndpointIds: [id] }),
            );
            if (!a.Unsuccessful?.length) l.endpoints.set(id, 'accepted');
          },
        };
      },
    ],
    [
      eps('pendingAcceptance').length + eps('accepted').length ? 1 : 0,
      () => {
        const id = r.pick([...eps('pendingAcceptance'), ...eps('accepted')]) ?? '';
        return {
          name: 'RejectVpcEndpointConnections',
          run: async () => {
            const a = await p.ec2.send(
              new RejectVpcEndpointConnectionsCommand({ ServiceId: w.service, VpcEndpointIds: [id] }),
            );
            if (!a.Unsuccessful?.length) l.endpoints.set(id, 'rejected');
          },
        };
      },
    ],
    [
      liveEps.length >= 3 ? 2 : 0,
      () => {
        const id = r.pick(liveEps) ?? '';
        return {
          name: 'DeleteVpcEndpoints',
          run: async () => {
            const d = await c.ec2.send(new DeleteVpcEndpointsCommand({ VpcEndpointIds: [id] }));
            if (!d.Unsuccessful?.length) {
              l.endpoints.set(id, 'deleted');
              l.live.delete(id);
            }
          },
        };
      },
    ],
    [
      w.extraVpcs.length < 3 ? 2 : 0,
      () => {
        const acct = r.next() < 0.5 ? p : c;
        return {
          name: 'CreateVpc(extra)',
          run: async () => {
            const id = (
              await acct.ec2.send(new CreateVpcCommand({ CidrBlock: `10.${r.int(1, 200)}.0.0/16` }))
            ).Vpc?.VpcId;
            if (id) {
              l.live.set(id, 'vpc');
              w.extraVpcs.push({ id, subnets: [] });
              (acct === p ? provOwned : consOwned).add(id);
            }
          },
        };
      },
    ],
    [
      w.extraVpcs.length ? 3 : 0,
      () => {
        const v = r.pick(w.extraVpcs);
        const acct = v && provOwned.has(v.id) ? p : c;
        return {
          name: 'CreateSubnet(extra)',
          run: async () => {
            if (!v) return;
            const vpc = await acct.ec2.send(new DescribeVpcsCommand({ VpcIds: [v.id] }));
            const base = (vpc.Vpcs?.[0]?.CidrBlock ?? '10.1.0.0/16').split('.').slice(0, 2).join('.');
            const id = (
              await acct.ec2.send(
                new CreateSubnetCommand({ VpcId: v.id, CidrBlock: `${base}.${r.int(0, 250)}.0/24` }),
              )
            ).Subnet?.SubnetId;
            if (id) {
              l.live.set(id, 'subnet');
              v.subnets.push(id);
            }
          },
        };
      },
    ],
    [
      w.extraVpcs.some((v) => v.subnets.length) ? 2 : 0,
      () => {
        const v = r.pick(w.extraVpcs.filter((x) => x.subnets.length));
        const id = v?.subnets.at(-1) ?? '';
        const acct = v && provOwned.has(v.id) ? p : c;
        return {
          name: 'DeleteSubnet',
          run: async () => {
            await acct.ec2.send(new DeleteSubnetCommand({ SubnetId: id }));
            v?.subnets.pop();
            l.live.delete(id);
            l.deleted.add(id);
          },
        };
      },
    ],
    [
      w.extraVpcs.some((v) => !v.subnets.length) ? 1 : 0,
      () => {
        const v = r.pick(w.extraVpcs.filter((x) => !x.subnets.length));
        const acct = v && provOwned.has(v.id) ? p : c;
        return {
          name: 'DeleteVpc',
          run: async () => {
            if (!v) return;
            await acct.ec2.send(new DeleteVpcCommand({ VpcId: v.id }));
            w.extraVpcs = w.extraVpcs.filter((x) => x !== v);
            l.live.delete(v.id);
            l.deleted.add(v.id);
          },
        };
      },
    ],
    [
      3,
      () => {
        const name = `g${r.int(0, 1e6)}`;
        return {
          name: 'CreateSecurityGroup',
          run: async () => {
            const id = (
              await p.ec2.send(
                new CreateSecurityGroupCommand({ VpcId: w.pVpc, GroupName: name, Description: 'x' }),
              )
            ).GroupId;
            if (id) {
              w.groups.push(id);
              l.live.set(id, 'securityGroup');
            }
          },
        };
      },
    ],
    [
      w.groups.length ? 2 : 0,
      () => {
        const id = w.groups.at(-1) ?? '';
        return {
          name: 'DeleteSecurityGroup',
          run: async () => {
            await p.ec2.send(new DeleteSecurityGroupCommand({ GroupId: id }));
            w.groups.pop();
            l.live.delete(id);
            l.deleted.add(id);
          },
        };
      },
    ],
    [
      3,
      () => {
        const id = w.pVpc ?? '';
        const value = `v${r.int(0, 1e9)}`;
        return {
          name: 'CreateTags',
          run: async () => {
            await p.ec2.send(
              new CreateTagsCommand({ Resources: [id], Tags: [{ Key: 'crash', Value: value }] }),
            );
            l.tags.set(id, value);
          },
        };
      },
    ],
    [2, () => ({ name: 'DescribeVpcEndpoints', run: () => c.ec2.send(new DescribeVpcEndpointsCommand({})) })],
  ];
  const total = choices.reduce((a, [wt]) => a + wt, 0);
  let x = r.next() * total;
  for (const [wt, make] of choices) {
    if ((x -= wt) < 0) return make();
  }
  return { name: 'DescribeVpcs', run: () => p.ec2.send(new DescribeVpcsCommand({})) };
}

// Which account owns an extra VPC (the step closures need it after creation).
const provOwned = new Set<string>();
const consOwned = new Set<string>();

async function verify(server: ServeChild, w: World, l: Ledger, res: RunResult, tag: string): Promise<void> {
  const v = res.violations;
  const accounts = [PROVIDER, CONSUMER].map((a) => ({ a, ...clients(server.url, a) }));
  const all = {
    vpcs: new Map<string, string>(),
    subnets: new Map<string, string>(),
    groups: new Set<string>(),
    instances: new Set<string>(),
  };
  const enis: { id: string; type: string; owner: string; desc: string }[] = [];
  const endpoints = new Map<string, { state: string; subnets: number; enis: string[] }>();
  for (const { ec2 } of accounts) {
    for (const x of (await ec2.send(new DescribeVpcsCommand({}))).Vpcs ?? [])
      all.vpcs.set(x.VpcId ?? '', x.OwnerId ?? '');
    for (const x of (await ec2.send(new DescribeSubnetsCommand({}))).Subnets ?? [])
      all.subnets.set(x.SubnetId ?? '', x.VpcId ?? '');
    const groups = (await ec2.send(new DescribeSecurityGroupsCommand({}))).SecurityGroups ?? [];
    for (const g of groups) all.groups.add(g.GroupId ?? '');
    const tables = (await ec2.send(new DescribeRouteTablesCommand({}))).RouteTables ?? [];
    for (const res2 of (await ec2.send(new DescribeInstancesCommand({}))).Reservations ?? [])
      for (const i of res2.Instances ?? [])
        if (i.State?.Name !== 'terminated') all.instances.add(i.InstanceId ?? '');
    for (const e of (await ec2.send(new DescribeNetworkInterfacesCommand({}))).NetworkInterfaces ?? [])
      enis.push({
        id: e.NetworkInterfaceId ?? '',
        type: e.InterfaceType ?? '',
        owner: e.Description ?? '',
        desc: e.Description ?? '',
      });
    for (const e of (await ec2.send(new DescribeVpcEndpointsCommand({}))).VpcEndpoints ?? [])
      endpoints.set(e.VpcEndpointId ?? '', {
        state: e.State ?? '',
        subnets: e.SubnetIds?.length ?? 0,
        enis: e.NetworkInterfaceIds ?? [],
      });
    // Nothing half-done: each VPC has its main route table and its default group.
    for (const [vpcId] of all.vpcs) {
      if (
        !(await ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] }))).Vpcs
          ?.length
      )
        continue; // the other account's
      if (!tables.some((t) => t.VpcId === vpcId && t.Associations?.some((a) => a.Main)))
        v.push(`VPC ${vpcId} has no main route table`);
      if (!groups.some((g) => g.VpcId === vpcId && g.GroupName === 'default'))
        v.push(`VPC ${vpcId} has no default security group`);
    }
  }
  for (const [sn, vpc] of all.subnets) if (!all.vpcs.has(vpc)) v.push(`subnet ${sn} without its VPC ${vpc}`);

  // Acknowledged writes.
  for (const [id, kind] of l.live) {
    const present =
      kind === 'vpc'
        ? all.vpcs.has(id)
        : kind === 'subnet'
          ? all.subnets.has(id)
          : kind === 'securityGroup'
            ? all.groups.has(id)
            : kind === 'instance'
              ? all.instances.has(id)
              : kind === 'vpcEndpoint'
                ? endpoints.has(id)
                : true;
    if (!present) v.push(`acknowledged ${kind} ${id} is missing`);
  }
  for (const id of l.deleted) {
    if (all.vpcs.has(id) || all.subnets.has(id) || all.groups.has(id))
      v.push(`acknowledged delete of ${id} undone`);
  }
  const svcIds = (
    await accounts[0]?.ec2.send(new DescribeVpcEndpointServiceConfigurationsCommand({}))
  )?.ServiceConfigurations?.map((s) => s.ServiceId);
  if (l.live.has(w.service ?? '-') && !svcIds?.includes(w.service))
    v.push(`endpoint service ${w.service} missing`);
  const lbs = (await accounts[0]?.elb.send(new DescribeLoadBalancersCommand({})))?.LoadBalancers ?? [];
  if (w.nlb && l.live.has(w.nlb) && !lbs.some((b) => b.LoadBalancerArn === w.nlb))
    v.push('acknowledged NLB missing');
  for (const b of lbs) {
    const nodes = enis.filter(
      (e) => e.type === 'network_load_balancer' && e.desc.includes(`/${b.LoadBalancerName}/`),
    );
    if (nodes.length !== (b.AvailabilityZones?.length ?? 0))
      v.push(
        `NLB ${b.LoadBalancerName} has ${nodes.length} node ENIs for ${b.AvailabilityZones?.length} zones`,
      );
  }
  const ok: Record<EpState, string[]> = {
    pendingAcceptance: ['pendingAcceptance'],
    accepted: ['pending', 'available'],
    rejected: ['rejected'],
    deleted: ['deleting', 'deleted', '(missing)'],
  };
  for (const [id, s] of l.endpoints) {
    const got = endpoints.get(id)?.state ?? '(missing)';
    const inflightChange = !res.inflightAcked && /Endpoint|Connections/.test(res.inflight);
    if (!ok[s].includes(got) && !inflightChange) v.push(`endpoint ${id}: acknowledged ${s}, found ${got}`);
  }
  const endpointEnis = new Set<string>();
  for (const [id, e] of endpoints) {
    if (e.state === 'deleted' || e.state === 'deleting' || e.state === 'rejected' || e.state === 'failed')
      continue;
    if (e.enis.length !== e.subnets)
      v.push(`endpoint ${id} has ${e.enis.length} ENIs for ${e.subnets} subnets`);
    for (const n of e.enis) endpointEnis.add(n);
  }
  for (const e of enis) {
    if (e.type === 'vpc_endpoint' && !endpointEnis.has(e.id)) {
      const owner = [...endpoints].find(([, x]) => x.enis.includes(e.id));
      if (!owner) v.push(`orphan endpoint ENI ${e.id}`);
    }
  }
  for (const { ec2 } of accounts) await ec2.send(new DescribeTagsCommand({}));
  for (const [id, value] of l.tags) {
    const t = await accounts[0]?.ec2.send(
      new DescribeTagsCommand({ Filters: [{ Name: 'resource-id', Values: [id] }] }),
    );
    const got = t?.Tags?.find((x) => x.Key === 'crash')?.Value;
    const inflightTag = !res.inflightAcked && res.inflight === 'CreateTags';
    if (got !== value && !inflightTag) v.push(`tag on ${id}: acknowledged ${value}, found ${got}`);
  }

  // Data plane: every available endpoint carries traffic.
  const deadline = Date.now() + 15_000;
  let eps = endpoints;
  while (Date.now() < deadline && [...eps.values()].some((e) => e.state === 'pending')) {
    await sleep(250);
    eps = new Map(
      ((await accounts[1]?.ec2.send(new DescribeVpcEndpointsCommand({})))?.VpcEndpoints ?? []).map((e) => [
        e.VpcEndpointId ?? '',
        { state: e.State ?? '', subnets: e.SubnetIds?.length ?? 0, enis: e.NetworkInterfaceIds ?? [] },
      ]),
    );
  }
  const available = [...eps].filter(([, e]) => e.state === 'available');
  res.available = available.length;
  if (!available.length) return;
  let client = w.client && all.instances.has(w.client) ? w.client : undefined;
  if (!client && w.cSubnet) {
    client = (
      await accounts[1]?.ec2.send(
        new RunInstancesCommand({ ImageId: AMI, MinCount: 1, MaxCount: 1, SubnetId: w.cSubnet }),
      )
    )?.Instances?.[0]?.InstanceId;
  }
  for (const [id, e] of available) {
    const eni = (
      await accounts[1]?.ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: e.enis }))
    )?.NetworkInterfaces?.[0]?.PrivateIpAddress;
    let body = '';
    const until = Date.now() + 20_000;
    while (Date.now() < until && !body.startsWith(tag)) {
      body = httpFromNamespace(`${PREFIX}-${client}`, eni ?? '', 80);
      if (!body.startsWith(tag)) await sleep(500);
    }
    if (body.startsWith(tag)) res.trafficOk++;
    else v.push(`available endpoint ${id} (${eni}) carries no traffic`);
  }
}

await main();
