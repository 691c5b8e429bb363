/**
 * Route tables in the data plane, as pure functions: which route table each subnet uses (its
 * explicit association, else the VPC's main table), what each route targets (a typed union), and
 * the policy-routing state of a VPC namespace that carries it out — one kernel table per route
 * table in use, one `ip rule` per subnet (`from <subnet CIDR> iif br0`), and the `ip` lines that
 * move the kernel from what it has to what it should have. The routing reconciler applies them.
 *
 * How a route table becomes a kernel table: the `local` route is a `throw` (lookup falls through
 * to the main table, where every subnet router's connected route lives), so a more specific route
 * in the same table wins by longest prefix, as on AWS. Routes to an interface, instance or GWLB
 * endpoint go `via` that ENI's address on the bridge; a route whose target is gone is a
 * `blackhole` (dropped, as AWS's blackhole state). What a target kind turns into is decided by
 * one resolver per kind (`HopResolvers`): adding a kind to `RouteTarget` does not compile until
 * it has a resolver, and a later change gives a kind its real next hop by replacing its resolver
 * (gateway endpoints are `unreachable` until their data path exists).
 *
 * Fidelity ledger
 * - Covered: main vs explicitly associated table per subnet; routes more specific than the VPC
 *   CIDR (AWS allows them since 2021); targets: local, network interface, instance, GWLB
 *   endpoint, gateway-endpoint prefix lists (expanded to their CIDRs), gateways (no internet
 *   here: unreachable); blackhole routes drop.
 * - Gaps: IPv6; secondary VPC CIDRs; edge (gateway) associations; traffic inside one subnet never
 *   meets the route table (true on AWS as well).
 * - By design: routing happens in the VPC namespace only (never in the host namespace).
 */
import type { DeepReadonly } from '../../control/model/common.js';
import type { Route } from '../../control/model/network.js';
import { awsPrefixListsForRegion } from '../../control/privatelink/aws-services.js';
import type { StoreView } from '../testing/fake-store.js';
import { VPC_BRIDGE } from '../vpc/vpc-network.js';
import { linkName } from '../netns/naming.js';

/** What a route sends traffic to. Add a kind here and a resolver in `HopResolvers`. */
export type RouteTarget =
  | { kind: 'local' }
  | { kind: 'interface'; networkInterfaceId: string }
  | { kind: 'gwlb-endpoint'; vpceId: string }
  | { kind: 'gateway-endpoint'; vpceId: string; prefixListId: string; cidrs: readonly string[] }
  | { kind: 'gateway'; gatewayId: string }
  | { kind: 'blackhole' };

export interface DesiredRoute {
  /** Destination CIDR (a prefix-list route is expanded to one entry per CIDR). */
  destination: string;
  target: RouteTarget;
}

export interface DesiredTable {
  routeTableId: string;
  routes: DesiredRoute[];
}

export interface SubnetBinding {
  subnetId: string;
  cidrBlock: string;
  routeTableId: string;
}

export interface DesiredRouting {
  vpcId: string;
  cidrBlock: string;
  /** Route tables some subnet uses, by ID. */
  tables: Map<string, DesiredTable>;
  subnets: SubnetBinding[];
  /**
   * Links that bring traffic back into the VPC on behalf of a subnet (the return link of a GWLB
   * endpoint): routed by that subnet's table, as AWS routes what leaves an endpoint.
   */
  links: { iif: string; routeTableId: string }[];
}

/** The target of a stored route, read from its fields (AWS sets several on some routes). */
export function routeTarget(r: DeepReadonly<Route>, region: string): RouteTarget {
  if (r.gatewayId === 'local') return { kind: 'local' };
  if (r.vpcEndpointId !== undefined) return { kind: 'gwlb-endpoint', vpceId: r.vpcEndpointId };
  if (r.destinationPrefixListId !== undefined && r.gatewayId?.startsWith('vpce-')) {
    const pl = awsPrefixListsForRegion(region).find((p) => p.prefixListId === r.destinationPrefixListId);
    return {
      kind: 'gateway-endpoint',
      vpceId: r.gatewayId,
      prefixListId: r.destinationPrefixListId,
      cidrs: pl?.cidrs ?? [],
    };
  }
  if (r.networkInterfaceId !== undefined)
    return { kind: 'interface', networkInterfaceId: r.networkInterfaceId };
  if (r.gatewayId !== undefined) return { kind: 'gateway', gatewayId: r.gatewayId };
  return { kind: 'blackhole' };
}

