/**
 * What the interface-endpoint ENIs should carry, as pure functions of the store and of the NLB
 * nodes and listeners built so far: which ENIs get a namespace, which NLB node each forwards to
 * (same zone ID first), which listener ports are open (only while the endpoint is `available`),
 * and the ENI's nft script. The endpoint reconciler applies the difference.
 */
import type { Store, Stored } from '../../store/store.js';
import type { ListenerInfo, NodeInfo } from '../fabric/traffic.js';
import { renderEndpointRules } from './endpoint-rules.js';
import { ingressOf } from './ingress.js';

type StoreView = Pick<Store, 'listAll' | 'find'>;

export interface Upstream {
  /** NLB node ENI id and its address (fabric internal / loopback); AWS services: the API's unix socket. */
  nodeEni: string;
  address: string;
  ppv2: boolean;
  /** The upstream is privlink's own API on the unix socket `address` (AWS-owned services). */
  unix?: boolean;
}

/** AWS services whose endpoints privlink itself serves (its own API, or the configured backends). */
export const SERVED_AWS_SERVICES: ReadonlySet<string> = new Set([
  'ec2',
  'elasticloadbalancing',
  'sts',
  's3',
  'dynamodb',
]);

/** HTTPS: the only port AWS service endpoints listen on. */
export const AWS_SERVICE_PORT = 443;

/** `ec2` for `com.amazonaws.us-east-1.ec2` when privlink serves it, else undefined. */
export function servedAwsService(serviceName: string): string | undefined {
  const m = /^com\.amazonaws\.[a-z0-9-]+\.(.+)$/.exec(serviceName);
  return m?.[1] && SERVED_AWS_SERVICES.has(m[1]) ? m[1] : undefined;
}

export interface DesiredEni {
  ep: Stored<'vpcEndpoint'>;
  eni: Stored<'networkInterface'>;
}

/** What the endpoint side sees of the NLB side. */
export interface NodeDirectory {
  nodesOf(loadBalancerArn: string): NodeInfo[];
  listeners: ReadonlyMap<string, readonly ListenerInfo[]>;
}

/** ENIs of interface endpoints of a customer service or of an AWS service privlink serves, by ENI id. */
export function desiredEndpointEnis(store: StoreView): Map<string, DesiredEni> {
  const out = new Map<string, DesiredEni>();
  for (const ep of store.listAll('vpcEndpoint')) {
    if (ep.endpointType !== 'Interface') continue;
    if (!ep.serviceId && !servedAwsService(ep.serviceName)) continue;
    for (const id of ep.networkInterfaceIds) {
      const eni = store.find('networkInterface', id);
      if (eni) out.set(id, { ep, eni });
    }
  }
  return out;
}

/** The NLB node this ENI forwards to, per load balancer of the service (same zone first). */
export function chosenNodes(store: StoreView, dir: NodeDirectory, d: DesiredEni): [string, NodeInfo][] {
  const svc = d.ep.serviceId ? store.find('endpointService', d.ep.serviceId) : undefined;
  if (!svc) return [];
  const zoneId = store.find('subnet', d.eni.subnetId)?.availabilityZoneId;
  const out: [string, NodeInfo][] = [];
  for (const arn of svc.networkLoadBalancerArns) {
    const nodes = dir.nodesOf(arn);
    const node = nodes.find((n) => n.zoneId === zoneId) ?? nodes[0];
    if (node) out.push([arn, node]);
  }
  return out;
}

/**
 * Listener ports the ENI should carry now (empty unless the endpoint is available). An AWS
 * service's endpoint carries 443 to privlink's API socket `awsSocket` (none without one).
 */
export function wantedPorts(
  store: StoreView,
  dir: NodeDirectory,
  d: DesiredEni,
  awsSocket?: string,
): Map<number, Upstream> {
  const out = new Map<number, Upstream>();
  if (d.ep.state !== 'available') return out;
  if (!d.ep.serviceId) {
    if (awsSocket && servedAwsService(d.ep.serviceName))
      out.set(AWS_SERVICE_PORT, { nodeEni: 'api', address: awsSocket, ppv2: true, unix: true });
    return out;
  }
  for (const [arn, node] of chosenNodes(store, dir, d)) {
    for (const l of dir.listeners.get(arn) ?? []) {
      if (!out.has(l.port)) out.set(l.port, { nodeEni: node.eniId, address: node.address, ppv2: l.ppv2 });
    }
  }
  return out;
}

/** Ports whose upstream changed or went away (their open flows are cut). */
export function changedPorts(
  have: ReadonlyMap<number, Upstream>,
  want: ReadonlyMap<number, Upstream>,
): number[] {
  return [...have.keys()].filter((port) => {
    const u = want.get(port);
    const old = have.get(port);
    return !u || !old || old.address !== u.address || old.ppv2 !== u.ppv2;
  });
}

/** The ENI namespace's nft script: kernel forwards for plain ports, gating, security groups. */
export function endpointScript(
  store: StoreView,
  d: DesiredEni,
  internalIp: string,
  want: ReadonlyMap<number, Upstream>,
): string {
  return renderEndpointRules({
    eniIp: d.eni.privateIpAddress,
    internalIp,
    forwards: [...want]
      .filter(([, u]) => !u.ppv2)
      .map(([port, u]) => ({ port, upstreamIp: u.address, upstreamPort: port })),
    ingress: ingressOf(store, d.ep),
    open: [...want.keys()].sort((a, b) => a - b),
  });
}
