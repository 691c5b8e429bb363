import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kernelVersion, bpfUnavailableReason, chooseDatapath } from './datapath-choice.js';
import { CommandError, type Runner } from '../netns/runner.js';

function runnerWithout(missing: string): Runner {
  return {
    run: (argv) =>
      argv[0] === missing
        ? Promise.reject(new CommandError(argv, 127, 'not found'))
        : Promise.resolve({ stdout: '', stderr: '' }),
  } as Runner;
}

test('kernel releases parse to major.minor', () => {
  assert.deepEqual(kernelVersion('6.1.0-18-amd64'), [6, 1]);
  assert.deepEqual(kernelVersion('5.10.209'), [5, 10]);
  assert.deepEqual(kernelVersion('garbage'), [0, 0]);
});

test('BPF needs kernel 5.13 and bpftool, tc and clang; the missing part is named', async () => {
  assert.match((await bpfUnavailableReason(runnerWithout('none'), '5.4.0')) ?? '', /older than 5\.13/);
  assert.match((await bpfUnavailableReason(runnerWithout('none'), '5.10.0')) ?? '', /bpf_for_each_map_elem/);
  assert.equal(await bpfUnavailableReason(runnerWithout('none'), '5.13.0'), undefined);
  assert.match(
    (await bpfUnavailableReason(runnerWithout('bpftool'), '6.1.0')) ?? '',
    /'bpftool' is not installed/,
  );
  assert.match((await bpfUnavailableReason(runnerWithout('clang'), '6.1.0')) ?? '', /apt-get install clang/);
});

test('auto falls back to nftables with the reason; bpf asked for fails instead', async () => {
  const d = await chooseDatapath(runnerWithout('bpftool'), 'auto');
  assert.equal(d.datapath, 'nftables');
  assert.match(d.reason, /bpftool.*using nftables/);
  await assert.rejects(
    chooseDatapath(runnerWithout('bpftool'), 'bpf'),
    /datapath=bpf requested but unavailable/,
  );
  assert.deepEqual(await chooseDatapath(runnerWithout('bpftool'), 'nftables'), {
    datapath: 'nftables',
    reason: 'requested with datapath=nftables',
  });
});
