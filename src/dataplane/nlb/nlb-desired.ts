/**
 * What the Network Load Balancer nodes should be, as pure functions of the store and of the nodes
 * already built: which node namespaces exist, each load balancer's listeners, which node checks
 * which target (and on which health-check slot), the backends each listener map holds, the
 * node's nft script and idle timeout, and the targets that are draining. The NLB reconciler
 * applies the difference (nlb-reconciler.ts).
 */
import type { Store, Stored } from '../../store/store.js';
import { healthKey, type HealthTarget } from '../health/health-checker.js';
import type { ListenerInfo } from '../fabric/traffic.js';
import type { DataplaneMode } from '../context.js';
import { HC_PORT_BASE, renderNlbRules, type Backend } from './nlb-rules.js';

type Lb = Stored<'loadBalancer'>;
type Tg = Stored<'targetGroup'>;
type StoreView = Pick<Store, 'listAll' | 'find'>;

const TCP_PROTOCOLS = new Set(['TCP', 'TLS', 'TCP_UDP']);
export const DEFAULT_IDLE_TIMEOUT = 350;

/** A node namespace that should exist. */
export interface DesiredNode {
  eniId: string;
  loadBalancerArn: string;
  lbName: string;
  vpcId: string;
  zoneId: string;
  subnetId: string;
  nodeIp: string;
}

/** A node as built (what the plan needs of it). */
export interface BuiltNode {
  eniId: string;
  loadBalancerArn: string;
  /** netns: fabric address; loopback: 127.77.x.y. */
  address: string;
  namespace: string | undefined;
  /** Health-check slot per health key, as last programmed. */
  hcSlots: ReadonlyMap<string, number>;
}

/** Nodes of every network load balancer that is not failed, by node ENI. */
export function desiredNodes(store: StoreView): Map<string, DesiredNode> {
  const out = new Map<string, DesiredNode>();
  for (const lb of store.listAll('loadBalancer')) {
    if (lb.type !== 'network' || lb.state === 'failed') continue;
    for (const n of lb.nodes) {
      out.set(n.networkInterfaceId, {
        eniId: n.networkInterfaceId,
        loadBalancerArn: lb.id,
        lbName: lb.name,
        vpcId: lb.vpcId,
        zoneId: n.zoneId,
        subnetId: n.subnetId,
        nodeIp: n.privateIpAddress,
      });
    }
  }
  return out;
}

/** The forward target group of a listener (first of a weighted forward). */
export function forwardGroup(l: Stored<'listener'>): string | undefined {
  for (const a of l.defaultActions) {
    if (a.type !== 'forward') continue;
    if (a.targetGroupArn) return a.targetGroupArn;
    const first = a.forwardTargetGroups?.[0];
    if (first) return first.targetGroupArn;
  }
  return undefined;
}

export const ppv2Enabled = (tg: Tg) => tg.attributes['proxy_protocol_v2.enabled'] === 'true';

export interface TargetAddressing {
  mode: DataplaneMode;
  store: StoreView;
  /** Loopback mode: each instance's 127.x bind address. */
  hostAddresses: ReadonlyMap<string, string>;
}

/**
 * A target's IP: the ID for ip targets, the instance's private IP for instance targets. In
 * loopback mode the host is the only network, so instance targets are reached at their 127.x
 * bind address and ip targets only when they are loopback addresses (anything else would be
 * traffic from the host to a VPC address, which privlink never sends). An instance that is not
 * pending or running has no address: it is neither a backend nor checked.
 */
export function targetAddress(a: TargetAddressing, tg: Tg, id: string): string | undefined {
  if (tg.targetType !== 'instance') return a.mode === 'netns' || id.startsWith('127.') ? id : undefined;
  // A stopped (or stopping, or terminating) instance carries nothing and is not health-checked.
  const inst = a.store.find('instance', id);
  if (!inst || ['stopping', 'stopped', 'shutting-down', 'terminated'].includes(inst.state)) return undefined;
  return a.mode === 'loopback' ? a.hostAddresses.get(id) : inst.privateIpAddress;
}

export interface NlbView extends TargetAddressing {
  /** Nodes built so far, by ENI. */
  nodes: ReadonlyMap<string, BuiltNode>;
  /** netns: the fabric's health-check source address (probes go through the node's slot map). */
  healthSourceIp: string | undefined;
  /** BPF data path: the node's SNAT keeps to these ports (the programs own the others). */
  snatPorts?: string;
}

