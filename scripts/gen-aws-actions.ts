/**
 * Regenerates src/api/aws-actions.ts: every action name AWS's EC2, ELBv2 and STS APIs have, read
 * from the command list of the pinned AWS SDK v3 clients (one `<Action>Command` per operation).
 * The pipeline answers UnsupportedOperation for these when privlink does not implement them, and
 * InvalidAction only for names AWS does not have. Run: `node --import tsx scripts/gen-aws-actions.ts`.
 * test/docs/aws-actions.test.ts fails when the file is stale.
 */
import { readdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const AWS_ACTIONS_PATH = join(ROOT, 'src', 'api', 'aws-actions.ts');

const CLIENTS = {
  ec2: '@aws-sdk/client-ec2',
  elbv2: '@aws-sdk/client-elastic-load-balancing-v2',
  sts: '@aws-sdk/client-sts',
} as const;

function actionsOf(pkg: string): string[] {
  const require = createRequire(join(ROOT, 'package.json'));
  const dir = join(dirname(require.resolve(`${pkg}/package.json`)), 'dist-types', 'commands');
  return readdirSync(dir)
    .filter((f) => f.endsWith('Command.d.ts'))
    .map((f) => f.slice(0, -'Command.d.ts'.length))
    .sort();
}

export function renderAwsActions(): string {
  const lines = [
    '/**',
    " * Every action name of AWS's EC2, ELBv2 and STS APIs, generated from the pinned AWS SDK v3",
    ' * clients by scripts/gen-aws-actions.ts. Do not edit by hand.',
    ' */',
    '',
  ];
  for (const [service, pkg] of Object.entries(CLIENTS)) {
    lines.push(`export const AWS_${service.toUpperCase()}_ACTIONS: ReadonlySet<string> = new Set([`);
    for (const a of actionsOf(pkg)) lines.push(`  '${a}',`);
    lines.push(']);', '');
  }
  return lines.join('\n');
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  writeFileSync(AWS_ACTIONS_PATH, renderAwsActions());
}
