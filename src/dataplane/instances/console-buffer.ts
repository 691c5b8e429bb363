/**
 * An instance's console: the last 64 KiB of what its user data wrote (stdout and stderr,
 * interleaved), plus privlink's own boot lines. GetConsoleOutput returns it; AWS likewise keeps
 * only the most recent 64 KB of console output.
 */
export const CONSOLE_LIMIT = 64 * 1024;

export class ConsoleBuffer {
  private chunks: Buffer[] = [];
  private size = 0;
  /** Epoch ms of the last write. */
  timestamp: number;

  constructor(private readonly now: () => number) {
    this.timestamp = now();
  }

  write(data: Buffer | string): void {
    const b = typeof data === 'string' ? Buffer.from(data) : data;
    if (b.length === 0) return;
    this.chunks.push(b);
    this.size += b.length;
    this.timestamp = this.now();
    if (this.size > CONSOLE_LIMIT * 2) this.compact();
  }

  private compact(): void {
    const all = Buffer.concat(this.chunks);
    const tail = all.subarray(all.length - CONSOLE_LIMIT);
    this.chunks = [tail];
    this.size = tail.length;
  }

  text(): string {
    const all = Buffer.concat(this.chunks);
    return all.subarray(Math.max(0, all.length - CONSOLE_LIMIT)).toString('utf8');
  }
}
