/**
 * Attacks from inside an instance, as root, from its user data and from `privlink exec`: host
 * processes, files, data dir and credentials stay invisible and untouched; the network, mounts,
 * other namespaces and kernel modules are out of reach; setuid gives nothing; a memory hog and a
 * fork bomb stay inside their own cgroup while privlink and a second instance keep serving.
 * Never skipped under CI: these tests are why instances are safe to run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import {
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeVpcsCommand,
  GetConsoleOutputCommand,
  RunInstancesCommand,
  type EC2Client,
  type _InstanceType,
} from '@aws-sdk/client-ec2';
import { createComponents, createDataplane } from '../../src/components.js';
import { run } from '../../src/dataplane/netns/run.js';
import { netnsSkip } from '../helpers/netns.js';
import { ec2Client, eventually, startPrivlink } from '../helpers/privlink.js';

const PREFIX = 'tsb';
const AMI = 'ami-0123456789abcdef0';
const skip = await netnsSkip('sandbox tests');

async function vpc(ec2: EC2Client, cidr: string): Promise<{ vpcId: string; subnetId: string }> {
  const v = await ec2.send(new CreateVpcCommand({ CidrBlock: cidr }));
  const vpcId = v.Vpc?.VpcId ?? '';
  const sn = await ec2.send(
    new CreateSubnetCommand({
      VpcId: vpcId,
      CidrBlock: cidr.replace(/\.0\.0\/16$/, '.1.0/24'),
      AvailabilityZone: 'us-east-1a',
    }),
  );
  return { vpcId, subnetId: sn.Subnet?.SubnetId ?? '' };
}

async function launch(
  ec2: EC2Client,
  subnetId: string,
  ip: string,
  script?: string,
  type: _InstanceType = 't3.micro',
): Promise<string> {
  const r = await ec2.send(
    new RunInstancesCommand({
      ImageId: AMI,
      InstanceType: type,
      MinCount: 1,
      MaxCount: 1,
      SubnetId: subnetId,
      PrivateIpAddress: ip,
      UserData: script ? Buffer.from(script).toString('base64') : undefined,
    }),
  );
  return r.Instances?.[0]?.InstanceId ?? '';
}

async function consoleText(ec2: EC2Client, id: string): Promise<string> {
  const o = await ec2.send(new GetConsoleOutputCommand({ InstanceId: id }));
  return Buffer.from(o.Output ?? '', 'base64').toString();
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

/**
 * The probe: each line `name:result`. `escaped` means the attack worked. Run as root inside.
 */
function probeScript(o: {
  tag: string;
  dataDir: string;
  otherNs: string;
  sentinel: string;
  cred: string;
}): string {
  return `#!/bin/bash
T=${o.tag}
r() { n=$1; shift; if "$@" >/dev/null 2>&1; then echo "$n:escaped"; else echo "$n:blocked"; fi; }
echo "whoami:$(id -u)"
echo "hostname:$(hostname)"
echo "pid1:$(cat /proc/1/cmdline | tr '\\0' ' ')"
echo "procs:$(ls -d /proc/[0-9]* | wc -l)"
if grep -qs ${o.sentinel.replace(/l-/, '[l]-')} /proc/[0-9]*/cmdline; then echo "sentinel:visible"; else echo "sentinel:hidden"; fi
for d in etc usr root tmp; do echo x > /$d/probe-$T && echo "write-$d:done"; done
r datadir ls ${o.dataDir}/privlink.db
r credfile cat ${o.dataDir}/credentials.json
r rootcred cat ${o.cred}
r proc1root cat /proc/1/root${o.dataDir}/privlink.db
r addr ip addr add 10.0.1.99/24 dev eth0
r route ip route add 10.9.0.0/16 via 10.0.1.1
r link ip link add sc0 type dummy
r mount mount -t tmpfs none /mnt
r nsenter nsenter -t 1 -m -u -n true
r netns ip netns exec ${o.otherNs} true
r insmod insmod /bin/true
r userns unshare -U -r true
cp /bin/bash /usr/local/bin/sush-$T && chmod 4755 /usr/local/bin/sush-$T
echo "setuid:$(setpriv --reuid 65534 --regid 65534 --clear-groups /usr/local/bin/sush-$T -p -c 'id -u')"
echo "probe-done"
`;
}

