/**
 * What the Gateway Load Balancer data path should carry, as pure functions of the store: the
 * GWLB nodes (one per load-balancer subnet, in the provider VPC), the endpoints that reach them
 * (one ENI each, in the consumer VPC) with the node they use and whether they carry traffic, the
 * appliances of each node's target group, the 64-slot table new flows are spread over, which
 * appliances keep their existing flows (target failover, deregistration delay), and the byte
 * layouts of the BPF map entries (gwlb.c). The GWLB reconciler applies them.
 */
import type { HealthCheckConfig } from '../../control/model/elb.js';
import type { StoreView } from '../testing/fake-store.js';
import { forwardGroup, targetAddress } from '../nlb/nlb-desired.js';

export const SLOTS = 64;

/** What GENEVE with AWS's three options adds to an inner packet. */
export const GENEVE_OVERHEAD = 68;
/** The largest inner packet AWS's GWLB carries. */
export const GWLB_MAX_INNER = 8500;

/**
 * Inner MTU on the endpoint's link to the node: what the provider VPC carries (its bridge's
 * MTU, 1500 in privlink today) minus GENEVE's 68 bytes, at most AWS's 8,500.
 */
export function innerMtu(providerMtu: number): number {
  return Math.max(576, Math.min(GWLB_MAX_INNER, providerMtu - GENEVE_OVERHEAD));
}

export interface GwlbNode {
  eniId: string;
  loadBalancerArn: string;
  vpcId: string;
  subnetId: string;
  zoneId: string;
  nodeIp: string;
  /** The listener's target group (undefined: no listener yet, nothing is forwarded). */
  targetGroupArn: string | undefined;
  /** 5, 3 or 2 (target group stickiness). */
  tuple: 5 | 3 | 2;
  /** Registered appliance IPs by target ID (health decides which get new flows). */
  appliances: { targetId: string; port: number; ip: string; healthPort: number }[];
  /** The group's health check (undefined: no group). */
  healthCheck: HealthCheckConfig | undefined;
  /** Deregistered appliances: their existing flows stay until `dueAt` (deregistration delay). */
  draining: { targetId: string; port: number; ip: string; dueAt: number }[];
  /** target_failover.on_unhealthy / on_deregistration = rebalance (AWS keeps them equal). */
  rebalanceOnUnhealthy: boolean;
  rebalanceOnDeregistration: boolean;
  /** Seconds a TCP flow may idle before it is a new flow (listener tcp.idle_timeout.seconds). */
  tcpIdleSeconds: number;
}

/** AWS GWLB idle timeout for TCP flows when the listener does not set one. */
export const DEFAULT_TCP_IDLE = 350;

export interface GwlbEndpoint {
  vpceId: string;
  eniId: string;
  eniIp: string;
  vpcId: string;
  subnetId: string;
  /** Only `available` endpoints carry traffic (acceptance, reject and delete gate it). */
  carrying: boolean;
  /** ENI of the node it sends to (same zone ID, else the first). */
  nodeEniId: string | undefined;
}

export function stickinessTuple(attrs: Readonly<Record<string, string>>): 5 | 3 | 2 {
  if (attrs['stickiness.enabled'] !== 'true') return 5;
  return attrs['stickiness.type'] === 'source_ip_dest_ip' ? 2 : 3;
}

