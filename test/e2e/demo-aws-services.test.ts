/**
 * `privlink demo --aws-services` as a user runs it: a subprocess whose exit status and step
 * lines say that the instance's aws CLI listed VPCs through the ec2 endpoint, was refused by the
 * endpoint policy, and read back an object written through the S3 gateway endpoint.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { requireNetns } from '../helpers/netns.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

function runDemo(timeoutMs: number): Promise<{ code: number; out: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, ['bin/privlink.js', 'demo', '--aws-services', '--port', '0'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, CI: 'true' },
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code: code ?? 1, out });
    });
  });
}

test('privlink demo --aws-services passes every step and exits 0', { timeout: 60_000 }, async (t) => {
  if (!(await requireNetns(t, 'the AWS-services demo'))) return;
  const r = await runDemo(40_000);
  assert.equal(r.code, 0, r.out);
  const passed = [...r.out.matchAll(/^\[PASS\] (\d+)\. /gm)].map((m) => Number(m[1]));
  assert.deepEqual(passed, [1, 2, 3, 4, 5, 6], r.out);
  assert.doesNotMatch(r.out, /^\[FAIL\]/m);
  assert.match(r.out, /^demo passed: 6 steps/m);
  assert.match(r.out, /ec2\.us-east-1\.amazonaws\.com → 10\.0\.1\.\d+ \(the endpoint's ENI\)/);
  assert.match(r.out, /aws ec2 describe-vpcs → vpc-[0-9a-f]{17}/);
  assert.match(r.out, /\(UnauthorizedOperation\).*explicit deny in a VPC endpoint policy/);
  assert.match(r.out, /s3\.us-east-1\.amazonaws\.com → 198\.18\.16\.10/);
  assert.match(r.out, /read back: "hello from i-[0-9a-f]{17}"/);
});
