/**
 * `privlink demo`: the whole PrivateLink story, played on a fresh embedded privlink through the
 * real AWS SDK, as a user would. Provider 111111111111 publishes "xyz.com" (two instances behind
 * a Network Load Balancer with PROXY v2, acceptance required, verified private DNS name);
 * consumer 222222222222, with the same VPC CIDR, connects through an interface endpoint, is
 * accepted, fetches http://xyz.com/ by name from its instance, and is cut off when rejected.
 */
import { execFile } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AcceptVpcEndpointConnectionsCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  CreateVpcEndpointCommand,
  CreateVpcEndpointServiceConfigurationCommand,
  DescribeInstancesCommand,
  DescribeVpcEndpointConnectionsCommand,
  DescribeVpcEndpointServiceConfigurationsCommand,
  DescribeVpcEndpointServicesCommand,
  DescribeVpcEndpointsCommand,
  DescribeVpcsCommand,
  EC2Client,
  GetConsoleOutputCommand,
  ModifyVpcAttributeCommand,
  ModifyVpcEndpointServicePermissionsCommand,
  RejectVpcEndpointConnectionsCommand,
  RunInstancesCommand,
  StartVpcEndpointServicePrivateDnsVerificationCommand,
} from '@aws-sdk/client-ec2';
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateTargetGroupCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  ModifyTargetGroupAttributesCommand,
  RegisterTargetsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { createComponents, createDataplane } from '../components.js';
import { Privlink } from '../emulator.js';
import { startStaticZoneServer, type StaticZoneServer } from '../dns/static-zone-server.js';
import dnsPacket from 'dns-packet';
import { probeNetns } from '../dataplane/netns/run.js';
import { providerUserData } from './provider-web-server.js';
import { StepFailed, StepRunner, waitFor } from './steps.js';

export const PROVIDER_ACCOUNT = '111111111111';
export const CONSUMER_ACCOUNT = '222222222222';
export const DEMO_REGION = 'us-east-1';
const DOMAIN = 'xyz.com';

export interface DemoOptions {
  keep: boolean;
  /** Force the loopback data plane even as root (what a machine without namespaces gets). */
  loopback?: boolean;
  port: number;
  out?: (line: string) => void;
  /** Resolves when the user wants a kept demo to stop (default: SIGINT/SIGTERM). */
  untilStopped?: () => Promise<void>;
}

interface Preflight {
  root: boolean;
  reason: string;
}

async function portFree(port: number): Promise<boolean> {
  if (port === 0) return true;
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

function sdkClients(url: string, account: string) {
  const config = {
    endpoint: url,
    region: DEMO_REGION,
    credentials: { accessKeyId: account, secretAccessKey: 'demo' },
    maxAttempts: 1,
  };
  return { ec2: new EC2Client(config), elb: new ElasticLoadBalancingV2Client(config) };
}

function must<T>(v: T | undefined | null, what: string): T {
  if (v === undefined || v === null) throw new Error(`the API response lacks ${what}`);
  return v;
}

/** The subnets both sides get (same CIDRs on purpose): 10.0.1.0/24 in 1a, then 10.0.2.0/24 in 1b. */
async function createSubnetPair(ec2: EC2Client, vpcId: string): Promise<[string, string]> {
  const subnet = async (cidr: string, zone: string) =>
    must(
      (await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: cidr, AvailabilityZone: zone })))
        .Subnet?.SubnetId,
      'SubnetId',
    );
  const a = await subnet('10.0.1.0/24', 'us-east-1a');
  const b = await subnet('10.0.2.0/24', 'us-east-1b');
  return [a, b];
}

