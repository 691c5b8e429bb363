import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateEndpointPolicy, type PolicyRequest } from './endpoint-policy.js';

const ACCOUNT = '123456789012';
const ROOT = `arn:aws:iam::${ACCOUNT}:root`;

function req(over: Partial<PolicyRequest> = {}): PolicyRequest {
  return {
    principalArn: ROOT,
    principalAccount: ACCOUNT,
    action: 'ec2:DescribeVpcs',
    resources: ['*'],
    context: {
      'aws:PrincipalAccount': ACCOUNT,
      'aws:PrincipalArn': over.principalArn ?? ROOT,
      'aws:SourceVpce': 'vpce-1a2b3c4d',
      'aws:SourceVpc': 'vpc-111bbb22',
      'aws:SourceIp': '10.0.1.25',
    },
    endpointKind: 'Interface',
    ...over,
  };
}

async function effect(policy: unknown, r: PolicyRequest): Promise<string> {
  return (await evaluateEndpointPolicy(JSON.stringify(policy), r)).effect;
}

// VPC User Guide (PrivateLink), "Control access to VPC endpoints using endpoint policies" →
// "Default endpoint policy": full access.
const DEFAULT = { Statement: [{ Effect: 'Allow', Principal: '*', Action: '*', Resource: '*' }] };

test('the default endpoint policy allows any action on any resource', async () => {
  assert.equal(await effect(DEFAULT, req()), 'Allowed');
  assert.equal(
    await effect(
      DEFAULT,
      req({ action: 's3:PutObject', resources: ['arn:aws:s3:::b/k'], endpointKind: 'Gateway' }),
    ),
    'Allowed',
  );
  // The interface default as AWS prints it (pretty, 2008 form) evaluates the same.
  const pretty =
    '{\n  "Statement": [\n    {\n      "Action": "*", \n      "Effect": "Allow", \n      "Principal": "*", \n      "Resource": "*"\n    }\n  ]\n}';
  assert.deepEqual(await evaluateEndpointPolicy(pretty, req()), { effect: 'Allowed' });
});

// IAM User Guide, "Policy evaluation logic": an explicit deny overrides any allow; with no
// matching allow the request is implicitly denied.
test('explicit Deny wins over Allow; no matching Allow is an implicit deny', async () => {
  const denyDescribe = {
    Statement: [
      { Effect: 'Allow', Principal: '*', Action: '*', Resource: '*' },
      { Effect: 'Deny', Principal: '*', Action: 'ec2:Describe*', Resource: '*' },
    ],
  };
  assert.deepEqual(await evaluateEndpointPolicy(JSON.stringify(denyDescribe), req()), {
    effect: 'ExplicitlyDenied',
    resource: '*',
    reason: 'explicit',
  });
  assert.equal(await effect(denyDescribe, req({ action: 'ec2:CreateVpc' })), 'Allowed');
  const onlySts = { Statement: [{ Effect: 'Allow', Principal: '*', Action: 'sts:*', Resource: '*' }] };
  assert.deepEqual(await evaluateEndpointPolicy(JSON.stringify(onlySts), req()), {
    effect: 'ImplicitlyDenied',
    resource: '*',
    reason: 'implicit',
  });
  assert.equal(await effect(onlySts, req({ action: 'sts:GetCallerIdentity' })), 'Allowed');
});

// IAM User Guide, "IAM JSON policy elements: Action": service prefix and action name are
// case-insensitive; wildcards match within the action name.
test('Action and NotAction: wildcards, case-insensitive', async () => {
  const upper = { Statement: [{ Effect: 'Allow', Principal: '*', Action: 'EC2:describe*', Resource: '*' }] };
  assert.equal(await effect(upper, req()), 'Allowed');
  assert.equal(await effect(upper, req({ action: 'ec2:CreateVpc' })), 'ImplicitlyDenied');
  const notEc2 = { Statement: [{ Effect: 'Allow', Principal: '*', NotAction: 'ec2:*', Resource: '*' }] };
  assert.equal(await effect(notEc2, req()), 'ImplicitlyDenied');
  assert.equal(await effect(notEc2, req({ action: 'sts:GetCallerIdentity' })), 'Allowed');
});

