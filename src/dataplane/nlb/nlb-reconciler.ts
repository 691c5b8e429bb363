/**
 * Network Load Balancer nodes: one namespace per node ENI (`LoadBalancer.nodes`) with a leg in
 * the provider VPC's bridge (the node's private IP) and a leg in the fabric (an internal address
 * endpoints forward to). nftables in the node DNATs each listener port to a healthy target of
 * the listener's forward target group and SNATs to the node IP (docs/reference/dataplane.md
 * §5.2); health checks are sourced from the node through a health-check map (§5.5). What should
 * exist is computed by nlb-desired.ts; this module applies the difference.
 *
 * Fidelity (target groups, health checks, deregistration; docs/reference/aws-privatelink.md
 * §8.2, §9.1):
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
import type { DataplaneContext, Reconciler } from '../context.js';
import { eniNamespace, linkName } from '../netns/naming.js';
import { deleteNamespace, nft, nsExec } from '../netns/commands.js';
import { buildEniNamespace } from '../fabric/eni-namespace.js';
import { SerialQueue, type NodeInfo, type Traffic } from '../fabric/traffic.js';
import { fastPathOf, type FastPath } from '../bpf/fastpath.js';
import {
  LAYOUTS,
  NFT_SNAT_PORTS,
  deleteLine,
  pack,
  slotValue,
  updateLine,
  hex,
} from '../bpf/fastpath-maps.js';
import { NLB_VPC_LEG, type Backend } from './nlb-rules.js';
import {
  desiredNodes,
  drainingAddresses,
  drains,
  planListenersAndHealth,
  planNodeProgram,
  removedBackends,
  type DesiredNode,
  type NlbView,
} from './nlb-desired.js';

interface ActualNode extends NodeInfo {
  vpcId: string;
  /** Rules last loaded (netns) — reloaded only when they change. */
  script: string;
  /** Backends per listener port last programmed. */
  backends: Map<number, Backend[]>;
  /** Health-check slot per health key. */
  hcSlots: Map<string, number>;
  idleTimeout: number;
  /** BPF mode: the provider leg's MAC (the node's identity in the maps) and slot entries written. */
  fast?: { mac: string; slots: Map<number, string> };
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
  private readonly fast: FastPath | undefined;

  constructor(private readonly ctx: DataplaneContext) {
    this.traffic = ctx.traffic;
    this.fast = fastPathOf(ctx);
    this.fast?.use();
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

  private view(): NlbView {
    return {
      store: this.ctx.store,
      mode: this.ctx.mode,
      hostAddresses: this.ctx.hostAddresses,
      nodes: this.actual,
      healthSourceIp: this.ctx.mode === 'netns' ? this.traffic.fabric?.healthAddress : undefined,
      ...(this.fast ? { snatPorts: NFT_SNAT_PORTS } : {}),
    };
  }

  private async converge(): Promise<void> {
    const errors: string[] = [];

    // 1. Nodes: remove what is gone (or whose VPC leg died), build what is missing.
    const desired = desiredNodes(this.ctx.store);
    for (const [eni, a] of this.actual) {
      const want = desired.get(eni);
      if (!want || want.nodeIp !== a.nodeIp || this.staleVpcs.has(a.vpcId)) {
        await this.removeNode(a).catch((e: unknown) => errors.push(`${eni}: ${String(e)}`));
      }
    }
    this.staleVpcs.clear();
    for (const [eni, want] of desired) {
      if (this.actual.has(eni)) continue;
      if (!this.ctx.vpcs.isReady(want.vpcId)) continue;
      try {
        await this.createNode(want);
      } catch (e) {
        errors.push(`${eni}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }

    // 2. Listeners and health checks.
    const view = this.view();
    const plan = planListenersAndHealth(view);
    this.traffic.listeners.clear();
    for (const [arn, list] of plan.listenersByLb) this.traffic.listeners.set(arn, list);
    for (const node of this.actual.values()) node.hcSlots = plan.slots.get(node.eniId) ?? new Map();
    this.traffic.health.sync(plan.healthTargets);

    // 3. Program every node: backends per listener, health-check slots, idle timeout.
    const health = this.traffic.health;
    const isHealthy = (tg: string, id: string, port: number) => health.isHealthy(tg, id, port);
    const draining = drainingAddresses(view, plan.tgs.values(), this.ctx.clock.now());
    for (const node of this.actual.values()) {
      try {
        const want = planNodeProgram(view, node, plan, isHealthy);
        const removed = removedBackends(node.backends, want.backends, draining);
        node.backends = want.backends;
        if (!node.namespace || want.script === undefined) continue;
        await this.program(node, want.script, want.idleTimeout, removed);
        await this.programFast(node, want.idleTimeout);
      } catch (e) {
        errors.push(`${node.eniId}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    this.scheduleDrains(view, plan);
    if (errors.length) throw new Error(errors.join('; '));
  }

  private async program(
    node: ActualNode,
    script: string,
    idleTimeout: number,
    removed: Backend[],
  ): Promise<void> {
    const ns = node.namespace;
    if (!ns) return;
    if (script !== node.script) {
      await nft(this.ctx.runner, ns, script);
      node.script = script;
    }
    if (idleTimeout !== node.idleTimeout) {
      await nsExec(this.ctx.runner, ns, [
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

  /** BPF mode: the node's slot tables (one entry per listener), rewritten when they change. */
  private async programFast(node: ActualNode, idleTimeout: number): Promise<void> {
    const fast = this.fast;
    const f = node.fast;
    if (!fast || !f) return;
    const lines: string[] = [];
    const map = fast.map('fp_slots');
    for (const [port, backends] of node.backends) {
      const v = slotValue(backends, idleTimeout);
      const key = pack(LAYOUTS.slot_key, { node_mac: f.mac, port });
      const text = v ? hex(v) : '';
      if (f.slots.get(port) === text) continue;
      if (v) lines.push(updateLine(map, key, v));
      else if (f.slots.has(port)) lines.push(deleteLine(map, key));
      if (v) f.slots.set(port, text);
      else f.slots.delete(port);
    }
    for (const port of [...f.slots.keys()]) {
      if (node.backends.has(port)) continue;
      lines.push(deleteLine(map, pack(LAYOUTS.slot_key, { node_mac: f.mac, port })));
      f.slots.delete(port);
    }
    await fast.batch(lines);
  }

  /** One timer per draining target: at the end of the delay its remaining flows are reset. */
  private scheduleDrains(view: NlbView, plan: ReturnType<typeof planListenersAndHealth>): void {
    const seen = new Set<string>();
    const now = this.ctx.clock.now();
    for (const d of drains(view, plan.tgs.values(), plan.listenersByLb)) {
      seen.add(d.key);
      if (this.drainTimers.has(d.key)) continue;
      const fire = () => {
        void this.queue
          .run(async () => {
            for (const n of this.actual.values()) {
              if (d.loadBalancerArns.includes(n.loadBalancerArn)) await this.cutFlows(n, d.target);
            }
          })
          .catch(() => undefined);
      };
      this.drainTimers.set(d.key, this.ctx.clock.setTimer(Math.max(0, d.dueAt - now), fire));
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
    // Fast-path flows have no kernel conntrack here: their map entries go (the next packet of
    // either side then meets a stack without state and is reset).
    if (this.fast && node.fast) await this.fast.cutTarget(node.fast.mac, b.ip, b.port).catch(() => undefined);
    await nsExec(this.ctx.runner, node.namespace, [
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

  private async createNode(n: DesiredNode): Promise<void> {
    const subnet = this.ctx.store.find('subnet', n.subnetId);
    if (!subnet) throw new Error(`subnet ${n.subnetId} of ${n.lbName} not found`);
    const eni = n.eniId;
    const base = {
      eniId: eni,
      loadBalancerArn: n.loadBalancerArn,
      zoneId: n.zoneId,
      nodeIp: n.nodeIp,
      vpcId: n.vpcId,
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
    const vpcNs = this.ctx.vpcs.namespaceOf(n.vpcId);
    if (!vpcNs) throw new Error(`VPC ${n.vpcId} has no namespace`);
    await fabric.ensure();
    const ns = eniNamespace(this.ctx.prefix, eni);
    const address = fabric.pool.allocate(eni);
    try {
      // As for endpoint ENIs: announce on link-up and keep the node ENI's MAC across rebuilds.
      await buildEniNamespace(this.ctx.runner, {
        namespace: ns,
        vpcNamespace: vpcNs,
        fabricNamespace: fabric.namespace,
        vpcLeg: NLB_VPC_LEG,
        vpcPeer: linkName('n', eni),
        mac: this.ctx.store.find('networkInterface', eni)?.macAddress,
        privateIp: n.nodeIp,
        subnetCidr: subnet.cidrBlock,
        fabric: fabric.attachLines(ns, eni, address),
      });
    } catch (e) {
      fabric.pool.release(eni);
      throw e;
    }
    const a: ActualNode = { ...base, namespace: ns, address };
    if (this.fast) {
      try {
        await this.fast.ensure();
        const p = await this.fast.leg(ns, NLB_VPC_LEG);
        await this.fast.attach(ns, NLB_VPC_LEG, 'nat_rev');
        await this.fast.batch([
          updateLine(
            this.fast.map('fp_nodes'),
            this.fast.macKey(p.mac),
            pack(LAYOUTS.node_val, { p_ifindex: p.ifindex, nlb_ip: n.nodeIp }),
          ),
        ]);
        a.fast = { mac: p.mac, slots: new Map() };
        this.fast.nodes.set(eni, { mac: p.mac, pIfindex: p.ifindex, nlbIp: n.nodeIp, namespace: ns });
      } catch (e) {
        // Endpoints then write no fast entries towards this node: nftables carries its flows.
        this.ctx.logger.warn('fast path unavailable for this NLB node; nftables carries it', {
          node: eni,
          error: e instanceof Error ? e.message : String(e),
        });
      }
    }
    this.actual.set(eni, a);
    this.traffic.nodes.set(eni, a);
    this.ctx.logger.debug('NLB node up', { lb: n.lbName, eni, ns, nodeIp: n.nodeIp, internal: address });
  }

  private async removeNode(a: ActualNode): Promise<void> {
    this.actual.delete(a.eniId);
    this.traffic.nodes.delete(a.eniId);
    if (this.fast && a.fast) {
      this.fast.nodes.delete(a.eniId);
      const f = a.fast;
      await this.fast
        .batch(
          [
            deleteLine(this.fast.map('fp_nodes'), this.fast.macKey(f.mac)),
            ...[...f.slots.keys()].map((port) =>
              deleteLine(this.fast?.map('fp_slots') ?? '', pack(LAYOUTS.slot_key, { node_mac: f.mac, port })),
            ),
          ],
          true,
        )
        .catch(() => undefined);
    }
    if (a.namespace) {
      await deleteNamespace(this.ctx.runner, a.namespace);
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
    await this.fast?.release();
  }

  describe(): Record<string, unknown> {
    const nodes = [...this.actual.values()];
    return {
      nodes: nodes.length,
      namespaces: nodes.filter((n) => n.namespace).length + (this.traffic.fabric?.isUp ? 1 : 0),
      health: this.traffic.health.describe(),
      ...(this.fast ? { fastPath: this.fast.describe() } : {}),
    };
  }
}