const ATTACKS = [
  'datadir',
  'credfile',
  'rootcred',
  'proc1root',
  'addr',
  'route',
  'link',
  'mount',
  'nsenter',
  'netns',
  'insmod',
  'userns',
];

function checkProbe(out: string, where: string, ip: string): void {
  const lines = new Map(
    out
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => /^[a-z0-9-]+:/.test(l))
      .map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1)] as const),
  );
  assert.ok(lines.has('probe-done') || out.includes('probe-done'), `${where}: probe incomplete:\n${out}`);
  assert.equal(lines.get('whoami'), '0', `${where}: root inside`);
  assert.equal(lines.get('hostname'), `ip-${ip.replace(/\./g, '-')}.ec2.internal`, `${where}: hostname`);
  assert.match(lines.get('pid1') ?? '', /^\/run\/privlink\/init/, `${where}: PID 1 is the sandbox's init`);
  assert.ok(
    Number(lines.get('procs')) < 20,
    `${where}: only the instance's processes (${lines.get('procs')})`,
  );
  assert.equal(lines.get('sentinel'), 'hidden', `${where}: a host process is visible`);
  for (const d of ['etc', 'usr', 'root', 'tmp'])
    assert.equal(lines.get(`write-${d}`), 'done', `${where}: write /${d}`);
  for (const a of ATTACKS) assert.equal(lines.get(a), 'blocked', `${where}: attack '${a}' worked:\n${out}`);
  assert.equal(lines.get('setuid'), '65534', `${where}: a setuid binary gave root`);
}

test(
  'sandbox: from user data and privlink exec, the host stays invisible and out of reach',
  { skip, timeout: 120_000 },
  async (t) => {
    // A data dir outside /tmp (the instance's /tmp is its own tmpfs anyway), like ./.privlink.
    const dataDir = await mkdtemp(join(process.cwd(), '.privlink-sandbox-'));
    // A credentials file in the host's home of root, where the default image must hide it.
    const cred = join(homedir(), `.sc-cred-${process.pid}`);
    await writeFile(cred, 'aws_secret_access_key=SECRET\n', { mode: 0o600 });
    await writeFile(join(dataDir, 'credentials.json'), '{"AKIA":{"secretAccessKey":"x"}}');
    const sentinel = `sc-sentinel-${process.pid}`;
    const sleeper: ChildProcess = spawn('sh', ['-c', 'sleep 600; :', sentinel], { stdio: 'ignore' });
    const probes = ['ud', 'ex'].flatMap((tag) =>
      ['etc', 'usr', 'root', 'tmp'].map((d) => `/${d}/probe-${tag}-${process.pid}`),
    );
    const cleanup = async () => {
      sleeper.kill('SIGKILL');
      await rm(cred, { force: true });
      // On a tree without sandboxes these landed on the host: never leave a setuid shell behind.
      for (const f of [
        ...probes,
        `/usr/local/bin/sush-ud-${process.pid}`,
        `/usr/local/bin/sush-ex-${process.pid}`,
      ]) {
        await rm(f, { force: true });
      }
      await rm(dataDir, { recursive: true, force: true });
    };
    const p = await startPrivlink(
      t,
      { dataplane: 'netns', netnsPrefix: PREFIX, ephemeral: false, dataDir },
      { dataplane: createDataplane, components: createComponents },
    );
    t.after(async () => {
      await p.close();
      await cleanup();
    });
    const ec2 = ec2Client(p);
    const a = await vpc(ec2, '10.0.0.0/16');
    const other = await vpc(ec2, '10.1.0.0/16');
    const otherNs = `${PREFIX}-${other.vpcId}`;
    const vpcs = await ec2.send(new DescribeVpcsCommand({}));
    assert.equal(vpcs.Vpcs?.length, 2);
    const common = { dataDir, otherNs, sentinel, cred };
    const id = await launch(
      ec2,
      a.subnetId,
      '10.0.1.10',
      probeScript({ ...common, tag: `ud-${process.pid}` }),
    );

    const out = await eventually(
      () => consoleText(ec2, id),
      (s) => s.includes('probe-done'),
      { timeoutMs: 30_000 },
    );
    checkProbe(out, 'user data', '10.0.1.10');

    const script = probeScript({ ...common, tag: `ex-${process.pid}` });
    const ex = await cli(['exec', '--endpoint-url', p.url, id, '--', 'bash', '-c', script]);
    checkProbe(ex.stdout + ex.stderr, 'privlink exec', '10.0.1.10');

    // Nothing reached the host; the instance keeps its own writes in its root volume.
    for (const f of probes) assert.equal(existsSync(f), false, `${f} reached the host`);
    const inside = await p.execInInstance(id, ['cat', `/etc/probe-ud-${process.pid}`], 10_000);
    assert.equal(inside.stdout, 'x\n');
    // The root volume (with its setuid copy) is out of reach of other host users.
    const volDir = join(dataDir, 'volumes', id);
    assert.equal((await stat(volDir)).mode & 0o077, 0, 'volume dir is private to root');
  },
);

