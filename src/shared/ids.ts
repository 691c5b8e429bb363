/**
 * Identifier source. AWS resource IDs are a prefix plus 17 lowercase hex digits
 * (`vpce-0f89a33420c1931d7`); ELB ARNs end in 16 hex digits. Injected so tests can be deterministic.
 */
import { randomBytes } from 'node:crypto';

export interface IdSource {
  /** `prefix-` + 17 hex, e.g. resourceId('vpce') → vpce-0123456789abcdef0. */
  resourceId(prefix: string): string;
  /** n lowercase hex digits. */
  hex(n: number): string;
  /** n characters from the given alphabet. */
  chars(n: number, alphabet: string): string;
  /** A v4-style UUID for request IDs. */
  uuid(): string;
}

function hexFrom(bytes: () => Buffer, n: number): string {
  return bytes().toString('hex').slice(0, n);
}

export function randomIdSource(): IdSource {
  return {
    resourceId: (prefix) => `${prefix}-${hexFrom(() => randomBytes(9), 17)}`,
    hex: (n) => hexFrom(() => randomBytes(Math.ceil(n / 2)), n),
    chars(n, alphabet) {
      const b = randomBytes(n);
      let s = '';
      for (let i = 0; i < n; i++) s += alphabet[(b[i] ?? 0) % alphabet.length];
      return s;
    },
    uuid: () => crypto.randomUUID(),
  };
}

/** Deterministic IDs for tests: a counter rendered in hex. */
export function sequentialIdSource(seed = 1): IdSource {
  let n = seed;
  const next = () => n++;
  return {
    resourceId: (prefix) => `${prefix}-${next().toString(16).padStart(17, '0')}`,
    hex: (len) => next().toString(16).padStart(len, '0').slice(-len),
    chars(len, alphabet) {
      let v = next();
      let s = '';
      for (let i = 0; i < len; i++) {
        s += alphabet[v % alphabet.length];
        v = Math.floor(v / alphabet.length) + i + 7;
      }
      return s;
    },
    uuid: () => `00000000-0000-4000-8000-${next().toString(16).padStart(12, '0')}`,
  };
}

export const LOWER_ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789';
export const MIXED_ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
