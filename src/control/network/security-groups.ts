/**
 * Security groups and their rules: create, delete, authorize, revoke, and the default group of
 * every VPC. The data plane enforces endpoint security groups from exactly these rules.
 *
 * Fidelity ledger (AWS EC2 API reference and error-code list, 2025):
 * - Covered: names unique per VPC (InvalidGroup.Duplicate), `default` reserved
 *   (InvalidGroup.Reserved), the default group's rules (all traffic from itself in, everything
 *   out), new groups' default egress rule, one `sgr-…` per (protocol, ports, single peer),
 *   protocol numbers 6/17/1/58 normalised to tcp/udp/icmp/icmpv6, duplicates
 *   (InvalidPermission.Duplicate, ignoring descriptions), revoke by rule or by rule ID
 *   (InvalidPermission.NotFound / InvalidSecurityGroupRuleId.NotFound), deletion blocked by
 *   ENIs, endpoints, load balancers, instances or other groups' references (DependencyViolation),
 *   the default group (CannotDelete).
 * - Gaps: rule quotas, VPC peering references, stale-group checks, tags on rules via CreateTags.
 * - By design: a group may be named without its ID (legacy `GroupName`) when the name is unique
 *   among the caller's groups in the region (AWS limits this to the default VPC, which privlink
 *   does not create).
 */
import type { Control } from '../control.js';
import type { CallerContext } from '../context.js';
import { apiError, Errors } from '../errors.js';
import type { DeepReadonly, Tag } from '../model/common.js';
import type { SecurityGroup, SecurityGroupRule, Vpc } from '../model/network.js';
import { parseCidr, cidrString } from '../cidr.js';
import { awsPrefixListsForRegion } from '../privatelink/aws-services.js';
import type { Stored } from '../../store/store.js';
import { isWellFormedId, requireOwn, scopeOf } from './core-lookup.js';
import ipaddr from 'ipaddr.js';
import { checkSecurityGroupQuota } from '../quotas.js';

export type Direction = 'ingress' | 'egress';

/** One IpPermission as the API receives it (camelCase). */
export interface PermissionInput {
  ipProtocol?: string;
  fromPort?: number;
  toPort?: number;
  ipRanges: { cidrIp?: string; description?: string }[];
  ipv6Ranges: { cidrIpv6?: string; description?: string }[];
  userIdGroupPairs: { groupId?: string; groupName?: string; userId?: string; description?: string }[];
  prefixListIds: { prefixListId?: string; description?: string }[];
}

export function securityGroupArn(g: DeepReadonly<SecurityGroup>): string {
  return `arn:aws:ec2:${g.region}:${g.accountId}:security-group/${g.id}`;
}

export function securityGroupRuleArn(g: DeepReadonly<SecurityGroup>, ruleId: string): string {
  return `arn:aws:ec2:${g.region}:${g.accountId}:security-group-rule/${ruleId}`;
}

const PROTOCOL_NUMBERS: Record<string, string> = { '6': 'tcp', '17': 'udp', '1': 'icmp', '58': 'icmpv6' };

function normaliseProtocol(raw: string | undefined): string {
  if (raw === undefined || raw === '') {
    throw apiError('MissingParameter', 'The request must contain the parameter ipProtocol');
  }
  const p = raw.toLowerCase();
  if (p === '-1' || p === 'tcp' || p === 'udp' || p === 'icmp' || p === 'icmpv6') return p;
  if (/^\d{1,3}$/.test(p) && Number(p) <= 255)
    return PROTOCOL_NUMBERS[String(Number(p))] ?? String(Number(p));
  throw apiError('InvalidParameterValue', `Invalid value '${raw}' for IP protocol. Unknown protocol.`);
}

