/**
 * The aws CLI's own behaviours against privlink (Debian awscli, v2): `--dry-run` exit status and
 * message, `--query` with `--output text`, client-side pagination with `--max-items` and
 * `--starting-token` (botocore paginators: the token must change per page), and the ELBv2
 * waiters `load-balancer-available` / `load-balancers-deleted`. There are no endpoint waiters in
 * botocore, so none are tested. State is set up with the JS SDK; the CLI (about a second per
 * run) only makes the calls whose client-side behaviour is under test.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import {
  CreateSubnetCommand,
  CreateVpcCommand,
  CreateVpcEndpointCommand,
  DescribeVpcEndpointServicesCommand,
  DescribeVpcsCommand,
} from '@aws-sdk/client-ec2';
import {
  CreateLoadBalancerCommand,
  DeleteLoadBalancerCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { CONSUMER, PROVIDER, ec2Client, elbClient, startPrivlink } from '../helpers/privlink.js';
import { AWS_BIN, awsCli, awsOk } from '../helpers/aws-cli.js';

type J = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- CLI JSON output, checked field by field

const haveCli = AWS_BIN === '/usr/bin/aws' || existsSync('/usr/local/bin/aws');
const skip = haveCli ? false : 'aws CLI not installed (Debian package awscli, see scripts/install-deps.sh)';

test('--dry-run: non-zero exit, DryRunOperation message on stderr, nothing created', { skip }, async (t) => {
  const p = await startPrivlink(t);
  const r = await awsCli(p.url, PROVIDER, ['ec2', 'create-vpc', '--cidr-block', '10.7.0.0/16', '--dry-run']);
  // CLI v2 exits 254 for a service error (v1: 255); either way not 0.
  assert.ok(r.code === 254 || r.code === 255, `exit ${r.code}`);
  assert.match(
    r.stderr,
    /An error occurred \(DryRunOperation\) when calling the CreateVpc operation: Request would have succeeded, but DryRun flag is set\./,
  );
  const vpcs = await ec2Client(p).send(
    new DescribeVpcsCommand({ Filters: [{ Name: 'cidr', Values: ['10.7.0.0/16'] }] }),
  );
  assert.deepEqual(vpcs.Vpcs, []);
});

test('--query with --output text on describe calls', { skip }, async (t) => {
  const p = await startPrivlink(t);
  const names = await awsCli(p.url, CONSUMER, [
    'ec2',
    'describe-vpc-endpoint-services',
    '--filters',
    'Name=service-type,Values=Gateway',
    '--query',
    'ServiceDetails[].ServiceName',
    '--output',
    'text',
  ]);
  assert.equal(names.code, 0, names.stderr);
  assert.deepEqual(names.stdout.trim().split(/\s+/).sort(), [
    'com.amazonaws.us-east-1.dynamodb',
    'com.amazonaws.us-east-1.s3',
  ]);
  const ec2 = ec2Client(p, { account: CONSUMER });
  const vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }))).Vpc?.VpcId;
  const ep = await ec2.send(
    new CreateVpcEndpointCommand({ VpcId: vpcId, ServiceName: 'com.amazonaws.us-east-1.s3' }),
  );
  const epId = ep.VpcEndpoint?.VpcEndpointId ?? '';
  assert.equal(ep.VpcEndpoint?.VpcEndpointType, 'Gateway', 'VpcEndpointType defaults to Gateway');
  const row = await awsCli(p.url, CONSUMER, [
    'ec2',
    'describe-vpc-endpoints',
    '--query',
    'VpcEndpoints[].[VpcEndpointId,VpcEndpointType,State,PrivateDnsEnabled,CreationTimestamp]',
    '--output',
    'text',
  ]);
  assert.equal(row.code, 0, row.stderr);
  const [id, type, state, privateDns, created] = row.stdout.trim().split('\t');
  assert.deepEqual([id, type, state, privateDns], [epId, 'Gateway', 'available', 'False']);
  // botocore parsed the timestamp (the CLI prints it back in ISO 8601 with an offset).
  assert.match(created ?? '', /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(\+00:00|Z)$/);
});

test('--max-items / --starting-token paginate with a changing token and no repeats', { skip }, async (t) => {
  const p = await startPrivlink(t);
  const all = await ec2Client(p, { account: CONSUMER }).send(new DescribeVpcEndpointServicesCommand({}));
  const want = (all.ServiceDetails ?? []).map((d) => `${d.ServiceName}/${d.ServiceType?.[0]?.ServiceType}`);
  assert.ok(want.length > 12);
  const seen: string[] = [];
  const tokens: string[] = [];
  let token: string | undefined;
  for (let i = 0; i < 20; i++) {
    const args = [
      'ec2',
      'describe-vpc-endpoint-services',
      '--page-size',
      '5',
      '--max-items',
      '6',
      ...(token ? ['--starting-token', token] : []),
    ];
    const page = await awsOk<J>(p.url, CONSUMER, args);
    for (const d of page['ServiceDetails'] as J[])
      seen.push(`${d['ServiceName']}/${d['ServiceType'][0]['ServiceType']}`);
    token = page['NextToken'] as string | undefined;
    if (!token) break;
    assert.ok(!tokens.includes(token), 'a pagination token must never repeat');
    tokens.push(token);
  }
  assert.ok(tokens.length >= 2);
  assert.deepEqual(seen, want);
});

test('elbv2 wait load-balancer-available and load-balancers-deleted', { skip }, async (t) => {
  const p = await startPrivlink(t);
  const ec2 = ec2Client(p);
  const elb = elbClient(p);
  const vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }))).Vpc?.VpcId;
  const subnet = await ec2.send(
    new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.0.1.0/24', AvailabilityZone: 'us-east-1a' }),
  );
  const lb = await elb.send(
    new CreateLoadBalancerCommand({
      Name: 'wait-nlb',
      Type: 'network',
      Scheme: 'internal',
      Subnets: [subnet.Subnet?.SubnetId ?? ''],
    }),
  );
  const arn = lb.LoadBalancers?.[0]?.LoadBalancerArn ?? '';
  const started = Date.now();
  const avail = await awsCli(p.url, PROVIDER, [
    'elbv2',
    'wait',
    'load-balancer-available',
    '--load-balancer-arns',
    arn,
  ]);
  assert.equal(avail.code, 0, avail.stderr);
  await elb.send(new DeleteLoadBalancerCommand({ LoadBalancerArn: arn }));
  const deleted = await awsCli(p.url, PROVIDER, [
    'elbv2',
    'wait',
    'load-balancers-deleted',
    '--load-balancer-arns',
    arn,
  ]);
  assert.equal(deleted.code, 0, deleted.stderr);
  // The waiters poll every 15 s; both must succeed on their first or second poll.
  assert.ok(Date.now() - started < 40_000, `waiters took ${Date.now() - started} ms`);
});
