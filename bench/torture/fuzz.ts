/**
 * Fuzz campaign (`npm run torture -- fuzz [--seed N] [--requests N]`, or TORTURE_SEED /
 * TORTURE_REQUESTS): random requests to every action of the EC2, ELBv2 and STS tables against a
 * full provider/consumer world — the shape-driven mutations of test/robustness/fuzz-gen.ts, plus
 * wildcard filters, huge bodies (up to the 1 MiB limit), deeply nested and duplicated
 * parameters. The seed is random unless given and is printed first, so any run can be replayed.
 *
 * Properties (the campaign fails when one does not hold):
 * - no answer with a 5xx status, and nothing logged at error level;
 * - no event-loop stall over 100 ms in the server (perf_hooks.monitorEventLoopDelay in the
 *   server's thread, read after every request so a stall is pinned on the request that caused it).
 *   The delay is wall time, so on a shared machine the scheduler's pauses land in it too: a
 *   request over the limit is sent again three times (when it failed, and so wrote nothing) and
 *   the smallest of those stalls is its re-measured figure; both figures are printed, and the
 *   property is judged on the re-measured one;
 * - no partial write: a request that fails leaves the store digest as it was.
 */
import { randomInt } from 'node:crypto';
import { loadavg } from 'node:os';
import { Worker } from 'node:worker_threads';
import { EC2_ACTION_TABLE } from '../../src/api/actions/ec2/index.js';
import { ELBV2_ACTION_TABLE } from '../../src/api/actions/elbv2/index.js';
import { STS_ACTION_TABLE } from '../../src/api/actions/sts/index.js';
import type { ActionDef } from '../../src/api/actions/types.js';
import type { Privlink } from '../../src/emulator.js';
import { CONSUMER, PROVIDER } from '../../test/helpers/privlink.js';
import { Generator, encodePairs, rng, type Pool, type Rand } from '../../test/robustness/fuzz-gen.js';
import { envelopeProblems, rawPost } from '../../test/robustness/harness.js';
import { buildWorld } from '../../test/robustness/world.js';

const STALL_LIMIT_MS = 100;
const MAX_BODY = 1024 * 1024;
const STRANGER = '333333333333';

const SERVICES = [
  { version: '2016-11-15', signing: 'ec2', dialect: 'ec2', table: EC2_ACTION_TABLE },
  { version: '2015-12-01', signing: 'elasticloadbalancing', dialect: 'query', table: ELBV2_ACTION_TABLE },
  { version: '2011-06-15', signing: 'sts', dialect: 'query', table: STS_ACTION_TABLE },
] as const;

function arg(args: string[], flag: string, env: string): string | undefined {
  const i = args.indexOf(flag);
  return i >= 0 ? args[i + 1] : process.env[env];
}

/** Talks to the server worker. */
class Server {
  private next = 0;
  private readonly waiting = new Map<number, (v: unknown) => void>();
  constructor(private readonly w: Worker) {
    w.on('message', (m: { id?: number; out?: unknown }) => {
      if (m.id === undefined) return;
      this.waiting.get(m.id)?.(m.out);
      this.waiting.delete(m.id);
    });
  }
  ask<T>(op: string): Promise<T> {
    const id = this.next++;
    return new Promise((resolve) => {
      this.waiting.set(id, resolve as (v: unknown) => void);
      this.w.postMessage({ id, op });
    });
  }
}

const pickOf = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;

/** A wildcard pattern of up to 255 characters, from the shapes that backtracking regexes hate. */
function wildcard(r: Rand): string {
  const n = 1 + Math.floor(r() * 254);
  const kinds = [
    () => '*'.repeat(n) + 'Z',
    () => '*?'.repeat(Math.floor(n / 2)) + 'x',
    () => 'a*'.repeat(Math.floor(n / 2)) + 'b',
    () => Array.from({ length: n }, () => pickOf(r, ['*', '?', 'a', '-', '.', 'v', 'p', 'c'])).join(''),
    () => pickOf(r, ['vpc-*', 'vpce-*', '*', '?', '*available*', 'com.amazonaws.*']),
  ];
  return pickOf(r, kinds)();
}

const FILTER_NAMES = [
  'vpc-id',
  'service-name',
  'vpc-endpoint-state',
  'vpc-endpoint-id',
  'tag:Name',
  'tag-key',
  'tag-value',
  'service-id',
  'owner',
  'state',
  'subnet-id',
  'group-name',
  'instance-state-name',
  'key',
  'resource-id',
];

