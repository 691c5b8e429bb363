/**
 * Gateway Load Balancer traffic (netns mode): GWLB nodes and GWLB endpoints as namespaces, the
 * GENEVE encapsulation in tc-BPF (bpf/gwlb.c), its maps written through `bpftool batch`.
 *
 *   consumer VPC ns ──br0── c │ GWLBe ns │ u ════ (veth) ════ gu │ GWLB node ns │ p ──br0── provider VPC ns
 *                  ◄── g ──── r │        │                        gw_encap on gu ingress  gw_decap on p ingress
 *
 * A route to the endpoint brings a packet to leg c (the ENI's address); the endpoint namespace
 * forwards everything that arrives on c down u (only while the endpoint is `available`:
 * otherwise a blackhole); gw_encap wraps it in GENEVE from the node's IP to the flow's appliance.
 * What the appliance sends back is stripped by gw_decap and sent up u; the endpoint namespace
 * forwards it over r into the consumer VPC namespace, whose rule for r's peer `g-…` routes it
 * with the endpoint subnet's route table (as AWS routes traffic leaving a GWLB endpoint).
 *
 * Fidelity ledger (ELB user guide for GWLB: target failover, deregistration delay, health checks)
 * - Covered: GENEVE UDP 6081 from the node's IP with AWS's options (class 0x0108 types 1–3);
 *   symmetric 5-/3-/2-tuple stickiness; a flow idle for the listener's tcp.idle_timeout.seconds
 *   (TCP, default 350 s) or 120 s (other protocols) starts afresh; all registered appliances
 *   used when none is healthy (fail open); only `available` endpoints carry traffic; same-zone
 *   node first (cross-zone off); consumer and provider CIDRs may overlap; malformed GENEVE from
 *   an appliance is dropped and counted.
 * - Covered too: TCP/HTTP/HTTPS health checks of appliances from the node's IP (the group's
 *   port, interval, thresholds, path, matcher), shown by DescribeTargetHealth; a flip
 *   re-programs the node's slots at once. Target failover: with `no_rebalance` (default) an
 *   existing flow stays on its unhealthy appliance; with `rebalance` it is rehashed onto a
 *   healthy one (same flow cookie). Deregistration: no new flows at once, existing ones stay
 *   for `deregistration_delay.timeout_seconds`, then move (`on_deregistration` = rebalance) or
 *   are cut (their packets dropped and counted until the flow idles out).
 * - Inner MTU (link u): the provider VPC's MTU minus 68, at most 8,500 — 1432 with privlink's
 *   1500-byte VPCs; a bigger packet with DF gets "fragmentation needed" from the endpoint. It
 *   is read again on every pass. The ENI and node legs run at 9001 (AWS's VPC MTU).
 * - Gaps: IPv6; AWS's "TCP resets on target failover" option; whether AWS still forwards a
 *   no_rebalance flow after the deregistration delay is not documented (privlink cuts it).
 * - By design: loopback mode has no GWLB path.
 */
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import type { DataplaneContext, Reconciler } from '../context.js';
import { HealthChecker, type HealthTarget } from '../health/health-checker.js';
import type { ProbeResult, ProbeSpec } from '../health/probe.js';
import { eniNamespace, linkName, stableMac } from '../netns/naming.js';
import { deleteNamespace, ipBatch, nsExec } from '../netns/commands.js';
import { routerAddress } from '../vpc/vpc-network.js';
import { gwlbReturnLink } from '../routing/route-plan.js';
import type { TargetHealthReport, TargetHealthSource } from '../../control/health.js';
import { SerialQueue } from '../fabric/traffic.js';
import { compileBpfCommand, loadAllCommand } from '../bpf/bpf-object.js';
import {
  backEntry,
  desiredGwlbEndpoints,
  desiredGwlbNodes,
  endpointEntry,
  liveAppliances,
  liveDelete,
  liveEntry,
  slotEntry,
  slotTable,
  SLOTS,
  type GwlbEndpoint,
  type GwlbNode,
  innerMtu,
} from './gwlb-desired.js';

