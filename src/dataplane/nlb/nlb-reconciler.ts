/**
 * Network Load Balancer nodes: one namespace per node ENI (`LoadBalancer.nodes`) with a leg in
 * the provider VPC's bridge (the node's private IP) and a leg in the fabric (an internal address
 * endpoints forward to). nftables in the node DNATs each listener port to a healthy target of
 * the listener's forward target group and SNATs to the node IP (dataplane.md §5.2); health
 * checks are sourced from the node through a health-check map (§5.5).
 *
 * Fidelity (NLB guide: target groups, health checks, deregistration; reference §8.2, §9.1):
 * - Covered: TCP/TLS/TCP_UDP listeners (TCP part); ip and instance targets (instance → its
 *   private IP); flow-hash target choice over a fixed 64-slot map; only healthy targets get new
 *   flows, all registered ones when none is healthy (fail-open); targets see the NLB node's IP;
 *   deregistration stops new flows at once and resets the remaining ones when
 *   `deregistration_delay.timeout_seconds` ends; a target that turns unhealthy (outside
 *   fail-open) has its flows reset; listener `tcp.idle_timeout.seconds` becomes the node's
 *   conntrack established timeout, and packets of expired flows get a reset. Clients inside the
 *   provider VPC can use the node IP directly.
 * - By design: every node balances over all targets of the group (cross-zone on); health checks
 *   run from one node per group; loopback mode has no kernel path — endpoints pick a target in
 *   userspace (see LoopbackBackendPicker) and connect from the node's 127.77.x.y.
 * - Gaps: UDP listeners, TLS termination, stickiness, NLB security groups, IPv6, ALB targets.
 */
import type { Stored } from '../../store/store.js';
import type { DataplaneContext, Reconciler } from '../dataplane.js';
import { VPC_BRIDGE } from '../vpc/vpc-reconciler.js';
import { nthAddress, parseCidr } from '../../control/cidr.js';
import { eniNamespace, linkName } from '../netns/naming.js';
import { deleteNamespace, ipBatch, nft, nsExec, run } from '../netns/run.js';
import { healthKey, type HealthTarget } from '../health/health-checker.js';
import {
  SerialQueue,
  trafficFor,
  type ListenerInfo,
  type NodeInfo,
  type Traffic,
} from '../fabric/traffic.js';
import { HC_PORT_BASE, NLB_VPC_LEG, renderNlbRules, type Backend } from './nlb-rules.js';

type Lb = Stored<'loadBalancer'>;
type Tg = Stored<'targetGroup'>;

interface ActualNode extends NodeInfo {
  vpcId: string;
  /** Rules last loaded (netns) — reloaded only when they change. */
  script: string;
  /** Backends per listener port last programmed. */
  backends: Map<number, Backend[]>;
  /** Health-check slot per health key. */
  hcSlots: Map<string, number>;
  idleTimeout: number;
}

const TCP_PROTOCOLS = new Set(['TCP', 'TLS', 'TCP_UDP']);
const DEFAULT_IDLE_TIMEOUT = 350;

/** The forward target group of a listener (first of a weighted forward). */
function forwardGroup(l: Stored<'listener'>): string | undefined {
  for (const a of l.defaultActions) {
    if (a.type !== 'forward') continue;
    if (a.targetGroupArn) return a.targetGroupArn;
    const first = a.forwardTargetGroups?.[0];
    if (first) return first.targetGroupArn;
  }
  return undefined;
}

export class NlbReconciler implements Reconciler {
  readonly name = 'load-balancer-nodes';
  private readonly traffic: Traffic;
  private readonly actual = new Map<string, ActualNode>();
  private readonly queue = new SerialQueue();
  /** VPCs whose namespace went away since the last pass (their nodes' legs died with it). */
  private readonly staleVpcs = new Set<string>();
  private readonly drainTimers = new Map<string, () => void>();
  private kickPending = false;
  private closed = false;
  private rr = 0;

  constructor(private readonly ctx: DataplaneContext) {
    this.traffic = trafficFor(ctx);
    this.traffic.setHealthListener(() => this.kick());
    ctx.events.on('vpc-down', (e: { vpcId: string }) => this.staleVpcs.add(e.vpcId));
    if (ctx.mode === 'loopback') this.traffic.picker = { pick: (eni, port) => this.pickLoopback(eni, port) };
  }