/** Plays the story; returns the process exit code. */
export async function runDemo(o: DemoOptions): Promise<number> {
  const out = o.out ?? ((l: string) => process.stdout.write(l + '\n'));
  const steps = new StepRunner(out);
  let privlink: Privlink | undefined;
  let zone: StaticZoneServer | undefined;
  let dataDir: string | undefined;
  let kept = false;
  out(
    'privlink demo: AWS PrivateLink end to end — provider 111111111111 publishes xyz.com, consumer 222222222222 connects',
  );
  try {
    const pre = await steps.step('Preflight: privileges, tools and port', async (): Promise<Preflight> => {
      if (!(await portFree(o.port))) {
        throw new Error(`port ${o.port} on 127.0.0.1 is taken (another privlink?); stop it or pass --port`);
      }
      if (!(await hasCommand('curl'))) {
        throw new Error("'curl' is not installed (the consumer's instance uses it): apt-get install curl");
      }
      const probe = await probeNetns();
      if (o.loopback || !probe.ok) {
        const why = o.loopback ? '--loopback given' : probe.reason;
        steps.note(`${why}: the data plane runs in loopback mode (no network namespaces, no isolation)`);
        return { root: false, reason: why };
      }
      return { root: true, reason: probe.reason };
    });

    const started = await steps.step('Start privlink on a fresh embedded store', async () => {
      zone = await startStaticZoneServer({ host: '127.0.0.1', port: 0 });
      dataDir = mkdtempSync(join(tmpdir(), 'privlink-demo-'));
      privlink = new Privlink(
        {
          port: o.port,
          dataDir,
          verificationResolver: `127.0.0.1:${zone.port}`,
          dataplane: pre.root ? 'netns' : 'loopback',
          dnsPort: 0,
          pendingMs: 200,
          logLevel: 'warn',
          netnsPrefix: 'pld',
        },
        { dataplane: createDataplane, components: createComponents },
      );
      await privlink.start();
      const health = privlink.health() as { components: Record<string, Record<string, unknown>> };
      const mode = String(health.components['dataplane']?.['mode'] ?? 'off');
      steps.note(`API at ${privlink.url}, store ${privlink.store.location}, data plane: ${mode}`);
      if (mode !== 'netns' && mode !== 'loopback')
        throw new Error(`the data plane did not start (mode ${mode})`);
      return { url: privlink.url, mode };
    });
    const p = must(privlink, 'privlink');
    const prov = sdkClients(started.url, PROVIDER_ACCOUNT);
    const cons = sdkClients(started.url, CONSUMER_ACCOUNT);

    const provNet = await steps.step(
      'Provider: VPC 10.0.0.0/16 with subnets in us-east-1a and us-east-1b',
      async () => {
        const vpc = must(
          (await prov.ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }))).Vpc,
          'Vpc',
        );
        const vpcId = must(vpc.VpcId, 'VpcId');
        const [a, b] = await createSubnetPair(prov.ec2, vpcId);
        const vpcs = await prov.ec2.send(new DescribeVpcsCommand({ VpcIds: [vpcId] }));
        const sg = must(vpcs.Vpcs?.[0], 'Vpcs[0]');
        void sg;
        steps.note(`${vpcId}: ${a} (10.0.1.0/24), ${b} (10.0.2.0/24)`);
        return { vpcId, subnets: [a, b] };
      },
    );

    const web = await steps.step(
      'Provider: two instances serving xyz.com (user data starts a web server)',
      async () => {
        const ids: string[] = [];
        for (const subnet of provNet.subnets) {
          const r = await prov.ec2.send(
            new RunInstancesCommand({
              ImageId: 'ami-0123456789abcdef0',
              InstanceType: 't3.micro',
              MinCount: 1,
              MaxCount: 1,
              SubnetId: subnet,
              UserData: Buffer.from(providerUserData(process.execPath)).toString('base64'),
              TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'Name', Value: 'xyz-web' }] }],
            }),
          );
          ids.push(must(r.Instances?.[0]?.InstanceId, 'InstanceId'));
        }
        const groups = await prov.ec2.send(new DescribeInstancesCommand({ InstanceIds: ids }));
        const sgId = groups.Reservations?.[0]?.Instances?.[0]?.SecurityGroups?.[0]?.GroupId;
        if (sgId) {
          await prov.ec2.send(
            new AuthorizeSecurityGroupIngressCommand({
              GroupId: sgId,
              IpPermissions: [
                { IpProtocol: 'tcp', FromPort: 80, ToPort: 80, IpRanges: [{ CidrIp: '10.0.0.0/16' }] },
              ],
            }),
          );
        }
        await waitFor(
          'both instances running',
          () => prov.ec2.send(new DescribeInstancesCommand({ InstanceIds: ids })),
          (d) =>
            (d.Reservations ?? [])
              .flatMap((r) => r.Instances ?? [])
              .every((i) => i.State?.Name === 'running'),
          15_000,
        );
        steps.note(`instances ${ids.join(', ')} running`);
        return ids;
      },
    );

    const lb = await steps.step(
      'Provider: Network Load Balancer, TCP listener on port 80, PROXY v2 on, targets healthy',
      async () => {
        const tg = must(
          (
            await prov.elb.send(
              new CreateTargetGroupCommand({
                Name: 'xyz-web',
                Protocol: 'TCP',
                Port: 80,
                VpcId: provNet.vpcId,
                TargetType: 'instance',
                HealthCheckProtocol: 'TCP',
                HealthCheckIntervalSeconds: 5,
                HealthyThresholdCount: 2,
                UnhealthyThresholdCount: 2,
              }),
            )
          ).TargetGroups?.[0]?.TargetGroupArn,
          'TargetGroupArn',
        );
        await prov.elb.send(
          new ModifyTargetGroupAttributesCommand({
            TargetGroupArn: tg,
            Attributes: [{ Key: 'proxy_protocol_v2.enabled', Value: 'true' }],
          }),
        );
        await prov.elb.send(
          new RegisterTargetsCommand({ TargetGroupArn: tg, Targets: web.map((Id) => ({ Id, Port: 80 })) }),
        );
        const nlb = must(
          (
            await prov.elb.send(
              new CreateLoadBalancerCommand({
                Name: 'xyz-nlb',
                Type: 'network',
                Scheme: 'internal',
                Subnets: provNet.subnets,
              }),
            )
          ).LoadBalancers?.[0],
          'LoadBalancer',
        );
        const arn = must(nlb.LoadBalancerArn, 'LoadBalancerArn');
        await prov.elb.send(
          new CreateListenerCommand({
            LoadBalancerArn: arn,
            Protocol: 'TCP',
            Port: 80,
            DefaultActions: [{ Type: 'forward', TargetGroupArn: tg }],
          }),
        );
        await waitFor(
          'both targets healthy',
          () => prov.elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: tg })),
          (h) =>
            (h.TargetHealthDescriptions ?? []).length === 2 &&
            (h.TargetHealthDescriptions ?? []).every((d) => d.TargetHealth?.State === 'healthy'),
          40_000,
        );
        const ips = (nlb.AvailabilityZones ?? []).map(
          (z) => `${z.ZoneName} ${z.LoadBalancerAddresses?.[0]?.PrivateIPv4Address ?? ''}`,
        );
        steps.note(`${arn.split(':').pop() ?? arn}, nodes: ${ips.join(', ')}`);
        return { arn, tg };
      },
    );

    const svc = await steps.step(
      'Provider: endpoint service, acceptance required, private DNS name xyz.com verified via TXT',
      async () => {
        const cfg = must(
          (
            await prov.ec2.send(
              new CreateVpcEndpointServiceConfigurationCommand({
                AcceptanceRequired: true,
                NetworkLoadBalancerArns: [lb.arn],
                PrivateDnsName: DOMAIN,
              }),
            )
          ).ServiceConfiguration,
          'ServiceConfiguration',
        );
        const serviceId = must(cfg.ServiceId, 'ServiceId');
        const serviceName = must(cfg.ServiceName, 'ServiceName');
        const rec = must(cfg.PrivateDnsNameConfiguration, 'PrivateDnsNameConfiguration');
        must(zone, 'zone').setTxt(`${must(rec.Name, 'Name')}.${DOMAIN}`, [must(rec.Value, 'Value')]);
        steps.note(
          `published TXT ${rec.Name}.${DOMAIN} = "${rec.Value}" on the local authoritative DNS server`,
        );
        await prov.ec2.send(
          new StartVpcEndpointServicePrivateDnsVerificationCommand({ ServiceId: serviceId }),
        );
        await waitFor(
          'private DNS name verified',
          () =>
            prov.ec2.send(new DescribeVpcEndpointServiceConfigurationsCommand({ ServiceIds: [serviceId] })),
          (d) => d.ServiceConfigurations?.[0]?.PrivateDnsNameConfiguration?.State === 'verified',
          10_000,
        );
        await prov.ec2.send(
          new ModifyVpcEndpointServicePermissionsCommand({
            ServiceId: serviceId,
            AddAllowedPrincipals: [`arn:aws:iam::${CONSUMER_ACCOUNT}:root`],
          }),
        );
        steps.note(`service ${serviceName}, allowed principal arn:aws:iam::${CONSUMER_ACCOUNT}:root`);
        return { serviceId, serviceName };
      },
    );

    const consNet = await steps.step(
      'Consumer: VPC with the same CIDR 10.0.0.0/16, two subnets, one instance',
      async () => {
        const vpcId = must(
          (await cons.ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }))).Vpc?.VpcId,
          'VpcId',
        );
        await cons.ec2.send(
          new ModifyVpcAttributeCommand({ VpcId: vpcId, EnableDnsHostnames: { Value: true } }),
        );
        await cons.ec2.send(
          new ModifyVpcAttributeCommand({ VpcId: vpcId, EnableDnsSupport: { Value: true } }),
        );
        const [a, b] = await createSubnetPair(cons.ec2, vpcId);
        const inst = must(
          (
            await cons.ec2.send(
              new RunInstancesCommand({
                ImageId: 'ami-0123456789abcdef0',
                MinCount: 1,
                MaxCount: 1,
                SubnetId: a,
                PrivateIpAddress: '10.0.1.10',
              }),
            )
          ).Instances?.[0]?.InstanceId,
          'InstanceId',
        );
        await waitFor(
          'the consumer instance running',
          () => cons.ec2.send(new DescribeInstancesCommand({ InstanceIds: [inst] })),
          (d) => d.Reservations?.[0]?.Instances?.[0]?.State?.Name === 'running',
          15_000,
        );
        steps.note(`${vpcId}, client instance ${inst} at 10.0.1.10 — the same address space as the provider`);
        return { vpcId, subnets: [a, b], instance: inst };
      },
    );

    // netns mode: curl runs inside the consumer's instance and resolves xyz.com through the VPC
    // resolver. Loopback mode: the instance is a host process, so the name is resolved through
    // privlink's host resolver and handed to curl (the host's own resolver is never asked).
    const fetchXyz = async (): Promise<{ ok: boolean; body: string }> => {
      let pin: string[] = [];
      if (started.mode === 'loopback') {
        const addr = await resolveA(hostDnsPort(p), DOMAIN);
        if (!addr) return { ok: false, body: `${DOMAIN} does not resolve` };
        pin = ['--resolve', `${DOMAIN}:80:${addr}`];
      }
      const r = await p.execInInstance(
        consNet.instance,
        ['curl', '-s', '-m', '3', ...pin, `http://${DOMAIN}/`],
        8_000,
      );
      return { ok: r.code === 0 && r.stdout.includes('served by'), body: (r.stdout || r.stderr).trim() };
    };

    const endpoint = await steps.step(
      'Consumer: interface endpoint to the service in two subnets → pendingAcceptance; a request fails',
      async () => {
        const seen = await cons.ec2.send(
          new DescribeVpcEndpointServicesCommand({ ServiceNames: [svc.serviceName] }),
        );
        if (seen.ServiceDetails?.[0]?.ServiceName !== svc.serviceName)
          throw new Error('the consumer cannot see the service');
        const ep = must(
          (
            await cons.ec2.send(
              new CreateVpcEndpointCommand({
                VpcEndpointType: 'Interface',
                VpcId: consNet.vpcId,
                ServiceName: svc.serviceName,
                SubnetIds: consNet.subnets,
                PrivateDnsEnabled: true,
              }),
            )
          ).VpcEndpoint,
          'VpcEndpoint',
        );
        const id = must(ep.VpcEndpointId, 'VpcEndpointId');
        if (String(ep.State) !== 'pendingAcceptance')
          throw new Error(`expected pendingAcceptance, got ${ep.State}`);
        steps.note(`${id}: ${ep.State}; DNS ${ep.DnsEntries?.[0]?.DnsName ?? ''}`);
        const r = await fetchXyz();
        if (r.ok) throw new Error(`the request succeeded before acceptance: ${r.body}`);
        steps.note(`curl http://${DOMAIN}/ from ${consNet.instance}: fails as it should (not accepted yet)`);
        return id;
      },
    );

    await steps.step(
      'Provider: sees the request and accepts it → available; xyz.com answers from both instances',
      async () => {
        const conns = await prov.ec2.send(
          new DescribeVpcEndpointConnectionsCommand({
            Filters: [{ Name: 'service-id', Values: [svc.serviceId] }],
          }),
        );
        const c = conns.VpcEndpointConnections?.find((x) => x.VpcEndpointId === endpoint);
        if (String(c?.VpcEndpointState) !== 'pendingAcceptance' || !c)
          throw new Error(`provider does not see the pending connection (${c?.VpcEndpointState ?? 'none'})`);
        steps.note(
          `provider sees ${endpoint} from account ${c.VpcEndpointOwner ?? '?'}: ${c.VpcEndpointState}`,
        );
        const t0 = performance.now();
        const acc = await prov.ec2.send(
          new AcceptVpcEndpointConnectionsCommand({ ServiceId: svc.serviceId, VpcEndpointIds: [endpoint] }),
        );
        if (acc.Unsuccessful?.length) throw new Error(`accept failed: ${JSON.stringify(acc.Unsuccessful)}`);
        await waitFor(
          'the endpoint available',
          () => cons.ec2.send(new DescribeVpcEndpointsCommand({ VpcEndpointIds: [endpoint] })),
          (d) => String(d.VpcEndpoints?.[0]?.State) === 'available',
          10_000,
        );
        const first = await waitFor('a first answer through the endpoint', fetchXyz, (r) => r.ok, 10_000);
        steps.note(`accept → first answer: ${Math.round(performance.now() - t0)} ms`);
        const answers = new Map<string, number>();
        answers.set(first.body, 1);
        for (let i = 0; i < 9; i++) {
          const r = await fetchXyz();
          if (!r.ok) throw new Error(`request ${i + 2} failed: ${r.body}`);
          answers.set(r.body, (answers.get(r.body) ?? 0) + 1);
        }
        for (const [body, n] of answers) steps.note(`${n}× "${body}"`);
        const servedBy = new Set([...answers.keys()].map((b) => /served by (i-[0-9a-f]+)/.exec(b)?.[1]));
        if (!web.every((id) => servedBy.has(id)))
          throw new Error(`answers came from ${[...servedBy].join(', ')}, not from both instances`);
      },
    );

    await steps.step(
      "Provider: its instances' logs show the endpoint ID from the PROXY v2 header",
      async () => {
        const logs = await waitFor(
          `console output mentioning ${endpoint}`,
          async () =>
            Promise.all(
              web.map(async (id) =>
                Buffer.from(
                  (await prov.ec2.send(new GetConsoleOutputCommand({ InstanceId: id }))).Output ?? '',
                  'base64',
                ).toString('utf8'),
              ),
            ),
          (l) => l.some((t) => t.includes(`endpoint=${endpoint}`)),
          5_000,
        );
        const line = logs.flatMap((l) => l.split('\n')).find((l) => l.includes(`endpoint=${endpoint}`));
        steps.note(line ?? '');
      },
    );

    await steps.step('Provider: rejects the connection → rejected; the same request now fails', async () => {
      const rej = await prov.ec2.send(
        new RejectVpcEndpointConnectionsCommand({ ServiceId: svc.serviceId, VpcEndpointIds: [endpoint] }),
      );
      if (rej.Unsuccessful?.length) throw new Error(`reject failed: ${JSON.stringify(rej.Unsuccessful)}`);
      const d = await cons.ec2.send(new DescribeVpcEndpointsCommand({ VpcEndpointIds: [endpoint] }));
      if (String(d.VpcEndpoints?.[0]?.State) !== 'rejected')
        throw new Error(`expected rejected, got ${d.VpcEndpoints?.[0]?.State}`);
      await waitFor('requests to fail', fetchXyz, (r) => !r.ok, 5_000);
      steps.note(`curl http://${DOMAIN}/ from ${consNet.instance}: fails`);
    });

    out('');
    out(`demo passed: ${steps.results.length} steps, ${steps.results.reduce((a, r) => a + r.ms, 0)} ms`);
    if (o.keep) {
      kept = true;
      printExplore(out, started.url, svc.serviceId, consNet.instance);
      await (o.untilStopped?.() ?? untilSignal());
    }
    return 0;
  } catch (e) {
    if (e instanceof StepFailed) {
      out('');
      out(`demo FAILED at step ${e.step} (${e.title}): ${e.reason}`);
      return 1;
    }
    throw e;
  } finally {
    if (kept) out('stopping privlink…');
    await privlink?.close();
    await zone?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }
}

