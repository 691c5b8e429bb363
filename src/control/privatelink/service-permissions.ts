/**
 * Allowed principals of an endpoint service: who may see it and request connections.
 *
 * Fidelity ledger (docs/reference/aws-privatelink.md §4, §6.10–6.11):
 * - Covered: principal forms `*` (All), `arn:aws:iam::<12 digits>:root` (Account),
 *   `…:user/<name>` (User), `…:role/<name>` (Role), service principals `<name>.amazonaws.com`
 *   (Service), organization and OU ARNs (OrganizationUnit); anything else — bare account IDs,
 *   ARNs with a path — is InvalidPrincipal and nothing changes. `servicePermissionId`
 *   `vpce-svc-perm-`+17 hex; adding a principal that is already allowed is idempotent (the existing
 *   entry is returned in `addedPrincipalSet`); filters `principal`, `principal-type`; pagination
 *   5–1000 (larger values clamped). Removing a principal leaves existing connections alone.
 * - Gaps: no quota on principals; organization membership is not modelled, so organization/OU
 *   principals grant nothing at connect time (they are stored and listed).
 * - By design: removing a principal that is not allowed is a no-op (AWS's answer unverified).
 */
import type { Control } from '../control.js';
import type { CallerContext } from '../context.js';
import { apiError } from '../errors.js';
import { applyFilters, paginate, type FilterInput, type Page } from '../filters.js';
import type { DeepReadonly } from '../model/common.js';
import type { PrincipalType, ServicePermission } from '../model/privatelink.js';
import { requireOwnService } from './endpoint-services.js';

export type StoredPermission = DeepReadonly<ServicePermission>;

const IAM = /^arn:aws[a-z-]*:iam::(\d{12}):(root|user\/[\w+=,.@-]{1,64}|role\/[\w+=,.@-]{1,64})$/;
const SERVICE = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*\.amazonaws\.com(\.cn)?$/;
const ORG =
  /^arn:aws[a-z-]*:organizations::\d{12}:(organization\/o-[a-z0-9]{10,32}|ou\/o-[a-z0-9]{10,32}\/ou-[0-9a-z]{4,32}-[a-z0-9]{8,32})$/;

/** The principal type of an allowed principal, or InvalidPrincipal. */
export function classifyPrincipal(principal: string): PrincipalType {
  if (principal === '*') return 'All';
  const iam = IAM.exec(principal);
  if (iam?.[2]) {
    if (iam[2] === 'root') return 'Account';
    return iam[2].startsWith('user/') ? 'User' : 'Role';
  }
  if (SERVICE.test(principal)) return 'Service';
  if (ORG.test(principal)) return 'OrganizationUnit';
  throw apiError(
    'InvalidPrincipal',
    `Invalid principal '${principal.slice(0, 300)}'. A principal must be '*', an IAM ARN ` +
      `(arn:aws:iam::<account-id>:root, :user/<name> or :role/<name>, without a path), a service ` +
      `principal (<name>.amazonaws.com) or an organization/OU ARN.`,
  );
}

export function permissionsOfService(
  control: Control,
  owner: { accountId: string; region: string },
  serviceId: string,
): StoredPermission[] {
  return control.store.list('servicePermission', owner).filter((p) => p.serviceId === serviceId);
}

export interface DescribePermissionsInput {
  serviceId: string;
  filters: FilterInput[];
  maxResults?: number;
  nextToken?: string;
}

export function describeServicePermissions(
  control: Control,
  caller: CallerContext,
  input: DescribePermissionsInput,
): Page<StoredPermission> {
  const svc = requireOwnService(control, caller, input.serviceId);
  const items = applyFilters(permissionsOfService(control, svc, svc.id), input.filters, {
    principal: (p) => p.principal,
    'principal-type': (p) => p.principalType,
  });
  return paginate(items, (p) => p.id, input.maxResults, input.nextToken, { min: 5, max: 1000 });
}

export interface ModifyPermissionsInput {
  serviceId: string;
  add: string[];
  remove: string[];
}

/** Applies removals then additions; returns the permissions for the added principals. */
export function modifyServicePermissions(
  control: Control,
  caller: CallerContext,
  input: ModifyPermissionsInput,
): StoredPermission[] {
  const svc = requireOwnService(control, caller, input.serviceId);
  // Validate everything before changing anything: one bad principal fails the whole request.
  const adds = [...new Set(input.add)].map((p) => ({ principal: p, type: classifyPrincipal(p) }));
  const removes = new Set(input.remove);
  for (const p of removes) classifyPrincipal(p);

  for (const perm of permissionsOfService(control, svc, svc.id)) {
    if (removes.has(perm.principal)) control.store.delete('servicePermission', perm.id);
  }
  const current = permissionsOfService(control, svc, svc.id);
  const added: StoredPermission[] = [];
  for (const a of adds) {
    const existing = current.find((p) => p.principal === a.principal);
    if (existing) {
      added.push(existing);
      continue;
    }
    added.push(
      control.store.put('servicePermission', {
        id: control.ids.resourceId('vpce-svc-perm'),
        accountId: svc.accountId,
        region: svc.region,
        createdAt: control.clock.now(),
        tags: [],
        serviceId: svc.id,
        principal: a.principal,
        principalType: a.type,
      }),
    );
  }
  return added;
}
