/**
 * Shape-driven fuzzing of every action in the EC2, ELBv2 and STS tables (iterated, not listed):
 * for each action a fixed-seed generator sends plausible and mutated requests from three
 * accounts against a full provider/consumer world. Every answer must be a 200 or a well-formed
 * 4xx AWS error envelope with a registered code, never a 5xx or a hang; a failed request must
 * leave every stored object untouched; nothing may be logged at error level.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EC2_ACTION_TABLE } from '../../src/api/actions/ec2/index.js';
import { ELBV2_ACTION_TABLE } from '../../src/api/actions/elbv2/index.js';
import { STS_ACTION_TABLE } from '../../src/api/actions/sts/index.js';
import type { ActionDef } from '../../src/api/actions/types.js';
import { KINDS } from '../../src/control/model/kinds.js';
import { ManualClock } from '../../src/shared/clock.js';
import { createLogger } from '../../src/shared/logger.js';
import { CONSUMER, PROVIDER, startPrivlink } from '../helpers/privlink.js';
import { Generator, encodePairs, rng, type Pool } from './fuzz-gen.js';
import {
  envelopeProblems,
  rawPost,
  restoreWorld,
  saveWorld,
  settle,
  sigv4Headers,
  snapshot,
} from './harness.js';
import { buildWorld } from './world.js';

const SEED = Number(process.env['PRIVLINK_FUZZ_SEED'] ?? 20260101);
const CASES_PER_ACTION = Number(process.env['PRIVLINK_FUZZ_CASES'] ?? 60);
const REPORT = process.env['PRIVLINK_FUZZ_REPORT'] === '1';
const STRANGER = '333333333333';

const SERVICES: {
  name: string;
  version: string;
  signing: string;
  dialect: 'ec2' | 'query';
  table: object;
}[] = [
  { name: 'ec2', version: '2016-11-15', signing: 'ec2', dialect: 'ec2', table: EC2_ACTION_TABLE },
  {
    name: 'elbv2',
    version: '2015-12-01',
    signing: 'elasticloadbalancing',
    dialect: 'query',
    table: ELBV2_ACTION_TABLE,
  },
  { name: 'sts', version: '2011-06-15', signing: 'sts', dialect: 'query', table: STS_ACTION_TABLE },
];

function changedKinds(a: string, b: string): string {
  const x = a.split('\n');
  const y = b.split('\n');
  return x
    .map((l, i) =>
      l === y[i] ? '' : `${l.slice(0, l.indexOf(':'))}: ${l.slice(0, 300)} => ${(y[i] ?? '').slice(0, 300)}`,
    )
    .filter(Boolean)
    .join('; ');
}

test('fuzz every action: only 200s and well-formed 4xx errors, failed requests change nothing', async (t) => {
  const errors: string[] = [];
  const logger = createLogger('error', (line) => errors.push(line));
  const clock = new ManualClock(Date.now());
  const p = await startPrivlink(t, {}, { clock, logger });
  const world = await buildWorld(p);
  const saved = saveWorld(p);

  const ids = new Map<string, string[]>();
  const byAccount = new Map<string, Map<string, string[]>>();
  const add = (m: Map<string, string[]>, prefix: string, id: string) =>
    m.set(prefix, [...(m.get(prefix) ?? []), id]);
  for (const k of KINDS) {
    for (const o of p.store.listAll(k)) {
      if (o.id.startsWith('arn:')) continue;
      const prefix = o.id.slice(0, o.id.lastIndexOf('-'));
      add(ids, prefix, o.id);
      const mine = byAccount.get(o.accountId) ?? new Map<string, string[]>();
      byAccount.set(o.accountId, mine);
      add(mine, prefix, o.id);
    }
  }
  const owners = new Map<string, string>();
  for (const k of KINDS) for (const o of p.store.listAll(k)) owners.set(o.id, o.accountId);
  owners.set(world.serviceName, PROVIDER);
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

  const r = rng(SEED);
  const failures: string[] = [];
  const statuses = new Map<number, number>();
  let sent = 0;
  const report = new Map<string, number>();
  let restores = 0;
  let actions = 0;
  const started = Date.now();
  let before = snapshot(p);
  for (const svc of SERVICES) {
    const gen = new Generator(r, pool, svc.dialect);
    for (const [action, def] of Object.entries(svc.table as Record<string, ActionDef | undefined>)) {
      if (!def) continue;
      actions++;
      for (let i = 0; i < CASES_PER_ACTION; i++) {
        // Mostly the two world accounts (their own resources), sometimes a stranger.
        let account = r() < 0.9 ? (r() < 0.5 ? PROVIDER : CONSUMER) : STRANGER;
        gen.account = account;
        const c = gen.case(def.input, i);
        // Usually sent as the owner of the first known resource the request names.
        const named = c.pairs.map(([, v]) => owners.get(v)).find((o) => o !== undefined);
        if (named && r() < 0.85) account = named;
        const envelope = `Action=${action}&Version=${svc.version}`;
        const encoded = c.raw ?? Buffer.from(encodePairs(c.pairs));
        const body = Buffer.concat([Buffer.from(envelope + (encoded.length ? '&' : '')), encoded]);
        const where = `${action} [${c.label}] as ${account}: ${body.toString('utf8').slice(0, 300)}`;
        let answer;
        try {
          answer = await rawPost(p, body, { account, service: svc.signing });
        } catch (e) {
          failures.push(`${where} → no answer: ${String(e)}`);
          continue;
        }
        sent++;
        if (REPORT && (c.label === 'valid' || c.label === 'dry-run')) {
          const code = /<Code>([^<]*)<\/Code>/.exec(answer.body)?.[1] ?? String(answer.status);
          const k = `${action} ${code}`;
          report.set(k, (report.get(k) ?? 0) + 1);
        }
        statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
        const problems = envelopeProblems(answer, svc.dialect);
        if (answer.status === 200) await settle();
        const after = snapshot(p);
        if (answer.status !== 200 && after !== before)
          problems.push(`a failed request changed the store (${changedKinds(before, after)})`);
        if (problems.length) failures.push(`${where} → ${problems.join(', ')}: ${answer.body.slice(0, 400)}`);
        if (after !== before) {
          await restoreWorld(p, saved);
          restores++;
          before = snapshot(p);
        }
      }
    }
  }
  const ms = Date.now() - started;
  t.diagnostic(
    `seed ${SEED}: ${actions} actions, ${sent} requests in ${ms} ms; statuses ${JSON.stringify(Object.fromEntries(statuses))}; ${restores} world restores`,
  );
  assert.ok(actions >= 80, `fuzzed ${actions} actions`);
  if (REPORT) for (const [k, n] of [...report].sort()) t.diagnostic(`${k} ×${n}`);
  for (const f of failures.slice(0, 40)) t.diagnostic(f);
  for (const e of errors.slice(0, 10)) t.diagnostic(e.slice(0, 1500));
  assert.deepEqual(failures.slice(0, 15), [], `${failures.length} bad answers`);
  assert.equal(statuses.get(500) ?? 0, 0, 'no InternalError');
  assert.deepEqual(errors.slice(0, 10), [], 'nothing logged at error level');
});

test('strict mode fuzz: signed garbage verifies and is judged; forged or unsigned garbage is a 403', async (t) => {
  const credentials = {
    AKIAFUZZPROVIDER0001: { secretAccessKey: 'fuzz-secret', accountId: PROVIDER },
  };
  const p = await startPrivlink(t, { credentials });
  const pool: Pool = {
    ids: new Map([['vpc', ['vpc-0123456789abcdef0']]]),
    byAccount: new Map(),
    lbArns: ['arn:aws:elasticloadbalancing:us-east-1:111111111111:loadbalancer/net/x/0123456789abcdef'],
    tgArns: ['arn:aws:elasticloadbalancing:us-east-1:111111111111:targetgroup/x/0123456789abcdef'],
    listenerArns: [
      'arn:aws:elasticloadbalancing:us-east-1:111111111111:listener/net/x/0123456789abcdef/0123456789abcdef',
    ],
    serviceNames: ['com.amazonaws.vpce.us-east-1.vpce-svc-0123456789abcdef0'],
    principals: ['*'],
  };
  const r = rng(SEED + 1);
  let sent = 0;
  const failures: string[] = [];
  for (const svc of SERVICES) {
    const gen = new Generator(r, pool, svc.dialect);
    gen.account = PROVIDER;
    for (const [action, def] of Object.entries(svc.table as Record<string, ActionDef | undefined>)) {
      if (!def) continue;
      // Mutations with raw bytes (non-UTF-8) and long values are where signing breaks first.
      for (const i of [0, 3, 8, 9, 10, 11]) {
        const c = gen.case(def.input, i);
        const encoded = c.raw ?? Buffer.from(encodePairs(c.pairs));
        const body = Buffer.concat([Buffer.from(`Action=${action}&Version=${svc.version}&`), encoded]);
        for (const secret of ['fuzz-secret', 'forged']) {
          const headers = await sigv4Headers(p, body, {
            accessKeyId: 'AKIAFUZZPROVIDER0001',
            secretAccessKey: secret,
            service: svc.signing,
          });
          const answer = await rawPost(p, body, { account: PROVIDER, service: svc.signing, headers });
          sent++;
          const problems = envelopeProblems(answer, svc.dialect);
          const code = /<Code>([^<]*)<\/Code>/.exec(answer.body)?.[1];
          if (secret === 'forged' && code !== 'SignatureDoesNotMatch')
            problems.push(`forged answered ${code ?? answer.status}`);
          if (secret !== 'forged' && answer.status === 403) problems.push(`signed request refused: ${code}`);
          if (problems.length) failures.push(`${action} [${c.label}/${secret}] → ${problems.join(', ')}`);
        }
        const unsigned = await rawPost(p, body, {
          account: PROVIDER,
          service: svc.signing,
          headers: { authorization: '' },
        });
        sent++;
        if (unsigned.status !== 403 || !/MissingAuthenticationToken/.test(unsigned.body)) {
          failures.push(
            `${action} [${c.label}/unsigned] → ${unsigned.status} ${unsigned.body.slice(0, 200)}`,
          );
        }
      }
    }
  }
  t.diagnostic(`strict: ${sent} requests`);
  assert.deepEqual(failures.slice(0, 15), [], `${failures.length} bad answers`);
});