function hasCommand(cmd: string): Promise<boolean> {
  return new Promise((resolve) => {
    execFile(cmd, ['--version'], (err) => resolve(!err));
  });
}

function hostDnsPort(p: Privlink): number {
  const dns = (p.health() as { components: Record<string, Record<string, unknown>> }).components['dns'];
  return Number(dns?.['port'] ?? -1);
}

/** One A query to privlink's host resolver on 127.0.0.1 (loopback mode only). */
async function resolveA(port: number, name: string): Promise<string | undefined> {
  if (port <= 0) return undefined;
  const sock = createSocket('udp4');
  try {
    const answer = new Promise<Buffer>((resolve, reject) => {
      sock.once('message', resolve);
      sock.once('error', reject);
      setTimeout(() => reject(new Error('DNS timeout')), 2000).unref();
    });
    sock.send(
      dnsPacket.encode({
        type: 'query',
        id: 1,
        flags: dnsPacket.RECURSION_DESIRED,
        questions: [{ type: 'A', name }],
      }),
      port,
      '127.0.0.1',
    );
    const res = dnsPacket.decode(await answer);
    for (const a of res.answers ?? []) if (a.type === 'A' && typeof a.data === 'string') return a.data;
    return undefined;
  } catch {
    return undefined;
  } finally {
    sock.close();
  }
}

