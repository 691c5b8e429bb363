/**
 * Hand-written input shapes for the supported actions, and the types they decode to.
 * A shape lists wire member names exactly as they arrive (`SubnetId`, `Filter`, `Tags`);
 * lists are flattened by the protocol (`X.N` for EC2, `X.member.N` for ELBv2/STS).
 */

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
export interface ListShape<R extends boolean = boolean, E extends Shape = Shape> {
  kind: 'list';
  required: R;
  of: E;
  max?: number;
}
export interface StructShape<R extends boolean = boolean, M extends Members = Members> {
  kind: 'struct';
  required: R;
  members: M;
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

/** Shape builders: `s.str()`, `s.str({ required: true })`, `s.list(s.str())`, `s.struct({...})`. */
export const s = {
  str<const E extends string = string, R extends boolean = false>(
    o: Opt<StringShape<boolean, E>> & { required?: R } = {},
  ): StringShape<R, E> {
    return { kind: 'string', ...o, required: (o.required ?? false) as R };
  },
  int<R extends boolean = false>(o: Opt<IntShape> & { required?: R } = {}): IntShape<R> {
    return { kind: 'int', ...o, required: (o.required ?? false) as R };
  },
  bool<R extends boolean = false>(o: { required?: R } = {}): BoolShape<R> {
    return { kind: 'bool', required: (o.required ?? false) as R };
  },
  list<E extends Shape, R extends boolean = false>(
    of: E,
    o: { required?: R; max?: number } = {},
  ): ListShape<R, E> {
    return { kind: 'list', of, ...o, required: (o.required ?? false) as R };
  },
  struct<const M extends Members, R extends boolean = false>(
    members: M,
    o: { required?: R } = {},
  ): StructShape<R, M> {
    return { kind: 'struct', members, required: (o.required ?? false) as R };
  },
};

/** Members most EC2 actions share. */
export const common = {
  DryRun: s.bool(),
};

export const filterShape = s.struct({ Name: s.str(), Value: s.list(s.str()) });
export const tagShape = s.struct({ Key: s.str(), Value: s.str() });
export const tagSpecificationShape = s.struct({ ResourceType: s.str(), Tag: s.list(tagShape) });
