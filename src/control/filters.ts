/**
 * EC2 Filter.N semantics and MaxResults/NextToken pagination.
 *
 * Fidelity: values within one filter are OR-ed, filters are AND-ed, names and values are
 * case-sensitive, `*` and `?` in a value are wildcards (matched in linear time, see glob.ts),
 * `tag:<key>` and `tag-key` work on every resource with tags. An unknown filter name is refused
 * with InvalidFilter (docs/reference/aws-privatelink.md §6.4, §10). Tokens are opaque, change on every page, and a forged
 * or stale one gets InvalidPaginationToken.
 *
 * Limits, as EC2 answers them (FilterLimitExceeded, messages as AWS words them):
 * - Covered: at most 200 filter values per call, counted over all filters ("The maximum number
 *   of filter values specified on a single call is 200"); a value of at most 255 characters
 *   ("The maximum length for a filter value is 255 characters"). The decoder refuses a Filter
 *   or Value list longer than 200 before walking it (api/query/shapes.ts).
 * - Gaps: one report shows DescribeVpcEndpoints answering the 200-value case with
 *   InvalidParameterValue rather than FilterLimitExceeded; EC2's documented code is used for
 *   every action.
 * - By design: AWS documents no separate cap on the number of filters; since every filter needs
 *   a value to match anything, more than 200 filters is refused with the values message.
 */
import { apiError } from './errors.js';
import { compileGlob, hasWildcard } from './glob.js';
import type { DeepReadonly, Tag } from './model/common.js';

export interface FilterInput {
  Name?: string;
  Value: string[];
}

/** Extracts the value(s) a filter name compares against; undefined means "no value". */
export type FilterField<T> = (
  item: T,
) => string | number | boolean | readonly (string | number | boolean | undefined)[] | undefined;

export type FilterTable<T> = Record<string, FilterField<T>>;

/** EC2's per-call cap on filter values (and so on filters). */
export const MAX_FILTER_VALUES = 200;
/** EC2's cap on the length of one filter value. */
export const MAX_FILTER_VALUE_LENGTH = 255;

export const filterValuesExceeded = () =>
  apiError(
    'FilterLimitExceeded',
    `The maximum number of filter values specified on a single call is ${MAX_FILTER_VALUES}`,
  );

function matcher(values: string[]): (s: string) => boolean {
  const exact = new Set(values.filter((v) => !hasWildcard(v)));
  const globs = values.filter(hasWildcard).map(compileGlob);
  return (s) => exact.has(s) || globs.some((g) => g(s));
}

function asStrings(v: ReturnType<FilterField<unknown>>): string[] {
  if (v === undefined) return [];
  if (Array.isArray(v)) return v.filter((x) => x !== undefined).map(String);
  return [String(v)];
}

function tagsOf(item: unknown): readonly DeepReadonly<Tag>[] | undefined {
  const tags = (item as { tags?: unknown }).tags;
  return Array.isArray(tags) ? (tags as readonly DeepReadonly<Tag>[]) : undefined;
}

/** Applies Filter.N to items. `table` lists the filter names the action supports. */
export function applyFilters<T>(
  items: readonly T[],
  filters: readonly FilterInput[],
  table: FilterTable<T>,
): T[] {
  if (filters.length === 0) return [...items];
  let values = 0;
  for (const f of filters) {
    values += f.Value.length;
    if (f.Value.some((v) => v.length > MAX_FILTER_VALUE_LENGTH)) {
      throw apiError(
        'FilterLimitExceeded',
        `The maximum length for a filter value is ${MAX_FILTER_VALUE_LENGTH} characters`,
      );
    }
  }
  if (values > MAX_FILTER_VALUES || filters.length > MAX_FILTER_VALUES) throw filterValuesExceeded();
  const preds = filters.map((f) => {
    const name = f.Name;
    if (!name) throw apiError('InvalidParameterValue', 'The filter name must not be empty.');
    const match = matcher(f.Value);
    // Own properties only: a filter named `constructor` or `valueOf` must not reach Object.prototype.
    let field: FilterField<T> | undefined = Object.prototype.hasOwnProperty.call(table, name)
      ? table[name]
      : undefined;
    if (!field && name.startsWith('tag:')) {
      const key = name.slice(4);
      field = (it) =>
        tagsOf(it)
          ?.filter((t) => t.key === key)
          .map((t) => t.value);
    } else if (!field && name === 'tag-key') {
      field = (it) => tagsOf(it)?.map((t) => t.key);
    } else if (!field && name === 'tag-value') {
      field = (it) => tagsOf(it)?.map((t) => t.value);
    }
    if (!field) throw apiError('InvalidFilter', `The filter '${name}' is invalid`);
    const get = field;
    return (it: T) => asStrings(get(it)).some(match);
  });
  return items.filter((it) => preds.every((p) => p(it)));
}

export interface PageLimits {
  /** Smallest MaxResults accepted (smaller → InvalidParameterValue). */
  min?: number;
  /** Values above are clamped to this. */
  max?: number;
  /** Page size when MaxResults is absent (undefined = everything). */
  defaultSize?: number;
}

export interface Page<T> {
  items: T[];
  nextToken?: string;
}

/**
 * Paginates a stable, ordered list. The token carries the position and the ID of the last item
 * returned, so it is different on every page and stays meaningful if items are added.
 */
export function paginate<T>(
  items: readonly T[],
  idOf: (t: T) => string,
  maxResults: number | undefined,
  nextToken: string | undefined,
  limits: PageLimits = {},
): Page<T> {
  const min = limits.min ?? 5;
  const max = limits.max ?? 1000;
  let start = 0;
  if (nextToken) {
    let pos: number | undefined;
    try {
      const decoded = JSON.parse(Buffer.from(nextToken, 'base64url').toString('utf8')) as unknown;
      if (Array.isArray(decoded) && typeof decoded[0] === 'number' && typeof decoded[1] === 'string') {
        const [p, last] = decoded as [number, string];
        // Prefer the item's current position: items deleted meanwhile must not skip others.
        const at = items.findIndex((t) => idOf(t) === last);
        pos = at >= 0 ? at + 1 : p;
      }
    } catch {
      pos = undefined;
    }
    if (pos === undefined || pos < 0) {
      throw apiError('InvalidPaginationToken', `Invalid pagination token: ${nextToken.slice(0, 64)}`);
    }
    start = pos;
  }
  let size: number | undefined = limits.defaultSize;
  if (maxResults !== undefined) {
    if (maxResults < min) {
      throw apiError(
        'InvalidParameterValue',
        `Value ( ${maxResults} ) for parameter maxResults is invalid. Parameter must be between ${min} and ${max}.`,
      );
    }
    size = Math.min(maxResults, max);
  }
  if (size === undefined) return { items: items.slice(start) };
  const slice = items.slice(start, start + size);
  const last = slice.at(-1);
  const more = start + size < items.length && last !== undefined;
  return {
    items: slice,
    nextToken: more
      ? Buffer.from(JSON.stringify([start + size, idOf(last)]), 'utf8').toString('base64url')
      : undefined,
  };
}
