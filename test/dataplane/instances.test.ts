/**
 * Instances in real namespaces: user data serving HTTP, reachability inside a VPC (across
 * subnets), isolation between VPCs with identical CIDRs and IPs, IMDS v1/v2, console output,
 * `privlink exec`, termination, restart rebuild from a data dir, and no leftovers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateSubnetCommand,
  CreateVpcCommand,
  GetConsoleOutputCommand,
  RunInstancesCommand,
  TerminateInstancesCommand,
  type EC2Client,
} from '@aws-sdk/client-ec2';
import { createComponents, createDataplane } from '../../src/components.js';
import { run } from '../../src/dataplane/netns/run.js';
import { CONSUMER, PROVIDER, ec2Client, eventually, startPrivlink } from '../helpers/privlink.js';
import { netnsSkip } from '../helpers/netns.js';

const PREFIX = 'tin';
const AMI = 'ami-0123456789abcdef0';
const skip = await netnsSkip('instance namespace tests');

const ns = (id: string) => `${PREFIX}-${id}`;

async function namespaces(): Promise<string[]> {
  const { stdout } = await run(['ip', '-j', 'netns', 'list']);
  const list = stdout.trim() ? (JSON.parse(stdout) as { name: string }[]) : [];
  return list.map((n) => n.name).filter((n) => n.startsWith(PREFIX + '-'));
}

/** curl from inside an instance namespace; '' when the request fails. */
async function curlIn(instanceId: string, url: string, extra: string[] = []): Promise<string> {
  try {
    const { stdout } = await run(
      ['ip', 'netns', 'exec', ns(instanceId), 'curl', '-s', '-m', '1', ...extra, url],
      undefined,
      5000,
    );
    return stdout;
  } catch {
    return '';
  }
}

function serverScript(tag: string): string {
  const js = `require('http').createServer((q,r)=>r.end('${tag} '+process.env.PRIVLINK_INSTANCE_ID)).listen(8080,()=>console.log('listening'))`;
  return Buffer.from(
    `#!/bin/sh\necho booted $PRIVLINK_PRIVATE_IP\nexec ${process.execPath} -e "${js}"\n`,
  ).toString('base64');
}

async function vpcWithSubnets(ec2: EC2Client, cidrs: string[]) {
  const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
  const vpcId = vpc.Vpc?.VpcId ?? '';
  const subnets: string[] = [];
  for (const c of cidrs) {
    const sn = await ec2.send(
      new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: c, AvailabilityZone: 'us-east-1a' }),
    );
    subnets.push(sn.Subnet?.SubnetId ?? '');
  }
  return { vpcId, subnets };
}

async function launch(ec2: EC2Client, subnetId: string, ip: string, userData?: string): Promise<string> {
  const r = await ec2.send(
    new RunInstancesCommand({
      ImageId: AMI,
      MinCount: 1,
      MaxCount: 1,
      SubnetId: subnetId,
      PrivateIpAddress: ip,
      UserData: userData,
    }),
  );
  return r.Instances?.[0]?.InstanceId ?? '';
}

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

