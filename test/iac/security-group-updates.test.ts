/**
 * Rule updates Terraform makes in place (aws_security_group description changes,
 * aws_vpc_security_group_ingress_rule updates), through the real SDK.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  CreateVpcCommand,
  DescribeSecurityGroupRulesCommand,
  ModifySecurityGroupRulesCommand,
  UpdateSecurityGroupRuleDescriptionsEgressCommand,
  UpdateSecurityGroupRuleDescriptionsIngressCommand,
} from '@aws-sdk/client-ec2';
import { ec2Client, startPrivlink } from '../helpers/privlink.js';

async function groupWithRule(ec2: ReturnType<typeof ec2Client>) {
  const vpc = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }))).Vpc?.VpcId ?? '';
  const groupId =
    (await ec2.send(new CreateSecurityGroupCommand({ VpcId: vpc, GroupName: 'web', Description: 'web' })))
      .GroupId ?? '';
  const added = await ec2.send(
    new AuthorizeSecurityGroupIngressCommand({
      GroupId: groupId,
      IpPermissions: [
        {
          IpProtocol: 'tcp',
          FromPort: 80,
          ToPort: 80,
          IpRanges: [{ CidrIp: '10.0.0.0/16', Description: 'old' }],
        },
        { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '10.0.0.0/16' }] },
      ],
    }),
  );
  const [http, https] = (added.SecurityGroupRules ?? []).map((r) => r.SecurityGroupRuleId ?? '');
  return { groupId, http: http ?? '', https: https ?? '' };
}

async function rule(ec2: ReturnType<typeof ec2Client>, id: string) {
  return (await ec2.send(new DescribeSecurityGroupRulesCommand({ SecurityGroupRuleIds: [id] })))
    .SecurityGroupRules?.[0];
}

test('UpdateSecurityGroupRuleDescriptions* change descriptions by permission or by rule ID', async (t) => {
  const p = await startPrivlink(t);
  const ec2 = ec2Client(p);
  const g = await groupWithRule(ec2);
  await ec2.send(
    new UpdateSecurityGroupRuleDescriptionsIngressCommand({
      GroupId: g.groupId,
      IpPermissions: [
        {
          IpProtocol: 'tcp',
          FromPort: 80,
          ToPort: 80,
          IpRanges: [{ CidrIp: '10.0.0.0/16', Description: 'new' }],
        },
      ],
    }),
  );
  assert.equal((await rule(ec2, g.http))?.Description, 'new');
  await ec2.send(
    new UpdateSecurityGroupRuleDescriptionsIngressCommand({
      GroupId: g.groupId,
      SecurityGroupRuleDescriptions: [{ SecurityGroupRuleId: g.https, Description: 'tls' }],
    }),
  );
  assert.equal((await rule(ec2, g.https))?.Description, 'tls');
  assert.equal((await rule(ec2, g.http))?.Description, 'new');

  await assert.rejects(
    ec2.send(
      new UpdateSecurityGroupRuleDescriptionsIngressCommand({
        GroupId: g.groupId,
        IpPermissions: [
          { IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '10.0.0.0/16' }] },
        ],
      }),
    ),
    (e: Error) => e.name === 'InvalidPermission.NotFound',
  );
  // The egress rule every group starts with (all traffic to 0.0.0.0/0).
  await ec2.send(
    new UpdateSecurityGroupRuleDescriptionsEgressCommand({
      GroupId: g.groupId,
      IpPermissions: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0', Description: 'anywhere' }] }],
    }),
  );
  const egress = await ec2.send(
    new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [g.groupId] }] }),
  );
  assert.equal(egress.SecurityGroupRules?.find((r) => r.IsEgress)?.Description, 'anywhere');
});

test('ModifySecurityGroupRules replaces a rule in place and keeps its ID; duplicates and unknown IDs fail whole', async (t) => {
  const p = await startPrivlink(t);
  const ec2 = ec2Client(p);
  const g = await groupWithRule(ec2);
  await ec2.send(
    new ModifySecurityGroupRulesCommand({
      GroupId: g.groupId,
      SecurityGroupRules: [
        {
          SecurityGroupRuleId: g.http,
          SecurityGroupRule: {
            IpProtocol: 'tcp',
            FromPort: 8080,
            ToPort: 8080,
            CidrIpv4: '10.1.0.0/16',
            Description: 'alt',
          },
        },
      ],
    }),
  );
  const after = await rule(ec2, g.http);
  assert.equal(after?.FromPort, 8080);
  assert.equal(after?.CidrIpv4, '10.1.0.0/16');
  assert.equal(after?.Description, 'alt');
  assert.equal(after?.IsEgress, false);

  await assert.rejects(
    ec2.send(
      new ModifySecurityGroupRulesCommand({
        GroupId: g.groupId,
        SecurityGroupRules: [
          {
            SecurityGroupRuleId: g.http,
            SecurityGroupRule: { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, CidrIpv4: '10.0.0.0/16' },
          },
        ],
      }),
    ),
    (e: Error) => e.name === 'InvalidPermission.Duplicate',
  );
  await assert.rejects(
    ec2.send(
      new ModifySecurityGroupRulesCommand({
        GroupId: g.groupId,
        SecurityGroupRules: [
          {
            SecurityGroupRuleId: 'sgr-0123456789abcdef0',
            SecurityGroupRule: { IpProtocol: 'tcp', FromPort: 1, ToPort: 1, CidrIpv4: '10.0.0.0/16' },
          },
        ],
      }),
    ),
    (e: Error) => e.name === 'InvalidSecurityGroupRuleId.NotFound',
  );
  assert.equal((await rule(ec2, g.http))?.FromPort, 8080, 'a failed call changed nothing');
});
