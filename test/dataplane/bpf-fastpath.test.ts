/**
 * What only the BPF fast path has (docs/bpf-datapath.md), through real namespaces and the AWS SDK:
 * `auto` picks BPF here and `nftables` is honoured; flows are translated by the programs (map
 * conntrack and counters rise while the ENI namespace's nft counter and kernel conntrack stay
 * empty); targets see the NLB IP and consumers the ENI IP; two consumer VPCs with the same CIDR,
 * ENIs with the same IP and clients with the same IP do not mix; the counters reach the endpoint
 * traffic port; reject cuts an open fast-path flow within a second while the other endpoint's
 * flow lives on; the idle GC removes an expired flow's entries and its next packet is reset; the
 * end of a deregistration delay resets the target's fast-path flows; vpc_fwd routes the
 * cross-subnet hops on the VPC bridges (its hits rise, the VPC namespaces' IP stacks forward
 * nothing) without mixing the two same-CIDR consumer VPCs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { RejectVpcEndpointConnectionsCommand } from '@aws-sdk/client-ec2';
import {
  DeregisterTargetsCommand,
  ModifyTargetGroupAttributesCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { createComponents, createDataplane } from '../../src/components.js';
import { run } from '../../src/dataplane/netns/run.js';
import { eniNamespace } from '../../src/dataplane/netns/naming.js';
import { chooseDatapath } from '../../src/dataplane/bpf/datapath-choice.js';
import { systemRunner } from '../../src/dataplane/netns/system-runner.js';
import {
  CT_FIN_FWD,
  CT_RST,
  LAYOUTS,
  dumpBytes,
  hex,
  pack,
  perCpuSum,
  unpack,
} from '../../src/dataplane/bpf/fastpath-maps.js';
import { CONSUMER, PROVIDER, ec2Client, elbClient, eventually, startPrivlink } from '../helpers/privlink.js';
import { VpcHosts, nftConnCounter, publishService, untilAnswer, type NsHost } from './traffic-helpers.js';
import {
  acceptEndpoints,
  interfaceEndpoint,
  networkLoadBalancer,
  nlbNodeIp,
  vpcWithSubnets,
} from './privatelink-builders.js';
import { netnsSkip } from '../helpers/netns.js';

const PREFIX = 'bfp';
const skip = await netnsSkip('BPF fast path tests');
const ENI_IP = '10.0.1.50';
const CLIENT_IP = '10.0.2.20';

/** The fast path's bpffs mount of this run (found in the mount table). */
async function mapDir(): Promise<string> {
  const info = await readFile('/proc/self/mountinfo', 'utf8');
  for (const l of info.split('\n')) {
    const p = l.split(' ');
    if (p[p.indexOf('-') + 1] === 'bpf' && (p[4] ?? '').includes(`privlink-run-${PREFIX}-`))
      return `${p[4]}/m`;
  }
  throw new Error('no bpffs mount of this run');
}

async function dump(dir: string, map: string) {
  const { stdout } = await run(['bpftool', '-j', 'map', 'dump', 'pinned', `${dir}/${map}`]);
  return (JSON.parse(stdout || '[]') as { key: unknown; value: unknown }[]).map((r) => ({
    key: dumpBytes(r.key),
    value: dumpBytes(r.value),
  }));
}

/** A TCP connection from inside `ns` that stays silent until told to send a request. */
/** A conntrack key's tuple and namespace MAC as one comparable string. */
function tupleId(k: Record<string, unknown>): string {
  return ['saddr', 'daddr', 'sport', 'dport', 'mac'].map((f) => String(k[f])).join('|');
}

function idleClient(ns: string, host: string, port: number) {
  const js = `
const s = require('net').connect({ host: ${JSON.stringify(host)}, port: ${port} });
s.on('connect', () => console.log('port ' + s.localPort));
s.on('data', () => console.log('data'));
s.on('error', (e) => console.log('error ' + e.code));
s.on('close', () => { console.log('closed'); process.exit(0); });
process.stdin.on('data', () => s.write('GET / HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n'));`;
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', js], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  return {
    output: () => out,
    send: () => child.stdin.write('go\n'),
    kill: () => child.kill('SIGKILL'),
  };
}

