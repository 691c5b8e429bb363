/**
 * Regenerates the generated sections of docs/compat.md from the action tables (parameters from
 * the input shapes), the error registry and the IaC call lists (scripts/iac-calls.ts). Hand-written text outside the GENERATED markers is
 * kept. Run: `npm run docs:compat`. test/docs/compat.test.ts fails when the file is stale.
 */
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SERVICES } from '../src/api/pipeline.js';
import type { Shape } from '../src/api/query/shapes.js';
import { ERROR_CODES } from '../src/control/errors.js';
import { AWS_EC2_ACTIONS, AWS_ELBV2_ACTIONS, AWS_STS_ACTIONS } from '../src/api/aws-actions.js';
import { ANSIBLE, TERRAFORM, splitCall, type Call } from './iac-calls.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const COMPAT_PATH = join(ROOT, 'docs', 'compat.md');

function wireParams(shape: Shape, prefix: string, dialect: 'ec2' | 'query', out: string[]): void {
  switch (shape.kind) {
    case 'struct':
      for (const [k, m] of Object.entries(shape.members))
        wireParams(m, prefix ? `${prefix}.${k}` : k, dialect, out);
      return;
    case 'list': {
      const p = dialect === 'query' ? `${prefix}.member.N` : `${prefix}.N`;
      if (shape.of.kind === 'struct') wireParams(shape.of, p, dialect, out);
      else out.push(p + (shape.required ? ' (required)' : ''));
      return;
    }
    case 'string':
    case 'int':
    case 'bool':
      out.push(prefix + (shape.required ? ' (required)' : ''));
      return;
  }
}

export function generatedActions(): string {
  const lines: string[] = [];
  for (const svc of SERVICES) {
    lines.push(
      `### ${svc.name.toUpperCase()} (Version ${svc.version})`,
      '',
      '| Action | Wire parameters |',
      '|---|---|',
    );
    for (const [name, def] of Object.entries(svc.actions).sort(([a], [b]) => a.localeCompare(b))) {
      if (!def) continue;
      const params: string[] = [];
      wireParams(def.input, '', svc.dialect, params);
      lines.push(`| \`${name}\` | ${params.length ? params.map((p) => `\`${p}\``).join(', ') : '—'} |`);
    }
    lines.push('');
  }
  return lines.join('\n');
}

export function generatedErrors(): string {
  const lines = ['| Code | HTTP | Meaning |', '|---|---|---|'];
  for (const [code, { status, doc }] of Object.entries(ERROR_CODES))
    lines.push(`| \`${code}\` | ${status} | ${doc} |`);
  return lines.join('\n') + '\n';
}

const AWS_ACTIONS = { ec2: AWS_EC2_ACTIONS, elbv2: AWS_ELBV2_ACTIONS, sts: AWS_STS_ACTIONS };

/** How privlink answers a call: implemented, AWS's UnsupportedOperation, or not an AWS action at all. */
export function callStatus(call: Call): 'implemented' | 'unsupported' | 'unknown' {
  const { service, action } = splitCall(call);
  const svc = SERVICES.find((s) => s.name === service);
  if (svc?.actions[action]) return 'implemented';
  return AWS_ACTIONS[service]?.has(action) ? 'unsupported' : 'unknown';
}

function callCell(calls: readonly Call[]): string {
  if (!calls.length) return '—';
  return calls
    .map((c) => (callStatus(c) === 'implemented' ? `\`${c}\`` : `\`${c}\` (UnsupportedOperation)`))
    .join(' → ');
}

export function generatedIac(): string {
  const lines = [
    '### Terraform AWS provider v5',
    '',
    'Per resource, the calls of each phase in the order the provider makes them (waiters included,',
    'once each). The replays in test/iac/terraform/ make exactly these calls through the AWS SDK.',
    '',
    '| Resource | Provider file | Create | Read (refresh) | Update | Delete |',
    '|---|---|---|---|---|---|',
  ];
  for (const r of TERRAFORM) {
    const cells = [r.create, r.read, r.update ?? [], r.delete ?? []].map(callCell);
    lines.push(`| \`${r.name}\` | \`${r.source}\` | ${cells.join(' | ')} |`);
  }
  lines.push('', 'Calls outside the replayed cases:', '');
  for (const r of TERRAFORM) if (r.notes) lines.push(`- \`${r.name}\`: ${r.notes}`);
  lines.push(
    '',
    '### Ansible (amazon.aws 5.5.1, community.aws 5.5.0)',
    '',
    'Every call each module can make (module_utils included). test/iac/ansible.test.ts records what',
    'the playbooks send and fails on a call missing here.',
    '',
    '| Module | Source | Calls |',
    '|---|---|---|',
  );
  for (const m of ANSIBLE) {
    const calls = m.calls.map((c) =>
      callStatus(c) === 'implemented' ? `\`${c}\`` : `\`${c}\` (UnsupportedOperation)`,
    );
    lines.push(`| \`${m.name}\` | \`${m.source}\` | ${calls.join(', ')} |`);
  }
  return lines.join('\n') + '\n';
}

export function replaceSection(text: string, name: string, body: string): string {
  const begin = `<!-- BEGIN GENERATED: ${name} -->`;
  const end = `<!-- END GENERATED: ${name} -->`;
  const i = text.indexOf(begin);
  const j = text.indexOf(end);
  if (i < 0 || j < 0) throw new Error(`docs/compat.md lacks the ${name} markers`);
  return text.slice(0, i + begin.length) + '\n\n' + body + '\n' + text.slice(j);
}

export function renderCompat(current: string): string {
  const sections: [string, string][] = [
    ['actions', generatedActions()],
    ['errors', generatedErrors()],
    ['iac', generatedIac()],
  ];
  return sections.reduce((text, [name, body]) => replaceSection(text, name, body), current);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (!existsSync(COMPAT_PATH)) throw new Error('docs/compat.md is missing');
  writeFileSync(COMPAT_PATH, renderCompat(readFileSync(COMPAT_PATH, 'utf8')));
  console.log('docs/compat.md regenerated');
}
