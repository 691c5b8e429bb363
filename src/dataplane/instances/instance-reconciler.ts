/**
 * Instances in the data plane: `desiredInstances(store)` (pure) says which instances should run
 * (state pending or running, VPC network ready) and which root volumes to keep (every instance
 * not terminated); the InstanceReconciler applies that.
 *
 * netns mode: one namespace per instance (`instanceNamespace`), veth `eth0` ↔ a port on the
 * VPC's `br0`, the ENI's MAC and private IP, default route via the subnet router,
 * `/etc/netns/<ns>/resolv.conf` → the VPC resolver (base+2) and `/etc/netns/<ns>/hosts`. In it
 * runs the instance's sandbox (runc, see sandbox-spec.ts and root-volume.ts): own root volume,
 * PID/UTS/IPC/mount namespaces, cgroup limits of its type; user data runs on the launch boot
 * only (`boots` = 0), per-boot scripts on every boot. A change of `boots` (StartInstances,
 * RebootInstances), of the type or the image restarts the sandbox. A `poweroff` or `reboot`
 * inside, or its init dying, is reported to the control plane (instanceInitiatedShutdown). One IMDS HTTP server per VPC listens on 169.254.169.254:80 inside
 * the VPC namespace (socket bound there, served by this process) and tells instances apart by
 * source address.
 *
 * loopback mode (no isolation!): user data runs as a host process; each instance gets its own
 * 127.100.x.y address (PRIVLINK_BIND_IP / PRIVLINK_PRIVATE_IP) to listen on, and its own IMDS
 * on that address at a free port (AWS_EC2_METADATA_SERVICE_ENDPOINT, which AWS SDKs honour).
 * Nothing stops a process from reaching another instance or VPC there.
 *
 * Teardown (stop, terminate, close, reset) removes the sandbox, unmounts its root and deletes
 * the namespace. After a restart of privlink the first pass sweeps containers and mounts left by
 * a killed run and boots the instances again on their kept volumes; an instance still in its
 * launch boot (never stopped or rebooted) replays that boot, user data included — privlink cannot
 * keep processes alive across its own restart, so it restores what was running.
 */
import { createServer, type IncomingMessage, type Server as HttpServer } from 'node:http';
import type { Server as NetServer } from 'node:net';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { parseCidr } from '../../control/cidr.js';
import {
  instanceFailedToStart,
  instanceInitiatedReboot,
  instanceInitiatedShutdown,
} from '../../control/instances/instances.js';
import type { ConsoleOutput, MachineStatus } from '../../control/ports.js';
import { launchImage } from '../../control/images/images.js';
import type { Stored } from '../../store/store.js';
import type { DataplaneContext, Reconciler } from '../context.js';
import { instanceNamespace, linkName } from '../netns/naming.js';
import { openInNamespace } from '../netns/ns-sockets.js';
import { deleteNamespace, ipBatch } from '../netns/commands.js';
import { IMDS_IP, VPC_BRIDGE, routerAddress } from '../vpc/vpc-reconciler.js';
import { ConsoleBuffer } from './console-buffer.js';
import { ImdsTokens, imdsHandler, type ImdsFacts } from './imds.js';
import { decodeStoredUserData, killProcessGroup, startUserData, type UserDataRun } from './user-data.js';
import { BOOT_SCRIPT, hostsFile, resolvConf } from './boot-files.js';
import { ec2Hostname } from './hostname.js';
import { limitsOf } from './instance-types.js';
import {
  ImageMissingError,
  buildMask,
  isDiskFull,
  deleteVolume,
  ensureMasksFs,
  unmountMasksFs,
  mountRoot,
  mountsUnder,
  unmountRoot,
  volumePaths,
  type ImageRoot,
} from './root-volume.js';
import { CA_BUNDLE_PATH, sandboxSpec } from './sandbox-spec.js';
import { closeExecSocket, serveExecSocket, type ExecTarget } from './exec-socket.js';
import {
  Runc,
  cgroupFlavour,
  checkRuntimeInstalled,
  sandboxRunner,
  runcRoot,
  type Runner,
} from './sandbox-runtime.js';

/** Loopback addresses of instances: 127.100.0.0/16 (other loopback users stay out of it). */
const LOOPBACK_BASE = [127, 100] as const;

