/**
 * Packet-level behaviour of an interface endpoint's data path, on whichever path
 * PRIVLINK_DATAPATH selects (`npm test` runs this file on both; docs/dataplane.md "Data paths"):
 *
 * - checksums: a few MB each way with the hosts' offloads on, then off (`ethtool -K eth0 tx off
 *   tso off gso off`: every segment carries a full checksum the translation must fix up), the
 *   payload's sha256 computed at both ends, and no TCP checksum errors counted by either stack;
 * - MSS clamp: a consumer with a 9000-byte MTU (and one with 1280) still transfers, and the SYN
 *   the target sees carries an MSS that fits the path (≤ 1460; ≤ 1240 for the smaller MTU);
 * - ICMP echo and UDP to the ENI IP: never forwarded to the service (TCP listeners only); the
 *   ENI answers them itself only when its security groups let them in (echo reply; ICMP port
 *   unreachable for UDP), and drops them silently otherwise.
 *
 * Consumer and target are namespaces on their VPC bridges, like instances (traffic-helpers.ts).
 * The target group health-checks port 8081 so the only SYNs to 8080 are the test's own.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { AuthorizeSecurityGroupIngressCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { createComponents, createDataplane } from '../../src/components.js';
import { ipBatch, run } from '../../src/dataplane/netns/run.js';
import { linkName } from '../../src/dataplane/netns/naming.js';
import { CONSUMER, PROVIDER, ec2Client, elbClient, eventually, startPrivlink } from '../helpers/privlink.js';
import { VpcHosts, publishService } from './traffic-helpers.js';
import {
  acceptEndpoints,
  interfaceEndpoint,
  networkLoadBalancer,
  vpcWithSubnets,
} from './privatelink-builders.js';
import { netnsSkip } from '../helpers/netns.js';

const PREFIX = 'dpk';
const skip = await netnsSkip('datapath packet tests');
const MB = 1 << 20;

/**
 * The target: on 8080 each connection starts with a 5-byte header, 'U' or 'D' and a length.
 * 'U': it hashes everything up to the client's FIN and answers with the hex sha256.
 * 'D': it sends the sha256 of `length` random bytes on a line, then those bytes.
 * 8081 only accepts (health checks). UDP 8080 and 80 log any datagram they get.
 */
const TARGET = `
const net = require('net'), crypto = require('crypto'), dgram = require('dgram');
const ip = process.argv[1];
net.createServer({ allowHalfOpen: true }, (s) => {
  s.on('error', () => {});
  let head = Buffer.alloc(0), mode = '', hash;
  s.on('data', (d) => {
    if (mode === 'U') return hash.update(d);
    head = Buffer.concat([head, d]);
    if (head.length < 5) return;
    mode = String.fromCharCode(head[0]);
    const n = head.readUInt32BE(1);
    if (mode === 'U') { hash = crypto.createHash('sha256'); hash.update(head.subarray(5)); return; }
    const buf = crypto.randomBytes(n);
    s.write(crypto.createHash('sha256').update(buf).digest('hex') + '\\n');
    s.end(buf);
  });
  s.on('end', () => { if (mode === 'U') s.end(hash.digest('hex') + '\\n'); });
}).listen(8080, ip);
net.createServer((s) => s.on('error', () => {})).listen(8081, ip);
for (const port of [80, 8080]) {
  const u = dgram.createSocket('udp4');
  u.on('message', (m, r) => console.log('udp ' + port + ' from ' + r.address));
  u.bind(port, ip);
}
setTimeout(() => console.log('ready'), 100);
`;

/** One transfer through the endpoint; prints what both ends hashed. */
const CLIENT = `
const net = require('net'), crypto = require('crypto');
const [host, port, mode, n] = process.argv.slice(1);
const sha = (b) => crypto.createHash('sha256').update(b).digest('hex');
const done = (r) => { console.log(JSON.stringify(r)); process.exit(0); };
setTimeout(() => done({ error: 'timeout' }), 15000);
const s = net.connect({ host, port: Number(port), allowHalfOpen: true });
const head = Buffer.alloc(5); head.write(mode, 0); head.writeUInt32BE(Number(n), 1);
let local = '', chunks = [];
s.on('connect', () => {
  if (mode === 'D') return s.end(head);
  const buf = crypto.randomBytes(Number(n)); local = sha(buf);
  s.write(head); s.end(buf);
});
s.on('data', (d) => chunks.push(d));
s.on('error', (e) => done({ error: e.code || e.message }));
s.on('end', () => {
  const all = Buffer.concat(chunks), nl = all.indexOf(10);
  const remote = all.subarray(0, nl).toString();
  if (mode === 'D') local = sha(all.subarray(nl + 1));
  done({ local, remote, bytes: mode === 'D' ? all.length - nl - 1 : Number(n) });
});
`;

