/**
 * One walker that turns a form body into typed input, for both query dialects:
 *  - `ec2`:   lists flattened as `Name.1`, `Name.2`; empty lists are simply absent.
 *  - `query`: (ELBv2, STS) lists as `Name.member.1`; an empty list may arrive as `Name=`.
 * Indices are sorted numerically and need not be contiguous. Unknown members are refused with
 * UnknownParameter; type and enum violations with InvalidParameterValue (EC2) or ValidationError
 * (ELBv2's wording), so a malformed request never reaches a handler.
 */
import { Errors, apiError, type ApiError } from '../../control/errors.js';
import type { Shape, StructShape, Value } from './shapes.js';

export type Dialect = 'ec2' | 'query';

/** Parameters the transport adds; never part of an action's input. */
const ENVELOPE = new Set(['Action', 'Version']);
const isEnvelope = (k: string) => ENVELOPE.has(k) || k.startsWith('X-Amz-');

class Walker {
  readonly consumed = new Set<string>();
  constructor(
    private readonly params: ReadonlyMap<string, string>,
    private readonly dialect: Dialect,
  ) {}

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
        `1 validation error detected: Value '${value}' at '${lowerFirst(path)}' failed to satisfy constraint: ${why}`,
      );
    }
    return Errors.invalidValue(path, value, why);
  }

  /** Indices present under `path` for a list, sorted. */
  private indices(path: string): number[] {
    const prefix = this.dialect === 'query' ? `${path}.member.` : `${path}.`;
    const found = new Set<number>();
    for (const k of this.params.keys()) {
      if (!k.startsWith(prefix)) continue;
      const rest = k.slice(prefix.length);
      const m = /^(\d+)(?:\.|$)/.exec(rest);
      if (!m?.[1]) continue;
      const n = Number(m[1]);
      // Canonical decimal only: `X.01` would otherwise name element 1 while its members stay
      // unconsumed under another spelling.
      if (n < 1 || m[1].length > 6 || String(n) !== m[1]) {
        throw this.invalid(path, k, 'list indices are decimal numbers from 1');
      }
      found.add(n);
    }
    return [...found].sort((a, b) => a - b);
  }

  value(shape: Shape, path: string): unknown {
    switch (shape.kind) {
      case 'string':
      case 'int':
      case 'bool': {
        const raw = this.params.get(path);
        if (raw === undefined) {
          if (shape.required) throw this.missing(path);
          return undefined;
        }
        this.consumed.add(path);
        return this.scalar(shape, path, raw);
      }
      case 'list': {
        const idx = this.indices(path);
        if (this.params.has(path)) {
          // `Name=` is how the query protocol sends an empty list; a value there is a type error.
          if (this.params.get(path) !== '' || this.dialect === 'ec2') {
            throw this.invalid(path, this.params.get(path) ?? '', 'Member must be a list');
          }
          this.consumed.add(path);
        }
        if (shape.required && idx.length === 0) throw this.missing(path);
        if (shape.max !== undefined && idx.length > shape.max) {
          throw this.invalid(
            path,
            String(idx.length),
            `Member must have length less than or equal to ${shape.max}`,
          );
        }
        const sep = this.dialect === 'query' ? '.member.' : '.';
        return idx.map((i) => this.value(shape.of, `${path}${sep}${i}`));
      }
      case 'struct': {
        if (this.params.has(path))
          throw this.invalid(path, this.params.get(path) ?? '', 'Member must be a structure');
        const present = [...this.params.keys()].some((k) => k.startsWith(path + '.'));
        if (!present) {
          if (shape.required) throw this.missing(path);
          // An absent struct still decodes its list members as empty (absent == empty).
          if (Object.values(shape.members).every((m) => m.kind !== 'list' && !m.required)) return undefined;
          return undefined;
        }
        return this.members(shape, path + '.');
      }
    }
  }

  members(shape: StructShape, prefix: string): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [name, member] of Object.entries(shape.members)) {
      const v = this.value(member, prefix + name);
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

function lowerFirst(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1);
}

/** Decodes the parameters of one request against the action's input shape. */
export function decodeInput<S extends StructShape>(
  shape: S,
  params: ReadonlyMap<string, string>,
  dialect: Dialect,
): Value<S> {
  const w = new Walker(params, dialect);
  // Lists must be present as arrays even when absent.
  const out = w.members(shape, '') as Record<string, unknown>;
  fillLists(shape, out);
  for (const k of params.keys()) {
    if (isEnvelope(k) || w.consumed.has(k)) continue;
    throw Errors.unknownParameter(k.split('.')[0] ?? k);
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
 * Parses an application/x-www-form-urlencoded body (or query string) into a map. Malformed
 * percent-escapes are refused instead of being guessed at.
 */
export function parseForm(text: string): Map<string, string> {
  const out = new Map<string, string>();
  if (!text) return out;
  for (const pair of text.split('&')) {
    if (!pair) continue;
    const eq = pair.indexOf('=');
    const rawK = eq < 0 ? pair : pair.slice(0, eq);
    const rawV = eq < 0 ? '' : pair.slice(eq + 1);
    let k: string;
    let v: string;
    try {
      k = decodeURIComponent(rawK.replace(/\+/g, ' '));
      v = decodeURIComponent(rawV.replace(/\+/g, ' '));
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
