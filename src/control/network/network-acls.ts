/**
 * Network ACLs as privlink has them: every VPC has exactly one, its default ACL, which allows all
 * traffic in both directions and is associated with every subnet of the VPC. Tools read it on
 * every VPC (Terraform's `aws_vpc` records `default_network_acl_id`; Ansible's
 * `ec2_vpc_nacl_info` lists it), so it answers as AWS's default ACL does.
 *
 * Fidelity ledger (AWS EC2 API reference and VPC user guide, 2025):
 * - Covered: the default ACL's entries (rule 100 allow all and rule 32767 deny all, inbound and
 *   outbound, IPv4), `default: true`, one association per subnet of the VPC, owner, the VPC's
 *   tags not copied (AWS does not tag it either); IDs stable for the VPC's whole life.
 * - By design: IDs are derived from the VPC and subnet IDs (a hash, 17 hex digits as AWS's), so
 *   nothing is stored and a restart keeps them.
 * - Gaps: custom network ACLs (CreateNetworkAcl and entry changes answer UnsupportedOperation);
 *   the data plane filters with security groups only, which the default ACL never contradicts.
 */
import { createHash } from 'node:crypto';
import type { Control } from '../control.js';
import type { CallerContext } from '../context.js';
import { apiError } from '../errors.js';
import type { Tag } from '../model/common.js';
import type { Stored } from '../model/kinds.js';
import { listOwn } from './core-lookup.js';

export interface NetworkAclEntry {
  ruleNumber: number;
  protocol: string;
  ruleAction: 'allow' | 'deny';
  egress: boolean;
  cidrBlock: string;
}

export interface NetworkAclAssociation {
  associationId: string;
  networkAclId: string;
  subnetId: string;
}

export interface NetworkAcl {
  id: string;
  vpcId: string;
  accountId: string;
  isDefault: boolean;
  entries: NetworkAclEntry[];
  associations: NetworkAclAssociation[];
  /** Always empty: the default ACL carries no tags. */
  tags: Tag[];
}

const hex17 = (key: string) => createHash('sha256').update(key).digest('hex').slice(0, 17);

/** The ID of a VPC's default network ACL. */
export const defaultNetworkAclId = (vpcId: string): string => `acl-${hex17(`acl:${vpcId}`)}`;

const DEFAULT_ENTRIES: NetworkAclEntry[] = [false, true].flatMap((egress) => [
  { ruleNumber: 100, protocol: '-1', ruleAction: 'allow' as const, egress, cidrBlock: '0.0.0.0/0' },
  { ruleNumber: 32767, protocol: '-1', ruleAction: 'deny' as const, egress, cidrBlock: '0.0.0.0/0' },
]);

function defaultAclOf(vpc: Stored<'vpc'>, subnets: readonly Stored<'subnet'>[]): NetworkAcl {
  const id = defaultNetworkAclId(vpc.id);
  return {
    id,
    vpcId: vpc.id,
    accountId: vpc.accountId,
    isDefault: true,
    tags: [],
    entries: DEFAULT_ENTRIES,
    associations: subnets
      .filter((s) => s.vpcId === vpc.id)
      .map((s) => ({
        associationId: `aclassoc-${hex17(`aclassoc:${s.id}`)}`,
        networkAclId: id,
        subnetId: s.id,
      })),
  };
}

/**
 * The caller's network ACLs, narrowed to `ids` when given; an unknown or malformed ID fails the
 * call as on AWS.
 */
export function describeNetworkAcls(
  control: Control,
  caller: CallerContext,
  ids: readonly string[],
): NetworkAcl[] {
  const subnets = listOwn(control, caller, 'subnet');
  const all = listOwn(control, caller, 'vpc').map((v) => defaultAclOf(v, subnets));
  if (ids.length === 0) return all;
  for (const id of ids) {
    if (!/^acl-([0-9a-f]{8}|[0-9a-f]{17})$/.test(id)) {
      throw apiError('InvalidNetworkAclID.NotFound', `The networkAcl ID '${id}' does not exist`);
    }
  }
  const missing = ids.filter((id) => !all.some((a) => a.id === id));
  if (missing.length > 0) {
    throw apiError(
      'InvalidNetworkAclID.NotFound',
      `The networkAcl ID '${missing.join(', ')}' does not exist`,
    );
  }
  return all.filter((a) => ids.includes(a.id));
}
