/**
 * Store failures seen through the API (issue 11, item 4): with the write lock held by another
 * connection the request answers RequestLimitExceeded 503, on a full disk InternalError 500; in
 * both cases nothing of the request is visible and the server keeps working afterwards.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { CreateVpcCommand, DescribeVpcsCommand } from '@aws-sdk/client-ec2';
import { ec2Client, expectAwsError, startPrivlink } from '../helpers/privlink.js';

const bigTags = Array.from({ length: 40 }, (_, i) => ({ Key: `k${i}`, Value: 'v'.repeat(250) }));

test('a write lock held elsewhere: RequestLimitExceeded 503, nothing written, server still works', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'privlink-busy-api-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const p = await startPrivlink(t, { ephemeral: false, dataDir });
  const ec2 = ec2Client(p);
  await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));

  const other = new Database(join(dataDir, 'privlink.db'));
  other.pragma('busy_timeout = 0');
  other.exec('BEGIN IMMEDIATE');
  const started = Date.now();
  try {
    await expectAwsError(
      ec2.send(new CreateVpcCommand({ CidrBlock: '10.1.0.0/16' })),
      'RequestLimitExceeded',
      503,
    );
  } finally {
    other.exec('ROLLBACK');
    other.close();
  }
  assert.ok(Date.now() - started < 2000, 'the lock wait is bounded well below a client timeout');
  const after = await ec2.send(new DescribeVpcsCommand({}));
  assert.deepEqual(
    after.Vpcs?.map((v) => v.CidrBlock),
    ['10.0.0.0/16'],
  );
  await ec2.send(new CreateVpcCommand({ CidrBlock: '10.2.0.0/16' }));
  const again = await ec2.send(new DescribeVpcsCommand({}));
  assert.deepEqual(
    again.Vpcs?.map((v) => v.CidrBlock),
    ['10.0.0.0/16', '10.2.0.0/16'],
  );
});

test('a full disk: InternalError 500, no phantom resource, writes resume when space returns', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'privlink-full-api-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', dataDir]);
  let p: Awaited<ReturnType<typeof startPrivlink>> | undefined;
  t.after(async () => {
    await p?.close();
    execFileSync('umount', ['-l', dataDir]);
    rmSync(dataDir, { recursive: true, force: true });
  });
  p = await startPrivlink({ after: () => undefined }, { ephemeral: false, dataDir });
  const ec2 = ec2Client(p);
  await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));

  const filler = join(dataDir, 'filler');
  const fd = openSync(filler, 'w');
  for (const size of [64 * 1024, 512]) {
    try {
      for (;;) writeSync(fd, Buffer.alloc(size, 1));
    } catch {
      // ENOSPC: full
    }
  }
  closeSync(fd);

  for (let i = 0; i < 2; i++) {
    await expectAwsError(
      ec2.send(
        new CreateVpcCommand({
          CidrBlock: '10.1.0.0/16',
          TagSpecifications: [{ ResourceType: 'vpc', Tags: bigTags }],
        }),
      ),
      'InternalError',
      500,
    );
  }
  const during = await ec2.send(new DescribeVpcsCommand({}));
  assert.deepEqual(
    during.Vpcs?.map((v) => v.CidrBlock),
    ['10.0.0.0/16'],
    'the failed CreateVpc left nothing behind',
  );

  rmSync(filler);
  await ec2.send(new CreateVpcCommand({ CidrBlock: '10.2.0.0/16' }));
  await p.close();
  p = await startPrivlink({ after: () => undefined }, { ephemeral: false, dataDir });
  const reopened = await ec2Client(p).send(new DescribeVpcsCommand({}));
  assert.deepEqual(
    reopened.Vpcs?.map((v) => v.CidrBlock),
    ['10.0.0.0/16', '10.2.0.0/16'],
  );
});
