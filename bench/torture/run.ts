/**
 * `npm run torture -- NAME [ARGS…]`: long campaigns that try to break privlink (not tests, not
 * timed; each prints its figures and exits non-zero when a property does not hold).
 * Each campaign module exports `run(args: string[]): Promise<boolean>` (true = every property held).
 */
const CAMPAIGNS: Record<
  string,
  { description: string; load: () => Promise<{ run: (args: string[]) => Promise<boolean> }> }
> = {
  fuzz: {
    description: 'random requests to every action: no 5xx, no event-loop stall > 100 ms, no partial writes',
    load: () => import('./fuzz.js'),
  },
};

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
