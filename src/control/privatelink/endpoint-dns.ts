/**
 * The DNS names of a VPC endpoint, as DescribeVpcEndpoints (`dnsEntrySet`), the provider's
 * DescribeVpcEndpointConnections and the DNS server all show them. One builder, so the three agree.
 *
 * Fidelity ledger (docs/reference/aws-privatelink.md §2.2; recorded responses in
 * test/conformance/recorded-aws-responses):
 * - Covered: interface endpoints list the regional name first, then one zonal name per endpoint
 *   subnet (in subnet order), then — when private DNS is enabled — the private name with a
 *   private hosted zone ID; the 8-character label is stable for the endpoint's life; S3 interface
 *   endpoints get `*.`-prefixed names (S3 is addressed by sub-domain); cross-region endpoints get
 *   the regional name only. Gateway and Gateway Load Balancer endpoints have no DNS entries.
 * - Gaps: AWS services with several private names (logs shows two in the recording) get one.
 * - By design: the private hosted zone ID is a stable hash of the endpoint ID, not a Route 53 zone.
 */
import type { Control } from '../control.js';
import type { DeepReadonly } from '../model/common.js';
import type { VpcEndpoint } from '../model/privatelink.js';
import { findAwsService } from './aws-services.js';
import {
  endpointRegionalDnsName,
  endpointZonalDnsName,
  privateHostedZoneId,
  serviceLabel,
  vpceHostedZoneId,
} from '../names.js';

export interface DnsEntry {
  dnsName: string;
  hostedZoneId: string;
}

/**
 * The private DNS name an endpoint answers for, when private DNS is enabled: the AWS service's
 * name, or the provider's private DNS name while it is verified (AWS stops honouring names that
 * fall back to pendingVerification/failed for new lookups, docs/reference/aws-privatelink.md §2.3).
 */
export function endpointPrivateDnsName(control: Control, ep: DeepReadonly<VpcEndpoint>): string | undefined {
  if (!ep.privateDnsEnabled || ep.endpointType !== 'Interface') return undefined;
  if (ep.serviceId) {
    const svc = control.store.find('endpointService', ep.serviceId);
    if (!svc?.privateDnsName || svc.privateDnsNameConfiguration?.state !== 'verified') return undefined;
    return svc.privateDnsName;
  }
  const aws = findAwsService(ep.serviceRegion, ep.serviceName);
  if (!aws?.privateDnsName) return undefined;
  return aws.shortName === 's3' ? `*.${aws.privateDnsName}` : aws.privateDnsName;
}

/**
 * DNS entries of an endpoint. `includePrivate: false` gives the provider's view (the provider
 * never sees the consumer's private hosted zone).
 */
export function endpointDnsEntries(
  control: Control,
  ep: DeepReadonly<VpcEndpoint>,
  opts: { includePrivate?: boolean } = {},
): DnsEntry[] {
  if (ep.endpointType !== 'Interface') return [];
  const label = serviceLabel(ep.serviceName, ep.serviceId);
  const zoneId = vpceHostedZoneId(ep.serviceRegion);
  const star = !ep.serviceId && label === 's3' ? '*.' : '';
  const out: DnsEntry[] = [
    {
      dnsName: star + endpointRegionalDnsName(ep.id, ep.dnsLabel, label, ep.serviceRegion),
      hostedZoneId: zoneId,
    },
  ];
  // Cross-region endpoints get the regional name only.
  if (ep.serviceRegion === ep.region) {
    for (const subnetId of ep.subnetIds) {
      const subnet = control.store.find('subnet', subnetId);
      if (!subnet) continue;
      out.push({
        dnsName:
          star + endpointZonalDnsName(ep.id, ep.dnsLabel, subnet.availabilityZone, label, ep.serviceRegion),
        hostedZoneId: zoneId,
      });
    }
  }
  if (opts.includePrivate !== false) {
    const name = endpointPrivateDnsName(control, ep);
    if (name) out.push({ dnsName: name, hostedZoneId: privateHostedZoneId(ep.id) });
  }
  return out;
}
