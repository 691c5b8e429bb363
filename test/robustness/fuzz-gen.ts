/**
 * Shape-driven request generator for the fuzzing suite: from an action's input shape it builds a
 * plausible request (real IDs from the world where a member names one), then applies one
 * mutation — missing required members, garbage scalars, lists and structs given as scalars, bad
 * list indices, overlong and non-UTF-8 strings, unknown or wrong-prefix IDs, duplicate and
 * excessive list entries, prototype-polluting names and values. Deterministic for a given seed.
 */
import type { Shape, StructShape } from '../../src/api/query/shapes.js';
import type { Dialect } from '../../src/api/query/decode.js';

/** mulberry32: small, fast, deterministic. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type Rand = () => number;
const pick = <T>(r: Rand, xs: readonly T[]): T => {
  const v = xs[Math.floor(r() * xs.length)];
  if (v === undefined) throw new Error('pick from an empty list');
  return v;
};

/** Values the generator draws on: real IDs by prefix, ARNs, service names. */
export interface Pool {
  /** prefix (`vpc`, `subnet`, `vpce-svc`, …) → IDs that exist. */
  ids: Map<string, string[]>;
  /** The same, per owning account (requests mostly use their own account's resources). */
  byAccount: Map<string, Map<string, string[]>>;
  lbArns: string[];
  tgArns: string[];
  listenerArns: string[];
  serviceNames: string[];
  principals: string[];
}

/** Which pool a member draws from, by its wire name (the first rule that matches wins). */
const ID_RULES: readonly (readonly [RegExp, string])[] = [
  [/^(VpcEndpointServiceId|ServiceIds?)$/, 'vpce-svc'],
  [/ConnectionNotificationIds?$/, 'vpce-nfn'],
  [/^VpcEndpointIds?$/, 'vpce'],
  [/^VpcIds?$/, 'vpc'],
  [/^(SubnetIds?|Subnets|SubnetId)$/, 'subnet'],
  [/(SecurityGroupIds?|SecurityGroups|GroupIds?|AddSecurityGroupIds?|RemoveSecurityGroupIds?)$/, 'sg'],
  [/RouteTableIds?$/, 'rtb'],
  [/NetworkInterfaceIds?$/, 'eni'],
  [/^InstanceIds?$/, 'i'],
  [/SubnetIds?$/, 'subnet'],
  [/AssociationId$/, 'rtbassoc'],
  [/^(Resources|ResourceId|ResourceIds)$/, 'any'],
];

const WORDS = ['alpha', 'web', 'tcp', 'TCP', 'ipv4', 'x', 'name-1', 'Interface', 'vpc-id', 'tag:env'];
const GARBAGE_INT = [
  'abc',
  '1.5',
  '1e3',
  '',
  '-0',
  '99999999999999999999',
  ' 7',
  '0x1f',
  'NaN',
  'Infinity',
  '+3',
];
const GARBAGE_BOOL = ['yes', '1', '', ' true', 'TRUE ', 'null', 'on'];
const WEIRD = [
  '\u0000',
  'a\u0000b',
  '\u0001\u0002\u001f\u007f',
  '\r\n<Error><Code>X</Code></Error>',
  ']]><!--',
  '&amp;&lt;&#0;',
  '💥🚀\u202e\u200b',
  '\ud800',
  'ÿþ',
  '%',
  '%zz',
  ' ',
  '../../etc/passwd',
  "'; DROP TABLE resources; --",
  '${jndi:x}',
];
const PROTO = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'prototype'];

type Pairs = [string, string][];

export interface Leaf {
  path: string;
  name: string;
  shape: Shape;
}

/** A request as an ordered list of form pairs; `raw` overrides the encoded body. */
export interface Case {
  label: string;
  pairs: [string, string][];
  raw?: Buffer;
}

export class Generator {
  /** The account the next case is sent as; IDs are drawn mostly from its resources. */
  account = '';
  constructor(
    private readonly r: Rand,
    private readonly pool: Pool,
    private readonly dialect: Dialect,
  ) {}

  private sep(): string {
    return this.dialect === 'query' ? '.member.' : '.';
  }

