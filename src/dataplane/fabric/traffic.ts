/**
 * What the two traffic reconcilers (NLB nodes, endpoint interfaces) share for one data plane: the
 * fabric (netns mode) or the loopback address pool, the proxy host (fabric agent or in-process),
 * the health checker, and the directory of NLB nodes that endpoints forward to. Created once per
 * DataplaneContext by whichever reconciler asks first; closed by the NLB reconciler (it closes
 * last, after the endpoints).
 */
import type { DataplaneContext } from '../dataplane.js';
import { AgentProxyHost } from '../agent/agent-client.js';
import { LocalProxyHost, type ProxyHost } from '../agent/proxy-host.js';
import { HealthChecker } from '../health/health-checker.js';
import { AddressPool } from './address-pool.js';
import { Fabric } from './fabric.js';
import { assumeHealthy } from '../../control/health.js';

/** Loopback mode: every ENI and NLB node gets its own 127.77.x.y. */
export const LOOPBACK_RANGE = '127.77.0.0/16';

/** An NLB node as the endpoints see it. */
export interface NodeInfo {
  eniId: string;
  loadBalancerArn: string;
  zoneId: string;
  /** netns: fabric internal address; loopback: the node's 127.77.x.y. */
  address: string;
  /** Private IP in the provider subnet (what targets see). */
  nodeIp: string;
  /** netns mode: the node's namespace (endpoint ENIs link to it point to point). */
  namespace: string | undefined;
}

/** Listener of a network load balancer, resolved for the data plane. */
export interface ListenerInfo {
  port: number;
  targetGroupArn: string;
  ppv2: boolean;
}

export interface LoopbackBackendPicker {
  /** Loopback mode: a target for a new flow on listener `port` of node `eniId`. */
  pick(eniId: string, port: number): { host: string; port: number; localAddress: string } | undefined;
}

export class Traffic {
  readonly fabric: Fabric | undefined;
  readonly loopback: AddressPool | undefined;
  readonly host: ProxyHost;
  readonly health: HealthChecker;
  /** NLB nodes that are built, by ENI id. */
  readonly nodes = new Map<string, NodeInfo>();
  /** Listeners by load balancer ARN (as last programmed). */
  readonly listeners = new Map<string, ListenerInfo[]>();
  picker: LoopbackBackendPicker | undefined;
  private onHealthChange: (() => void) | undefined;

  constructor(readonly ctx: DataplaneContext) {
    if (ctx.mode === 'netns') {
      this.fabric = new Fabric(ctx.prefix, ctx.fabricCidr, ctx.logger.child('fabric'));
      this.host = new AgentProxyHost(this.fabric.namespace, ctx.logger.child('agent'), {
        workers: ctx.proxyWorkers,
        onLost: () => ctx.events.emit('agent-lost', {}),
      });
    } else {
      this.loopback = new AddressPool(LOOPBACK_RANGE);
      this.host = new LocalProxyHost();
    }
    this.health = new HealthChecker({
      clock: ctx.control.clock,
      logger: ctx.logger.child('health'),
      probe: (spec) => this.host.probe(spec),
      onChange: () => this.onHealthChange?.(),
    });
    ctx.control.health = this.health;
  }

  /** The NLB reconciler re-programs target maps when health flips. */
  setHealthListener(fn: () => void): void {
    this.onHealthChange = fn;
  }

  /** Nodes of a load balancer, in the load balancer's node order. */
  nodesOf(loadBalancerArn: string): NodeInfo[] {
    return [...this.nodes.values()].filter((n) => n.loadBalancerArn === loadBalancerArn);
  }

  async close(): Promise<void> {
    this.health.close();
    if (this.ctx.control.health === this.health) this.ctx.control.health = assumeHealthy;
    await this.host.close();
    await this.fabric?.close();
  }
}

const shared = new WeakMap<DataplaneContext, Traffic>();

export function trafficFor(ctx: DataplaneContext): Traffic {
  let t = shared.get(ctx);
  if (!t) {
    t = new Traffic(ctx);
    shared.set(ctx, t);
  }
  return t;
}

/** Runs async jobs one at a time (a reconciler's own passes and its timer-driven updates). */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.tail.then(fn, fn);
    this.tail = next.catch(() => undefined);
    return next;
  }
}
