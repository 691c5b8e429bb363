/**
 * Interface endpoint traffic: one namespace per endpoint ENI with a leg in the consumer VPC's
 * bridge (the ENI's private IP) and a leg in the fabric. Plain listener ports are kernel DNAT to
 * the chosen NLB node (same zone ID, else any node) with SNAT to the ENI's internal address;
 * listener ports whose target group has proxy protocol v2 are served by a userspace proxy that
 * accepts inside this namespace (so it sees the consumer's address) and connects out from the
 * fabric agent, prepending the PPv2 header. What each ENI should carry comes from
 * endpoint-desired.ts; this module applies the difference.
 *
 * Fidelity (docs/reference/aws-privatelink.md §3.1, §9.1–9.2):
 * - Covered: only `available` endpoints carry traffic — before acceptance, after rejection and
 *   while deleting, connections are refused with a TCP reset; rejecting or deleting cuts open
 *   flows (map element removed, then conntrack -D; PPv2 proxies reset their sockets) within a
 *   pass; the endpoint's security groups filter new inbound flows (stateful); MSS clamped to
 *   the route MTU; one-way (the provider cannot open connections to the consumer); consumer and
 *   provider CIDRs may overlap. The endpoint stays `pending` until its namespaces are built
 *   (the readiness port), at most READINESS_CAP_MS.
 * - By design: one namespace per ENI (its own conntrack table, no zones); in loopback mode each
 *   ENI is a 127.77.x.y address with userspace proxies and no security-group enforcement.
 * - Covered: endpoints of the AWS services privlink serves (ec2, elasticloadbalancing, sts, s3,
 *   dynamodb) carry port 443 to privlink's own API over a unix socket in the run dir, through the
 *   fabric agents with a PROXY v2 header (the consumer address and the endpoint ID), so the API
 *   terminates TLS and applies the endpoint policy; no route from the host into a VPC is needed.
 * - Gaps: UDP, IPv6/dualstack endpoints; the other catalogued AWS services carry no traffic
 *   (connections are refused).
 */
import type { DeepReadonly } from '../../control/model/common.js';
import type { VpcEndpoint } from '../../control/model/privatelink.js';
import type { DataplaneContext, Reconciler } from '../context.js';
import { eniNamespace, linkName } from '../netns/naming.js';
import { deleteNamespace, nft, nsExec } from '../netns/commands.js';
import { openInNamespace } from '../netns/ns-sockets.js';
import { buildEniNamespace } from '../fabric/eni-namespace.js';
import { AgentProxyHost } from '../agent/agent-client.js';
import { TcpProxy } from '../proxy/tcp-proxy.js';
import { buildPpv2 } from '../proxy/ppv2.js';
import { SerialQueue, type NodeInfo, type Traffic } from '../fabric/traffic.js';
import { ENDPOINT_VPC_LEG } from './endpoint-rules.js';
import {
  changedPorts,
  chosenNodes,
  desiredEndpointEnis,
  endpointScript,
  servedAwsService,
  wantedPorts,
  type DesiredEni,
  type Upstream,
} from './endpoint-desired.js';
import { legName, linkNamespaces, removeLink } from './node-links.js';
import { fastPathOf, type FastPath } from '../bpf/fastpath.js';
import {
  LAYOUTS,
  SVC_SG,
  deleteLine,
  hex,
  pack,
  sgEntries,
  sgKey,
  sgValue,
  updateLine,
} from '../bpf/fastpath-maps.js';
import { ingressOf } from './ingress.js';
import net from 'node:net';
import type { EndpointTraffic } from '../../control/ports.js';
import { LoopbackMeter, TrafficMeter } from './traffic-meter.js';

/** Longest an endpoint is held in `pending` waiting for its data plane. */
const READINESS_CAP_MS = 10_000;