  private idFor(name: string): string | undefined {
    if (/LoadBalancerArns?$/.test(name)) return pick(this.r, this.pool.lbArns);
    if (/TargetGroupArns?$/.test(name)) return pick(this.r, this.pool.tgArns);
    if (/ListenerArns?$/.test(name)) return pick(this.r, this.pool.listenerArns);
    if (/ResourceArns$/.test(name)) {
      return pick(this.r, [...this.pool.lbArns, ...this.pool.tgArns, ...this.pool.listenerArns]);
    }
    if (/ServiceNames?$/.test(name)) return pick(this.r, this.pool.serviceNames);
    if (/Principals?$/.test(name)) return pick(this.r, this.pool.principals);
    for (const [re, prefix] of ID_RULES) {
      if (!re.test(name)) continue;
      const own = this.r() < 0.85 ? this.pool.byAccount.get(this.account) : undefined;
      const source = own ?? this.pool.ids;
      if (prefix === 'any') return pick(this.r, [...source.values()].flat());
      const ids = source.get(prefix)?.length ? source.get(prefix) : this.pool.ids.get(prefix);
      return ids?.length ? pick(this.r, ids) : `${prefix}-0123456789abcdef0`;
    }
    return undefined;
  }

  isIdMember(name: string): boolean {
    return this.idFor(name) !== undefined;
  }

  private str(name: string, shape: Shape): string {
    if (shape.kind === 'string' && shape.enum?.length) return pick(this.r, shape.enum);
    const id = this.idFor(name);
    if (id !== undefined) return id;
    if (/Cidr/.test(name)) return pick(this.r, ['10.0.9.0/24', '10.1.0.0/16', '0.0.0.0/0', '10.0.1.0/24']);
    if (/Port$/.test(name)) return String(Math.floor(this.r() * 65536));
    return pick(this.r, WORDS);
  }

  /** A plausible request for the shape: every required member, about half the optional ones. */
  valid(shape: StructShape): [string, string][] {
    const out: [string, string][] = [];
    this.members(shape, '', out, 0);
    return out;
  }

  private members(shape: StructShape, prefix: string, out: [string, string][], depth: number): void {
    for (const [name, m] of Object.entries(shape.members)) {
      if (!m.required && this.r() < 0.5) continue;
      if (depth > 3 && !m.required) continue;
      this.value(m, prefix + name, name, out, depth);
    }
  }

  private value(shape: Shape, path: string, name: string, out: [string, string][], depth: number): void {
    switch (shape.kind) {
      case 'string':
        out.push([path, this.str(name, shape)]);
        return;
      case 'int': {
        const lo = shape.min ?? 0;
        const hi = shape.max ?? Math.max(lo, 100);
        out.push([path, String(lo + Math.floor(this.r() * (Math.min(hi, lo + 1000) - lo + 1)))]);
        return;
      }
      case 'bool':
        out.push([path, this.r() < 0.5 ? 'true' : 'false']);
        return;
      case 'list': {
        const n = 1 + Math.floor(this.r() * Math.min(3, shape.max ?? 3));
        for (let i = 1; i <= n; i++) this.value(shape.of, `${path}${this.sep()}${i}`, name, out, depth + 1);
        return;
      }
      case 'struct':
        this.members(shape, path + '.', out, depth + 1);
        return;
    }
  }

  /** Every member path of a shape, with the shape there (list elements at index 1). */
  leaves(shape: StructShape): Leaf[] {
    const out: Leaf[] = [];
    const walk = (s: Shape, path: string, name: string, depth: number) => {
      out.push({ path, name, shape: s });
      if (depth > 4) return;
      if (s.kind === 'list') walk(s.of, `${path}${this.sep()}1`, name, depth + 1);
      if (s.kind === 'struct')
        for (const [n, m] of Object.entries(s.members)) walk(m, `${path}.${n}`, n, depth + 1);
    };
    for (const [n, m] of Object.entries(shape.members)) walk(m, n, n, 0);
    return out;
  }

