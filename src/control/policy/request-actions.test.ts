import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  RequestMappingError,
  bucketFromHost,
  dynamodbRequestAction,
  queryApiAction,
  s3RequestAction,
} from './request-actions.js';
import { evaluateEndpointPolicy } from './endpoint-policy.js';

const ACCT = '123456789012';

test('EC2/ELBv2/STS: IAM action from the API action, ARNs of the resources named', () => {
  assert.deepEqual(
    queryApiAction('ec2', 'DescribeVpcs', new Map([['VpcId.1', 'vpc-0123456789abcdef0']]), ACCT, 'us-east-1'),
    {
      action: 'ec2:DescribeVpcs',
      resources: [`arn:aws:ec2:us-east-1:${ACCT}:vpc/vpc-0123456789abcdef0`],
    },
  );
  assert.deepEqual(
    queryApiAction('ec2', 'CreateVpc', new Map([['CidrBlock', '10.0.0.0/16']]), ACCT, 'us-east-1'),
    {
      action: 'ec2:CreateVpc',
      resources: ['*'],
    },
  );
  const del = queryApiAction(
    'ec2',
    'DeleteVpcEndpoints',
    new Map([
      ['VpcEndpointId.1', 'vpce-0123456789abcdef0'],
      ['VpcEndpointId.2', 'vpce-svc-0123456789abcdef0'],
    ]),
    ACCT,
    'eu-west-1',
  );
  assert.deepEqual(del.resources, [
    `arn:aws:ec2:eu-west-1:${ACCT}:vpc-endpoint/vpce-0123456789abcdef0`,
    `arn:aws:ec2:eu-west-1:${ACCT}:vpc-endpoint-service/vpce-svc-0123456789abcdef0`,
  ]);
  const lb = `arn:aws:elasticloadbalancing:us-east-1:${ACCT}:loadbalancer/net/web/0123456789abcdef`;
  assert.deepEqual(
    queryApiAction(
      'elasticloadbalancing',
      'DeleteLoadBalancer',
      new Map([['LoadBalancerArn', lb]]),
      ACCT,
      'us-east-1',
    ),
    {
      action: 'elasticloadbalancing:DeleteLoadBalancer',
      resources: [lb],
    },
  );
  assert.deepEqual(queryApiAction('sts', 'GetCallerIdentity', new Map(), ACCT, 'us-east-1'), {
    action: 'sts:GetCallerIdentity',
    resources: ['*'],
  });
  const role = `arn:aws:iam::${ACCT}:role/app`;
  assert.deepEqual(
    queryApiAction('sts', 'AssumeRole', new Map([['RoleArn', role]]), ACCT, 'us-east-1').resources,
    [role],
  );
});

test('a wildcard-only action naming resources is judged on *, as AWS authorizes it', async () => {
  const r = queryApiAction(
    'ec2',
    'DescribeVpcs',
    new Map([['VpcId.1', 'vpc-0123456789abcdef0']]),
    ACCT,
    'us-east-1',
  );
  const denyOneVpc = JSON.stringify({
    Statement: [
      { Effect: 'Allow', Principal: '*', Action: '*', Resource: '*' },
      { Effect: 'Deny', Principal: '*', Action: 'ec2:*', Resource: r.resources[0] },
    ],
  });
  const base = {
    principalArn: `arn:aws:iam::${ACCT}:root`,
    principalAccount: ACCT,
    context: {},
    endpointKind: 'Interface' as const,
  };
  assert.deepEqual(await evaluateEndpointPolicy(denyOneVpc, { ...base, ...r }), { effect: 'Allowed' });
  const del = queryApiAction(
    'ec2',
    'DeleteVpc',
    new Map([['VpcId', 'vpc-0123456789abcdef0']]),
    ACCT,
    'us-east-1',
  );
  assert.equal((await evaluateEndpointPolicy(denyOneVpc, { ...base, ...del })).effect, 'ExplicitlyDenied');
  // An ARN of a type the action does not take is dropped; the action is then judged on `*`.
  const odd = {
    ...base,
    action: 'ec2:CreateVpc',
    resources: [`arn:aws:ec2:us-east-1:${ACCT}:subnet/subnet-0123456789abcdef0`],
  };
  assert.deepEqual(await evaluateEndpointPolicy(denyOneVpc, odd), { effect: 'Allowed' });
});

