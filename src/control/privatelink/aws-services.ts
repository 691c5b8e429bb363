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
 * - By design: prefix-list IDs outside us-east-1 are a deterministic hash of the name. Every
 *   "public" address of an AWS service — what `s3.us-east-1.amazonaws.com` resolves to without
 *   private DNS, and the prefix lists' CIDRs — lies in 198.18.0.0/15 (reserved for benchmarking,
 *   RFC 2544), never in a real public range, so no packet to a public address ever exists on the
 *   machine; the same CIDRs in every region (AWS's differ per region). S3 is 198.18.16.0/20,
 *   DynamoDB 198.18.32.0/20; interface-only services get one address each in 198.19.0.0/16.
 *   Nothing routes to them unless a gateway endpoint route sends a subnet's traffic there.
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
  /** Gateway services' prefix-list CIDRs (198.18.0.0/15, see the ledger). */
  cidrs?: string[];
}

const CATALOGUE: readonly CatalogueEntry[] = [
  {
    shortName: 's3',
    types: ['Gateway', 'Interface'],
    policy: true,
    cidrs: ['198.18.16.0/20'],
  },
  {
    shortName: 'dynamodb',
    types: ['Gateway', 'Interface'],
    policy: true,
    cidrs: ['198.18.32.0/20'],
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

/**
 * The "public" address the service's regional name resolves to without private DNS: inside the
 * prefix list for gateway services (its `.10`), else one address per service in 198.19.0.0/16.
 * Undefined for names outside the catalogue.
 */
export function awsPublicAddress(shortName: string): string | undefined {
  const i = CATALOGUE.findIndex((e) => e.shortName === shortName);
  const e = CATALOGUE[i];
  if (!e) return undefined;
  const cidr = e.cidrs?.[0];
  if (cidr) {
    const [a, b, c] = cidr.split('/')[0]?.split('.') ?? [];
    return `${a}.${b}.${c}.10`;
  }
  return `198.19.${i}.10`;
}

/** Short names of every catalogued service (public DNS answers their regional names). */
export function awsServiceShortNames(): string[] {
  return CATALOGUE.map((e) => e.shortName);
}
