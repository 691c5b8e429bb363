/**
 * Bounds what forwarding can cost: the forwarder opens one upstream TCP connection per TCP
 * query, so without a cap a few pipelining clients could make privlink open thousands of
 * sockets to the upstream. At most `maxActive` TCP forwards run at once, `maxQueued` more wait
 * their turn, and beyond that a query gets no upstream answer (the resolver says SERVFAIL, as
 * unbound does when its outgoing TCP slots are full). UDP shares one socket and passes through.
 */
import type { Transport, Upstream } from './resolver.js';

export interface UpstreamLimits {
  maxActive: number;
  maxQueued: number;
}

export const DEFAULT_UPSTREAM_LIMITS: UpstreamLimits = { maxActive: 32, maxQueued: 256 };

export class LimitedUpstream implements Upstream {
  private active = 0;
  /** Highest number of TCP forwards in flight at once (for status and tests). */
  peakActive = 0;
  private readonly waiting: (() => void)[] = [];
  private readonly limits: UpstreamLimits;

  constructor(
    private readonly inner: Upstream,
    limits: Partial<UpstreamLimits> = {},
  ) {
    this.limits = { ...DEFAULT_UPSTREAM_LIMITS, ...limits };
  }

  async forward(query: Buffer, transport: Transport): Promise<Buffer | undefined> {
    if (transport === 'udp') return this.inner.forward(query, transport);
    if (this.active >= this.limits.maxActive) {
      if (this.waiting.length >= this.limits.maxQueued) return undefined;
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.active++;
    }
    this.peakActive = Math.max(this.peakActive, this.active);
    try {
      return await this.inner.forward(query, transport);
    } finally {
      // Hand the slot straight to the next waiter (active stays counted), else free it.
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }

  get stats(): { active: number; queued: number; peakActive: number } {
    return { active: this.active, queued: this.waiting.length, peakActive: this.peakActive };
  }
}