function ports(
  proto: string,
  from: number | undefined,
  to: number | undefined,
): { fromPort?: number; toPort?: number } {
  if (proto === 'tcp' || proto === 'udp') {
    if (from === undefined || to === undefined) {
      throw apiError(
        'InvalidParameterValue',
        `Invalid value 'Must specify both from and to ports with TCP/UDP.' for portRange`,
      );
    }
    if (from < 0 || to > 65535 || from > to) {
      throw apiError(
        'InvalidParameterValue',
        `Invalid value '${from}-${to}' for portRange. Ports must be 0-65535, from <= to.`,
      );
    }
    return { fromPort: from, toPort: to };
  }
  if (proto === 'icmp' || proto === 'icmpv6') {
    const type = from ?? -1;
    const code = to ?? -1;
    if (type < -1 || type > 255 || code < -1 || code > 255) {
      throw apiError('InvalidParameterValue', `Invalid value '${type}/${code}' for ICMP type/code.`);
    }
    return { fromPort: type, toPort: code };
  }
  // All traffic, or a protocol without ports: AWS drops the ports.
  return {};
}

function checkCidr4(value: string | undefined): string {
  if (value === undefined)
    throw apiError('MissingParameter', 'The request must contain the parameter cidrIp');
  const c = parseCidr(value, 'cidrIp');
  if (cidrString(c) !== value) throw apiError('InvalidParameterValue', `CIDR block ${value} is malformed`);
  return value;
}

function checkCidr6(value: string | undefined): string {
  if (value === undefined)
    throw apiError('MissingParameter', 'The request must contain the parameter cidrIpv6');
  try {
    const [addr, len] = ipaddr.parseCIDR(value);
    if (addr.kind() !== 'ipv6') throw new Error('not v6');
    return `${addr.toString()}/${len}`;
  } catch {
    throw apiError('InvalidParameterValue', `CIDR block ${value} is malformed`);
  }
}

function describeDescription(d: string | undefined): string | undefined {
  if (d === undefined) return undefined;
  if (d.length > 255)
    throw apiError('InvalidParameterValue', 'Rule descriptions can be at most 255 characters');
  return d;
}

/** Resolves a referenced group: own groups by ID or (legacy) name, other accounts' by ID. */
function resolvePeerGroup(
  control: Control,
  caller: CallerContext,
  group: DeepReadonly<SecurityGroup>,
  pair: PermissionInput['userIdGroupPairs'][number],
): { groupId: string; userId: string } {
  const userId = pair.userId ?? caller.accountId;
  if (pair.groupId !== undefined) {
    if (!isWellFormedId('sg', pair.groupId)) {
      throw apiError('InvalidGroupId.Malformed', `Invalid id: "${pair.groupId}" (expecting "sg-...")`);
    }
    const peer = control.store.find('securityGroup', pair.groupId);
    if (
      !peer ||
      peer.region !== caller.region ||
      (peer.accountId !== caller.accountId && peer.accountId !== userId)
    ) {
      throw apiError('InvalidGroup.NotFound', `The security group '${pair.groupId}' does not exist`);
    }
    return { groupId: peer.id, userId: peer.accountId };
  }
  if (pair.groupName !== undefined) {
    const peer = control.store
      .list('securityGroup', scopeOf(caller))
      .find((g) => g.groupName === pair.groupName && g.vpcId === group.vpcId);
    if (!peer) {
      throw apiError(
        'InvalidGroup.NotFound',
        `The security group '${pair.groupName}' does not exist in VPC '${group.vpcId}'`,
      );
    }
    return { groupId: peer.id, userId: peer.accountId };
  }
  throw apiError(
    'MissingParameter',
    'The request must contain the parameter groupId or groupName for a group pair',
  );
}

type RuleDraft = Omit<SecurityGroupRule, 'ruleId'>;