/** Links that carry a VPC's own packets (ENI legs, node leg): AWS's VPC MTU, never the limit. */
const VPC_LEG_MTU = 9001;

const GW = '169.254.0.1';

interface BuiltNode {
  ns: string;
  health: HealthChecker;
  /** The node's last wanted state (health changes re-program its slots from it). */
  want: GwlbNode;
  nodeIp: string;
  pIfindex: number;
  group: number;
  slots: string;
  /** Appliances in gw_live for this node's group, as last written. */
  live: Set<string>;
}

interface BuiltEndpoint {
  ns: string;
  nodeEniId: string;
  linkIfindex: number;
  carrying: boolean | undefined;
  /** The map entry as last written (stickiness changes rewrite it). */
  entry: string;
  /** MTU of u and gu (inner packets), following the provider VPC's MTU. */
  mtu: number;
}

export class GwlbReconciler implements Reconciler, TargetHealthSource {
  readonly name = 'gateway-load-balancers';
  private readonly nodes = new Map<string, BuiltNode>();
  private readonly eps = new Map<string, BuiltEndpoint>();
  private bpfDir: string | undefined;
  private nextGroup = 1;
  /** Passes, health flips and drain deadlines write the maps one at a time. */
  private readonly queue = new SerialQueue();
  /** One timer per draining appliance: when its delay ends its flows are cut or rehashed. */
  private readonly drainTimers = new Map<string, () => void>();
  stats = {
    encapsulated: 0,
    decapsulated: 0,
    mangled: 0,
    noAppliance: 0,
    unknownEndpoint: 0,
    cut: 0,
    rebalanced: 0,
  };

  constructor(private readonly ctx: DataplaneContext) {}

  private map(name: string): string {
    return join(this.bpfDir ?? '', 'm', name);
  }

  /** Mounts a private bpffs, builds the program and pins it with its maps (first use only). */
  private async ensureProgram(): Promise<void> {
    if (this.bpfDir) return;
    const { runner } = this.ctx;
    const dir = join(this.ctx.runDir, 'bpf');
    await mkdir(dir, { recursive: true });
    await runner.run(['mount', '-t', 'bpf', 'bpf', dir]);
    const src = fileURLToPath(new URL('./bpf/gwlb.c', import.meta.url));
    const obj = join(this.ctx.runDir, 'gwlb.o');
    await runner.run(compileBpfCommand(src, obj).argv);
    await runner.run(loadAllCommand(obj, dir).argv);
    this.bpfDir = dir;
  }

  /** MTU of a VPC's bridge: what the VPC carries (its ports' smallest MTU unless set). */
  private async bridgeMtu(vpcNs: string): Promise<number> {
    const { stdout } = await this.ctx.runner.run(['ip', '-n', vpcNs, '-j', 'link', 'show', 'dev', 'br0']);
    return (JSON.parse(stdout) as { mtu: number }[])[0]?.mtu ?? 1500;
  }

  private async ifindex(ns: string, dev: string): Promise<number> {
    const { stdout } = await this.ctx.runner.run(['ip', '-n', ns, '-j', 'link', 'show', 'dev', dev]);
    return (JSON.parse(stdout) as { ifindex: number }[])[0]?.ifindex ?? 0;
  }

  /**
   * What DescribeTargetHealth shows for an appliance: the checks of the first node that checks
   * it (every node checks every appliance of its group from its own IP).
   */
  healthOf(targetGroupArn: string, targetId: string, port: number): TargetHealthReport | undefined {
    for (const n of this.nodes.values()) {
      const r = n.health.healthOf(targetGroupArn, targetId, port);
      if (r) return r;
    }
    return undefined;
  }

  reconcile(): Promise<void> {
    return this.queue.run(() => this.converge());
  }