interface ActualInstance {
  id: string;
  vpcId: string;
  privateIp: string;
  /** What a change of restarts the sandbox: boots, type, image. */
  bootKey: string;
  /** netns: the runc container, while it runs. */
  container: string | undefined;
  /** The boot script has run to its end in this boot (the console said so). */
  booted: boolean;
  /** Set when privlink itself takes the sandbox down (its end is then not the instance's doing). */
  stopping: boolean;
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
/** Instances whose root volume is kept (deleted on terminate). */
const KEEP_VOLUME = new Set(['pending', 'running', 'stopping', 'stopped']);

export interface DesiredInstances {
  /** Instances whose sandbox should run, by ID. */
  up: Map<string, Stored<'instance'>>;
  /** Instances whose root volume must be kept. */
  volumes: Set<string>;
}

/** Pure: what should exist for these instances, given which VPC networks are ready. */
export function desiredInstances(
  all: readonly Stored<'instance'>[],
  vpcReady: (vpcId: string) => boolean,
): DesiredInstances {
  return {
    up: new Map(all.filter((i) => LIVE.has(i.state) && vpcReady(i.vpcId)).map((i) => [i.id, i] as const)),
    volumes: new Set(all.filter((i) => KEEP_VOLUME.has(i.state)).map((i) => i.id)),
  };
}

export function bootKeyOf(i: Stored<'instance'>): string {
  return `${i.boots ?? 0}/${i.instanceType}/${i.imageId}`;
}

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
  private readonly runc: Runc | undefined;
  private readonly initBinary: string;
  private swept = false;
  private execSocket: HttpServer | undefined;
  /** Where root volumes live: `<data dir>/volumes`, or next to the run dir of an ephemeral run. */
  private readonly volumesDir: string;
  private readonly masksDir: string;
  /** Each image's mask layer, built once per run and image (the host's hide list is fixed). */
  private readonly masksBuilt = new Map<string, Promise<void>>();
  private readonly dataDir: string | undefined;
  private readonly ephemeral: boolean;
  private runtimeVersion = '';

  private readonly runner: Runner;

  constructor(private readonly ctx: DataplaneContext) {
    this.runner = sandboxRunner(ctx.runner);
    this.tokens = new ImdsTokens(ctx);
    // The Dataplane puts the run dir at <data dir>/run, or in the temp dir for --ephemeral.
    this.ephemeral = basename(ctx.runDir) !== 'run';
    this.dataDir = this.ephemeral ? undefined : dirname(ctx.runDir);
    this.volumesDir = this.ephemeral ? `${ctx.runDir}-volumes` : join(dirname(ctx.runDir), 'volumes');
    this.masksDir = `${runcRoot(ctx.prefix)}-masks`;
    if (ctx.mode === 'netns') {
      const found = checkRuntimeInstalled();
      this.runc = new Runc(this.runner, runcRoot(ctx.prefix), found.runc);
      this.initBinary = found.init;
    } else {
      this.runc = undefined;
      this.initBinary = '';
      ctx.logger.warn(
        'loopback mode: instances run as host processes without a sandbox (no own root filesystem, ' +
          'process table or limits); run privlink serve as root for sandboxed instances',
      );
    }
  }

  /**
   * Where the reconciler records what it observes of an instance (it powered off, rebooted or
   * could not start): the control plane's named instance transitions, in their own transaction.
   */
  private get observed() {
    return { store: this.ctx.store, clock: this.ctx.clock, config: this.ctx.instanceTiming };
  }

  /** The ConsoleOutputSource port: what an instance's console holds. */
  consoleOutputOf(instanceId: string): ConsoleOutput | undefined {
    const c = this.consoles.get(instanceId);
    return c ? { text: c.text(), timestamp: c.timestamp } : undefined;
  }

  /**
   * The MachineStatus port: netns mode reads the sandbox (namespace plumbed, init through its
   * boot script and alive); loopback mode has no init to watch, a started instance is ok.
   */
  machineStatusOf(instanceId: string): MachineStatus {
    const a = this.actual.get(instanceId);
    if (!a) return { system: 'initializing', instance: 'initializing' };
    if (this.ctx.mode !== 'netns') return { system: 'ok', instance: 'ok' };
    const system = a.namespace ? 'ok' : 'initializing';
    if (a.booted && a.container) return { system, instance: 'ok' };
    if (a.container || !a.booted) return { system, instance: 'initializing' };
    return { system, instance: 'impaired' };
  }

