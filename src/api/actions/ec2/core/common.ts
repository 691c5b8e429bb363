/**
 * Pieces every core EC2 action shares: the Describe paging members, tag rendering, and
 * TagSpecification handling with the AWS resource type each Create action accepts.
 */
import type { DeepReadonly, Tag } from '../../../../control/model/common.js';
import { tagsFromSpecifications, type TagSpecInput } from '../../../../control/tags.js';
import { paginate, applyFilters, type FilterInput, type FilterTable } from '../../../../control/filters.js';
import { s } from '../../../query/shapes.js';
import type { XmlTree } from '../../../query/encode.js';

export const paging = { MaxResults: s.int(), NextToken: s.str() };

/**
 * Built outside `s.struct({…})` on purpose: inside it, the contextual member type widens
 * `required: true` to `boolean` and the decoded value would type as optional.
 */
export const requiredStr = s.str({ required: true });

export function tagSet(tags: readonly DeepReadonly<Tag>[] | undefined): XmlTree[] {
  return (tags ?? []).map((t) => ({ key: t.key, value: t.value }));
}

export function specTags(specs: readonly TagSpecInput[], resourceType: string): Tag[] {
  return specs.length ? tagsFromSpecifications(specs, resourceType) : [];
}

/** Filters then pages a Describe result (MaxResults 5–1000 unless told otherwise). */
export function filterAndPage<T extends { readonly tags?: readonly DeepReadonly<Tag>[] }>(
  items: readonly T[],
  filters: readonly FilterInput[],
  table: FilterTable<T>,
  idOf: (t: T) => string,
  input: { MaxResults?: number; NextToken?: string },
  limits: { min?: number; max?: number } = { min: 5, max: 1000 },
): { items: T[]; nextToken?: string } {
  const filtered = applyFilters(items, filters, table);
  return paginate(filtered, idOf, input.MaxResults, input.NextToken, limits);
}

/** privateDnsName AWS gives an address: `ip-10-0-1-5.ec2.internal` in us-east-1. */
export function privateDnsName(ip: string, region: string): string {
  const host = `ip-${ip.replace(/\./g, '-')}`;
  return region === 'us-east-1' ? `${host}.ec2.internal` : `${host}.${region}.compute.internal`;
}
