/**
 * The proof, with a real `privlink serve`: user data installs /usr/local/bin/hello and
 * /etc/motd and starts a web server (plus a per-boot script that starts it again). The files
 * survive stop/start and kill -9 + restart of serve, never reach the host, and are gone after
 * terminate; the server serves again after start while user data does not re-run. Hostname,
 * IMDS and private IP are as AWS has them; `poweroff` inside stops the instance.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeInstancesCommand,
  EC2Client,
  RunInstancesCommand,
  StartInstancesCommand,
  StopInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { netnsSkip } from '../helpers/netns.js';
import { eventually } from '../helpers/privlink.js';

const PREFIX = 'tlc';
const skip = await netnsSkip('instance lifecycle tests');

const USER_DATA = `#!/bin/bash
echo run >> /var/log/user-data-runs
printf '#!/bin/sh\\necho hello from $(hostname)\\n' > /usr/local/bin/hello
chmod 755 /usr/local/bin/hello
echo "welcome to the proof" > /etc/motd
mkdir -p /srv/www /var/lib/cloud/scripts/per-boot
echo served-from-volume > /srv/www/index.html
cat > /var/lib/cloud/scripts/per-boot/web <<'EOF'
#!/bin/sh
cd /srv/www && nohup python3 -m http.server 8080 >/var/log/web.log 2>&1 &
EOF
chmod 755 /var/lib/cloud/scripts/per-boot/web
/var/lib/cloud/scripts/per-boot/web
`;

interface Serve {
  child: ChildProcess;
  url: string;
}

function startServe(dataDir: string): Promise<Serve> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'src/cli/main.ts',
      'serve',
      '--port',
      '0',
      '--data-dir',
      dataDir,
      '--netns-prefix',
      PREFIX,
      '--dataplane',
      'netns',
      '--dns-port',
      'off',
      '--pending-ms',
      '100',
      '--log-level',
      'warn',
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m?.[1]) resolve({ child, url: m[1] });
    });
    child.on('exit', (code) => reject(new Error(`serve exited ${code}: ${out}`)));
  });
}

function client(url: string): EC2Client {
  return new EC2Client({
    endpoint: url,
    region: 'us-east-1',
    credentials: { accessKeyId: '111111111111', secretAccessKey: 'x' },
    maxAttempts: 1,
  });
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
  'proof: an instance is a machine with its own disk across stop/start and kill -9 of serve',
  { skip, timeout: 180_000 },
  async (t) => {
    const dataDir = await mkdtemp(join(process.cwd(), '.privlink-proof-'));
    const hostMotd = () => readFile('/etc/motd', 'utf8').catch(() => '');
    const motdBefore = await hostMotd();
    let serve = await startServe(dataDir);
    t.after(async () => {
      serve.child.kill('SIGTERM');
      await new Promise((r) => serve.child.once('exit', r).once('error', r));
      await rm(dataDir, { recursive: true, force: true });
    });
    let ec2 = client(serve.url);
    const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
    const sn = await ec2.send(
      new CreateSubnetCommand({
        VpcId: vpc.Vpc?.VpcId,
        CidrBlock: '10.0.1.0/24',
        AvailabilityZone: 'us-east-1a',
      }),
    );
    const r = await ec2.send(
      new RunInstancesCommand({
        ImageId: 'ami-0123456789abcdef0',
        MinCount: 1,
        MaxCount: 1,
        SubnetId: sn.Subnet?.SubnetId,
        PrivateIpAddress: '10.0.1.10',
        UserData: Buffer.from(USER_DATA).toString('base64'),
      }),
    );
    const id = r.Instances?.[0]?.InstanceId ?? '';
    const sh = (cmd: string) => cli(['exec', '--endpoint-url', serve.url, id, '--', 'sh', '-c', cmd]);
    const web = async () => (await sh('curl -s -m 2 http://10.0.1.10:8080/')).stdout.trim();
    const state = async () =>
      (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }))).Reservations?.[0]?.Instances?.[0];

    const check = async (when: string) => {
      assert.equal(
        await eventually(web, (s) => s === 'served-from-volume', { timeoutMs: 20_000 }),
        'served-from-volume',
        when,
      );
      assert.equal((await sh('hello')).stdout, 'hello from ip-10-0-1-10.ec2.internal\n', when);
      assert.equal((await sh('cat /etc/motd')).stdout, 'welcome to the proof\n', when);
      assert.equal((await sh('cat /var/log/user-data-runs')).stdout, 'run\n', `${when}: user data ran once`);
      assert.equal(existsSync('/usr/local/bin/hello'), false, `${when}: on the host`);
      assert.equal(await hostMotd(), motdBefore, `${when}: /etc/motd of the host changed`);
    };
    await eventually(
      () => sh('test -f /var/log/user-data-runs && echo ok'),
      (x) => x.stdout.trim() === 'ok',
      { timeoutMs: 20_000 },
    );
    await check('first boot');
    assert.equal((await sh('hostname')).stdout.trim(), 'ip-10-0-1-10.ec2.internal');
    assert.equal((await sh('curl -s http://169.254.169.254/latest/meta-data/instance-id')).stdout, id);
    assert.equal(
      (await sh('curl -s http://169.254.169.254/latest/meta-data/local-ipv4')).stdout,
      '10.0.1.10',
    );

    // Stop → stopped (sandbox gone), start → running, same volume, user data not re-run.
    await ec2.send(new StopInstancesCommand({ InstanceIds: [id] }));
    await eventually(
      async () => (await state())?.State?.Name,
      (s) => s === 'stopped',
      { timeoutMs: 10_000 },
    );
    assert.match((await sh('true')).stderr, /not running/);
    await ec2.send(new StartInstancesCommand({ InstanceIds: [id] }));
    await eventually(
      async () => (await state())?.State?.Name,
      (s) => s === 'running',
      { timeoutMs: 10_000 },
    );
    assert.equal((await state())?.PrivateIpAddress, '10.0.1.10');
    await check('after stop/start');

    // kill -9 of serve, then a new serve on the same data dir.
    serve.child.kill('SIGKILL');
    await new Promise((res) => serve.child.once('exit', res));
    serve = await startServe(dataDir);
    ec2 = client(serve.url);
    await check('after kill -9 and restart of serve');

    // poweroff inside stops it (InstanceInitiatedShutdownBehavior defaults to stop).
    await sh('poweroff');
    const stopped = await eventually(state, (i) => i?.State?.Name === 'stopped', { timeoutMs: 10_000 });
    assert.equal(stopped?.StateReason?.Code, 'Client.InstanceInitiatedShutdown');

    // Terminate: the root volume goes.
    const volume = join(dataDir, 'volumes', id);
    assert.equal(existsSync(volume), true);
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
    await eventually(
      () => existsSync(volume),
      (x) => !x,
      { timeoutMs: 10_000 },
    );
  },
);