  /** Removes containers and root mounts a killed privlink left behind (first pass only). */
  private async sweepSandboxes(): Promise<void> {
    if (this.swept) return;
    this.swept = true;
    if (typeof process.getuid === 'function' && process.getuid() === 0) {
      this.execSocket = await serveExecSocket(this.ctx.prefix, (id) => this.execTarget(id));
    }
    if (!this.runc) return;
    this.runtimeVersion = await this.runc.version();
    for (const id of await this.runc.list()) {
      if (id.startsWith(this.ctx.prefix + '-')) await this.runc.remove(id);
    }
    for (const m of (await mountsUnder(this.volumesDir)).reverse()) {
      await this.runner.run(['umount', '-l', m]).catch(() => undefined);
    }
    await ensureMasksFs(this.runner, this.masksDir);
  }

  private get log() {
    return this.ctx.logger;
  }

  /**
   * Boots and restarts. Instances that should no longer run are left up here and taken down by
   * `reconcileStops`, which the data plane runs after the NLB nodes are reprogrammed: a stopping
   * instance's target then gets no new flows before its sandbox goes.
   */
  async reconcile(): Promise<void> {
    const { store, vpcs } = this.ctx;
    await this.sweepSandboxes();
    const all = store.listAll('instance');
    const desired = desiredInstances(all, (id) => vpcs.isReady(id)).up;
    const errors: string[] = [];
    // An address a new instance takes over must be free first (a terminated one's, reused).
    const claimed = new Set([...desired.values()].map((i) => `${i.vpcId}/${i.privateIpAddress}`));
    for (const [id, a] of [...this.actual]) {
      const want = desired.get(id);
      const restart =
        want &&
        (want.privateIpAddress !== a.privateIp || bootKeyOf(want) !== a.bootKey || !this.sameVpcNetwork(a));
      if (restart || (!want && claimed.has(`${a.vpcId}/${a.privateIp}`))) {
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

  /** Stops: tears down sandboxes of instances that should not run, then drops unkept volumes. */
  async reconcileStops(): Promise<void> {
    const { store, vpcs } = this.ctx;
    const want = desiredInstances(store.listAll('instance'), (id) => vpcs.isReady(id));
    const errors: string[] = [];
    for (const [id, a] of [...this.actual]) {
      if (want.up.has(id)) continue;
      await this.teardown(a).catch((e: unknown) => errors.push(`${id}: ${String(e)}`));
    }
    await this.dropVolumes(want.volumes).catch((e: unknown) => errors.push(`volumes: ${String(e)}`));
    if (errors.length) throw new Error(errors.join('; '));
  }

  /** The data plane's step that runs `reconcileStops` (after the NLB step). */
  readonly stopStep: Reconciler = {
    name: 'instance-stops',
    reconcile: () => this.reconcileStops(),
    close: () => Promise.resolve(),
  };

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
      bootKey: bootKeyOf(inst),
      container: undefined,
      booted: false,
      stopping: false,
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
      if (netns) await this.startSandbox(inst, a, consoleBuf);
      else await this.runUserData(inst, a, consoleBuf);
    } catch (e) {
      await this.teardown(a).catch(() => undefined);
      if (e instanceof ImageMissingError) {
        consoleBuf.write(`privlink: cannot start: ${e.message}\n`);
        instanceFailedToStart(this.observed, inst.id, `${e.message} (image ${inst.imageId})`);
        return;
      }
      // Retrying would not free the disk; the instance stops with the reason, others carry on.
      if (isDiskFull(e)) {
        const why = `no space left on device for the root volume of ${inst.id}`;
        consoleBuf.write(`privlink: cannot start: ${why}: ${e instanceof Error ? e.message : String(e)}\n`);
        this.log.warn(`instance ${inst.id} failed to start: ${why}`, { error: String(e) });
        instanceFailedToStart(this.observed, inst.id, why);
        return;
      }
      throw e;
    }
  }

  /**
   * The image's root: the host's root for the host image, the registered directory otherwise.
   * An image no longer registered, or whose directory is gone, fails this boot only.
   */
  private async imageRoot(imageId: string): Promise<ImageRoot> {
    const img = launchImage({ store: this.ctx.store }, imageId);
    if (!img) throw new ImageMissingError('', 'the image is not registered');
    if (img.path === undefined) {
      const hide = [this.ctx.runDir, this.volumesDir, ...(this.dataDir ? [this.dataDir] : [])];
      return { kind: 'host', hide };
    }
    const st = await stat(img.path).catch(() => undefined);
    if (!st?.isDirectory()) throw new ImageMissingError(img.path);
    return { kind: 'dir', path: img.path };
  }

  private async startSandbox(
    inst: Stored<'instance'>,
    a: ActualInstance,
    consoleBuf: ConsoleBuffer,
  ): Promise<void> {
    const runc = this.runc;
    const ns = a.namespace;
    const vpc = this.ctx.vpcs.get(inst.vpcId);
    if (!runc || !ns || !vpc) throw new Error(`no sandbox runtime for ${inst.id}`);
    const dir = this.instanceDir(inst.id);
    const bootDir = join(dir, 'boot');
    const ctlDir = join(dir, 'ctl');
    const bundle = join(dir, 'bundle');
    await rm(dir, { recursive: true, force: true });
    for (const d of [bootDir, ctlDir, bundle]) await mkdir(d, { recursive: true, mode: 0o755 });
    const hostname = ec2Hostname(inst.privateIpAddress, inst.region);
    // Mount points for the binds nested under the read-only /run/privlink.
    await mkdir(join(bootDir, 'ctl'));
    await writeFile(join(bootDir, 'init'), '');
    await writeFile(join(bootDir, 'boot'), BOOT_SCRIPT);
    await writeFile(join(bootDir, 'resolv.conf'), resolvConf(vpc.resolverIp));
    await writeFile(join(bootDir, 'hosts'), hostsFile(inst.privateIpAddress, hostname));
    await writeFile(join(bootDir, 'hostname'), `${hostname}\n`);
    const script = decodeStoredUserData(inst.userData);
    if (script && (inst.boots ?? 0) === 0) {
      const head = script.subarray(0, 64).toString('utf8');
      if (/^#cloud-config|^Content-Type: multipart|^#include|^#cloud-boothook/.test(head)) {
        consoleBuf.write(
          `privlink: user data format not supported (${head.split('\n')[0] ?? ''}); not run\n`,
        );
      } else {
        await writeFile(join(bootDir, 'user-data'), script, { mode: 0o700 });
      }
    }
    const image = await this.imageRoot(inst.imageId);
    const vol = volumePaths(
      this.volumesDir,
      this.masksDir,
      inst.id,
      image.kind === 'host' ? 'host' : inst.imageId,
    );
    // Not recursive for the volume itself: Node's recursive mkdir reports a full filesystem as
    // ENOENT, and a full disk must be told apart (it fails this instance, see boot()).
    await mkdir(this.volumesDir, { recursive: true, mode: 0o700 });
    await mkdir(vol.dir, { mode: 0o700 }).catch((e: unknown) => {
      if ((e as { code?: unknown }).code !== 'EEXIST') throw e;
    });
    let built = this.masksBuilt.get(vol.mask);
    if (!built) {
      built = buildMask(this.runner, vol.mask, image);
      this.masksBuilt.set(vol.mask, built);
    }
    await built.catch((e: unknown) => {
      this.masksBuilt.delete(vol.mask);
      throw e;
    });
    await mountRoot(this.runner, vol, image);
    const spec = sandboxSpec({
      hostname,
      netnsPath: `/run/netns/${ns}`,
      rootfs: vol.merged,
      bootDir,
      ctlDir,
      initBinary: this.initBinary,
      env: this.instanceEnv(inst, a),
      ...(this.ctx.caBundle ? { caBundle: this.ctx.caBundle } : {}),
      limits: limitsOf(inst.instanceType),
      cgroupsPath: `/privlink-${this.ctx.prefix}/${inst.id}`,
    });
    await writeFile(join(bundle, 'config.json'), JSON.stringify(spec));
    const container = `${this.ctx.prefix}-${inst.id}`;
    await runc.remove(container);
    const child = runc.start(container, bundle);
    let runcErr = '';
    child.stdout?.on('data', (d: Buffer) => {
      consoleBuf.write(d);
      if (!a.booted && d.includes('privlink: boot finished')) a.booted = true;
    });
    child.stderr?.on('data', (d: Buffer) => {
      consoleBuf.write(d);
      if (runcErr.length < 2000) runcErr += d.toString();
    });
    let ended = 0;
    const onEnd = () => {
      if (++ended === 2) void this.sandboxEnded(a, ctlDir);
    };
    child.stdout?.on('end', onEnd);
    child.stderr?.on('end', onEnd);
    const code = await new Promise<number>((resolve) => {
      child.on('error', () => resolve(127));
      child.on('exit', (c) => resolve(c ?? 1));
    });
    if (code !== 0) throw new Error(`runc could not start ${inst.id} (exit ${code}): ${runcErr.trim()}`);
    a.container = container;
  }

  private instanceEnv(inst: Stored<'instance'>, a: ActualInstance): Record<string, string> {
    return {
      PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      HOME: '/root',
      LANG: 'C.UTF-8',
      PRIVLINK_INSTANCE_ID: inst.id,
      PRIVLINK_PRIVATE_IP: a.bindIp,
      PRIVLINK_BIND_IP: a.bindIp,
      PRIVLINK_VPC_ID: inst.vpcId,
      PRIVLINK_SUBNET_ID: inst.subnetId,
      PRIVLINK_REGION: inst.region,
      PRIVLINK_AVAILABILITY_ZONE: inst.availabilityZone,
      // SDKs and the CLI trust privlink's CA for the AWS services served through endpoints, and
      // use the regional STS name (the one an sts endpoint's private DNS answers).
      ...(this.ctx.caBundle ? { AWS_CA_BUNDLE: CA_BUNDLE_PATH } : {}),
      AWS_STS_REGIONAL_ENDPOINTS: 'regional',
      AWS_S3_US_EAST_1_REGIONAL_ENDPOINT: 'regional',
      // Default request checksums (aws-chunked trailers) are what S3-compatible servers lack most.
      AWS_REQUEST_CHECKSUM_CALCULATION: 'when_required',
    };
  }

  /** The sandbox's PID 1 is gone: a shutdown or reboot request from inside, or a crash. */
  private async sandboxEnded(a: ActualInstance, ctlDir: string): Promise<void> {
    if (a.stopping || this.actual.get(a.id) !== a) return;
    a.container = undefined;
    const request = (await readFile(join(ctlDir, 'request'), 'utf8').catch(() => '')).trim();
    this.consoles.get(a.id)?.write(`privlink: ${a.id} init exited (${request || 'no shutdown request'})\n`);
    if (request === 'reboot') instanceInitiatedReboot(this.observed, a.id);
    else instanceInitiatedShutdown(this.observed, a.id, request !== 'poweroff');
  }

  /** Deletes root volumes no instance keeps (terminated, purged, or a reset store). */
  private async dropVolumes(keep: Set<string>): Promise<void> {
    let ids: string[];
    try {
      ids = await readdir(this.volumesDir);
    } catch {
      return;
    }
    for (const id of ids) {
      if (keep.has(id) || this.actual.has(id)) continue;
      await deleteVolume(this.runner, volumePaths(this.volumesDir, this.masksDir, id));
    }
  }

  /** What `privlink exec` needs to enter a running instance (served on the exec socket). */
  execTarget(instanceId: string): ExecTarget | undefined {
    const a = this.actual.get(instanceId);
    if (!a) return undefined;
    if (this.ctx.mode === 'loopback') return { mode: 'loopback', bindIp: a.bindIp, imds: a.imdsEndpoint };
    if (!a.container || !this.runc) return undefined;
    return { mode: 'netns', container: a.container, runcRoot: this.runc.root };
  }

  /** argv running a command inside an instance's sandbox (exec), or undefined if it has none. */
  execArgv(instanceId: string, argv: readonly string[]): string[] | undefined {
    const a = this.actual.get(instanceId);
    if (!a?.container || !this.runc) return undefined;
    return this.runc.execArgv(a.container, { PRIVLINK_INSTANCE_ID: instanceId, TERM: 'dumb' }, argv);
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
    a.stopping = true;
    killProcessGroup(a.userData);
    if (this.runc) {
      await this.runc.remove(`${this.ctx.prefix}-${a.id}`);
      await unmountRoot(this.runner, volumePaths(this.volumesDir, this.masksDir, a.id));
    }
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
    await closeExecSocket(this.execSocket, this.ctx.prefix).catch(() => undefined);
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
    if (this.ephemeral) await rm(this.volumesDir, { recursive: true, force: true });
    if (this.runc) await unmountMasksFs(this.runner, this.masksDir).catch(() => undefined);
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
        ...(a.container ? { container: a.container } : {}),
        userData: a.userData ? (a.userData.child.exitCode ?? 'running') : 'none',
      };
    }
    return {
      sandbox: this.runc
        ? { runtime: this.runtimeVersion || 'runc', cgroups: cgroupFlavour(), volumes: this.volumesDir }
        : 'none: loopback mode runs instances as host processes (no own root filesystem, process table or limits)',
      namespaces: [...this.actual.values()].filter((a) => a.namespace).length,
      imdsServers: this.vpcImds.size,
      instances,
    };
  }
}