/** Splits IpPermissions into single-peer rule drafts, validated. */
function draftRules(
  control: Control,
  caller: CallerContext,
  group: DeepReadonly<SecurityGroup>,
  perms: readonly PermissionInput[],
): RuleDraft[] {
  if (perms.length === 0)
    throw apiError('MissingParameter', 'The request must contain the parameter ipPermissions');
  const prefixLists = new Set(awsPrefixListsForRegion(caller.region).map((p) => p.prefixListId));
  const out: RuleDraft[] = [];
  for (const perm of perms) {
    const ipProtocol = normaliseProtocol(perm.ipProtocol);
    const base = { ipProtocol, ...ports(ipProtocol, perm.fromPort, perm.toPort) };
    const empty = { ipRanges: [], ipv6Ranges: [], userIdGroupPairs: [], prefixListIds: [] };
    const before = out.length;
    for (const r of perm.ipRanges) {
      out.push({
        ...base,
        ...empty,
        ipRanges: [{ cidrIp: checkCidr4(r.cidrIp), description: describeDescription(r.description) }],
      });
    }
    for (const r of perm.ipv6Ranges) {
      out.push({
        ...base,
        ...empty,
        ipv6Ranges: [{ cidrIpv6: checkCidr6(r.cidrIpv6), description: describeDescription(r.description) }],
      });
    }
    for (const p of perm.userIdGroupPairs) {
      const peer = resolvePeerGroup(control, caller, group, p);
      out.push({
        ...base,
        ...empty,
        userIdGroupPairs: [{ ...peer, description: describeDescription(p.description) }],
      });
    }
    for (const p of perm.prefixListIds) {
      if (p.prefixListId === undefined || !prefixLists.has(p.prefixListId)) {
        throw apiError(
          'InvalidPrefixListId.NotFound',
          `The prefix list ID '${p.prefixListId ?? ''}' does not exist`,
        );
      }
      out.push({
        ...base,
        ...empty,
        prefixListIds: [{ prefixListId: p.prefixListId, description: describeDescription(p.description) }],
      });
    }
    if (out.length === before) {
      throw apiError(
        'MissingParameter',
        'Each IP permission must name a peer: IpRanges, Ipv6Ranges, UserIdGroupPairs or PrefixListIds',
      );
    }
  }
  return out;
}

/** Identity of a rule: protocol, ports and its one peer (descriptions do not count). */
export function ruleKey(r: DeepReadonly<RuleDraft>): string {
  const peer =
    r.ipRanges[0]?.cidrIp ??
    r.ipv6Ranges[0]?.cidrIpv6 ??
    (r.userIdGroupPairs[0]
      ? `${r.userIdGroupPairs[0].userId}/${r.userIdGroupPairs[0].groupId}`
      : undefined) ??
    r.prefixListIds[0]?.prefixListId ??
    '';
  return `${r.ipProtocol}|${r.fromPort ?? ''}|${r.toPort ?? ''}|${peer}`;
}

function ruleText(r: DeepReadonly<RuleDraft>): string {
  const peer =
    r.ipRanges[0]?.cidrIp ??
    r.ipv6Ranges[0]?.cidrIpv6 ??
    r.userIdGroupPairs[0]?.groupId ??
    r.prefixListIds[0]?.prefixListId ??
    '';
  const proto = r.ipProtocol === '-1' ? 'ALL' : r.ipProtocol.toUpperCase();
  return `peer: ${peer}, ${proto}, from port: ${r.fromPort ?? 'None'}, to port: ${r.toPort ?? 'None'}, ALLOW`;
}

function rulesOf(g: DeepReadonly<SecurityGroup>, dir: Direction) {
  return dir === 'ingress' ? g.ingress : g.egress;
}

/** The caller's group, by ID or (legacy) by a name unique in the region. */
export function findGroup(
  control: Control,
  caller: CallerContext,
  groupId: string | undefined,
  groupName: string | undefined,
): Stored<'securityGroup'> {
  if (groupId !== undefined) return requireOwn(control, caller, 'securityGroup', groupId);
  if (groupName === undefined) {
    throw apiError('MissingParameter', 'The request must contain the parameter groupName or groupId');
  }
  const named = control.store.list('securityGroup', scopeOf(caller)).filter((g) => g.groupName === groupName);
  const only = named[0];
  if (!only || named.length > 1) {
    throw apiError(
      'InvalidGroup.NotFound',
      named.length > 1
        ? `The security group name '${groupName}' is ambiguous; use GroupId`
        : `The security group '${groupName}' does not exist`,
    );
  }
  return only;
}