/** Every VPC's route tables as its subnets use them (pure). */
export function desiredRouting(store: Pick<StoreView, 'listAll'>): Map<string, DesiredRouting> {
  const out = new Map<string, DesiredRouting>();
  for (const v of store.listAll('vpc')) {
    out.set(v.id, { vpcId: v.id, cidrBlock: v.cidrBlock, tables: new Map(), subnets: [], links: [] });
  }
  const tables = store.listAll('routeTable');
  const regionOf = new Map(store.listAll('vpc').map((v) => [v.id, v.region]));
  for (const s of store.listAll('subnet')) {
    const d = out.get(s.vpcId);
    if (!d) continue;
    const mine = tables.filter((t) => t.vpcId === s.vpcId);
    const rt =
      mine.find((t) => t.associations.some((a) => a.subnetId === s.id)) ??
      mine.find((t) => t.associations.some((a) => a.main));
    if (!rt) continue;
    d.subnets.push({ subnetId: s.id, cidrBlock: s.cidrBlock, routeTableId: rt.id });
    if (d.tables.has(rt.id)) continue;
    const region = regionOf.get(s.vpcId) ?? rt.region;
    const routes: DesiredRoute[] = [];
    for (const r of rt.routes) {
      const target = routeTarget(r, region);
      if (target.kind === 'gateway-endpoint') {
        for (const c of target.cidrs) routes.push({ destination: c, target });
      } else if (r.destinationCidrBlock !== undefined) {
        routes.push({ destination: r.destinationCidrBlock, target });
      }
    }
    d.tables.set(rt.id, { routeTableId: rt.id, routes });
  }
  for (const ep of store.listAll('vpcEndpoint')) {
    if (ep.endpointType !== 'GatewayLoadBalancer' || ep.state === 'deleted') continue;
    const d = out.get(ep.vpcId);
    const eniId = ep.networkInterfaceIds[0];
    const bound = d?.subnets.find((s) => s.subnetId === ep.subnetIds[0]);
    if (d && eniId && bound) d.links.push({ iif: gwlbReturnLink(eniId), routeTableId: bound.routeTableId });
  }
  return out;
}

/** The VPC-side end of a GWLB endpoint's return link (named here and by the GWLB reconciler). */
export const gwlbReturnLink = (eniId: string) => linkName('g', eniId);

/** What the kernel does with a route's packets. */
export type KernelHop =
  { type: 'throw' } | { type: 'via'; gateway: string } | { type: 'unreachable' } | { type: 'blackhole' };

/** One resolver per target kind: the extension point for new next hops. */
export type HopResolvers = {
  [K in RouteTarget['kind']]: (target: Extract<RouteTarget, { kind: K }>) => KernelHop;
};

/** Facts about the world that the default resolvers need (from the store and the data plane). */
export interface HopFacts {
  /** An ENI's private IP, if the ENI exists and may receive routed traffic. */
  eniAddress(networkInterfaceId: string): string | undefined;
  /** Where packets routed to a GWLB endpoint go (its ENI address), if it can carry them now. */
  gwlbEndpointAddress(vpceId: string): string | undefined;
}

export function defaultHopResolvers(facts: HopFacts): HopResolvers {
  const via = (a: string | undefined): KernelHop => (a ? { type: 'via', gateway: a } : { type: 'blackhole' });
  return {
    local: () => ({ type: 'throw' }),
    interface: (t) => via(facts.eniAddress(t.networkInterfaceId)),
    'gwlb-endpoint': (t) => via(facts.gwlbEndpointAddress(t.vpceId)),
    // No gateway-endpoint data path yet: no traffic, as before route tables were enforced.
    'gateway-endpoint': () => ({ type: 'unreachable' }),
    // privlink has no internet or VPN gateways: nothing is behind them.
    gateway: () => ({ type: 'unreachable' }),
    blackhole: () => ({ type: 'blackhole' }),
  };
}

function resolve(hops: HopResolvers, t: RouteTarget): KernelHop {
  // Each branch hands the resolver its own narrowed kind.
  switch (t.kind) {
    case 'local':
      return hops.local(t);
    case 'interface':
      return hops.interface(t);
    case 'gwlb-endpoint':
      return hops['gwlb-endpoint'](t);
    case 'gateway-endpoint':
      return hops['gateway-endpoint'](t);
    case 'gateway':
      return hops.gateway(t);
    case 'blackhole':
      return hops.blackhole(t);
  }
}

/** Priority of the per-subnet rules (before `main` at 32766; room below for special sources). */
export const SUBNET_RULE_PREF = 1000;
/** Priority of the rules for links that enter on a subnet's behalf (before the subnets'). */
export const LINK_RULE_PREF = 900;
/** Kernel table numbers given to route tables start here (253–255 are the kernel's own). */
export const FIRST_TABLE = 1000;

