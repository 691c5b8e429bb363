/**
 * Quotas (issue 11, item 9): AWS's default per-account quotas with AWS's error codes, each
 * adjustable, and the server-wide caps on namespaces and instances that hold across accounts
 * (any 12-digit key is a new account). A refused create leaves nothing behind.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DeleteVpcCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupsCommand,
  DescribeVpcEndpointsCommand,
  DescribeVpcsCommand,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import {
  CreateLoadBalancerCommand,
  CreateTargetGroupCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { parseServeArgs } from '../../src/cli/serve.js';
import { resolveOptions } from '../../src/config/options.js';
import { CONSUMER, PROVIDER, ec2Client, expectAwsError, startPrivlink } from '../helpers/privlink.js';
import { network } from '../api/elbv2-fixtures.js';
import {
  createInterfaceEndpoint,
  rootArn,
  seedService,
  startConsumer,
} from '../api/privatelink-consumer-fixtures.js';
import { namespaceCount } from '../../src/control/quotas.js';

const AMI = 'ami-0123456789abcdef0';

test('VPCs per Region: the sixth answers VpcLimitExceeded, leaves nothing, and is per account', async (t) => {
  const p = await startPrivlink(t);
  const ec2 = ec2Client(p);
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) {
    const r = await ec2.send(new CreateVpcCommand({ CidrBlock: `10.${i}.0.0/16` }));
    ids.push(r.Vpc?.VpcId ?? '');
  }
  const [groupsBefore, tablesBefore] = await Promise.all([
    ec2.send(new DescribeSecurityGroupsCommand({})),
    ec2.send(new DescribeRouteTablesCommand({})),
  ]);
  await expectAwsError(ec2.send(new CreateVpcCommand({ CidrBlock: '10.9.0.0/16' })), 'VpcLimitExceeded', 400);
  assert.equal((await ec2.send(new DescribeVpcsCommand({}))).Vpcs?.length, 5);
  assert.equal(
    (await ec2.send(new DescribeSecurityGroupsCommand({}))).SecurityGroups?.length,
    groupsBefore.SecurityGroups?.length,
    'no default group of a refused VPC',
  );
  assert.equal(
    (await ec2.send(new DescribeRouteTablesCommand({}))).RouteTables?.length,
    tablesBefore.RouteTables?.length,
    'no main route table of a refused VPC',
  );
  // Another account has its own quota.
  await ec2Client(p, { account: CONSUMER }).send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
  // Room again after a delete.
  await ec2.send(new DeleteVpcCommand({ VpcId: ids[0] }));
  await ec2.send(new CreateVpcCommand({ CidrBlock: '10.9.0.0/16' }));
});

test('configured per-account quotas: subnets, security groups, NLBs, target groups, instances', async (t) => {
  const p = await startPrivlink(t, {
    quotas: {
      subnetsPerVpc: 4,
      securityGroupsPerRegion: 3,
      loadBalancersPerRegion: 1,
      targetGroupsPerRegion: 1,
      instancesPerRegion: 2,
    },
  });
  // network() makes 4 subnets and one group besides the default one.
  const net = await network(p);
  await expectAwsError(
    net.ec2.send(new CreateSubnetCommand({ VpcId: net.vpcId, CidrBlock: '10.0.20.0/24' })),
    'SubnetLimitExceeded',
    400,
  );
  await net.ec2.send(new CreateSecurityGroupCommand({ VpcId: net.vpcId, GroupName: 'g3', Description: 'x' }));
  await expectAwsError(
    net.ec2.send(new CreateSecurityGroupCommand({ VpcId: net.vpcId, GroupName: 'g4', Description: 'x' })),
    'SecurityGroupLimitExceeded',
    400,
  );
  await net.elb.send(
    new CreateLoadBalancerCommand({
      Name: 'one',
      Type: 'network',
      Scheme: 'internal',
      Subnets: [net.subnets[0] ?? ''],
    }),
  );
  await expectAwsError(
    net.elb.send(
      new CreateLoadBalancerCommand({
        Name: 'two',
        Type: 'network',
        Scheme: 'internal',
        Subnets: [net.subnets[1] ?? ''],
      }),
    ),
    'TooManyLoadBalancers',
    400,
  );
  await net.elb.send(
    new CreateTargetGroupCommand({ Name: 'tg1', Protocol: 'TCP', Port: 80, VpcId: net.vpcId }),
  );
  await expectAwsError(
    net.elb.send(new CreateTargetGroupCommand({ Name: 'tg2', Protocol: 'TCP', Port: 80, VpcId: net.vpcId })),
    'TooManyTargetGroups',
    400,
  );
  await expectAwsError(
    net.ec2.send(
      new RunInstancesCommand({ ImageId: AMI, MinCount: 3, MaxCount: 3, SubnetId: net.subnets[0] }),
    ),
    'InstanceLimitExceeded',
    400,
  );
});

test('server caps hold across accounts: --max-namespaces and --max-instances', async (t) => {
  const p = await startPrivlink(t, { maxNamespaces: 5, maxInstances: 3, quotas: { instancesPerRegion: 20 } });
  const a = await network(p, { account: PROVIDER }); // 1 namespace
  const b = await network(p, { account: CONSUMER }); // 2
  const c = ec2Client(p, { account: '333333333333' });
  await c.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' })); // 3
  // An NLB over three subnets is three node namespaces: 6 is over the cap of 5.
  await expectAwsError(
    a.elb.send(
      new CreateLoadBalancerCommand({
        Name: 'wide',
        Type: 'network',
        Scheme: 'internal',
        Subnets: a.subnets,
      }),
    ),
    'TooManyLoadBalancers',
    400,
  );
  await a.elb.send(
    new CreateLoadBalancerCommand({
      Name: 'narrow',
      Type: 'network',
      Scheme: 'internal',
      Subnets: [a.subnets[0] ?? ''],
    }),
  ); // 4
  // Instances: at most 3 in all, but only one namespace is left.
  const first = await b.ec2.send(
    new RunInstancesCommand({ ImageId: AMI, MinCount: 1, MaxCount: 5, SubnetId: b.subnets[0] }),
  );
  assert.equal(first.Instances?.length, 1, 'MaxCount is trimmed to the room the server has');
  const err = await expectAwsError(
    a.ec2.send(new RunInstancesCommand({ ImageId: AMI, MinCount: 1, MaxCount: 1, SubnetId: a.subnets[0] })),
    'InsufficientInstanceCapacity',
  );
  assert.match(err.message, /--max-instances|--max-namespaces/);
  const vpcErr = await expectAwsError(
    ec2Client(p, { account: '444444444444' }).send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' })),
    'VpcLimitExceeded',
    400,
  );
  assert.match(vpcErr.message, /--max-namespaces/);
  const fresh = ec2Client(p, { account: '444444444444' });
  assert.equal((await fresh.send(new DescribeVpcsCommand({}))).Vpcs?.length, 0);
});

test('serve flags: --max-namespaces, --max-instances, --quota NAME=N; unknown names refused', () => {
  const o = parseServeArgs([
    '--max-namespaces',
    '10',
    '--max-instances',
    '4',
    '--quota',
    'vpcsPerRegion=7',
    '--quota',
    'subnetsPerVpc=3',
  ]);
  assert.equal(o.maxNamespaces, 10);
  assert.equal(o.maxInstances, 4);
  assert.deepEqual(o.quotas, { vpcsPerRegion: 7, subnetsPerVpc: 3 });
  assert.doesNotThrow(() => resolveOptions(o));
  assert.throws(() => parseServeArgs(['--quota', 'vpcsPerRegion']), /NAME=N/);
  assert.throws(
    () => resolveOptions(parseServeArgs(['--quota', 'bogus=1'])),
    /unknown quota bogus: one of vpcsPerRegion/,
  );
  assert.throws(() => resolveOptions({ maxNamespaces: -1 }), /maxNamespaces/);
});

test('--max-instances alone: instances across accounts stop at the cap', async (t) => {
  const p = await startPrivlink(t, { maxInstances: 2 });
  for (const account of [PROVIDER, CONSUMER]) {
    const n = await network(p, { account });
    await n.ec2.send(
      new RunInstancesCommand({ ImageId: AMI, MinCount: 1, MaxCount: 1, SubnetId: n.subnets[0] }),
    );
  }
  const third = await network(p, { account: '333333333333' });
  await expectAwsError(
    third.ec2.send(
      new RunInstancesCommand({ ImageId: AMI, MinCount: 1, MaxCount: 1, SubnetId: third.subnets[0] }),
    ),
    'InsufficientInstanceCapacity',
  );
});

test('--max-namespaces: an interface endpoint needs one ENI namespace per subnet', async (t) => {
  const { p, consumer, net } = await startConsumer(t, { maxNamespaces: 1000 });
  const svc = seedService(p, { allow: [rootArn(CONSUMER)], acceptanceRequired: false });
  // Room for exactly one more namespace.
  const quotas = p.control.config.quotas as { maxNamespaces?: number };
  quotas.maxNamespaces = namespaceCount(p.control) + 1;
  const err = await expectAwsError(
    createInterfaceEndpoint(consumer, net, svc.serviceName, { SubnetIds: net.subnetIds.slice(0, 2) }),
    'VpcEndpointLimitExceeded',
    400,
  );
  assert.match(err.message, /--max-namespaces/);
  assert.equal((await consumer.send(new DescribeVpcEndpointsCommand({}))).VpcEndpoints?.length, 0);
  await createInterfaceEndpoint(consumer, net, svc.serviceName, { SubnetIds: net.subnetIds.slice(0, 1) });
});
