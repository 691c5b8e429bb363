/**
 * Denial of service from one request (issue 11, items 1–3): wildcard filters, oversized lists and
 * pathological parameter names must be answered in milliseconds with AWS's error, never keep the
 * event loop busy. The server runs in a worker thread so a regression fails on a deadline
 * instead of freezing the test run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startIsolated } from './isolated-server.js';

const EC2 = 'Version=2016-11-15';
/** Well above what these requests need when decoded in linear time; far below the old cost. */
const FAST_MS = 1000;

function code(body: string): string | undefined {
  return /<Code>([^<]*)<\/Code>/.exec(body)?.[1];
}

test('a wildcard filter of many stars is matched in linear time', async (t) => {
  const s = await startIsolated(t);
  const r = await s.post(
    `Action=DescribeVpcEndpointServices&${EC2}&Filter.1.Name=service-name&Filter.1.Value.1=************Z`,
  );
  assert.equal(r.status, 200, r.body);
  assert.ok(r.ms < FAST_MS, `took ${r.ms.toFixed(0)} ms`);
  // The same wildcard still means what it says.
  const hit = await s.post(
    `Action=DescribeVpcEndpointServices&${EC2}&Filter.1.Name=service-name&Filter.1.Value.1=*****s?`,
  );
  assert.match(hit.body, /<serviceName>com\.amazonaws\.us-east-1\.s3<\/serviceName>/);
});

test('filters and filter values are capped as AWS caps them, with FilterLimitExceeded', async (t) => {
  const s = await startIsolated(t);
  const values = Array.from({ length: 201 }, (_, i) => `Filter.1.Value.${i + 1}=v${i}`).join('&');
  const many = await s.post(`Action=DescribeVpcs&${EC2}&Filter.1.Name=vpc-id&${values}`);
  assert.equal(many.status, 400);
  assert.equal(code(many.body), 'FilterLimitExceeded');
  assert.match(many.body, /The maximum number of filter values specified on a single call is 200/);

  // The cap is per call: values spread over several filters count together.
  const spread = Array.from(
    { length: 3 },
    (_, f) =>
      `Filter.${f + 1}.Name=vpc-id&` +
      Array.from({ length: 70 }, (_, i) => `Filter.${f + 1}.Value.${i + 1}=v${i}`).join('&'),
  ).join('&');
  const spreadAnswer = await s.post(`Action=DescribeVpcs&${EC2}&${spread}`);
  assert.equal(code(spreadAnswer.body), 'FilterLimitExceeded');

  const long = await s.post(
    `Action=DescribeVpcs&${EC2}&Filter.1.Name=vpc-id&Filter.1.Value.1=${'*'.repeat(256)}`,
  );
  assert.equal(code(long.body), 'FilterLimitExceeded');
  assert.match(long.body, /The maximum length for a filter value is 255 characters/);

  const ok = await s.post(
    `Action=DescribeVpcs&${EC2}&Filter.1.Name=vpc-id&` +
      Array.from({ length: 200 }, (_, i) => `Filter.1.Value.${i + 1}=${'?*'.repeat(127)}x`).join('&'),
  );
  assert.equal(ok.status, 200, ok.body);
  assert.ok(ok.ms < FAST_MS, `200 values of 255 wildcards took ${ok.ms.toFixed(0)} ms`);
});

test('16,000 Filter.N.Name pairs are refused before they are walked', async (t) => {
  const s = await startIsolated(t);
  const pairs = (n: number) => Array.from({ length: n }, (_, i) => `Filter.${i + 1}.Name=a`).join('&');
  // Beyond the parameter cap the body is refused before a single pair is decoded, with AWS's
  // answer for too many filters…
  const r = await s.post(`Action=DescribeVpcEndpoints&${EC2}&${pairs(16_000)}`, { timeoutMs: 5000 });
  assert.equal(r.status, 400);
  assert.equal(code(r.body), 'FilterLimitExceeded');
  assert.ok(r.ms < FAST_MS, `took ${r.ms.toFixed(0)} ms`);
  // …and a huge list of anything else is too large.
  const ids = Array.from({ length: 16_000 }, (_, i) => `VpcEndpointId.${i + 1}=vpce-1`).join('&');
  const big = await s.post(`Action=DescribeVpcEndpoints&${EC2}&${ids}`, { timeoutMs: 5000 });
  assert.equal(big.status, 413);
  assert.equal(code(big.body), 'RequestEntityTooLarge');
  // …and within it, a Filter list over AWS's limit gets AWS's error before it is walked.
  const f = await s.post(`Action=DescribeVpcEndpoints&${EC2}&${pairs(4_000)}`, { timeoutMs: 5000 });
  assert.equal(f.status, 400);
  assert.equal(code(f.body), 'FilterLimitExceeded');
  assert.ok(f.ms < FAST_MS, `took ${f.ms.toFixed(0)} ms`);
});

test('a body of the maximum size in any shape is answered in linear time', async (t) => {
  const s = await startIsolated(t);
  const MAX = 1024 * 1024 - 200;
  const fill = (unit: (i: number) => string) => {
    const parts: string[] = [];
    let size = 0;
    for (let i = 1; size < MAX; i++) {
      const u = unit(i);
      parts.push(u);
      size += u.length + 1;
    }
    parts.pop();
    return parts.join('&');
  };
  const bodies: Record<string, string> = {
    'many list members': fill((i) => `VpcEndpointId.${i}=vpce-${i}`),
    'many nested values': fill((i) => `Filter.1.Value.${i}=x`),
    'one deep name': `DryRun=${'a.'.repeat(MAX / 2 - 10)}`,
    'deeply nested parameter': `Filter.1.${'Value.1.'.repeat(MAX / 8 - 10)}x=1`,
    'duplicated parameter': fill(() => 'Filter.1.Name=vpc-id'),
    'many unknown members': fill((i) => `Zz${i}.${i}=1`),
    'many tag specifications': fill((i) => `TagSpecification.1.Tag.${i}.Key=k${i}`),
  };
  for (const [what, rest] of Object.entries(bodies)) {
    const r = await s.post(`Action=DescribeVpcEndpoints&${EC2}&${rest}`, { timeoutMs: 5000 });
    t.diagnostic(`${what}: ${r.status} in ${r.ms.toFixed(0)} ms`);
    assert.ok(r.status < 500, `${what}: status ${r.status}`);
    assert.ok(r.ms < FAST_MS, `${what}: took ${r.ms.toFixed(0)} ms`);
  }
});