/** The kernel state of one VPC namespace: rule specs and routes keyed by `table dest`. */
export interface KernelRouting {
  rules: string[];
  routes: Map<string, string>;
}

/** Keeps each route table's kernel table number; new tables get the lowest free number. */
export function assignTableNumbers(
  have: ReadonlyMap<string, number>,
  want: Iterable<string>,
): Map<string, number> {
  const wanted = [...want].sort();
  const out = new Map<string, number>();
  for (const id of wanted) {
    const n = have.get(id);
    if (n !== undefined) out.set(id, n);
  }
  const used = new Set(out.values());
  let next = FIRST_TABLE;
  for (const id of wanted) {
    if (out.has(id)) continue;
    while (used.has(next)) next++;
    out.set(id, next);
    used.add(next);
  }
  return out;
}

function routeSpec(dest: string, hop: KernelHop, table: number): string {
  switch (hop.type) {
    case 'via':
      // onlink: the next hop sits on the bridge even when it is in another subnet's range.
      return `${dest} via ${hop.gateway} dev ${VPC_BRIDGE} onlink table ${table}`;
    case 'throw':
    case 'unreachable':
    case 'blackhole':
      return `${hop.type} ${dest} table ${table}`;
  }
}

/** The kernel routing a VPC's route tables amount to (pure). */
export function kernelRouting(
  d: DesiredRouting,
  tables: ReadonlyMap<string, number>,
  hops: HopResolvers,
): KernelRouting {
  const rules: string[] = [];
  const routes = new Map<string, string>();
  for (const s of [...d.subnets].sort((a, b) => a.cidrBlock.localeCompare(b.cidrBlock))) {
    const n = tables.get(s.routeTableId);
    if (n === undefined) continue;
    rules.push(`pref ${SUBNET_RULE_PREF} from ${s.cidrBlock} iif ${VPC_BRIDGE} lookup ${n}`);
  }
  for (const l of [...d.links].sort((a, b) => a.iif.localeCompare(b.iif))) {
    const n = tables.get(l.routeTableId);
    if (n !== undefined) rules.push(`pref ${LINK_RULE_PREF} iif ${l.iif} lookup ${n}`);
  }
  for (const [id, t] of [...d.tables].sort(([a], [b]) => a.localeCompare(b))) {
    const n = tables.get(id);
    if (n === undefined) continue;
    for (const r of t.routes) {
      const key = `${n} ${r.destination}`;
      // Two prefix lists can share a CIDR: the first route keeps it (AWS refuses overlaps).
      if (!routes.has(key)) routes.set(key, routeSpec(r.destination, resolve(hops, r.target), n));
    }
  }
  return { rules, routes };
}

/** `ip` batch lines that move a namespace's routing from `have` to `want`. */
export function routingChanges(have: KernelRouting, want: KernelRouting): string[] {
  const lines: string[] = [];
  const wantRules = new Set(want.rules);
  const haveRules = new Set(have.rules);
  for (const r of have.rules) if (!wantRules.has(r)) lines.push(`rule del ${r}`);
  for (const [key, spec] of have.routes) {
    if (!want.routes.has(key)) {
      const [table, dest] = key.split(' ');
      lines.push(`route del ${dest ?? ''} table ${table ?? ''}`);
    } else if (want.routes.get(key) !== spec) {
      // `replace` cannot change a route's type (throw → via): delete first.
      const [table, dest] = key.split(' ');
      lines.push(`route del ${dest ?? ''} table ${table ?? ''}`);
    }
  }
  for (const [key, spec] of want.routes) {
    if (have.routes.get(key) !== spec) lines.push(`route replace ${spec}`);
  }
  for (const r of want.rules) if (!haveRules.has(r)) lines.push(`rule add ${r}`);
  return lines;
}

/**
 * Rebuilding a namespace's routing when a batch failed (the kernel is out of step): `cleanup`
 * (run with `-force`, failures ignored) removes every rule either side knows of and empties the
 * tables, then `build` adds the wanted state.
 */
export function routingResetLines(
  tables: Iterable<number>,
  have: KernelRouting,
  want: KernelRouting,
): { cleanup: string[]; build: string[] } {
  const cleanup = [...new Set([...have.rules, ...want.rules])].map((r) => `rule del ${r}`);
  for (const n of new Set(tables)) cleanup.push(`route flush table ${n}`);
  return { cleanup, build: routingChanges({ rules: [], routes: new Map() }, want) };
}