  private async converge(): Promise<void> {
    if (this.ctx.mode !== 'netns') return;
    const nodes = desiredGwlbNodes(this.ctx.store);
    const eps = desiredGwlbEndpoints(this.ctx.store, nodes);
    const errors: string[] = [];
    for (const id of [...this.eps.keys()]) {
      const want = eps.get(id);
      const have = this.eps.get(id);
      if (!want || !want.nodeEniId || want.nodeEniId !== have?.nodeEniId || !this.nodes.has(want.nodeEniId)) {
        await this.removeEndpoint(id).catch((e: unknown) => errors.push(String(e)));
      }
    }
    for (const id of [...this.nodes.keys()]) {
      if (!nodes.has(id)) await this.removeNode(id).catch((e: unknown) => errors.push(String(e)));
    }
    if (nodes.size === 0 && eps.size === 0) return;
    await this.ensureProgram();
    const batch: string[] = [];
    for (const [id, n] of nodes) {
      try {
        await this.syncNode(id, n, batch);
      } catch (e) {
        errors.push(`${id}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    for (const [id, e] of eps) {
      try {
        await this.syncEndpoint(id, e, nodes, batch);
      } catch (err) {
        errors.push(`${id}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    if (batch.length) await this.ctx.runner.run(['bpftool', 'batch', 'file', '-'], batch.join('\n') + '\n');
    // The maps carry every verdict reached so far: DescribeTargetHealth may show them.
    for (const b of this.nodes.values()) b.health.publish();
    this.scheduleDrains();
    await this.readStats().catch(() => undefined);
    if (errors.length) throw new Error(errors.join('; '));
  }

  private async syncNode(id: string, n: GwlbNode, batch: string[]): Promise<void> {
    const vpcNs = this.ctx.vpcs.namespaceOf(n.vpcId);
    const subnet = this.ctx.store.find('subnet', n.subnetId);
    if (!vpcNs || !subnet) return;
    let b = this.nodes.get(id);
    if (!b) {
      const ns = eniNamespace(this.ctx.prefix, id);
      const { runner } = this.ctx;
      await deleteNamespace(runner, ns);
      await runner.run(['ip', 'netns', 'add', ns]);
      const peer = linkName('gp', id);
      const prefix = subnet.cidrBlock.split('/')[1] ?? '24';
      await ipBatch(runner, [
        `link add p netns ${ns} address ${stableMac(`gwlb-node:${id}`)} mtu ${VPC_LEG_MTU} type veth peer name ${peer} mtu ${VPC_LEG_MTU}`,
      ]);
      await ipBatch(runner, [`link set ${peer} netns ${vpcNs}`]);
      await ipBatch(runner, [`link set ${peer} master br0`, `link set ${peer} up`], vpcNs);
      await ipBatch(
        runner,
        [
          'link set lo up',
          `addr add ${n.nodeIp}/${prefix} dev p`,
          'link set p up',
          `route add default via ${routerAddress(subnet.cidrBlock).split('/')[0] ?? ''}`,
        ],
        ns,
      );
      await runner.run(['tc', '-n', ns, 'qdisc', 'add', 'dev', 'p', 'clsact']);
      await runner.run([
        'tc',
        '-n',
        ns,
        'filter',
        'add',
        'dev',
        'p',
        'ingress',
        'bpf',
        'da',
        'pinned',
        join(this.bpfDir ?? '', 'p', 'gw_decap'),
      ]);
      const health = new HealthChecker({
        clock: this.ctx.clock,
        logger: this.ctx.logger.child('gwlb-health'),
        probe: (spec) => this.probe(ns, spec),
        onChange: () => void this.reprogram(id),
      });
      b = {
        ns,
        health,
        want: n,
        nodeIp: n.nodeIp,
        pIfindex: await this.ifindex(ns, 'p'),
        group: this.nextGroup++,
        slots: '',
        live: new Set(),
      };
      this.nodes.set(id, b);
    }
    b.want = n;
    const hc = n.healthCheck;
    const targets: HealthTarget[] =
      hc && hc.enabled
        ? n.appliances.map((a) => ({
            targetGroupArn: n.targetGroupArn ?? '',
            targetId: a.targetId,
            port: a.port,
            settings: { ...hc },
            probe: { host: a.ip, port: a.healthPort, localAddress: n.nodeIp, ppv2: false },
          }))
        : [];
    b.health.sync(targets);
    this.slotLines(b, batch);
  }

  /**
   * Slot entries when the node's healthy set changed (healthy appliances, else all: fail open),
   * then gw_live: which appliances keep their existing flows.
   */
  private slotLines(b: BuiltNode, batch: string[]): void {
    const n = b.want;
    const checked = n.healthCheck?.enabled === true;
    const ips = n.appliances.map((a) => a.ip);
    const healthy = new Set(
      n.appliances
        .filter((a) => !checked || b.health.isHealthy(n.targetGroupArn ?? '', a.targetId, a.port))
        .map((a) => a.ip),
    );
    const slots = slotTable(ips, healthy);
    const key = slots.join(',');
    // New slots first: a flow rehashed off an appliance must find the new table.
    if (key !== b.slots) {
      for (let i = 0; i < SLOTS; i++)
        batch.push(slotEntry(this.map('gw_slots'), b.group, i, slots[i] ?? '0.0.0.0'));
      b.slots = key;
    }
    const live = liveAppliances(n, slots, this.ctx.clock.now());
    for (const ip of live) if (!b.live.has(ip)) batch.push(liveEntry(this.map('gw_live'), b.group, ip));
    for (const ip of b.live) if (!live.has(ip)) batch.push(liveDelete(this.map('gw_live'), b.group, ip));
    b.live = live;
  }

  /**
   * Re-programs slots and gw_live outside a pass: a health flip (new flows avoid the appliance
   * at once; its existing ones move if on_unhealthy is rebalance) or a drain deadline (`nodeId`
   * undefined: every node).
   */
  private reprogram(nodeId?: string): Promise<void> {
    return this.queue.run(async () => {
      if (!this.bpfDir) return;
      const batch: string[] = [];
      const nodes = [...this.nodes.entries()].filter(([id]) => nodeId === undefined || id === nodeId);
      for (const [, b] of nodes) this.slotLines(b, batch);
      if (batch.length) {
        await this.ctx.runner
          .run(['bpftool', 'batch', 'file', '-'], batch.join('\n') + '\n')
          .then(() => undefined)
          .catch((e: unknown) => this.ctx.logger.warn('GWLB slots not updated', { error: String(e) }));
      }
      for (const [, b] of nodes) b.health.publish();
    });
  }

  /** A timer per draining appliance (and deadline); deadlines that left the store are dropped. */
  private scheduleDrains(): void {
    const now = this.ctx.clock.now();
    const seen = new Set<string>();
    for (const b of this.nodes.values()) {
      for (const d of b.want.draining) {
        const key = `${b.want.targetGroupArn ?? ''}|${d.ip}|${d.port}|${d.dueAt}`;
        if (d.dueAt <= now && !this.drainTimers.has(key)) continue; // over before we saw it
        seen.add(key);
        if (this.drainTimers.has(key)) continue;
        this.drainTimers.set(
          key,
          this.ctx.clock.setTimer(Math.max(0, d.dueAt - now), () => void this.reprogram()),
        );
      }
    }
    for (const [key, cancel] of this.drainTimers) {
      if (seen.has(key)) continue;
      cancel();
      this.drainTimers.delete(key);
    }
  }

  /** One health probe from the node's namespace (so its source is the node's IP). */
  private async probe(ns: string, spec: ProbeSpec): Promise<ProbeResult> {
    try {
      const { stdout } = await nsExec(
        this.ctx.runner,
        ns,
        [process.execPath, '-e', PROBE_JS, JSON.stringify(spec)],
        undefined,
        spec.timeoutMs + 3000,
      );
      return JSON.parse(stdout) as ProbeResult;
    } catch (e) {
      return { ok: false, reason: 'Target.FailedHealthChecks', description: String(e) };
    }
  }

  private async syncEndpoint(
    id: string,
    e: GwlbEndpoint,
    nodes: ReadonlyMap<string, GwlbNode>,
    batch: string[],
  ): Promise<void> {
    const node = e.nodeEniId ? nodes.get(e.nodeEniId) : undefined;
    const built = e.nodeEniId ? this.nodes.get(e.nodeEniId) : undefined;
    const vpcNs = this.ctx.vpcs.namespaceOf(e.vpcId);
    const subnet = this.ctx.store.find('subnet', e.subnetId);
    if (!node || !built || !e.nodeEniId || !vpcNs || !subnet) return;
    const { runner } = this.ctx;
    const providerNs = this.ctx.vpcs.namespaceOf(node.vpcId);
    const inner = innerMtu(providerNs ? await this.bridgeMtu(providerNs) : 1500);
    let b = this.eps.get(id);
    if (!b) {
      const ns = eniNamespace(this.ctx.prefix, e.eniId);
      await deleteNamespace(runner, ns);
      await runner.run(['ip', 'netns', 'add', ns]);
      const c = linkName('gc', e.eniId);
      const g = gwlbReturnLink(e.eniId);
      const gu = linkName('gu', e.eniId);
      const macU = stableMac(`gwlbe-u:${e.eniId}`);
      const macGu = stableMac(`gwlbe-gu:${e.eniId}`);
      const macG = stableMac(`gwlbe-g:${e.eniId}`);
      const prefix = subnet.cidrBlock.split('/')[1] ?? '24';
      await ipBatch(runner, [
        `link add c netns ${ns} address ${stableMac(`gwlbe-c:${e.eniId}`)} mtu ${VPC_LEG_MTU} type veth peer name ${c} netns ${vpcNs} mtu ${VPC_LEG_MTU}`,
        `link add r netns ${ns} mtu ${VPC_LEG_MTU} type veth peer name ${g} netns ${vpcNs} address ${macG} mtu ${VPC_LEG_MTU}`,
        `link add u netns ${ns} address ${macU} mtu ${inner} type veth peer name ${gu} netns ${built.ns} address ${macGu} mtu ${inner}`,
      ]);
      await ipBatch(runner, [`link set ${c} master br0`, `link set ${c} up`, `link set ${g} up`], vpcNs);
      await nsExec(runner, vpcNs, ['sysctl', '-qw', `net.ipv4.conf.${g}.rp_filter=0`]);
      const router = routerAddress(subnet.cidrBlock).split('/')[0] ?? '';
      await ipBatch(
        runner,
        [
          'link set lo up',
          `addr add ${e.eniIp}/${prefix} dev c`,
          'link set c up',
          'link set u up',
          'link set r up',
          `route add default via ${router}`,
          `route add default via ${GW} dev r onlink table 200`,
          `neigh replace ${GW} lladdr ${macG} dev r nud permanent`,
          `neigh replace ${GW} lladdr ${macGu} dev u nud permanent`,
          'rule add pref 100 iif c lookup 100',
          'rule add pref 200 iif u lookup 200',
        ],
        ns,
      );
      await nsExec(runner, ns, [
        'sysctl',
        '-qw',
        'net.ipv4.ip_forward=1',
        'net.ipv4.conf.all.rp_filter=0',
        'net.ipv4.conf.default.rp_filter=0',
        'net.ipv4.conf.c.rp_filter=0',
        'net.ipv4.conf.u.rp_filter=0',
        'net.ipv4.conf.r.rp_filter=0',
        'net.ipv4.conf.all.send_redirects=0',
      ]);
      // Partial checksums and GSO would reach the appliance unresolved inside GENEVE: finish
      // them in software before the packet enters the node.
      await nsExec(runner, ns, ['ethtool', '-K', 'u', 'tx', 'off', 'tso', 'off', 'gso', 'off']);
      await nsExec(runner, built.ns, ['ethtool', '-K', gu, 'tx', 'off', 'tso', 'off', 'gso', 'off']);
      await ipBatch(runner, [`link set ${gu} up`], built.ns);
      await runner.run(['tc', '-n', built.ns, 'qdisc', 'add', 'dev', gu, 'clsact']);
      await runner.run([
        'tc',
        '-n',
        built.ns,
        'filter',
        'add',
        'dev',
        gu,
        'ingress',
        'bpf',
        'da',
        'pinned',
        join(this.bpfDir ?? '', 'p', 'gw_encap'),
      ]);
      const linkIfindex = await this.ifindex(built.ns, gu);
      batch.push(
        backEntry(this.map('gw_back'), id, {
          ifindex: linkIfindex,
          nodeIp: node.nodeIp,
          dmac: macU,
          smac: macGu,
        }),
      );
      b = { ns, nodeEniId: e.nodeEniId, linkIfindex, carrying: undefined, entry: '', mtu: inner };
      this.eps.set(id, b);
    }
    if (b.mtu !== inner) {
      // The provider VPC now carries more (or less): bigger packets pass, or get PMTUD's answer.
      await ipBatch(runner, ['link set u mtu ' + String(inner)], b.ns);
      await ipBatch(runner, [`link set ${linkName('gu', e.eniId)} mtu ${inner}`], built.ns);
      b.mtu = inner;
    }
    const entry = endpointEntry(this.map('gw_eps'), b.linkIfindex, {
      vpceId: id,
      nodeEniId: e.nodeEniId,
      nodeIp: node.nodeIp,
      group: built.group,
      tuple: node.tuple,
      outIfindex: built.pIfindex,
      rebalance: node.rebalanceOnDeregistration,
      tcpIdleSeconds: node.tcpIdleSeconds,
    });
    if (entry !== b.entry) {
      batch.push(entry);
      b.entry = entry;
    }
    if (b.carrying !== e.carrying) {
      // Gating: only an available endpoint forwards; otherwise what is routed to it is dropped.
      await ipBatch(
        runner,
        [
          e.carrying
            ? `route replace default via ${GW} dev u onlink table 100`
            : 'route replace blackhole default table 100',
        ],
        b.ns,
      );
      b.carrying = e.carrying;
    }
  }

  private async removeEndpoint(id: string): Promise<void> {
    const b = this.eps.get(id);
    if (!b) return;
    this.eps.delete(id);
    await deleteNamespace(this.ctx.runner, b.ns);
    if (this.bpfDir) {
      await this.ctx.runner
        .run(
          ['bpftool', 'batch', 'file', '-'],
          `map delete pinned ${this.map('gw_back')} key ${backKey(id)}\n` +
            `map delete pinned ${this.map('gw_eps')} key ${u32Key(b.linkIfindex)}\n`,
        )
        .catch(() => undefined);
    }
  }

  private async removeNode(id: string): Promise<void> {
    const b = this.nodes.get(id);
    if (!b) return;
    this.nodes.delete(id);
    b.health.close();
    await deleteNamespace(this.ctx.runner, b.ns);
    if (this.bpfDir && b.live.size) {
      const lines = [...b.live].map((ip) => liveDelete(this.map('gw_live'), b.group, ip));
      await this.ctx.runner
        .run(['bpftool', 'batch', 'file', '-'], lines.join('\n') + '\n')
        .catch(() => undefined);
    }
  }

  private async readStats(): Promise<void> {
    if (!this.bpfDir) return;
    const { stdout } = await this.ctx.runner.run([
      'bpftool',
      '-j',
      'map',
      'dump',
      'pinned',
      this.map('gw_stats'),
    ]);
    const rows = JSON.parse(stdout) as { formatted?: { key: number; value: number } }[];
    const v = (i: number) => Number(rows.find((r) => r.formatted?.key === i)?.formatted?.value ?? 0);
    this.stats = {
      encapsulated: v(0),
      decapsulated: v(1),
      mangled: v(2),
      noAppliance: v(3),
      unknownEndpoint: v(4),
      cut: v(5),
      rebalanced: v(6),
    };
  }

  async close(): Promise<void> {
    for (const cancel of this.drainTimers.values()) cancel();
    this.drainTimers.clear();
    for (const id of [...this.eps.keys()]) await this.removeEndpoint(id).catch(() => undefined);
    for (const id of [...this.nodes.keys()]) await this.removeNode(id).catch(() => undefined);
    if (this.bpfDir) {
      await this.ctx.runner.run(['umount', this.bpfDir]).catch(() => undefined);
      this.bpfDir = undefined;
    }
  }

  describe(): Record<string, unknown> {
    // Counters live in a BPF map: refresh them for the next look (status polls).
    void this.readStats().catch(() => undefined);
    return {
      nodes: this.nodes.size,
      endpoints: this.eps.size,
      carrying: [...this.eps.values()].filter((e) => e.carrying).length,
      appliances: [...this.nodes.values()].flatMap((n) => [
        ...n.want.appliances.map((a) => ({
          node: n.nodeIp,
          appliance: a.ip,
          health: n.health.healthOf(n.want.targetGroupArn ?? '', a.targetId, a.port)?.state ?? 'unchecked',
        })),
        // Deregistered, still carrying its existing flows until the delay ends.
        ...n.want.draining
          .filter((d) => this.ctx.clock.now() < d.dueAt)
          .map((d) => ({ node: n.nodeIp, appliance: d.ip, health: 'draining' })),
      ]),
      failover: [...this.nodes.values()].map((n) => ({
        node: n.nodeIp,
        onUnhealthy: n.want.rebalanceOnUnhealthy ? 'rebalance' : 'no_rebalance',
        onDeregistration: n.want.rebalanceOnDeregistration ? 'rebalance' : 'no_rebalance',
      })),
      innerMtu: [...this.eps.entries()].map(([id, e]) => ({ endpoint: id, mtu: e.mtu })),
      paths: [...this.eps.entries()].map(([id, e]) => ({
        endpoint: id,
        node: e.nodeEniId,
        carrying: e.carrying,
      })),
      ...this.stats,
    };
  }
}

/** A TCP or HTTP(S) check in a short-lived Node inside the node namespace; prints a ProbeResult. */
const PROBE_JS = `
const s = JSON.parse(process.argv[1]);
const done = (r) => { process.stdout.write(JSON.stringify(r)); process.exit(0); };
setTimeout(() => done({ ok: false, reason: 'Target.Timeout', description: 'Request timed out' }), s.timeoutMs);
const lib = s.protocol === 'HTTPS' ? require('tls') : require('net');
const c = lib.connect({ host: s.host, port: s.port, localAddress: s.localAddress, rejectUnauthorized: false }, () => {
  if (s.protocol === 'TCP') return done({ ok: true });
  c.write('GET ' + (s.path || '/') + ' HTTP/1.1\\r\\nHost: ' + s.host + '\\r\\nConnection: close\\r\\n\\r\\n');
});
let buf = '';
c.on('data', (d) => {
  buf += d;
  const m = /^HTTP\\/1\\.[01] (\\d{3})/.exec(buf);
  if (!m) return;
  const code = Number(m[1]);
  const spec = (s.matcher || '200-399').split(',');
  const ok = spec.some((p) => { const [a, b] = p.split('-').map(Number); return code >= a && code <= (b || a); });
  done(ok ? { ok: true } : { ok: false, reason: 'Target.ResponseCodeMismatch', description: 'Health checks failed with these codes: [' + code + ']' });
});
c.on('error', () => done({ ok: false, reason: 'Target.FailedHealthChecks', description: 'Health checks failed' }));
`;

function u32Key(n: number): string {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return [...b].map((x) => `0x${x.toString(16).padStart(2, '0')}`).join(' ');
}

function backKey(vpceId: string): string {
  const hex = vpceId
    .replace(/^vpce-/, '')
    .padStart(16, '0')
    .slice(-16);
  return (hex.match(/../g) ?? []).map((x) => `0x${x}`).join(' ');
}
