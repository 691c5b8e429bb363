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
import { linkNamespaces, removeLink } from './node-links.js';
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
}

export class EndpointReconciler implements Reconciler {
  readonly name = 'endpoint-interfaces';
  private readonly traffic: Traffic;
  private readonly actual = new Map<string, ActualEni>();
  private readonly queue = new SerialQueue();
  private readonly staleVpcs = new Set<string>();
  private readonly meter: TrafficMeter;

  constructor(private readonly ctx: DataplaneContext) {
    this.traffic = ctx.traffic;
    ctx.events.on('vpc-down', (e: { vpcId: string }) => this.staleVpcs.add(e.vpcId));
    this.meter = new TrafficMeter(ctx.runner, () => this.actual.values());
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
      } catch (e) {
        this.ctx.logger.warn('point-to-point link to NLB node failed; using the fabric', {
          eni: a.eniId,
          node: id,
          error: e instanceof Error ? e.message : String(e),
        });
      }
    }
  }

  private async program(a: ActualEni, d: DesiredEni): Promise<void> {
    const { ep } = d;
    const want = wantedPorts(this.ctx.store, this.traffic, d, this.ctx.awsServicesSocket);
    const gone = changedPorts(a.ports, want);

    if (a.namespace) {
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
  }

  describe(): Record<string, unknown> {
    const enis = [...this.actual.values()];
    return {
      interfaces: enis.length,
      namespaces: enis.filter((e) => e.namespace).length,
      carrying: enis.filter((e) => e.ports.size > 0).length,
      nodeLinks: enis.reduce((n, e) => n + e.links.size, 0),
      ...(this.traffic.host instanceof AgentProxyHost
        ? { agents: { workers: this.traffic.host.workers, generation: this.traffic.host.generation } }
        : {}),
      ...(this.ctx.mode === 'loopback'
        ? { loopbackAddresses: Object.fromEntries(enis.map((e) => [e.eniId, e.address])) }
        : {}),
    };
  }
}