export function desiredGwlbNodes(store: StoreView): Map<string, GwlbNode> {
  const out = new Map<string, GwlbNode>();
  const listeners = store.listAll('listener');
  for (const lb of store.listAll('loadBalancer')) {
    if (lb.type !== 'gateway' || lb.state === 'failed') continue;
    const l = listeners.find((x) => x.loadBalancerArn === lb.id);
    const tgArn = l ? forwardGroup(l) : undefined;
    const tg = tgArn ? store.find('targetGroup', tgArn) : undefined;
    const appliances: GwlbNode['appliances'] = [];
    const draining: GwlbNode['draining'] = [];
    const delayMs = Number(tg?.attributes['deregistration_delay.timeout_seconds'] ?? '300') * 1000;
    for (const t of tg?.targets ?? []) {
      if (!tg) continue;
      const ip = targetAddress({ mode: 'netns', store, hostAddresses: new Map() }, tg, t.id);
      if (!ip) continue;
      if (t.deregisteredAt !== undefined) {
        draining.push({ targetId: t.id, port: t.port, ip, dueAt: t.deregisteredAt + delayMs });
        continue;
      }
      const healthPort = tg.healthCheck.port === 'traffic-port' ? t.port : Number(tg.healthCheck.port);
      appliances.push({ targetId: t.id, port: t.port, ip, healthPort });
    }
    const idle = Number(l?.attributes['tcp.idle_timeout.seconds'] ?? DEFAULT_TCP_IDLE);
    for (const n of lb.nodes) {
      out.set(n.networkInterfaceId, {
        eniId: n.networkInterfaceId,
        loadBalancerArn: lb.id,
        vpcId: lb.vpcId,
        subnetId: n.subnetId,
        zoneId: n.zoneId,
        nodeIp: n.privateIpAddress,
        targetGroupArn: tg?.id,
        tuple: tg ? stickinessTuple(tg.attributes) : 5,
        appliances,
        healthCheck: tg?.healthCheck,
        draining,
        rebalanceOnUnhealthy: tg?.attributes['target_failover.on_unhealthy'] === 'rebalance',
        rebalanceOnDeregistration: tg?.attributes['target_failover.on_deregistration'] === 'rebalance',
        tcpIdleSeconds: Number.isFinite(idle) && idle > 0 ? idle : DEFAULT_TCP_IDLE,
      });
    }
  }
  return out;
}

export function desiredGwlbEndpoints(
  store: StoreView,
  nodes: ReadonlyMap<string, GwlbNode>,
): Map<string, GwlbEndpoint> {
  const out = new Map<string, GwlbEndpoint>();
  for (const ep of store.listAll('vpcEndpoint')) {
    if (ep.endpointType !== 'GatewayLoadBalancer' || ep.state === 'deleted') continue;
    const eniId = ep.networkInterfaceIds[0];
    const eni = eniId ? store.find('networkInterface', eniId) : undefined;
    if (!eniId || !eni) continue;
    const svc = ep.serviceId ? store.find('endpointService', ep.serviceId) : undefined;
    const candidates = [...nodes.values()].filter((n) =>
      svc?.gatewayLoadBalancerArns.includes(n.loadBalancerArn),
    );
    const zoneId = store.find('subnet', eni.subnetId)?.availabilityZoneId;
    // Cross-zone is off by default on AWS: the node of the endpoint's zone, else any node.
    const node = candidates.find((n) => n.zoneId === zoneId) ?? candidates[0];
    out.set(ep.id, {
      vpceId: ep.id,
      eniId,
      eniIp: eni.privateIpAddress,
      vpcId: ep.vpcId,
      subnetId: eni.subnetId,
      carrying: ep.state === 'available' && node !== undefined,
      nodeEniId: node?.eniId,
    });
  }
  return out;
}

/**
 * The 64 slots of a node's group: healthy appliances spread over all slots in order; when none
 * is healthy, all registered ones (fail open, as AWS does). 0 = no appliance (drop).
 */
export function slotTable(appliances: readonly string[], healthy: ReadonlySet<string>): string[] {
  const up = appliances.filter((a) => healthy.has(a));
  const use = up.length ? up : [...appliances];
  return Array.from({ length: SLOTS }, (_, i) => use[i % Math.max(use.length, 1)] ?? '0.0.0.0');
}

/**
 * Appliances whose existing flows stay with them (gw_live): registered ones that get new flows,
 * registered but unhealthy ones unless on_unhealthy is rebalance, and deregistered ones until
 * their deregistration delay ends. A flow of any other appliance is rehashed (rebalance) or cut.
 */