/** Sends UDP datagrams on a connected socket; reports ECONNREFUSED (port unreachable) or none. */
const UDP = `
const d = require('dgram').createSocket('udp4');
const [host, port] = process.argv.slice(1);
d.on('error', (e) => { console.log(e.code); process.exit(0); });
d.connect(Number(port), host, () => {
  d.send('probe');
  setTimeout(() => d.send('probe'), 200);
  setTimeout(() => { console.log('no answer'); process.exit(0); }, 800);
});
`;

interface Transfer {
  local?: string;
  remote?: string;
  bytes?: number;
  error?: string;
}

async function transfer(ns: string, host: string, mode: 'U' | 'D', bytes: number): Promise<Transfer> {
  const { stdout } = await run([
    'ip',
    'netns',
    'exec',
    ns,
    process.execPath,
    '-e',
    CLIENT,
    host,
    '80',
    mode,
    String(bytes),
  ]);
  return JSON.parse(stdout) as Transfer;
}

/** Asserts that `bytes` went each way intact. */
async function bothWays(ns: string, host: string, bytes: number, what: string): Promise<void> {
  for (const mode of ['U', 'D'] as const) {
    const r = await transfer(ns, host, mode, bytes);
    assert.equal(r.error, undefined, `${what} ${mode}: ${r.error}`);
    assert.equal(r.bytes, bytes, `${what} ${mode}: length`);
    assert.match(r.remote ?? '', /^[0-9a-f]{64}$/, `${what} ${mode}: the far end hashed`);
    assert.equal(r.local, r.remote, `${what} ${mode}: sha256 equal at both ends`);
  }
}

/** TCP InCsumErrors of a namespace's stack (/proc/net/snmp is per namespace). */
async function csumErrors(ns: string): Promise<number> {
  const { stdout } = await run(['ip', 'netns', 'exec', ns, 'cat', '/proc/net/snmp']);
  const rows = stdout.split('\n').filter((l) => l.startsWith('Tcp:'));
  const names = rows[0]?.split(/\s+/) ?? [];
  const values = rows[1]?.split(/\s+/) ?? [];
  return Number(values[names.indexOf('InCsumErrors')] ?? NaN);
}

async function offloads(ns: string, on: boolean): Promise<void> {
  const v = on ? 'on' : 'off';
  await run(['ip', 'netns', 'exec', ns, 'ethtool', '-K', 'eth0', 'tx', v, 'tso', v, 'gso', v]);
}

/** Starts tcpdump for one SYN to the target's 8080; resolves with the MSS it carried. */
async function captureSynMss(ns: string): Promise<{ mss: Promise<number>; child: ChildProcess }> {
  const child = spawn(
    'ip',
    [
      'netns',
      'exec',
      ns,
      'tcpdump',
      '-i',
      'eth0',
      '-n',
      '-l',
      '-v',
      '-c',
      '1',
      'tcp dst port 8080 and tcp[tcpflags] & tcp-syn != 0',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  await new Promise<void>((resolve, reject) => {
    let err = '';
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      if (err.includes('listening on')) resolve();
    });
    child.on('exit', () => reject(new Error(`tcpdump exited: ${err}`)));
  });
  const mss = new Promise<number>((resolve) =>
    child.on('exit', () => resolve(Number(/mss (\d+)/.exec(out)?.[1] ?? NaN))),
  );
  return { mss, child };
}

/** A VPC 10.x.0.0/16: the NLB node or endpoint ENI in 10.x.1.0/24, hosts in 10.x.2.0/24. */
const vpc = (ec2: EC2Client, x: number) =>
  vpcWithSubnets(ec2, `10.${x}.0.0/16`, [`10.${x}.1.0/24`, `10.${x}.2.0/24`]);

