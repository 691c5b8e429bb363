import { test } from 'node:test';
import assert from 'node:assert/strict';
import { systemRunner } from './system-runner.js';
import { CommandError } from './runner.js';

test('a command that exits before reading its input fails with its status, not an EPIPE crash', async () => {
  // 4 MB cannot fit the pipe: the write is still going when `sh` exits, so stdin gets EPIPE.
  const input = 'x'.repeat(4 * 1024 * 1024);
  const crashed: unknown[] = [];
  const onCrash = (e: unknown) => crashed.push(e);
  process.on('uncaughtException', onCrash);
  try {
    for (let i = 0; i < 5; i++) {
      await assert.rejects(systemRunner.run(['sh', '-c', 'exit 3'], input), (e: unknown) => {
        assert.ok(e instanceof CommandError);
        assert.equal(e.code, 3);
        return true;
      });
    }
    await new Promise((r) => setTimeout(r, 50));
  } finally {
    process.off('uncaughtException', onCrash);
  }
  assert.deepEqual(crashed, []);
});