function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
}

function printExplore(out: (l: string) => void, url: string, serviceId: string, instance: string): void {
  const env = (acct: string) =>
    `AWS_ACCESS_KEY_ID=${acct} AWS_SECRET_ACCESS_KEY=demo AWS_DEFAULT_REGION=${DEMO_REGION}`;
  out('');
  out(`privlink keeps running (Ctrl-C to stop and clean up). Web console: ${url}/console/`);
  out('Explore it with the aws CLI:');
  out(`  # provider (${PROVIDER_ACCOUNT})`);
  out(
    `  ${env(PROVIDER_ACCOUNT)} aws --endpoint-url ${url} ec2 describe-vpc-endpoint-service-configurations`,
  );
  out(`  ${env(PROVIDER_ACCOUNT)} aws --endpoint-url ${url} ec2 describe-vpc-endpoint-connections`);
  out(
    `  ${env(PROVIDER_ACCOUNT)} aws --endpoint-url ${url} elbv2 describe-target-health --target-group-arn $(${env(PROVIDER_ACCOUNT)} aws --endpoint-url ${url} elbv2 describe-target-groups --query 'TargetGroups[0].TargetGroupArn' --output text)`,
  );
  out(`  # consumer (${CONSUMER_ACCOUNT})`);
  out(`  ${env(CONSUMER_ACCOUNT)} aws --endpoint-url ${url} ec2 describe-vpc-endpoints`);
  out(
    `  ${env(CONSUMER_ACCOUNT)} aws --endpoint-url ${url} ec2 describe-vpc-endpoint-services --filters Name=owner,Values=${PROVIDER_ACCOUNT}`,
  );
  out(`  # accept the (rejected) endpoint again? create a new one, then as the provider:`);
  out(
    `  ${env(PROVIDER_ACCOUNT)} aws --endpoint-url ${url} ec2 accept-vpc-endpoint-connections --service-id ${serviceId} --vpc-endpoint-ids <vpce-id>`,
  );
  out(`  # run a command inside the consumer's instance`);
  out(`  npx privlink exec ${instance} --endpoint-url ${url} -- curl -s http://xyz.com/`);
}