// Service Authorization Reference, "Actions, resources, and condition keys for Amazon S3", and
// the S3 API Reference "Permissions" sections (HeadObject needs s3:GetObject, HeadBucket
// s3:ListBucket, ListObjectsV2 s3:ListBucket, ListBuckets s3:ListAllMyBuckets).
test('S3: action from method, path and subresource; bucket and object ARNs', () => {
  const s3 = (method: string, path: string, query = '', host = 's3.us-east-1.amazonaws.com', body?: string) =>
    s3RequestAction({
      method,
      path,
      query: new URLSearchParams(query),
      host,
      ...(body !== undefined ? { body } : {}),
    });
  assert.deepEqual(s3('GET', '/'), { action: 's3:ListAllMyBuckets', resources: ['*'] });
  assert.deepEqual(s3('GET', '/photos', 'list-type=2&prefix=a'), {
    action: 's3:ListBucket',
    resources: ['arn:aws:s3:::photos'],
    bucket: 'photos',
  });
  assert.equal(s3('HEAD', '/photos').action, 's3:ListBucket');
  assert.equal(s3('PUT', '/photos').action, 's3:CreateBucket');
  assert.equal(s3('DELETE', '/photos').action, 's3:DeleteBucket');
  assert.equal(s3('GET', '/photos', 'versions').action, 's3:ListBucketVersions');
  assert.equal(s3('PUT', '/photos', 'policy').action, 's3:PutBucketPolicy');
  assert.equal(s3('DELETE', '/photos', 'tagging').action, 's3:PutBucketTagging');
  assert.deepEqual(s3('GET', '/photos/2024/cat%20one.jpg'), {
    action: 's3:GetObject',
    resources: ['arn:aws:s3:::photos/2024/cat one.jpg'],
    bucket: 'photos',
    key: '2024/cat one.jpg',
  });
  assert.equal(s3('HEAD', '/photos/a').action, 's3:GetObject');
  assert.equal(s3('GET', '/photos/a', 'versionId=3').action, 's3:GetObjectVersion');
  assert.equal(s3('PUT', '/photos/a').action, 's3:PutObject');
  assert.equal(s3('PUT', '/photos/a', 'partNumber=1&uploadId=x').action, 's3:PutObject');
  assert.equal(s3('POST', '/photos/a', 'uploads').action, 's3:PutObject');
  assert.equal(s3('DELETE', '/photos/a').action, 's3:DeleteObject');
  assert.equal(s3('DELETE', '/photos/a', 'uploadId=x').action, 's3:AbortMultipartUpload');
  assert.equal(s3('PUT', '/photos/a', 'tagging').action, 's3:PutObjectTagging');
  assert.deepEqual(
    s3(
      'POST',
      '/photos',
      'delete',
      undefined,
      '<Delete><Object><Key>a&amp;b</Key></Object><Object><Key>c</Key></Object></Delete>',
    ),
    {
      action: 's3:DeleteObject',
      resources: ['arn:aws:s3:::photos/a&b', 'arn:aws:s3:::photos/c'],
      bucket: 'photos',
    },
  );
  // Virtual-hosted style, regional, global, dotted bucket names and the interface endpoint's names.
  assert.deepEqual(s3('GET', '/k/x', '', 'photos.s3.us-east-1.amazonaws.com'), {
    action: 's3:GetObject',
    resources: ['arn:aws:s3:::photos/k/x'],
    bucket: 'photos',
    key: 'k/x',
  });
  assert.equal(bucketFromHost('my.bucket.s3.amazonaws.com:443'), 'my.bucket');
  assert.equal(bucketFromHost('logs.bucket.vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com'), 'logs');
  assert.equal(bucketFromHost('bucket.vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com'), undefined);
  assert.equal(bucketFromHost('s3.us-east-1.amazonaws.com'), undefined);
  assert.equal(bucketFromHost('127.0.0.1:9000'), undefined);
  assert.equal(s3('PUT', '/', '', 'photos.s3.us-east-1.amazonaws.com').action, 's3:CreateBucket');
  assert.throws(() => s3('GET', '/b/%E0%A4%A'), RequestMappingError);
  assert.throws(
    () => s3('PATCH', '/b/k'),
    (e: unknown) => e instanceof RequestMappingError && e.code === 'MethodNotAllowed',
  );
});

test('DynamoDB: action from X-Amz-Target, table ARNs from the body', () => {
  const ddb = (op: string, body: unknown) =>
    dynamodbRequestAction(`DynamoDB_20120810.${op}`, JSON.stringify(body), ACCT, 'us-east-1');
  const t = (n: string) => `arn:aws:dynamodb:us-east-1:${ACCT}:table/${n}`;
  assert.deepEqual(ddb('PutItem', { TableName: 'Music', Item: {} }), {
    action: 'dynamodb:PutItem',
    resources: [t('Music')],
  });
  assert.deepEqual(ddb('Query', { TableName: 'Music', IndexName: 'ByArtist' }).resources, [
    `${t('Music')}/index/ByArtist`,
  ]);
  assert.deepEqual(ddb('ListTables', {}), { action: 'dynamodb:ListTables', resources: ['*'] });
  assert.deepEqual(ddb('BatchWriteItem', { RequestItems: { A: [], B: [] } }).resources, [t('A'), t('B')]);
  assert.deepEqual(
    ddb('TransactWriteItems', {
      TransactItems: [{ Put: { TableName: 'A' } }, { Delete: { TableName: 'C' } }],
    }).resources,
    [t('A'), t('C')],
  );
  assert.deepEqual(ddb('GetItem', { TableName: t('Other') }).resources, [t('Other')]);
  assert.throws(
    () => dynamodbRequestAction('DynamoDB_20120810.GetItem', '{bad', ACCT, 'us-east-1'),
    (e: unknown) => e instanceof RequestMappingError && e.code === 'SerializationException',
  );
  assert.throws(
    () => dynamodbRequestAction('Other.GetItem', '{}', ACCT, 'us-east-1'),
    (e: unknown) => e instanceof RequestMappingError && e.code === 'UnknownOperationException',
  );
  assert.throws(() => dynamodbRequestAction(undefined, '{}', ACCT, 'us-east-1'), RequestMappingError);
});
