/**
 * An in-memory table of address records grouped by owner (an endpoint ID): the narrow interface
 * the record feeder writes through (`upsertRecords(owner, records)` / `removeOwner(owner)`, as
 * LocalStack's DnsServerProtocol) and the lookup the resolver answers from.
 *
 * Lookup rules (RFC 1034 §4.3.2, as Route 53 answers them):
 * - names are case-insensitive; a trailing dot is ignored;
 * - an exact name wins over a wildcard; `*.example.com` matches every name under example.com
 *   (any depth), not example.com itself;
 * - a name that exists (or is an empty non-terminal between a record and its zone apex, or is the
 *   apex) but has no record of the asked type is NODATA; any other name inside a zone is NXDOMAIN;
 *   names outside every zone are not this table's business ('notmine').
 */

export type AddressType = 'A' | 'AAAA';

export interface DnsRecord {
  /** Lower-case, no trailing dot; may start with `*.` (wildcard). */
  name: string;
  type: AddressType;
  address: string;
  /** Apex of the zone the record lives in (lower-case, no trailing dot). */
  zone: string;
  /** The ENI the address belongs to: lets the host resolver map it to a loopback address. */
  eniId?: string;
}

export type LookupResult =
  | { kind: 'answer'; zone: string; records: readonly DnsRecord[] }
  | { kind: 'nodata'; zone: string }
  | { kind: 'nxdomain'; zone: string }
  | { kind: 'notmine' };

/** Normalises a DNS name for comparison: lower-case, no trailing dot. */
export function normalizeName(name: string): string {
  const n = name.toLowerCase();
  return n.endsWith('.') ? n.slice(0, -1) : n;
}

/** Parents of `name` strictly above it, nearest first (a.b.c → b.c, c). */
function* parents(name: string): Generator<string> {
  let i = name.indexOf('.');
  while (i >= 0) {
    yield name.slice(i + 1);
    i = name.indexOf('.', i + 1);
  }
}

function isUnder(name: string, zone: string): boolean {
  return name === zone || name.endsWith('.' + zone);
}

class Counter {
  private readonly m = new Map<string, number>();
  add(k: string): void {
    this.m.set(k, (this.m.get(k) ?? 0) + 1);
  }
  remove(k: string): void {
    const n = (this.m.get(k) ?? 0) - 1;
    if (n <= 0) this.m.delete(k);
    else this.m.set(k, n);
  }
  has(k: string): boolean {
    return this.m.has(k);
  }
  get size(): number {
    return this.m.size;
  }
  keys(): IterableIterator<string> {
    return this.m.keys();
  }
}

export class RecordTable {
  private readonly byOwner = new Map<string, readonly DnsRecord[]>();
  /** name (possibly `*.x`) → records with that name. */
  private readonly byName = new Map<string, DnsRecord[]>();
  /** Zone apexes, counted by record. */
  private readonly zones = new Counter();
  /** Names that exist: record names, their ancestors up to the zone apex (empty non-terminals). */
  private readonly existing = new Counter();
  /** Bumped on every change (the SOA serial). */
  serial = 1;

  /** `fixedZones`: apexes this table answers for even with no record in them. */
  constructor(fixedZones: readonly string[] = []) {
    for (const z of fixedZones) {
      this.zones.add(normalizeName(z));
      this.existing.add(normalizeName(z));
    }
  }

  /** Replaces every record of `owner` (an empty list removes the owner). */
  upsertRecords(owner: string, records: readonly DnsRecord[]): void {
    const prev = this.byOwner.get(owner);
    if (prev && sameRecords(prev, records)) return;
    if (prev) this.unindex(prev);
    if (records.length === 0) {
      this.byOwner.delete(owner);
    } else {
      const norm = records.map((r) => ({ ...r, name: normalizeName(r.name), zone: normalizeName(r.zone) }));
      this.byOwner.set(owner, norm);
      this.index(norm);
    }
    this.serial++;
  }

  removeOwner(owner: string): void {
    this.upsertRecords(owner, []);
  }

  owners(): IterableIterator<string> {
    return this.byOwner.keys();
  }

  get recordCount(): number {
    let n = 0;
    for (const rs of this.byOwner.values()) n += rs.length;
    return n;
  }

  /** Zone apexes currently held. */
  zoneNames(): string[] {
    return [...this.zones.keys()];
  }

  /** The zone apex that holds `name` (the longest match), if any. */
  zoneOf(name: string): string | undefined {
    const n = normalizeName(name);
    if (this.zones.has(n)) return n;
    for (const p of parents(n)) if (this.zones.has(p)) return p;
    return undefined;
  }

  lookup(name: string, type: AddressType | 'ANY'): LookupResult {
    const n = normalizeName(name);
    const zone = this.zoneOf(n);
    if (zone === undefined) return { kind: 'notmine' };
    let found = this.byName.get(n);
    if (!found && !this.existing.has(n)) {
      // Closest wildcard: `*.<parent>` for the nearest parent inside the zone that has one.
      for (const p of parents(n)) {
        if (!isUnder(p, zone)) break;
        const w = this.byName.get('*.' + p);
        if (w) {
          found = w;
          break;
        }
        // An existing name between us and the zone blocks wildcards above it (RFC 4592 §2.2).
        if (this.existing.has(p)) break;
      }
    }
    if (!found)
      return this.existing.has(n) || n === zone ? { kind: 'nodata', zone } : { kind: 'nxdomain', zone };
    const records = type === 'ANY' ? found : found.filter((r) => r.type === type);
    return records.length ? { kind: 'answer', zone, records } : { kind: 'nodata', zone };
  }

  private index(records: readonly DnsRecord[]): void {
    for (const r of records) {
      let list = this.byName.get(r.name);
      if (!list) this.byName.set(r.name, (list = []));
      list.push(r);
      this.zones.add(r.zone);
      for (const n of this.namesOf(r)) this.existing.add(n);
    }
  }

  private unindex(records: readonly DnsRecord[]): void {
    for (const r of records) {
      const list = this.byName.get(r.name);
      if (list) {
        const i = list.indexOf(r);
        if (i >= 0) list.splice(i, 1);
        if (list.length === 0) this.byName.delete(r.name);
      }
      this.zones.remove(r.zone);
      for (const n of this.namesOf(r)) this.existing.remove(n);
    }
  }

  /** The record's own name (unless a wildcard) and its ancestors down to the zone apex. */
  private namesOf(r: DnsRecord): string[] {
    const out: string[] = [];
    if (!r.name.startsWith('*.')) out.push(r.name);
    if (r.name === r.zone) return out;
    for (const p of parents(r.name)) {
      if (!isUnder(p, r.zone)) break;
      out.push(p);
      if (p === r.zone) break;
    }
    return out;
  }
}

function sameRecords(a: readonly DnsRecord[], b: readonly DnsRecord[]): boolean {
  if (a.length !== b.length) return false;
  return a.every((r, i) => {
    const o = b[i];
    return (
      o !== undefined &&
      normalizeName(o.name) === r.name &&
      o.type === r.type &&
      o.address === r.address &&
      normalizeName(o.zone) === r.zone &&
      o.eniId === r.eniId
    );
  });
}
