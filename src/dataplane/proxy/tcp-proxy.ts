/**
 * A TCP proxy that owns one listening `net.Server` and every connection it accepted: each client
 * socket is paired with an upstream socket, an optional header (PPv2) is written corked together
 * with the client's first bytes, and either side failing or closing tears down both. `cut()`
 * resets every open pair (RST, as a rejected endpoint does); `close()` stops listening, resets
 * what is left and resolves once the server is closed.
 *
 * Per-connection cost is what limits new connections per second, so the hot path avoids
 * per-connection timers (one sweep per proxy enforces the connect timeout), per-connection
 * closures (the handlers are shared and find their pair through a symbol on the socket) and
 * `pipe()` (a direct data/write relay with pause-on-backpressure needs fewer listeners).
 */
import net, { type Server, type Socket } from 'node:net';

export interface ProxyRoute {
  upstreamHost: string;
  upstreamPort: number;
  /** Source address for upstream connections (loopback mode: the NLB node's address). */
  localAddress?: string;
  /** Bytes to send upstream before anything else, built from the accepted client socket. */
  header?: (client: Socket) => Buffer | undefined;
  /** Upstream connect timeout (ms). */
  connectTimeoutMs?: number;
  /**
   * Per-connection upstream choice (loopback NLB nodes balance in userspace); overrides
   * upstreamHost/upstreamPort/localAddress. undefined = no target: the client is reset.
   */
  pick?: () => { host: string; port: number; localAddress?: string } | undefined;
}

/** How long to hold the header for the client's first bytes (server-first protocols send none). */
const FIRST_BYTES_WAIT_MS = 5;
/** Granularity of the connect-timeout sweep. */
const SWEEP_MS = 250;
/** Client bytes buffered while the upstream connects before the client is paused. */
const PRECONNECT_BUFFER_BYTES = 64 * 1024;

const kPair = Symbol('privlink.pair');
type PairedSocket = Socket & { [kPair]?: Pair };

class Pair {
  connected = false;
  done = false;
  /** The header waits (corked) on upstream for the client's first bytes. */
  corked = false;
  /** What the client sent (or that it ended) before the upstream connected. */
  header: Buffer | undefined;
  pending: Buffer | undefined;
  clientEnded = false;
  firstBytesTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly proxy: TcpProxy,
    readonly client: PairedSocket,
    readonly upstream: PairedSocket,
    /** Sweep tick after which an unconnected upstream is abandoned. */
    readonly deadline: number,
  ) {}
}

function pairOf(s: PairedSocket): Pair | undefined {
  return s[kPair];
}

function onClientData(this: PairedSocket, d: Buffer): void {
  const p = pairOf(this);
  if (!p || p.done) return;
  if (!p.connected) {
    p.pending = p.pending ? Buffer.concat([p.pending, d]) : d;
    if (p.pending.length >= PRECONNECT_BUFFER_BYTES) this.pause();
    return;
  }
  const ok = p.upstream.write(d);
  if (p.corked) releaseHeader(p);
  if (!ok) {
    this.pause();
    p.upstream.once('drain', resumeClient);
  }
}

function resumeClient(this: PairedSocket): void {
  const p = pairOf(this);
  if (p && !p.done) p.client.resume();
}

function onUpstreamData(this: PairedSocket, d: Buffer): void {
  const p = pairOf(this);
  if (!p || p.done) return;
  if (!p.client.write(d)) {
    this.pause();
    p.client.once('drain', resumeUpstream);
  }
}

function resumeUpstream(this: PairedSocket): void {
  const p = pairOf(this);
  if (p && !p.done) p.upstream.resume();
}

/**
 * Passes a FIN on. When `to` has already delivered its own FIN and has nothing left to write,
 * closing it sends the same FIN (its receive queue is empty) without the shutdown round trip.
 */
function finish(to: PairedSocket): void {
  if (to.readableEnded && to.writableLength === 0 && !to.writableEnded) to.destroy();
  else to.end();
}

function onClientEnd(this: PairedSocket): void {
  const p = pairOf(this);
  if (!p || p.done) return;
  if (!p.connected) p.clientEnded = true;
  else {
    if (p.corked) releaseHeader(p);
    finish(p.upstream);
  }
}

function onUpstreamEnd(this: PairedSocket): void {
  const p = pairOf(this);
  if (p && !p.done) finish(p.client);
}

