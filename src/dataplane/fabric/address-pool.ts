/**
 * Internal fabric addresses, one per ENI namespace (endpoint ENIs and NLB nodes), handed out from
 * `fabricCidr`. Stable for the life of the process: an ENI keeps its address across passes, and a
 * released address is reused only after every never-used one (so a stale conntrack entry in a
 * peer namespace is unlikely to meet a new owner). After a restart the sweep has removed every
 * namespace, so rebuilding the pool from scratch is safe.
 */
import { intToIp, parseCidr } from '../../control/cidr.js';

/** Offsets reserved in the fabric range: .0 network, .1 fabric gateway/agent, .2 health-check source. */
export const FABRIC_AGENT_OFFSET = 1;
export const FABRIC_HEALTH_OFFSET = 2;
const FIRST_FREE_OFFSET = 10;

export class AddressPool {
  private readonly base: number;
  private readonly size: number;
  readonly prefix: number;
  private readonly byKey = new Map<string, number>();
  private readonly inUse = new Set<number>();
  private readonly released: number[] = [];
  private next = FIRST_FREE_OFFSET;

  constructor(cidr: string) {
    const c = parseCidr(cidr, 'fabricCidr');
    this.base = c.base;
    this.size = c.size;
    this.prefix = c.prefix;
  }

  addressAt(offset: number): string {
    return intToIp((this.base + offset) >>> 0);
  }

  /** The address of key, allocating one on first use. */
  allocate(key: string): string {
    const have = this.byKey.get(key);
    if (have !== undefined) return this.addressAt(have);
    let off: number | undefined;
    if (this.next < this.size - 1) off = this.next++;
    else off = this.released.shift();
    if (off === undefined) throw new Error(`fabric range exhausted (${this.inUse.size} addresses in use)`);
    this.byKey.set(key, off);
    this.inUse.add(off);
    return this.addressAt(off);
  }

  lookup(key: string): string | undefined {
    const off = this.byKey.get(key);
    return off === undefined ? undefined : this.addressAt(off);
  }

  release(key: string): void {
    const off = this.byKey.get(key);
    if (off === undefined) return;
    this.byKey.delete(key);
    this.inUse.delete(off);
    this.released.push(off);
  }

  get used(): number {
    return this.inUse.size;
  }
}
