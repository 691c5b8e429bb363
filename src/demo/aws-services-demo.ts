/**
 * `privlink demo --aws-services`: privlink as the provider of its own AWS services, played on a
 * fresh embedded privlink with an S3 backend (s3rver) it starts itself. Consumer 222222222222's
 * instance runs the unmodified `aws` CLI with default endpoints: `aws ec2 describe-vpcs` through
 * an ec2 interface endpoint with private DNS (HTTPS, privlink's CA); an endpoint policy with a
 * Deny on ec2:DescribeVpcs, set with ModifyVpcEndpoint, turns the same call into
 * UnauthorizedOperation; an object written with `aws s3 cp` through an S3 gateway endpoint
 * (prefix-list route in the main route table) is read back. Needs the netns data plane (root):
 * loopback mode carries no AWS-service traffic.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateSubnetCommand,
  CreateVpcCommand,
  CreateVpcEndpointCommand,
  DescribeInstancesCommand,
  DescribeRouteTablesCommand,
  DescribeVpcEndpointsCommand,
  EC2Client,
  ModifyVpcAttributeCommand,
  ModifyVpcEndpointCommand,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import { createComponents, createDataplane } from '../components.js';
import { Privlink } from '../emulator.js';
import { probeNetns } from '../dataplane/netns/run.js';
import { startS3Backend, type S3Backend } from './s3-backend.js';
import { StepFailed, StepRunner, waitFor } from './steps.js';

const CONSUMER = '222222222222';
const REGION = 'us-east-1';
const BUCKET = 'privlink-demo';

export interface AwsServicesDemoOptions {
  port: number;
  out?: (line: string) => void;
}

function must<T>(v: T | undefined | null, what: string): T {
  if (v === undefined || v === null) throw new Error(`the API response lacks ${what}`);
  return v;
}

async function portFree(port: number): Promise<boolean> {
  if (port === 0) return true;
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

function hasCommand(cmd: string): Promise<boolean> {
  return new Promise((resolve) => execFile(cmd, ['--version'], (err) => resolve(!err)));
}

/** The CLI's error line, without the blank lines around it. */
function firstLine(s: string): string {
  return (
    s
      .split('\n')
      .map((l) => l.trim())
      .find((l) => l) ?? ''
  );
}