test(
  'instances: reachability within a VPC, isolation across VPCs, IMDS, console, exec',
  { skip, timeout: 60_000 },
  async (t) => {
    const p = await startPrivlink(
      t,
      { dataplane: 'netns', netnsPrefix: PREFIX },
      { dataplane: createDataplane, components: createComponents },
    );
    const a = ec2Client(p, { account: PROVIDER });
    const b = ec2Client(p, { account: CONSUMER });
    const va = await vpcWithSubnets(a, ['10.0.1.0/24', '10.0.2.0/24']);
    const vb = await vpcWithSubnets(b, ['10.0.1.0/24', '10.0.2.0/24']);
    const a1 = await launch(a, va.subnets[0] ?? '', '10.0.1.10', serverScript('A'));
    const a2 = await launch(a, va.subnets[1] ?? '', '10.0.2.20');
    const b1 = await launch(b, vb.subnets[0] ?? '', '10.0.1.10', serverScript('B'));
    const b2 = await launch(b, vb.subnets[1] ?? '', '10.0.2.30');

    // Across subnets of one VPC through the VPC router; each VPC sees only its own 10.0.1.10.
    assert.equal(
      await eventually(
        () => curlIn(a2, 'http://10.0.1.10:8080/'),
        (s) => s !== '',
      ),
      `A ${a1}`,
    );
    assert.equal(
      await eventually(
        () => curlIn(b2, 'http://10.0.1.10:8080/'),
        (s) => s !== '',
      ),
      `B ${b1}`,
    );
    assert.equal(await curlIn(a1, 'http://10.0.1.10:8080/'), `A ${a1}`);
    // 10.0.2.20 exists only in VPC A: B's instances cannot reach it.
    // A closed port answers with a reset when the host is reachable (curl exit 7), and times out
    // when it is not (exit 28).
    const reachable = (id: string, ip: string) =>
      run(['ip', 'netns', 'exec', ns(id), 'curl', '-s', '-m', '1', `http://${ip}:9/`]).then(
        () => true,
        (e: unknown) => (e as { code?: number }).code === 7,
      );
    assert.equal(await reachable(a1, '10.0.2.20'), true);
    assert.equal(await reachable(b1, '10.0.2.20'), false);

    // IMDS v1 and v2 from inside an instance.
    assert.equal(await curlIn(a2, 'http://169.254.169.254/latest/meta-data/instance-id'), a2);
    assert.equal(await curlIn(a2, 'http://169.254.169.254/latest/meta-data/local-ipv4'), '10.0.2.20');
    assert.equal(await curlIn(b1, 'http://169.254.169.254/latest/meta-data/instance-id'), b1);
    const listing = await curlIn(a2, 'http://169.254.169.254/latest/meta-data/');
    assert.match(listing, /^instance-id$/m);
    assert.match(listing, /^placement\/$/m);
    const token = await curlIn(a1, 'http://169.254.169.254/latest/api/token', [
      '-X',
      'PUT',
      '-H',
      'X-aws-ec2-metadata-token-ttl-seconds: 60',
    ]);
    assert.ok(token.length > 20);
    assert.equal(
      await curlIn(a1, 'http://169.254.169.254/latest/meta-data/placement/region', [
        '-H',
        `X-aws-ec2-metadata-token: ${token}`,
      ]),
      'us-east-1',
    );
    assert.equal(
      await curlIn(a1, 'http://169.254.169.254/latest/meta-data/instance-id', [
        '-w',
        '%{http_code}',
        '-o',
        '/dev/null',
        '-H',
        'X-aws-ec2-metadata-token: bogus',
      ]),
      '401',
    );
    const doc = JSON.parse(
      await curlIn(a1, 'http://169.254.169.254/latest/dynamic/instance-identity/document'),
    ) as Record<string, string>;
    assert.equal(doc['instanceId'], a1);
    assert.equal(doc['accountId'], PROVIDER);
    assert.match(await curlIn(a1, 'http://169.254.169.254/latest/user-data'), /^#!\/bin\/sh/);
    // The resolver address configured for the instance is the VPC's base+2.
    const { stdout: resolv } = await run(['ip', 'netns', 'exec', ns(a1), 'cat', '/etc/resolv.conf']);
    assert.match(resolv, /nameserver 10\.0\.0\.2/);

    // Console output carries the user data's output.
    const out = await eventually(
      () => a.send(new GetConsoleOutputCommand({ InstanceId: a1 })),
      (o) =>
        Buffer.from(o.Output ?? '', 'base64')
          .toString()
          .includes('listening'),
    );
    assert.match(Buffer.from(out.Output ?? '', 'base64').toString(), /booted 10\.0\.1\.10/);

    // privlink exec: stdio and exit codes pass through; clear errors.
    const ok = await cli([
      'exec',
      '--endpoint-url',
      p.url,
      a2,
      '--',
      'sh',
      '-c',
      'curl -s http://10.0.1.10:8080/; exit 7',
    ]);
    assert.equal(ok.code, 7, ok.stderr);
    assert.equal(ok.stdout, `A ${a1}`);
    const unknown = await cli(['exec', '--endpoint-url', p.url, 'i-0123456789abcdef0', '--', 'true']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /not running/);
    const down = await cli(['exec', '--port', '1', a2, '--', 'true']);
    assert.equal(down.code, 1);
    assert.match(down.stderr, /no privlink server/);

    // Termination removes the instance's namespace and stops its server.
    await a.send(new TerminateInstancesCommand({ InstanceIds: [a1] }));
    await eventually(namespaces, (l) => !l.includes(ns(a1)));
    assert.equal(await curlIn(a2, 'http://10.0.1.10:8080/'), '');

    await p.close();
    assert.deepEqual(await namespaces(), []);
  },
);

test(
  'restart: a new Privlink on the same data dir rebuilds VPCs and instances',
  { skip, timeout: 60_000 },
  async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'privlink-inst-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const opts = { dataplane: 'netns' as const, netnsPrefix: PREFIX, ephemeral: false, dataDir: dir };
    const p1 = await startPrivlink(t, opts, { dataplane: createDataplane, components: createComponents });
    const ec2 = ec2Client(p1);
    const v = await vpcWithSubnets(ec2, ['10.0.1.0/24']);
    const srv = await launch(ec2, v.subnets[0] ?? '', '10.0.1.10', serverScript('S'));
    const cl = await launch(ec2, v.subnets[0] ?? '', '10.0.1.11');
    assert.equal(
      await eventually(
        () => curlIn(cl, 'http://10.0.1.10:8080/'),
        (s) => s !== '',
      ),
      `S ${srv}`,
    );
    await p1.close();
    assert.deepEqual(await namespaces(), []);

    const p2 = await startPrivlink(t, opts, { dataplane: createDataplane, components: createComponents });
    assert.equal(
      await eventually(
        () => curlIn(cl, 'http://10.0.1.10:8080/'),
        (s) => s !== '',
      ),
      `S ${srv}`,
    );
    await p2.close();
    assert.deepEqual(await namespaces(), []);
  },
);
