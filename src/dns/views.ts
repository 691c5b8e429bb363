/**
 * What one resolver sees: a VPC resolver (the VPC's private zones over the public endpoint names)
 * or the host resolver (public endpoint names, plus every private name when no VPC resolvers
 * run, mapped to host-reachable addresses).
 *
 * Fidelity ledger (Route 53 Resolver, AWS VPC DNS docs, 2025):
 * - Covered: private hosted zones associated with the VPC take precedence over public names, and
 *   a name inside a private zone that has no record is NXDOMAIN there (no fall-through);
 *   `enableDnsSupport=false` switches the VPC's resolver off (answered REFUSED).
 * - By design: every VPC resolver answers every endpoint's regional and zonal names with the
 *   endpoint's private IPs, even for endpoints of other VPCs and accounts: AWS publishes those
 *   names in the public `vpce.amazonaws.com` zone, so they resolve everywhere (the addresses are
 *   only reachable inside the endpoint's VPC). The host resolver has no VPC: in netns mode it
 *   answers the public names only; in loopback/off mode (no VPC resolvers) it also answers every
 *   private DNS name, the union over VPCs, so private names stay usable from the host.
 */
import type { RecordFeeder } from './record-feeder.js';
import type { AddressType, DnsRecord, LookupResult, RecordTable } from './record-table.js';

export interface DnsView {
  /** False when this resolver is switched off (REFUSED to everything). */
  enabled(): boolean;
  lookup(name: string, type: AddressType | 'ANY'): LookupResult;
  /** The address to answer for a record (the host view may map ENIs to loopback addresses). */
  address(record: DnsRecord): string;
  /** SOA serial of the zone (changes when any record changes). */
  serial(): number;
}

function layered(tables: readonly RecordTable[], name: string, type: AddressType | 'ANY'): LookupResult {
  for (const t of tables) {
    const r = t.lookup(name, type);
    if (r.kind !== 'notmine') return r;
  }
  return { kind: 'notmine' };
}

/** The view of the resolver at VPC base+2. */
export function vpcView(feeder: RecordFeeder, vpcId: string): DnsView {
  return {
    enabled: () => feeder.dnsSupported(vpcId),
    lookup: (name, type) =>
      layered([feeder.privateTable(vpcId), feeder.publicTable, feeder.awsPublicTable], name, type),
    address: (r) => r.address,
    serial: () => feeder.publicTable.serial + feeder.privateTable(vpcId).serial,
  };
}

export interface HostViewOptions {
  /** Include private DNS names of every VPC (when no per-VPC resolver exists). */
  includePrivate: () => boolean;
  /** The host-reachable address of an ENI (loopback mode), else undefined → the private IP. */
  hostAddressOf?: (eniId: string) => string | undefined;
}

/** The view of the host resolver on 127.0.0.1:dnsPort. */
export function hostView(feeder: RecordFeeder, o: HostViewOptions): DnsView {
  return {
    enabled: () => true,
    lookup: (name, type) =>
      layered(
        o.includePrivate()
          ? [feeder.allPrivate, feeder.publicTable, feeder.awsPublicTable]
          : [feeder.publicTable, feeder.awsPublicTable],
        name,
        type,
      ),
    address: (r) => (r.eniId && o.hostAddressOf?.(r.eniId)) || r.address,
    serial: () => feeder.publicTable.serial + feeder.allPrivate.serial,
  };
}
