import { test } from 'node:test';
import assert from 'node:assert/strict';
import dnsPacket from 'dns-packet';
import { QueryStats, classify } from './query-stats.js';

const RCODES: Record<string, number> = { NOERROR: 0, SERVFAIL: 2, NXDOMAIN: 3, REFUSED: 5 };
// dns-packet encodes the rcode from the low bits of `flags`.
const reply = (rcode: string, answers: number) =>
  dnsPacket.encode({
    type: 'response',
    id: 1,
    flags: RCODES[rcode] ?? 0,
    questions: [{ type: 'A', name: 'x.example' }],
    answers: Array.from({ length: answers }, () => ({
      type: 'A' as const,
      name: 'x.example',
      data: '10.0.0.1',
    })),
  } as dnsPacket.Packet);

test('replies are classified by rcode and answer count', () => {
  assert.equal(classify(reply('NOERROR', 1)), 'answer');
  assert.equal(classify(reply('NOERROR', 0)), 'nodata');
  assert.equal(classify(reply('NXDOMAIN', 0)), 'nxdomain');
  assert.equal(classify(reply('SERVFAIL', 0)), 'servfail');
  assert.equal(classify(reply('REFUSED', 0)), 'refused');
  const s = new QueryStats();
  s.count(reply('NXDOMAIN', 0));
  s.count(undefined);
  s.count(Buffer.alloc(3));
  assert.equal(s.counts.nxdomain, 1);
  assert.equal(
    Object.values(s.counts).reduce((a, b) => a + b, 0),
    1,
  );
});
