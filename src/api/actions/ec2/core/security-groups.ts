/**
 * Security group actions: Create/Describe/Delete, Authorize/Revoke Ingress/Egress and
 * DescribeSecurityGroupRules: wire ↔ control.
 *
 * Fidelity ledger (AWS EC2 API reference, 2025):
 * - Covered: both rule forms (`IpPermissions.N…` and the legacy flat CidrIp/IpProtocol/
 *   FromPort/ToPort/SourceSecurityGroupName/SourceSecurityGroupOwnerId; mixing them is
 *   InvalidParameterCombination), revoke by SecurityGroupRuleId.N, `securityGroupRuleSet` /
 *   `revokedSecurityGroupRuleSet` in answers, DescribeSecurityGroups filters description,
 *   group-id, group-name, owner-id, vpc-id, ip-permission.* and egress.ip-permission.* (cidr,
 *   from-port, to-port, protocol, group-id, group-name, ipv6-cidr, prefix-list-id, user-id),
 *   DescribeSecurityGroupRules filters group-id, security-group-rule-id, tag:*.
 * - Gaps: see control/network/security-groups.ts. Filters over several rule fields match any
 *   rule each (AWS documents the same caveat).
 */
import { apiError } from '../../../../control/errors.js';
import type { Control } from '../../../../control/control.js';
import type { FilterTable } from '../../../../control/filters.js';
import type { DeepReadonly } from '../../../../control/model/common.js';
import type { SecurityGroupRule } from '../../../../control/model/network.js';
import type { Stored } from '../../../../control/model/kinds.js';
import {
  authorize,
  createSecurityGroup,
  deleteSecurityGroup,
  findGroup,
  revoke,
  modifySecurityGroupRules,
  updateRuleDescriptions,
  securityGroupArn,
  securityGroupRuleArn,
  toIpPermissions,
  type Direction,
  type PermissionInput,
} from '../../../../control/network/security-groups.js';
import { listOwn, securityGroupName, selectByIds } from '../../../../control/network/core-lookup.js';
import { common, filterShape, s, tagSpecificationShape, type Value } from '../../../query/shapes.js';
import type { XmlTree } from '../../../query/encode.js';
import { defineAction, type ActionDef, type RequestContext } from '../../types.js';
import type { Ec2CoreAction } from '../names.js';
import { filterAndPage, paging, requiredStr, specTags, tagSet } from './common.js';

type Rule = DeepReadonly<SecurityGroupRule>;
type Group = Stored<'securityGroup'>;

function renderPermissions(rules: readonly Rule[]): XmlTree[] {
  return toIpPermissions(rules).map((p) => ({
    ipProtocol: p.ipProtocol,
    fromPort: p.fromPort,
    toPort: p.toPort,
    groups: p.rules.flatMap((r) =>
      r.userIdGroupPairs.map((g) => ({ groupId: g.groupId, userId: g.userId, description: g.description })),
    ),
    ipRanges: p.rules.flatMap((r) =>
      r.ipRanges.map((x) => ({ cidrIp: x.cidrIp, description: x.description })),
    ),
    ipv6Ranges: p.rules.flatMap((r) =>
      r.ipv6Ranges.map((x) => ({ cidrIpv6: x.cidrIpv6, description: x.description })),
    ),
    prefixListIds: p.rules.flatMap((r) =>
      r.prefixListIds.map((x) => ({ prefixListId: x.prefixListId, description: x.description })),
    ),
  }));
}

export function renderSecurityGroup(g: Group): XmlTree {
  return {
    groupId: g.id,
    groupName: g.groupName,
    groupDescription: g.description,
    vpcId: g.vpcId,
    ownerId: g.accountId,
    securityGroupArn: securityGroupArn(g),
    ipPermissions: renderPermissions(g.ingress),
    ipPermissionsEgress: renderPermissions(g.egress),
    tagSet: tagSet(g.tags),
  };
}