/** Plays the story; returns the process exit code. */
export async function runAwsServicesDemo(o: AwsServicesDemoOptions): Promise<number> {
  const out = o.out ?? ((l: string) => process.stdout.write(l + '\n'));
  const steps = new StepRunner(out);
  let privlink: Privlink | undefined;
  let s3: S3Backend | undefined;
  let dataDir: string | undefined;
  out(
    'privlink demo --aws-services: privlink serves ec2 and S3 through VPC endpoints to the aws CLI in an instance',
  );
  try {
    await steps.step('Preflight: privileges, aws CLI and port', async () => {
      if (!(await portFree(o.port)))
        throw new Error(`port ${o.port} on 127.0.0.1 is taken (another privlink?); stop it or pass --port`);
      if (!(await hasCommand('aws')))
        throw new Error("the 'aws' CLI is not installed (the instance runs it): pip install awscli");
      const probe = await probeNetns();
      if (!probe.ok)
        throw new Error(
          `${probe.reason}: AWS services through endpoints need the network-namespace data plane (run as root)`,
        );
    });

    const url = await steps.step(
      'Start an S3 backend (s3rver) and privlink with --aws-service s3=…',
      async () => {
        s3 = await startS3Backend([BUCKET]);
        dataDir = mkdtempSync(join(tmpdir(), 'privlink-demo-aws-'));
        privlink = new Privlink(
          {
            port: o.port,
            dataDir,
            dataplane: 'netns',
            dnsPort: 0,
            logLevel: 'warn',
            netnsPrefix: 'pla',
            awsServices: { s3: s3.url },
          },
          { dataplane: createDataplane, components: createComponents },
        );
        await privlink.start();
        steps.note(`API at ${privlink.url}; s3 backend s3rver on 127.0.0.1:${s3.port}, bucket ${BUCKET}`);
        return privlink.url;
      },
    );
    const p = must(privlink, 'privlink');
    const ec2 = new EC2Client({
      endpoint: url,
      region: REGION,
      credentials: { accessKeyId: CONSUMER, secretAccessKey: 'demo' },
      maxAttempts: 1,
    });

    const net = await steps.step(
      'Consumer: VPC 10.0.0.0/16, ec2 interface endpoint (private DNS), S3 gateway endpoint, one instance',
      async () => {
        const vpcId = must(
          (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }))).Vpc?.VpcId,
          'VpcId',
        );
        await ec2.send(new ModifyVpcAttributeCommand({ VpcId: vpcId, EnableDnsHostnames: { Value: true } }));
        const subnetId = must(
          (
            await ec2.send(
              new CreateSubnetCommand({
                VpcId: vpcId,
                CidrBlock: '10.0.1.0/24',
                AvailabilityZone: 'us-east-1a',
              }),
            )
          ).Subnet?.SubnetId,
          'SubnetId',
        );
        const tables = await ec2.send(
          new DescribeRouteTablesCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] }),
        );
        const main = must(
          tables.RouteTables?.find((t) => t.Associations?.some((a) => a.Main))?.RouteTableId,
          'the main route table',
        );
        const ec2Ep = must(
          (
            await ec2.send(
              new CreateVpcEndpointCommand({
                VpcId: vpcId,
                ServiceName: `com.amazonaws.${REGION}.ec2`,
                VpcEndpointType: 'Interface',
                SubnetIds: [subnetId],
                PrivateDnsEnabled: true,
              }),
            )
          ).VpcEndpoint?.VpcEndpointId,
          'VpcEndpointId',
        );
        const s3Ep = must(
          (
            await ec2.send(
              new CreateVpcEndpointCommand({
                VpcId: vpcId,
                ServiceName: `com.amazonaws.${REGION}.s3`,
                VpcEndpointType: 'Gateway',
                RouteTableIds: [main],
              }),
            )
          ).VpcEndpoint?.VpcEndpointId,
          'VpcEndpointId',
        );
        const instance = must(
          (
            await ec2.send(
              new RunInstancesCommand({
                ImageId: 'ami-12345678',
                InstanceType: 't3.micro',
                MinCount: 1,
                MaxCount: 1,
                SubnetId: subnetId,
              }),
            )
          ).Instances?.[0]?.InstanceId,
          'InstanceId',
        );
        await waitFor(
          'both endpoints available',
          () => ec2.send(new DescribeVpcEndpointsCommand({ VpcEndpointIds: [ec2Ep, s3Ep] })),
          (d) =>
            (d.VpcEndpoints ?? []).length === 2 &&
            (d.VpcEndpoints ?? []).every((e) => String(e.State) === 'available'),
          30_000,
        );
        await waitFor(
          'the instance running',
          () => ec2.send(new DescribeInstancesCommand({ InstanceIds: [instance] })),
          (d) => d.Reservations?.[0]?.Instances?.[0]?.State?.Name === 'running',
          20_000,
        );
        steps.note(`${vpcId}, ${subnetId}; interface ${ec2Ep} (ec2), gateway ${s3Ep} (s3) in ${main}`);
        steps.note(`instance ${instance} running`);
        return { vpcId, ec2Ep, s3Ep, instance };
      },
    );

    const aws = (args: string[]) =>
      p.execInInstance(
        net.instance,
        [
          'env',
          `AWS_ACCESS_KEY_ID=${CONSUMER}`,
          'AWS_SECRET_ACCESS_KEY=demo',
          `AWS_DEFAULT_REGION=${REGION}`,
          'aws',
          '--cli-connect-timeout',
          '2',
          '--cli-read-timeout',
          '10',
          '--output',
          'json',
          ...args,
        ],
        30_000,
      );

    await steps.step(
      'Instance: aws ec2 describe-vpcs through the ec2 endpoint (private DNS, HTTPS)',
      async () => {
        const r = await waitFor(
          'describe-vpcs to answer',
          () => aws(['ec2', 'describe-vpcs']),
          (x) => x.code === 0,
          20_000,
        );
        const ids = (JSON.parse(r.stdout) as { Vpcs: { VpcId: string }[] }).Vpcs.map((v) => v.VpcId);
        if (!ids.includes(net.vpcId)) throw new Error(`describe-vpcs did not list ${net.vpcId}: ${r.stdout}`);
        const dns = await p.execInInstance(net.instance, ['getent', 'hosts', `ec2.${REGION}.amazonaws.com`]);
        steps.note(
          `ec2.${REGION}.amazonaws.com → ${firstLine(dns.stdout).split(/\s+/)[0] ?? '?'} (the endpoint's ENI)`,
        );
        steps.note(`aws ec2 describe-vpcs → ${ids.join(', ')}`);
      },
    );

    await steps.step(
      'Consumer: endpoint policy with a Deny on ec2:DescribeVpcs → the same call is UnauthorizedOperation',
      async () => {
        const policy = {
          Statement: [
            { Effect: 'Allow', Principal: '*', Action: '*', Resource: '*' },
            { Effect: 'Deny', Principal: '*', Action: 'ec2:DescribeVpcs', Resource: '*' },
          ],
        };
        await ec2.send(
          new ModifyVpcEndpointCommand({ VpcEndpointId: net.ec2Ep, PolicyDocument: JSON.stringify(policy) }),
        );
        const r = await aws(['ec2', 'describe-vpcs']);
        if (r.code === 0 || !/UnauthorizedOperation/.test(r.stderr))
          throw new Error(`expected UnauthorizedOperation, got exit ${r.code}: ${r.stdout}${r.stderr}`);
        steps.note(firstLine(r.stderr));
      },
    );

    await steps.step(
      'Instance: aws s3 cp writes an object through the S3 gateway endpoint and reads it back',
      async () => {
        const dns = await p.execInInstance(net.instance, ['getent', 'hosts', `s3.${REGION}.amazonaws.com`]);
        steps.note(
          `s3.${REGION}.amazonaws.com → ${firstLine(dns.stdout).split(/\s+/)[0] ?? '?'} (prefix list, routed to the gateway endpoint)`,
        );
        const text = `hello from ${net.instance}`;
        const creds = `AWS_ACCESS_KEY_ID=${CONSUMER} AWS_SECRET_ACCESS_KEY=demo AWS_DEFAULT_REGION=${REGION}`;
        const r = await p.execInInstance(
          net.instance,
          [
            'sh',
            '-c',
            `echo '${text}' > /tmp/o && env ${creds} aws --cli-connect-timeout 2 s3 cp --no-progress /tmp/o s3://${BUCKET}/hello.txt && env ${creds} aws s3 cp s3://${BUCKET}/hello.txt -`,
          ],
          30_000,
        );
        if (r.code !== 0 || !r.stdout.includes(text))
          throw new Error(`exit ${r.code}: ${(r.stdout + r.stderr).trim().slice(0, 400)}`);
        steps.note(firstLine(r.stdout));
        steps.note(`read back: "${r.stdout.trim().split('\n').pop() ?? ''}"`);
      },
    );

    out('');
    out(`demo passed: ${steps.results.length} steps, ${steps.results.reduce((a, r) => a + r.ms, 0)} ms`);
    return 0;
  } catch (e) {
    if (e instanceof StepFailed) {
      out('');
      out(`demo FAILED at step ${e.step} (${e.title}): ${e.reason}`);
      return 1;
    }
    throw e;
  } finally {
    await privlink?.close();
    await s3?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }
}
