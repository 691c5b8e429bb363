/**
 * The Filter.N / MaxResults / NextToken members the PrivateLink Describe* actions share, and their
 * mapping onto the control plane's `{ filters, maxResults, nextToken }` request fields. Range
 * checks stay in the control services (each action has its own MaxResults bounds).
 */
import { filterShape, s } from '../../query/shapes.js';

export const describePagingMembers = { Filter: s.list(filterShape), MaxResults: s.int(), NextToken: s.str() };

export function pageRequest<F>(input: { Filter: F; MaxResults?: number; NextToken?: string }): {
  filters: F;
  maxResults?: number;
  nextToken?: string;
} {
  return { filters: input.Filter, maxResults: input.MaxResults, nextToken: input.NextToken };
}
