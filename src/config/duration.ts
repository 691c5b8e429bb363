/**
 * Durations on the command line: an integer and a unit (`500ms`, `45s`, `30m`, `12h`, `7d`).
 */

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Milliseconds of `text`; throws with the flag's name when it is not a duration. */
export function parseDuration(text: string, flag: string): number {
  const m = /^(\d{1,12})(ms|s|m|h|d)$/.exec(text.trim());
  const unit = m?.[2] ? UNIT_MS[m[2]] : undefined;
  if (!m?.[1] || unit === undefined) {
    throw new Error(
      `--${flag} must be a whole number with a unit ms, s, m, h or d (e.g. 7d, 90m), got '${text}'`,
    );
  }
  const ms = Number(m[1]) * unit;
  if (!Number.isSafeInteger(ms) || ms <= 0) throw new Error(`--${flag} must be positive, got '${text}'`);
  return ms;
}
