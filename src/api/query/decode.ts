/**
 * One walker that turns a form body into typed input, for both query dialects:
 *  - `ec2`:   lists flattened as `Name.1`, `Name.2`; empty lists are simply absent.
 *  - `query`: (ELBv2, STS) lists as `Name.member.1`; an empty list may arrive as `Name=`.
 * Indices are sorted numerically and need not be contiguous. Unknown members are refused with
 * UnknownParameter; type and enum violations with InvalidParameterValue (EC2) or ValidationError
 * (ELBv2's wording), so a malformed request never reaches a handler.
 *
 * Cost is linear in the size of the request: the parameter names are split once into a tree
 * (`Filter` → `1` → `Value` → `2`), the shape is walked over that tree, and a list's length is
 * checked against its limit before any of its members is read. A name deeper than the deepest
 * path the shape allows is unknown without being split further.
 */
import { Errors, apiError, type ApiError } from '../../control/errors.js';
import type { ListShape, Shape, StructShape, Value } from './shapes.js';

export type Dialect = 'ec2' | 'query';

/** Parameters the transport adds; never part of an action's input. */
const ENVELOPE = new Set(['Action', 'Version']);
const isEnvelope = (k: string) => ENVELOPE.has(k) || k.startsWith('X-Amz-');

/** One dotted segment of the parameter names, with the value of the name that ends here. */
interface Node {
  value?: string;
  children?: Map<string, Node>;
  consumed?: boolean;
}

/** The deepest dotted name a shape can consume (a list adds an index, `.member.N` two). */
function depthOf(shape: Shape, dialect: Dialect, seen = new Set<Shape>()): number {
  if (seen.has(shape)) return 64;
  switch (shape.kind) {
    case 'list':
      return (dialect === 'query' ? 2 : 1) + depthOf(shape.of, dialect, new Set(seen).add(shape));
    case 'struct': {
      let d = 0;
      const inner = new Set(seen).add(shape);
      for (const m of Object.values(shape.members)) d = Math.max(d, 1 + depthOf(m, dialect, inner));
      return d;
    }
    case 'string':
    case 'int':
    case 'bool':
      return 0;
  }
}

/** depthOf per action shape, computed once. */
const DEPTHS = new WeakMap<Shape, Record<Dialect, number>>();

class Walker {
  constructor(private readonly dialect: Dialect) {}

  private missing(path: string): ApiError {
    if (this.dialect === 'query') {
      return apiError(
        'ValidationError',
        `1 validation error detected: Value null at '${lowerFirst(path)}' failed to satisfy constraint: Member must not be null`,
      );
    }
    return Errors.missingParameter(path);
  }

  private invalid(path: string, value: string, why: string): ApiError {
    if (this.dialect === 'query') {
      return apiError(
        'ValidationError',
        `1 validation error detected: Value '${value.slice(0, 256)}' at '${lowerFirst(path)}' failed to satisfy constraint: ${why}`,
      );
    }
    return Errors.invalidValue(path, value.slice(0, 256), why);
  }

  /** The members of a list node, by index, sorted; the length is checked before any is read. */
  private elements(shape: ListShape, node: Node | undefined, path: string): [number, Node][] {
    const holder = this.dialect === 'query' ? node?.children?.get('member') : node;
    const children = holder?.children;
    if (!children) return [];
    const limit = shape.limit ?? (shape.of.kind === 'struct' ? shape.of.listLimit : undefined);
    if (limit && children.size > limit.max) throw limit.error();
    const out: [number, Node][] = [];
    for (const [seg, child] of children) {
      // A segment that is not a number is not an element: it stays unconsumed (UnknownParameter).
      if (!/^\d+$/.test(seg)) continue;
      const n = Number(seg);
      // Canonical decimal only: `X.01` would otherwise name element 1 while its members stay
      // unconsumed under another spelling.
      if (n < 1 || seg.length > 6 || String(n) !== seg) {
        throw this.invalid(path, `${path}.${seg}`, 'list indices are decimal numbers from 1');
      }
      out.push([n, child]);
    }
    if (shape.max !== undefined && out.length > shape.max) {
      throw this.invalid(
        path,
        String(out.length),
        `Member must have length less than or equal to ${shape.max}`,
      );
    }
    return out.sort((a, b) => a[0] - b[0]);
  }

