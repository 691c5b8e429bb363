/**
 * The catalogue of AWS-owned endpoint services (owner `amazon`) and the AWS-managed prefix lists
 * of the gateway services. DescribeVpcEndpointServices, CreateVpcEndpoint (gateway and AWS
 * interface endpoints) and DescribePrefixLists all read this one table, so names and prefix-list
 * IDs agree everywhere.
 *
 * Fidelity ledger (docs/reference/aws-privatelink.md §2.1, §5.2, §5.10; AWS docs as of 2025):
 * - Covered: service names `com.amazonaws.<region>.<svc>`; S3 and DynamoDB listed as both Gateway
 *   and Interface; private DNS names `<svc>.<region>.amazonaws.com`; prefix lists named after the
 *   service with `pl-` + 8 hex IDs (us-east-1 uses the widely cited real IDs).
 * - Gaps: only a dozen common services; no per-region availability differences.
 * - By design: prefix-list IDs outside us-east-1 are a deterministic hash of the name, and the
 *   CIDRs are a few documentation-style examples, not AWS's published ranges.
 */

export type AwsServiceType = 'Gateway' | 'Interface';

export interface AwsService {
  serviceName: string;
  /** Short name after the region: `s3`, `ecr.dkr`. */
  shortName: string;
  types: AwsServiceType[];
  /** Gateway services only: the AWS-managed prefix list routes point at. */
  prefixListId?: string;
  vpcEndpointPolicySupported: boolean;
  /** Interface services: the name private DNS answers for. */
  privateDnsName?: string;
}

export interface AwsPrefixList {
  prefixListId: string;
  prefixListName: string;
  cidrs: string[];
}

interface CatalogueEntry {
  shortName: string;
  types: AwsServiceType[];
  policy: boolean;
  /** Example CIDRs for gateway services' prefix lists. */
  cidrs?: string[];
}

const CATALOGUE: readonly CatalogueEntry[] = [
  {
    shortName: 's3',
    types: ['Gateway', 'Interface'],
    policy: true,
    cidrs: ['52.216.0.0/15', '54.231.0.0/16', '3.5.0.0/19'],
  },
  {
    shortName: 'dynamodb',
    types: ['Gateway', 'Interface'],
    policy: true,
    cidrs: ['52.94.0.0/22', '3.218.180.0/22'],
  },
  { shortName: 'ec2', types: ['Interface'], policy: true },
  { shortName: 'ecr.api', types: ['Interface'], policy: true },
  { shortName: 'ecr.dkr', types: ['Interface'], policy: true },
  { shortName: 'elasticloadbalancing', types: ['Interface'], policy: true },
  { shortName: 'execute-api', types: ['Interface'], policy: true },
  { shortName: 'kms', types: ['Interface'], policy: true },
  { shortName: 'logs', types: ['Interface'], policy: true },
  { shortName: 'secretsmanager', types: ['Interface'], policy: true },
  { shortName: 'sns', types: ['Interface'], policy: true },
  { shortName: 'sqs', types: ['Interface'], policy: true },
  { shortName: 'ssm', types: ['Interface'], policy: true },
  { shortName: 'sts', types: ['Interface'], policy: true },
];

/** Real IDs where they are widely documented; elsewhere a stable hash. */
const KNOWN_PREFIX_LISTS: Record<string, string> = {
  'com.amazonaws.us-east-1.s3': 'pl-63a5400a',
  'com.amazonaws.us-east-1.dynamodb': 'pl-02cd2c6b',
};

function hash8(s: string): string {
  // FNV-1a, 32 bit: stable across processes and platforms.
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

function prefixListIdFor(serviceName: string): string {
  return KNOWN_PREFIX_LISTS[serviceName] ?? `pl-${hash8(serviceName)}`;
}

/** The AWS-owned services offered in a region, sorted by service name. */
export function awsServicesForRegion(region: string): AwsService[] {
  return CATALOGUE.map((e) => {
    const serviceName = `com.amazonaws.${region}.${e.shortName}`;
    const svc: AwsService = {
      serviceName,
      shortName: e.shortName,
      types: [...e.types],
      vpcEndpointPolicySupported: e.policy,
    };
    if (e.types.includes('Gateway')) svc.prefixListId = prefixListIdFor(serviceName);
    if (e.types.includes('Interface')) svc.privateDnsName = `${e.shortName}.${region}.amazonaws.com`;
    return svc;
  }).sort((a, b) => a.serviceName.localeCompare(b.serviceName));
}

/** Looks up an AWS-owned service by its full name in a region. */
export function findAwsService(region: string, serviceName: string): AwsService | undefined {
  return awsServicesForRegion(region).find((s) => s.serviceName === serviceName);
}

/** The AWS-managed prefix lists of a region (one per gateway service). */
export function awsPrefixListsForRegion(region: string): AwsPrefixList[] {
  const out: AwsPrefixList[] = [];
  for (const e of CATALOGUE) {
    if (!e.types.includes('Gateway')) continue;
    const name = `com.amazonaws.${region}.${e.shortName}`;
    out.push({ prefixListId: prefixListIdFor(name), prefixListName: name, cidrs: [...(e.cidrs ?? [])] });
  }
  return out;
}
