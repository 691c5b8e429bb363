/**
 * One resolver per VPC network at VPC base+2, port 53 (UDP and TCP), inside the VPC's namespace
 * (netns mode only). Follows the data plane's 'vpc-up' / 'vpc-down' events: sockets are bound in
 * the namespace by a short-lived helper (ns-sockets, injected so dns/ does not load the data
 * plane) and served by this process, so every VPC resolver shares the record tables.
 *
 * Operations on one VPC run in order (up, down, up again…); a failed bind is retried a few times
 * and then logged: a VPC without a resolver never stops the rest.
 */
import type { EventEmitter } from 'node:events';
import type dgram from 'node:dgram';
import type net from 'node:net';
import type { DataplaneEvents, VpcNetwork } from '../dataplane/dataplane.js';
import type { Logger } from '../shared/logger.js';
import { DnsListener } from './dns-server.js';
import type { RecordFeeder } from './record-feeder.js';
import { answerQuery, type Upstream } from './resolver.js';
import type { QueryStats } from './query-stats.js';
import { vpcView } from './views.js';

export const RESOLVER_PORT = 53;

/** The sockets ns-sockets hands back (structurally the same as its NsSocket). */
export type BoundSocket =
  { type: 'tcp'; server: net.Server; port: number } | { type: 'udp'; socket: dgram.Socket; port: number };

export type NamespaceBinder = (
  ns: string,
  requests: readonly (
    { type: 'tcp'; host: string; port: number } | { type: 'udp'; host: string; port: number }
  )[],
) => Promise<BoundSocket[]>;

export interface VpcNetworkSource {
  events: EventEmitter;
  vpcs: { list(): VpcNetwork[] };
}

interface Running {
  namespace: string;
  resolverIp: string;
  listener: DnsListener;
}

const BIND_ATTEMPTS = 3;

export class VpcResolvers {
  private readonly running = new Map<string, Running>();
  private readonly queues = new Map<string, Promise<void>>();
  private readonly failures = new Map<string, string>();
  private closed = false;
  private readonly onUp = (e: DataplaneEvents['vpc-up']) => {
    if (e.namespace) this.enqueue(e.vpcId, () => this.up(e.vpcId, e.namespace ?? '', e.resolverIp));
  };
  private readonly onDown = (e: DataplaneEvents['vpc-down']) => {
    // Stop answering at once (the namespace is deleted right after this event), then clean up.
    const r = this.running.get(e.vpcId);
    this.running.delete(e.vpcId);
    this.failures.delete(e.vpcId);
    if (r) this.enqueue(e.vpcId, () => r.listener.close());
  };

  constructor(
    private readonly deps: {
      source: VpcNetworkSource;
      feeder: RecordFeeder;
      upstream: Upstream | undefined;
      bind: NamespaceBinder;
      logger: Logger;
      /** Counts every reply (the DNS component's query statistics). */
      stats?: QueryStats;
    },
  ) {}

  /** Starts following VPC events and opens resolvers for VPCs already up. */
  start(): void {
    const { events, vpcs } = this.deps.source;
    events.on('vpc-up', this.onUp);
    events.on('vpc-down', this.onDown);
    for (const v of vpcs.list()) {
      if (v.namespace) this.onUp({ vpcId: v.vpcId, namespace: v.namespace, resolverIp: v.resolverIp });
    }
  }

  /** Resolves when every queued bind/close has finished (tests, close). */
  async settled(): Promise<void> {
    while (this.queues.size) await Promise.all([...this.queues.values()]);
  }

  private enqueue(vpcId: string, job: () => Promise<void>): void {
    const prev = this.queues.get(vpcId) ?? Promise.resolve();
    const next = prev
      .then(job)
      .catch((e: unknown) => this.deps.logger.warn(`VPC resolver ${vpcId}: ${String(e)}`))
      .finally(() => {
        if (this.queues.get(vpcId) === next) this.queues.delete(vpcId);
      });
    this.queues.set(vpcId, next);
  }

  private async up(vpcId: string, namespace: string, resolverIp: string): Promise<void> {
    if (this.closed) return;
    const have = this.running.get(vpcId);
    if (have?.namespace === namespace && have.resolverIp === resolverIp) return;
    if (have) {
      this.running.delete(vpcId);
      await have.listener.close();
    }
    const view = vpcView(this.deps.feeder, vpcId);
    const upstream = this.deps.upstream;
    let lastError: unknown;
    for (let attempt = 1; attempt <= BIND_ATTEMPTS; attempt++) {
      // The VPC may have gone down (namespace deleted) since the event: nothing to bind then.
      if (this.closed || !this.isUp(vpcId, namespace)) return;
      try {
        const socks = await this.deps.bind(namespace, [
          { type: 'udp', host: resolverIp, port: RESOLVER_PORT },
          { type: 'tcp', host: resolverIp, port: RESOLVER_PORT },
        ]);
        const udp = socks.find((s) => s.type === 'udp');
        const tcp = socks.find((s) => s.type === 'tcp');
        if (udp?.type !== 'udp' || tcp?.type !== 'tcp') throw new Error('binder returned the wrong sockets');
        const listener = new DnsListener(
          udp.socket,
          tcp.server,
          (msg, transport) =>
            answerQuery(view, msg, transport, upstream).then((r) => {
              this.deps.stats?.count(r);
              return r;
            }),
          (e) => this.deps.logger.debug(`VPC resolver ${vpcId} socket error`, { error: String(e) }),
        );
        // A 'vpc-down' or close() may have come while binding.
        if (this.closed || !this.isUp(vpcId, namespace)) {
          await listener.close();
          return;
        }
        this.running.set(vpcId, { namespace, resolverIp, listener });
        this.failures.delete(vpcId);
        this.deps.logger.debug(`resolver for ${vpcId} listening on ${resolverIp}:53 in ${namespace}`);
        return;
      } catch (e) {
        lastError = e;
        await new Promise((r) => setTimeout(r, 100 * attempt));
      }
    }
    if (this.closed || !this.isUp(vpcId, namespace)) return;
    this.failures.set(vpcId, String(lastError));
    throw lastError instanceof Error ? lastError : new Error(String(lastError));
  }

  private isUp(vpcId: string, namespace: string): boolean {
    return this.deps.source.vpcs.list().some((v) => v.vpcId === vpcId && v.namespace === namespace);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const { events } = this.deps.source;
    events.off('vpc-up', this.onUp);
    events.off('vpc-down', this.onDown);
    await this.settled();
    const all = [...this.running.values()];
    this.running.clear();
    await Promise.all(all.map((r) => r.listener.close()));
  }

  describe(): Record<string, unknown> {
    return {
      vpcResolvers: this.running.size,
      ...(this.failures.size ? { vpcResolverErrors: Object.fromEntries(this.failures) } : {}),
    };
  }
}
