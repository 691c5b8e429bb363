/**
 * DescribeNetworkAcls: wire ↔ control (control/network/network-acls.ts has the ledger).
 *
 * Fidelity ledger (AWS EC2 API reference, 2025):
 * - Covered: NetworkAclId.N, filters association.association-id, association.network-acl-id,
 *   association.subnet-id, default, entry.cidr, entry.egress, entry.protocol,
 *   entry.rule-action, entry.rule-number, network-acl-id, owner-id, vpc-id; MaxResults 5–1000
 *   and NextToken.
 * - Gaps: custom ACLs and their tags (the default ACL carries none).
 */
import type { FilterTable } from '../../../../control/filters.js';
import { describeNetworkAcls, type NetworkAcl } from '../../../../control/network/network-acls.js';
import { common, filterShape, s } from '../../../query/shapes.js';
import type { XmlTree } from '../../../query/encode.js';
import { defineAction, type ActionDef } from '../../types.js';
import type { Ec2CoreAction } from '../names.js';
import { filterAndPage, paging } from './common.js';

const NETWORK_ACL_FILTERS: FilterTable<NetworkAcl> = {
  'association.association-id': (a) => a.associations.map((x) => x.associationId),
  'association.network-acl-id': (a) => a.associations.map((x) => x.networkAclId),
  'association.subnet-id': (a) => a.associations.map((x) => x.subnetId),
  default: (a) => a.isDefault,
  'entry.cidr': (a) => a.entries.map((e) => e.cidrBlock),
  'entry.egress': (a) => a.entries.map((e) => e.egress),
  'entry.protocol': (a) => a.entries.map((e) => e.protocol),
  'entry.rule-action': (a) => a.entries.map((e) => e.ruleAction),
  'entry.rule-number': (a) => a.entries.map((e) => e.ruleNumber),
  'network-acl-id': (a) => a.id,
  'owner-id': (a) => a.accountId,
  'vpc-id': (a) => a.vpcId,
};

function renderNetworkAcl(a: NetworkAcl): XmlTree {
  return {
    networkAclId: a.id,
    vpcId: a.vpcId,
    default: a.isDefault,
    entrySet: a.entries.map((e) => ({
      ruleNumber: e.ruleNumber,
      protocol: e.protocol,
      ruleAction: e.ruleAction,
      egress: e.egress,
      cidrBlock: e.cidrBlock,
    })),
    associationSet: a.associations.map((x) => ({
      networkAclAssociationId: x.associationId,
      networkAclId: x.networkAclId,
      subnetId: x.subnetId,
    })),
    tagSet: [],
    ownerId: a.accountId,
  };
}

export const NETWORK_ACL_ACTIONS = {
  DescribeNetworkAcls: defineAction(
    s.struct({ ...common, ...paging, Filter: s.list(filterShape), NetworkAclId: s.list(s.str()) }),
    (input, ctx) => {
      const acls = describeNetworkAcls(ctx.control, ctx, input.NetworkAclId);
      const page = filterAndPage(acls, input.Filter, NETWORK_ACL_FILTERS, (a) => a.id, input);
      return { networkAclSet: page.items.map(renderNetworkAcl), nextToken: page.nextToken };
    },
  ),
} satisfies Partial<Record<Ec2CoreAction, ActionDef>>;
