/**
 * Tag validation shared by TagSpecification (tag-on-create) and CreateTags.
 * Keys 1–127 characters and not starting with `aws:`; values up to 255; at most 50 per resource.
 */
import { apiError } from './errors.js';
import type { Tag } from './model/common.js';

export interface TagInput {
  Key?: string;
  Value?: string;
}
export interface TagSpecInput {
  ResourceType?: string;
  Tag: TagInput[];
}

export function validateTags(input: readonly TagInput[]): Tag[] {
  const out: Tag[] = [];
  for (const t of input) {
    const key = t.Key;
    if (key === undefined || key.length === 0 || key.length > 127) {
      throw apiError('InvalidParameterValue', `Tag key must be between 1 and 127 characters: '${key ?? ''}'`);
    }
    if (key.toLowerCase().startsWith('aws:')) {
      throw apiError('InvalidParameterValue', `Tag keys starting with 'aws:' are reserved for internal use`);
    }
    const value = t.Value ?? '';
    if (value.length > 255)
      throw apiError('InvalidParameterValue', `Tag value for '${key}' exceeds 255 characters`);
    const existing = out.findIndex((x) => x.key === key);
    if (existing >= 0) out.splice(existing, 1);
    out.push({ key, value });
  }
  if (out.length > 50) throw apiError('InvalidParameterValue', 'A resource can have at most 50 tags');
  return out;
}

/** Tags from TagSpecification.N addressed to `resourceType`; specs for other types are refused. */
export function tagsFromSpecifications(specs: readonly TagSpecInput[], resourceType: string): Tag[] {
  const tags: TagInput[] = [];
  for (const spec of specs) {
    if (spec.ResourceType !== resourceType) {
      throw apiError(
        'InvalidParameterValue',
        `'${spec.ResourceType ?? ''}' is not a valid taggable resource type for this operation.`,
      );
    }
    tags.push(...spec.Tag);
  }
  return validateTags(tags);
}

/** Merges new tags over old ones by key. */
export function mergeTags(old: readonly Tag[], add: readonly Tag[]): Tag[] {
  const m = new Map(old.map((t) => [t.key, t.value]));
  for (const t of add) m.set(t.key, t.value);
  return [...m].map(([key, value]) => ({ key, value }));
}