test(
  'datapath packets: checksums with offloads on and off, MSS clamp, ICMP and UDP to the ENI',
  { skip, timeout: 90_000 },
  async (t) => {
    const p = await startPrivlink(
      t,
      { dataplane: 'netns', netnsPrefix: PREFIX, pendingMs: 50, logLevel: 'warn' },
      { dataplane: createDataplane, components: createComponents },
    );
    const running = /"datapath":"(\w+)"/.exec(JSON.stringify(p.health()))?.[1] ?? '?';
    t.diagnostic(`data path: ${running}`);
    // The nftables pass of `npm test` must really run nftables (and an explicit bpf, BPF).
    const asked = process.env['PRIVLINK_DATAPATH'];
    if (asked === 'nftables' || asked === 'bpf') assert.equal(running, asked);
    const children: ChildProcess[] = [];
    t.after(() => {
      for (const c of children) c.kill();
    });
    const hosts = new VpcHosts(t, PREFIX);
    const provider = ec2Client(p, { account: PROVIDER });
    const consumer = ec2Client(p, { account: CONSUMER });
    const elb = elbClient(p, { account: PROVIDER });

    const prov = await vpc(provider, 0);
    const { lbArn } = await networkLoadBalancer(elb, {
      name: 'dpk',
      vpcId: prov.vpcId,
      subnetId: prov.subnets[0],
      targets: ['10.0.2.10'],
      healthCheck: { HealthCheckPort: '8081', HealthCheckIntervalSeconds: 5 },
    });
    const { serviceId, serviceName } = await publishService(provider, lbArn, CONSUMER);
    const target = await hosts.add('target', prov.vpcId, '10.0.2.10/24', '10.0.2.1');
    const server = spawn('ip', ['netns', 'exec', target.ns, process.execPath, '-e', TARGET, '10.0.2.10'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(server);
    let serverLog = '';
    server.stdout.on('data', (d: Buffer) => (serverLog += d.toString()));
    await eventually(
      () => serverLog,
      (l) => l.includes('ready'),
      { timeoutMs: 5000 },
    );

    const cons = await vpc(consumer, 1);
    const consNs = `${PREFIX}-${cons.vpcId}`;
    const { epId, eniIp, sgId } = await interfaceEndpoint(consumer, {
      vpcId: cons.vpcId,
      subnetId: cons.subnets[0],
      serviceName,
      allow: { port: 80, cidr: '10.1.0.0/16' },
    });
    const client = await hosts.add('client', cons.vpcId, '10.1.2.20/24', '10.1.2.1');
    await acceptEndpoints(provider, serviceId, [epId]);
    await eventually(
      () => transfer(client.ns, eniIp, 'D', 1000),
      (r) => r.bytes === 1000,
      { timeoutMs: 15_000, intervalMs: 100 },
    );

    await t.test('checksums: 4 MB each way, offloads on, then off', async () => {
      const before = [await csumErrors(client.ns), await csumErrors(target.ns)];
      assert.ok(before.every(Number.isFinite), `InCsumErrors readable: ${before.join(', ')}`);
      await bothWays(client.ns, eniIp, 4 * MB, 'offloads on');
      for (const h of [client, target]) await offloads(h.ns, false);
      try {
        await bothWays(client.ns, eniIp, 4 * MB, 'offloads off');
      } finally {
        for (const h of [client, target]) await offloads(h.ns, true);
      }
      assert.deepEqual(
        [await csumErrors(client.ns), await csumErrors(target.ns)],
        before,
        'no TCP checksum errors',
      );
    });

    await t.test('MSS: the target sees an MSS that fits the path whatever the consumer MTU', async () => {
      const peer = linkName('t', client.ns);
      const setMtu = async (mtu: number, withPeer: boolean) => {
        await ipBatch([`link set eth0 mtu ${mtu}`], client.ns);
        if (withPeer) await ipBatch([`link set ${peer} mtu ${mtu}`], consNs);
      };
      try {
        for (const [mtu, max, withPeer] of [
          [9000, 1460, true],
          [1280, 1240, false],
        ] as const) {
          await setMtu(mtu, withPeer);
          const cap = await captureSynMss(target.ns);
          children.push(cap.child);
          const r = await transfer(client.ns, eniIp, 'D', 2 * MB);
          assert.equal(r.error, undefined, `MTU ${mtu}: ${r.error}`);
          assert.equal(r.local, r.remote, `MTU ${mtu}: payload intact`);
          const mss = await cap.mss;
          t.diagnostic(`consumer MTU ${mtu}: the target saw MSS ${mss}`);
          assert.ok(mss > 0 && mss <= max, `consumer MTU ${mtu}: the target saw MSS ${mss}, want ≤ ${max}`);
        }
      } finally {
        await setMtu(1500, true);
      }
    });

    await t.test(
      'ICMP echo and UDP to the ENI: answered by the ENI only when its groups allow, never forwarded',
      async () => {
        const ping = () =>
          run([
            'ip',
            'netns',
            'exec',
            client.ns,
            'ping',
            '-c',
            '2',
            '-i',
            '0.2',
            '-W',
            '1',
            '-n',
            eniIp,
          ]).then(
            (r) => r.stdout,
            () => 'no reply',
          );
        const udp = async () =>
          (
            await run(['ip', 'netns', 'exec', client.ns, process.execPath, '-e', UDP, eniIp, '80'])
          ).stdout.trim();
        // Groups allow only TCP 80: both are dropped without an answer.
        assert.equal(await ping(), 'no reply');
        assert.equal(await udp(), 'no answer');
        await consumer.send(
          new AuthorizeSecurityGroupIngressCommand({
            GroupId: sgId,
            IpPermissions: [
              { IpProtocol: 'icmp', FromPort: -1, ToPort: -1, IpRanges: [{ CidrIp: '10.1.0.0/16' }] },
              { IpProtocol: 'udp', FromPort: 80, ToPort: 80, IpRanges: [{ CidrIp: '10.1.0.0/16' }] },
            ],
          }),
        );
        // Allowed: the ENI itself answers (echo reply from its own address; port unreachable).
        const replies = await eventually(ping, (s) => s !== 'no reply', {
          timeoutMs: 10_000,
          intervalMs: 200,
        });
        assert.match(replies, new RegExp(`bytes from ${eniIp.replace(/\./g, '\\.')}: icmp_seq=`));
        assert.equal(await udp(), 'ECONNREFUSED');
        assert.doesNotMatch(serverLog, /udp /, 'no datagram reached the target');
      },
    );
  },
);
