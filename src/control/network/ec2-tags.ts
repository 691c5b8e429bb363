/**
 * CreateTags / DeleteTags / DescribeTags over every taggable EC2 resource. Tags live on each
 * resource (`tags`); the kind is found from the ID prefix (`kindOfResourceId`).
 *
 * Fidelity ledger (AWS EC2 API reference, 2025):
 * - Covered: all-or-nothing over ResourceId.N (an unknown ID fails the call with its kind's
 *   NotFound error, a malformed one with InvalidID), at most 50 tags per resource
 *   (TagLimitExceeded), `aws:` keys refused, DeleteTags by key, by key and value, or all tags
 *   when no Tag.N is given; DescribeTags lists (resource, key) pairs sorted by resource ID.
 *   Security group rules (`sgr-`, kept on the rule inside its group) and instances' root volumes
 *   (`vol-`, kept on the instance record) are taggable too.
 * - Gaps: resource types privlink has no resources for.
 */
import type { Control } from '../control.js';
import type { CallerContext } from '../context.js';
import { apiError, Errors, type ApiError } from '../errors.js';
import type { Tag } from '../model/common.js';
import { kindOfResourceId, type Kind } from '../model/kinds.js';
import type { Stored } from '../../store/store.js';
import { mergeTags } from '../tags.js';
import { scopeOf } from './core-lookup.js';
import { instanceOfVolume, listRootVolumes } from '../instances/volumes.js';

/**
 * Resources whose tags live inside another record: a rule inside its security group, a root
 * volume on its instance. `find` answers the tags and how to replace them.
 */
interface NestedTaggable {
  prefix: string;
  resourceType: string;
  find(
    control: Control,
    caller: CallerContext,
    id: string,
  ): { tags: readonly Tag[]; put(t: Tag[]): void } | undefined;
  list(control: Control, caller: CallerContext): { id: string; tags: readonly Tag[] }[];
  notFound(id: string): ApiError;
}

const NESTED: readonly NestedTaggable[] = [
  {
    prefix: 'sgr-',
    resourceType: 'security-group-rule',
    find(control, caller, id) {
      for (const g of control.store.list('securityGroup', scopeOf(caller))) {
        for (const dir of ['ingress', 'egress'] as const) {
          const rule = g[dir].find((r) => r.ruleId === id);
          if (!rule) continue;
          return {
            tags: rule.tags ?? [],
            // Re-read at write time: one CreateTags may name a group and its rule.
            put: (tags) => {
              const now = control.store.get('securityGroup', scopeOf(caller), g.id) ?? g;
              control.store.put('securityGroup', {
                ...now,
                [dir]: now[dir].map((r) => (r.ruleId === id ? { ...r, tags } : r)),
              });
            },
          };
        }
      }
      return undefined;
    },
    list(control, caller) {
      return control.store
        .list('securityGroup', scopeOf(caller))
        .flatMap((g) => [...g.ingress, ...g.egress])
        .map((r) => ({ id: r.ruleId, tags: r.tags ?? [] }));
    },
    notFound: (id) =>
      apiError('InvalidSecurityGroupRuleId.NotFound', `The security group rule ID '${id}' does not exist`),
  },
  {
    prefix: 'vol-',
    resourceType: 'volume',
    find(control, caller, id) {
      const i = instanceOfVolume(control, caller, id);
      if (!i) return undefined;
      return {
        tags: i.rootVolumeTags ?? [],
        put: (tags) =>
          control.store.put('instance', {
            ...(control.store.get('instance', scopeOf(caller), i.id) ?? i),
            rootVolumeTags: tags,
          }),
      };
    },
    list: (control, caller) => listRootVolumes(control, caller),
    notFound: (id) => apiError('InvalidVolume.NotFound', `The volume '${id}' does not exist.`),
  },
];

interface TagTarget {
  id: string;
  tags: readonly Tag[];
  put(tags: Tag[]): void;
}

/** EC2 resource-type names (DescribeTags `resourceType`) of the taggable kinds. */
export const RESOURCE_TYPES: Partial<Record<Kind, string>> = {
  vpc: 'vpc',
  subnet: 'subnet',
  securityGroup: 'security-group',
  routeTable: 'route-table',
  networkInterface: 'network-interface',
  instance: 'instance',
  vpcEndpoint: 'vpc-endpoint',
  endpointService: 'vpc-endpoint-service',
  servicePermission: 'vpc-endpoint-service-permission',
  connectionNotification: 'vpc-endpoint-connection-notification',
};