  value(shape: Shape, node: Node | undefined, path: string): unknown {
    switch (shape.kind) {
      case 'string':
      case 'int':
      case 'bool': {
        if (node?.value === undefined) {
          if (shape.required) throw this.missing(path);
          return undefined;
        }
        node.consumed = true;
        return this.scalar(shape, path, node.value);
      }
      case 'list': {
        const idx = this.elements(shape, node, path);
        if (node?.value !== undefined) {
          // `Name=` is how the query protocol sends an empty list; a value there is a type error.
          if (node.value !== '' || this.dialect === 'ec2') {
            throw this.invalid(path, node.value, 'Member must be a list');
          }
          node.consumed = true;
        }
        if (shape.required && idx.length === 0) throw this.missing(path);
        const sep = this.dialect === 'query' ? '.member.' : '.';
        return idx.map(([i, child]) => this.value(shape.of, child, `${path}${sep}${i}`));
      }
      case 'struct': {
        if (node?.value !== undefined) throw this.invalid(path, node.value, 'Member must be a structure');
        if (!node?.children?.size) {
          if (shape.required) throw this.missing(path);
          return undefined;
        }
        return this.members(shape, node, path + '.');
      }
    }
  }

  members(shape: StructShape, node: Node | undefined, prefix: string): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [name, member] of Object.entries(shape.members)) {
      const v = this.value(member, node?.children?.get(name), prefix + name);
      if (v !== undefined) out[name] = v;
    }
    return out;
  }

  private scalar(shape: Shape, path: string, raw: string): unknown {
    switch (shape.kind) {
      case 'string':
        if (shape.enum && !shape.enum.includes(raw)) {
          throw this.invalid(path, raw, `Member must satisfy enum value set: [${shape.enum.join(', ')}]`);
        }
        if (shape.maxLength !== undefined && raw.length > shape.maxLength) {
          throw this.invalid(
            path,
            raw.slice(0, 64),
            `Member must have length less than or equal to ${shape.maxLength}`,
          );
        }
        return raw;
      case 'int': {
        if (!/^-?\d{1,15}$/.test(raw)) throw this.invalid(path, raw, 'Member must be an integer');
        const n = Number(raw);
        if (shape.min !== undefined && n < shape.min) {
          throw this.invalid(path, raw, `Member must have value greater than or equal to ${shape.min}`);
        }
        if (shape.max !== undefined && n > shape.max) {
          throw this.invalid(path, raw, `Member must have value less than or equal to ${shape.max}`);
        }
        return n;
      }
      case 'bool': {
        const v = raw.toLowerCase();
        if (v !== 'true' && v !== 'false')
          throw this.invalid(path, raw, 'Member must be a boolean (true or false)');
        return v === 'true';
      }
      case 'list':
      case 'struct':
        return undefined;
    }
  }
}

/**
 * Splits the names into a tree. A name with more segments than `maxDepth` cannot be consumed by
 * the shape; it is left out of the tree and so reported as unknown.
 */
function buildTree(
  params: ReadonlyMap<string, string>,
  maxDepth: number,
): { root: Node; leaves: [string, Node | undefined][] } {
  const root: Node = {};
  const leaves: [string, Node | undefined][] = [];
  for (const [k, v] of params) {
    if (isEnvelope(k)) continue;
    const segs = k.split('.', maxDepth + 1);
    if (segs.length > maxDepth) {
      leaves.push([k, undefined]);
      continue;
    }
    let node = root;
    for (const seg of segs) {
      node.children ??= new Map();
      let next = node.children.get(seg);
      if (!next) {
        next = {};
        node.children.set(seg, next);
      }
      node = next;
    }
    node.value = v;
    leaves.push([k, node]);
  }
  return { root, leaves };
}

