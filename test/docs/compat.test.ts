/** docs/compat.md must list every action (with its parameters) and every error code, as generated. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { COMPAT_PATH, renderCompat } from '../../scripts/gen-compat.js';
import { SERVICES } from '../../src/api/pipeline.js';
import { ERROR_CODES } from '../../src/control/errors.js';

test('docs/compat.md is in step with the action tables and the error registry', () => {
  const text = readFileSync(COMPAT_PATH, 'utf8');
  for (const svc of SERVICES) {
    for (const action of Object.keys(svc.actions))
      assert.ok(text.includes(`\`${action}\``), `compat.md lacks ${action}`);
  }
  for (const code of Object.keys(ERROR_CODES))
    assert.ok(text.includes(`\`${code}\``), `compat.md lacks error ${code}`);
  assert.equal(text, renderCompat(text), 'docs/compat.md is stale: run `npm run docs:compat`');
});
