/**
 * Hand-written input shapes for the supported actions, and the types they decode to.
 * A shape lists wire member names exactly as they arrive (`SubnetId`, `Filter`, `Tags`);
 * lists are flattened by the protocol (`X.N` for EC2, `X.member.N` for ELBv2/STS).
 */
import type { ApiError } from '../../control/errors.js';
import { MAX_FILTER_VALUES, filterValuesExceeded } from '../../control/filters.js';

export interface StringShape<R extends boolean = boolean, E extends string = string> {
  kind: 'string';
  required: R;
  enum?: readonly E[];
  maxLength?: number;
}
export interface IntShape<R extends boolean = boolean> {
  kind: 'int';
  required: R;
  min?: number;
  max?: number;
}
export interface BoolShape<R extends boolean = boolean> {
  kind: 'bool';
  required: R;
}
/** A cap on a list's length with the error AWS answers past it (checked before the list is walked). */
export interface ListLimit {
  max: number;
  error: () => ApiError;
}
export interface ListShape<R extends boolean = boolean, E extends Shape = Shape> {
  kind: 'list';
  required: R;
  of: E;
  max?: number;
  limit?: ListLimit;
}
export interface StructShape<R extends boolean = boolean, M extends Members = Members> {
  kind: 'struct';
  required: R;
  members: M;
  /** Caps every list of this structure (Filter.N wherever it appears). */
  listLimit?: ListLimit;
}
export type Shape = StringShape | IntShape | BoolShape | ListShape | StructShape;
export type Members = { readonly [wire: string]: Shape };

/** The decoded value of a shape. Lists are always present (absent == empty, as EC2 sends them). */
export type Value<S> =
  S extends StringShape<boolean, infer E>
    ? E
    : S extends IntShape
      ? number
      : S extends BoolShape
        ? boolean
        : S extends ListShape<boolean, infer E>
          ? Value<E>[]
          : S extends StructShape<boolean, infer M>
            ? StructValue<M>
            : never;

type RequiredKeys<M> = {
  [K in keyof M]: M[K] extends { required: true } ? K : M[K] extends { kind: 'list' } ? K : never;
}[keyof M];
type OptionalKeys<M> = Exclude<keyof M, RequiredKeys<M>>;
export type StructValue<M> = { [K in RequiredKeys<M>]: Value<M[K]> } & {
  [K in OptionalKeys<M>]?: Value<M[K]>;
};

type Opt<T> = Omit<T, 'kind' | 'required'>;
type Req = { required: true };
type NotReq = { required?: false };

// Overloads (not a generic `required` parameter): inside `s.struct({...})` the contextual
// type would otherwise widen `required: true` to boolean and make the member optional.
function str<const E extends string = string>(o: Opt<StringShape<boolean, E>> & Req): StringShape<true, E>;
function str<const E extends string = string>(
  o?: Opt<StringShape<boolean, E>> & NotReq,
): StringShape<false, E>;
function str(o: Opt<StringShape> & { required?: boolean } = {}): StringShape {
  return { kind: 'string', ...o, required: o.required ?? false };
}
function int(o: Opt<IntShape> & Req): IntShape<true>;
function int(o?: Opt<IntShape> & NotReq): IntShape<false>;
function int(o: Opt<IntShape> & { required?: boolean } = {}): IntShape {
  return { kind: 'int', ...o, required: o.required ?? false };
}
function bool(o: Req): BoolShape<true>;
function bool(o?: NotReq): BoolShape<false>;
function bool(o: { required?: boolean } = {}): BoolShape {
  return { kind: 'bool', required: o.required ?? false };
}
type ListOpt = { max?: number; limit?: ListLimit };
function list<E extends Shape>(of: E, o: Req & ListOpt): ListShape<true, E>;
function list<E extends Shape>(of: E, o?: NotReq & ListOpt): ListShape<false, E>;
function list(of: Shape, o: { required?: boolean } & ListOpt = {}): ListShape {
  return { kind: 'list', of, ...o, required: o.required ?? false };
}
function struct<const M extends Members>(members: M, o: Req): StructShape<true, M>;
function struct<const M extends Members>(members: M, o?: NotReq): StructShape<false, M>;
function struct(members: Members, o: { required?: boolean } = {}): StructShape {
  return { kind: 'struct', members, required: o.required ?? false };
}

/** Shape builders: `s.str()`, `s.str({ required: true })`, `s.list(s.str())`, `s.struct({...})`. */
export const s = { str, int, bool, list, struct };

/** Members most EC2 actions share. */
export const common = {
  DryRun: s.bool(),
};

/** EC2 refuses more than 200 filter values per call (control/filters.ts); lists longer are refused unread. */
const filterLimit: ListLimit = { max: MAX_FILTER_VALUES, error: filterValuesExceeded };
export const filterShape: StructShape<
  false,
  { Name: StringShape<false>; Value: ListShape<false, StringShape<false>> }
> = {
  ...s.struct({ Name: s.str(), Value: s.list(s.str(), { limit: filterLimit }) }),
  listLimit: filterLimit,
};
export const tagShape = s.struct({ Key: s.str(), Value: s.str() });
export const tagSpecificationShape = s.struct({ ResourceType: s.str(), Tag: s.list(tagShape) });