// VPC User Guide, "Control access to VPC endpoints using endpoint policies" → "Policies for
// interface endpoints" / "Principals for gateway endpoints": an account principal covers the
// account's users and roles on an interface endpoint, only its root user on a gateway endpoint.
test('Principal: *, {"AWS":"*"}, account ID, account root ARN, user and role ARNs', async () => {
  const bob = `arn:aws:iam::${ACCOUNT}:user/bob`;
  const role = `arn:aws:iam::${ACCOUNT}:role/app`;
  const session = `arn:aws:sts::${ACCOUNT}:assumed-role/app/i-0123`;
  const allowFor = (p: unknown) => ({
    Statement: [{ Effect: 'Allow', Principal: p, Action: '*', Resource: '*' }],
  });
  assert.equal(await effect(allowFor({ AWS: '*' }), req()), 'Allowed');
  assert.equal(await effect(allowFor({ AWS: ACCOUNT }), req({ principalArn: bob })), 'Allowed');
  assert.equal(await effect(allowFor({ AWS: ROOT }), req({ principalArn: bob })), 'Allowed');
  assert.equal(
    await effect(allowFor({ AWS: ROOT }), req({ principalArn: bob, endpointKind: 'Gateway' })),
    'ImplicitlyDenied',
  );
  assert.equal(await effect(allowFor({ AWS: ROOT }), req({ endpointKind: 'Gateway' })), 'Allowed');
  assert.equal(
    await effect(allowFor({ AWS: '999999999999' }), req({ principalArn: bob })),
    'ImplicitlyDenied',
  );
  assert.equal(await effect(allowFor({ AWS: [role, bob] }), req({ principalArn: bob })), 'Allowed');
  assert.equal(await effect(allowFor({ AWS: bob }), req({ principalArn: role })), 'ImplicitlyDenied');
  assert.equal(await effect(allowFor({ AWS: role }), req({ principalArn: session })), 'Allowed');
  assert.equal(await effect(allowFor({ Service: 'ec2.amazonaws.com' }), req()), 'ImplicitlyDenied');
  // A Deny naming another principal does not touch this caller; NotPrincipal inverts.
  const denyBob = {
    Statement: [
      { Effect: 'Allow', Principal: '*', Action: '*', Resource: '*' },
      { Effect: 'Deny', Principal: { AWS: bob }, Action: '*', Resource: '*' },
    ],
  };
  assert.equal(await effect(denyBob, req({ principalArn: role })), 'Allowed');
  assert.equal(await effect(denyBob, req({ principalArn: bob })), 'ExplicitlyDenied');
  const denyAllButBob = {
    Statement: [
      { Effect: 'Allow', Principal: '*', Action: '*', Resource: '*' },
      { Effect: 'Deny', NotPrincipal: { AWS: bob }, Action: '*', Resource: '*' },
    ],
  };
  assert.equal(await effect(denyAllButBob, req({ principalArn: bob })), 'Allowed');
  assert.equal(await effect(denyAllButBob, req({ principalArn: role })), 'ExplicitlyDenied');
});

// S3 User Guide, "Gateway endpoints for Amazon S3" → "Endpoint policies": restrict access to a
// specific bucket (bucket and bucket/* ARNs).
test('Resource and NotResource ARNs with wildcards (S3 bucket example)', async () => {
  const oneBucket = {
    Statement: [
      {
        Sid: 'Access-to-specific-bucket-only',
        Principal: '*',
        Action: ['s3:GetObject', 's3:PutObject', 's3:ListBucket'],
        Effect: 'Allow',
        Resource: ['arn:aws:s3:::bucket_name', 'arn:aws:s3:::bucket_name/*'],
      },
    ],
  };
  const s3 = (action: string, resource: string) =>
    req({ action, resources: [resource], endpointKind: 'Gateway' });
  assert.equal(await effect(oneBucket, s3('s3:GetObject', 'arn:aws:s3:::bucket_name/a/b.txt')), 'Allowed');
  assert.equal(await effect(oneBucket, s3('s3:ListBucket', 'arn:aws:s3:::bucket_name')), 'Allowed');
  assert.equal(await effect(oneBucket, s3('s3:GetObject', 'arn:aws:s3:::other/a')), 'ImplicitlyDenied');
  assert.equal(
    await effect(oneBucket, s3('s3:DeleteObject', 'arn:aws:s3:::bucket_name/a')),
    'ImplicitlyDenied',
  );
  const notOther = {
    Statement: [
      { Effect: 'Allow', Principal: '*', Action: 's3:*', Resource: '*' },
      {
        Effect: 'Deny',
        Principal: '*',
        Action: 's3:*',
        NotResource: ['arn:aws:s3:::bucket_name', 'arn:aws:s3:::bucket_name/*'],
      },
    ],
  };
  assert.equal(await effect(notOther, s3('s3:GetObject', 'arn:aws:s3:::bucket_name/x')), 'Allowed');
  assert.equal(await effect(notOther, s3('s3:GetObject', 'arn:aws:s3:::other/x')), 'ExplicitlyDenied');
});

// DynamoDB Developer Guide, "Using Amazon VPC endpoints to access DynamoDB" → endpoint policy
// example: read-only access to a specific table.
test('DynamoDB table ARN example: read-only on one table', async () => {
  const table = `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/MusicCollection`;
  const readOnly = {
    Statement: [
      {
        Effect: 'Allow',
        Principal: '*',
        Action: ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:Scan', 'dynamodb:Query'],
        Resource: table,
      },
    ],
  };
  const ddb = (action: string, resource: string) =>
    req({ action, resources: [resource], endpointKind: 'Gateway' });
  assert.equal(await effect(readOnly, ddb('dynamodb:GetItem', table)), 'Allowed');
  assert.equal(await effect(readOnly, ddb('dynamodb:PutItem', table)), 'ImplicitlyDenied');
  assert.equal(
    await effect(readOnly, ddb('dynamodb:GetItem', table.replace('MusicCollection', 'Other'))),
    'ImplicitlyDenied',
  );
});

