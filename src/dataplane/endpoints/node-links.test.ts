import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderCommands } from '../netns/commands.js';
import { RecordingRunner } from '../netns/recording-runner.js';
import { assertGolden } from '../testing/golden.js';
import { legName, linkNamespaces, linkPlan } from './node-links.js';

const eni = { namespace: 'pl-eni-1', address: '169.254.0.11', key: 'eni-1' };
const node = { namespace: 'pl-eni-2', address: '169.254.0.10', key: 'eni-2' };

test('point-to-point link: veth pair and a /32 route at each end (golden)', () => {
  const plan = linkPlan(eni, node);
  assertGolden(import.meta.url, 'node-link.txt', renderCommands([plan.add, ...plan.ends]));
});

test('a leftover leg is removed and the add retried once', async () => {
  let adds = 0;
  const runner = new RecordingRunner();
  const run = runner.run.bind(runner);
  runner.run = (argv, input) => {
    if (input?.startsWith('link add') && adds++ === 0) {
      runner.calls.push({ argv: [...argv], input });
      return Promise.reject(new Error('File exists'));
    }
    return run(argv, input);
  };
  await linkNamespaces(runner, eni, node);
  const argvs = runner.calls.map((c) => c.argv.join(' '));
  assert.equal(argvs[1], `ip -n pl-eni-1 link del ${legName(node)}`);
  assert.equal(argvs.length, 5);
});
