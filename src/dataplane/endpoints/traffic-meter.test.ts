import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import type { Runner } from '../netns/runner.js';
import { TrafficMeter, countFlows, parseNftCounters } from './traffic-meter.js';

const counters = (conns: number, bin: number, bout: number) =>
  JSON.stringify({
    nftables: [
      { metainfo: { version: '1.0.6' } },
      { counter: { family: 'ip', name: 'conns', table: 'privlink_ep', packets: conns, bytes: conns * 60 } },
      { counter: { family: 'ip', name: 'bytes_in', table: 'privlink_ep', packets: 9, bytes: bin } },
      { counter: { family: 'ip', name: 'bytes_out', table: 'privlink_ep', packets: 9, bytes: bout } },
    ],
  });

test('nft counters: connections are packets of conns, bytes are bytes', () => {
  assert.deepEqual(parseNftCounters(counters(3, 500, 900)), { conns: 3, bytesIn: 500, bytesOut: 900 });
  assert.equal(countFlows('tcp 6 431999 ESTABLISHED src=1\ntcp 6 43 ESTABLISHED src=2\n'), 2);
  assert.equal(countFlows(''), 0);
});

test('totals stay monotonic when a rule reload resets the kernel counters; ENIs sum per endpoint', async () => {
  let reading = counters(5, 1000, 2000);
  const runner: Runner = {
    run: (argv) =>
      Promise.resolve({ stdout: argv.includes('nft') ? reading : 'tcp ESTABLISHED\n', stderr: '' }),
    spawn: () => ({}) as ChildProcess,
    kill: () => undefined,
  };
  const enis = [
    { eniId: 'eni-a', endpointId: 'vpce-1', eniIp: '10.0.1.5', namespace: 'ns-a' },
    { eniId: 'eni-b', endpointId: 'vpce-1', eniIp: '10.0.2.5', namespace: 'ns-b' },
  ];
  const meter = new TrafficMeter(runner, () => enis);
  const first = (await meter.read()).get('vpce-1');
  assert.deepEqual(first, { activeConnections: 2, connectionsTotal: 10, bytesIn: 2000, bytesOut: 4000 });
  reading = counters(1, 100, 100); // the table was replaced: counters restarted
  const second = (await meter.read()).get('vpce-1');
  assert.deepEqual(second, { activeConnections: 2, connectionsTotal: 12, bytesIn: 2200, bytesOut: 4200 });
});
