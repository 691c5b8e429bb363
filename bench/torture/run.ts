/**
 * `npm run torture -- NAME [ARGS…]`: long campaigns that try to break privlink (not tests, not
 * timed; each prints its figures and exits non-zero when a property does not hold).
 * Each campaign module exports `run(args: string[]): Promise<boolean>` (true = every property held).
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const CAMPAIGNS: Record<
  string,
  { description: string; load: () => Promise<{ run: (args: string[]) => Promise<boolean> }> }
> = {
  fuzz: {
    description: 'random requests to every action: no 5xx, no event-loop stall > 100 ms, no partial writes',
    load: () => import('./fuzz.js'),
  },
  crash: {
    description:
      'kill -9 of privlink serve at random points: acknowledged writes kept, traffic back, no leaks',
    load: () => Promise.resolve({ run: (args) => runScript('crash.ts', args) }),
  },
  soak: {
    description: 'minutes of mixed API calls and endpoint traffic: RSS, fds, namespaces and conntrack flat',
    load: () => Promise.resolve({ run: (args) => runScript('soak.ts', args) }),
  },
};

/** The netns campaigns run their top level on import, so each gets its own process. */
function runScript(file: string, args: string[]): Promise<boolean> {
  const script = fileURLToPath(new URL(file, import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { stdio: 'inherit' });
  return new Promise((resolve) => child.on('exit', (code) => resolve(code === 0)));
}

const [name, ...args] = process.argv.slice(2);
const campaign = name ? CAMPAIGNS[name] : undefined;
if (!campaign) {
  console.error(
    `usage: npm run torture -- NAME [ARGS…]; campaigns:\n${Object.entries(CAMPAIGNS)
      .map(([n, c]) => `  ${n}: ${c.description}`)
      .join('\n')}`,
  );
  process.exit(2);
}
const ok = await (await campaign.load()).run(args);
process.exit(ok ? 0 : 1);
