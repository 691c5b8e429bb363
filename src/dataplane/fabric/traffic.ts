/**
 * What the two traffic reconcilers (NLB nodes, endpoint interfaces) share for one data plane: the
 * fabric (netns mode) or the loopback address pool, the proxy host (fabric agent or in-process),
 * the health checker, and the directory of NLB nodes that endpoints forward to. Owned by the
 * Dataplane: made at start() once the mode is known, closed after every reconciler.
 */
import type { EventEmitter } from 'node:events';
import type { Clock } from '../../shared/clock.js';
import type { Logger } from '../../shared/logger.js';
import type { Runner } from '../netns/runner.js';
import { AgentProxyHost } from '../agent/agent-client.js';
import { LocalProxyHost, type ProxyHost } from '../agent/proxy-host.js';
import { HealthChecker } from '../health/health-checker.js';
import { AddressPool } from './address-pool.js';
import { Fabric } from './fabric.js';

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

export interface TrafficDeps {
  mode: 'netns' | 'loopback';
  prefix: string;
  fabricCidr: string;
  /** Fabric agent processes serving PPv2 listeners (0 = one per core). */
  proxyWorkers: number;
  runner: Runner;
  clock: Clock;
  logger: Logger;
  /** Receives 'agent-lost' when the fabric agents die. */
  events: EventEmitter;
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
  private closed = false;

  constructor(deps: TrafficDeps) {
    if (deps.mode === 'netns') {
      this.fabric = new Fabric(deps.runner, deps.prefix, deps.fabricCidr, deps.logger.child('fabric'));
      this.host = new AgentProxyHost(deps.runner, this.fabric.namespace, deps.logger.child('agent'), {
        workers: deps.proxyWorkers,
        onLost: () => deps.events.emit('agent-lost', {}),
      });
    } else {
      this.loopback = new AddressPool(LOOPBACK_RANGE);
      this.host = new LocalProxyHost();
    }
    this.health = new HealthChecker({
      clock: deps.clock,
      logger: deps.logger.child('health'),
      probe: (spec) => this.host.probe(spec),
      onChange: () => this.onHealthChange?.(),
    });
  }

  get isClosed(): boolean {
    return this.closed;
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
    if (this.closed) return;
    this.closed = true;
    this.health.close();
    await this.host.close();
    await this.fabric?.close();
  }
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