// IAM User Guide, "IAM JSON policy elements: Condition operators" (String, ARN, Bool, IP address,
// Null, …IfExists) and "AWS global condition context keys" (aws:PrincipalAccount,
// aws:PrincipalArn, aws:SourceVpce, aws:SourceVpc, aws:SourceIp).
test('Condition operators over the endpoint context keys', async () => {
  const allowIf = (condition: unknown) => ({
    Statement: [{ Effect: 'Allow', Principal: '*', Action: '*', Resource: '*', Condition: condition }],
  });
  const denyIf = (condition: unknown) => ({
    Statement: [
      { Effect: 'Allow', Principal: '*', Action: '*', Resource: '*' },
      { Effect: 'Deny', Principal: '*', Action: '*', Resource: '*', Condition: condition },
    ],
  });
  const cases: [unknown, string][] = [
    [allowIf({ StringEquals: { 'aws:PrincipalAccount': ACCOUNT } }), 'Allowed'],
    [allowIf({ StringEquals: { 'aws:PrincipalAccount': '111122223333' } }), 'ImplicitlyDenied'],
    [denyIf({ StringNotEquals: { 'aws:PrincipalAccount': [ACCOUNT] } }), 'Allowed'],
    [denyIf({ StringEquals: { 'aws:PrincipalAccount': ACCOUNT } }), 'ExplicitlyDenied'],
    [allowIf({ StringEquals: { 'aws:SourceVpce': 'vpce-1a2b3c4d' } }), 'Allowed'],
    [allowIf({ StringEquals: { 'aws:sourcevpc': 'vpc-111bbb22' } }), 'Allowed'],
    [allowIf({ StringEquals: { 'aws:SourceVpc': 'vpc-other' } }), 'ImplicitlyDenied'],
    [allowIf({ StringLike: { 'aws:PrincipalArn': `arn:aws:iam::${ACCOUNT}:*` } }), 'Allowed'],
    [allowIf({ ArnEquals: { 'aws:PrincipalArn': ROOT } }), 'Allowed'],
    [allowIf({ ArnLike: { 'aws:PrincipalArn': 'arn:aws:iam::*:user/*' } }), 'ImplicitlyDenied'],
    [allowIf({ IpAddress: { 'aws:SourceIp': '10.0.1.0/24' } }), 'Allowed'],
    [allowIf({ IpAddress: { 'aws:SourceIp': '203.0.113.0/24' } }), 'ImplicitlyDenied'],
    [denyIf({ NotIpAddress: { 'aws:SourceIp': ['10.0.0.0/16'] } }), 'Allowed'],
    [allowIf({ Null: { 'aws:SourceVpce': 'false' } }), 'Allowed'],
    [allowIf({ Null: { 'aws:SourceVpce': 'true' } }), 'ImplicitlyDenied'],
    [allowIf({ StringEqualsIfExists: { 'aws:RequestedRegion': 'eu-west-1' } }), 'Allowed'],
    [allowIf({ Bool: { 'aws:SecureTransport': 'true' } }), 'ImplicitlyDenied'],
    [allowIf({ 'ForAnyValue:StringEquals': { 'aws:SourceVpc': ['vpc-a', 'vpc-111bbb22'] } }), 'Allowed'],
  ];
  for (const [policy, want] of cases) {
    assert.equal(await effect(policy, req()), want, JSON.stringify(policy));
  }
});

test('several resources: all must be allowed, the first denied one is named', async () => {
  const policy = {
    Statement: [{ Effect: 'Allow', Principal: '*', Action: 's3:*', Resource: 'arn:aws:s3:::a/*' }],
  };
  const d = await evaluateEndpointPolicy(
    JSON.stringify(policy),
    req({ action: 's3:GetObject', resources: ['arn:aws:s3:::a/1', 'arn:aws:s3:::b/1'] }),
  );
  assert.deepEqual(d, { effect: 'ImplicitlyDenied', resource: 'arn:aws:s3:::b/1', reason: 'implicit' });
});

test('a document the evaluator cannot read fails closed', async () => {
  assert.equal((await evaluateEndpointPolicy('{not json', req())).effect, 'ImplicitlyDenied');
  const d = await evaluateEndpointPolicy(
    JSON.stringify({
      Statement: [
        { Effect: 'Allow', Principal: '*', Action: '*', Resource: '*', Condition: { Bogus: { a: 'b' } } },
      ],
    }),
    req(),
  );
  assert.equal(d.effect, 'ImplicitlyDenied');
});