const NOT_FOUND: Partial<Record<Kind, (id: string) => ApiError>> = {
  vpc: Errors.vpcNotFound,
  subnet: Errors.subnetNotFound,
  securityGroup: Errors.groupNotFound,
  routeTable: Errors.routeTableNotFound,
  networkInterface: Errors.networkInterfaceNotFound,
  instance: Errors.instanceNotFound,
  vpcEndpoint: Errors.endpointNotFound,
  endpointService: Errors.serviceNotFound,
  connectionNotification: (id) =>
    apiError('InvalidConnectionNotification', `The connection notification '${id}' does not exist`),
};

type Taggable = { id: string; tags: readonly Tag[] };

function putTags(control: Control, kind: Kind, res: Taggable, tags: Tag[]): void {
  // Every kind carries `tags` (Scoped); the store replaces the object as a whole.
  control.store.put(kind, { ...(res as Stored<typeof kind>), tags } as Stored<typeof kind>);
}

function requireTaggable(control: Control, caller: CallerContext, id: string): TagTarget {
  if (!/^[a-z-]+-[0-9a-f]{8,17}$/.test(id)) throw apiError('InvalidID', `The ID '${id}' is not valid`);
  const nested = NESTED.find((n) => id.startsWith(n.prefix));
  if (nested) {
    const found = nested.find(control, caller, id);
    if (!found) throw nested.notFound(id);
    return { id, ...found };
  }
  const kind = kindOfResourceId(id);
  if (!kind) throw apiError('InvalidID', `The ID '${id}' is not valid`);
  const res = control.store.get(kind, scopeOf(caller), id) as Taggable | undefined;
  if (!res)
    throw (NOT_FOUND[kind] ?? ((x: string) => apiError('InvalidID', `The ID '${x}' does not exist`)))(id);
  return {
    id,
    tags: res.tags,
    put: (tags) =>
      putTags(
        control,
        kind,
        (control.store.get(kind, scopeOf(caller), id) as Taggable | undefined) ?? res,
        tags,
      ),
  };
}

export function createTags(
  control: Control,
  caller: CallerContext,
  ids: readonly string[],
  tags: Tag[],
): void {
  if (ids.length === 0) throw Errors.missingParameter('ResourceId');
  const targets = ids.map((id) => requireTaggable(control, caller, id));
  const merged = targets.map((target) => {
    const m = mergeTags(target.tags, tags);
    if (m.length > 50) {
      throw apiError(
        'TagLimitExceeded',
        `The maximum number of tags (50) for resource ${target.id} has been exceeded.`,
      );
    }
    return m;
  });
  targets.forEach((target, n) => target.put(merged[n] ?? []));
}

export function deleteTags(
  control: Control,
  caller: CallerContext,
  ids: readonly string[],
  tags: readonly { key: string; value?: string }[],
): void {
  if (ids.length === 0) throw Errors.missingParameter('ResourceId');
  const targets = ids.map((id) => requireTaggable(control, caller, id));
  for (const target of targets) {
    const keep =
      tags.length === 0
        ? []
        : target.tags.filter(
            (t) => !tags.some((d) => d.key === t.key && (d.value === undefined || d.value === t.value)),
          );
    if (keep.length !== target.tags.length) target.put(keep);
  }
}

export interface TagDescription {
  /** Rows are not themselves tagged; present so generic filtering accepts them. */
  readonly tags?: undefined;
  resourceId: string;
  resourceType: string;
  key: string;
  value: string;
}

export function listTagDescriptions(control: Control, caller: CallerContext): TagDescription[] {
  const out: TagDescription[] = [];
  for (const [kind, resourceType] of Object.entries(RESOURCE_TYPES) as [Kind, string][]) {
    for (const res of control.store.list(kind, scopeOf(caller)) as Taggable[]) {
      for (const t of res.tags) out.push({ resourceId: res.id, resourceType, key: t.key, value: t.value });
    }
  }
  for (const n of NESTED) {
    for (const res of n.list(control, caller)) {
      for (const t of res.tags)
        out.push({ resourceId: res.id, resourceType: n.resourceType, key: t.key, value: t.value });
    }
  }
  const cmp = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);
  return out.sort((a, b) => cmp(a.resourceId, b.resourceId) || cmp(a.key, b.key));
}
