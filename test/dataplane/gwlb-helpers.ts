/**
 * A GWLB world for the GWLB tests and bench: provider appliance instances (10.0.1.50, .51…,
 * running examples/gwlb-appliance.mjs with the given arguments) behind a Gateway Load Balancer
 * published with acceptance; a consumer VPC with the same CIDR whose subnets A and B route each
 * other's CIDR to a GWLB endpoint in subnet E; hosts a = 10.0.1.10 and b = 10.0.2.10 (HTTP 8080).
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import {
  AcceptVpcEndpointConnectionsCommand,
  AssociateRouteTableCommand,
  CreateRouteCommand,
  CreateRouteTableCommand,
  CreateVpcEndpointCommand,
  DescribeVpcEndpointsCommand,
  GetConsoleOutputCommand,
  RunInstancesCommand,
  type EC2Client,
} from '@aws-sdk/client-ec2';
import {
  CreateLoadBalancerCommand,
  CreateTargetGroupCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { createComponents, createDataplane } from '../../src/components.js';
import { run } from '../../src/dataplane/netns/run.js';
import { CONSUMER, PROVIDER, ec2Client, elbClient, eventually, startPrivlink } from '../helpers/privlink.js';
import { VpcHosts, publishService } from './traffic-helpers.js';
import {
  FAST_HEALTH_CHECKS,
  forwardListener,
  registerTargets,
  vpcWithSubnets,
} from './privatelink-builders.js';

type Hookable = { after(fn: () => unknown): void };
const APPLIANCE = fileURLToPath(new URL('../../examples/gwlb-appliance.mjs', import.meta.url));

const vpc = <const C extends readonly string[]>(ec2: EC2Client, cidrs: C) =>
  vpcWithSubnets(ec2, '10.0.0.0/16', cidrs);

export interface Seen {
  endpointId?: string;
  flowCookie?: string;
  src: string;
  dst: string;
  sport: number;
  dport: number;
  dropped: boolean;
  /** Inner IPv4 protocol and total length. */
  proto: number;
  len: number;
  /** Arrival time at the appliance (ms since the epoch). */
  at: number;
}

/**
 * Provider (appliance instances at 10.0.1.50, .51… behind a GWLB, published with acceptance)
 * and consumer (same 10.0.0.0/16; subnets A, B and the endpoint's E; A's table sends B to the
 * endpoint and B's sends A back), with hosts a = 10.0.1.10 and b = 10.0.2.10 (HTTP on 8080).
 */
