/**
 * The web console in a real browser (Debian's chromium driven by playwright-core; no browser is
 * ever downloaded), on one privlink in --credentials mode with the demo's two accounts and a real
 * netns data plane: the provider signs in and sees the pending request, Accept makes the endpoint
 * available in the API and on the page, a request from the consumer's instance raises the
 * connection counter on the page within 2 s, Reject cuts traffic and shows `rejected`; the
 * consumer, signed in, never sees the provider's resources (page and JSON). A failing step saves
 * a screenshot to a temporary directory named in the failure.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  CreateVpcEndpointCommand,
  CreateVpcEndpointServiceConfigurationCommand,
  DescribeInstancesCommand,
  DescribeNetworkInterfacesCommand,
  DescribeVpcEndpointsCommand,
  ModifyVpcEndpointServicePermissionsCommand,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateTargetGroupCommand,
  RegisterTargetsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { createComponents, createDataplane } from '../../src/components.js';
import { providerUserData } from '../../src/demo/provider-web-server.js';
import { CONSUMER, PROVIDER, ec2Client, elbClient, eventually, startPrivlink } from '../helpers/privlink.js';
import { netnsSkip } from '../helpers/netns.js';
import { sample, scrape } from '../helpers/prometheus.js';

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const KEYS = {
  provider: { accessKeyId: 'AKIAPROVIDER0000001', secretAccessKey: 'provider-secret' },
  consumer: { accessKeyId: 'AKIACONSUMER0000001', secretAccessKey: 'consumer-secret' },
  admin: { accessKeyId: 'AKIAADMIN00000000001', secretAccessKey: 'admin-secret' },
};

const skip =
  (await netnsSkip('console browser test')) || (existsSync(CHROMIUM) ? false : `${CHROMIUM} missing`);

test(
  'web console: accept, live traffic, reject, cross-account isolation',
  { skip, timeout: 120_000 },
  async (t) => {
    const p = await startPrivlink(
      t,
      {
        dataplane: 'netns',
        netnsPrefix: 'pcw',
        pendingMs: 200,
        credentials: {
          [KEYS.provider.accessKeyId]: {
            secretAccessKey: KEYS.provider.secretAccessKey,
            accountId: PROVIDER,
          },
          [KEYS.consumer.accessKeyId]: {
            secretAccessKey: KEYS.consumer.secretAccessKey,
            accountId: CONSUMER,
          },
          [KEYS.admin.accessKeyId]: {
            secretAccessKey: KEYS.admin.secretAccessKey,
            accountId: PROVIDER,
            admin: true,
          },
        },
      },
      { dataplane: createDataplane, components: createComponents },
    );
    const prov = { ec2: ec2Client(p, KEYS.provider), elb: elbClient(p, KEYS.provider) };
    const cons = { ec2: ec2Client(p, KEYS.consumer) };

    // Provider: VPC, instance serving HTTP, NLB → target group → instance, service needing acceptance.
    const pVpc = (await prov.ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }))).Vpc?.VpcId ?? '';
    const pSub =
      (
        await prov.ec2.send(
          new CreateSubnetCommand({ VpcId: pVpc, CidrBlock: '10.0.1.0/24', AvailabilityZone: 'us-east-1a' }),
        )
      ).Subnet?.SubnetId ?? '';
    const web =
      (
        await prov.ec2.send(
          new RunInstancesCommand({
            ImageId: 'ami-12345678',
            MinCount: 1,
            MaxCount: 1,
            SubnetId: pSub,
            UserData: Buffer.from(providerUserData(process.execPath)).toString('base64'),
          }),
        )
      ).Instances?.[0] ?? {};
    const sg = web.SecurityGroups?.[0]?.GroupId ?? '';
    await prov.ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: sg,
        IpPermissions: [
          { IpProtocol: 'tcp', FromPort: 80, ToPort: 80, IpRanges: [{ CidrIp: '10.0.0.0/16' }] },
        ],
      }),
    );
    const tg =
      (
        await prov.elb.send(
          new CreateTargetGroupCommand({
            Name: 'web',
            Protocol: 'TCP',
            Port: 80,
            VpcId: pVpc,
            TargetType: 'instance',
            HealthCheckIntervalSeconds: 5,
            HealthyThresholdCount: 2,
          }),
        )
      ).TargetGroups?.[0]?.TargetGroupArn ?? '';
    await prov.elb.send(
      new RegisterTargetsCommand({ TargetGroupArn: tg, Targets: [{ Id: web.InstanceId ?? '', Port: 80 }] }),
    );
    const lb =
      (
        await prov.elb.send(
          new CreateLoadBalancerCommand({
            Name: 'web-nlb',
            Type: 'network',
            Scheme: 'internal',
            Subnets: [pSub],
          }),
        )
      ).LoadBalancers?.[0]?.LoadBalancerArn ?? '';
    await prov.elb.send(
      new CreateListenerCommand({
        LoadBalancerArn: lb,
        Protocol: 'TCP',
        Port: 80,
        DefaultActions: [{ Type: 'forward', TargetGroupArn: tg }],
      }),
    );
    const svc =
      (
        await prov.ec2.send(
          new CreateVpcEndpointServiceConfigurationCommand({
            AcceptanceRequired: true,
            NetworkLoadBalancerArns: [lb],
          }),
        )
      ).ServiceConfiguration ?? {};
    await prov.ec2.send(
      new ModifyVpcEndpointServicePermissionsCommand({
        ServiceId: svc.ServiceId ?? '',
        AddAllowedPrincipals: [`arn:aws:iam::${CONSUMER}:root`],
      }),
    );

    // Consumer: same CIDR, one instance, an interface endpoint → pendingAcceptance.
    const cVpc = (await cons.ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }))).Vpc?.VpcId ?? '';
    const cSub =
      (
        await cons.ec2.send(
          new CreateSubnetCommand({ VpcId: cVpc, CidrBlock: '10.0.1.0/24', AvailabilityZone: 'us-east-1a' }),
        )
      ).Subnet?.SubnetId ?? '';
    const client =
      (
        await cons.ec2.send(
          new RunInstancesCommand({ ImageId: 'ami-12345678', MinCount: 1, MaxCount: 1, SubnetId: cSub }),
        )
      ).Instances?.[0]?.InstanceId ?? '';
    const ep =
      (
        await cons.ec2.send(
          new CreateVpcEndpointCommand({
            VpcEndpointType: 'Interface',
            VpcId: cVpc,
            ServiceName: svc.ServiceName ?? '',
            SubnetIds: [cSub],
          }),
        )
      ).VpcEndpoint ?? {};
    const epId = ep.VpcEndpointId ?? '';
    const eniIp =
      (
        await cons.ec2.send(
          new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: ep.NetworkInterfaceIds ?? [] }),
        )
      ).NetworkInterfaces?.[0]?.PrivateIpAddress ?? '';
    await eventually(
      () => cons.ec2.send(new DescribeInstancesCommand({ InstanceIds: [client] })),
      (d) => d.Reservations?.[0]?.Instances?.[0]?.State?.Name === 'running',
      { timeoutMs: 15_000, intervalMs: 100 },
    );
    const curl = async () => {
      const r = await p.execInInstance(client, ['curl', '-s', '-m', '2', `http://${eniIp}/`], 5_000);
      return r.code === 0 && r.stdout.includes('served by');
    };

    const shots = mkdtempSync(join(tmpdir(), 'privlink-console-shots-'));
    const profile = mkdtempSync(join(tmpdir(), 'privlink-console-profile-'));
    const ctx: BrowserContext = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1400, height: 1000 },
    });
    t.after(async () => {
      await ctx.close();
      rmSync(profile, { recursive: true, force: true });
    });
    const page: Page = ctx.pages()[0] ?? (await ctx.newPage());
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    page.on('console', (m) => {
      if (m.type() === 'error') pageErrors.push(m.text());
    });
    let failed = false;
    const step = async (name: string, fn: () => Promise<void>) =>
      t.test(name, async () => {
        try {
          await fn();
        } catch (e) {
          failed = true;
          const file = join(shots, `${name.replace(/\W+/g, '-')}.png`);
          await page.screenshot({ path: file, fullPage: true }).catch(() => undefined);
          throw new Error(
            `${e instanceof Error ? e.message : String(e)}\nscreenshot: ${file}\npage errors: ${pageErrors.join(' | ')}\ndata plane: ${JSON.stringify(p.health()['components'])}`,
            { cause: e },
          );
        }
      });
    const signIn = async (k: { accessKeyId: string; secretAccessKey: string }) => {
      await page.goto(`${p.url}/console/`);
      await page.fill('input[name=akid]', k.accessKeyId);
      await page.fill('input[name=secret]', k.secretAccessKey);
      await page.click('button[type=submit]');
      await page.waitForSelector('[data-who]');
    };
    const row = `[data-connection="${epId}"]`;

    await step('provider sees the pending request with requester and subnets', async () => {
      await signIn(KEYS.provider);
      await page.waitForSelector(`${row} [data-state="pendingAcceptance"]`, { timeout: 5_000 });
      const text = await page.textContent(row);
      assert.match(text ?? '', new RegExp(CONSUMER));
      assert.match(text ?? '', new RegExp(cSub));
      // The topology is drawn (laid out by elkjs) with both VPCs of the same CIDR.
      await page.waitForSelector(`svg[data-topology] [data-node="${pVpc}"]`, { timeout: 5_000 });
    });

    await step('Accept makes the endpoint available in the API and on the page', async () => {
      await page.click(`${row} button[data-action=accept]`);
      await page.waitForSelector(`${row} [data-state="available"]`, { timeout: 10_000 });
      const d = await cons.ec2.send(new DescribeVpcEndpointsCommand({ VpcEndpointIds: [epId] }));
      assert.equal(d.VpcEndpoints?.[0]?.State, 'available');
    });

    await step('a request from the consumer instance raises the connection counter within 2 s', async () => {
      await eventually(curl, (ok) => ok, { timeoutMs: 20_000, intervalMs: 200 });
      await page.waitForSelector(`${row} [data-conns]`, { timeout: 3_000 });
      const before = Number(await page.textContent(`${row} [data-conns]`));
      assert.ok(await curl(), 'the request through the endpoint failed');
      const t0 = performance.now();
      await page.waitForFunction(
        ([sel, n]) =>
          Number(
            (
              globalThis as unknown as {
                document: { querySelector(s: string): { textContent: string } | null };
              }
            ).document.querySelector(sel)?.textContent,
          ) > n,
        [`${row} [data-conns]`, before] as const,
        { timeout: 2_000 },
      );
      console.log(`# counter rose ${Math.round(performance.now() - t0)} ms after the request`);
      const bytesIn = await page.textContent(`${row} [data-bytes-in]`);
      assert.notEqual(bytesIn, '0 B');
    });

    await step('/metrics counts measured connections and bytes of real requests exactly', async () => {
      const series = { endpoint: epId, account: CONSUMER, service: svc.ServiceId ?? '' };
      const before = await scrape(p.url, KEYS.admin);
      for (let i = 0; i < 3; i++) assert.ok(await curl());
      const after = await scrape(p.url, KEYS.admin);
      const d = (name: string) =>
        sample(after.families, name, series) - sample(before.families, name, series);
      assert.equal(
        d('privlink_endpoint_connections_total'),
        3,
        `${after.status} ${after.text.slice(0, 300)}`,
      );
      // Three HTTP requests and their answers: well over a hundred bytes each way.
      assert.ok(d('privlink_endpoint_received_bytes_total') > 300, 'bytes in');
      assert.ok(d('privlink_endpoint_sent_bytes_total') > 300, 'bytes out');
    });

    await step('Reject cuts traffic and the page shows rejected', async () => {
      await page.click(`${row} button[data-action=reject]`);
      await page.waitForSelector(`${row} [data-state="rejected"]`, { timeout: 5_000 });
      await eventually(curl, (ok) => !ok, { timeoutMs: 5_000, intervalMs: 200 });
    });

    await step('a signed-in consumer never sees the provider resources', async () => {
      await page.click('header button');
      await page.waitForSelector('input[name=akid]');
      await signIn(KEYS.consumer);
      await page.waitForSelector(`[data-endpoint="${epId}"] [data-state="rejected"]`, { timeout: 5_000 });
      const body = (await page.textContent('body')) ?? '';
      // The service's name (which embeds its ID) is the consumer's to see; nothing else of it is.
      for (const secret of [
        pVpc,
        pSub,
        web.InstanceId ?? '',
        'web-nlb',
        `account ${PROVIDER}`,
        'Acceptance required',
      ]) {
        assert.ok(!body.includes(secret), `the consumer's page shows ${secret}`);
      }
      const snap = await page.evaluate(async () => (await fetch('/console/api/snapshot')).json());
      const json = JSON.stringify(snap);
      for (const secret of [pVpc, pSub, web.InstanceId ?? '', lb, tg, `"accountId":"${PROVIDER}"`]) {
        assert.ok(!json.includes(secret), `the consumer's snapshot names ${secret}`);
      }
      assert.deepEqual((snap as { services: unknown[] }).services, []);
      assert.ok(json.includes(cVpc));
      // Deciding on the provider's service is refused for the consumer (the browser logs the 404).
      const logged = pageErrors.length;
      const r = await page.evaluate(
        async ([s, e]) =>
          (await fetch(`/console/api/services/${s}/connections/${e}/accept`, { method: 'POST' })).status,
        [svc.ServiceId ?? '', epId] as const,
      );
      assert.equal(r, 404);
      pageErrors.splice(logged);
    });

    if (!failed) rmSync(shots, { recursive: true, force: true });
    assert.deepEqual(pageErrors, []);
  },
);
