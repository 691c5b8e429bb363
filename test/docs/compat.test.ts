/**
 * docs/compat.md must list every action (with its parameters), every error code and the IaC call
 * lists, as generated.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { COMPAT_PATH, callStatus, renderCompat } from '../../scripts/gen-compat.js';
import { ANSIBLE, TERRAFORM } from '../../scripts/iac-calls.js';
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

test('every call the IaC lists name is an action AWS has', () => {
  const calls = [
    ...TERRAFORM.flatMap((r) => [...r.create, ...r.read, ...(r.update ?? []), ...(r.delete ?? [])]),
    ...ANSIBLE.flatMap((m) => m.calls),
  ];
  assert.deepEqual(
    calls.filter((c) => callStatus(c) === 'unknown'),
    [],
  );
});

test('every Terraform resource listed has a replay under test/iac/terraform', () => {
  const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'iac', 'terraform');
  const sources = readdirSync(dir)
    .filter((f) => f.endsWith('.test.ts'))
    .map((f) => readFileSync(join(dir, f), 'utf8'))
    .join('\n');
  const missing = TERRAFORM.filter((r) => !sources.includes(`'${r.name}'`)).map((r) => r.name);
  assert.deepEqual(missing, []);
});