interface ActualEni {
  eniId: string;
  endpointId: string;
  vpcId: string;
  eniIp: string;
  namespace: string | undefined;
  /** netns: internal fabric address; loopback: 127.77.x.y. */
  address: string;
  script: string;
  /** port → upstream, as programmed. */
  ports: Map<number, Upstream>;
  /** Loopback proxies, or netns PPv2 proxies served by the agent (with the agent's generation). */
  proxies: Map<number, TcpProxy | { agentGeneration: number }>;
  /** The rules (or loopback listeners) were programmed at least once. */
  programmed: boolean;
  /** netns: NLB nodes this ENI has a point-to-point link to (node ENI id → node as linked). */
  links: Map<string, NodeInfo>;
  /** Loopback mode: what this ENI's proxies carried. */
  loopback?: LoopbackMeter;
  /** BPF data path: what this ENI's fast path holds (its consumer leg's MAC keys every entry). */
  fast?: FastEni;
}

interface FastLink {
  /** ENI end (this namespace) and node end (the node's namespace) of the point-to-point link. */
  linkIfindex: number;
  backIfindex: number;
  linkMac: string;
  /** The node's identity when the link was made (a rebuilt node gets a new link). */
  nodeMac: string;
}

interface FastEni {
  mac: string;
  links: Map<string, FastLink>;
  /** Listener port → service entry as written (hex) and its generation. */
  svc: Map<number, { text: string; gen: number; key: Buffer; flags: number }>;
  /** Security-group LPM entries as written: key hex → value hex. */
  sg: Map<string, string>;
}

export class EndpointReconciler implements Reconciler {
  readonly name = 'endpoint-interfaces';
  private readonly traffic: Traffic;
  private readonly actual = new Map<string, ActualEni>();
  private readonly queue = new SerialQueue();
  private readonly staleVpcs = new Set<string>();
  private readonly meter: TrafficMeter;
  private readonly fast: FastPath | undefined;

  constructor(private readonly ctx: DataplaneContext) {
    this.traffic = ctx.traffic;
    ctx.events.on('vpc-down', (e: { vpcId: string }) => this.staleVpcs.add(e.vpcId));
    this.fast = fastPathOf(ctx);
    this.fast?.use();
    this.meter = new TrafficMeter(ctx.runner, () => this.actual.values(), this.fast);
  }

  /** Measured traffic by endpoint ID (traffic-meter.ts). */
  endpointTraffic(): Promise<Map<string, EndpointTraffic>> {
    return this.meter.read();
  }

  /** Whether traffic can flow once the endpoint turns available (lifecycle-driver seam). */
  isReady(ep: DeepReadonly<VpcEndpoint>): boolean {
    if (ep.endpointType !== 'Interface') return true;
    if (!ep.serviceId && !(this.ctx.awsServicesSocket && servedAwsService(ep.serviceName))) return true;
    if (this.ctx.clock.now() - ep.stateChangedAt > READINESS_CAP_MS) return true;
    if (!ep.networkInterfaceIds.every((id) => this.actual.get(id)?.programmed === true)) return false;
    if (!ep.serviceId) return true;
    const svc = this.ctx.store.find('endpointService', ep.serviceId);
    return (
      !svc ||
      svc.networkLoadBalancerArns.length === 0 ||
      svc.networkLoadBalancerArns.some((a) => this.traffic.nodesOf(a).length > 0)
    );
  }

  reconcile(): Promise<void> {
    return this.queue.run(() => this.converge());
  }

  private agentGeneration(): number {
    return this.traffic.host instanceof AgentProxyHost ? this.traffic.host.generation : 0;
  }

