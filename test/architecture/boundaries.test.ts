/**
 * Enforces the module boundaries of docs/architecture.md over src/:
 * - which top-level folder may import which (tailscale's deptest idea; type-only imports are
 *   allowed where the table says "types");
 * - the API never touches the store: no store import, no `.store` access (it reads through the
 *   control plane's read services);
 * - the control plane does no I/O: no socket, file, process or HTTP module, no `fetch(`; outbound
 *   calls go through ports implemented in adapters/, which only the composition root (and dns/,
 *   for the shared DNS client) may import;
 * - no import circles (type-only imports count: a circle is a circle to a reader).
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
  api: { value: ['api', 'control', 'shared'], types: ['config'] },
  adapters: { value: ['adapters', 'shared'], types: ['control'] },
  dataplane: { value: ['dataplane', 'control', 'shared', 'dns'], types: ['store', 'config', '(root)'] },
  dns: { value: ['dns', 'control', 'shared', 'adapters'], types: ['store', 'config', 'dataplane', '(root)'] },
  cli: { value: ['cli', 'shared', 'config', '(root)', 'dns', 'demo'], types: ['control'] },
  demo: { value: ['demo', '(root)', 'dns', 'shared', 'config', 'dataplane'], types: [] },
  '(root)': {
    value: [
      '(root)',
      'api',
      'control',
      'store',
      'dataplane',
      'dns',
      'shared',
      'config',
      'cli',
      'demo',
      'adapters',
    ],
    types: [],
  },
};

/** Modules the control plane may not import: its outside world comes in through ports. */
const IO_MODULES =
  /^(node:)?(net|dgram|http|https|http2|tls|dns|child_process|fs|fs\/promises|worker_threads|cluster)$/;

/** The adapters dns/ shares (its forwarder uses the same DNS client and HOST:PORT parser). */
const SHARED_WITH_DNS = new Set(['adapters/dns-client.js', 'adapters/host-port.js']);

interface Import {
  spec: string;
  typeOnly: boolean;
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.ts') && !p.endsWith('.test.ts') ? [p] : [];
  });
}

const FILES = walk(SRC);
const TEXT = new Map(FILES.map((f) => [f, readFileSync(f, 'utf8')]));

function importsOf(file: string): Import[] {
  const re = /^\s*(?:import|export)\s+(type\s+)?[^;]*?from\s+'([^']+)'|^\s*import\s+'([^']+)'/gms;
  return [...(TEXT.get(file) ?? '').matchAll(re)].map((m) => ({
    spec: m[2] ?? m[3] ?? '',
    typeOnly: Boolean(m[1]),
  }));
}

function area(file: string): string {
  const rel = relative(SRC, file);
  // The model (types and constant tables, no behaviour) may be imported by every layer.
  if (rel.startsWith('control/model/')) return 'model';
  return rel.includes('/') ? (rel.split('/')[0] ?? '(root)') : '(root)';
}

/** Source text without comments (lines kept), so a comment naming `fetch(` or `.store` does not count. */
function code(file: string): string {
  return (TEXT.get(file) ?? '')
    .replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, ''))
    .replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

test('src/ folders import only in the directions the architecture allows', () => {
  const violations: string[] = [];
  for (const file of FILES) {
    const from = area(file) === 'model' ? 'control' : area(file);
    const rule = RULES[from];
    assert.ok(rule, `no boundary rule for folder ${from}`);
    for (const { spec, typeOnly } of importsOf(file)) {
      if (!spec.startsWith('.')) continue;
      const target = area(resolve(dirname(file), spec));
      if (target === 'model' || rule.value.includes(target)) continue;
      if (typeOnly && rule.types.includes(target)) continue;
      violations.push(
        `${relative(SRC, file)} → ${spec} (${from} may not ${typeOnly ? 'type-' : ''}import ${target})`,
      );
    }
  }
  assert.deepEqual(violations, []);
});

test('the API never touches the store: no store import, no .store access', () => {
  const violations: string[] = [];
  for (const file of FILES.filter((f) => area(f) === 'api')) {
    for (const { spec } of importsOf(file)) {
      if (spec.startsWith('.') && area(resolve(dirname(file), spec)) === 'store') {
        violations.push(`${relative(SRC, file)} imports ${spec}`);
      }
    }
    code(file)
      .split('\n')
      .forEach((line, i) => {
        if (/\.store\b/.test(line)) violations.push(`${relative(SRC, file)}:${i + 1}: ${line.trim()}`);
      });
  }
  assert.deepEqual(violations, []);
});

test('the control plane does no I/O: no socket, file, process or HTTP module, no fetch(', () => {
  const violations: string[] = [];
  for (const file of FILES.filter((f) => ['control', 'model'].includes(area(f)))) {
    for (const { spec } of importsOf(file)) {
      if (IO_MODULES.test(spec)) violations.push(`${relative(SRC, file)} imports ${spec}`);
    }
    if (/\bfetch\s*\(/.test(code(file))) violations.push(`${relative(SRC, file)} calls fetch(`);
  }
  assert.deepEqual(violations, []);
});

test('adapters/ are wired only by the composition root (and dns/ for the shared DNS client)', () => {
  const violations: string[] = [];
  for (const file of FILES) {
    const from = area(file);
    if (from === '(root)' || from === 'adapters') continue;
    for (const { spec } of importsOf(file)) {
      if (!spec.startsWith('.')) continue;
      const target = resolve(dirname(file), spec);
      if (area(target) !== 'adapters') continue;
      if (from === 'dns' && SHARED_WITH_DNS.has(relative(SRC, target))) continue;
      violations.push(`${relative(SRC, file)} imports ${spec}`);
    }
  }
  assert.deepEqual(violations, []);
});

/** Every circle of relative imports, each reported once from where the depth-first walk meets it. */
function importCycles(): string[] {
  const graph = new Map<string, string[]>();
  for (const file of FILES) {
    graph.set(
      file,
      importsOf(file)
        .filter((i) => i.spec.startsWith('.'))
        .map((i) => resolve(dirname(file), i.spec).replace(/\.js$/, '.ts'))
        .filter((target) => TEXT.has(target)),
    );
  }
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const cycles: string[] = [];
  const visit = (node: string) => {
    state.set(node, 'open');
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === 'open') {
        cycles.push([...stack.slice(stack.indexOf(next)), next].map((f) => relative(SRC, f)).join(' -> '));
      } else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(node, 'done');
  };
  for (const file of [...FILES].sort()) if (!state.has(file)) visit(file);
  return cycles;
}

test('no import circles in src/', () => {
  assert.deepEqual(importCycles(), []);
});

test('no exec/execSync from child_process anywhere in src/', () => {
  for (const file of FILES) {
    assert.doesNotMatch(
      TEXT.get(file) ?? '',
      /import\s*\{[^}]*\b(exec|execSync)\b[^}]*\}\s*from\s*'node:child_process'/,
      file,
    );
  }
});
