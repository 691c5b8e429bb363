/**
 * `npm run bench [-- NAME…]`: runs the benchmarks (not tests: nothing here fails a build).
 * Every figure is printed next to a baseline measured in the same run, as a ratio.
 * Each bench module exports `run(): Promise<void>`; add new ones to BENCHES. `--quick` sets
 * BENCH_QUICK=1 for the benches that have a shorter mode (dataplane).
 */
interface BenchEntry {
  name: string;
  description: string;
  load: () => Promise<{ run: () => Promise<void> }>;
}

const BENCHES: BenchEntry[] = [
  {
    name: 'api',
    description: 'control-plane API with 10,000 endpoints stored',
    load: () => import('./api.js'),
  },
  {
    name: 'dns',
    description: 'private DNS resolver with 10,000 names vs dnsmasq with the same hosts file',
    load: () => import('./dns.js'),
  },
  {
    name: 'dataplane',
    description:
      'endpoint traffic, nftables and BPF paths vs a direct veth path: throughput, conn/s, latency, PPv2, scale',
    load: () => import('./dataplane.js'),
  },
  {
    name: 'gwlb',
    description: 'GWLB endpoint + echo appliance vs the same two subnets direct: TCP, packets/s, latency',
    load: () => import('./gwlb.js'),
  },
  {
    name: 'instances',
    description: 'sandboxed instances: boot, stop, start, memory, 100 running',
    load: () => import('./instances.js'),
  },
  {
    name: 'console',
    description: 'web console snapshot, live update, page load and /metrics with 1,000 endpoints',
    load: () => import('./console.js'),
  },
  {
    name: 'aws-services',
    description:
      'sts through an interface endpoint vs 127.0.0.1; S3 GET through a gateway endpoint vs direct',
    load: () => import('./aws-services.js'),
  },
];

async function main(): Promise<void> {
  // --quick: each bench that has a quick mode (BENCH_QUICK) runs it: a few minutes, not a full run.
  const args = process.argv.slice(2);
  if (args.includes('--quick')) process.env['BENCH_QUICK'] = '1';
  const wanted = args.filter((a) => a !== '--quick');
  const unknown = wanted.filter((w) => !BENCHES.some((b) => b.name === w));
  if (unknown.length) {
    console.error(
      `unknown bench: ${unknown.join(', ')}; available: ${BENCHES.map((b) => b.name).join(', ')}`,
    );
    process.exitCode = 2;
    return;
  }
  for (const b of BENCHES) {
    if (wanted.length && !wanted.includes(b.name)) continue;
    console.log(`\n=== bench ${b.name}: ${b.description}`);
    const mod = await b.load();
    await mod.run();
  }
}

await main();