export function liveAppliances(n: GwlbNode, slots: readonly string[], now: number): Set<string> {
  const serving = new Set(slots);
  const live = new Set<string>();
  for (const a of n.appliances) if (serving.has(a.ip) || !n.rebalanceOnUnhealthy) live.add(a.ip);
  for (const d of n.draining) if (now < d.dueAt) live.add(d.ip);
  return live;
}

/** The 8 bytes of the endpoint-ID option: the ID's 17 hex digits' low 64 bits, as AWS sends. */
export function endpointIdBytes(vpceId: string): Buffer {
  const hex = vpceId
    .replace(/^vpce-/, '')
    .padStart(16, '0')
    .slice(-16);
  return Buffer.from(hex, 'hex');
}

/** The attachment ID (8 bytes): a stable number per endpoint and node. */
export function attachmentIdBytes(vpceId: string, nodeEniId: string): Buffer {
  const b = Buffer.alloc(8);
  let h = 0x811c9dc5;
  for (const c of `${vpceId}/${nodeEniId}`) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193) >>> 0;
  b.writeUInt32BE(h, 4);
  return b;
}

const ip4 = (ip: string) => Buffer.from(ip.split('.').map(Number));
const u32le = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return b;
};
const mac = (m: string) => Buffer.from(m.split(':').map((x) => parseInt(x, 16)));
const hex = (b: Buffer) => [...b].map((x) => `0x${x.toString(16).padStart(2, '0')}`).join(' ');

/** `bpftool batch` lines for one endpoint link's entry (struct endpoint). */
export function endpointEntry(
  map: string,
  linkIfindex: number,
  e: {
    vpceId: string;
    nodeEniId: string;
    nodeIp: string;
    group: number;
    tuple: number;
    outIfindex: number;
    rebalance: boolean;
    tcpIdleSeconds: number;
  },
): string {
  const v = Buffer.concat([
    endpointIdBytes(e.vpceId),
    attachmentIdBytes(e.vpceId, e.nodeEniId),
    ip4(e.nodeIp),
    u32le(e.group),
    u32le(e.tuple),
    u32le(e.outIfindex),
    u32le(e.rebalance ? 1 : 0),
    u32le(e.tcpIdleSeconds),
  ]);
  return `map update pinned ${map} key ${hex(u32le(linkIfindex))} value ${hex(v)}`;
}

/** The return entry (struct back), keyed by the endpoint ID bytes. */
export function backEntry(
  map: string,
  vpceId: string,
  b: { ifindex: number; nodeIp: string; dmac: string; smac: string },
): string {
  const v = Buffer.concat([u32le(b.ifindex), ip4(b.nodeIp), mac(b.dmac), mac(b.smac)]);
  return `map update pinned ${map} key ${hex(endpointIdBytes(vpceId))} value ${hex(v)}`;
}

/** One slot of a group's table (key group << 32 | slot, little-endian u64). */
export function slotEntry(map: string, group: number, slot: number, ip: string): string {
  const k = Buffer.concat([u32le(slot), u32le(group)]);
  return `map update pinned ${map} key ${hex(k)} value ${hex(ip4(ip))}`;
}

/** gw_live key of (group, appliance): the IPv4 bytes, then the group (little-endian u64). */
function liveKey(group: number, ip: string): string {
  return hex(Buffer.concat([ip4(ip), u32le(group)]));
}

/** Marks an appliance's existing flows of a group as staying with it. */
export function liveEntry(map: string, group: number, ip: string): string {
  return `map update pinned ${map} key ${liveKey(group, ip)} value ${hex(u32le(1))}`;
}

/** Its flows no longer stay: rehashed or cut, by the endpoint's `rebalance`. */
export function liveDelete(map: string, group: number, ip: string): string {
  return `map delete pinned ${map} key ${liveKey(group, ip)}`;
}
