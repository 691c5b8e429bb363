/**
 * Registered images end to end, as root with real sandboxes: a tiny busybox root filesystem
 * registered with the admin endpoint boots instances (its files, not the host's); an image whose
 * directory vanished fails only that instance's start (stopped, Server.InternalError) while the
 * server and the other instance carry on; DescribeInstanceStatus reads the sandbox's init
 * (initializing until the boot script has run, then ok).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, rm, symlink, writeFile, copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { rmSync } from 'node:fs';
import {
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeInstanceStatusCommand,
  DescribeInstancesCommand,
  GetConsoleOutputCommand,
  RunInstancesCommand,
  type EC2Client,
} from '@aws-sdk/client-ec2';
import { createComponents, createDataplane } from '../../src/components.js';
import { netnsSkip } from '../helpers/netns.js';
import { ec2Client, eventually, startPrivlink } from '../helpers/privlink.js';

const PREFIX = 'tim';
const skip = await netnsSkip('image tests');
const BUSYBOX = '/bin/busybox';
const APPLETS = [
  'sh',
  'cat',
  'echo',
  'hostname',
  'uname',
  'head',
  'grep',
  'cp',
  'chmod',
  'mkdir',
  'sleep',
  'ls',
  'kill',
];

/** A root filesystem of busybox alone, with a marker file and a slow per-boot script. */
async function busyboxRoot(dir: string): Promise<void> {
  for (const d of [
    'bin',
    'sbin',
    'etc',
    'proc',
    'sys',
    'dev',
    'tmp',
    'run',
    'var/lib/cloud/scripts/per-boot',
    'usr/bin',
  ]) {
    await mkdir(join(dir, d), { recursive: true });
  }
  await copyFile(BUSYBOX, join(dir, 'bin/busybox'));
  await chmod(join(dir, 'bin/busybox'), 0o755);
  for (const a of APPLETS) await symlink('busybox', join(dir, 'bin', a));
  await writeFile(join(dir, 'etc/image-marker'), 'tiny-busybox-image\n');
  await writeFile(join(dir, 'var/lib/cloud/scripts/per-boot/slow'), '#!/bin/sh\nsleep 4\n', { mode: 0o755 });
}

async function register(url: string, name: string, dir: string): Promise<string> {
  const res = await fetch(`${url}/_privlink/images?name=${name}&dir=${encodeURIComponent(dir)}`, {
    method: 'POST',
  });
  assert.equal(res.status, 200, await res.clone().text());
  return ((await res.json()) as { id: string }).id;
}

async function consoleText(ec2: EC2Client, id: string): Promise<string> {
  const o = await ec2.send(new GetConsoleOutputCommand({ InstanceId: id }));
  return Buffer.from(o.Output ?? '', 'base64').toString();
}

async function instanceStatus(ec2: EC2Client, id: string) {
  const r = await ec2.send(
    new DescribeInstanceStatusCommand({ InstanceIds: [id], IncludeAllInstances: true }),
  );
  const s = r.InstanceStatuses?.[0];
  return {
    state: s?.InstanceState?.Name,
    instance: s?.InstanceStatus?.Status,
    system: s?.SystemStatus?.Status,
  };
}

test(
  'images: a busybox AMI boots; a vanished image fails only its instance; status reads the init',
  { skip, timeout: 90_000 },
  async (t) => {
    const work = await mkdtemp(join(process.cwd(), '.privlink-images-'));
    const tiny = join(work, 'tiny');
    const gone = join(work, 'gone');
    await busyboxRoot(tiny);
    await busyboxRoot(gone);
    const p = await startPrivlink(
      t,
      {
        dataplane: 'netns',
        netnsPrefix: PREFIX,
        ephemeral: false,
        dataDir: join(work, 'data'),
        pendingMs: 50,
      },
      { dataplane: createDataplane, components: createComponents },
    );
    // After close: the root volumes are unmounted by then.
    t.after(async () => {
      await p.close();
      rmSync(work, { recursive: true, force: true });
    });
    const ec2 = ec2Client(p);
    const tinyAmi = await register(p.url, 'tiny-busybox', tiny);
    const goneAmi = await register(p.url, 'gone-busybox', gone);
    const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
    const sn = await ec2.send(
      new CreateSubnetCommand({
        VpcId: vpc.Vpc?.VpcId,
        CidrBlock: '10.0.1.0/24',
        AvailabilityZone: 'us-east-1a',
      }),
    );
    const launch = async (ImageId: string, script: string) => {
      const r = await ec2.send(
        new RunInstancesCommand({
          ImageId,
          MinCount: 1,
          MaxCount: 1,
          SubnetId: sn.Subnet?.SubnetId,
          UserData: Buffer.from(script).toString('base64'),
        }),
      );
      return r.Instances?.[0]?.InstanceId ?? '';
    };

    const id = await launch(
      tinyAmi,
      '#!/bin/sh\necho "marker=$(cat /etc/image-marker)"\nls /usr/bin | head -c 200; echo "usr-bin-end"\n',
    );
    // The slow per-boot script holds the boot: running, but the init has not finished booting.
    const early = await eventually(
      () => instanceStatus(ec2, id),
      (s) => s.state === 'running' && s.system === 'ok',
      { timeoutMs: 20_000 },
    );
    assert.equal(early.instance, 'initializing', 'status must follow the init, not the state');
    assert.equal(early.system, 'ok');
    const filtered = await ec2.send(
      new DescribeInstanceStatusCommand({
        Filters: [{ Name: 'instance-status.status', Values: ['initializing'] }],
      }),
    );
    assert.deepEqual(
      filtered.InstanceStatuses?.map((s) => s.InstanceId),
      [id],
    );
    const out = await eventually(
      () => consoleText(ec2, id),
      (s) => s.includes('usr-bin-end'),
      { timeoutMs: 20_000 },
    );
    assert.match(out, /marker=tiny-busybox-image/);
    // The image's /usr/bin is empty: the host's userland is not there.
    assert.match(out, /\nusr-bin-end/);
    const ok = await eventually(
      () => instanceStatus(ec2, id),
      (s) => s.instance === 'ok',
      { timeoutMs: 10_000 },
    );
    assert.equal(ok.system, 'ok');
    const exec = await p.execInInstance(id, ['cat', '/etc/image-marker'], 10_000);
    assert.equal(exec.stdout, 'tiny-busybox-image\n');

    // The image directory vanishes: that instance fails to start, the rest carries on.
    await rm(gone, { recursive: true, force: true });
    const bad = await launch(goneAmi, '#!/bin/sh\necho never\n');
    const failed = await eventually(
      async () =>
        (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [bad] }))).Reservations?.[0]
          ?.Instances?.[0],
      (i) => i?.State?.Name === 'stopped',
      { timeoutMs: 20_000 },
    );
    assert.equal(failed?.StateReason?.Code, 'Server.InternalError');
    assert.match(failed?.StateReason?.Message ?? '', /image directory .* does not exist/);
    assert.doesNotMatch(await consoleText(ec2, bad), /never/);
    const stoppedStatus = await instanceStatus(ec2, bad);
    assert.equal(stoppedStatus.instance, 'not-applicable');
    const still = await instanceStatus(ec2, id);
    assert.deepEqual([still.state, still.instance], ['running', 'ok']);
    const again = await p.execInInstance(id, ['echo', 'alive'], 10_000);
    assert.equal(again.stdout, 'alive\n');
  },
);
