/**
 * The public names of AWS services as privlink's resolvers answer them when no private DNS
 * overrides them: `<svc>.<region>.amazonaws.com` (and `*.` under it for S3's virtual-hosted
 * buckets) → the service's address in 198.18.0.0/15 (aws-services.ts). A VPC whose subnet routes
 * that range to a gateway endpoint reaches the service there; anywhere else the address is
 * unreachable, as a public AWS address is from a VPC without a way out.
 *
 * By design: one zone per region (`<region>.amazonaws.com` is not AWS's zone cut, but no other
 * name under it is served); the regions are those privlink lists.
 */
import { awsPublicAddress, awsServiceShortNames } from '../control/privatelink/aws-services.js';
import { KNOWN_REGIONS } from '../control/zones.js';
import { RecordTable, type DnsRecord } from './record-table.js';

export function awsPublicNamesTable(regions: readonly string[] = KNOWN_REGIONS): RecordTable {
  const zones = regions.map((r) => `${r}.amazonaws.com`);
  const table = new RecordTable(zones);
  for (const region of regions) {
    const zone = `${region}.amazonaws.com`;
    const records: DnsRecord[] = [];
    for (const svc of awsServiceShortNames()) {
      const address = awsPublicAddress(svc);
      if (!address) continue;
      const name = `${svc}.${zone}`;
      records.push({ name, type: 'A', address, zone });
      if (svc === 's3') records.push({ name: `*.${name}`, type: 'A', address, zone });
    }
    table.upsertRecords(`aws-public:${region}`, records);
  }
  return table;
}
