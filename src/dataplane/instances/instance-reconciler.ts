/**
 * Instances in the data plane: converges "instances that should be up" (state pending or
 * running, VPC network ready) to what runs.
 *
 * netns mode: one namespace per instance (`instanceNamespace`), veth `eth0` ↔ a port on the
 * VPC's `br0`, the ENI's MAC and private IP, default route via the subnet router,
 * `/etc/netns/<ns>/resolv.conf` → the VPC resolver (base+2) and `/etc/netns/<ns>/hosts`; user
 * data runs once inside it. One IMDS HTTP server per VPC listens on 169.254.169.254:80 inside
 * the VPC namespace (socket bound there, served by this process) and tells instances apart by
 * source address.
 *
 * loopback mode (no isolation!): user data runs as a host process; each instance gets its own
 * 127.100.x.y address (PRIVLINK_BIND_IP / PRIVLINK_PRIVATE_IP) to listen on, and its own IMDS
 * on that address at a free port (AWS_EC2_METADATA_SERVICE_ENDPOINT, which AWS SDKs honour).
 * Nothing stops a process from reaching another instance or VPC there.
 *
 * Teardown (terminate, close, reset) kills the user data's process group and, in netns mode,
 * deletes the namespace (which kills every process left inside). After a restart the
 * Dataplane's sweep has removed everything and the first pass boots instances again: user data
 * runs again, like a reboot.
 */
import { createServer, type IncomingMessage, type Server as HttpServer } from 'node:http';
import type { Server as NetServer } from 'node:net';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseCidr } from '../../control/cidr.js';
import type { ConsoleOutput } from '../../control/ports.js';
import type { Stored } from '../../store/store.js';
import type { DataplaneContext, Reconciler } from '../context.js';
import { instanceNamespace, linkName } from '../netns/naming.js';
import { openInNamespace } from '../netns/ns-sockets.js';
import { deleteNamespace, ipBatch } from '../netns/commands.js';
import { IMDS_IP, VPC_BRIDGE, routerAddress } from '../vpc/vpc-reconciler.js';
import { ConsoleBuffer } from './console-buffer.js';
import { ImdsTokens, imdsHandler, type ImdsFacts } from './imds.js';
import { decodeStoredUserData, killProcessGroup, startUserData, type UserDataRun } from './user-data.js';

/** Loopback addresses of instances: 127.100.0.0/16 (other loopback users stay out of it). */
const LOOPBACK_BASE = [127, 100] as const;

interface ActualInstance {
  id: string;
  vpcId: string;
  privateIp: string;
  namespace: string | undefined;
  bindIp: string;
  userData: UserDataRun | undefined;
  /** loopback: this instance's own IMDS server. */
  imds: HttpServer | undefined;
  imdsEndpoint: string | undefined;
}

interface VpcImds {
  net: NetServer;
  http: HttpServer;
}

const LIVE = new Set(['pending', 'running']);

function closeHttp(s: HttpServer | NetServer | undefined): Promise<void> {
  if (!s) return Promise.resolve();
  return new Promise((resolve) => {
    if ('closeAllConnections' in s) s.closeAllConnections();
    s.close(() => resolve());
  });
}