/** The extra request families the shape generator does not produce. */
function extra(r: Rand, dialect: 'ec2' | 'query'): { label: string; body: string } {
  const roll = r();
  if (roll < 0.45) {
    const filters = 1 + Math.floor(r() * 4);
    const parts: string[] = [];
    for (let f = 1; f <= filters; f++) {
      parts.push(`Filter.${f}.Name=${encodeURIComponent(pickOf(r, FILTER_NAMES))}`);
      const values = 1 + Math.floor(r() * (r() < 0.1 ? 260 : 5));
      for (let v = 1; v <= values; v++)
        parts.push(`Filter.${f}.Value.${v}=${encodeURIComponent(wildcard(r))}`);
    }
    return { label: 'wildcard', body: parts.join('&') };
  }
  if (roll < 0.7) {
    const depth = 1 + Math.floor(r() * (r() < 0.1 ? 20_000 : 50));
    const seg = pickOf(r, ['Filter.1', 'Value.1', 'member.1', 'Tag.1', 'a', '1', '']);
    const name = (
      pickOf(r, ['Filter.1.', 'TagSpecification.1.', 'Tags.member.1.', '']) + `${seg}.`.repeat(depth)
    ).slice(0, MAX_BODY / 2);
    return { label: 'nested', body: `${encodeURIComponent(name)}Key=x` };
  }
  if (roll < 0.95) {
    const name = pickOf(r, [
      'Filter.1.Name',
      'Filter.1.Value.1',
      'VpcEndpointId.1',
      'Names.member.1',
      'DryRun',
      'MaxResults',
      'Tags.member.1.Key',
    ]);
    const times = 2 + Math.floor(r() * (r() < 0.1 ? 20_000 : 20));
    return {
      label: 'duplicated',
      body: Array.from(
        { length: times },
        (_, i) => `${name}=${pickOf(r, ['vpc-*', '5', 'true', `x${i}`])}`,
      ).join('&'),
    };
  }
  // Huge: close to the body limit.
  const target = MAX_BODY - 512 - Math.floor(r() * 4096);
  const unit = pickOf(r, [
    (i: number) => (dialect === 'ec2' ? `VpcEndpointId.${i}=vpce-${i}` : `Names.member.${i}=n${i}`),
    (i: number) => `Filter.1.Value.${i}=*${i}*`,
    (i: number) => `Filter.${i}.Name=a`,
    (i: number) => `Zz${i}=1`,
    (i: number) => `TagSpecification.1.Tag.${i}.Key=k${i}`,
    () => 'a=b',
  ]);
  if (r() < 0.3)
    return { label: 'huge-value', body: `Filter.1.Name=vpc-id&Filter.1.Value.1=${'*'.repeat(target)}` };
  const parts: string[] = [];
  let size = 0;
  for (let i = 1; size < target; i++) {
    const u = unit(i);
    parts.push(u);
    size += u.length + 1;
  }
  parts.pop();
  return { label: 'huge', body: parts.join('&') };
}

