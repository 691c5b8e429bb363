/**
 * Gateway Load Balancer endpoints carry traffic through an appliance over GENEVE, across
 * accounts with the same VPC CIDR on both sides: east-west inspection inside the consumer VPC
 * (subnet A's table sends B to the endpoint, B's sends A back), then the app-subnet pattern (only
 * A's table sends B's range to the endpoint, the endpoint's subnet routes it on), gating by endpoint state
 * (pendingAcceptance and rejected carry nothing), the appliance seeing the endpoint ID and one
 * flow cookie in both directions, and its drop rule (port 23) holding; with two appliances,
 * flow stickiness, failover of new flows when one turns unhealthy, and a mangled answer dropped
 * and counted without harming other flows.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateRouteCommand,
  CreateRouteTableCommand,
  CreateVpcCommand,
  DeleteRouteCommand,
  DescribeRouteTablesCommand,
  RejectVpcEndpointConnectionsCommand,
} from '@aws-sdk/client-ec2';
import { run } from '../../src/dataplane/netns/run.js';
import { eventually, expectAwsError } from '../helpers/privlink.js';
import { netnsSkip } from '../helpers/netns.js';
import { gwlbWorld, type Seen } from './gwlb-helpers.js';
import { pings } from './traffic-helpers.js';

const PREFIX = 'tgw';
const skip = await netnsSkip('GWLB tests');

test(
  'GWLB endpoint: east-west inspection through an appliance, across accounts, same CIDR, gating',
  { skip, timeout: 90_000 },
  async (t) => {
    // One appliance without a health listener: unhealthy, so the GWLB fails open to it.
    const w = await gwlbWorld(t, PREFIX, ['--log - --drop-port 23']);
    const { prov, serviceId, vpceId, reaches } = w;
    await w.b.serve('10.0.2.10', 23, 'telnet');

    // A route in another VPC cannot target this endpoint (AWS: different networks).
    const other = await w.cons.send(new CreateVpcCommand({ CidrBlock: '10.9.0.0/16' }));
    const otherRt = await w.cons.send(new CreateRouteTableCommand({ VpcId: other.Vpc?.VpcId ?? '' }));
    await expectAwsError(
      w.cons.send(
        new CreateRouteCommand({
          RouteTableId: otherRt.RouteTable?.RouteTableId ?? '',
          DestinationCidrBlock: '10.0.2.0/24',
          VpcEndpointId: vpceId,
        }),
      ),
      'InvalidParameterValue',
    );

    // pendingAcceptance: the routes point at an endpoint that carries nothing.
    assert.equal(await reaches(8080), false);
    await w.accept();
    assert.equal(
      await eventually(
        () => reaches(8080),
        (ok) => ok,
        { timeoutMs: 15_000 },
      ),
      true,
      'A → B through the appliance',
    );
    assert.equal(await pings(`${PREFIX}-ha`, '10.0.2.10'), true, 'ping A → B');
    assert.equal(await reaches(23), false, 'the appliance drops port 23');

    const log = await eventually(
      () => w.seen(w.applianceIds[0] ?? ''),
      (l) => l.some((x) => x.dport === 23),
    );
    const wantId = vpceId
      .replace(/^vpce-/, '')
      .padStart(16, '0')
      .slice(-16);
    const http = log.filter((x) => x.dport === 8080 || x.sport === 8080);
    const fwd = http.filter((x) => x.src === '10.0.1.10' && x.dport === 8080);
    const back = http.filter((x) => x.src === '10.0.2.10' && x.sport === 8080);
    assert.ok(fwd.length > 0 && back.length > 0, 'both directions seen by the appliance');
    assert.ok(
      http.every((x) => x.endpointId === wantId),
      `endpoint ID ${wantId} on every packet`,
    );
    const flow = fwd[0];
    const cookies = new Set(
      http.filter((x) => flow && [x.sport, x.dport].includes(flow.sport)).map((x) => x.flowCookie),
    );
    assert.equal(cookies.size, 1, 'one flow cookie for both directions of a flow');
    assert.ok(log.some((x) => x.dport === 23 && x.dropped));
    assert.match(
      JSON.stringify(w.p.health()),
      /"gateway-load-balancers":\{"nodes":1,"endpoints":1,"carrying":1/,
    );

    // The second pattern: only the app subnet (A) sends B's range to the endpoint; the endpoint's
    // subnet routes it on by its own table, and B answers A directly. The appliance now sees the
    // forward direction of new flows only.
    const bTable = await w.cons.send(
      new DescribeRouteTablesCommand({
        Filters: [{ Name: 'route.destination-cidr-block', Values: ['10.0.1.0/24'] }],
      }),
    );
    await w.cons.send(
      new DeleteRouteCommand({
        RouteTableId: bTable.RouteTables?.[0]?.RouteTableId ?? '',
        DestinationCidrBlock: '10.0.1.0/24',
      }),
    );
    const count = async () => {
      const l = (await w.seen(w.applianceIds[0] ?? '')).filter((x) => x.dport === 8080 || x.sport === 8080);
      return {
        fwd: l.filter((x) => x.src === '10.0.1.10').length,
        back: l.filter((x) => x.src === '10.0.2.10').length,
      };
    };
    // Routes change on the next pass: wait until A's flows stop coming back through the appliance.
    await eventually(
      async () => {
        const before = await count();
        const ok = await reaches(8080);
        const after = await count();
        return ok && after.fwd > before.fwd && after.back === before.back;
      },
      (ok) => ok,
      { timeoutMs: 15_000 },
    );
    assert.equal(await reaches(8080), true, 'A → B through the appliance, B → A direct');

    // Reject: the endpoint stops carrying at once.
    await prov.send(
      new RejectVpcEndpointConnectionsCommand({ ServiceId: serviceId, VpcEndpointIds: [vpceId] }),
    );
    assert.equal(
      await eventually(
        () => reaches(8080),
        (ok) => !ok,
      ),
      false,
      'rejected: nothing flows',
    );
  },
);

test(
  'GWLB: flows stick to one appliance both ways; new flows fail over when it turns unhealthy; mangled answers are dropped and counted',
  { skip, timeout: 90_000 },
  async (t) => {
    const w = await gwlbWorld(t, PREFIX, [
      '--log - --health-port 80',
      '--log - --health-port 80 --mangle-port 9',
    ]);
    await w.b.serve('10.0.2.10', 9, 'discard');
    await w.accept();
    // Both appliances healthy (two 5 s checks) before flows are counted.
    await new Promise((r) => setTimeout(r, 6_000));
    for (let i = 0; i < 12; i++) {
      assert.equal(
        await eventually(
          () => w.reaches(8080),
          (ok) => ok,
          { timeoutMs: 10_000 },
        ),
        true,
      );
    }
    const [app1, app2] = w.applianceIds;
    const l1 = await w.seen(app1 ?? '');
    const l2 = await w.seen(app2 ?? '');
    const flowsOf = (l: Seen[]) => new Set(l.filter((x) => x.dport === 8080).map((x) => x.sport));
    const f1 = flowsOf(l1);
    const f2 = flowsOf(l2);
    assert.ok(f1.size > 0 && f2.size > 0, `flows spread over both appliances (${f1.size} / ${f2.size})`);
    for (const port of f1) {
      assert.ok(!f2.has(port), `flow ${port} stayed on one appliance`);
      assert.ok(
        l1.some((x) => x.sport === 8080 && x.dport === port),
        `flow ${port}'s replies on the same appliance`,
      );
    }

    // Appliance 1 stops answering health checks: after two failed checks new flows go to 2 only.
    const ns1 = `${PREFIX}-${app1 ?? ''}`;
    await run([
      'ip',
      'netns',
      'exec',
      ns1,
      'nft',
      'add table ip hc; add chain ip hc in { type filter hook input priority 0; }; add rule ip hc in tcp dport 80 drop',
    ]);
    await eventually(
      () => JSON.stringify(w.p.health()),
      (s) => s.includes('"appliance":"10.0.1.50","health":"unhealthy"'),
      { timeoutMs: 30_000, intervalMs: 500 },
    );
    const before = (await w.seen(app1 ?? '')).length;
    for (let i = 0; i < 8; i++) assert.equal(await w.reaches(8080), true, 'new flows after failover');
    assert.equal((await w.seen(app1 ?? '')).length, before, 'appliance 1 gets no new flow');

    // Appliance 2 answers port 9 with a broken header: dropped and counted, the path lives on.
    assert.equal(await w.reaches(9), false);
    const stats = () => JSON.stringify(w.p.health());
    assert.match(await eventually(stats, (s) => /"mangled":[1-9]/.test(s)), /"mangled":[1-9]/);
    assert.equal(await w.reaches(8080), true, 'other flows unharmed');
  },
);
