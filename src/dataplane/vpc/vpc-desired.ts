/**
 * What the VPC networks should look like, as pure functions of the store: which VPCs exist with
 * which resolver and subnet routers, the commands that build a VPC namespace, and the `ip` lines
 * that move a bridge's router addresses from what they are to what they should be. The VPC
 * reconciler applies them.
 */
import type { Store } from '../../store/store.js';
import { stableMac } from '../netns/naming.js';
import { NO_BRIDGE_NETFILTER, ipBatchCommand, nsCommand, type Command } from '../netns/commands.js';
import { IMDS_IP, VPC_BRIDGE, resolverAddress, routerAddress } from './vpc-network.js';

export interface DesiredVpc {
  vpcId: string;
  accountId: string;
  cidrBlock: string;
  resolverIp: string;
  /** Subnet id → router address with prefix (base+1/len). */
  routers: Map<string, string>;
}

export function desiredVpcs(store: Pick<Store, 'listAll'>): Map<string, DesiredVpc> {
  const out = new Map<string, DesiredVpc>();
  for (const v of store.listAll('vpc')) {
    out.set(v.id, {
      vpcId: v.id,
      accountId: v.accountId,
      cidrBlock: v.cidrBlock,
      resolverIp: resolverAddress(v.cidrBlock),
      routers: new Map(),
    });
  }
  for (const s of store.listAll('subnet')) out.get(s.vpcId)?.routers.set(s.id, routerAddress(s.cidrBlock));
  return out;
}

/** Commands that build a VPC namespace after `ip netns add` (pure). */
export function vpcNamespacePlan(vpcId: string, ns: string, resolverIp: string): Command[] {
  return [
    ipBatchCommand(
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
    ),
    // Frames bridged inside the VPC need no netfilter (br_netfilter is built into this kind of
    // kernel and on by default in every namespace): skipping it saves work on every hop.
    // No ICMP redirects: the router forwards back out of br0 whenever two subnets talk, and a
    // redirect would teach an instance to skip the router — and so its subnet's route table.
    nsCommand(ns, [
      'sysctl',
      '-qw',
      'net.ipv4.ip_forward=1',
      'net.ipv4.conf.all.send_redirects=0',
      'net.ipv4.conf.default.send_redirects=0',
      // The kernel ORs `all` with the device's own value, and br0 exists already.
      `net.ipv4.conf.${VPC_BRIDGE}.send_redirects=0`,
      ...NO_BRIDGE_NETFILTER,
    ]),
  ];
}

/** `ip` lines taking the bridge's routers from `have` to `want`, and the routers afterwards. */
export function routerChanges(
  have: ReadonlyMap<string, string>,
  want: ReadonlyMap<string, string>,
): { lines: string[]; next: Map<string, string> } {
  const lines: string[] = [];
  const next = new Map(have);
  for (const [subnetId, addr] of have) {
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
  return { lines, next };
}

/** Lines that rebuild the router set from scratch (when the kernel is out of step). */
export function routerResetLines(want: ReadonlyMap<string, string>): string[] {
  return [
    `addr flush dev ${VPC_BRIDGE}`,
    ...[...want.values()].map((x) => `addr replace ${x} dev ${VPC_BRIDGE}`),
  ];
}