export async function gwlbWorld(t: Hookable, prefix: string, appliances: string[]) {
  // Registered first so it runs first: the hosts go before privlink sweeps their namespaces.
  const hosts = new VpcHosts(t, prefix);
  const p = await startPrivlink(
    t,
    { dataplane: 'netns', netnsPrefix: prefix },
    { dataplane: createDataplane, components: createComponents },
  );
  const prov = ec2Client(p, { account: PROVIDER });
  const elb = elbClient(p, { account: PROVIDER });
  const cons = ec2Client(p, { account: CONSUMER });

  // Provider: the appliance instance behind a GWLB, published as an endpoint service.
  const pv = await vpc(prov, ['10.0.1.0/24']);
  const applianceIds: string[] = [];
  for (const [i, extra] of appliances.entries()) {
    // The appliance program travels in the user data: the instance's root is an overlay of the
    // host's with its own /tmp, so a checkout under /tmp (as in CI) is not visible inside.
    const script = await readFile(APPLIANCE, 'utf8');
    const userData = Buffer.from(
      `#!/bin/sh\ncat > /usr/local/lib/gwlb-appliance.mjs <<'APPLIANCE_EOF'\n${script}\nAPPLIANCE_EOF\n` +
        `exec ${process.execPath} /usr/local/lib/gwlb-appliance.mjs ${extra}\n`,
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
      ...FAST_HEALTH_CHECKS,
    }),
  );
  const tgArn = tg.TargetGroups?.[0]?.TargetGroupArn ?? '';
  await registerTargets(elb, tgArn, applianceIds);
  await forwardListener(elb, lbArn, tgArn);
  const { serviceId, serviceName } = await publishService(prov, lbArn, CONSUMER, 'gateway');

  // Consumer (same 10.0.0.0/16): A and B talk through the endpoint in subnet E.
  const cv = await vpc(cons, ['10.0.1.0/24', '10.0.2.0/24', '10.0.3.0/24']);
  const [sA, sB, sE] = cv.subnets;
  const ep = await cons.send(
    new CreateVpcEndpointCommand({
      VpcEndpointType: 'GatewayLoadBalancer',
      VpcId: cv.vpcId,
      ServiceName: serviceName,
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
  const vpcNs = `${prefix}-${cv.vpcId}`;
  const a = await hosts.add('ha', cv.vpcId, '10.0.1.10/24', '10.0.1.1');
  const b = await hosts.add('hb', cv.vpcId, '10.0.2.10/24', '10.0.2.1');
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
  return {
    p,
    prov,
    elb,
    cons,
    applianceIds,
    tgArn,
    serviceId,
    vpceId,
    a,
    b,
    seen,
    reaches,
    accept,
    providerVpcNs: `${prefix}-${pv.vpcId}`,
    consumerVpcNs: vpcNs,
  };
}

const ECHO_SERVER = `require('net').createServer((s) => { s.on('error', () => {}); s.pipe(s); })
  .listen(Number(process.argv[2]), process.argv[1], () => process.stdout.write('ready\\n'));`;
const ECHO_CLIENT = `const [host, port, localPort] = process.argv.slice(1);
const s = require('net').connect({ host, port: Number(port), localPort: Number(localPort) });
let n = 0;
s.on('error', (e) => process.stdout.write('error ' + e.code + '\\n'));
s.on('data', (d) => process.stdout.write(d));
setInterval(() => { if (!s.destroyed) s.write('echo ' + ++n + '\\n'); }, 200);`;

/** A process in a namespace whose stdout lines are collected; killed by the test's `after`. */
function nsProcess(t: Hookable, ns: string, script: string, args: string[]) {
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', script, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: string[] = [];
  let buf = '';
  child.stdout.on('data', (d: Buffer) => {
    buf += d.toString();
    const parts = buf.split('\n');
    buf = parts.pop() ?? '';
    lines.push(...parts);
  });
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill();
  });
  return lines;
}

/** A TCP echo server on ip:port inside `ns`. */
export async function echoServer(t: Hookable, ns: string, ip: string, port: number): Promise<void> {
  const lines = nsProcess(t, ns, ECHO_SERVER, [ip, String(port)]);
  await eventually(
    () => lines.includes('ready'),
    (ok) => ok,
  );
}

/**
 * One long-lived TCP flow from `ns` (fixed local port, so the appliance logs name it) that sends a
 * line every 200 ms; `echoes()` counts the lines that came back.
 */
export function echoFlow(t: Hookable, ns: string, host: string, port: number, localPort: number) {
  const lines = nsProcess(t, ns, ECHO_CLIENT, [host, String(port), String(localPort)]);
  return {
    echoes: () => lines.filter((l) => l.startsWith('echo ')).length,
    errors: () => lines.filter((l) => l.startsWith('error ')),
  };
}

/** Sets every link of a namespace but lo (or only its bridge and the bridge's ports) to `mtu`. */
export async function raiseMtu(ns: string, mtu: number, bridgeOnly = false): Promise<void> {
  const args = bridgeOnly ? ['link', 'show', 'master', 'br0'] : ['link', 'show'];
  const { stdout } = await run(['ip', '-n', ns, '-j', ...args]);
  const names = (JSON.parse(stdout) as { ifname: string }[]).map((l) => l.ifname).filter((n) => n !== 'lo');
  if (bridgeOnly) names.push('br0');
  for (const n of names) await run(['ip', '-n', ns, 'link', 'set', 'dev', n, 'mtu', String(mtu)]);
}
