/**
 * The DNS component of a Privlink instance: the record feeder (records derived from the store),
 * the host resolver on 127.0.0.1:`dnsPort` (runs whatever the data-plane mode, even `off`) and,
 * in netns mode, one resolver per VPC at VPC base+2.
 *
 * Names privlink does not own go to `dnsUpstream` (loopback only) when set, else SERVFAIL.
 */
import type { Control } from '../control/control.js';
import type { PrivlinkOptions } from '../config/options.js';
import type { Component } from '../emulator.js';
import type { Logger } from '../shared/logger.js';
import { listenDns, type DnsListener } from './dns-server.js';
import { Forwarder, parseUpstream } from './forwarder.js';
import { RecordFeeder } from './record-feeder.js';
import { LimitedUpstream } from './upstream-limit.js';
import { answerQuery } from './resolver.js';
import { QueryStats } from './query-stats.js';
import { hostView } from './views.js';
import { VpcResolvers, type NamespaceBinder, type VpcNetworkSource } from './vpc-resolvers.js';

export const HOST_RESOLVER_ADDRESS = '127.0.0.1';

/** What the DNS component needs from a running data plane. */
export interface DnsDataplane extends VpcNetworkSource {
  /** The data plane's mode once started. */
  mode(): 'netns' | 'loopback';
  /** Loopback mode: the 127.x address the traffic proxy gives an ENI, if any. */
  hostAddressOf?(eniId: string): string | undefined;
}

export interface DnsComponentDeps {
  control: Control;
  options: PrivlinkOptions;
  logger: Logger;
  /** Absent when the data plane is off. */
  dataplane?: DnsDataplane;
  /** Binds sockets inside a namespace (ns-sockets' openInNamespace); needed for VPC resolvers. */
  bindInNamespace?: NamespaceBinder;
}

export class DnsComponent implements Component {
  readonly name = 'dns';
  readonly feeder: RecordFeeder;
  /** Queries answered by every resolver of this component, by kind of answer. */
  readonly queryStats = new QueryStats();
  private host: DnsListener | undefined;
  private forwarder: Forwarder | undefined;
  /** The forwarder behind a cap on concurrent upstream TCP sockets (shared by every resolver). */
  private upstream: LimitedUpstream | undefined;
  private vpcResolvers: VpcResolvers | undefined;

  constructor(private readonly deps: DnsComponentDeps) {
    this.feeder = new RecordFeeder(deps.control, deps.logger);
  }

  /** The host resolver's port (undefined when off or not started). */
  get port(): number | undefined {
    return this.host?.port;
  }

  async start(): Promise<void> {
    const { options, logger, dataplane } = this.deps;
    if (options.dnsUpstream) {
      const u = parseUpstream(options.dnsUpstream);
      this.forwarder = new Forwarder(u.host, u.port);
      this.upstream = new LimitedUpstream(this.forwarder);
    }
    this.feeder.start();
    const netns = dataplane?.mode() === 'netns';
    if (options.dnsPort >= 0) {
      const view = hostView(this.feeder, {
        // Without VPC resolvers the host is the only place private names can be resolved.
        includePrivate: () => !netns,
        hostAddressOf: dataplane?.hostAddressOf?.bind(dataplane),
      });
      const fwd = this.upstream;
      try {
        this.host = await listenDns(
          HOST_RESOLVER_ADDRESS,
          options.dnsPort,
          this.queryStats.wrap((msg: Buffer, transport: Parameters<typeof answerQuery>[2]) =>
            answerQuery(view, msg, transport, fwd),
          ),
          (e) => logger.debug('host resolver socket error', { error: String(e) }),
        );
      } catch (e) {
        this.feeder.stop();
        if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE') {
          throw new Error(
            `DNS port ${options.dnsPort} on ${HOST_RESOLVER_ADDRESS} is taken (another privlink?); ` +
              'pass --dns-port 0 (any free port) or --dns-port off',
            { cause: e },
          );
        }
        throw e;
      }
      logger.info(`DNS resolver listening on ${HOST_RESOLVER_ADDRESS}:${this.host.port} (UDP and TCP)`, {
        upstream: options.dnsUpstream ?? 'none (SERVFAIL for other names)',
      });
    }
    if (netns && dataplane && this.deps.bindInNamespace) {
      this.vpcResolvers = new VpcResolvers({
        source: dataplane,
        feeder: this.feeder,
        upstream: this.upstream,
        bind: this.deps.bindInNamespace,
        logger: logger.child('vpc'),
        stats: this.queryStats,
      });
      this.vpcResolvers.start();
    }
  }

  /** Resolves once every VPC resolver bind/close in flight has finished. */
  async settled(): Promise<void> {
    await this.vpcResolvers?.settled();
  }

  async reset(): Promise<void> {
    this.feeder.resync();
  }

  async close(): Promise<void> {
    this.feeder.stop();
    await this.vpcResolvers?.close();
    await this.host?.close();
    this.forwarder?.close();
  }

  describe(): Record<string, unknown> {
    return {
      host: this.host ? `${HOST_RESOLVER_ADDRESS}:${this.host.port}` : 'off',
      port: this.host?.port ?? -1,
      upstream: this.deps.options.dnsUpstream ?? null,
      ...(this.upstream && { upstreamTcp: this.upstream.stats }),
      ...(this.host && { hostTcp: this.host.tcpStats() }),
      records: this.feeder.publicTable.recordCount,
      privateRecords: this.feeder.allPrivate.recordCount,
      ...(this.vpcResolvers?.describe() ?? { vpcResolvers: 0 }),
    };
  }
}
