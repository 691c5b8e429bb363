/**
 * Enforces the module boundaries of docs/architecture.md: which top-level folder of src/ may
 * import which (tailscale's deptest idea). Type-only imports are allowed where the table says
 * "types".
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');

type Rule = { value: string[]; types: string[] };
/** folder → folders it may import at runtime (value) and for types only (types). */
const RULES: Record<string, Rule> = {
  shared: { value: ['shared'], types: [] },
  config: { value: ['config', 'shared'], types: [] },
  store: { value: ['store', 'shared'], types: ['control'] },
  control: { value: ['control', 'shared'], types: ['store', 'config'] },
  api: { value: ['api', 'control', 'shared'], types: ['config', 'store'] },
  dataplane: { value: ['dataplane', 'control', 'shared', 'dns'], types: ['store', 'config', '(root)'] },
  dns: { value: ['dns', 'control', 'shared'], types: ['store', 'config', 'dataplane', '(root)'] },
  cli: { value: ['cli', 'shared', 'config', '(root)', 'dns', 'demo'], types: ['control'] },
  demo: { value: ['demo', '(root)', 'dns', 'shared', 'config', 'dataplane'], types: [] },
  '(root)': {
    value: ['(root)', 'api', 'control', 'store', 'dataplane', 'dns', 'shared', 'config', 'cli', 'demo'],
    types: [],
  },
};

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.ts') && !p.endsWith('.test.ts') ? [p] : [];
  });
}

function area(file: string): string {
  const rel = relative(SRC, file);
  // The model (types and constant tables, no behaviour) may be imported by every layer.
  if (rel.startsWith('control/model/')) return 'model';
  return rel.includes('/') ? (rel.split('/')[0] ?? '(root)') : '(root)';
}

test('src/ folders import only in the directions the architecture allows', () => {
  const violations: string[] = [];
  for (const file of walk(SRC)) {
    const from = area(file) === 'model' ? 'control' : area(file);
    const rule = RULES[from];
    assert.ok(rule, `no boundary rule for folder ${from}`);
    const text = readFileSync(file, 'utf8');
    const re = /^\s*(import|export)\s+(type\s+)?[^;]*?from\s+'([^']+)'/gms;
    for (const m of text.matchAll(re)) {
      const spec = m[3] ?? '';
      if (!spec.startsWith('.')) continue;
      const target = area(resolve(dirname(file), spec));
      const typeOnly = Boolean(m[2]);
      if (target === 'model' || rule.value.includes(target)) continue;
      if (typeOnly && rule.types.includes(target)) continue;
      violations.push(
        `${relative(SRC, file)} → ${spec} (${from} may not ${typeOnly ? 'type-' : ''}import ${target})`,
      );
    }
  }
  assert.deepEqual(violations, []);
});

test('no exec/execSync from child_process anywhere in src/', () => {
  for (const file of walk(SRC)) {
    const text = readFileSync(file, 'utf8');
    assert.doesNotMatch(
      text,
      /import\s*\{[^}]*\b(exec|execSync)\b[^}]*\}\s*from\s*'node:child_process'/,
      file,
    );
  }
});
