/** Small helpers for benchmarks: percentiles, medians over rounds and fixed-width printing. */
export function percentile(sortedMs: readonly number[], p: number): number {
  if (sortedMs.length === 0) return NaN;
  const i = Math.min(sortedMs.length - 1, Math.max(0, Math.ceil((p / 100) * sortedMs.length) - 1));
  return sortedMs[i] ?? NaN;
}

export function summarize(samplesMs: number[]): { n: number; p50: number; p99: number; mean: number } {
  const s = [...samplesMs].sort((a, b) => a - b);
  const mean = s.reduce((a, b) => a + b, 0) / (s.length || 1);
  return { n: s.length, p50: percentile(s, 50), p99: percentile(s, 99), mean };
}

/** Fewest rounds a median is taken over: a median of two figures is only the smaller one. */
export const MIN_ROUNDS = 3;

/** The median of the rounds that gave a figure (failed rounds are NaN and left out). */
export function median(xs: readonly number[]): number {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const mid = s.length >> 1;
  return s.length % 2 ? (s[mid] ?? NaN) : ((s[mid - 1] ?? NaN) + (s[mid] ?? NaN)) / 2;
}

/**
 * Runs `measure` for `rounds` (at least MIN_ROUNDS) rounds; a round that throws is printed with
 * its error and counted, never silently dropped.
 */
export async function rounds<T>(
  what: string,
  n: number,
  measure: (round: number) => Promise<T>,
): Promise<{ ok: T[]; failed: number }> {
  const ok: T[] = [];
  let failed = 0;
  for (let i = 0; i < Math.max(MIN_ROUNDS, n); i++) {
    try {
      ok.push(await measure(i));
    } catch (e) {
      failed++;
      console.log(`  FAILED ${what}, round ${i + 1}: ${String(e).split('\n')[0]?.slice(0, 200) ?? ''}`);
    }
  }
  return { ok, failed };
}

export function fmt(n: number, digits = 2): string {
  return Number.isFinite(n) ? n.toFixed(digits) : 'n/a';
}