export interface NlbHealthPlan {
  listenersByLb: Map<string, ListenerInfo[]>;
  idleByLb: Map<string, number>;
  /** Target groups some listener forwards to. */
  tgs: Map<string, Tg>;
  healthTargets: HealthTarget[];
  /** Per node: health-check slot per key (nodes that check nothing get an empty map). */
  slots: Map<string, Map<string, number>>;
  /** Per checking node: health key → where its slot forwards. */
  checks: Map<string, Map<string, Backend>>;
}

/** Keeps the slots of wanted keys, gives new keys the lowest free slot, drops the rest. */
export function assignSlots(
  current: ReadonlyMap<string, number>,
  wanted: readonly string[],
): Map<string, number> {
  const m = new Map(current);
  for (const key of wanted) {
    if (m.has(key)) continue;
    const used = new Set(m.values());
    let k = 0;
    while (used.has(k)) k++;
    m.set(key, k);
  }
  const keep = new Set(wanted);
  for (const key of [...m.keys()]) if (!keep.has(key)) m.delete(key);
  return m;
}

/**
 * Listeners of every load balancer and the health checks: each group's targets are checked from
 * the first built node of the first load balancer (by ARN) that uses it.
 */
export function planListenersAndHealth(view: NlbView): NlbHealthPlan {
  const { store } = view;
  const lbs = store.listAll('loadBalancer').filter((lb) => lb.type === 'network' && lb.state !== 'failed');
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
    list.push({ port: l.port, targetGroupArn: tgArn, ppv2: ppv2Enabled(tg) });
    listenersByLb.set(l.loadBalancerArn, list);
    const idle = Number(l.attributes['tcp.idle_timeout.seconds'] ?? DEFAULT_IDLE_TIMEOUT);
    idleByLb.set(l.loadBalancerArn, Math.max(idleByLb.get(l.loadBalancerArn) ?? 0, idle));
  }
  for (const list of listenersByLb.values()) list.sort((a, b) => a.port - b.port);

  const checker = new Map<string, BuiltNode>();
  for (const lb of [...lbs].sort((a: Lb, b: Lb) => a.id.localeCompare(b.id))) {
    const first = lb.nodes.map((n) => view.nodes.get(n.networkInterfaceId)).find((n) => n !== undefined);
    if (!first) continue;
    for (const l of listenersByLb.get(lb.id) ?? [])
      if (!checker.has(l.targetGroupArn)) checker.set(l.targetGroupArn, first);
  }
  const wantedKeys = new Map<string, string[]>();
  const checks = new Map<string, Map<string, Backend>>();
  const pending: { node: BuiltNode; key: string; build: (slot: number) => HealthTarget }[] = [];
  for (const [tgArn, node] of checker) {
    const tg = tgs.get(tgArn);
    if (!tg) continue;
    for (const t of tg.targets) {
      if (t.deregisteredAt !== undefined) continue;
      const ip = targetAddress(view, tg, t.id);
      if (!ip) continue;
      const hcPort = tg.healthCheck.port === 'traffic-port' ? t.port : Number(tg.healthCheck.port);
      const key = healthKey(tgArn, t.id, t.port);
      const m = checks.get(node.eniId) ?? new Map<string, Backend>();
      m.set(key, { ip, port: hcPort });
      checks.set(node.eniId, m);
      const keys = wantedKeys.get(node.eniId) ?? [];
      keys.push(key);
      wantedKeys.set(node.eniId, keys);
      const ppv2 = ppv2Enabled(tg);
      pending.push({
        node,
        key,
        build: (slot) => ({
          targetGroupArn: tgArn,
          targetId: t.id,
          port: t.port,
          settings: { ...tg.healthCheck },
          probe:
            view.mode === 'netns' && view.healthSourceIp
              ? {
                  host: node.address,
                  port: HC_PORT_BASE + slot,
                  localAddress: view.healthSourceIp,
                  hostHeader: ip,
                  ppv2,
                }
              : { host: ip, port: hcPort, localAddress: node.address, ppv2 },
        }),
      });
    }
  }
  const slots = new Map<string, Map<string, number>>();
  for (const node of view.nodes.values())
    slots.set(node.eniId, assignSlots(node.hcSlots, wantedKeys.get(node.eniId) ?? []));
  const healthTargets = pending.map((p) => p.build(slots.get(p.node.eniId)?.get(p.key) ?? 0));
  return { listenersByLb, idleByLb, tgs, healthTargets, slots, checks };
}

