/**
 * Machine images through the real EC2 client and the real `privlink image` CLI (admin endpoint):
 * DescribeImages' shape, owners, IDs and filters; registering and deregistering a directory;
 * RunInstances' InvalidAMIID.NotFound/.Malformed; the guard against host directories.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join, parse } from 'node:path';
import { promisify } from 'node:util';
import {
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeImagesCommand,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import { ec2Client, expectAwsError, startPrivlink } from '../helpers/privlink.js';

const run = promisify(execFile);
const HOST_AMI = 'ami-0123456789abcdef0';

async function cli(url: string, ...args: string[]): Promise<{ code: number; out: string; err: string }> {
  try {
    const r = await run(process.execPath, ['bin/privlink.js', 'image', ...args, '--endpoint-url', url], {
      env: { ...process.env, AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '' },
    });
    return { code: 0, out: r.stdout, err: r.stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, out: x.stdout, err: x.stderr };
  }
}

async function adminPost(url: string, path: string): Promise<{ status: number; text: string }> {
  const res = await fetch(url + path, { method: 'POST' });
  return { status: res.status, text: await res.text() };
}

test('images: host AMI, privlink image add/list/remove, DescribeImages, RunInstances errors', async (t) => {
  const p = await startPrivlink(t);
  const ec2 = ec2Client(p);
  const dir = await mkdtemp(join(tmpdir(), 'privlink-image-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await mkdir(join(dir, 'bin'));

  // The built-in image, in AWS's wire shape.
  const host = await ec2.send(new DescribeImagesCommand({ Owners: ['amazon'] }));
  assert.equal(host.Images?.length, 1);
  const h = host.Images?.[0];
  assert.equal(h?.ImageId, HOST_AMI);
  assert.equal(h?.State, 'available');
  assert.equal(h?.OwnerId, '137112412989');
  assert.equal(h?.ImageOwnerAlias, 'amazon');
  assert.equal(h?.Architecture, 'x86_64');
  assert.equal(h?.RootDeviceName, '/dev/xvda');
  assert.equal(h?.RootDeviceType, 'ebs');
  assert.equal(h?.BlockDeviceMappings?.[0]?.DeviceName, '/dev/xvda');
  assert.match(h?.BlockDeviceMappings?.[0]?.Ebs?.SnapshotId ?? '', /^snap-[0-9a-f]{17}$/);
  assert.equal(h?.VirtualizationType, 'hvm');
  assert.equal(h?.Hypervisor, 'xen');
  assert.equal(h?.PlatformDetails, 'Linux/UNIX');
  assert.equal(h?.UsageOperation, 'RunInstances');
  assert.equal(h?.EnaSupport, true);
  assert.equal(h?.Public, true);
  assert.equal(h?.Name, 'privlink-host-root');
  assert.match(h?.CreationDate ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

  // Register a directory through the CLI; it shows in DescribeImages and in the list.
  const add = await cli(p.url, 'add', 'tiny-busybox', dir, '--description', 'a tiny root');
  assert.equal(add.code, 0, add.err);
  const id = add.out.trim();
  assert.match(id, /^ami-[0-9a-f]{17}$/);
  const dup = await adminPost(p.url, `/_privlink/images?name=tiny-busybox&dir=${dir}`);
  assert.equal(dup.status, 400);
  assert.match(dup.text, /InvalidAMIName\.Duplicate/);
  // Host directories built at run time (the filesystem root, the user's home, /home, /proc).
  const fsRoot = parse(process.cwd()).root;
  const forbidden = [fsRoot, join(homedir(), 'x'), join(fsRoot, 'home'), join(fsRoot, 'proc', '1', 'root')];
  for (const bad of [...forbidden, 'relative/dir']) {
    const r = await adminPost(p.url, `/_privlink/images?name=bad-image&dir=${encodeURIComponent(bad)}`);
    assert.equal(r.status, 400, `${bad} must be refused`);
    assert.match(r.text, /cannot be an image|absolute path/);
  }
  const list = await cli(p.url, 'list');
  assert.match(list.out, new RegExp(`${id}\\ttiny-busybox\\t${dir}`));

  const byName = await ec2.send(
    new DescribeImagesCommand({ Filters: [{ Name: 'name', Values: ['tiny-*'] }] }),
  );
  assert.deepEqual(
    byName.Images?.map((i) => [i.ImageId, i.Description, i.ImageLocation]),
    [[id, 'a tiny root', 'amazon/tiny-busybox']],
  );
  const byId = await ec2.send(new DescribeImagesCommand({ ImageIds: [id, HOST_AMI] }));
  assert.equal(byId.Images?.length, 2);
  for (const [name, value, n] of [
    ['state', 'available', 2],
    ['architecture', 'arm64', 0],
    ['image-id', HOST_AMI, 1],
    ['owner-alias', 'amazon', 2],
  ] as const) {
    const r = await ec2.send(new DescribeImagesCommand({ Filters: [{ Name: name, Values: [value] }] }));
    assert.equal(r.Images?.length, n, `${name}=${value}`);
  }
  const self = await ec2.send(new DescribeImagesCommand({ Owners: ['self'] }));
  assert.equal(self.Images?.length, 0);
  await expectAwsError(
    ec2.send(new DescribeImagesCommand({ Owners: ['nobody'] })),
    'InvalidUserID.Malformed',
  );
  await expectAwsError(
    ec2.send(new DescribeImagesCommand({ Filters: [{ Name: 'bogus', Values: ['x'] }] })),
    'InvalidFilter',
  );
  const nf = await expectAwsError(
    ec2.send(new DescribeImagesCommand({ ImageIds: ['ami-00000000000000000'] })),
    'InvalidAMIID.NotFound',
    400,
  );
  assert.equal(nf.message, "The image id '[ami-00000000000000000]' does not exist");
  await expectAwsError(
    ec2.send(new DescribeImagesCommand({ ImageIds: ['ami-xyz'] })),
    'InvalidAMIID.Malformed',
  );

  // RunInstances: the registered and host images launch; a well-formed ID never registered boots
  // the default (host) image and keeps its ID; a malformed one is refused as AWS does.
  const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
  const sn = await ec2.send(
    new CreateSubnetCommand({
      VpcId: vpc.Vpc?.VpcId,
      CidrBlock: '10.0.1.0/24',
      AvailabilityZone: 'us-east-1a',
    }),
  );
  const base = { MinCount: 1, MaxCount: 1, SubnetId: sn.Subnet?.SubnetId };
  const ok = await ec2.send(new RunInstancesCommand({ ...base, ImageId: id }));
  assert.equal(ok.Instances?.[0]?.ImageId, id);
  const dflt = await ec2.send(new RunInstancesCommand({ ...base, ImageId: 'ami-0aaaaaaaaaaaaaaaa' }));
  assert.equal(dflt.Instances?.[0]?.ImageId, 'ami-0aaaaaaaaaaaaaaaa');
  await expectAwsError(
    ec2.send(new RunInstancesCommand({ ...base, ImageId: 'ami-nope' })),
    'InvalidAMIID.Malformed',
  );

  // Deregistered: gone from DescribeImages, no longer launchable; the host image cannot go.
  const rm1 = await cli(p.url, 'remove', id);
  assert.equal(rm1.code, 0, rm1.err);
  const gone = await expectAwsError(
    ec2.send(new RunInstancesCommand({ ...base, ImageId: id })),
    'InvalidAMIID.NotFound',
    400,
  );
  assert.equal(gone.message, `The image id '[${id}]' does not exist`);
  const rmHost = await adminPost(p.url, `/_privlink/images/deregister?id=${HOST_AMI}`);
  assert.match(rmHost.text, /OperationNotPermitted/);
  const after = await ec2.send(new DescribeImagesCommand({}));
  assert.deepEqual(
    after.Images?.map((i) => i.ImageId),
    [HOST_AMI],
  );
});
