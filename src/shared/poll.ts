/**
 * Polls a read until a predicate holds, with a deadline and a readable timeout error that
 * carries the last value or error. For reads only: never wrap a mutation in this.
 */
export interface PollOptions {
  timeoutMs: number;
  intervalMs?: number;
  /** What is awaited, for the error message. */
  what?: string;
}

export async function pollUntil<T>(
  read: () => Promise<T> | T,
  ok: (v: T) => boolean,
  { timeoutMs, intervalMs = 100, what = 'the condition' }: PollOptions,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  let lastErr: unknown;
  for (;;) {
    try {
      last = await read();
      if (ok(last)) return last;
    } catch (e) {
      lastErr = e;
    }
    if (Date.now() > deadline) {
      const tail =
        lastErr instanceof Error
          ? ` (last error: ${lastErr.message})`
          : last !== undefined
            ? ` (last: ${JSON.stringify(last)})`
            : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${tail}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