/** Backends of a listener for new flows: healthy serving targets, or all serving (fail-open). */
export function backendsOf(
  a: TargetAddressing,
  tg: Tg,
  isHealthy: (tgArn: string, targetId: string, port: number) => boolean,
): Backend[] {
  const serving: { b: Backend; healthy: boolean }[] = [];
  for (const t of tg.targets) {
    if (t.deregisteredAt !== undefined) continue;
    const ip = targetAddress(a, tg, t.id);
    if (!ip) continue;
    serving.push({ b: { ip, port: t.port }, healthy: isHealthy(tg.id, t.id, t.port) });
  }
  const healthy = serving.filter((s) => s.healthy);
  return (healthy.length ? healthy : serving).map((s) => s.b);
}

export interface NodeProgram {
  /** Listener port → backends for new flows. */
  backends: Map<number, Backend[]>;
  /** netns: the node's whole nft script; undefined for loopback nodes. */
  script: string | undefined;
  idleTimeout: number;
}

/** What one built node should be programmed with. */
export function planNodeProgram(
  view: NlbView,
  node: BuiltNode & { nodeIp: string },
  plan: NlbHealthPlan,
  isHealthy: (tgArn: string, targetId: string, port: number) => boolean,
): NodeProgram {
  const backends = new Map<number, Backend[]>();
  for (const l of plan.listenersByLb.get(node.loadBalancerArn) ?? []) {
    const tg = plan.tgs.get(l.targetGroupArn);
    backends.set(l.port, tg ? backendsOf(view, tg, isHealthy) : []);
  }
  const idleTimeout = plan.idleByLb.get(node.loadBalancerArn) ?? DEFAULT_IDLE_TIMEOUT;
  if (!node.namespace || !view.healthSourceIp) return { backends, script: undefined, idleTimeout };
  const healthChecks: (Backend | undefined)[] = [];
  const checks = plan.checks.get(node.eniId);
  for (const [key, slot] of plan.slots.get(node.eniId) ?? []) {
    const b = checks?.get(key);
    if (b) healthChecks[slot] = b;
  }
  const script = renderNlbRules({
    nodeIp: node.nodeIp,
    internalIp: node.address,
    healthSourceIp: view.healthSourceIp,
    listeners: [...backends].map(([port, b]) => ({ port, backends: b })),
    healthChecks,
    ...(view.snatPorts ? { snatPorts: view.snatPorts } : {}),
  });
  return { backends, script, idleTimeout };
}

const drainDelayMs = (tg: Tg) =>
  Number(tg.attributes['deregistration_delay.timeout_seconds'] ?? '300') * 1000;

/** `ip:port` of deregistered targets still inside their deregistration delay. */
export function drainingAddresses(a: TargetAddressing, tgs: Iterable<Tg>, now: number): Set<string> {
  const out = new Set<string>();
  for (const tg of tgs) {
    const delay = drainDelayMs(tg);
    for (const t of tg.targets) {
      if (t.deregisteredAt === undefined || now >= t.deregisteredAt + delay) continue;
      const ip = targetAddress(a, tg, t.id);
      if (ip) out.add(`${ip}:${t.port}`);
    }
  }
  return out;
}

/** Backends that left a listener and are not draining: their open flows are reset. */
export function removedBackends(
  old: ReadonlyMap<number, readonly Backend[]>,
  now: ReadonlyMap<number, readonly Backend[]>,
  draining: ReadonlySet<string>,
): Backend[] {
  const out: Backend[] = [];
  for (const [port, list] of old) {
    const cur = now.get(port) ?? [];
    for (const b of list) {
      if (!cur.some((x) => x.ip === b.ip && x.port === b.port) && !draining.has(`${b.ip}:${b.port}`))
        out.push(b);
    }
  }
  return out;
}

/** A deregistered target whose remaining flows are reset at `dueAt`. */
export interface Drain {
  key: string;
  target: Backend;
  dueAt: number;
  /** Load balancers whose nodes carry its flows. */
  loadBalancerArns: string[];
}

export function drains(
  a: TargetAddressing,
  tgs: Iterable<Tg>,
  listenersByLb: ReadonlyMap<string, readonly ListenerInfo[]>,
): Drain[] {
  const out: Drain[] = [];
  for (const tg of tgs) {
    const delay = drainDelayMs(tg);
    for (const t of tg.targets) {
      if (t.deregisteredAt === undefined) continue;
      const ip = targetAddress(a, tg, t.id);
      if (!ip) continue;
      out.push({
        key: `${tg.id}|${ip}|${t.port}|${t.deregisteredAt}`,
        target: { ip, port: t.port },
        dueAt: t.deregisteredAt + delay,
        loadBalancerArns: [...listenersByLb]
          .filter(([, ls]) => ls.some((l) => l.targetGroupArn === tg.id))
          .map(([arn]) => arn),
      });
    }
  }
  return out;
}
