/**
 * Derives the DNS records of interface endpoints from stored state (pure: reads the store, writes
 * nothing). The record feeder calls it per endpoint and hands the result to the record tables.
 *
 * Fidelity ledger (docs/reference/aws-privatelink.md §2.2, §2.3, §5.1; AWS PrivateLink guide, 2025):
 * - Covered: only `available` Interface endpoints have records; the regional name answers every
 *   ENI's IP, each zonal name answers the ENI of that AZ; cross-region endpoints have the regional
 *   name only; S3-style `*.` names answer the bare name and every name under it; the private DNS
 *   name (AWS service name, or the provider's name while `verified`) answers the ENI IPs in the
 *   endpoint's own VPC only, when the endpoint has private DNS enabled and the VPC has both
 *   `enableDnsSupport` and `enableDnsHostnames`; a wildcard private name `*.example.com` answers
 *   every name under example.com; `privateDnsOnlyForInboundResolverEndpoint` keeps the private
 *   name out of the VPC's own resolver (VPC clients use the gateway endpoint).
 * - Gaps: ENIs carry no IPv6 address, so AAAA questions are always NODATA (as for ipv4 endpoints).
 * - By design: the regional/zonal names live in one zone `vpce.amazonaws.com`; every private DNS
 *   name is its own zone (its apex, or the parent of a `*.` name), like the private hosted zone
 *   AWS associates with the VPC.
 */
import type { Control } from '../control/control.js';
import type { DeepReadonly } from '../control/model/common.js';
import type { VpcEndpoint } from '../control/model/privatelink.js';
import { endpointRegionalDnsName, endpointZonalDnsName, serviceLabel } from '../control/names.js';
import { endpointPrivateDnsName } from '../control/privatelink/endpoint-dns.js';
import type { DnsRecord } from './record-table.js';

/** The zone of every regional and zonal endpoint name (AWS's public `vpce.amazonaws.com`). */
export const VPCE_ZONE = 'vpce.amazonaws.com';

export interface EndpointRecords {
  vpcId: string;
  /** Regional and zonal names: answered by every resolver (AWS publishes them publicly). */
  publicRecords: DnsRecord[];
  /** The private DNS name: answered only inside `vpcId`. */
  privateRecords: DnsRecord[];
}

interface EniAddress {
  eniId: string;
  ip: string;
  zoneName: string;
}

function addressRecords(names: readonly string[], zone: string, enis: readonly EniAddress[]): DnsRecord[] {
  const out: DnsRecord[] = [];
  for (const name of names)
    for (const e of enis) out.push({ name, type: 'A', address: e.ip, zone, eniId: e.eniId });
  return out;
}

/** `*.x` → [x, *.x]; anything else → [name]. */
function withWildcard(name: string): string[] {
  return name.startsWith('*.') ? [name.slice(2), name] : [name];
}

/** The endpoint's ENIs (in subnet order) with their addresses and AZ names. */
function endpointAddresses(control: Control, ep: DeepReadonly<VpcEndpoint>): EniAddress[] {
  const out: EniAddress[] = [];
  for (const id of ep.networkInterfaceIds) {
    const eni = control.store.find('networkInterface', id);
    if (!eni?.privateIpAddress) continue;
    const subnet = control.store.find('subnet', eni.subnetId);
    out.push({
      eniId: eni.id,
      ip: eni.privateIpAddress,
      zoneName: subnet?.availabilityZone ?? eni.availabilityZone,
    });
  }
  return out;
}

/** The records of one endpoint (empty lists when it should not resolve). */
export function deriveEndpointRecords(control: Control, ep: DeepReadonly<VpcEndpoint>): EndpointRecords {
  const none: EndpointRecords = { vpcId: ep.vpcId, publicRecords: [], privateRecords: [] };
  if (ep.endpointType !== 'Interface' || ep.state !== 'available') return none;
  const enis = endpointAddresses(control, ep);
  if (enis.length === 0) return none;
  const label = serviceLabel(ep.serviceName, ep.serviceId);
  const star = !ep.serviceId && label === 's3' ? '*.' : '';
  const region = ep.serviceRegion;
  const publicRecords = addressRecords(
    withWildcard(star + endpointRegionalDnsName(ep.id, ep.dnsLabel, label, region)),
    VPCE_ZONE,
    enis,
  );
  // Cross-region endpoints get the regional name only (docs/reference/aws-privatelink.md §2.2).
  if (ep.serviceRegion === ep.region) {
    const zones = [...new Set(enis.map((e) => e.zoneName))];
    for (const zoneName of zones) {
      const names = withWildcard(star + endpointZonalDnsName(ep.id, ep.dnsLabel, zoneName, label, region));
      publicRecords.push(
        ...addressRecords(
          names,
          VPCE_ZONE,
          enis.filter((e) => e.zoneName === zoneName),
        ),
      );
    }
  }
  return { vpcId: ep.vpcId, publicRecords, privateRecords: privateRecordsOf(control, ep, enis) };
}

function privateRecordsOf(
  control: Control,
  ep: DeepReadonly<VpcEndpoint>,
  enis: readonly EniAddress[],
): DnsRecord[] {
  if (ep.dnsOptions?.privateDnsOnlyForInboundResolverEndpoint) return [];
  const vpc = control.store.find('vpc', ep.vpcId);
  // The private hosted zone needs both VPC attributes (docs/reference/aws-privatelink.md §5.1).
  if (!vpc?.enableDnsSupport || !vpc.enableDnsHostnames) return [];
  const raw = endpointPrivateDnsName(control, ep);
  if (!raw) return [];
  const name = raw.toLowerCase().replace(/\.$/, '');
  const zone = name.startsWith('*.') ? name.slice(2) : name;
  return addressRecords([name], zone, enis);
}
