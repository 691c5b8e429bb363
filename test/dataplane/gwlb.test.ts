/**
 * Gateway Load Balancer endpoints carry traffic through an appliance over GENEVE, across
 * accounts with the same VPC CIDR on both sides: east-west inspection inside the consumer VPC
 * (subnet A's table sends B to the endpoint, B's sends A back), gating by endpoint state
 * (pendingAcceptance and rejected carry nothing), the appliance seeing the endpoint ID and one
 * flow cookie in both directions, and its drop rule (port 23) holding; with two appliances,
 * flow stickiness, failover of new flows when one turns unhealthy, and a mangled answer dropped
 * and counted without harming other flows.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import {
  AcceptVpcEndpointConnectionsCommand,
  AssociateRouteTableCommand,
  CreateRouteCommand,
  CreateRouteTableCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  CreateVpcEndpointCommand,
  CreateVpcEndpointServiceConfigurationCommand,
  DescribeVpcEndpointsCommand,
  GetConsoleOutputCommand,
  ModifyVpcEndpointServicePermissionsCommand,
  RejectVpcEndpointConnectionsCommand,
  RunInstancesCommand,
  type EC2Client,
} from '@aws-sdk/client-ec2';
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateTargetGroupCommand,
  RegisterTargetsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { createComponents, createDataplane } from '../../src/components.js';
import { run } from '../../src/dataplane/netns/run.js';
import { CONSUMER, PROVIDER, ec2Client, elbClient, eventually, startPrivlink } from '../helpers/privlink.js';
import { netnsSkip } from '../helpers/netns.js';
import { NsHost } from './traffic-helpers.js';

const PREFIX = 'tgw';
const skip = await netnsSkip('GWLB tests');
const APPLIANCE = fileURLToPath(new URL('../../examples/gwlb-appliance.mjs', import.meta.url));

async function vpc(ec2: EC2Client, cidrs: string[]) {
  const v = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
  const vpcId = v.Vpc?.VpcId ?? '';
  const subnets: string[] = [];
  for (const c of cidrs) {
    const s = await ec2.send(
      new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: c, AvailabilityZone: 'us-east-1a' }),
    );
    subnets.push(s.Subnet?.SubnetId ?? '');
  }
  return { vpcId, subnets };
}

async function ping(ns: string, ip: string): Promise<boolean> {
  try {
    await run(['ip', 'netns', 'exec', ns, 'ping', '-c', '1', '-W', '1', ip], undefined, 3000);
    return true;
  } catch {
    return false;
  }
}

interface Seen {
  endpointId?: string;
  flowCookie?: string;
  src: string;
  dst: string;
  sport: number;
  dport: number;
  dropped: boolean;
}

/**
 * Provider (appliance instances at 10.0.1.50, .51… behind a GWLB, published with acceptance)
 * and consumer (same 10.0.0.0/16; subnets A, B and the endpoint's E; A's table sends B to the
 * endpoint and B's sends A back), with hosts a = 10.0.1.10 and b = 10.0.2.10 (HTTP on 8080).
 */