function remoteIp(req: IncomingMessage): string {
  return (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
}

/** Kills user-data processes a crashed loopback run left behind (pid files under runDir). */
export async function sweepLoopbackProcesses(runDir: string): Promise<number> {
  const dir = join(runDir, 'pids');
  let killed = 0;
  let files: string[];
  try {
    files = await readdir(dir);
  } catch {
    return 0;
  }
  for (const id of files) {
    try {
      const pid = Number((await readFile(join(dir, id), 'utf8')).trim());
      if (!Number.isInteger(pid) || pid <= 1) continue;
      // Only if that pid still runs our instance's script (pids get reused).
      const env = await readFile(`/proc/${pid}/environ`, 'utf8').catch(() => '');
      if (!env.split('\0').includes(`PRIVLINK_INSTANCE_ID=${id}`)) continue;
      process.kill(-pid, 'SIGKILL');
      killed++;
    } catch {
      // gone already
    }
  }
  return killed;
}

export class InstanceReconciler implements Reconciler {
  readonly name = 'instances';
  private readonly actual = new Map<string, ActualInstance>();
  private readonly consoles = new Map<string, ConsoleBuffer>();
  private readonly vpcImds = new Map<string, VpcImds>();
  private readonly loopbackIps = new Map<string, string>();
  private nextLoopback = 1;
  private readonly tokens: ImdsTokens;

  constructor(private readonly ctx: DataplaneContext) {
    this.tokens = new ImdsTokens(ctx);
  }

  /** The console buffer of an instance (the Dataplane's console port). */
  consoleOutputOf(id: string): ConsoleOutput | undefined {
    const c = this.consoles.get(id);
    return c ? { text: c.text(), timestamp: c.timestamp } : undefined;
  }

  private get log() {
    return this.ctx.logger;
  }

  async reconcile(): Promise<void> {
    const { store, vpcs } = this.ctx;
    const all = store.listAll('instance');
    const desired = new Map(
      all.filter((i) => LIVE.has(i.state) && vpcs.isReady(i.vpcId)).map((i) => [i.id, i] as const),
    );
    const errors: string[] = [];
    for (const [id, a] of [...this.actual]) {
      const want = desired.get(id);
      if (!want || want.privateIpAddress !== a.privateIp || !this.sameVpcNetwork(a)) {
        await this.teardown(a).catch((e: unknown) => errors.push(`${id}: ${String(e)}`));
      }
    }
    for (const [id, inst] of desired) {
      if (this.actual.has(id)) continue;
      try {
        await this.boot(inst);
      } catch (e) {
        errors.push(`${id}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    await this.syncVpcImds(new Set([...desired.values()].map((i) => i.vpcId))).catch((e: unknown) =>
      errors.push(`imds: ${String(e)}`),
    );
    // Console output stays readable while the instance is describable (terminated included).
    const known = new Set(all.map((i) => i.id));
    for (const id of [...this.consoles.keys()]) if (!known.has(id)) this.consoles.delete(id);
    if (errors.length) throw new Error(errors.join('; '));
  }

  /** False when the VPC namespace was rebuilt under a running instance (its veth is gone). */
  private sameVpcNetwork(a: ActualInstance): boolean {
    if (this.ctx.mode !== 'netns') return true;
    return this.ctx.vpcs.namespaceOf(a.vpcId) !== undefined;
  }

  private instanceDir(id: string): string {
    return join(this.ctx.runDir, 'instances', id);
  }

  private loopbackIp(id: string): string {
    let ip = this.loopbackIps.get(id);
    if (!ip) {
      const n = this.nextLoopback++;
      ip = `${LOOPBACK_BASE[0]}.${LOOPBACK_BASE[1]}.${(n >> 8) & 255}.${n & 255}`;
      this.loopbackIps.set(id, ip);
      this.ctx.hostAddresses.set(id, ip);
    }
    return ip;
  }

  private async boot(inst: Stored<'instance'>): Promise<void> {
    const netns = this.ctx.mode === 'netns';
    const subnet = this.ctx.store.find('subnet', inst.subnetId);
    if (!subnet) throw new Error(`subnet ${inst.subnetId} of ${inst.id} is gone`);
    const consoleBuf = this.consoles.get(inst.id) ?? new ConsoleBuffer(() => this.ctx.clock.now());
    this.consoles.set(inst.id, consoleBuf);
    const a: ActualInstance = {
      id: inst.id,
      vpcId: inst.vpcId,
      privateIp: inst.privateIpAddress,
      namespace: undefined,
      bindIp: netns ? inst.privateIpAddress : this.loopbackIp(inst.id),
      userData: undefined,
      imds: undefined,
      imdsEndpoint: undefined,
    };
    this.actual.set(inst.id, a);
    try {
      if (netns) await this.plumb(inst, subnet.cidrBlock, a);
      else await this.startLoopbackImds(a);
      consoleBuf.write(
        `privlink: ${inst.id} booting in ${netns ? `namespace ${a.namespace ?? ''}` : 'loopback mode (not isolated)'}; ` +
          `private IP ${inst.privateIpAddress}${netns ? '' : `, bind IP ${a.bindIp}`}\n`,
      );
      await this.runUserData(inst, a, consoleBuf);
    } catch (e) {
      await this.teardown(a).catch(() => undefined);
      throw e;
    }
  }

  private async plumb(inst: Stored<'instance'>, subnetCidr: string, a: ActualInstance): Promise<void> {
    const vpcNs = this.ctx.vpcs.namespaceOf(inst.vpcId);
    const vpc = this.ctx.vpcs.get(inst.vpcId);
    if (!vpcNs || !vpc) throw new Error(`VPC network ${inst.vpcId} is not ready`);
    const ns = instanceNamespace(this.ctx.prefix, inst.id);
    const port = linkName('vi', inst.id);
    const eni = this.ctx.store.find('networkInterface', inst.networkInterfaceId);
    const len = parseCidr(subnetCidr).prefix;
    const router = routerAddress(subnetCidr).split('/')[0] ?? '';
    await deleteNamespace(this.ctx.runner, ns);
    await this.ctx.runner.run(['ip', 'netns', 'add', ns]);
    a.namespace = ns;
    const etc = join('/etc/netns', ns);
    await mkdir(etc, { recursive: true });
    const host = `ip-${inst.privateIpAddress.replace(/\./g, '-')}`;
    await writeFile(join(etc, 'resolv.conf'), `nameserver ${vpc.resolverIp}\noptions timeout:2 attempts:2\n`);
    await writeFile(
      join(etc, 'hosts'),
      `127.0.0.1 localhost\n${inst.privateIpAddress} ${host}.ec2.internal ${host}\n`,
    );
    await this.ctx.runner.run([
      'ip',
      'link',
      'add',
      'eth0',
      'netns',
      ns,
      'type',
      'veth',
      'peer',
      'name',
      port,
      'netns',
      vpcNs,
    ]);
    await ipBatch(this.ctx.runner, [`link set ${port} master ${VPC_BRIDGE}`, `link set ${port} up`], vpcNs);
    await ipBatch(
      this.ctx.runner,
      [
        'link set lo up',
        ...(eni ? [`link set eth0 address ${eni.macAddress}`] : []),
        `addr add ${inst.privateIpAddress}/${len} dev eth0`,
        'link set eth0 up',
        `route add default via ${router} dev eth0`,
      ],
      ns,
    );
  }

  private async startLoopbackImds(a: ActualInstance): Promise<void> {
    const server = createServer(
      imdsHandler({ tokens: this.tokens, identify: () => this.facts(a.id, undefined) }),
    );
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, a.bindIp, () => resolve());
    });
    const addr = server.address();
    a.imds = server;
    a.imdsEndpoint = typeof addr === 'object' && addr ? `http://${a.bindIp}:${addr.port}` : undefined;
  }

  private async runUserData(
    inst: Stored<'instance'>,
    a: ActualInstance,
    consoleBuf: ConsoleBuffer,
  ): Promise<void> {
    const script = decodeStoredUserData(inst.userData);
    if (!script) return;
    const dir = this.instanceDir(inst.id);
    const env: Record<string, string> = {
      PATH: process.env['PATH'] ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      HOME: process.env['HOME'] ?? '/root',
      LANG: 'C.UTF-8',
      PRIVLINK_INSTANCE_ID: inst.id,
      PRIVLINK_PRIVATE_IP: a.bindIp,
      PRIVLINK_BIND_IP: a.bindIp,
      PRIVLINK_VPC_ID: inst.vpcId,
      PRIVLINK_SUBNET_ID: inst.subnetId,
      PRIVLINK_REGION: inst.region,
      PRIVLINK_AVAILABILITY_ZONE: inst.availabilityZone,
      ...(a.imdsEndpoint ? { AWS_EC2_METADATA_SERVICE_ENDPOINT: a.imdsEndpoint } : {}),
    };
    const prefix = a.namespace ? ['ip', 'netns', 'exec', a.namespace] : [];
    consoleBuf.write(`privlink: running user data (${script.length} bytes)\n`);
    const started = await startUserData({
      runner: this.ctx.runner,
      script,
      dir,
      prefix,
      env,
      console: consoleBuf,
    });
    if (!started) return;
    a.userData = started;
    if (!a.namespace && started.child.pid !== undefined) {
      const pids = join(this.ctx.runDir, 'pids');
      await mkdir(pids, { recursive: true });
      await writeFile(join(pids, inst.id), String(started.child.pid));
    }
    void started.exited.then((code) => {
      if (this.actual.get(inst.id) === a) consoleBuf.write(`privlink: user data finished (exit ${code})\n`);
    });
  }

  /** What IMDS answers for an instance, read fresh from the store. */
  private facts(
    instanceId: string | undefined,
    byIp: { vpcId: string; ip: string } | undefined,
  ): ImdsFacts | undefined {
    const { store } = this.ctx;
    const inst = instanceId
      ? store.find('instance', instanceId)
      : store
          .listAll('instance')
          .find((i) => i.vpcId === byIp?.vpcId && i.privateIpAddress === byIp.ip && LIVE.has(i.state));
    if (!inst || !LIVE.has(inst.state)) return undefined;
    const subnet = store.find('subnet', inst.subnetId);
    const vpc = store.find('vpc', inst.vpcId);
    return {
      instance: inst,
      eni: store.find('networkInterface', inst.networkInterfaceId),
      subnetCidr: subnet?.cidrBlock ?? '',
      vpcCidr: vpc?.cidrBlock ?? '',
      zoneId: subnet?.availabilityZoneId ?? '',
      groupNames: inst.securityGroupIds.map((g) => store.find('securityGroup', g)?.groupName ?? g),
      userData: decodeStoredUserData(inst.userData),
    };
  }

  /** netns: one IMDS server per VPC that has instances. */
  private async syncVpcImds(vpcIds: Set<string>): Promise<void> {
    if (this.ctx.mode !== 'netns') return;
    for (const [vpcId, s] of [...this.vpcImds]) {
      if (!vpcIds.has(vpcId) || !this.ctx.vpcs.isReady(vpcId)) {
        this.vpcImds.delete(vpcId);
        await closeHttp(s.http);
        await closeHttp(s.net);
      }
    }
    for (const vpcId of vpcIds) {
      if (this.vpcImds.has(vpcId)) continue;
      const ns = this.ctx.vpcs.namespaceOf(vpcId);
      if (!ns) continue;
      const [sock] = await openInNamespace(this.ctx.runner, ns, [{ type: 'tcp', host: IMDS_IP, port: 80 }]);
      if (!sock || sock.type !== 'tcp') throw new Error(`IMDS socket in ${ns} missing`);
      const http = createServer(
        imdsHandler({
          tokens: this.tokens,
          identify: (req) => this.facts(undefined, { vpcId, ip: remoteIp(req) }),
        }),
      );
      sock.server.on('connection', (c) => http.emit('connection', c));
      this.vpcImds.set(vpcId, { net: sock.server, http });
    }
  }

  private async teardown(a: ActualInstance): Promise<void> {
    this.actual.delete(a.id);
    killProcessGroup(a.userData);
    await closeHttp(a.imds);
    if (a.namespace) {
      await deleteNamespace(this.ctx.runner, a.namespace);
      await rm(join('/etc/netns', a.namespace), { recursive: true, force: true });
    }
    await rm(this.instanceDir(a.id), { recursive: true, force: true });
    await rm(join(this.ctx.runDir, 'pids', a.id), { force: true });
    this.consoles.get(a.id)?.write(`privlink: ${a.id} stopped\n`);
  }

  async close(): Promise<void> {
    for (const a of [...this.actual.values()]) {
      await this.teardown(a).catch((e: unknown) =>
        this.log.warn(`stopping ${a.id} failed`, { error: String(e) }),
      );
    }
    for (const [vpcId, s] of [...this.vpcImds]) {
      this.vpcImds.delete(vpcId);
      await closeHttp(s.http);
      await closeHttp(s.net);
    }
  }

  describe(): Record<string, unknown> {
    const instances: Record<string, unknown> = {};
    for (const a of this.actual.values()) {
      instances[a.id] = {
        namespace: a.namespace,
        privateIp: a.privateIp,
        bindIp: a.bindIp,
        vpcId: a.vpcId,
        ...(a.imdsEndpoint ? { imds: a.imdsEndpoint } : {}),
        userData: a.userData ? (a.userData.child.exitCode ?? 'running') : 'none',
      };
    }
    return {
      namespaces: [...this.actual.values()].filter((a) => a.namespace).length,
      imdsServers: this.vpcImds.size,
      instances,
    };
  }
}