  reconcile(): Promise<void> {
    return this.queue.run(() => this.converge());
  }

  /** Re-programs outside a pass (health flips, drain deadlines); serialized with passes. */
  private kick(): void {
    if (this.kickPending || this.closed) return;
    this.kickPending = true;
    void this.queue
      .run(async () => {
        this.kickPending = false;
        if (this.closed) return;
        await this.converge();
        // The maps now carry every verdict the checks reached: let the API show them.
        this.traffic.health.publish();
      })
      .catch((e: unknown) => this.ctx.logger.warn('load balancer update failed', { error: String(e) }));
  }

  private async converge(): Promise<void> {
    const { store } = this.ctx;
    const lbs = store.listAll('loadBalancer').filter((lb) => lb.type === 'network' && lb.state !== 'failed');
    const errors: string[] = [];

    // 1. Nodes: remove what is gone (or whose VPC leg died), build what is missing.
    const desired = new Map<string, { lb: Lb; node: Lb['nodes'][number] }>();
    for (const lb of lbs) for (const node of lb.nodes) desired.set(node.networkInterfaceId, { lb, node });
    for (const [eni, a] of this.actual) {
      const want = desired.get(eni);
      if (!want || want.node.privateIpAddress !== a.nodeIp || this.staleVpcs.has(a.vpcId)) {
        await this.removeNode(a).catch((e: unknown) => errors.push(`${eni}: ${String(e)}`));
      }
    }
    this.staleVpcs.clear();
    for (const [eni, { lb, node }] of desired) {
      if (this.actual.has(eni)) continue;
      if (!this.ctx.vpcs.isReady(lb.vpcId)) continue;
      try {
        await this.createNode(lb, node);
      } catch (e) {
        errors.push(`${eni}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }

    // 2. Listeners and target groups of every load balancer.
    const listenersByLb = new Map<string, ListenerInfo[]>();
    const idleByLb = new Map<string, number>();
    const tgs = new Map<string, Tg>();
    for (const l of store.listAll('listener')) {
      const tgArn = forwardGroup(l);
      if (l.port === undefined || !TCP_PROTOCOLS.has(l.protocol ?? 'TCP') || !tgArn) continue;
      const tg = store.find('targetGroup', tgArn);
      if (!tg) continue;
      tgs.set(tgArn, tg);
      const list = listenersByLb.get(l.loadBalancerArn) ?? [];
      list.push({
        port: l.port,
        targetGroupArn: tgArn,
        ppv2: tg.attributes['proxy_protocol_v2.enabled'] === 'true',
      });
      listenersByLb.set(l.loadBalancerArn, list);
      const idle = Number(l.attributes['tcp.idle_timeout.seconds'] ?? DEFAULT_IDLE_TIMEOUT);
      idleByLb.set(l.loadBalancerArn, Math.max(idleByLb.get(l.loadBalancerArn) ?? 0, idle));
    }
    this.traffic.listeners.clear();
    for (const [arn, list] of listenersByLb) {
      list.sort((a, b) => a.port - b.port);
      this.traffic.listeners.set(arn, list);
    }

    // 3. Health checks: each group's targets are checked from the first node of the first LB using it.
    const checker = new Map<string, ActualNode>();
    for (const lb of [...lbs].sort((a, b) => a.id.localeCompare(b.id))) {
      const first = lb.nodes.map((n) => this.actual.get(n.networkInterfaceId)).find((n) => n !== undefined);
      if (!first) continue;
      for (const l of listenersByLb.get(lb.id) ?? [])
        if (!checker.has(l.targetGroupArn)) checker.set(l.targetGroupArn, first);
    }
    const healthTargets: HealthTarget[] = [];
    const slotsWanted = new Map<ActualNode, Map<string, Backend>>();
    for (const [tgArn, node] of checker) {
      const tg = tgs.get(tgArn);
      if (!tg) continue;
      for (const t of tg.targets) {
        if (t.deregisteredAt !== undefined) continue;
        const ip = this.addressOf(tg, t.id);
        if (!ip) continue;
        const hcPort = tg.healthCheck.port === 'traffic-port' ? t.port : Number(tg.healthCheck.port);
        const key = healthKey(tgArn, t.id, t.port);
        const m = slotsWanted.get(node) ?? new Map<string, Backend>();
        m.set(key, { ip, port: hcPort });
        slotsWanted.set(node, m);
        const slot = this.slotFor(node, key);
        healthTargets.push({
          targetGroupArn: tgArn,
          targetId: t.id,
          port: t.port,
          settings: { ...tg.healthCheck },
          probe:
            this.ctx.mode === 'netns' && this.traffic.fabric
              ? {
                  host: node.address,
                  port: HC_PORT_BASE + slot,
                  localAddress: this.traffic.fabric.healthAddress,
                  hostHeader: ip,
                  ppv2: this.ppv2(tg),
                }
              : { host: ip, port: hcPort, localAddress: node.address, ppv2: this.ppv2(tg) },
        });
      }
    }
    for (const node of this.actual.values()) {
      const want = slotsWanted.get(node);
      for (const key of [...node.hcSlots.keys()]) if (!want?.has(key)) node.hcSlots.delete(key);
    }
    this.traffic.health.sync(healthTargets);

    // 4. Program every node: backends per listener, health-check slots, idle timeout.
    for (const node of this.actual.values()) {
      try {
        await this.program(
          node,
          listenersByLb.get(node.loadBalancerArn) ?? [],
          tgs,
          slotsWanted.get(node),
          idleByLb.get(node.loadBalancerArn),
        );
      } catch (e) {
        errors.push(`${node.eniId}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    this.scheduleDrains(tgs, listenersByLb);
    if (errors.length) throw new Error(errors.join('; '));
  }

  private ppv2(tg: Tg): boolean {
    return tg.attributes['proxy_protocol_v2.enabled'] === 'true';
  }

  /**
   * A target's IP: the ID for ip targets, the instance's private IP for instance targets. In
   * loopback mode the host is the only network, so instance targets are reached at their 127.x
   * bind address and ip targets only when they are loopback addresses (anything else would be
   * traffic from the host to a VPC address, which privlink never sends).
   */
  private addressOf(tg: Tg, id: string): string | undefined {
    if (this.ctx.mode === 'loopback') {
      if (tg.targetType === 'instance') return this.ctx.hostAddresses.get(id);
      return id.startsWith('127.') ? id : undefined;
    }
    if (tg.targetType !== 'instance') return id;
    return this.ctx.store.find('instance', id)?.privateIpAddress;
  }

  private slotFor(node: ActualNode, key: string): number {
    const have = node.hcSlots.get(key);
    if (have !== undefined) return have;
    const used = new Set(node.hcSlots.values());
    let k = 0;
    while (used.has(k)) k++;
    node.hcSlots.set(key, k);
    return k;
  }

  /** Backends of a listener for new flows: healthy serving targets, or all serving (fail-open). */
  private backendsOf(tg: Tg): Backend[] {
    const serving: { b: Backend; healthy: boolean }[] = [];
    for (const t of tg.targets) {
      if (t.deregisteredAt !== undefined) continue;
      const ip = this.addressOf(tg, t.id);
      if (!ip) continue;
      serving.push({ b: { ip, port: t.port }, healthy: this.traffic.health.isHealthy(tg.id, t.id, t.port) });
    }
    const healthy = serving.filter((s) => s.healthy);
    return (healthy.length ? healthy : serving).map((s) => s.b);
  }

  private async program(
    node: ActualNode,
    listeners: readonly ListenerInfo[],
    tgs: ReadonlyMap<string, Tg>,
    hc: ReadonlyMap<string, Backend> | undefined,
    idle: number | undefined,
  ): Promise<void> {
    const backends = new Map<number, Backend[]>();
    for (const l of listeners) {
      const tg = tgs.get(l.targetGroupArn);
      backends.set(l.port, tg ? this.backendsOf(tg) : []);
    }
    const removed: Backend[] = [];
    const draining = this.drainingAddresses(tgs);
    for (const [port, old] of node.backends) {
      const now = backends.get(port) ?? [];
      for (const b of old) {
        if (!now.some((x) => x.ip === b.ip && x.port === b.port) && !draining.has(`${b.ip}:${b.port}`))
          removed.push(b);
      }
    }
    node.backends = backends;
    if (!node.namespace || !this.traffic.fabric) return;
    const healthChecks: (Backend | undefined)[] = [];
    for (const [key, slot] of node.hcSlots) {
      const b = hc?.get(key);
      if (b) healthChecks[slot] = b;
    }
    const script = renderNlbRules({
      nodeIp: node.nodeIp,
      internalIp: node.address,
      healthSourceIp: this.traffic.fabric.healthAddress,
      listeners: [...backends].map(([port, b]) => ({ port, backends: b })),
      healthChecks,
    });
    if (script !== node.script) {
      await nft(node.namespace, script);
      node.script = script;
    }
    const idleTimeout = idle ?? DEFAULT_IDLE_TIMEOUT;
    if (idleTimeout !== node.idleTimeout) {
      await nsExec(node.namespace, [
        'sysctl',
        '-qw',
        `net.netfilter.nf_conntrack_tcp_timeout_established=${idleTimeout}`,
        'net.netfilter.nf_conntrack_tcp_loose=0',
      ]).catch((e: unknown) => this.ctx.logger.debug('conntrack sysctls not set', { error: String(e) }));
      node.idleTimeout = idleTimeout;
    }
    // New flows already avoid removed targets (map rewritten); now reset the ones still open.
    for (const b of removed) await this.cutFlows(node, b);
  }

  private drainingAddresses(tgs: ReadonlyMap<string, Tg>): Set<string> {
    const out = new Set<string>();
    const now = this.ctx.control.clock.now();
    for (const tg of tgs.values()) {
      const delay = Number(tg.attributes['deregistration_delay.timeout_seconds'] ?? '300') * 1000;
      for (const t of tg.targets) {
        if (t.deregisteredAt === undefined || now >= t.deregisteredAt + delay) continue;
        const ip = this.addressOf(tg, t.id);
        if (ip) out.add(`${ip}:${t.port}`);
      }
    }
    return out;
  }

  /** One timer per draining target: at the end of the delay its remaining flows are reset. */
  private scheduleDrains(
    tgs: ReadonlyMap<string, Tg>,
    listenersByLb: ReadonlyMap<string, ListenerInfo[]>,
  ): void {
    const seen = new Set<string>();
    const now = this.ctx.control.clock.now();
    for (const tg of tgs.values()) {
      const delay = Number(tg.attributes['deregistration_delay.timeout_seconds'] ?? '300') * 1000;
      for (const t of tg.targets) {
        if (t.deregisteredAt === undefined) continue;
        const ip = this.addressOf(tg, t.id);
        if (!ip) continue;
        const key = `${tg.id}|${ip}|${t.port}|${t.deregisteredAt}`;
        seen.add(key);
        if (this.drainTimers.has(key)) continue;
        const lbArns = [...listenersByLb]
          .filter(([, ls]) => ls.some((l) => l.targetGroupArn === tg.id))
          .map(([a]) => a);
        const fire = () => {
          void this.queue
            .run(async () => {
              for (const n of this.actual.values()) {
                if (lbArns.includes(n.loadBalancerArn)) await this.cutFlows(n, { ip, port: t.port });
              }
            })
            .catch(() => undefined);
        };
        this.drainTimers.set(
          key,
          this.ctx.control.clock.setTimer(Math.max(0, t.deregisteredAt + delay - now), fire),
        );
      }
    }
    for (const [key, cancel] of this.drainTimers) {
      if (seen.has(key)) continue;
      cancel();
      this.drainTimers.delete(key);
    }
  }

  private async cutFlows(node: ActualNode, b: Backend): Promise<void> {
    if (!node.namespace) {
      return; // loopback: proxies pick per connection; open ones end with their peers
    }
    await nsExec(node.namespace, [
      'conntrack',
      '-D',
      '-p',
      'tcp',
      '--reply-src',
      b.ip,
      '--reply-port-src',
      String(b.port),
    ]).catch(() => undefined); // exit 1 = nothing to delete
  }

  private async createNode(lb: Lb, n: Lb['nodes'][number]): Promise<void> {
    const subnet = this.ctx.store.find('subnet', n.subnetId);
    if (!subnet) throw new Error(`subnet ${n.subnetId} of ${lb.name} not found`);
    const eni = n.networkInterfaceId;
    const base = {
      eniId: eni,
      loadBalancerArn: lb.id,
      zoneId: n.zoneId,
      nodeIp: n.privateIpAddress,
      vpcId: lb.vpcId,
      script: '',
      backends: new Map<number, Backend[]>(),
      hcSlots: new Map<string, number>(),
      idleTimeout: 0,
    };
    const fabric = this.traffic.fabric;
    if (this.ctx.mode !== 'netns' || !fabric) {
      const address = this.traffic.loopback?.allocate(eni) ?? '127.0.0.1';
      const a: ActualNode = { ...base, namespace: undefined, address };
      this.actual.set(eni, a);
      this.traffic.nodes.set(eni, a);
      return;
    }
    const vpcNs = this.ctx.vpcs.namespaceOf(lb.vpcId);
    if (!vpcNs) throw new Error(`VPC ${lb.vpcId} has no namespace`);
    await fabric.ensure();
    const ns = eniNamespace(this.ctx.prefix, eni);
    const address = fabric.pool.allocate(eni);
    const cidr = parseCidr(subnet.cidrBlock);
    const router = nthAddress(cidr, 1);
    const vpcPeer = linkName('n', eni);
    const fab = fabric.attachLines(ns, eni, address);
    await deleteNamespace(ns);
    await run(['ip', 'netns', 'add', ns]);
    try {
      await ipBatch([
        `link add ${NLB_VPC_LEG} netns ${ns} type veth peer name ${vpcPeer} netns ${vpcNs}`,
        ...fab.host,
      ]);
      await ipBatch([`link set ${vpcPeer} master ${VPC_BRIDGE}`, `link set ${vpcPeer} up`], vpcNs);
      await ipBatch(fab.fabric, fabric.namespace);
      // As for endpoint ENIs: announce on link-up and keep the node ENI's MAC across rebuilds.
      await nsExec(ns, ['sysctl', '-qw', 'net.ipv4.ip_forward=1', 'net.ipv4.conf.all.arp_notify=1']);
      const mac = this.ctx.store.find('networkInterface', eni)?.macAddress;
      await ipBatch(
        [
          'link set lo up',
          ...(mac ? [`link set ${NLB_VPC_LEG} address ${mac}`] : []),
          `addr add ${n.privateIpAddress}/${cidr.prefix} dev ${NLB_VPC_LEG}`,
          `link set ${NLB_VPC_LEG} up`,
          ...fab.inside,
          `route add default via ${router} dev ${NLB_VPC_LEG}`,
        ],
        ns,
      );
    } catch (e) {
      await deleteNamespace(ns).catch(() => undefined);
      fabric.pool.release(eni);
      throw e;
    }
    const a: ActualNode = { ...base, namespace: ns, address };
    this.actual.set(eni, a);
    this.traffic.nodes.set(eni, a);
    this.ctx.logger.debug('NLB node up', {
      lb: lb.name,
      eni,
      ns,
      nodeIp: n.privateIpAddress,
      internal: address,
    });
  }

  private async removeNode(a: ActualNode): Promise<void> {
    this.actual.delete(a.eniId);
    this.traffic.nodes.delete(a.eniId);
    if (a.namespace) {
      await deleteNamespace(a.namespace);
      this.traffic.fabric?.pool.release(a.eniId);
    } else {
      this.traffic.loopback?.release(a.eniId);
    }
  }

  /** Loopback mode: round robin over the listener's current backends, from the node's address. */
  private pickLoopback(
    eniId: string,
    port: number,
  ): { host: string; port: number; localAddress: string } | undefined {
    const node = this.actual.get(eniId);
    const list = node?.backends.get(port);
    if (!node || !list?.length) return undefined;
    const b = list[this.rr++ % list.length];
    return b ? { host: b.ip, port: b.port, localAddress: node.address } : undefined;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const cancel of this.drainTimers.values()) cancel();
    this.drainTimers.clear();
    await this.queue.run(async () => {
      for (const a of [...this.actual.values()]) {
        await this.removeNode(a).catch((e: unknown) =>
          this.ctx.logger.warn(`removing NLB node ${a.eniId} failed`, { error: String(e) }),
        );
      }
    });
    await this.traffic.close();
  }

  describe(): Record<string, unknown> {
    const nodes = [...this.actual.values()];
    return {
      nodes: nodes.length,
      namespaces: nodes.filter((n) => n.namespace).length + (this.traffic.fabric?.isUp ? 1 : 0),
      health: this.traffic.health.describe(),
    };
  }
}