function onUpstreamConnect(this: PairedSocket): void {
  const p = pairOf(this);
  if (!p || p.done) return;
  p.connected = true;
  p.proxy.connecting.delete(p);
  const { upstream, header, pending } = p;
  p.header = undefined;
  p.pending = undefined;
  if (header && pending) {
    // Header and first bytes leave in one writev, hence one segment.
    upstream.cork();
    upstream.write(header);
    upstream.write(pending);
    upstream.uncork();
  } else if (pending) {
    upstream.write(pending);
  } else if (header) {
    upstream.cork();
    upstream.write(header);
    if (p.clientEnded) upstream.uncork();
    else {
      p.corked = true;
      p.firstBytesTimer = setTimeout(releaseHeader, FIRST_BYTES_WAIT_MS, p);
    }
  }
  if (p.clientEnded) upstream.end();
  else if (p.client.isPaused()) p.client.resume();
}

function releaseHeader(p: Pair): void {
  if (!p.corked) return;
  p.corked = false;
  clearTimeout(p.firstBytesTimer);
  p.upstream.uncork();
}

function onSocketError(this: PairedSocket): void {
  const p = pairOf(this);
  // Reset (not FIN) the survivor when the other side fails, so peers see what an NLB does.
  if (p) p.proxy.teardown(p, true);
}

/**
 * With half-open allowed, FINs travel through the relay; a socket closes once both of its
 * directions are done, and the pair is released when both have closed.
 */
function onSocketClose(this: PairedSocket, hadError: boolean): void {
  const p = pairOf(this);
  if (!p) return;
  if (hadError) p.proxy.teardown(p, true);
  else if (p.client.destroyed && p.upstream.destroyed) p.proxy.teardown(p, false);
}

export class TcpProxy {
  private readonly pairs = new Set<Pair>();
  /** Pairs whose upstream is still connecting (swept for the connect timeout). */
  readonly connecting = new Set<Pair>();
  private sweeper: NodeJS.Timeout | undefined;
  private tick = 0;
  private closed = false;
  /** Connections accepted so far (for describe/bench). */
  accepted = 0;

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

  private onConnection(client: PairedSocket): void {
    if (this.closed) {
      client.on('error', () => undefined);
      client.resetAndDestroy();
      return;
    }
    this.accepted++;
    const route = this.route;
    const dest = route.pick
      ? route.pick()
      : { host: route.upstreamHost, port: route.upstreamPort, localAddress: route.localAddress };
    if (!dest) {
      client.on('error', () => undefined);
      client.resetAndDestroy();
      return;
    }
    let header: Buffer | undefined;
    try {
      header = route.header?.(client);
    } catch {
      header = undefined;
    }
    const upstream: PairedSocket = net.connect({
      allowHalfOpen: true,
      host: dest.host,
      port: dest.port,
      ...(dest.localAddress ? { localAddress: dest.localAddress } : {}),
      noDelay: true,
    });
    const timeoutTicks = Math.ceil((route.connectTimeoutMs ?? 10_000) / SWEEP_MS);
    const pair = new Pair(this, client, upstream, this.tick + timeoutTicks + 1);
    pair.header = header;
    client[kPair] = pair;
    upstream[kPair] = pair;
    this.pairs.add(pair);
    this.connecting.add(pair);
    this.sweeper ??= setInterval(() => this.sweep(), SWEEP_MS).unref();
    client.setNoDelay(true);
    client.on('data', onClientData);
    client.on('end', onClientEnd);
    client.on('error', onSocketError);
    client.on('close', onSocketClose);
    upstream.on('connect', onUpstreamConnect);
    upstream.on('data', onUpstreamData);
    upstream.on('end', onUpstreamEnd);
    upstream.on('error', onSocketError);
    upstream.on('close', onSocketClose);
  }

  private sweep(): void {
    this.tick++;
    for (const p of this.connecting) {
      if (p.deadline > this.tick) continue;
      this.connecting.delete(p);
      p.upstream.destroy(new Error('upstream connect timeout'));
    }
    if (this.connecting.size === 0 && this.sweeper) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
  }

  /** Releases a pair: reset (RST) or plain close of whichever side is still open. */
  teardown(p: Pair, reset: boolean): void {
    if (p.done) return;
    p.done = true;
    clearTimeout(p.firstBytesTimer);
    this.pairs.delete(p);
    this.connecting.delete(p);
    for (const s of [p.client, p.upstream]) {
      if (s.destroyed) continue;
      if (reset) s.resetAndDestroy();
      else s.destroy();
    }
  }

  /** Resets every open connection (new ones are still accepted). */
  cut(): void {
    for (const p of [...this.pairs]) this.teardown(p, true);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const done = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.cut();
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = undefined;
    await done;
  }
}
