/**
 * privlink as the provider of its own AWS services: the unmodified `aws` CLI inside an instance,
 * with default endpoint URLs, reaches ec2, sts and elasticloadbalancing over HTTPS through
 * interface endpoints with private DNS (TLS from privlink's CA, which the instance trusts through
 * its system bundle and AWS_CA_BUNDLE); from a VPC without the endpoints the same names do not
 * reach privlink. One server, two VPCs, two instances for the whole file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AssociateRouteTableCommand,
  CreateRouteTableCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  CreateVpcEndpointCommand,
  DescribeVpcEndpointsCommand,
  DescribeVpcsCommand,
  ModifyVpcAttributeCommand,
  ModifyVpcEndpointCommand,
  RunInstancesCommand,
  type EC2Client,
} from '@aws-sdk/client-ec2';
import { startAwsBackends } from '../helpers/aws-backends.js';
import { createComponents, createDataplane } from '../../src/components.js';
import type { Privlink } from '../../src/emulator.js';
import { netnsSkip } from '../helpers/netns.js';
import { CONSUMER, PROVIDER, REGION, ec2Client, eventually, startPrivlink } from '../helpers/privlink.js';

const PREFIX = 'tas';
const BUCKET = 'privlink-test-bucket';
const DENIED_BUCKET = 'privlink-denied-bucket';

const AMI = 'ami-0123456789abcdef0';
const skip = await netnsSkip('AWS-service endpoint tests');

async function vpc(ec2: EC2Client, cidr: string): Promise<{ vpcId: string; subnetId: string }> {
  const v = await ec2.send(new CreateVpcCommand({ CidrBlock: cidr }));
  const vpcId = v.Vpc?.VpcId ?? '';
  await ec2.send(new ModifyVpcAttributeCommand({ VpcId: vpcId, EnableDnsHostnames: { Value: true } }));
  const sn = await ec2.send(
    new CreateSubnetCommand({
      VpcId: vpcId,
      CidrBlock: cidr.replace(/\.0\.0\/16$/, '.1.0/24'),
      AvailabilityZone: 'us-east-1a',
    }),
  );
  return { vpcId, subnetId: sn.Subnet?.SubnetId ?? '' };
}

async function launch(ec2: EC2Client, subnetId: string): Promise<string> {
  const r = await ec2.send(
    new RunInstancesCommand({
      ImageId: AMI,
      InstanceType: 't3.micro',
      MinCount: 1,
      MaxCount: 1,
      SubnetId: subnetId,
    }),
  );
  return r.Instances?.[0]?.InstanceId ?? '';
}

/** The real aws CLI inside the instance, default endpoints, credentials of `account`. */
async function awsIn(
  p: Privlink,
  instanceId: string,
  args: string[],
  account = CONSUMER,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return p.execInInstance(
    instanceId,
    [
      'env',
      `AWS_ACCESS_KEY_ID=${account}`,
      'AWS_SECRET_ACCESS_KEY=test-secret',
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
}

test(
  'aws CLI in an instance reaches ec2, sts and elasticloadbalancing through interface endpoints over HTTPS',
  { skip, timeout: 120_000 },
  async (t) => {
    const awsServices = await startAwsBackends(t, [BUCKET, DENIED_BUCKET]);
    const p = await startPrivlink(
      t,
      { dataplane: 'netns', netnsPrefix: PREFIX, awsServices },
      { dataplane: createDataplane, components: createComponents },
    );
    const ec2 = ec2Client(p, { account: CONSUMER });
    const withEp = await vpc(ec2, '10.20.0.0/16');
    const without = await vpc(ec2, '10.21.0.0/16');
    const endpoints: string[] = [];
    for (const svc of ['ec2', 'sts', 'elasticloadbalancing', 's3', 'dynamodb']) {
      const r = await ec2.send(
        new CreateVpcEndpointCommand({
          VpcId: withEp.vpcId,
          ServiceName: `com.amazonaws.${REGION}.${svc}`,
          VpcEndpointType: 'Interface',
          SubnetIds: [withEp.subnetId],
          PrivateDnsEnabled: true,
        }),
      );
      endpoints.push(r.VpcEndpoint?.VpcEndpointId ?? '');
    }
    const inside = await launch(ec2, withEp.subnetId);
    const outside = await launch(ec2, without.subnetId);
    await eventually(
      async () =>
        (await ec2.send(new DescribeVpcEndpointsCommand({ VpcEndpointIds: endpoints }))).VpcEndpoints ?? [],
      (eps) => eps.length === 5 && eps.every((e) => String(e.State) === 'available'),
      { timeoutMs: 30_000 },
    );

    await t.test('ec2 describe-vpcs lists the consumer VPCs', async () => {
      const r = await eventually(
        () => awsIn(p, inside, ['ec2', 'describe-vpcs']),
        (x) => x.code === 0,
      );
      assert.equal(r.code, 0, r.stderr);
      const ids = (JSON.parse(r.stdout) as { Vpcs: { VpcId: string }[] }).Vpcs.map((v) => v.VpcId).sort();
      assert.deepEqual(ids, [withEp.vpcId, without.vpcId].sort());
    });

    await t.test('sts get-caller-identity answers the caller account', async () => {
      const r = await awsIn(p, inside, ['sts', 'get-caller-identity']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal((JSON.parse(r.stdout) as { Account: string }).Account, CONSUMER);
    });

    await t.test('elbv2 describe-load-balancers answers (empty)', async () => {
      const r = await awsIn(p, inside, ['elbv2', 'describe-load-balancers']);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual((JSON.parse(r.stdout) as { LoadBalancers: unknown[] }).LoadBalancers, []);
    });

    await t.test('the endpoint-specific name works too, with the same certificate', async () => {
      const dns = (await ec2.send(new DescribeVpcEndpointsCommand({ VpcEndpointIds: [endpoints[0] ?? ''] })))
        .VpcEndpoints?.[0]?.DnsEntries?.[0]?.DnsName;
      assert.ok(dns?.includes('.ec2.us-east-1.vpce.amazonaws.com'), dns);
      const r = await awsIn(p, inside, ['ec2', 'describe-vpcs', '--endpoint-url', `https://${dns}`]);
      assert.equal(r.code, 0, r.stderr);
    });

    await t.test(
      'a Deny on ec2:Describe* in the endpoint policy turns the call into UnauthorizedOperation',
      async () => {
        const policy = {
          Statement: [
            { Effect: 'Allow', Principal: '*', Action: '*', Resource: '*' },
            { Effect: 'Deny', Principal: '*', Action: 'ec2:Describe*', Resource: '*' },
          ],
        };
        await ec2.send(
          new ModifyVpcEndpointCommand({
            VpcEndpointId: endpoints[0],
            PolicyDocument: JSON.stringify(policy),
          }),
        );
        const denied = await awsIn(p, inside, ['ec2', 'describe-vpcs']);
        assert.notEqual(denied.code, 0);
        assert.match(denied.stderr, /UnauthorizedOperation/);
        assert.match(denied.stderr, /explicit deny in a VPC endpoint policy/);
        // The host API port has no endpoint origin: no endpoint policy applies there.
        assert.equal((await ec2.send(new DescribeVpcsCommand({}))).Vpcs?.length, 2);
        await ec2.send(new ModifyVpcEndpointCommand({ VpcEndpointId: endpoints[0], ResetPolicy: true }));
        const again = await awsIn(p, inside, ['ec2', 'describe-vpcs']);
        assert.equal(again.code, 0, again.stderr);
      },
    );

    await t.test('a Deny on aws:PrincipalAccount refuses that account only', async () => {
      const policy = {
        Statement: [
          { Effect: 'Allow', Principal: '*', Action: '*', Resource: '*' },
          {
            Effect: 'Deny',
            Principal: '*',
            Action: '*',
            Resource: '*',
            Condition: { StringEquals: { 'aws:PrincipalAccount': CONSUMER } },
          },
        ],
      };
      await ec2.send(
        new ModifyVpcEndpointCommand({ VpcEndpointId: endpoints[2], PolicyDocument: JSON.stringify(policy) }),
      );
      const denied = await awsIn(p, inside, ['elbv2', 'describe-load-balancers']);
      assert.notEqual(denied.code, 0);
      assert.match(denied.stderr, /AccessDenied/);
      const other = await awsIn(p, inside, ['elbv2', 'describe-load-balancers'], PROVIDER);
      assert.equal(other.code, 0, other.stderr);
    });

    await t.test(
      'aws s3 cp writes and reads back an object through the s3 endpoint; a policy denies one bucket',
      async () => {
        const put = await p.execInInstance(
          inside,
          [
            'sh',
            '-c',
            `echo hello-s3 > /tmp/o && env AWS_ACCESS_KEY_ID=${CONSUMER} AWS_SECRET_ACCESS_KEY=x AWS_DEFAULT_REGION=${REGION} aws s3 cp /tmp/o s3://${BUCKET}/k && env AWS_ACCESS_KEY_ID=${CONSUMER} AWS_SECRET_ACCESS_KEY=x AWS_DEFAULT_REGION=${REGION} aws s3 cp s3://${BUCKET}/k -`,
          ],
          30_000,
        );
        assert.equal(put.code, 0, put.stderr);
        assert.match(put.stdout, /hello-s3/);
        const policy = {
          Statement: [
            { Effect: 'Allow', Principal: '*', Action: '*', Resource: '*' },
            {
              Effect: 'Deny',
              Principal: '*',
              Action: 's3:*',
              Resource: [`arn:aws:s3:::${DENIED_BUCKET}`, `arn:aws:s3:::${DENIED_BUCKET}/*`],
            },
          ],
        };
        await ec2.send(
          new ModifyVpcEndpointCommand({
            VpcEndpointId: endpoints[3],
            PolicyDocument: JSON.stringify(policy),
          }),
        );
        const denied = await awsIn(p, inside, [
          's3api',
          'put-object',
          '--bucket',
          DENIED_BUCKET,
          '--key',
          'k',
        ]);
        assert.notEqual(denied.code, 0);
        assert.match(denied.stderr, /AccessDenied/);
        const allowed = await awsIn(p, inside, ['s3api', 'head-object', '--bucket', BUCKET, '--key', 'k']);
        assert.equal(allowed.code, 0, allowed.stderr);
      },
    );

    await t.test('dynamodb create-table, put-item and get-item through the dynamodb endpoint', async () => {
      const mk = await awsIn(p, inside, [
        'dynamodb',
        'create-table',
        '--table-name',
        'table1',
        '--attribute-definitions',
        'AttributeName=pk,AttributeType=S',
        '--key-schema',
        'AttributeName=pk,KeyType=HASH',
        '--billing-mode',
        'PAY_PER_REQUEST',
      ]);
      assert.equal(mk.code, 0, mk.stderr);
      const put = await awsIn(p, inside, [
        'dynamodb',
        'put-item',
        '--table-name',
        'table1',
        '--item',
        '{"pk":{"S":"a"},"v":{"S":"hello-ddb"}}',
      ]);
      assert.equal(put.code, 0, put.stderr);
      const get = await awsIn(p, inside, [
        'dynamodb',
        'get-item',
        '--table-name',
        'table1',
        '--key',
        '{"pk":{"S":"a"}}',
      ]);
      assert.equal(get.code, 0, get.stderr);
      assert.match(get.stdout, /hello-ddb/);
    });

    await t.test(
      'gateway endpoints: S3 and DynamoDB only from the subnet whose route table has the route',
      async () => {
        const gw = await vpc(ec2, '10.22.0.0/16');
        const other =
          (
            await ec2.send(
              new CreateSubnetCommand({
                VpcId: gw.vpcId,
                CidrBlock: '10.22.2.0/24',
                AvailabilityZone: 'us-east-1a',
              }),
            )
          ).Subnet?.SubnetId ?? '';
        const rtb =
          (await ec2.send(new CreateRouteTableCommand({ VpcId: gw.vpcId }))).RouteTable?.RouteTableId ?? '';
        await ec2.send(new AssociateRouteTableCommand({ RouteTableId: rtb, SubnetId: gw.subnetId }));
        const gws: string[] = [];
        for (const svc of ['s3', 'dynamodb']) {
          const r = await ec2.send(
            new CreateVpcEndpointCommand({
              VpcId: gw.vpcId,
              ServiceName: `com.amazonaws.${REGION}.${svc}`,
              VpcEndpointType: 'Gateway',
              RouteTableIds: [rtb],
            }),
          );
          gws.push(r.VpcEndpoint?.VpcEndpointId ?? '');
        }
        const routed = await launch(ec2, gw.subnetId);
        const unrouted = await launch(ec2, other);
        await eventually(
          async () =>
            (await ec2.send(new DescribeVpcEndpointsCommand({ VpcEndpointIds: gws }))).VpcEndpoints ?? [],
          (eps) => eps.every((e) => String(e.State) === 'available'),
          { timeoutMs: 30_000 },
        );
        const creds = `AWS_ACCESS_KEY_ID=${CONSUMER} AWS_SECRET_ACCESS_KEY=x AWS_DEFAULT_REGION=${REGION}`;
        const cp = await eventually(
          () =>
            p.execInInstance(
              routed,
              [
                'sh',
                '-c',
                `echo via-gateway > /tmp/g && env ${creds} aws --cli-connect-timeout 2 s3 cp /tmp/g s3://${BUCKET}/g && env ${creds} aws s3 cp s3://${BUCKET}/g -`,
              ],
              30_000,
            ),
          (r) => r.code === 0,
          { timeoutMs: 20_000, intervalMs: 500 },
        );
        assert.match(cp.stdout, /via-gateway/, cp.stderr);
        const put = await awsIn(p, routed, [
          'dynamodb',
          'put-item',
          '--table-name',
          'table1',
          '--item',
          '{"pk":{"S":"g"},"v":{"S":"gw-ddb"}}',
        ]);
        assert.equal(put.code, 0, put.stderr);
        const get = await awsIn(p, routed, [
          'dynamodb',
          'get-item',
          '--table-name',
          'table1',
          '--key',
          '{"pk":{"S":"g"}}',
        ]);
        assert.match(get.stdout, /gw-ddb/, get.stderr);
        // The main route table has no prefix-list route: nothing reaches the services.
        const blocked = await awsIn(p, unrouted, ['s3', 'ls', `s3://${BUCKET}`]);
        assert.notEqual(blocked.code, 0, blocked.stdout);
        const blockedDdb = await awsIn(p, unrouted, ['dynamodb', 'list-tables']);
        assert.notEqual(blockedDdb.code, 0, blockedDdb.stdout);
      },
    );

    await t.test('from a VPC without the endpoint the service name does not reach privlink', async () => {
      // The public name resolves to the benchmarking range (never a real public address)…
      const g = await p.execInInstance(outside, ['getent', 'hosts', 'ec2.us-east-1.amazonaws.com']);
      assert.match(g.stdout, /^198\.1[89]\.\d+\.\d+\s/, g.stdout + g.stderr);
      const gi = await p.execInInstance(inside, ['getent', 'hosts', 'ec2.us-east-1.amazonaws.com']);
      assert.match(gi.stdout, /^10\.20\.1\.\d+\s/, gi.stdout + gi.stderr);
      // …which nothing routes from this VPC.
      const r = await awsIn(p, outside, ['ec2', 'describe-vpcs']);
      assert.notEqual(r.code, 0, r.stdout);
      assert.match(
        r.stderr,
        /Could not connect|connect timeout|Connection refused|Name or service not known|resolve/i,
      );
    });
  },
);
