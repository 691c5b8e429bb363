import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileGlob } from './glob.js';

/** The specification the matcher must agree with: a plain recursive glob. */
function reference(p: string, t: string): boolean {
  const P = [...p];
  const T = [...t];
  const memo = new Map<string, boolean>();
  const go = (i: number, j: number): boolean => {
    const k = `${i},${j}`;
    const hit = memo.get(k);
    if (hit !== undefined) return hit;
    let r: boolean;
    if (i === P.length) r = j === T.length;
    else if (P[i] === '*') r = go(i + 1, j) || (j < T.length && go(i, j + 1));
    else r = j < T.length && (P[i] === '?' || P[i] === T[j]) && go(i + 1, j + 1);
    memo.set(k, r);
    return r;
  };
  return go(0, 0);
}

test('wildcards: * any run, ? one character, the rest literal and case-sensitive', () => {
  const cases: [string, string, boolean][] = [
    ['vpc-*', 'vpc-123', true],
    ['vpc-*', 'vpc-', true],
    ['vpc-?', 'vpc-', false],
    ['vpc-?', 'vpc-1', true],
    ['*', '', true],
    ['?', '', false],
    ['a*b*c', 'aXbYc', true],
    ['a*b*c', 'aXcYb', false],
    ['*.s3', 'com.amazonaws.us-east-1.s3', true],
    ['*.S3', 'com.amazonaws.us-east-1.s3', false],
    ['a.c', 'abc', false],
    ['(x)+', '(x)+', true],
    ['?é?', 'aéb', true],
    ['**a**', 'bab', true],
  ];
  for (const [p, t, want] of cases) assert.equal(compileGlob(p)(t), want, `${p} vs ${t}`);
});

test('agrees with a reference matcher on random patterns, also past 32 and 64 states', () => {
  let seed = 7;
  const rnd = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const alpha = ['a', 'b', '*', '?'];
  for (let i = 0; i < 3000; i++) {
    const plen = rnd(i % 10 === 0 ? 90 : 8);
    const p = Array.from({ length: plen }, () => alpha[rnd(4)]).join('');
    const tlen = rnd(i % 10 === 0 ? 100 : 10);
    const t = Array.from({ length: tlen }, () => alpha[rnd(2)]).join('');
    assert.equal(compileGlob(p)(t), reference(p, t), `${p} vs ${t}`);
  }
});

test('pathological patterns cost linear time', () => {
  const text = 'com.amazonaws.vpce.us-east-1.vpce-svc-0123456789abcdef0'.repeat(4);
  const t0 = performance.now();
  for (let i = 0; i < 200; i++) {
    compileGlob('*'.repeat(254) + 'Z')(text);
    compileGlob('*?'.repeat(127) + 'Z')(text);
  }
  assert.ok(performance.now() - t0 < 500, `took ${performance.now() - t0} ms`);
});
