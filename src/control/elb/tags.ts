/**
 * ELBv2 tags: validation (its limits differ from EC2's) and AddTags / RemoveTags / DescribeTags on
 * load balancer, target group and listener ARNs.
 *
 * Fidelity (ELBv2 API reference, 2025):
 * - Covered: keys 1–128 characters, values up to 256, `aws:` prefix reserved (ValidationError);
 *   a key twice in one request → DuplicateTagKeys; more than 50 tags on a resource → TooManyTags;
 *   an unknown ARN → LoadBalancerNotFound / TargetGroupNotFound / ListenerNotFound by its type.
 * - Gaps: listener rules and trust stores are not taggable (privlink has neither).
 */
import type { CallerContext } from '../context.js';
import type { Control } from '../control.js';
import { Errors, apiError } from '../errors.js';
import type { Tag } from '../model/common.js';
import { mergeTags } from '../tags.js';
import { parseElbArn, scopeOf } from './common.js';

const MAX_TAGS = 50;

export interface ElbTagInput {
  Key?: string;
  Value?: string;
}

export function validateElbTags(input: readonly ElbTagInput[]): Tag[] {
  const seen = new Set<string>();
  const out: Tag[] = [];
  for (const t of input) {
    const key = t.Key ?? '';
    if (key.length < 1 || key.length > 128) {
      throw apiError('ValidationError', `Tag key '${key.slice(0, 140)}' must have 1-128 characters`);
    }
    if (key.toLowerCase().startsWith('aws:')) {
      throw apiError('ValidationError', `Tag key '${key}' is not valid: the 'aws:' prefix is reserved`);
    }
    const value = t.Value ?? '';
    if (value.length > 256) {
      throw apiError('ValidationError', `The value of tag '${key}' must have at most 256 characters`);
    }
    if (seen.has(key)) throw apiError('DuplicateTagKeys', `Tag key '${key}' is duplicated`);
    seen.add(key);
    out.push({ key, value });
  }
  if (out.length > MAX_TAGS) throw apiError('TooManyTags', `A resource can have at most ${MAX_TAGS} tags`);
  return out;
}

type TaggableKind = 'loadBalancer' | 'targetGroup' | 'listener';

function resolve(control: Control, caller: CallerContext, arn: string) {
  const parsed = parseElbArn(arn);
  if (!parsed) throw apiError('ValidationError', `'${arn.slice(0, 200)}' is not a valid resource ARN`);
  const kind: TaggableKind = parsed.kind;
  const found = control.store.get(kind, scopeOf(caller), arn);
  if (!found) {
    switch (kind) {
      case 'loadBalancer':
        throw Errors.loadBalancerNotFound(arn);
      case 'targetGroup':
        throw Errors.targetGroupNotFound(arn);
      case 'listener':
        throw Errors.listenerNotFound(arn);
    }
  }
  return { kind, found };
}

function putTags(control: Control, kind: TaggableKind, obj: { id: string }, tags: Tag[]): void {
  const id = obj.id;
  switch (kind) {
    case 'loadBalancer': {
      const cur = control.store.find('loadBalancer', id);
      if (cur) control.store.put('loadBalancer', { ...cur, tags });
      return;
    }
    case 'targetGroup': {
      const cur = control.store.find('targetGroup', id);
      if (cur) control.store.put('targetGroup', { ...cur, tags });
      return;
    }
    case 'listener': {
      const cur = control.store.find('listener', id);
      if (cur) control.store.put('listener', { ...cur, tags });
      return;
    }
  }
}

export function addTags(
  control: Control,
  caller: CallerContext,
  arns: readonly string[],
  input: readonly ElbTagInput[],
): void {
  const tags = validateElbTags(input);
  // Resolve every ARN first: one unknown ARN changes nothing.
  const targets = arns.map((arn) => resolve(control, caller, arn));
  for (const { kind, found } of targets) {
    const merged = mergeTags(found.tags, tags);
    if (merged.length > MAX_TAGS) {
      throw apiError('TooManyTags', `The resource '${found.id}' would have more than ${MAX_TAGS} tags`);
    }
    putTags(control, kind, found, merged);
  }
}

export function removeTags(
  control: Control,
  caller: CallerContext,
  arns: readonly string[],
  keys: readonly string[],
): void {
  const targets = arns.map((arn) => resolve(control, caller, arn));
  const drop = new Set(keys);
  for (const { kind, found } of targets) {
    putTags(
      control,
      kind,
      found,
      found.tags.filter((t) => !drop.has(t.key)),
    );
  }
}

export function describeTags(
  control: Control,
  caller: CallerContext,
  arns: readonly string[],
): { arn: string; tags: Tag[] }[] {
  return arns.map((arn) => {
    const { found } = resolve(control, caller, arn);
    return { arn, tags: found.tags.map((t) => ({ key: t.key, value: t.value })) };
  });
}