  /** The i-th mutated variant of a request for the shape (mutations taken in turn). */
  case(shape: StructShape, i: number): Case {
    const leaves = this.leaves(shape);
    const scalars = leaves.filter((l) => l.shape.kind !== 'list' && l.shape.kind !== 'struct');
    const mutators = this.mutators(shape, leaves, scalars);
    const [label, mutate] = mutators[i % mutators.length] ?? ['valid', (p: Pairs): Pairs | Buffer => p];
    const base = this.valid(shape);
    const mutated = mutate(base);
    return Buffer.isBuffer(mutated) ? { label, pairs: base, raw: mutated } : { label, pairs: mutated };
  }

  private mutators(
    shape: StructShape,
    leaves: Leaf[],
    scalars: Leaf[],
  ): [string, (p: [string, string][]) => [string, string][] | Buffer][] {
    const r = this.r;
    const set = (p: [string, string][], path: string, v: string) =>
      [...p.filter(([k]) => k !== path), [path, v]] as [string, string][];
    const some = <T>(xs: T[]): T | undefined => (xs.length ? pick(r, xs) : undefined);
    const lists = leaves.filter((l) => l.shape.kind === 'list');
    const structs = leaves.filter((l) => l.shape.kind === 'struct');
    const ids = scalars.filter((l) => this.isIdMember(l.name));
    const strings = scalars.filter((l) => l.shape.kind === 'string');
    const required = Object.entries(shape.members).filter(([, m]) => m.required);
    const prefixes = [...this.pool.ids.keys()];
    return [
      ['valid', (p) => p],
      [
        'minimal',
        () => {
          const out: [string, string][] = [];
          for (const [name, m] of Object.entries(shape.members)) {
            if (m.required) this.value(m, name, name, out, 0);
          }
          return out;
        },
      ],
      ['dry-run', (p) => ('DryRun' in shape.members ? set(p, 'DryRun', 'true') : p)],
      [
        'missing-required',
        (p) => {
          const m = some(required);
          return m ? p.filter(([k]) => k !== m[0] && !k.startsWith(m[0] + '.')) : p;
        },
      ],
      [
        'garbage-scalar',
        (p) => {
          const l = some(scalars);
          if (!l) return p;
          const s = l.shape;
          const v =
            s.kind === 'int'
              ? pick(r, [...GARBAGE_INT, String((s.min ?? 0) - 1), String((s.max ?? 2 ** 31) + 1)])
              : s.kind === 'bool'
                ? pick(r, GARBAGE_BOOL)
                : s.kind === 'string' && s.enum
                  ? 'not-in-enum'
                  : pick(r, WEIRD);
          return set(p, l.path, v);
        },
      ],
      [
        'list-as-scalar',
        (p) => {
          const l = some(lists);
          if (!l) return p;
          const path = this.dialect === 'query' && r() < 0.5 ? `${l.path}.member` : l.path;
          return set(p, path, pick(r, ['x', '', 'vpc-0123456789abcdef0']));
        },
      ],
      [
        'struct-as-scalar',
        (p) => {
          const l = some(structs);
          return l ? set(p, l.path, pick(r, ['x', '', '{}', 'true'])) : p;
        },
      ],
      [
        'bad-index',
        (p) => {
          const l = some(lists);
          if (!l) return p;
          const idx = pick(r, ['0', '-1', '99999999', 'abc', '1.5', '01', '', '1e2', ' 1', '4294967297']);
          return [...p, [`${l.path}${this.sep()}${idx}`, 'x']];
        },
      ],
      [
        'long-string',
        (p) => {
          const l = some(strings) ?? some(scalars);
          return l ? set(p, l.path, 'A'.repeat(pick(r, [256, 10 * 1024, 300 * 1024]))) : p;
        },
      ],
      [
        'weird-chars',
        (p) => {
          const l = some(strings) ?? some(scalars);
          return l ? set(p, l.path, pick(r, WEIRD)) : p;
        },
      ],
      [
        'non-utf8',
        (p) => {
          const body = Buffer.from(encodePairs(p) + '&');
          const l = some(scalars);
          const key = Buffer.from(encodeURIComponent(l?.path ?? 'Junk') + '=');
          return Buffer.concat([body, key, Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0xed, 0xa0, 0x80])]);
        },
      ],
      [
        'percent-non-utf8',
        (p) => {
          const l = some(scalars);
          return Buffer.from(encodePairs(p) + `&${l?.path ?? 'Junk'}=%FF%FE%C3%28`);
        },
      ],
      [
        'unknown-id',
        (p) => {
          const l = some(ids);
          if (!l) return p;
          const cur = p.find(([k]) => k === l.path)?.[1] ?? this.str(l.name, l.shape);
          const dash = cur.startsWith('arn:') ? cur.lastIndexOf('/') + 1 : cur.lastIndexOf('-') + 1;
          const fresh = cur.startsWith('arn:') ? 'ffffffffffffffff' : 'ffffffffffffffff0';
          return set(p, l.path, cur.slice(0, dash) + fresh);
        },
      ],
      [
        'wrong-prefix',
        (p) => {
          const l = some(ids);
          if (!l) return p;
          const prefix = pick(r, prefixes);
          const id = pick(r, this.pool.ids.get(prefix) ?? ['x-1']);
          return set(p, l.path, pick(r, [id, 'vpc-zzz', 'vpce-', 'arn:aws:x', 'vpce-svc-0123']));
        },
      ],
      [
        'duplicates',
        (p) => {
          const l = some(lists);
          if (!l) return p;
          const base = this.valid({ kind: 'struct', required: false, members: { [l.path]: l.shape } });
          const first = `${l.path}${this.sep()}1`;
          const dup = base
            .filter(([k]) => k === first || k.startsWith(first + '.'))
            .map(([k, v]) => [`${l.path}${this.sep()}2${k.slice(first.length)}`, v] as [string, string]);
          return [
            ...p.filter(([k]) => !k.startsWith(l.path + '.')),
            ...base.filter(([k]) => k === first || k.startsWith(first + '.')),
            ...dup,
          ];
        },
      ],
      [
        'proto-names',
        (p) => {
          const name = pick(r, PROTO);
          const l = some(structs) ?? some(lists);
          const where = pick(r, [
            name,
            `${name}.polluted`,
            l ? `${l.path}.${name}` : name,
            `Filter.1.${name}`,
          ]);
          return [...p, [where, 'x']];
        },
      ],
      [
        'proto-values',
        (p) => {
          const l = some(strings) ?? some(scalars);
          return l ? set(p, l.path, pick(r, PROTO)) : p;
        },
      ],
      [
        'many-entries',
        (p) => {
          const l = some(lists);
          if (!l) return p;
          const n = pick(r, [(l.shape.kind === 'list' ? (l.shape.max ?? 100) : 100) + 1, 1000]);
          const extra: [string, string][] = [];
          for (let i = 1; i <= n; i++) {
            const el = this.valid({
              kind: 'struct',
              required: false,
              members: { E: l.shape.kind === 'list' ? l.shape.of : l.shape },
            });
            for (const [k, v] of el) extra.push([`${l.path}${this.sep()}${i}${k.slice(1)}`, v]);
          }
          return [...p.filter(([k]) => !k.startsWith(l.path + '.')), ...extra];
        },
      ],
      ['empty-values', (p) => p.map(([k]) => [k, ''] as [string, string])],
      [
        'int-edges',
        (p) => {
          const l = scalars.find((x) => x.shape.kind === 'int');
          if (!l || l.shape.kind !== 'int') return p;
          const s = l.shape;
          return set(
            p,
            l.path,
            pick(r, ['0', '-1', '2147483648', '9007199254740993', String(s.min ?? 0), String(s.max ?? 0)]),
          );
        },
      ],
      [
        'all-optional',
        () => {
          const out: [string, string][] = [];
          for (const l of scalars) if (!l.path.includes('.')) out.push([l.path, this.str(l.name, l.shape)]);
          return out;
        },
      ],
      ['repeat-key', (p) => (p[0] ? [...p, [p[0][0], 'second']] : p)],
    ];
  }
}

/** application/x-www-form-urlencoded, as the SDKs encode it. */
export function encodePairs(pairs: readonly (readonly [string, string])[]): string {
  return pairs.map(([k, v]) => `${encode(k)}=${encode(v)}`).join('&');
}

/** encodeURIComponent, except that a lone surrogate goes out as UTF-8's replacement bytes. */
function encode(s: string): string {
  try {
    return encodeURIComponent(s);
  } catch {
    return [...Buffer.from(s, 'utf8')].map((b) => '%' + b.toString(16).padStart(2, '0')).join('');
  }
}
