/**
 * A fake `Runner` for unit tests of the apply side: records every command (argv and stdin) and
 * answers from a list of rules (first match wins; default: success with empty output). Starts no
 * process, needs no root.
 */
import { CommandError, type RunResult, type Runner, type SpawnSpec } from './runner.js';
import type { ChildProcess } from 'node:child_process';
import { renderCommands } from './commands.js';

export interface RecordedCall {
  argv: string[];
  input?: string;
}

type Answer = Partial<RunResult> | { fail: string; code?: number };

export class RecordingRunner implements Runner {
  readonly calls: RecordedCall[] = [];
  readonly killed: number[] = [];
  private readonly rules: { match: (argv: readonly string[]) => boolean; answer: Answer }[] = [];

  /** Answers commands whose argv joined by spaces contains `pattern` (or matches the regex). */
  on(pattern: string | RegExp, answer: Answer): this {
    const test =
      typeof pattern === 'string'
        ? (a: readonly string[]) => a.join(' ').includes(pattern)
        : (a: readonly string[]) => pattern.test(a.join(' '));
    this.rules.push({ match: test, answer });
    return this;
  }

  run(argv: readonly string[], input?: string): Promise<RunResult> {
    this.calls.push({ argv: [...argv], ...(input !== undefined ? { input } : {}) });
    const answer = this.rules.find((r) => r.match(argv))?.answer ?? {};
    if ('fail' in answer) return Promise.reject(new CommandError(argv, answer.code ?? 1, answer.fail));
    return Promise.resolve({ stdout: answer.stdout ?? '', stderr: answer.stderr ?? '' });
  }

  spawn(argv: readonly string[], _spec: SpawnSpec): ChildProcess {
    throw new Error(`RecordingRunner does not start processes (${argv.join(' ')})`);
  }

  kill(pid: number): void {
    this.killed.push(pid);
  }

  /** Every recorded command as one text (argv line, then stdin indented). */
  get transcript(): string {
    return renderCommands(this.calls);
  }
}
