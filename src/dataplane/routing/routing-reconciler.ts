/**
 * Applies route tables to the VPC namespaces: per VPC, the kernel tables and per-subnet rules
 * route-plan.ts derives, changed with one `ip -batch` per namespace and only by difference. Runs
 * after the endpoint reconciler so the next hops it names (ENIs, GWLB endpoints) exist.
 * Loopback mode has no VPC namespaces and so no routing.
 */
import type { DataplaneContext, Reconciler } from '../context.js';
import { ipBatch } from '../netns/commands.js';
import {
  assignTableNumbers,
  defaultHopResolvers,
  desiredRouting,
  kernelRouting,
  routingChanges,
  routingResetLines,
  type HopFacts,
  type HopResolvers,
  type KernelRouting,
} from './route-plan.js';

interface ActualRouting {
  namespace: string;
  tables: Map<string, number>;
  kernel: KernelRouting;
}

export type RoutingContext = Pick<
  DataplaneContext,
  'store' | 'runner' | 'mode' | 'logger' | 'events' | 'vpcs'
>;

/** Store facts for the default resolvers: an ENI is a next hop while it exists and its owner runs. */
export function storeHopFacts(store: RoutingContext['store']): HopFacts {
  const eniAddress = (id: string): string | undefined => {
    const eni = store.find('networkInterface', id);
    if (!eni) return undefined;
    const inst = eni.attachment?.instanceId ? store.find('instance', eni.attachment.instanceId) : undefined;
    if (inst && (inst.state === 'terminated' || inst.state === 'shutting-down')) return undefined;
    return eni.privateIpAddress;
  };
  return {
    eniAddress,
    gwlbEndpointAddress: (vpceId) => {
      const ep = store.find('vpcEndpoint', vpceId);
      if (!ep || ep.state !== 'available') return undefined;
      const eniId = ep.networkInterfaceIds[0];
      return eniId ? eniAddress(eniId) : undefined;
    },
  };
}

export class RoutingReconciler implements Reconciler {
  readonly name = 'route-tables';
  private readonly actual = new Map<string, ActualRouting>();

  /** hops: the next-hop resolvers (default: from the store; a data path may override kinds). */
  constructor(
    private readonly ctx: RoutingContext,
    private readonly hops: () => HopResolvers = () => defaultHopResolvers(storeHopFacts(ctx.store)),
  ) {
    // A VPC namespace that goes away takes its rules and tables with it.
    ctx.events.on('vpc-down', ({ vpcId }: { vpcId: string }) => this.actual.delete(vpcId));
  }

  async reconcile(): Promise<void> {
    if (this.ctx.mode !== 'netns') return;
    const desired = desiredRouting(this.ctx.store);
    const hops = this.hops();
    const errors: string[] = [];
    for (const id of [...this.actual.keys()]) if (!desired.has(id)) this.actual.delete(id);
    for (const [vpcId, d] of desired) {
      const ns = this.ctx.vpcs.namespaceOf(vpcId);
      if (!ns || !this.ctx.vpcs.isReady(vpcId)) continue;
      let a = this.actual.get(vpcId);
      if (!a || a.namespace !== ns) {
        a = { namespace: ns, tables: new Map(), kernel: { rules: [], routes: new Map() } };
        this.actual.set(vpcId, a);
      }
      const tables = assignTableNumbers(a.tables, d.tables.keys());
      const want = kernelRouting(d, tables, hops);
      const lines = routingChanges(a.kernel, want);
      if (lines.length === 0) {
        a.tables = tables;
        continue;
      }
      try {
        await ipBatch(this.ctx.runner, lines, ns);
      } catch (e) {
        this.ctx.logger.debug('routing out of step; rebuilding', { vpcId, error: String(e) });
        const reset = routingResetLines([...a.tables.values(), ...tables.values()], a.kernel, want);
        try {
          await ipBatch(this.ctx.runner, reset.cleanup, ns, true).catch(() => undefined);
          await ipBatch(this.ctx.runner, reset.build, ns);
        } catch (e2) {
          // Nothing known is left in the kernel: the next pass starts from scratch.
          a.kernel = { rules: [], routes: new Map() };
          errors.push(`${vpcId}: ${e2 instanceof Error ? e2.message : String(e2)}`);
          continue;
        }
      }
      a.tables = tables;
      a.kernel = want;
    }
    if (errors.length) throw new Error(errors.join('; '));
  }

  close(): Promise<void> {
    // The VPC namespaces (and so every rule and table) go with the VPC reconciler.
    this.actual.clear();
    return Promise.resolve();
  }

  describe(): Record<string, unknown> {
    const all = [...this.actual.values()];
    return {
      vpcs: all.length,
      tables: all.reduce((n, a) => n + a.tables.size, 0),
      rules: all.reduce((n, a) => n + a.kernel.rules.length, 0),
      routes: all.reduce((n, a) => n + a.kernel.routes.size, 0),
    };
  }
}