function lowerFirst(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1);
}

/** Decodes the parameters of one request against the action's input shape. */
export function decodeInput<S extends StructShape>(
  shape: S,
  params: ReadonlyMap<string, string>,
  dialect: Dialect,
): Value<S> {
  const w = new Walker(dialect);
  let depths = DEPTHS.get(shape);
  if (!depths) DEPTHS.set(shape, (depths = { ec2: depthOf(shape, 'ec2'), query: depthOf(shape, 'query') }));
  const { root, leaves } = buildTree(params, depths[dialect] + 1);
  // Lists must be present as arrays even when absent.
  const out = w.members(shape, root, '') as Record<string, unknown>;
  fillLists(shape, out);
  for (const [k, node] of leaves) {
    if (node?.consumed) continue;
    throw Errors.unknownParameter((k.includes('.') ? k.slice(0, k.indexOf('.')) : k).slice(0, 128));
  }
  return out as Value<S>;
}

function fillLists(shape: StructShape, obj: Record<string, unknown>): void {
  for (const [name, m] of Object.entries(shape.members)) {
    if (m.kind === 'list') {
      if (obj[name] === undefined) obj[name] = [];
      if (m.of.kind === 'struct') for (const e of obj[name] as Record<string, unknown>[]) fillLists(m.of, e);
    } else if (m.kind === 'struct' && obj[name] !== undefined) {
      fillLists(m, obj[name] as Record<string, unknown>);
    }
  }
}

/**
 * Most parameters one request may carry. AWS documents no such number; its per-list limits
 * (1,000 IDs, 200 filter values, 50 tags…) keep every real request far below it, and the cap
 * bounds the work one request can cost (each parameter is decoded and placed in the name tree)
 * well inside the 100 ms the event loop may be held.
 */
export const MAX_PARAMETERS = 5_000;

/** Form-decodes one name or value; most are plain and are returned as they are. */
function unescapeForm(raw: string): string {
  if (!raw.includes('%') && !raw.includes('+')) return raw;
  return decodeURIComponent(raw.replace(/\+/g, ' '));
}

/**
 * Parses an application/x-www-form-urlencoded body (or query string) into a map. Malformed
 * percent-escapes are refused instead of being guessed at.
 */
export function parseForm(text: string): Map<string, string> {
  const out = new Map<string, string>();
  if (!text) return out;
  // Counted before anything is decoded: `split` with a limit stops at the cap.
  const pairs = text.split('&', MAX_PARAMETERS + 1);
  if (pairs.length > MAX_PARAMETERS) {
    // So many parameters can only be legal lists gone far past AWS's limits; a request made of
    // filters gets the answer EC2 gives for too many filter values.
    if (pairs.some((p) => p.startsWith('Filter.'))) {
      throw apiError(
        'FilterLimitExceeded',
        'The maximum number of filter values specified on a single call is 200',
      );
    }
    throw apiError('RequestEntityTooLarge', `The request has more than ${MAX_PARAMETERS} parameters`);
  }
  for (const pair of pairs) {
    if (!pair) continue;
    const eq = pair.indexOf('=');
    const rawK = eq < 0 ? pair : pair.slice(0, eq);
    const rawV = eq < 0 ? '' : pair.slice(eq + 1);
    let k: string;
    let v: string;
    try {
      k = unescapeForm(rawK);
      v = unescapeForm(rawV);
    } catch {
      throw apiError(
        'MalformedQueryString',
        `The query string contains an invalid escape sequence: ${rawK.slice(0, 64)}`,
      );
    }
    if (!k) throw apiError('MalformedQueryString', 'The query string contains an empty parameter name');
    out.set(k, v);
  }
  return out;
}