  private async converge(): Promise<void> {
    const errors: string[] = [];
    const desired = desiredEndpointEnis(this.ctx.store);
    const generation = this.agentGeneration();
    for (const [id, a] of this.actual) {
      const want = desired.get(id);
      if (!want || want.eni.privateIpAddress !== a.eniIp || this.staleVpcs.has(a.vpcId)) {
        await this.remove(a).catch((e: unknown) => errors.push(`${id}: ${String(e)}`));
      }
    }
    this.staleVpcs.clear();
    for (const [id, d] of desired) {
      try {
        let a = this.actual.get(id);
        if (!a) {
          if (!this.ctx.vpcs.isReady(d.eni.vpcId)) continue;
          a = await this.create(d);
        }
        // An agent that restarted no longer serves the PPv2 proxies of its predecessor.
        for (const [port, p] of a.proxies) {
          if (!(p instanceof TcpProxy) && p.agentGeneration !== generation) a.proxies.delete(port);
        }
        await this.syncLinks(a, d);
        await this.program(a, d);
      } catch (e) {
        errors.push(`${id}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    if (errors.length) throw new Error(errors.join('; '));
  }

  /**
   * Point-to-point links to the chosen nodes, built whatever the endpoint's state (so acceptance
   * does not wait for them) and rebuilt when a node's namespace was. A failure only costs the
   * shortcut: traffic takes the fabric, and the next pass tries again.
   */
  private async syncLinks(a: ActualEni, d: DesiredEni): Promise<void> {
    const ns = a.namespace;
    if (!ns) return;
    const self = { namespace: ns, address: a.address, key: a.eniId };
    const want = new Map(chosenNodes(this.ctx.store, this.traffic, d).map(([, n]) => [n.eniId, n]));
    for (const [id, linked] of a.links) {
      if (want.get(id) === linked && this.traffic.nodes.get(id) === linked) continue;
      a.links.delete(id);
      a.fast?.links.delete(id);
      if (linked.namespace)
        await removeLink(this.ctx.runner, self, {
          namespace: linked.namespace,
          address: linked.address,
          key: id,
        });
    }
    for (const [id, node] of want) {
      if (a.links.has(id) || !node.namespace) continue;
      try {
        await linkNamespaces(this.ctx.runner, self, {
          namespace: node.namespace,
          address: node.address,
          key: id,
        });
        a.links.set(id, node);
        await this.linkFast(a, id, node.namespace);
      } catch (e) {
        this.ctx.logger.warn('point-to-point link to NLB node failed; using the fabric', {
          eni: a.eniId,
          node: id,
          error: e instanceof Error ? e.message : String(e),
        });
      }
    }
  }

  /**
   * BPF mode: programs on both ends of a new link (eni_out here, node_fwd in the node). Without
   * them the link still carries the nftables path; the fast path just skips that node.
   */
  private async linkFast(a: ActualEni, nodeEni: string, nodeNs: string): Promise<void> {
    const fast = this.fast;
    const node = fast?.nodes.get(nodeEni);
    if (!fast || !a.fast || !a.namespace || !node) return;
    const here = legName({ namespace: nodeNs, address: '', key: nodeEni });
    const there = legName({ namespace: a.namespace, address: '', key: a.eniId });
    try {
      const [l, b] = await Promise.all([
        fast.attach(a.namespace, here, 'eni_out').then(() => fast.leg(a.namespace ?? '', here)),
        fast.attach(nodeNs, there, 'node_fwd').then(() => fast.leg(nodeNs, there)),
      ]);
      a.fast.links.set(nodeEni, {
        linkIfindex: l.ifindex,
        backIfindex: b.ifindex,
        linkMac: l.mac,
        nodeMac: node.mac,
      });
    } catch (e) {
      this.ctx.logger.warn('fast path not attached to the link; it carries the nftables path', {
        eni: a.eniId,
        node: nodeEni,
        error: e instanceof Error ? e.message : String(e),
      });
    }
  }

  /**
   * BPF mode: the ENI's service entries (plain listener ports with a fast link to their node,
   * only while the endpoint is available) and its security-group trie. A port whose node or link
   * changed gets a new generation, which kills its open flows' conntrack entries at once.
   */
  private planFast(
    a: ActualEni,
    d: DesiredEni,
    want: ReadonlyMap<number, Upstream>,
  ): { open: () => Promise<void>; close: () => Promise<void> } | undefined {
    const fast = this.fast;
    const f = a.fast;
    if (!fast || !f) return undefined;
    const ingress = ingressOf(this.ctx.store, d.ep);
    const sg = ingress ? sgEntries(ingress) : [];
    const wantSg = new Map<string, string>();
    for (const e of sg ?? []) wantSg.set(hex(sgKey(f.mac, e.addr, e.len)), hex(sgValue(e.ranges)));
    const wantSvc = new Map<number, { text: string; gen: number; key: Buffer; flags: number }>();
    // Rules that do not fit the trie keep the whole endpoint on the nftables path.
    if (sg) {
      for (const [port, u] of want) {
        if (u.ppv2 || u.unix) continue;
        const link = f.links.get(u.nodeEni);
        const node = fast.nodes.get(u.nodeEni);
        if (!link || !node || link.nodeMac !== node.mac) continue;
        const rec = {
          eni_ip: a.eniIp,
          nlb_ip: node.nlbIp,
          link_ifindex: link.linkIfindex,
          back_ifindex: link.backIfindex,
          flags: ingress ? SVC_SG : 0,
          node_mac: node.mac,
          link_mac: link.linkMac,
        };
        const prev = f.svc.get(port);
        // Only a new path kills open flows; a security-group change checks new flows only.
        const same =
          prev && prev.text === hex(pack(LAYOUTS.svc_val, { ...rec, gen: prev.gen, flags: prev.flags }));
        const gen = same && prev ? prev.gen : fast.gen();
        const key = pack(LAYOUTS.svc_key, { eni_mac: f.mac, port });
        wantSvc.set(port, { text: hex(pack(LAYOUTS.svc_val, { ...rec, gen })), gen, key, flags: rec.flags });
      }
    }
    const svcMap = fast.map('fp_svc');
    const sgMap = fast.map('fp_sg');
    const opening: string[] = [];
    for (const [k, v] of wantSg)
      if (f.sg.get(k) !== v) opening.push(`map update pinned ${sgMap} key hex ${k} value hex ${v}`);
    for (const [port, e] of wantSvc)
      if (f.svc.get(port)?.text !== e.text)
        opening.push(`map update pinned ${svcMap} key hex ${hex(e.key)} value hex ${e.text}`);
    const closing: string[] = [];
    for (const [port, e] of f.svc) if (!wantSvc.has(port)) closing.push(deleteLine(svcMap, e.key));
    for (const k of f.sg.keys()) if (!wantSg.has(k)) closing.push(`map delete pinned ${sgMap} key hex ${k}`);
    return {
      open: async () => {
        await fast.batch(opening);
        for (const [port, e] of wantSvc) f.svc.set(port, e);
        for (const [k, v] of wantSg) f.sg.set(k, v);
      },
      close: async () => {
        await fast.batch(closing);
        for (const port of [...f.svc.keys()]) if (!wantSvc.has(port)) f.svc.delete(port);
        for (const k of [...f.sg.keys()]) if (!wantSg.has(k)) f.sg.delete(k);
      },
    };
  }

  private async program(a: ActualEni, d: DesiredEni): Promise<void> {
    const { ep } = d;
    const want = wantedPorts(this.ctx.store, this.traffic, d, this.ctx.awsServicesSocket);
    const gone = changedPorts(a.ports, want);

    if (a.namespace) {
      // Fast entries open before the nft gate (the first SYN after acceptance already takes the
      // fast path) and close after it (a SYN in between meets the closed gate: refused).
      const fast = this.planFast(a, d, want);
      await fast?.open();
      const script = endpointScript(this.ctx.store, d, a.address, want);
      if (script !== a.script) {
        await nft(this.ctx.runner, a.namespace, script);
        a.script = script;
        this.ctx.logger.debug('endpoint ENI rules loaded', {
          eni: a.eniId,
          state: ep.state,
          ports: [...want.keys()],
        });
      }
      await fast?.close();
    }
    // Gate closed (element removed above): now cut what is still open on those ports.
    for (const port of gone) {
      const p = a.proxies.get(port);
      a.proxies.delete(port);
      a.ports.delete(port);
      if (p instanceof TcpProxy) await p.close();
      else if (p) await this.traffic.host.stop(`${a.eniId}:${port}`);
      if (a.namespace) {
        await nsExec(this.ctx.runner, a.namespace, [
          'conntrack',
          '-D',
          '-p',
          'tcp',
          '--orig-dst',
          a.eniIp,
          '--dport',
          String(port),
        ]).catch(() => undefined); // exit 1 = no flows
      }
    }
    // Open what is new: netns PPv2 ports via the agent, every port in loopback mode.
    const toOpen = [...want].filter(([port, u]) => !a.proxies.has(port) && (!a.namespace || u.ppv2));
    if (a.namespace && toOpen.length) {
      const socks = await openInNamespace(
        this.ctx.runner,
        a.namespace,
        toOpen.map(([port]) => ({ type: 'tcp' as const, host: a.eniIp, port })),
      );
      for (const [i, [port, u]] of toOpen.entries()) {
        const s = socks[i];
        if (s?.type !== 'tcp') continue;
        const agentGeneration = await this.traffic.host.serve(`${a.eniId}:${port}`, s.server, {
          upstreamHost: u.unix ? '' : u.address,
          upstreamPort: port,
          ...(u.unix ? { upstreamPath: u.address } : {}),
          ppv2VpceId: ep.id,
          headerDestination: { address: a.eniIp, port },
        });
        a.proxies.set(port, { agentGeneration });
      }
    } else if (!a.namespace) {
      for (const [port, u] of toOpen) a.proxies.set(port, await this.loopbackProxy(a, ep.id, port, u));
    }
    for (const [port, u] of want) a.ports.set(port, u);
    a.programmed = true;
  }

  private async loopbackProxy(a: ActualEni, vpceId: string, port: number, u: Upstream): Promise<TcpProxy> {
    const server = net.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: a.address, port }, () => resolve());
    });
    a.loopback?.watch(server);
    const picker = this.traffic.picker;
    return new TcpProxy(server, {
      upstreamHost: u.address,
      upstreamPort: port,
      ...(u.unix ? { upstreamPath: u.address } : { pick: () => picker?.pick(u.nodeEni, port) }),
      header: u.ppv2
        ? (c) =>
            c.remoteAddress && c.remotePort !== undefined
              ? buildPpv2(
                  {
                    sourceAddress: c.remoteAddress,
                    sourcePort: c.remotePort,
                    destinationAddress: a.eniIp,
                    destinationPort: port,
                  },
                  { vpceId },
                )
              : undefined
        : undefined,
    });
  }

  private async create({ ep, eni }: DesiredEni): Promise<ActualEni> {
    const base = {
      eniId: eni.id,
      endpointId: ep.id,
      vpcId: eni.vpcId,
      eniIp: eni.privateIpAddress,
      script: '',
      programmed: false,
      ports: new Map<number, Upstream>(),
      proxies: new Map<number, TcpProxy | { agentGeneration: number }>(),
      links: new Map<string, NodeInfo>(),
    };
    const fabric = this.traffic.fabric;
    if (this.ctx.mode !== 'netns' || !fabric) {
      const a: ActualEni = {
        ...base,
        namespace: undefined,
        address: this.traffic.loopback?.allocate(eni.id) ?? '127.0.0.1',
        loopback: new LoopbackMeter(),
      };
      this.actual.set(eni.id, a);
      return a;
    }
    const subnet = this.ctx.store.find('subnet', eni.subnetId);
    if (!subnet) throw new Error(`subnet ${eni.subnetId} not found`);
    const vpcNs = this.ctx.vpcs.namespaceOf(eni.vpcId);
    if (!vpcNs) throw new Error(`VPC ${eni.vpcId} has no namespace`);
    await fabric.ensure();
    const ns = eniNamespace(this.ctx.prefix, eni.id);
    const address = fabric.pool.allocate(eni.id);
    try {
      await buildEniNamespace(this.ctx.runner, {
        namespace: ns,
        vpcNamespace: vpcNs,
        fabricNamespace: fabric.namespace,
        vpcLeg: ENDPOINT_VPC_LEG,
        vpcPeer: linkName('e', eni.id),
        mac: eni.macAddress,
        privateIp: eni.privateIpAddress,
        subnetCidr: subnet.cidrBlock,
        fabric: fabric.attachLines(ns, eni.id, address),
      });
    } catch (e) {
      fabric.pool.release(eni.id);
      throw e;
    }
    const a: ActualEni = { ...base, namespace: ns, address };
    if (this.fast) {
      try {
        await this.fast.ensure();
        const [c] = await Promise.all([
          this.fast.leg(ns, ENDPOINT_VPC_LEG),
          this.fast.attach(ns, ENDPOINT_VPC_LEG, 'nat_fwd'),
        ]);
        await this.fast.batch([
          updateLine(
            this.fast.map('fp_enis'),
            this.fast.macKey(c.mac),
            pack(LAYOUTS.eni_val, { c_ifindex: c.ifindex, eni_ip: eni.privateIpAddress }),
          ),
          updateLine(this.fast.map('fp_stats'), this.fast.macKey(c.mac), pack(LAYOUTS.stats_val, {})),
        ]);
        a.fast = { mac: c.mac, links: new Map(), svc: new Map(), sg: new Map() };
      } catch (e) {
        // Without its entries the ENI carries everything on the nftables path.
        this.ctx.logger.warn('fast path unavailable for this ENI; nftables carries it', {
          eni: eni.id,
          error: e instanceof Error ? e.message : String(e),
        });
      }
    }
    this.actual.set(eni.id, a);
    this.ctx.logger.debug('endpoint ENI up', {
      endpoint: ep.id,
      eni: eni.id,
      ns,
      ip: eni.privateIpAddress,
      internal: address,
    });
    return a;
  }

  private async remove(a: ActualEni): Promise<void> {
    this.actual.delete(a.eniId);
    for (const [port, p] of a.proxies) {
      if (p instanceof TcpProxy) await p.close();
      else await this.traffic.host.stop(`${a.eniId}:${port}`).catch(() => undefined);
    }
    if (this.fast && a.fast) {
      const f = a.fast;
      // Entries first (gate closed), then the namespace; conntrack entries die with their generation.
      await this.fast
        .batch(
          [
            ...[...f.svc.values()].map((e) => deleteLine(this.fast?.map('fp_svc') ?? '', e.key)),
            ...[...f.sg.keys()].map((k) => `map delete pinned ${this.fast?.map('fp_sg') ?? ''} key hex ${k}`),
            deleteLine(this.fast.map('fp_enis'), this.fast.macKey(f.mac)),
            deleteLine(this.fast.map('fp_stats'), this.fast.macKey(f.mac)),
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

  async close(): Promise<void> {
    await this.queue.run(async () => {
      for (const a of [...this.actual.values()]) {
        await this.remove(a).catch((e: unknown) =>
          this.ctx.logger.warn(`removing endpoint ENI ${a.eniId} failed`, { error: String(e) }),
        );
      }
    });
    await this.fast?.release();
  }

  describe(): Record<string, unknown> {
    const enis = [...this.actual.values()];
    return {
      interfaces: enis.length,
      namespaces: enis.filter((e) => e.namespace).length,
      carrying: enis.filter((e) => e.ports.size > 0).length,
      nodeLinks: enis.reduce((n, e) => n + e.links.size, 0),
      ...(this.fast
        ? {
            fastPath: {
              ...this.fast.describe(),
              enis: enis.filter((e) => e.fast).length,
              servicePorts: enis.reduce((n, e) => n + (e.fast?.svc.size ?? 0), 0),
              fastLinks: enis.reduce((n, e) => n + (e.fast?.links.size ?? 0), 0),
            },
          }
        : {}),
      ...(this.traffic.host instanceof AgentProxyHost
        ? { agents: { workers: this.traffic.host.workers, generation: this.traffic.host.generation } }
        : {}),
      ...(this.ctx.mode === 'loopback'
        ? { loopbackAddresses: Object.fromEntries(enis.map((e) => [e.eniId, e.address])) }
        : {}),
    };
  }
}
