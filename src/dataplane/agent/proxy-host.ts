/**
 * Where userspace traffic work runs: PPv2 proxies (accepting inside an endpoint namespace,
 * connecting out from the fabric) and health-check probes (sourced from the fabric so the NLB
 * node's kernel NAT makes them come from the NLB IP). `LocalProxyHost` runs them in the calling
 * process (loopback mode, and inside the fabric agent); `AgentProxyHost` (agent-client.ts) runs
 * them in the agent process that lives in the fabric namespace.
 */
import type { Server, Socket } from 'node:net';
import { probe, type ProbeResult, type ProbeSpec } from '../health/probe.js';
import { buildPpv2 } from '../proxy/ppv2.js';
import { TcpProxy } from '../proxy/tcp-proxy.js';

export interface ProxySpec {
  upstreamHost: string;
  upstreamPort: number;
  /** A unix socket instead of upstreamHost:upstreamPort (AWS-service endpoints: privlink's API). */
  upstreamPath?: string;
  localAddress?: string;
  /** When set, every connection starts with a PPv2 header carrying this endpoint ID. */
  ppv2VpceId?: string;
  /**
   * The header's destination when the caller knows it (the listener's own address and port):
   * saves a getsockname() per connection. Defaults to the accepting socket's.
   */
  headerDestination?: { address: string; port: number };
}

export interface ProxyStats {
  proxies: number;
  open: number;
  accepted: number;
  /** The process that reports (agents). */
  pid?: number;
  /** A pool's members, each with its own figures. */
  agents?: ProxyStats[];
}

export interface ProxyHost {
  /**
   * Serves `server` (already listening; ownership passes to the host) with spec. Resolves with
   * the generation of the processes now serving it (changes when they are lost; 0 = in-process).
   */
  serve(id: string, server: Server, spec: ProxySpec): Promise<number>;
  /** Stops serving id: the listener closes and open connections are reset. */
  stop(id: string): Promise<void>;
  probe(spec: ProbeSpec): Promise<ProbeResult>;
  stats(): Promise<ProxyStats>;
  close(): Promise<void>;
}

function headerFor(spec: ProxySpec): ((c: Socket) => Buffer | undefined) | undefined {
  const vpceId = spec.ppv2VpceId;
  if (vpceId === undefined) return undefined;
  const fixed = spec.headerDestination;
  return (c) => {
    const source = c.remoteAddress;
    const sourcePort = c.remotePort;
    const destination = fixed?.address ?? c.localAddress;
    const destinationPort = fixed?.port ?? c.localPort;
    if (!source || sourcePort === undefined || !destination || destinationPort === undefined)
      return undefined;
    return buildPpv2(
      {
        sourceAddress: source.replace(/^::ffff:/, ''),
        sourcePort,
        destinationAddress: destination.replace(/^::ffff:/, ''),
        destinationPort,
      },
      { vpceId },
    );
  };
}

export class LocalProxyHost implements ProxyHost {
  private readonly proxies = new Map<string, TcpProxy>();
  private closedAccepted = 0;

  async serve(id: string, server: Server, spec: ProxySpec): Promise<number> {
    await this.stop(id);
    const route = {
      upstreamHost: spec.upstreamHost,
      upstreamPort: spec.upstreamPort,
      ...(spec.upstreamPath ? { upstreamPath: spec.upstreamPath } : {}),
      ...(spec.localAddress ? { localAddress: spec.localAddress } : {}),
      header: headerFor(spec),
    };
    this.proxies.set(id, new TcpProxy(server, route));
    return 0;
  }

  async stop(id: string): Promise<void> {
    const p = this.proxies.get(id);
    if (!p) return;
    this.proxies.delete(id);
    this.closedAccepted += p.accepted;
    await p.close();
  }

  probe(spec: ProbeSpec): Promise<ProbeResult> {
    return probe(spec);
  }

  async stats(): Promise<ProxyStats> {
    let open = 0;
    let accepted = this.closedAccepted;
    for (const p of this.proxies.values()) {
      open += p.openConnections;
      accepted += p.accepted;
    }
    return { proxies: this.proxies.size, open, accepted, pid: process.pid };
  }

  async close(): Promise<void> {
    await Promise.all([...this.proxies.keys()].map((id) => this.stop(id)));
  }
}
