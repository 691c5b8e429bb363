/**
 * One test per bug the fuzzer found, through the real SDK where it can express the input:
 * filter names that are Object.prototype members (500 → InvalidFilter), non-canonical list
 * indices (500 → InvalidParameterValue), rolled-back deletes reordering Describe output, and
 * control characters echoed in error messages (the SDK must still parse the envelope).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateSecurityGroupCommand,
  CreateVpcCommand,
  DeleteSecurityGroupCommand,
  DescribeAvailabilityZonesCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupsCommand,
  DescribeVpcEndpointsCommand,
  DescribeVpcsCommand,
} from '@aws-sdk/client-ec2';
import { DescribeLoadBalancersCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  PROVIDER,
  ec2Client,
  elbClient,
  expectAwsError,
  signedRaw,
  startPrivlink,
} from '../helpers/privlink.js';

test('filter names such as constructor or valueOf are InvalidFilter, not a 500', async (t) => {
  const p = await startPrivlink(t);
  const ec2 = ec2Client(p, { account: PROVIDER });
  for (const name of ['constructor', 'valueOf', 'hasOwnProperty', '__proto__', 'toString']) {
    const Filters = [{ Name: name, Values: ['x'] }];
    await expectAwsError(ec2.send(new DescribeVpcsCommand({ Filters })), 'InvalidFilter', 400);
    await expectAwsError(ec2.send(new DescribeRouteTablesCommand({ Filters })), 'InvalidFilter', 400);
    await expectAwsError(ec2.send(new DescribeAvailabilityZonesCommand({ Filters })), 'InvalidFilter', 400);
    await expectAwsError(ec2.send(new DescribeVpcEndpointsCommand({ Filters })), 'InvalidFilter', 400);
  }
});

test('list indices must be canonical decimals: X.01 is refused, not half-decoded', async (t) => {
  const p = await startPrivlink(t);
  for (const body of [
    'Action=DescribeSubnets&Version=2016-11-15&Filter.01=x',
    'Action=DescribeSubnets&Version=2016-11-15&Filter.01.Name=vpc-id&Filter.01.Value.1=vpc-1',
    'Action=DescribeVpcs&Version=2016-11-15&VpcId.01=vpc-0123456789abcdef0',
    'Action=DescribeVpcs&Version=2016-11-15&Filter.1.Name=vpc-id&Filter.1.Value.001=x',
  ]) {
    const r = await signedRaw(p, body);
    assert.equal(r.status, 400, `${body}: ${r.body}`);
    assert.match(r.body, /<Code>InvalidParameterValue<\/Code>/);
  }
  const elb = await signedRaw(p, 'Action=DescribeLoadBalancers&Version=2015-12-01&Names.member.01=a', {
    service: 'elasticloadbalancing',
  });
  assert.equal(elb.status, 400);
  assert.match(elb.body, /<ErrorResponse[^>]*><Error><Type>Sender<\/Type><Code>ValidationError<\/Code>/);
});

test('a rolled-back delete (DryRun or failed) leaves Describe order unchanged', async (t) => {
  const p = await startPrivlink(t);
  const ec2 = ec2Client(p, { account: PROVIDER });
  const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
  const VpcId = vpc.Vpc?.VpcId ?? '';
  for (const name of ['a', 'b', 'c']) {
    await ec2.send(new CreateSecurityGroupCommand({ VpcId, GroupName: name, Description: name }));
  }
  const order = async () =>
    ((await ec2.send(new DescribeSecurityGroupsCommand({}))).SecurityGroups ?? []).map((g) => g.GroupId);
  const before = await order();
  const first = before[1] ?? '';
  await expectAwsError(
    ec2.send(new DeleteSecurityGroupCommand({ GroupId: first, DryRun: true })),
    'DryRunOperation',
    412,
  );
  assert.deepEqual(await order(), before);
  const storeOrder = p.store.listAll('securityGroup').map((g) => g.id);
  assert.deepEqual(storeOrder, before);
});

test('control characters and markup echoed in error messages still parse in the SDK', async (t) => {
  const p = await startPrivlink(t);
  const ec2 = ec2Client(p, { account: PROVIDER });
  for (const name of ['a\u0001b', ']]><Error>', 'x\u007fy', '💥\u202e']) {
    await expectAwsError(
      ec2.send(new DescribeSecurityGroupsCommand({ GroupNames: [name] })),
      'InvalidGroup.NotFound',
      400,
    );
  }
  await expectAwsError(
    elbClient(p, { account: PROVIDER }).send(new DescribeLoadBalancersCommand({ Names: ['a\u0001<b>'] })),
    'ValidationError',
  ).catch(async () =>
    expectAwsError(
      elbClient(p, { account: PROVIDER }).send(new DescribeLoadBalancersCommand({ Names: ['a\u0001<b>'] })),
      'LoadBalancerNotFound',
    ),
  );
});