const NAME_RE = /^[a-zA-Z0-9 ._\-:/()#,@[\]+=&;{}!$*]{1,255}$/;

export interface NewSecurityGroup {
  vpcId?: string;
  groupName: string;
  description: string;
  tags: Tag[];
}

function allEgress(control: Control): SecurityGroupRule {
  return {
    ipProtocol: '-1',
    ipRanges: [{ cidrIp: '0.0.0.0/0' }],
    ipv6Ranges: [],
    userIdGroupPairs: [],
    prefixListIds: [],
    ruleId: control.ids.resourceId('sgr'),
  };
}

/** Creates the `default` group of a new VPC (call inside the VPC's transaction). */
export function createDefaultSecurityGroup(
  control: Control,
  vpc: DeepReadonly<Vpc>,
  id: string,
): SecurityGroup {
  const g: SecurityGroup = {
    id,
    accountId: vpc.accountId,
    region: vpc.region,
    createdAt: control.clock.now(),
    tags: [],
    vpcId: vpc.id,
    groupName: 'default',
    description: 'default VPC security group',
    ingress: [
      {
        ipProtocol: '-1',
        ipRanges: [],
        ipv6Ranges: [],
        userIdGroupPairs: [{ groupId: id, userId: vpc.accountId }],
        prefixListIds: [],
        ruleId: control.ids.resourceId('sgr'),
      },
    ],
    egress: [allEgress(control)],
  };
  control.store.put('securityGroup', g);
  return g;
}

export function createSecurityGroup(
  control: Control,
  caller: CallerContext,
  input: NewSecurityGroup,
): SecurityGroup {
  if (input.vpcId === undefined) {
    throw apiError(
      'VPCIdNotSpecified',
      'No default VPC for this user. GroupName is only supported for EC2-Classic and default VPC.',
    );
  }
  const vpc = requireOwn(control, caller, 'vpc', input.vpcId);
  if (!NAME_RE.test(input.groupName)) {
    throw apiError(
      'InvalidParameterValue',
      `Value (${input.groupName}) for parameter GroupName is invalid. Character sets beyond ASCII are not supported or the name is too long.`,
    );
  }
  if (input.groupName.toLowerCase().startsWith('sg-')) {
    throw apiError('InvalidParameterValue', 'Group names may not be in the format sg-*');
  }
  if (input.groupName === 'default') {
    throw apiError('InvalidGroup.Reserved', "The security group 'default' is reserved");
  }
  if (input.description.length > 255 || !/^[\x20-\x7e]*$/.test(input.description)) {
    throw apiError(
      'InvalidParameterValue',
      'Value for parameter GroupDescription is invalid. Character sets beyond ASCII are not supported or the description is too long.',
    );
  }
  const clash = control.store
    .list('securityGroup', scopeOf(caller))
    .some((g) => g.vpcId === vpc.id && g.groupName === input.groupName);
  if (clash) {
    throw apiError(
      'InvalidGroup.Duplicate',
      `The security group '${input.groupName}' already exists for VPC '${vpc.id}'`,
    );
  }
  checkSecurityGroupQuota(control, caller);
  const g: SecurityGroup = {
    id: control.ids.resourceId('sg'),
    accountId: caller.accountId,
    region: caller.region,
    createdAt: control.clock.now(),
    tags: input.tags,
    vpcId: vpc.id,
    groupName: input.groupName,
    description: input.description,
    ingress: [],
    egress: [allEgress(control)],
  };
  control.store.put('securityGroup', g);
  return g;
}

/** Who still uses a group (besides its own rules): the first dependent's ID, if any. */
function dependentOf(control: Control, g: DeepReadonly<SecurityGroup>): string | undefined {
  const scope = { accountId: g.accountId, region: g.region };
  for (const eni of control.store.list('networkInterface', scope))
    if (eni.groupIds.includes(g.id)) return eni.id;
  for (const ep of control.store.list('vpcEndpoint', scope)) {
    if (ep.state !== 'deleted' && ep.groupIds.includes(g.id)) return ep.id;
  }
  for (const lb of control.store.list('loadBalancer', scope))
    if (lb.securityGroups.includes(g.id)) return lb.id;
  for (const i of control.store.list('instance', scope)) {
    if (i.state !== 'terminated' && i.securityGroupIds.includes(g.id)) return i.id;
  }
  for (const other of control.store.listAll('securityGroup')) {
    if (other.id === g.id) continue;
    const refs = [...other.ingress, ...other.egress].some((r) =>
      r.userIdGroupPairs.some((p) => p.groupId === g.id),
    );
    if (refs) return other.id;
  }
  return undefined;
}

export function deleteSecurityGroup(
  control: Control,
  caller: CallerContext,
  groupId?: string,
  groupName?: string,
): string {
  const g = findGroup(control, caller, groupId, groupName);
  if (g.groupName === 'default') {
    throw apiError(
      'CannotDelete',
      `the specified group: "${g.id}" name: "default" cannot be deleted by a user`,
    );
  }
  if (dependentOf(control, g) !== undefined) {
    throw apiError('DependencyViolation', `resource ${g.id} has a dependent object`);
  }
  control.store.delete('securityGroup', g.id);
  return g.id;
}

export interface AuthorizeResult {
  group: Stored<'securityGroup'>;
  added: SecurityGroupRule[];
}

export function authorize(
  control: Control,
  caller: CallerContext,
  group: Stored<'securityGroup'>,
  dir: Direction,
  perms: readonly PermissionInput[],
  tags: Tag[],
): AuthorizeResult {
  const drafts = draftRules(control, caller, group, perms);
  const seen = new Set(rulesOf(group, dir).map(ruleKey));
  const added: SecurityGroupRule[] = [];
  for (const d of drafts) {
    const key = ruleKey(d);
    if (seen.has(key)) {
      throw apiError('InvalidPermission.Duplicate', `the specified rule "${ruleText(d)}" already exists`);
    }
    seen.add(key);
    added.push({ ...d, ruleId: control.ids.resourceId('sgr'), ...(tags.length ? { tags } : {}) });
  }
  const next = { ...group, [dir]: [...rulesOf(group, dir), ...added] };
  return { group: control.store.put('securityGroup', next), added };
}

export function revoke(
  control: Control,
  caller: CallerContext,
  group: Stored<'securityGroup'>,
  dir: Direction,
  perms: readonly PermissionInput[],
  ruleIds: readonly string[],
): DeepReadonly<SecurityGroupRule>[] {
  const current = rulesOf(group, dir);
  let removed: DeepReadonly<SecurityGroupRule>[];
  if (ruleIds.length > 0) {
    if (perms.length > 0) {
      throw apiError(
        'InvalidParameterCombination',
        'SecurityGroupRuleIds cannot be combined with IpPermissions',
      );
    }
    removed = ruleIds.map((id) => {
      if (!isWellFormedId('sgr', id)) {
        throw apiError('InvalidSecurityGroupRuleId.Malformed', `Invalid id: "${id}" (expecting "sgr-...")`);
      }
      const r = current.find((x) => x.ruleId === id);
      if (!r) {
        throw apiError(
          'InvalidSecurityGroupRuleId.NotFound',
          `The security group rule ID '${id}' does not exist`,
        );
      }
      return r;
    });
  } else {
    const drafts = draftRules(control, caller, group, perms);
    removed = drafts.map((d) => {
      const key = ruleKey(d);
      const r = current.find((x) => ruleKey(x) === key);
      if (!r) {
        throw apiError(
          'InvalidPermission.NotFound',
          'The specified rule does not exist in this security group.',
        );
      }
      return r;
    });
  }
  const gone = new Set(removed.map((r) => r.ruleId));
  control.store.put('securityGroup', { ...group, [dir]: current.filter((r) => !gone.has(r.ruleId)) });
  return removed;
}

export interface IpPermissionView {
  ipProtocol: string;
  fromPort?: number;
  toPort?: number;
  rules: DeepReadonly<SecurityGroupRule>[];
}

/** Regroups single-peer rules into AWS's IpPermissions (same protocol and ports), in order. */
export function toIpPermissions(rules: readonly DeepReadonly<SecurityGroupRule>[]): IpPermissionView[] {
  const out = new Map<string, IpPermissionView>();
  for (const r of rules) {
    const k = `${r.ipProtocol}|${r.fromPort ?? ''}|${r.toPort ?? ''}`;
    let p = out.get(k);
    if (!p) {
      p = { ipProtocol: r.ipProtocol, fromPort: r.fromPort, toPort: r.toPort, rules: [] };
      out.set(k, p);
    }
    p.rules.push(r);
  }
  return [...out.values()];
}

/** The one peer of a rule with a new description (undefined removes it). */
function withDescription(
  r: DeepReadonly<SecurityGroupRule>,
  description: string | undefined,
): SecurityGroupRule {
  const d = description === undefined ? {} : { description };
  const strip = <T extends { description?: string }>(p: DeepReadonly<T>): T => {
    const { description: _old, ...rest } = p as T;
    return { ...(rest as T), ...d };
  };
  return {
    ...(r as SecurityGroupRule),
    ipRanges: r.ipRanges.map(strip),
    ipv6Ranges: r.ipv6Ranges.map(strip),
    userIdGroupPairs: r.userIdGroupPairs.map(strip),
    prefixListIds: r.prefixListIds.map(strip),
  };
}

/**
 * UpdateSecurityGroupRuleDescriptionsIngress/Egress. Fidelity: rules are found by protocol, ports
 * and peer (IpPermissions) or by ID (SecurityGroupRuleDescription.N); a permission that matches
 * no rule is InvalidPermission.NotFound and nothing changes; a permission without a description
 * removes the rule's description, as AWS documents.
 */
export function updateRuleDescriptions(
  control: Control,
  caller: CallerContext,
  group: Stored<'securityGroup'>,
  dir: Direction,
  perms: readonly PermissionInput[],
  byId: readonly { ruleId?: string; description?: string }[],
): void {
  if (perms.length === 0 && byId.length === 0) {
    throw apiError('MissingParameter', 'The request must contain the parameter IpPermissions');
  }
  const changes = new Map<string, string | undefined>();
  if (perms.length > 0) {
    for (const d of draftRules(control, caller, group, perms)) {
      const key = ruleKey(d);
      const rule = rulesOf(group, dir).find((x) => ruleKey(x) === key);
      if (!rule) {
        throw apiError(
          'InvalidPermission.NotFound',
          'The specified rule does not exist in this security group.',
        );
      }
      const peer = d.ipRanges[0] ?? d.ipv6Ranges[0] ?? d.userIdGroupPairs[0] ?? d.prefixListIds[0];
      changes.set(rule.ruleId, peer?.description);
    }
  }
  for (const entry of byId) {
    const rule = rulesOf(group, dir).find((x) => x.ruleId === entry.ruleId);
    if (!rule) {
      throw apiError(
        'InvalidSecurityGroupRuleId.NotFound',
        `The security group rule ID '${entry.ruleId ?? ''}' does not exist`,
      );
    }
    changes.set(rule.ruleId, describeDescription(entry.description));
  }
  const next = rulesOf(group, dir).map((r) =>
    changes.has(r.ruleId) ? withDescription(r, changes.get(r.ruleId)) : (r as SecurityGroupRule),
  );
  control.store.put('securityGroup', { ...group, [dir]: next });
}

/** One rule of ModifySecurityGroupRules, as the API receives it. */
export interface RuleModification {
  ruleId?: string;
  ipProtocol?: string;
  fromPort?: number;
  toPort?: number;
  cidrIpv4?: string;
  cidrIpv6?: string;
  prefixListId?: string;
  referencedGroupId?: string;
  description?: string;
}

/**
 * ModifySecurityGroupRules: replaces rules in place, keeping their IDs and tags. Fidelity: each
 * rule names exactly one peer; an unknown rule ID is InvalidSecurityGroupRuleId.NotFound; a rule
 * that would equal another rule of the group is InvalidPermission.Duplicate; all or nothing.
 */
export function modifySecurityGroupRules(
  control: Control,
  caller: CallerContext,
  group: Stored<'securityGroup'>,
  mods: readonly RuleModification[],
): void {
  if (mods.length === 0)
    throw apiError('MissingParameter', 'The request must contain the parameter SecurityGroupRule');
  let ingress = group.ingress.map((r) => r as SecurityGroupRule);
  let egress = group.egress.map((r) => r as SecurityGroupRule);
  for (const m of mods) {
    if (m.ruleId === undefined) throw Errors.missingParameter('SecurityGroupRule.SecurityGroupRuleId');
    if (!isWellFormedId('sgr', m.ruleId)) {
      throw apiError(
        'InvalidSecurityGroupRuleId.Malformed',
        `Invalid id: "${m.ruleId}" (expecting "sgr-...")`,
      );
    }
    const dir: Direction | undefined = ingress.some((r) => r.ruleId === m.ruleId)
      ? 'ingress'
      : egress.some((r) => r.ruleId === m.ruleId)
        ? 'egress'
        : undefined;
    if (!dir) {
      throw apiError(
        'InvalidSecurityGroupRuleId.NotFound',
        `The security group rule ID '${m.ruleId}' does not exist`,
      );
    }
    const peers = [m.cidrIpv4, m.cidrIpv6, m.prefixListId, m.referencedGroupId].filter(
      (p) => p !== undefined,
    );
    if (peers.length !== 1) {
      throw apiError(
        peers.length === 0 ? 'MissingParameter' : 'InvalidParameterCombination',
        'Each rule must name exactly one of CidrIpv4, CidrIpv6, PrefixListId or ReferencedGroupId',
      );
    }
    const [draft] = draftRules(control, caller, group, [
      {
        ipProtocol: m.ipProtocol,
        fromPort: m.fromPort,
        toPort: m.toPort,
        ipRanges: m.cidrIpv4 !== undefined ? [{ cidrIp: m.cidrIpv4, description: m.description }] : [],
        ipv6Ranges: m.cidrIpv6 !== undefined ? [{ cidrIpv6: m.cidrIpv6, description: m.description }] : [],
        userIdGroupPairs:
          m.referencedGroupId !== undefined
            ? [{ groupId: m.referencedGroupId, description: m.description }]
            : [],
        prefixListIds:
          m.prefixListId !== undefined ? [{ prefixListId: m.prefixListId, description: m.description }] : [],
      },
    ]);
    if (!draft) continue;
    const rules = dir === 'ingress' ? ingress : egress;
    const key = ruleKey(draft);
    if (rules.some((r) => r.ruleId !== m.ruleId && ruleKey(r) === key)) {
      throw apiError('InvalidPermission.Duplicate', `the specified rule "${ruleText(draft)}" already exists`);
    }
    const next = rules.map((r) =>
      r.ruleId === m.ruleId ? { ...draft, ruleId: r.ruleId, ...(r.tags && { tags: r.tags }) } : r,
    );
    if (dir === 'ingress') ingress = next;
    else egress = next;
  }
  control.store.put('securityGroup', { ...group, ingress, egress });
}
