/** Collects cleanup callbacks and runs them in reverse order, once, tolerating failures. */
export class DisposableStack {
  private readonly fns: (() => unknown)[] = [];
  private disposed = false;
  defer(fn: () => unknown): void {
    if (this.disposed) {
      void Promise.resolve().then(fn);
      return;
    }
    this.fns.push(fn);
  }
  async dispose(): Promise<Error[]> {
    this.disposed = true;
    const errors: Error[] = [];
    while (this.fns.length) {
      const fn = this.fns.pop();
      try {
        await fn?.();
      } catch (e) {
        errors.push(e instanceof Error ? e : new Error(String(e)));
      }
    }
    return errors;
  }
}