export async function run(args: string[]): Promise<boolean> {
  const seed = Number(arg(args, '--seed', 'TORTURE_SEED') ?? randomInt(2 ** 31));
  const total = Number(arg(args, '--requests', 'TORTURE_REQUESTS') ?? 100_000);
  console.log(`fuzz: seed ${seed} (replay with TORTURE_SEED=${seed}), ${total} requests`);

  const entry = new URL('./fuzz-server.ts', import.meta.url).href;
  const worker = new Worker(
    `import('tsx/esm/api').then((m) => m.tsImport(${JSON.stringify(entry)}, ${JSON.stringify(import.meta.url)}));`,
    { eval: true },
  );
  const url = await new Promise<string>((resolve, reject) => {
    worker.once('message', (m: { url: string }) => resolve(m.url));
    worker.once('error', reject);
  });
  const server = new Server(worker);
  const p = { url } as Privlink;
  const world = await buildWorld(p);
  await server.ask('save');
  const byAccountRaw = await server.ask<Record<string, Record<string, string[]>>>('pool');
  const ids = new Map<string, string[]>();
  const byAccount = new Map<string, Map<string, string[]>>();
  const owners = new Map<string, string>();
  for (const [account, prefixes] of Object.entries(byAccountRaw)) {
    const mine = new Map<string, string[]>();
    for (const [prefix, list] of Object.entries(prefixes)) {
      mine.set(prefix, list);
      ids.set(prefix, [...(ids.get(prefix) ?? []), ...list]);
      for (const id of list) owners.set(id, account);
    }
    byAccount.set(account, mine);
  }
  const pool: Pool = {
    ids,
    byAccount,
    lbArns: [world.lbArn],
    tgArns: [world.tgArn],
    listenerArns: [world.listenerArn],
    serviceNames: [
      world.serviceName,
      'com.amazonaws.us-east-1.s3',
      'com.amazonaws.vpce.us-east-1.vpce-svc-0',
    ],
    principals: [`arn:aws:iam::${CONSUMER}:root`, '*', `arn:aws:iam::${CONSUMER}:role/app`, 'nonsense'],
  };
  const r = rng(seed);
  const actions = SERVICES.flatMap((svc) =>
    Object.entries(svc.table as Record<string, ActionDef | undefined>)
      .filter((e): e is [string, ActionDef] => e[1] !== undefined)
      .map(([name, def]) => ({ svc, name, def })),
  );
  const gens = new Map(SERVICES.map((s) => [s.dialect, new Generator(r, pool, s.dialect)]));

  let fiveXx = 0;
  let partial = 0;
  let badEnvelopes = 0;
  let maxStall = 0;
  let maxStallWhat = '';
  let overStall = 0;
  let maxRemeasured = 0;
  const overs: string[] = [];
  let restores = 0;
  const statuses = new Map<number, number>();
  const labels = new Map<string, number>();
  const examples: string[] = [];
  let before = await server.ask<string>('snapshot');
  await server.ask('stall');
  const started = performance.now();
  for (let n = 0; n < total; n++) {
    const { svc, name, def } = pickOf(r, actions);
    let account = r() < 0.9 ? (r() < 0.5 ? PROVIDER : CONSUMER) : STRANGER;
    let label: string;
    let body: Buffer;
    if (r() < 0.7) {
      const gen = gens.get(svc.dialect) as Generator;
      gen.account = account;
      const c = gen.case(def.input, Math.floor(r() * 1000));
      const named = c.pairs.map(([, v]) => owners.get(v)).find((o) => o !== undefined);
      if (named && r() < 0.85) account = named;
      label = c.label;
      const encoded = c.raw ?? Buffer.from(encodePairs(c.pairs));
      body = Buffer.concat([Buffer.from(`Action=${name}&Version=${svc.version}&`), encoded]);
    } else {
      const x = extra(r, svc.dialect);
      label = x.label;
      body = Buffer.from(`Action=${name}&Version=${svc.version}&${x.body}`.slice(0, MAX_BODY));
    }
    labels.set(label, (labels.get(label) ?? 0) + 1);
    const what = () => `#${n} ${name} [${label}] ${body.length} B: ${body.toString('utf8').slice(0, 160)}`;
    let answer;
    try {
      answer = await rawPost(p, body, { account, service: svc.signing, timeoutMs: 30_000 });
    } catch (e) {
      fiveXx++;
      if (examples.length < 20) examples.push(`no answer: ${what()}: ${String(e)}`);
      continue;
    }
    statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
    if (answer.status >= 500) {
      fiveXx++;
      if (examples.length < 20) examples.push(`${answer.status}: ${what()}: ${answer.body.slice(0, 200)}`);
    } else if (envelopeProblems(answer, svc.dialect).length) {
      badEnvelopes++;
    }
    const stall = await server.ask<number>('stall');
    if (stall > maxStall) {
      maxStall = stall;
      maxStallWhat = what();
    }
    if (stall > STALL_LIMIT_MS) {
      overStall++;
      let again = stall;
      if (answer.status !== 200) {
        for (let k = 0; k < 3; k++) {
          await server.ask('stall');
          await rawPost(p, body, { account, service: svc.signing, timeoutMs: 30_000 }).catch(() => undefined);
          again = Math.min(again, await server.ask<number>('stall'));
        }
      }
      maxRemeasured = Math.max(maxRemeasured, again);
      if (overs.length < 20) {
        overs.push(
          `${stall.toFixed(0)} ms, re-measured ${again.toFixed(0)} ms, load ${loadavg()[0]?.toFixed(1)}: ${what()}`,
        );
      }
    } else {
      maxRemeasured = Math.max(maxRemeasured, stall);
    }
    const after = await server.ask<string>('snapshot');
    if (answer.status !== 200 && after !== before) {
      partial++;
      if (examples.length < 20) examples.push(`partial write: ${what()}: ${answer.body.slice(0, 200)}`);
    }
    if (after !== before) {
      await server.ask('restore');
      restores++;
      before = await server.ask<string>('snapshot');
      await server.ask('stall');
    }
    if ((n + 1) % 10_000 === 0) {
      console.log(
        `  ${n + 1} requests, ${((performance.now() - started) / 1000).toFixed(0)} s: 5xx ${fiveXx}, max stall ${maxStall.toFixed(1)} ms, partial writes ${partial}`,
      );
    }
  }
  const errors = await server.ask<string[]>('errors');
  await server.ask('close');
  await worker.terminate();
  const secs = (performance.now() - started) / 1000;
  console.log(`fuzz: seed ${seed}: ${total} requests over ${actions.length} actions in ${secs.toFixed(0)} s`);
  console.log(`  statuses ${JSON.stringify(Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0])))}`);
  console.log(`  families ${JSON.stringify(Object.fromEntries(labels))}`);
  console.log(`  5xx or no answer: ${fiveXx} (must be 0)`);
  console.log(
    `  max event-loop stall: ${maxStall.toFixed(1)} ms as first measured, ${maxRemeasured.toFixed(1)} ms re-measured (must be ≤ ${STALL_LIMIT_MS}); ${overStall} requests over at first`,
  );
  console.log(`    worst: ${maxStallWhat}`);
  for (const o of overs) console.log(`    over: ${o}`);
  console.log(
    `  partial writes by failed requests: ${partial} (must be 0); ${restores} world restores after successful writes`,
  );
  console.log(`  malformed envelopes: ${badEnvelopes}; lines logged at error level: ${errors.length}`);
  for (const e of examples) console.log(`  ! ${e}`);
  for (const e of errors.slice(0, 5)) console.log(`  ! logged: ${e.slice(0, 400)}`);
  return fiveXx === 0 && maxRemeasured <= STALL_LIMIT_MS && partial === 0 && errors.length === 0;
}
