/**
 * A TCP proxy that owns one listening `net.Server` and every connection it accepted: each client
 * socket is paired with an upstream socket, an optional header (PPv2) is written corked together
 * with the client's first bytes, and either side failing or closing tears down both. `cut()`
 * resets every open pair (RST, as a rejected endpoint does); `close()` stops listening, resets
 * what is left and resolves once the server is closed.
 */
import net, { type Server, type Socket } from 'node:net';

export interface ProxyRoute {
  upstreamHost: string;
  upstreamPort: number;
  /** A unix socket to connect to instead of upstreamHost:upstreamPort (privlink's own API). */
  upstreamPath?: string;
  /** Source address for upstream connections (loopback mode: the NLB node's address). */
  localAddress?: string;
  /**
   * Bytes to send upstream before anything else, built from the accepted client socket. When set
   * it must yield a header: undefined or a throw resets the client without connecting upstream
   * (a target that expects PROXY v2 must never see a connection without it).
   */
  header?: (client: Socket) => Buffer | undefined;
  /** Upstream connect timeout (ms). */
  connectTimeoutMs?: number;
  /**
   * Per-connection upstream choice (loopback NLB nodes balance in userspace); overrides
   * upstreamHost/upstreamPort/localAddress. undefined = no target: the client is reset.
   */
  pick?: () => { host: string; port: number; localAddress?: string } | undefined;
}

/**
 * Copies `from` into `to` with back-pressure and passes the FIN on. Plain listeners instead of
 * pipe(): measured ~12% less user CPU per proxied connection (pipe's bookkeeping, twice per
 * connection, is a visible share of the cost on a small host).
 */
function forward(from: Socket, to: Socket): void {
  from.on('data', (d: Buffer) => {
    if (!to.write(d)) from.pause();
  });
  to.on('drain', () => from.resume());
  from.on('end', () => to.end());
}

/** How long to hold the header for the client's first bytes (server-first protocols send none). */
const FIRST_BYTES_WAIT_MS = 5;

export class TcpProxy {
  private readonly pairs = new Set<{ client: Socket; upstream: Socket }>();
  private closed = false;
  /** Connections accepted so far (for describe/bench). */
  accepted = 0;
  /** Connections reset because their header could not be built. */
  refused = 0;

  constructor(
    readonly server: Server,
    private route: ProxyRoute,
  ) {
    // Half-close must travel end to end (a client may FIN and still read the answer).
    (server as Server & { allowHalfOpen: boolean }).allowHalfOpen = true;
    server.on('connection', (c: Socket) => this.onConnection(c));
    server.on('error', () => {
      // A listening socket passed in from another namespace cannot fail after listen(); ignore.
    });
  }

  /** Changes where new connections go (open ones keep their upstream). */
  setRoute(route: ProxyRoute): void {
    this.route = route;
  }

  get openConnections(): number {
    return this.pairs.size;
  }

  private onConnection(client: Socket): void {
    if (this.closed) {
      client.resetAndDestroy();
      return;
    }
    this.accepted++;
    const route = this.route;
    client.setNoDelay(true);
    client.pause();
    let header: Buffer | undefined;
    if (route.header) {
      try {
        header = route.header(client);
      } catch {
        header = undefined;
      }
      if (!header) {
        // Fail closed: without its header the connection would reach the target unlabelled.
        this.refused++;
        client.on('error', () => undefined);
        client.resetAndDestroy();
        return;
      }
    }
    const dest = route.pick
      ? route.pick()
      : { host: route.upstreamHost, port: route.upstreamPort, localAddress: route.localAddress };
    if (!dest) {
      client.on('error', () => undefined);
      client.resetAndDestroy();
      return;
    }
    const upstream =
      route.upstreamPath && !route.pick
        ? net.connect({ allowHalfOpen: true, path: route.upstreamPath })
        : net.connect({
            allowHalfOpen: true,
            host: dest.host,
            port: dest.port,
            ...(dest.localAddress ? { localAddress: dest.localAddress } : {}),
            noDelay: true,
          });
    const pair = { client, upstream };
    this.pairs.add(pair);
    const timer = setTimeout(
      () => upstream.destroy(new Error('upstream connect timeout')),
      route.connectTimeoutMs ?? 10_000,
    );
    let done = false;
    // Reset (not FIN) the survivor when the other side fails, so peers see what an NLB does.
    const teardown = (reset: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      this.pairs.delete(pair);
      for (const s of [client, upstream]) {
        if (s.destroyed) continue;
        if (reset) s.resetAndDestroy();
        else s.destroy();
      }
    };
    client.on('error', () => teardown(true));
    upstream.on('error', () => teardown(true));
    // With half-open allowed, FINs travel through the pipes; a socket closes once both of its
    // directions are done, and the pair is released when both have closed.
    const onClose = (hadError: boolean) => {
      if (hadError) teardown(true);
      else if (client.destroyed && upstream.destroyed) teardown(false);
    };
    client.on('close', onClose);
    upstream.on('close', onClose);
    upstream.once('connect', () => {
      clearTimeout(timer);
      if (header) {
        const first = client.read() as Buffer | null;
        if (first) {
          upstream.write(Buffer.concat([header, first]));
        } else {
          upstream.cork();
          upstream.write(header);
          const release = () => {
            clearTimeout(t);
            client.off('readable', release);
            upstream.uncork();
          };
          const t = setTimeout(release, FIRST_BYTES_WAIT_MS);
          client.once('readable', release);
        }
      }
      forward(client, upstream);
      forward(upstream, client);
      client.resume();
    });
  }

  /** Resets every open connection (new ones are still accepted). */
  cut(): void {
    for (const p of [...this.pairs]) {
      this.pairs.delete(p);
      p.client.resetAndDestroy();
      p.upstream.resetAndDestroy();
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const done = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.cut();
    await done;
  }
}