async function world(t: TestContext, appliances: string[]) {
  const hosts: NsHost[] = [];
  // Registered first so it runs first: the hosts go before privlink sweeps their namespaces.
  t.after(async () => {
    for (const h of hosts) await h.close().catch(() => undefined);
  });
  const p = await startPrivlink(
    t,
    { dataplane: 'netns', netnsPrefix: PREFIX },
    { dataplane: createDataplane, components: createComponents },
  );
  const prov = ec2Client(p, { account: PROVIDER });
  const elb = elbClient(p, { account: PROVIDER });
  const cons = ec2Client(p, { account: CONSUMER });

  // Provider: the appliance instance behind a GWLB, published as an endpoint service.
  const pv = await vpc(prov, ['10.0.1.0/24']);
  const applianceIds: string[] = [];
  for (const [i, extra] of appliances.entries()) {
    const userData = Buffer.from(
      `#!/bin/sh\nexec ${process.execPath} ${APPLIANCE} --log - ${extra}\n`,
    ).toString('base64');
    const inst = await prov.send(
      new RunInstancesCommand({
        ImageId: 'ami-0123456789abcdef0',
        MinCount: 1,
        MaxCount: 1,
        SubnetId: pv.subnets[0],
        PrivateIpAddress: `10.0.1.${50 + i}`,
        UserData: userData,
      }),
    );
    applianceIds.push(inst.Instances?.[0]?.InstanceId ?? '');
  }
  const lb = await elb.send(
    new CreateLoadBalancerCommand({ Name: 'gwlb', Type: 'gateway', Subnets: pv.subnets }),
  );
  const lbArn = lb.LoadBalancers?.[0]?.LoadBalancerArn ?? '';
  const tg = await elb.send(
    new CreateTargetGroupCommand({
      Name: 'appliances',
      Protocol: 'GENEVE',
      Port: 6081,
      VpcId: pv.vpcId,
      TargetType: 'instance',
      HealthCheckProtocol: 'TCP',
      HealthCheckPort: '80',
      HealthCheckIntervalSeconds: 5,
      HealthCheckTimeoutSeconds: 2,
      HealthyThresholdCount: 2,
      UnhealthyThresholdCount: 2,
    }),
  );
  const tgArn = tg.TargetGroups?.[0]?.TargetGroupArn ?? '';
  await elb.send(
    new RegisterTargetsCommand({ TargetGroupArn: tgArn, Targets: applianceIds.map((Id) => ({ Id })) }),
  );
  await elb.send(
    new CreateListenerCommand({
      LoadBalancerArn: lbArn,
      DefaultActions: [{ Type: 'forward', TargetGroupArn: tgArn }],
    }),
  );
  const svc = await prov.send(
    new CreateVpcEndpointServiceConfigurationCommand({
      GatewayLoadBalancerArns: [lbArn],
      AcceptanceRequired: true,
    }),
  );
  const serviceId = svc.ServiceConfiguration?.ServiceId ?? '';
  await prov.send(
    new ModifyVpcEndpointServicePermissionsCommand({
      ServiceId: serviceId,
      AddAllowedPrincipals: [`arn:aws:iam::${CONSUMER}:root`],
    }),
  );

  // Consumer (same 10.0.0.0/16): A and B talk through the endpoint in subnet E.
  const cv = await vpc(cons, ['10.0.1.0/24', '10.0.2.0/24', '10.0.3.0/24']);
  const [sA, sB, sE] = cv.subnets;
  const ep = await cons.send(
    new CreateVpcEndpointCommand({
      VpcEndpointType: 'GatewayLoadBalancer',
      VpcId: cv.vpcId,
      ServiceName: svc.ServiceConfiguration?.ServiceName ?? '',
      SubnetIds: [sE ?? ''],
    }),
  );
  const vpceId = ep.VpcEndpoint?.VpcEndpointId ?? '';
  for (const [subnet, dest] of [
    [sA, '10.0.2.0/24'],
    [sB, '10.0.1.0/24'],
  ] as const) {
    const rt = await cons.send(new CreateRouteTableCommand({ VpcId: cv.vpcId }));
    const rtbId = rt.RouteTable?.RouteTableId ?? '';
    await cons.send(
      new CreateRouteCommand({ RouteTableId: rtbId, DestinationCidrBlock: dest, VpcEndpointId: vpceId }),
    );
    await cons.send(new AssociateRouteTableCommand({ RouteTableId: rtbId, SubnetId: subnet }));
  }
  const vpcNs = `${PREFIX}-${cv.vpcId}`;
  await eventually(
    () => run(['ip', 'netns', 'list']).then((r) => r.stdout),
    (s) => s.includes(vpcNs),
  );
  const a = await NsHost.create(`${PREFIX}-ha`, vpcNs, '10.0.1.10/24', '10.0.1.1');
  hosts.push(a);
  const b = await NsHost.create(`${PREFIX}-hb`, vpcNs, '10.0.2.10/24', '10.0.2.1');
  hosts.push(b);
  await b.serve('10.0.2.10', 8080, 'b');
  await b.serve('10.0.2.10', 23, 'telnet');
  const seen = async (applianceId: string): Promise<Seen[]> => {
    const out = await prov.send(new GetConsoleOutputCommand({ InstanceId: applianceId, Latest: true }));
    return Buffer.from(out.Output ?? '', 'base64')
      .toString()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Seen);
  };
  const reaches = async (port: number) => (await a.http('10.0.2.10', port, 1000)).body !== undefined;
  const accept = async () => {
    await prov.send(
      new AcceptVpcEndpointConnectionsCommand({ ServiceId: serviceId, VpcEndpointIds: [vpceId] }),
    );
    await eventually(
      async () =>
        (await cons.send(new DescribeVpcEndpointsCommand({ VpcEndpointIds: [vpceId] }))).VpcEndpoints?.[0]
          ?.State,
      (s) => String(s) === 'available',
    );
  };
  return { p, prov, elb, cons, applianceIds, tgArn, serviceId, vpceId, a, b, seen, reaches, accept };
}

test(
  'GWLB endpoint: east-west inspection through an appliance, across accounts, same CIDR, gating',
  { skip, timeout: 90_000 },
  async (t) => {
    // One appliance without a health listener: unhealthy, so the GWLB fails open to it.
    const w = await world(t, ['--drop-port 23']);
    const { prov, serviceId, vpceId, reaches } = w;
    await w.b.serve('10.0.2.10', 23, 'telnet');

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
    assert.equal(await ping(`${PREFIX}-ha`, '10.0.2.10'), true, 'ping A → B');
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
    const w = await world(t, ['--health-port 80', '--health-port 80 --mangle-port 9']);
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
