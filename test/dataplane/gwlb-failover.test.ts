/**
 * GWLB target failover and deregistration with real traffic through two appliances, read back
 * through the real ELBv2 client: DescribeTargetHealth shows the GWLB nodes' checks (initial,
 * healthy, unhealthy with Target.FailedHealthChecks); with target_failover no_rebalance an
 * existing flow stays on its appliance when it turns unhealthy, with rebalance it moves to the
 * healthy one (same flow cookie); a deregistered appliance is `draining` and keeps its existing
 * flow for deregistration_delay.timeout_seconds (3 s here), after which the flow moves
 * (rebalance) or is cut (no_rebalance) and the target is gone from DescribeTargetHealth.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DeregisterTargetsCommand,
  DescribeTargetHealthCommand,
  ModifyTargetGroupAttributesCommand,
  type TargetHealthDescription,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { run } from '../../src/dataplane/netns/run.js';
import { eventually } from '../helpers/privlink.js';
import { netnsSkip } from '../helpers/netns.js';
import { echoFlow, echoServer, gwlbWorld, raiseMtu } from './gwlb-helpers.js';

const PREFIX = 'tgf';
const exec = promisify(execFile);
const skip = await netnsSkip('GWLB failover tests');

test(
  'GWLB: target health in DescribeTargetHealth, no_rebalance vs rebalance on unhealthy, draining on deregistration',
  { skip, timeout: 120_000 },
  async (t) => {
    const w = await gwlbWorld(t, PREFIX, ['--log - --health-port 80', '--log - --health-port 80']);
    const { elb, tgArn } = w;
    const setAttrs = (attrs: Record<string, string>) =>
      elb.send(
        new ModifyTargetGroupAttributesCommand({
          TargetGroupArn: tgArn,
          Attributes: Object.entries(attrs).map(([Key, Value]) => ({ Key, Value })),
        }),
      );
    const healthOf = async () => {
      const r = await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: tgArn }));
      return new Map(
        (r.TargetHealthDescriptions ?? []).map((d: TargetHealthDescription) => [
          d.Target?.Id ?? '',
          d.TargetHealth ?? {},
        ]),
      );
    };

    // Just registered: both read initial (no check result yet, or checks still short of the threshold).
    for (const h of (await healthOf()).values()) {
      assert.equal(h.State, 'initial');
      assert.match(String(h.Reason), /^Elb\.(RegistrationInProgress|InitialHealthChecking)$/);
    }
    await w.accept();
    await eventually(healthOf, (m) => [...m.values()].every((h) => h.State === 'healthy'), {
      timeoutMs: 30_000,
      intervalMs: 250,
    });

    const logs = async () => Promise.all(w.applianceIds.map((id) => w.seen(id)));
    const bNs = `${PREFIX}-hb`;
    const aNs = `${PREFIX}-ha`;

    // --- Jumbo frames: with both VPCs at 9001 bytes (AWS's VPC MTU), an 8,500-byte inner packet
    // crosses the appliance; one byte more gets "fragmentation needed" (mtu 8500) from the endpoint.
    await raiseMtu(w.providerVpcNs, 9001, true);
    for (const id of w.applianceIds) await raiseMtu(`${PREFIX}-${id}`, 9001);
    await raiseMtu(w.consumerVpcNs, 9001, true);
    for (const ns of [aNs, bNs]) await raiseMtu(ns, 9001);
    // Any change makes a pass, which reads the provider VPC's MTU again.
    await setAttrs({ 'deregistration_delay.timeout_seconds': '3' });
    const ping = async (size: number) => {
      // A's PMTU cache may hold the 1,432 bytes the endpoint answered before the pass.
      await run(['ip', '-n', aNs, 'route', 'flush', 'cache']);
      // ping's own output either way (a refused size exits 1 but says why on stdout).
      const r = await exec(
        'ip',
        ['netns', 'exec', aNs, 'ping', '-M', 'do', '-c', '1', '-W', '1', '-s', String(size), '10.0.2.10'],
        { timeout: 3000 },
      ).catch((e: { stdout?: string }) => ({ stdout: `failed: ${e.stdout ?? ''}` }));
      return r.stdout;
    };
    const jumbo = await eventually(
      () => ping(8472),
      (out) => out.includes(' 0% packet loss'),
      { timeoutMs: 10_000, intervalMs: 200 },
    );
    assert.match(jumbo, /8480 bytes from 10\.0\.2\.10/);
    const bigSeen = (await logs()).flat().filter((x) => x.proto === 1 && x.len === 8500);
    assert.ok(
      bigSeen.some((x) => x.src === '10.0.1.10') && bigSeen.some((x) => x.src === '10.0.2.10'),
      'the appliance saw the 8,500-byte packets both ways',
    );
    assert.match(await ping(8473), /Frag needed and DF set \(mtu = 8500\)/);
    await echoServer(t, bNs, '10.0.2.10', 7000);
    /** Per appliance: packets of the flow from local port `port` seen since `since`, both ways? */
    const carrier = async (port: number, since = 0) =>
      (await logs()).map((l) => {
        const f = l.filter(
          (x) =>
            x.at >= since &&
            ((x.src === '10.0.1.10' && x.sport === port) || (x.dst === '10.0.1.10' && x.dport === port)),
        );
        return { n: f.length, both: f.some((x) => x.src === '10.0.2.10'), cookie: f.at(-1)?.flowCookie };
      });
    /** Waits until the flow's echoes grow by `n` more. */
    const flowing = async (f: ReturnType<typeof echoFlow>, n = 5) => {
      const start = f.echoes();
      await eventually(
        () => f.echoes(),
        (c) => c >= start + n,
        { timeoutMs: 5_000, intervalMs: 100 },
      );
    };

    // --- on_unhealthy = no_rebalance (default): the flow stays on its unhealthy appliance.
    const f1 = echoFlow(t, aNs, '10.0.2.10', 7000, 40001);
    await flowing(f1);
    const c1 = await carrier(40001);
    const x = c1.findIndex((c) => c.both);
    assert.ok(x >= 0, `one appliance carries the flow both ways (${JSON.stringify(c1)})`);
    const y = 1 - x;
    const [idX, idY] = [w.applianceIds[x] ?? '', w.applianceIds[y] ?? ''];
    assert.equal(c1[y]?.n, 0, 'the other appliance never sees it');
    // X refuses its health checks: after two failed checks it is unhealthy in DescribeTargetHealth.
    await run([
      'ip',
      'netns',
      'exec',
      `${PREFIX}-${idX}`,
      'nft',
      'add table ip hc; add chain ip hc in { type filter hook input priority 0; }; add rule ip hc in tcp dport 80 reject with tcp reset',
    ]);
    const unhealthy = await eventually(healthOf, (m) => m.get(idX)?.State === 'unhealthy', {
      timeoutMs: 30_000,
      intervalMs: 250,
    });
    assert.equal(unhealthy.get(idX)?.Reason, 'Target.FailedHealthChecks');
    assert.equal(unhealthy.get(idY)?.State, 'healthy');
    const tUnhealthy = Date.now();
    await flowing(f1);
    const c2 = await carrier(40001, tUnhealthy);
    assert.equal(c2[y]?.n, 0, 'no_rebalance: the flow stays on the unhealthy appliance');
    assert.ok(c2[x]?.both, 'and keeps going through it both ways');

    // --- on_unhealthy = rebalance: the same flow moves to the healthy appliance, same cookie.
    await setAttrs({
      'target_failover.on_deregistration': 'rebalance',
      'target_failover.on_unhealthy': 'rebalance',
    });
    const moved = await eventually(
      () => carrier(40001),
      (c) => c[y]?.both === true,
      { timeoutMs: 5_000, intervalMs: 200 },
    );
    assert.equal(moved[y]?.cookie, c1[x]?.cookie, 'the moved flow keeps its flow cookie');
    const tMoved = Date.now();
    await flowing(f1);
    assert.equal((await carrier(40001, tMoved))[x]?.n, 0, 'nothing of it on the unhealthy appliance');
    assert.deepEqual(f1.errors(), []);
    // Counters are read from the BPF map on each status look (for the next one).
    await eventually(
      () => JSON.stringify(w.p.health()),
      (h) => /"rebalanced":[1-9]/.test(h),
      { timeoutMs: 3_000, intervalMs: 100 },
    );

    // --- Deregistration with rebalance: Y (which now carries the flow) drains for 3 s, then the
    // flow moves to X (unhealthy, but the only one left: fail open).
    const tDereg = Date.now();
    await elb.send(new DeregisterTargetsCommand({ TargetGroupArn: tgArn, Targets: [{ Id: idY }] }));
    const draining = await healthOf();
    assert.equal(draining.get(idY)?.State, 'draining');
    assert.equal(draining.get(idY)?.Reason, 'Target.DeregistrationInProgress');
    await flowing(f1, 8); // ~1.6 s of the 3 s delay
    assert.ok(Date.now() - tDereg < 3_000);
    const during = await carrier(40001, tDereg);
    assert.equal(during[x]?.n, 0, 'during the delay the flow stays on the draining appliance');
    assert.ok(during[y]?.both);
    await eventually(
      () => carrier(40001, tDereg + 3_000),
      (c) => c[x]?.both === true,
      { timeoutMs: 8_000, intervalMs: 200 },
    );
    const tBack = Date.now();
    await flowing(f1);
    assert.equal((await carrier(40001, tBack))[y]?.n, 0, 'after the delay the flow left Y');
    assert.equal((await healthOf()).has(idY), false, 'after the delay Y is gone from DescribeTargetHealth');

    // --- Deregistration with no_rebalance: X drains for 3 s with the flow, then it is cut.
    await setAttrs({
      'target_failover.on_deregistration': 'no_rebalance',
      'target_failover.on_unhealthy': 'no_rebalance',
    });
    const f2 = echoFlow(t, aNs, '10.0.2.10', 7000, 40002);
    await flowing(f2);
    const t0 = Date.now();
    await elb.send(new DeregisterTargetsCommand({ TargetGroupArn: tgArn, Targets: [{ Id: idX }] }));
    assert.equal((await healthOf()).get(idX)?.State, 'draining');
    await flowing(f2, 8);
    assert.ok(Date.now() - t0 < 3_000, 'the flow carried on during the delay');
    // After the delay: no more echoes, and the node counts the cut packets.
    await eventually(
      () => JSON.stringify(w.p.health()),
      (s) => /"cut":[1-9]/.test(s),
      { timeoutMs: 8_000, intervalMs: 200 },
    );
    const stopped = f2.echoes();
    await new Promise((r) => setTimeout(r, 1_000));
    assert.equal(f2.echoes(), stopped, 'no_rebalance: the flow is cut when the delay ends');
    assert.equal((await healthOf()).size, 0, 'no target left in DescribeTargetHealth');
  },
);
