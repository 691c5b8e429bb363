/**
 * Gateway endpoints (S3, DynamoDB) carry traffic: one namespace per gateway endpoint with a leg
 * on its VPC's bridge at a next-hop address (169.254.170.N, per VPC), which the route tables'
 * prefix-list routes point at (`HopResolvers['gateway-endpoint']`, routing/). The service's
 * prefix-list CIDR is local there (AnyIP), and a listener on :443 — its handle passed to the
 * fabric agents like a PROXY v2 listener — forwards each connection to privlink's API socket with
 * a PROXY v2 header naming the gateway endpoint, so the API applies that endpoint's policy and
 * forwards to the `--aws-service` backend.
 *
 * Fidelity ledger (docs/aws-services.md):
 * - Covered: only subnets whose route table has the prefix-list route reach the service (the VPC
 *   router sends nothing else to the next hop; instances cannot change routes); the endpoint's
 *   policy applies to every request.
 * - By design: the next hop is an on-link link-local address on the VPC bridge (AWS shows the
 *   route's target as the vpce ID, and so does DescribeRouteTables); replies go straight back to
 *   the instance over the bridge. HTTPS only (port 443), as the CLI and SDKs use.
 * - Gaps: no per-subnet filter inside the endpoint namespace beyond the routes (defence in depth).
 */
import type { DataplaneContext, Reconciler } from '../context.js';
import { deleteNamespace, ipBatchCommand, nsCommand, runCommands } from '../netns/commands.js';
import { linkName } from '../netns/naming.js';
import { openInNamespace } from '../netns/ns-sockets.js';
import { VPC_BRIDGE } from '../vpc/vpc-network.js';
import { AWS_SERVICE_PORT, servedAwsService } from './endpoint-desired.js';
import { awsPrefixListsForRegion } from '../../control/privatelink/aws-services.js';
import { SerialQueue } from '../fabric/traffic.js';

const HOP_BASE = '169.254.170.';
const LEG = 'g';

interface ActualGateway {
  vpceId: string;
  vpcId: string;
  namespace: string;
  hop: string;
  served: number | undefined;
}

export class GatewayEndpointReconciler implements Reconciler {
  readonly name = 'gateway-endpoints';
  private readonly actual = new Map<string, ActualGateway>();
  private readonly queue = new SerialQueue();
  /** VPCs whose namespace went away: their gateways' legs went with it (rebuilt next pass). */
  private readonly staleVpcs = new Set<string>();

  constructor(private readonly ctx: DataplaneContext) {
    ctx.events.on('vpc-down', ({ vpcId }: { vpcId: string }) => this.staleVpcs.add(vpcId));
  }

  /** The next hop of a gateway endpoint's routes, once its namespace serves (else undefined). */
  hopOf(vpceId: string): string | undefined {
    const a = this.actual.get(vpceId);
    return a?.served !== undefined ? a.hop : undefined;
  }

  private wanted() {
    const out = new Map<string, { vpceId: string; vpcId: string; cidrs: string[] }>();
    if (this.ctx.mode !== 'netns' || !this.ctx.awsServicesSocket) return out;
    for (const ep of this.ctx.store.listAll('vpcEndpoint')) {
      if (ep.endpointType !== 'Gateway' || ep.state !== 'available') continue;
      if (!servedAwsService(ep.serviceName)) continue;
      const pl = awsPrefixListsForRegion(ep.serviceRegion).find((l) => l.prefixListName === ep.serviceName);
      if (!pl) continue;
      out.set(ep.id, { vpceId: ep.id, vpcId: ep.vpcId, cidrs: pl.cidrs });
    }
    return out;
  }

  private freeHop(vpcId: string): string {
    const used = new Set([...this.actual.values()].filter((a) => a.vpcId === vpcId).map((a) => a.hop));
    for (let n = 1; n < 255; n++) if (!used.has(`${HOP_BASE}${n}`)) return `${HOP_BASE}${n}`;
    throw new Error(`VPC ${vpcId} has no free gateway-endpoint next hop`);
  }

  reconcile(): Promise<void> {
    return this.queue.run(async () => {
      const want = this.wanted();
      const errors: string[] = [];
      for (const a of [...this.actual.values()]) {
        if (want.has(a.vpceId) && !this.staleVpcs.has(a.vpcId)) continue;
        await this.remove(a).catch((e: unknown) => errors.push(`${a.vpceId}: ${String(e)}`));
      }
      this.staleVpcs.clear();
      for (const w of want.values()) {
        if (this.actual.has(w.vpceId) || !this.ctx.vpcs.isReady(w.vpcId)) continue;
        await this.create(w).catch((e: unknown) => errors.push(`${w.vpceId}: ${String(e)}`));
      }
      if (errors.length) throw new Error(errors.join('; '));
    });
  }

  private async create(w: { vpceId: string; vpcId: string; cidrs: string[] }): Promise<void> {
    const vpcNs = this.ctx.vpcs.namespaceOf(w.vpcId);
    const socket = this.ctx.awsServicesSocket;
    if (!vpcNs || !socket) return;
    const ns = `${this.ctx.prefix}-${w.vpceId}`;
    const hop = this.freeHop(w.vpcId);
    const peer = linkName('gw', w.vpceId);
    const a: ActualGateway = { vpceId: w.vpceId, vpcId: w.vpcId, namespace: ns, hop, served: undefined };
    this.actual.set(w.vpceId, a);
    await deleteNamespace(this.ctx.runner, ns);
    await this.ctx.runner.run(['ip', 'netns', 'add', ns]);
    await runCommands(this.ctx.runner, [
      ipBatchCommand([`link add ${LEG} netns ${ns} type veth peer name ${peer} netns ${vpcNs}`]),
      ipBatchCommand([`link set ${peer} master ${VPC_BRIDGE}`, `link set ${peer} up`], vpcNs),
      nsCommand(ns, ['sysctl', '-qw', 'net.ipv4.conf.all.rp_filter=0', 'net.ipv4.conf.default.rp_filter=0']),
      ipBatchCommand(
        [
          'link set lo up',
          `addr add ${hop}/32 dev ${LEG}`,
          `link set ${LEG} up`,
          // Replies go straight to the instance on the VPC bridge.
          `route add default dev ${LEG}`,
          // The whole prefix-list range is this namespace's own (AnyIP): any address in it serves.
          ...w.cidrs.map((c) => `route add local ${c} dev lo`),
        ],
        ns,
      ),
    ]);
    const [s] = await openInNamespace(this.ctx.runner, ns, [
      { type: 'tcp' as const, host: '0.0.0.0', port: AWS_SERVICE_PORT },
    ]);
    if (s?.type !== 'tcp') throw new Error('gateway endpoint listener did not open');
    a.served = await this.ctx.traffic.host.serve(`${w.vpceId}:${AWS_SERVICE_PORT}`, s.server, {
      upstreamHost: '',
      upstreamPort: AWS_SERVICE_PORT,
      upstreamPath: socket,
      ppv2VpceId: w.vpceId,
    });
  }

  private async remove(a: ActualGateway): Promise<void> {
    this.actual.delete(a.vpceId);
    if (a.served !== undefined)
      await this.ctx.traffic.host.stop(`${a.vpceId}:${AWS_SERVICE_PORT}`).catch(() => undefined);
    await deleteNamespace(this.ctx.runner, a.namespace);
  }

  async close(): Promise<void> {
    await this.queue.run(async () => {
      for (const a of [...this.actual.values()]) await this.remove(a).catch(() => undefined);
    });
  }

  describe(): Record<string, unknown> {
    return { gateways: this.actual.size };
  }
}
