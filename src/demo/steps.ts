/** Prints numbered demo steps as they happen, with timing and a clear PASS/FAIL. */
import { pollUntil } from '../shared/poll.js';

export class StepFailed extends Error {
  override name = 'StepFailed';
  constructor(
    readonly step: number,
    readonly title: string,
    readonly reason: string,
  ) {
    super(`step ${step} (${title}) failed: ${reason}`);
  }
}

export class StepRunner {
  private n = 0;
  readonly results: { step: number; title: string; ok: boolean; ms: number; detail?: string }[] = [];
  constructor(private readonly write: (line: string) => void = (l) => process.stdout.write(l + '\n')) {}

  /** Prints a detail line under the current step. */
  note(text: string): void {
    this.write(`      ${text}`);
  }

  async step<T>(title: string, fn: () => Promise<T>): Promise<T> {
    const step = ++this.n;
    this.write(`[....] ${step}. ${title}`);
    const t0 = performance.now();
    try {
      const v = await fn();
      const ms = Math.round(performance.now() - t0);
      this.results.push({ step, title, ok: true, ms });
      this.write(`[PASS] ${step}. ${title} (${ms} ms)`);
      return v;
    } catch (e) {
      const ms = Math.round(performance.now() - t0);
      const reason = e instanceof Error ? e.message : String(e);
      this.results.push({ step, title, ok: false, ms, detail: reason });
      this.write(`[FAIL] ${step}. ${title} (${ms} ms): ${reason}`);
      throw new StepFailed(step, title, reason);
    }
  }
}

/** Polls read() until ok() holds, or throws a readable timeout error. */
export function waitFor<T>(
  what: string,
  read: () => Promise<T>,
  ok: (v: T) => boolean,
  timeoutMs: number,
): Promise<T> {
  return pollUntil(read, ok, { timeoutMs, what });
}