function peerOf(r: Rule) {
  return {
    cidrIpv4: r.ipRanges[0]?.cidrIp,
    cidrIpv6: r.ipv6Ranges[0]?.cidrIpv6,
    prefixListId: r.prefixListIds[0]?.prefixListId,
    group: r.userIdGroupPairs[0],
    description:
      r.ipRanges[0]?.description ??
      r.ipv6Ranges[0]?.description ??
      r.prefixListIds[0]?.description ??
      r.userIdGroupPairs[0]?.description,
  };
}

/** What a rule matches (protocol, ports, one peer), in the element order both renderings use. */
function ruleMatch(r: Rule, peer: ReturnType<typeof peerOf>): XmlTree {
  return {
    ipProtocol: r.ipProtocol,
    fromPort: r.fromPort ?? -1,
    toPort: r.toPort ?? -1,
    cidrIpv4: peer.cidrIpv4,
    cidrIpv6: peer.cidrIpv6,
    prefixListId: peer.prefixListId,
  };
}

export function renderRule(g: Group, r: Rule, isEgress: boolean): XmlTree {
  const peer = peerOf(r);
  return {
    securityGroupRuleId: r.ruleId,
    groupId: g.id,
    groupOwnerId: g.accountId,
    isEgress,
    ...ruleMatch(r, peer),
    referencedGroupInfo: peer.group ? { groupId: peer.group.groupId, userId: peer.group.userId } : undefined,
    description: peer.description,
    tagSet: tagSet(r.tags),
    securityGroupRuleArn: securityGroupRuleArn(g, r.ruleId),
  };
}

function renderRevoked(g: Group, r: Rule, isEgress: boolean): XmlTree {
  const peer = peerOf(r);
  return {
    securityGroupRuleId: r.ruleId,
    groupId: g.id,
    isEgress,
    ...ruleMatch(r, peer),
    referencedGroupId: peer.group?.groupId,
    description: peer.description,
  };
}

function groupFilters(control: Control): FilterTable<Group> {
  const nameOf = (id: string) => securityGroupName(control, id);
  const perm = (dir: Direction) => {
    const rules = (g: Group) => (dir === 'ingress' ? g.ingress : g.egress);
    const prefix = dir === 'ingress' ? 'ip-permission.' : 'egress.ip-permission.';
    const t: FilterTable<Group> = {
      [`${prefix}cidr`]: (g) => rules(g).flatMap((r) => r.ipRanges.map((x) => x.cidrIp)),
      [`${prefix}ipv6-cidr`]: (g) => rules(g).flatMap((r) => r.ipv6Ranges.map((x) => x.cidrIpv6)),
      [`${prefix}from-port`]: (g) => rules(g).map((r) => r.fromPort ?? -1),
      [`${prefix}to-port`]: (g) => rules(g).map((r) => r.toPort ?? -1),
      [`${prefix}protocol`]: (g) => rules(g).map((r) => r.ipProtocol),
      [`${prefix}group-id`]: (g) => rules(g).flatMap((r) => r.userIdGroupPairs.map((x) => x.groupId)),
      [`${prefix}group-name`]: (g) =>
        rules(g).flatMap((r) => r.userIdGroupPairs.map((x) => nameOf(x.groupId))),
      [`${prefix}user-id`]: (g) => rules(g).flatMap((r) => r.userIdGroupPairs.map((x) => x.userId)),
      [`${prefix}prefix-list-id`]: (g) => rules(g).flatMap((r) => r.prefixListIds.map((x) => x.prefixListId)),
    };
    return t;
  };
  return {
    description: (g) => g.description,
    'group-id': (g) => g.id,
    'group-name': (g) => g.groupName,
    'owner-id': (g) => g.accountId,
    'vpc-id': (g) => g.vpcId,
    ...perm('ingress'),
    ...perm('egress'),
  };
}

const pairShape = s.struct({
  Description: s.str(),
  UserId: s.str(),
  GroupName: s.str(),
  GroupId: s.str(),
  VpcId: s.str(),
  VpcPeeringConnectionId: s.str(),
  PeeringStatus: s.str(),
});
const ipPermissionShape = s.struct({
  IpProtocol: s.str(),
  FromPort: s.int(),
  ToPort: s.int(),
  Groups: s.list(pairShape),
  IpRanges: s.list(s.struct({ Description: s.str(), CidrIp: s.str() })),
  Ipv6Ranges: s.list(s.struct({ Description: s.str(), CidrIpv6: s.str() })),
  PrefixListIds: s.list(s.struct({ Description: s.str(), PrefixListId: s.str() })),
});