async function cgroupValue(controller: string, id: string, file: string): Promise<string> {
  return (await readFile(`/sys/fs/cgroup/${controller}/privlink-${PREFIX}/${id}/${file}`, 'utf8')).trim();
}

test(
  'sandbox: a memory hog and a fork bomb stay in their cgroup; privlink and a neighbour keep serving',
  { skip, timeout: 120_000 },
  async (t) => {
    const p = await startPrivlink(
      t,
      { dataplane: 'netns', netnsPrefix: PREFIX },
      { dataplane: createDataplane, components: createComponents },
    );
    const ec2 = ec2Client(p);
    const a = await vpc(ec2, '10.0.0.0/16');
    const web = await launch(
      ec2,
      a.subnetId,
      '10.0.1.20',
      '#!/bin/sh\ncd /tmp && echo neighbour > index.html && exec python3 -m http.server 8080\n',
    );
    const hog = await launch(ec2, a.subnetId, '10.0.1.21', undefined, 't3.nano');
    const serves = async () => {
      const r = await p.execInInstance(hog, ['curl', '-s', '-m', '2', 'http://10.0.1.20:8080/'], 10_000);
      return r.stdout.trim();
    };
    assert.equal(await eventually(serves, (s) => s === 'neighbour', { timeoutMs: 20_000 }), 'neighbour');
    void web;

    // The limits come from the instance type (t3.nano: 2 vCPUs, 0.5 GiB).
    assert.equal(await cgroupValue('memory', hog, 'memory.limit_in_bytes'), String(512 * 1024 * 1024));
    assert.equal(await cgroupValue('pids', hog, 'pids.max'), '1024');
    assert.equal(await cgroupValue('cpu', hog, 'cpu.shares'), '2048');

    // Memory hog: killed by the OOM killer inside its own cgroup.
    const m = await p.execInInstance(
      hog,
      ['python3', '-c', 'l=[]\nwhile True: l.append(bytearray(64*1024*1024))'],
      60_000,
    );
    assert.equal(m.code, 137, `memory hog not OOM-killed: ${m.code} ${m.stderr}`);
    assert.ok(Number(await cgroupValue('memory', hog, 'memory.failcnt')) > 0);
    assert.equal(await serves(), 'neighbour');

    // Fork bomb: capped by pids.max; the API and the neighbour answer meanwhile.
    const bomb = p.execInInstance(hog, ['bash', '-c', 'f(){ f | f & }; f; sleep 8'], 30_000);
    await new Promise((r) => setTimeout(r, 3000));
    const current = Number(await cgroupValue('pids', hog, 'pids.current'));
    assert.ok(current <= 1024, `pids ${current}`);
    assert.ok(Number((await cgroupValue('pids', hog, 'pids.events')).split(' ')[1]) > 0, 'pids limit hit');
    const t0 = Date.now();
    const vs = await ec2.send(new DescribeVpcsCommand({}));
    assert.equal(vs.Vpcs?.length, 1);
    assert.ok(Date.now() - t0 < 3000, 'API slow during fork bomb');
    const { stdout } = await run(
      ['ip', 'netns', 'exec', `${PREFIX}-${web}`, 'curl', '-s', '-m', '3', 'http://10.0.1.20:8080/'],
      undefined,
      10_000,
    );
    assert.equal(stdout.trim(), 'neighbour');
    await bomb.catch(() => undefined);
  },
);
