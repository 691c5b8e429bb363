/**
 * VPC networks: one namespace per VPC holding a bridge (`br0`) that every instance, endpoint ENI
 * and NLB node of the VPC plugs into, the subnet routers (`subnet base+1/len` on br0, forwarding
 * on), the Amazon-provided resolver address (`VPC base+2/32`) and the instance metadata address
 * (`169.254.169.254/32`) on `lo`.
 *
 * Fidelity ledger
 * - Covered: isolation (no link ever joins two VPC namespaces or the host to a VPC, so VPCs with
 *   identical CIDRs never reach each other); routing between subnets of one VPC (the implicit VPC
 *   router); subnet create/delete after the VPC exists.
 * - Gaps: secondary CIDR blocks, route tables (every subnet reaches every subnet, like the
 *   implicit `local` route), network ACLs, IPv6.
 * - By design: loopback mode has no VPC networks; `isReady` is true for every stored VPC there,
 *   and 'vpc-up' carries `namespace: undefined`.
 */
import type { EventEmitter } from 'node:events';
import { nthAddress, parseCidr } from '../../control/cidr.js';
import type { Control } from '../dataplane.js';
import type { Logger } from '../../shared/logger.js';
import type { Store } from '../../store/store.js';
import type { Reconciler } from '../dataplane.js';
import { stableMac, vpcNamespace } from '../netns/naming.js';
import { NO_BRIDGE_NETFILTER, deleteNamespace, ipBatch, nsExec, run } from '../netns/run.js';

/** Name of the bridge inside every VPC namespace. */
export const VPC_BRIDGE = 'br0';
export const IMDS_IP = '169.254.169.254';

export interface VpcNetwork {
  vpcId: string;
  accountId: string;
  cidrBlock: string;
  /** undefined in loopback mode. */
  namespace: string | undefined;
  bridge: string;
  /** VPC base+2: the Amazon-provided DNS address. */
  resolverIp: string;
  /** Subnet id → router address (base+1) with prefix length, e.g. 10.0.1.1/24. */
  routers: ReadonlyMap<string, string>;
}

/** Read-only lookup the other reconcilers use to plug into a VPC. */
export interface VpcNetworks {
  get(vpcId: string): VpcNetwork | undefined;
  /** True when the VPC's namespace and bridge exist (loopback: when the VPC is stored). */
  isReady(vpcId: string): boolean;
  /** The namespace of a ready VPC (undefined in loopback mode or when not ready). */
  namespaceOf(vpcId: string): string | undefined;
  list(): VpcNetwork[];
}

interface VpcReconcilerContext {
  store: Store;
  control: Control;
  prefix: string;
  mode: 'netns' | 'loopback';
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

export function routerAddress(subnetCidr: string): string {
  const c = parseCidr(subnetCidr);
  return `${nthAddress(c, 1)}/${c.prefix}`;
}

export function resolverAddress(vpcCidr: string): string {
  return nthAddress(parseCidr(vpcCidr), 2);
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
    const { store } = this.ctx;
    const desired = new Map(store.listAll('vpc').map((v) => [v.id, v]));
    const subnetsByVpc = new Map<string, Map<string, string>>();
    for (const s of store.listAll('subnet')) {
      const m = subnetsByVpc.get(s.vpcId) ?? new Map<string, string>();
      m.set(s.id, routerAddress(s.cidrBlock));
      subnetsByVpc.set(s.vpcId, m);
    }
    const errors: string[] = [];
    for (const id of [...this.actual.keys()]) {
      if (!desired.has(id) || desired.get(id)?.cidrBlock !== this.actual.get(id)?.cidrBlock) {
        await this.remove(id).catch((e: unknown) => errors.push(`${id}: ${String(e)}`));
      }
    }
    for (const [id, vpc] of desired) {
      const routers = subnetsByVpc.get(id) ?? new Map<string, string>();
      try {
        let a = this.actual.get(id);
        if (!a) {
          a = await this.create(id, vpc.accountId, vpc.cidrBlock);
          this.actual.set(id, a);
          await this.syncRouters(a, routers);
          this.ctx.events.emit('vpc-up', { vpcId: id, namespace: a.namespace, resolverIp: a.resolverIp });
        } else {
          await this.syncRouters(a, routers);
        }
      } catch (e) {
        errors.push(`${id}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    if (errors.length) throw new Error(errors.join('; '));
  }

  private async create(vpcId: string, accountId: string, cidrBlock: string): Promise<ActualVpc> {
    const resolverIp = resolverAddress(cidrBlock);
    const base = { vpcId, accountId, cidrBlock, resolverIp, routers: new Map<string, string>() };
    if (this.ctx.mode !== 'netns') return { ...base, namespace: undefined };
    const ns = vpcNamespace(this.ctx.prefix, vpcId);
    // A half-built namespace from a failed earlier attempt is rebuilt from scratch.
    await deleteNamespace(ns);
    await run(['ip', 'netns', 'add', ns]);
    try {
      await ipBatch(
        [
          'link set lo up',
          // A pinned MAC: a bridge otherwise takes the lowest MAC of its ports, so plugging in an
          // ENI or instance could change the router's MAC under every instance's ARP cache.
          `link add ${VPC_BRIDGE} address ${stableMac(`vpc-router:${vpcId}`)} type bridge`,
          `link set ${VPC_BRIDGE} up`,
          `addr add ${resolverIp}/32 dev lo`,
          `addr add ${IMDS_IP}/32 dev lo`,
        ],
        ns,
      );
      // Frames bridged inside the VPC need no netfilter (br_netfilter is built into this kind of
      // kernel and on by default in every namespace): skipping it saves work on every hop.
      await nsExec(ns, ['sysctl', '-qw', 'net.ipv4.ip_forward=1', ...NO_BRIDGE_NETFILTER]);
    } catch (e) {
      await deleteNamespace(ns).catch(() => undefined);
      throw e;
    }
    this.ctx.logger.debug(`VPC network up`, { vpcId, ns, cidrBlock });
    return { ...base, namespace: ns };
  }

  private async syncRouters(a: ActualVpc, want: ReadonlyMap<string, string>): Promise<void> {
    const lines: string[] = [];
    const next = new Map(a.routers);
    for (const [subnetId, addr] of a.routers) {
      if (want.get(subnetId) !== addr) {
        // Two subnets never share a router address, so deleting by address is exact.
        lines.push(`addr del ${addr} dev ${VPC_BRIDGE}`);
        next.delete(subnetId);
      }
    }
    for (const [subnetId, addr] of want) {
      if (next.get(subnetId) !== addr) {
        lines.push(`addr replace ${addr} dev ${VPC_BRIDGE}`);
        next.set(subnetId, addr);
      }
    }
    if (a.namespace && lines.length) {
      try {
        await ipBatch(lines, a.namespace);
      } catch {
        // Out of step with the kernel (e.g. an address removed by hand): rebuild the set.
        await ipBatch(
          [
            `addr flush dev ${VPC_BRIDGE}`,
            ...[...want.values()].map((x) => `addr replace ${x} dev ${VPC_BRIDGE}`),
          ],
          a.namespace,
        );
      }
    }
    a.routers = next;
  }

  private async remove(vpcId: string): Promise<void> {
    const a = this.actual.get(vpcId);
    if (!a) return;
    this.actual.delete(vpcId);
    this.ctx.events.emit('vpc-down', { vpcId });
    if (a.namespace) await deleteNamespace(a.namespace);
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