const ruleInputMembers = {
  ...common,
  GroupId: s.str(),
  IpPermissions: s.list(ipPermissionShape),
  CidrIp: s.str(),
  FromPort: s.int(),
  ToPort: s.int(),
  IpProtocol: s.str(),
  SourceSecurityGroupName: s.str(),
  SourceSecurityGroupOwnerId: s.str(),
};

const baseRuleShape = s.struct(ruleInputMembers);
type RuleInput = Value<typeof baseRuleShape> & { GroupName?: string };

const authorizeIngressShape = s.struct({
  ...baseRuleShape.members,
  GroupName: s.str(),
  TagSpecification: s.list(tagSpecificationShape),
});
const authorizeEgressShape = s.struct({
  ...ruleInputMembers,
  TagSpecification: s.list(tagSpecificationShape),
});
const revokeIngressShape = s.struct({
  ...ruleInputMembers,
  GroupName: s.str(),
  SecurityGroupRuleId: s.list(s.str()),
});
const revokeEgressShape = s.struct({ ...ruleInputMembers, SecurityGroupRuleId: s.list(s.str()) });

/** Both wire forms → PermissionInput[]. */
function permissionsOf(input: RuleInput): PermissionInput[] {
  const flat =
    input.CidrIp !== undefined ||
    input.IpProtocol !== undefined ||
    input.FromPort !== undefined ||
    input.ToPort !== undefined ||
    input.SourceSecurityGroupName !== undefined ||
    input.SourceSecurityGroupOwnerId !== undefined;
  if (flat && input.IpPermissions.length > 0) {
    throw apiError(
      'InvalidParameterCombination',
      'The parameter IpPermissions cannot be used with CidrIp, IpProtocol, FromPort, ToPort or SourceSecurityGroup*',
    );
  }
  if (flat) {
    return [
      {
        ipProtocol: input.IpProtocol ?? '-1',
        fromPort: input.FromPort,
        toPort: input.ToPort,
        ipRanges: input.CidrIp !== undefined ? [{ cidrIp: input.CidrIp }] : [],
        ipv6Ranges: [],
        userIdGroupPairs:
          input.SourceSecurityGroupName !== undefined
            ? [{ groupName: input.SourceSecurityGroupName, userId: input.SourceSecurityGroupOwnerId }]
            : [],
        prefixListIds: [],
      },
    ];
  }
  return input.IpPermissions.map((p) => ({
    ipProtocol: p.IpProtocol,
    fromPort: p.FromPort,
    toPort: p.ToPort,
    ipRanges: p.IpRanges.map((r) => ({ cidrIp: r.CidrIp, description: r.Description })),
    ipv6Ranges: p.Ipv6Ranges.map((r) => ({ cidrIpv6: r.CidrIpv6, description: r.Description })),
    userIdGroupPairs: p.Groups.map((g) => ({
      groupId: g.GroupId,
      groupName: g.GroupName,
      userId: g.UserId,
      description: g.Description,
    })),
    prefixListIds: p.PrefixListIds.map((r) => ({ prefixListId: r.PrefixListId, description: r.Description })),
  }));
}

function authorizeAction(dir: Direction) {
  return (input: Value<typeof authorizeIngressShape>, ctx: RequestContext): XmlTree => {
    const group = findGroup(ctx.control, ctx, input.GroupId, input.GroupName);
    const tags = specTags(input.TagSpecification, 'security-group-rule');
    const { group: after, added } = authorize(ctx.control, ctx, group, dir, permissionsOf(input), tags);
    return { return: true, securityGroupRuleSet: added.map((r) => renderRule(after, r, dir === 'egress')) };
  };
}

