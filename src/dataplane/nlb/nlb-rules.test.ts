import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertGolden } from '../testing/golden.js';
import { SLOTS, fillSlots, renderNlbRules } from './nlb-rules.js';

test('NLB node rules: two listeners, health-check slots with a hole, one empty listener', () => {
  const script = renderNlbRules({
    nodeIp: '10.0.1.50',
    internalIp: '169.254.0.10',
    healthSourceIp: '169.254.0.2',
    listeners: [
      {
        port: 80,
        backends: [
          { ip: '10.0.2.10', port: 8080 },
          { ip: '10.0.2.11', port: 8080 },
        ],
      },
      { port: 81, backends: [] },
    ],
    healthChecks: [{ ip: '10.0.2.10', port: 8080 }, undefined, { ip: '10.0.2.11', port: 9000 }],
  });
  assertGolden(import.meta.url, 'nlb-rules.nft', script);
});

test('fillSlots spreads backends round robin over every slot', () => {
  const a = { ip: '10.0.0.1', port: 1 };
  const b = { ip: '10.0.0.2', port: 1 };
  const slots = fillSlots([a, b]);
  assert.equal(slots.length, SLOTS);
  assert.equal(slots.filter((s) => s === a).length, SLOTS / 2);
  assert.deepEqual(fillSlots([]), []);
});
