/** Fields every stored resource carries: identity, owner scope and tags. */
export interface Tag {
  key: string;
  value: string;
}

export interface Scoped {
  /** Primary key: an AWS-style ID (`vpce-…`) or, for ELBv2 resources, the ARN. */
  id: string;
  accountId: string;
  region: string;
  /** Epoch milliseconds from the injected clock. */
  createdAt: number;
  tags: Tag[];
}

/** Recursively read-only view: the store hands these out; writers build new objects. */
export type DeepReadonly<T> = T extends (infer U)[]
  ? readonly DeepReadonly<U>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

/** Who is calling: derived from the credentials of the request. */
export interface Principal {
  accountId: string;
  /** `arn:aws:iam::ACCOUNT:root`, or a user/role ARN when the credentials file names one. */
  arn: string;
}