function revokeAction(dir: Direction) {
  return (input: RuleInput & { SecurityGroupRuleId: string[] }, ctx: RequestContext): XmlTree => {
    const group = findGroup(ctx.control, ctx, input.GroupId, input.GroupName);
    const perms = input.SecurityGroupRuleId.length > 0 && !hasRuleInput(input) ? [] : permissionsOf(input);
    const removed = revoke(ctx.control, ctx, group, dir, perms, input.SecurityGroupRuleId);
    return {
      return: true,
      revokedSecurityGroupRuleSet: removed.map((r) => renderRevoked(group, r, dir === 'egress')),
    };
  };
}

function hasRuleInput(input: RuleInput): boolean {
  return (
    input.IpPermissions.length > 0 ||
    input.CidrIp !== undefined ||
    input.IpProtocol !== undefined ||
    input.SourceSecurityGroupName !== undefined
  );
}

interface RuleRow {
  group: Group;
  rule: Rule;
  isEgress: boolean;
  tags?: Rule['tags'];
}

const RULE_FILTERS: FilterTable<RuleRow> = {
  'group-id': (x) => x.group.id,
  'security-group-rule-id': (x) => x.rule.ruleId,
};

const ruleDescriptionShape = s.struct({ SecurityGroupRuleId: s.str(), Description: s.str() });
const updateDescriptionsEgressShape = s.struct({
  ...ruleInputMembers,
  SecurityGroupRuleDescription: s.list(ruleDescriptionShape),
});
const updateDescriptionsIngressShape = s.struct({
  ...updateDescriptionsEgressShape.members,
  GroupName: s.str(),
});

function updateDescriptionsAction(dir: Direction) {
  return (input: Value<typeof updateDescriptionsIngressShape>, ctx: RequestContext): XmlTree => {
    const group = findGroup(ctx.control, ctx, input.GroupId, input.GroupName);
    const perms = hasRuleInput(input) ? permissionsOf(input) : [];
    updateRuleDescriptions(
      ctx.control,
      ctx,
      group,
      dir,
      perms,
      input.SecurityGroupRuleDescription.map((d) => ({
        ruleId: d.SecurityGroupRuleId,
        description: d.Description,
      })),
    );
    return { return: true };
  };
}

const ruleUpdateShape = s.struct({
  SecurityGroupRuleId: s.str(),
  SecurityGroupRule: s.struct({
    IpProtocol: s.str(),
    FromPort: s.int(),
    ToPort: s.int(),
    CidrIpv4: s.str(),
    CidrIpv6: s.str(),
    PrefixListId: s.str(),
    ReferencedGroupId: s.str(),
    Description: s.str(),
  }),
});