test('auto picks BPF here; nftables when asked', { skip }, async () => {
  assert.equal((await chooseDatapath(systemRunner, 'auto')).datapath, 'bpf');
  assert.equal((await chooseDatapath(systemRunner, 'nftables')).datapath, 'nftables');
});

test(
  'BPF fast path: one NAT per flow, overlapping consumers, counters, reject cut, idle GC',
  { skip, timeout: 60_000 },
  async (t) => {
    process.env['PRIVLINK_BPF_GC_MS'] = '500';
    t.after(() => delete process.env['PRIVLINK_BPF_GC_MS']);
    const p = await startPrivlink(
      t,
      { dataplane: 'netns', datapath: 'auto', netnsPrefix: PREFIX, pendingMs: 50, logLevel: 'warn' },
      { dataplane: createDataplane, components: createComponents },
    );
    const idle: { kill: () => void }[] = [];
    t.after(() => {
      for (const c of idle) c.kill();
    });
    const hosts = new VpcHosts(t, PREFIX);
    assert.match(JSON.stringify(p.health()), /"datapath":"bpf"/);
    const provider = ec2Client(p, { account: PROVIDER });
    const consumer = ec2Client(p, { account: CONSUMER });
    const elb = elbClient(p, { account: PROVIDER });
    // Every VPC: the NLB node or endpoint ENI in 10.0.1.0/24, hosts in 10.0.2.0/24.
    const vpc = (ec2: typeof provider) => vpcWithSubnets(ec2, '10.0.0.0/16', ['10.0.1.0/24', '10.0.2.0/24']);

    const prov = await vpc(provider);
    const { lbArn, tgArn } = await networkLoadBalancer(elb, {
      name: 'bfp',
      vpcId: prov.vpcId,
      subnetId: prov.subnets[0],
      targets: ['10.0.2.10'],
    });
    const nodeIp = await nlbNodeIp(elb, lbArn);
    const { serviceId, serviceName } = await publishService(provider, lbArn, CONSUMER);
    const target = await hosts.add('target', prov.vpcId, '10.0.2.10/24', '10.0.2.1');
    await target.serve('10.0.2.10', 8080, 'target');

    // Two consumer VPCs with the same CIDR, ENIs with the same IP, clients with the same IP.
    const consumers: { epId: string; eniId: string; client: NsHost }[] = [];
    const consNsList: string[] = [];
    const consNsOf = (i: number) => consNsList[i] ?? '';
    const endpointConns = async () => {
      const t = await p.dataplane?.ports.traffic?.endpointTraffic();
      return new Map(consumers.map((c) => [c.epId, t?.get(c.epId)?.connectionsTotal ?? 0]));
    };
    for (const i of [1, 2]) {
      const c = await vpc(consumer);
      // Security groups on the fast path: 80 from the client subnet (checked in the LPM trie).
      const ep = await interfaceEndpoint(consumer, {
        vpcId: c.vpcId,
        subnetId: c.subnets[0],
        serviceName,
        allow: { port: 80, cidr: '10.0.2.0/24' },
        eniIp: ENI_IP,
      });
      assert.equal(ep.eniIp, ENI_IP);
      consNsList.push(`${PREFIX}-${c.vpcId}`);
      const client = await hosts.add(`client${i}`, c.vpcId, `${CLIENT_IP}/24`, '10.0.2.1');
      consumers.push({ epId: ep.epId, eniId: ep.eniId, client });
    }
    await acceptEndpoints(
      provider,
      serviceId,
      consumers.map((c) => c.epId),
    );
    for (const c of consumers) {
      const r = await untilAnswer(c.client, ENI_IP, 80, undefined, { timeoutMs: 15_000 }).catch(
        async (e: Error) => {
          const d = await mapDir().catch(() => '');
          const svc = d ? JSON.stringify(await dump(d, 'fp_svc')) : '';
          throw new Error(`${e.message}\n${JSON.stringify(p.health())}\n${svc}`);
        },
      );
      // The reply came back from the ENI IP (the client's socket is connected to it) and the
      // target saw the NLB node's IP.
      assert.equal((JSON.parse(r.body ?? '{}') as { remote: string }).remote, nodeIp);
    }
    const dir = await mapDir();

    // vpc_fwd: client (10.0.2.0/24) and ENI (10.0.1.0/24), node and target, sit in different
    // subnets, so every packet is routed by a VPC router. The program on the bridge ports does
    // that routing: its hits rise while the VPC namespaces' IP stacks forward (almost) nothing,
    // and each client still reaches only its own VPC's ENI (same CIDR, same IPs).
    const forwarded = async (ns: string) => {
      const snmp = (await run(['ip', 'netns', 'exec', ns, 'cat', '/proc/net/snmp'])).stdout.split('\n');
      const [head, vals] = snmp.filter((l) => l.startsWith('Ip:'));
      const i = (head ?? '').split(' ').indexOf('ForwDatagrams');
      return Number((vals ?? '').split(' ')[i]);
    };
    const hits = async () => {
      const { stdout } = await run(['bpftool', '-j', 'map', 'dump', 'pinned', `${dir}/fp_vstat`]);
      return Number(perCpuSum((JSON.parse(stdout) as { values: unknown }[])[0]?.values));
    };
    const routed = [`${PREFIX}-${prov.vpcId}`, consNsOf(0)];
    const [c1, c2nd] = consumers;
    assert.ok(c1 && c2nd);
    // Ports plugged outside a reconcile pass (these test hosts) get the program on the next tick.
    await eventually(
      async () => {
        await c1.client.http(ENI_IP, 80, 1000);
        return hits();
      },
      (h) => h > 0,
      { timeoutMs: 5_000, intervalMs: 200 },
    );
    const conns1 = await endpointConns();
    const fwd0 = await Promise.all(routed.map(forwarded));
    const hits0 = await hits();
    for (let i = 0; i < 10; i++) {
      const r = await c1.client.http(ENI_IP, 80, 1000);
      assert.equal((JSON.parse(r.body ?? '{}') as { remote: string }).remote, nodeIp);
    }
    const dHits = (await hits()) - hits0;
    const dFwd = (await Promise.all(routed.map(forwarded))).map((x, i) => x - (fwd0[i] ?? 0));
    // 10 requests: at least 4 routed hops (client→ENI, node→target and back) of ≥ 5 packets each.
    assert.ok(dHits >= 200, `vpc_fwd hits ${dHits}`);
    assert.ok(
      dFwd.every((d) => d < 10),
      `VPC namespaces forwarded ${JSON.stringify(dFwd)} packets of ${dHits}`,
    );
    const conns2 = await endpointConns();
    assert.equal((conns2.get(c1.epId) ?? 0) - (conns1.get(c1.epId) ?? 0), 10, 'client 1 reached its own ENI');
    assert.equal(conns2.get(c2nd.epId), conns1.get(c2nd.epId), 'the same-CIDR VPC saw none of it');
    assert.match(JSON.stringify(p.health()), /"vpcFwd":\{"hits":[1-9]/);

    // A client that reconnects from the same port at once (the old connection closed a moment
    // ago) gets its own port again as the NAT port: the new flow takes over the closed flow's
    // reply entry instead of probing for another port while the old one lingers.
    const reusePort = 40_123;
    const reuse = await run([
      'ip',
      'netns',
      'exec',
      consumers[0]?.client.ns ?? '',
      process.execPath,
      '-e',
      `const net = require('net');
const once = () => new Promise((ok, fail) => {
  const s = net.connect({ host: ${JSON.stringify(ENI_IP)}, port: 80, localPort: ${reusePort} });
  let got = '';
  s.on('connect', () => s.write('GET / HTTP/1.1\\r\\nHost: x\\r\\nConnection: close\\r\\n\\r\\n'));
  s.on('data', (d) => (got += d));
  s.on('error', fail);
  s.on('close', () => (got.includes('200 OK') ? ok() : fail(new Error('no answer'))));
});
(async () => { for (let i = 0; i < 3; i++) await once(); console.log('done'); })().catch((e) => { console.log(String(e)); process.exit(1); });`,
    ]);
    assert.match(reuse.stdout, /done/);
    const natPorts = (await dump(dir, 'fp_ctf'))
      .map((e) => ({ key: unpack(LAYOUTS.ct_key, e.key), val: unpack(LAYOUTS.ct_fwd, e.value) }))
      .filter((e) => e.key['saddr'] === CLIENT_IP && e.key['sport'] === reusePort)
      .map((e) => e.val['nat_port']);
    assert.deepEqual(natPorts, [reusePort], 'the reconnecting client kept its port as the NAT port');

    const nftConns = async (eniId: string) =>
      (await nftConnCounter(eniNamespace(PREFIX, eniId))).match(/"packets":\s*(\d+)/)?.[1];
    const conns0 = await Promise.all(consumers.map((c) => nftConns(c.eniId)));

    // One open flow per consumer: two forward entries, same client tuple, two ENI MACs.
    const holds = await Promise.all(consumers.map((c) => c.client.hold(ENI_IP, 80)));
    await eventually(
      async () => Promise.all(consumers.map((c, i) => c.client.held(holds[i] ?? 0))),
      (hs) => hs.every((h) => h?.got.includes('held')),
      { timeoutMs: 5_000, intervalMs: 50 },
    );
    const fwd = (await dump(dir, 'fp_ctf')).map((e) => ({
      key: unpack(LAYOUTS.ct_key, e.key),
      val: unpack(LAYOUTS.ct_fwd, e.value),
    }));
    const open = fwd.filter(
      (e) => e.key['saddr'] === CLIENT_IP && e.key['daddr'] === ENI_IP && e.val['flags'] === 0,
    );
    assert.equal(new Set(open.map((e) => e.key['mac'])).size, 2, 'two ENIs, told apart by MAC');
    // The finished requests are marked closed (a FIN each way, or a reset) and linger for the
    // GC: ACKs for data sent before the other side's FIN may still follow the FINs.
    const closedKeys = fwd.filter((e) => e.val['flags'] !== 0);
    assert.ok(
      closedKeys.every(
        (e) => (Number(e.val['flags']) & CT_RST) !== 0 || (Number(e.val['flags']) & CT_FIN_FWD) !== 0,
      ),
      'finished flows are marked closed',
    );
    assert.ok(open.every((e) => e.val['target_ip'] === '10.0.2.10' && e.val['target_port'] === 8080));
    assert.ok(
      open.every((e) => Number(e.val['nat_port']) >= 16384),
      'NAT ports above the nft range',
    );

    // The kernel path saw none of it: the ENI's nft connection counter did not move and its
    // conntrack holds no established flow.
    for (const [i, c] of consumers.entries()) {
      assert.equal(await nftConns(c.eniId), conns0[i], 'fast-path flows skip the nft path');
      const ns = eniNamespace(PREFIX, c.eniId);
      const ct = await run([
        'ip',
        'netns',
        'exec',
        ns,
        'conntrack',
        '-L',
        '-p',
        'tcp',
        '--orig-dst',
        ENI_IP,
        '--state',
        'ESTABLISHED',
      ]).catch(() => ({ stdout: '' }));
      assert.equal(ct.stdout.trim(), '', 'no kernel conntrack for fast-path flows');
    }

    // The map counters reach the endpoint traffic port (DescribeVpcEndpoints-side, /metrics).
    const traffic = await p.dataplane?.ports.traffic?.endpointTraffic();
    for (const c of consumers) {
      const m = traffic?.get(c.epId);
      assert.ok(m && m.connectionsTotal >= 2, `connections counted for ${c.epId}: ${JSON.stringify(m)}`);
      assert.ok(m.bytesIn > 0 && m.bytesOut > 0 && m.activeConnections >= 1);
    }
    assert.match(JSON.stringify(p.health()), /"fastPath":\{"loaded":true/);

    // Reject the first endpoint: its open flow is cut within a second, the other one lives on.
    const rejectedAt = Date.now();
    await provider.send(
      new RejectVpcEndpointConnectionsCommand({
        ServiceId: serviceId,
        VpcEndpointIds: [consumers[0]?.epId ?? ''],
      }),
    );
    const cut = await eventually(
      () => consumers[0]?.client.held(holds[0] ?? 0) ?? Promise.resolve(null),
      (h) => (h?.endedAt ?? 0) > 0,
      { timeoutMs: 3_000, intervalMs: 20 },
    );
    assert.ok((cut?.endedAt ?? 0) - rejectedAt < 1000, `cut after ${(cut?.endedAt ?? 0) - rejectedAt} ms`);
    assert.equal(
      (await consumers[1]?.client.held(holds[1] ?? 0))?.endedAt,
      0,
      'the other endpoint keeps its flow',
    );
    const refused = await consumers[0]?.client.http(ENI_IP, 80, 1000);
    assert.equal(
      refused?.error,
      'ECONNREFUSED',
      `${JSON.stringify(refused)} ${JSON.stringify(await dump(dir, 'fp_svc'))} ${JSON.stringify(p.health())}`,
    );

    // Idle timeout: an idle flow whose last packet is older than the listener's timeout is
    // removed by the GC; its next packet meets a stack without state and is reset.
    const c2 = consumers[1];
    assert.ok(c2);
    const quiet = idleClient(c2.client.ns, ENI_IP, 80);
    idle.push(quiet);
    const sport = Number(
      (await eventually(quiet.output, (o) => /port \d+/.test(o), { timeoutMs: 5_000, intervalMs: 20 })).match(
        /port (\d+)/,
      )?.[1],
    );
    const entry = (await dump(dir, 'fp_ctf')).find((e) => unpack(LAYOUTS.ct_key, e.key)['sport'] === sport);
    assert.ok(entry, 'the idle flow has a forward entry');
    const fmac = unpack(LAYOUTS.ct_key, entry.key)['mac'];
    const reply = (await dump(dir, 'fp_ctr')).find((e) => {
      const v = unpack(LAYOUTS.ct_rev, e.value);
      return v['client_port'] === sport && v['eni_mac'] === fmac;
    });
    assert.ok(reply, 'the idle flow has a reply entry');
    // Both directions idle for longer than the timeout (last packet at boot time).
    const age = async (
      map: string,
      e: { key: Buffer; value: Buffer },
      l: typeof LAYOUTS.ct_fwd | typeof LAYOUTS.ct_rev,
    ) => {
      const v = pack(l, { ...unpack(l, e.value), last_ns: 1n });
      await run([
        'bpftool',
        'map',
        'update',
        'pinned',
        `${dir}/${map}`,
        'key',
        'hex',
        ...hex(e.key).split(' '),
        'value',
        'hex',
        ...hex(v).split(' '),
      ]);
    };
    await age('fp_ctf', entry, LAYOUTS.ct_fwd);
    await age('fp_ctr', reply, LAYOUTS.ct_rev);
    await eventually(
      async () => (await dump(dir, 'fp_ctf')).some((e) => e.key.equals(entry.key)),
      (present) => !present,
      { timeoutMs: 5_000, intervalMs: 100 },
    );
    quiet.send();
    const after = await eventually(quiet.output, (o) => /closed/.test(o), {
      timeoutMs: 5_000,
      intervalMs: 20,
    });
    assert.match(after, /error ECONNRESET/);
    assert.doesNotMatch(after, /data/);
    assert.equal((await c2.client.held(holds[1] ?? 0))?.endedAt, 0, 'busy flows are not collected');

    // Closed flows are gone once they lingered (2 s) and the GC ran.
    await eventually(
      async () =>
        (await dump(dir, 'fp_ctf'))
          .map((e) => tupleId(unpack(LAYOUTS.ct_key, e.key)))
          .filter((id) => closedKeys.some((c) => tupleId(c.key) === id)).length,
      (n) => n === 0,
      { timeoutMs: 10_000, intervalMs: 250 },
    );

    // Deregistration: when the delay ends, the target's fast-path flows are reset (their map
    // entries go, as `conntrack -D` does on the nftables path).
    await elb.send(
      new ModifyTargetGroupAttributesCommand({
        TargetGroupArn: tgArn,
        Attributes: [{ Key: 'deregistration_delay.timeout_seconds', Value: '0' }],
      }),
    );
    await elb.send(new DeregisterTargetsCommand({ TargetGroupArn: tgArn, Targets: [{ Id: '10.0.2.10' }] }));
    const drained = await eventually(
      () => c2.client.held(holds[1] ?? 0),
      (h) => (h?.endedAt ?? 0) > 0,
      { timeoutMs: 5_000, intervalMs: 50 },
    );
    assert.ok(drained?.error, `the drained flow was reset (${drained?.error ?? ''})`);
  },
);
