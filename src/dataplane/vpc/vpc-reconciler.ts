/**
 * VPC networks: one namespace per VPC holding a bridge (`br0`) that every instance, endpoint ENI
 * and NLB node of the VPC plugs into, the subnet routers (`subnet base+1/len` on br0, forwarding
 * on), the Amazon-provided resolver address (`VPC base+2/32`) and the instance metadata address
 * (`169.254.169.254/32`) on `lo`. What should exist comes from vpc-desired.ts; this applies it.
 *
 * Fidelity ledger
 * - Covered: isolation (no link ever joins two VPC namespaces or the host to a VPC, so VPCs with
 *   identical CIDRs never reach each other); routing between subnets of one VPC (the implicit VPC
 *   router); subnet create/delete after the VPC exists.
 * - Gaps: secondary CIDR blocks, network ACLs, IPv6. Route tables act per subnet through
 *   policy routing in this namespace (routing/routing-reconciler.ts); no ICMP redirects are
 *   sent, so instances never learn to skip the router and its tables.
 * - By design: loopback mode has no VPC networks; `isReady` is true for every stored VPC there,
 *   and 'vpc-up' carries `namespace: undefined`.
 */
import type { EventEmitter } from 'node:events';
import type { Logger } from '../../shared/logger.js';
import type { Store } from '../../store/store.js';
import type { DataplaneMode, Reconciler } from '../context.js';
import { vpcNamespace } from '../netns/naming.js';
import type { Runner } from '../netns/runner.js';
import { deleteNamespace, ipBatch, runCommands } from '../netns/commands.js';
import { VPC_BRIDGE, type VpcNetwork, type VpcNetworks } from './vpc-network.js';
import { desiredVpcs, routerChanges, routerResetLines, vpcNamespacePlan } from './vpc-desired.js';

export { VPC_BRIDGE, IMDS_IP, routerAddress, resolverAddress } from './vpc-network.js';
export type { VpcNetwork, VpcNetworks } from './vpc-network.js';

export interface VpcReconcilerContext {
  store: Pick<Store, 'listAll'>;
  runner: Runner;
  prefix: string;
  mode: DataplaneMode;
  logger: Logger;
  events: EventEmitter;
}

interface ActualVpc {
  vpcId: string;
  accountId: string;
  cidrBlock: string;
  namespace: string | undefined;
  resolverIp: string;
  routers: Map<string, string>;
}

export class VpcReconciler implements Reconciler {
  readonly name = 'vpc-networks';
  private readonly actual = new Map<string, ActualVpc>();
  readonly networks: VpcNetworks;

  constructor(private readonly ctx: VpcReconcilerContext) {
    const view = (a: ActualVpc): VpcNetwork => ({ ...a, bridge: VPC_BRIDGE });
    this.networks = {
      get: (id) => {
        const a = this.actual.get(id);
        return a ? view(a) : undefined;
      },
      isReady: (id) => this.actual.has(id),
      namespaceOf: (id) => this.actual.get(id)?.namespace,
      list: () => [...this.actual.values()].map(view),
    };
  }

  async reconcile(): Promise<void> {
    const desired = desiredVpcs(this.ctx.store);
    const errors: string[] = [];
    for (const id of [...this.actual.keys()]) {
      if (desired.get(id)?.cidrBlock !== this.actual.get(id)?.cidrBlock) {
        await this.remove(id).catch((e: unknown) => errors.push(`${id}: ${String(e)}`));
      }
    }
    for (const [id, want] of desired) {
      try {
        let a = this.actual.get(id);
        if (!a) {
          a = await this.create(want.vpcId, want.accountId, want.cidrBlock, want.resolverIp);
          this.actual.set(id, a);
          await this.syncRouters(a, want.routers);
          this.ctx.events.emit('vpc-up', { vpcId: id, namespace: a.namespace, resolverIp: a.resolverIp });
        } else {
          await this.syncRouters(a, want.routers);
        }
      } catch (e) {
        errors.push(`${id}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    if (errors.length) throw new Error(errors.join('; '));
  }

  private async create(
    vpcId: string,
    accountId: string,
    cidrBlock: string,
    resolverIp: string,
  ): Promise<ActualVpc> {
    const base = { vpcId, accountId, cidrBlock, resolverIp, routers: new Map<string, string>() };
    if (this.ctx.mode !== 'netns') return { ...base, namespace: undefined };
    const { runner } = this.ctx;
    const ns = vpcNamespace(this.ctx.prefix, vpcId);
    // A half-built namespace from a failed earlier attempt is rebuilt from scratch.
    await deleteNamespace(runner, ns);
    await runner.run(['ip', 'netns', 'add', ns]);
    try {
      await runCommands(runner, vpcNamespacePlan(vpcId, ns, resolverIp));
    } catch (e) {
      await deleteNamespace(runner, ns).catch(() => undefined);
      throw e;
    }
    this.ctx.logger.debug(`VPC network up`, { vpcId, ns, cidrBlock });
    return { ...base, namespace: ns };
  }

  private async syncRouters(a: ActualVpc, want: ReadonlyMap<string, string>): Promise<void> {
    const { lines, next } = routerChanges(a.routers, want);
    if (a.namespace && lines.length) {
      try {
        await ipBatch(this.ctx.runner, lines, a.namespace);
      } catch {
        // Out of step with the kernel (e.g. an address removed by hand): rebuild the set.
        await ipBatch(this.ctx.runner, routerResetLines(want), a.namespace);
      }
    }
    a.routers = next;
  }

  private async remove(vpcId: string): Promise<void> {
    const a = this.actual.get(vpcId);
    if (!a) return;
    this.actual.delete(vpcId);
    this.ctx.events.emit('vpc-down', { vpcId });
    if (a.namespace) await deleteNamespace(this.ctx.runner, a.namespace);
  }

  async close(): Promise<void> {
    for (const id of [...this.actual.keys()]) {
      await this.remove(id).catch((e: unknown) =>
        this.ctx.logger.warn(`removing VPC network ${id} failed`, { error: String(e) }),
      );
    }
  }

  describe(): Record<string, unknown> {
    const vpcs = [...this.actual.values()];
    return {
      vpcs: vpcs.length,
      namespaces: vpcs.filter((v) => v.namespace).length,
    };
  }
}