export const SECURITY_GROUP_ACTIONS = {
  CreateSecurityGroup: defineAction(
    s.struct({
      ...common,
      GroupDescription: requiredStr,
      GroupName: requiredStr,
      VpcId: s.str(),
      TagSpecification: s.list(tagSpecificationShape),
    }),
    (input, ctx) => {
      const g = createSecurityGroup(ctx.control, ctx, {
        vpcId: input.VpcId,
        groupName: input.GroupName,
        description: input.GroupDescription,
        tags: specTags(input.TagSpecification, 'security-group'),
      });
      return {
        groupId: g.id,
        tagSet: g.tags.length ? tagSet(g.tags) : undefined,
        securityGroupArn: securityGroupArn(g),
      };
    },
  ),

  DescribeSecurityGroups: defineAction(
    s.struct({
      ...common,
      ...paging,
      Filter: s.list(filterShape),
      GroupId: s.list(s.str()),
      GroupName: s.list(s.str()),
    }),
    (input, ctx) => {
      let groups = selectByIds(ctx.control, ctx, 'securityGroup', input.GroupId);
      if (input.GroupName.length > 0) {
        const names = new Set(groups.map((g) => g.groupName));
        const missing = input.GroupName.find((n) => !names.has(n));
        if (missing !== undefined) {
          throw apiError('InvalidGroup.NotFound', `The security group '${missing}' does not exist`);
        }
        groups = groups.filter((g) => input.GroupName.includes(g.groupName));
      }
      const page = filterAndPage(groups, input.Filter, groupFilters(ctx.control), (g) => g.id, input);
      return { securityGroupInfo: page.items.map(renderSecurityGroup), nextToken: page.nextToken };
    },
  ),

  DeleteSecurityGroup: defineAction(
    s.struct({ ...common, GroupId: s.str(), GroupName: s.str() }),
    (input, ctx) => {
      const id = deleteSecurityGroup(ctx.control, ctx, input.GroupId, input.GroupName);
      return { return: true, groupId: id };
    },
  ),

  AuthorizeSecurityGroupIngress: defineAction(authorizeIngressShape, authorizeAction('ingress')),
  AuthorizeSecurityGroupEgress: defineAction(authorizeEgressShape, (input, ctx) =>
    authorizeAction('egress')({ ...input, GroupName: undefined }, ctx),
  ),
  RevokeSecurityGroupIngress: defineAction(revokeIngressShape, revokeAction('ingress')),
  RevokeSecurityGroupEgress: defineAction(revokeEgressShape, (input, ctx) =>
    revokeAction('egress')({ ...input, GroupName: undefined }, ctx),
  ),

  UpdateSecurityGroupRuleDescriptionsIngress: defineAction(
    updateDescriptionsIngressShape,
    updateDescriptionsAction('ingress'),
  ),
  UpdateSecurityGroupRuleDescriptionsEgress: defineAction(updateDescriptionsEgressShape, (input, ctx) =>
    updateDescriptionsAction('egress')({ ...input, GroupName: undefined }, ctx),
  ),

  ModifySecurityGroupRules: defineAction(
    s.struct({ ...common, GroupId: requiredStr, SecurityGroupRule: s.list(ruleUpdateShape) }),
    (input, ctx) => {
      const group = findGroup(ctx.control, ctx, input.GroupId, undefined);
      modifySecurityGroupRules(
        ctx.control,
        ctx,
        group,
        input.SecurityGroupRule.map((u) => ({
          ruleId: u.SecurityGroupRuleId,
          ipProtocol: u.SecurityGroupRule?.IpProtocol,
          fromPort: u.SecurityGroupRule?.FromPort,
          toPort: u.SecurityGroupRule?.ToPort,
          cidrIpv4: u.SecurityGroupRule?.CidrIpv4,
          cidrIpv6: u.SecurityGroupRule?.CidrIpv6,
          prefixListId: u.SecurityGroupRule?.PrefixListId,
          referencedGroupId: u.SecurityGroupRule?.ReferencedGroupId,
          description: u.SecurityGroupRule?.Description,
        })),
      );
      return { return: true };
    },
  ),

  DescribeSecurityGroupRules: defineAction(
    s.struct({ ...common, ...paging, Filter: s.list(filterShape), SecurityGroupRuleId: s.list(s.str()) }),
    (input, ctx) => {
      const rows: RuleRow[] = [];
      for (const group of listOwn(ctx.control, ctx, 'securityGroup')) {
        for (const rule of group.ingress) rows.push({ group, rule, isEgress: false, tags: rule.tags });
        for (const rule of group.egress) rows.push({ group, rule, isEgress: true, tags: rule.tags });
      }
      let selected = rows;
      if (input.SecurityGroupRuleId.length > 0) {
        const have = new Set(rows.map((r) => r.rule.ruleId));
        const missing = input.SecurityGroupRuleId.find((id) => !have.has(id));
        if (missing !== undefined) {
          throw apiError(
            'InvalidSecurityGroupRuleId.NotFound',
            `The security group rule ID '${missing}' does not exist`,
          );
        }
        selected = rows.filter((r) => input.SecurityGroupRuleId.includes(r.rule.ruleId));
      }
      const page = filterAndPage(selected, input.Filter, RULE_FILTERS, (r) => r.rule.ruleId, input);
      return {
        securityGroupRuleSet: page.items.map((r) => renderRule(r.group, r.rule, r.isEgress)),
        nextToken: page.nextToken,
      };
    },
  ),
} satisfies Partial<Record<Ec2CoreAction, ActionDef>>;
