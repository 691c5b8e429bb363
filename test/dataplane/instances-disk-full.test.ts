/**
 * A full filesystem under the root volumes fails only the instance that needs space: the volumes
 * dir is a small tmpfs; instance A's user data fills it (blocks and inodes) and keeps running with
 * `No space left on device` inside; B, launched onto the full filesystem, stops with a
 * `Server.InternalError` state reason instead of being retried forever; the API, the store and A
 * carry on, and once space is free again B starts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeInstanceStatusCommand,
  DescribeInstancesCommand,
  GetConsoleOutputCommand,
  RunInstancesCommand,
  StartInstancesCommand,
  type Instance,
} from '@aws-sdk/client-ec2';
import { createComponents, createDataplane } from '../../src/components.js';
import type { Privlink } from '../../src/emulator.js';
import { netnsSkip } from '../helpers/netns.js';
import { ec2Client, eventually, startPrivlink } from '../helpers/privlink.js';

const exec = promisify(execFile);
const PREFIX = 'tdf';
const skip = await netnsSkip('full-disk tests');

/** Fills the root volume's filesystem: space first, then inodes (tmpfs directories need one). */
const FILL = `#!/bin/sh
dd if=/dev/zero of=/fill bs=1M count=64 2>&1 | grep -o 'No space left on device' | head -1
i=0
while mkdir /d$i 2>/dev/null; do i=$((i+1)); done
echo "filled: $i directories"
echo still-writable-memory > /tmp/ok && echo "tmp ok"
`;

test(
  'full disk: the instance whose volume cannot be created fails with a Server. reason; others, the API and the store carry on',
  { skip, timeout: 90_000 },
  async (t) => {
    const dataDir = await mkdtemp(join(process.cwd(), '.privlink-diskfull-'));
    const volumes = join(dataDir, 'volumes');
    await mkdir(volumes);
    const started: { p?: Privlink } = {};
    let mounted = false;
    // Registered first, so it runs even if start-up fails; closing is idempotent.
    t.after(async () => {
      await started.p?.close();
      if (mounted) await exec('umount', ['-l', volumes]).catch(() => undefined);
      await rm(dataDir, { recursive: true, force: true });
    });
    await exec('mount', ['-t', 'tmpfs', '-o', 'size=8m,nr_inodes=300,mode=700', 'privlink-test', volumes]);
    mounted = true;
    const p = await startPrivlink(
      t,
      { dataplane: 'netns', netnsPrefix: PREFIX, ephemeral: false, dataDir, pendingMs: 50 },
      { dataplane: createDataplane, components: createComponents },
    );
    started.p = p;
    const ec2 = ec2Client(p);
    const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
    const sn = await ec2.send(
      new CreateSubnetCommand({
        VpcId: vpc.Vpc?.VpcId,
        CidrBlock: '10.0.1.0/24',
        AvailabilityZone: 'us-east-1a',
      }),
    );
    const subnetId = sn.Subnet?.SubnetId ?? '';
    const launch = async (userData?: string) => {
      const r = await ec2.send(
        new RunInstancesCommand({
          ImageId: 'ami-0123456789abcdef0',
          MinCount: 1,
          MaxCount: 1,
          SubnetId: subnetId,
          ...(userData ? { UserData: Buffer.from(userData).toString('base64') } : {}),
        }),
      );
      return r.Instances?.[0]?.InstanceId ?? '';
    };
    const describe = async (id: string): Promise<Instance | undefined> =>
      (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }))).Reservations?.[0]?.Instances?.[0];
    const consoleOf = async (id: string) =>
      Buffer.from(
        (await ec2.send(new GetConsoleOutputCommand({ InstanceId: id }))).Output ?? '',
        'base64',
      ).toString();

    const a = await launch(FILL);
    const filled = await eventually(
      () => consoleOf(a),
      (c) => c.includes('tmp ok'),
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    assert.match(filled, /No space left on device/);
    const df = await exec('df', ['--output=avail,iavail', volumes]);
    assert.match(df.stdout.trim().split('\n')[1] ?? '', /^\s*0\s+0\s*$/, `volumes full: ${df.stdout}`);

    const b = await launch();
    const failed = await eventually(
      () => describe(b),
      (i) => i?.State?.Name === 'stopped',
      { timeoutMs: 15_000, intervalMs: 100 },
    );
    assert.equal(failed?.StateReason?.Code, 'Server.InternalError');
    assert.match(failed?.StateReason?.Message ?? '', /no space left on device/i);
    assert.match(await consoleOf(b), /cannot start: no space left on device/);

    // A still runs and is sound; the API answers; the store holds both instances.
    assert.equal((await describe(a))?.State?.Name, 'running');
    const status = await ec2.send(new DescribeInstanceStatusCommand({ InstanceIds: [a] }));
    assert.equal(status.InstanceStatuses?.[0]?.InstanceStatus?.Status, 'ok');
    const all = await ec2.send(new DescribeInstancesCommand({}));
    const ids = (all.Reservations ?? []).flatMap((r) => r.Instances ?? []).map((i) => i.InstanceId);
    assert.deepEqual(new Set(ids), new Set([a, b]));

    // Space back (the filesystem grows; files under a mounted overlay's upper layer cannot be
    // freed from outside it), B starts.
    await exec('mount', ['-o', 'remount,size=32m,nr_inodes=4000', volumes]);
    await ec2.send(new StartInstancesCommand({ InstanceIds: [b] }));
    await eventually(
      async () =>
        (await ec2.send(new DescribeInstanceStatusCommand({ InstanceIds: [b] }))).InstanceStatuses?.[0],
      (s) => s?.InstanceStatus?.Status === 'ok',
      { timeoutMs: 20_000, intervalMs: 250 },
    );
  },
);
