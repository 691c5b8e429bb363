/**
 * Golden-text comparison for unit tests: the generated text must equal the checked-in file
 * next to the test (`golden/<name>`). With `UPDATE_GOLDEN=1` the file is (re)written instead,
 * so a deliberate change is one command and a reviewed diff.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export function assertGolden(testUrl: string, name: string, actual: string): void {
  const file = fileURLToPath(new URL(`./golden/${name}`, testUrl));
  if (process.env['UPDATE_GOLDEN'] === '1') {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, actual);
    return;
  }
  assert.ok(existsSync(file), `golden file golden/${name} is missing (run with UPDATE_GOLDEN=1)`);
  assert.equal(actual, readFileSync(file, 'utf8'), `output differs from golden/${name}`);
}
