/**
 * Endpoint policies enforced in the API pipeline: real SDK v3 clients talk to a test-only
 * listener that hands each request to the pipeline with an endpoint origin, exactly as the
 * transport does (RawRequest.origin); the policy is changed through the real ModifyVpcEndpoint.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  CreateVpcCommand,
  CreateVpcEndpointCommand,
  DeleteVpcEndpointsCommand,
  DescribeVpcsCommand,
  EC2Client,
  ModifyVpcEndpointCommand,
} from '@aws-sdk/client-ec2';
import {
  DescribeLoadBalancersCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { handleRequest } from '../../src/api/pipeline.js';
import type { EndpointOrigin } from '../../src/control/privatelink/endpoint-authorization.js';
import { CONSUMER, PROVIDER, REGION, expectAwsError } from '../helpers/privlink.js';
import { startConsumer } from './privatelink-consumer-fixtures.js';
import type { Privlink } from '../../src/emulator.js';

const SOURCE_IP = '10.0.1.25';

/** A listener that feeds the pipeline as the endpoint transport does, with a fixed origin. */
async function endpointListener(
  t: { after(fn: () => unknown): void },
  p: Privlink,
  origin: () => EndpointOrigin,
): Promise<string> {
  let n = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      void handleRequest(
        { control: p.control, logger: p.logger, defaultRegion: REGION },
        {
          method: req.method ?? 'GET',
          path: url.pathname,
          query: url.searchParams,
          headers: req.headers,
          body: Buffer.concat(chunks),
          origin: origin(),
        },
        `test-${++n}`,
      ).then((r) => {
        res.writeHead(r.status, { 'content-type': r.contentType });
        res.end(r.body);
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const creds = (account: string) => ({ accessKeyId: account, secretAccessKey: 'test-secret' });

const policy = (...statements: object[]) => JSON.stringify({ Version: '2012-10-17', Statement: statements });
const ALLOW_ALL = { Effect: 'Allow', Principal: '*', Action: '*', Resource: '*' };

test('endpoint policies decide what passes through an interface endpoint to ec2/sts/elasticloadbalancing', async (t) => {
  const { p, consumer, net } = await startConsumer(t);
  const created = await consumer.send(
    new CreateVpcEndpointCommand({
      VpcEndpointType: 'Interface',
      VpcId: net.vpcId,
      ServiceName: `com.amazonaws.${REGION}.ec2`,
      SubnetIds: [net.subnetIds[0] ?? ''],
    }),
  );
  const vpceId = created.VpcEndpoint?.VpcEndpointId ?? '';
  assert.match(vpceId, /^vpce-/);
  let origin: EndpointOrigin = { vpceId, sourceIp: SOURCE_IP };
  const url = await endpointListener(t, p, () => origin);
  const viaEndpoint = new EC2Client({
    endpoint: url,
    region: REGION,
    credentials: creds(CONSUMER),
    maxAttempts: 1,
  });
  const otherAccount = new EC2Client({
    endpoint: url,
    region: REGION,
    credentials: creds(PROVIDER),
    maxAttempts: 1,
  });
  const setPolicy = (doc: string) =>
    consumer.send(new ModifyVpcEndpointCommand({ VpcEndpointId: vpceId, PolicyDocument: doc }));
  const describe = (c: EC2Client = viaEndpoint) => c.send(new DescribeVpcsCommand({}));

  // The default (full access) policy lets everything through.
  const vpcs = await describe();
  assert.ok(vpcs.Vpcs?.some((v) => v.VpcId === net.vpcId));

  // A Deny on ec2:Describe* — next request, no caching.
  await setPolicy(
    policy(ALLOW_ALL, { Effect: 'Deny', Principal: '*', Action: 'ec2:Describe*', Resource: '*' }),
  );
  const denied = await expectAwsError(describe(), 'UnauthorizedOperation', 403);
  assert.equal(
    denied.message,
    `You are not authorized to perform this operation. User: arn:aws:iam::${CONSUMER}:root is not authorized to perform: ec2:DescribeVpcs with an explicit deny in a VPC endpoint policy`,
  );
  // The same call straight to the API (no endpoint) is not subject to the policy.
  assert.ok((await consumer.send(new DescribeVpcsCommand({}))).Vpcs);

  // Only the consumer's account may use the endpoint: aws:PrincipalAccount.
  await setPolicy(
    policy({ ...ALLOW_ALL, Condition: { StringEquals: { 'aws:PrincipalAccount': CONSUMER } } }),
  );
  await describe();
  const other = await expectAwsError(describe(otherAccount), 'UnauthorizedOperation', 403);
  assert.equal(
    other.message,
    `You are not authorized to perform this operation. User: arn:aws:iam::${PROVIDER}:root is not authorized to perform: ec2:DescribeVpcs because no VPC endpoint policy allows the ec2:DescribeVpcs action`,
  );
  await setPolicy(
    policy(
      {
        Effect: 'Deny',
        Principal: '*',
        Action: '*',
        Resource: '*',
        Condition: { StringEquals: { 'aws:PrincipalAccount': CONSUMER } },
      },
      ALLOW_ALL,
    ),
  );
  await expectAwsError(describe(), 'UnauthorizedOperation', 403);
  await describe(otherAccount);

  // aws:SourceVpce, aws:SourceVpc and aws:SourceIp carry the endpoint, its VPC and the client.
  await setPolicy(
    policy({
      ...ALLOW_ALL,
      Condition: {
        StringEquals: { 'aws:SourceVpce': vpceId, 'aws:SourceVpc': net.vpcId },
        IpAddress: { 'aws:SourceIp': '10.0.1.0/24' },
      },
    }),
  );
  await describe();
  origin = { vpceId, sourceIp: '10.0.2.9' };
  await expectAwsError(describe(), 'UnauthorizedOperation', 403);
  origin = { vpceId, sourceIp: SOURCE_IP };

  // A denied call changes nothing: CreateVpc refused by a Deny on ec2:CreateVpc creates no VPC.
  await setPolicy(
    policy(ALLOW_ALL, { Effect: 'Deny', Principal: '*', Action: 'ec2:CreateVpc', Resource: '*' }),
  );
  const before = p.store.listAll('vpc').length;
  await expectAwsError(
    viaEndpoint.send(new CreateVpcCommand({ CidrBlock: '10.9.0.0/16' })),
    'UnauthorizedOperation',
    403,
  );
  assert.equal(p.store.listAll('vpc').length, before);

  // ELBv2 answers AccessDenied with the same wording. sts:GetCallerIdentity needs no permission
  // and cannot be denied (STS API Reference, GetCallerIdentity), through an endpoint neither.
  await setPolicy(policy({ Effect: 'Allow', Principal: '*', Action: 'ec2:*', Resource: '*' }));
  const elb = new ElasticLoadBalancingV2Client({
    endpoint: url,
    region: REGION,
    credentials: creds(CONSUMER),
    maxAttempts: 1,
  });
  const elbErr = await expectAwsError(elb.send(new DescribeLoadBalancersCommand({})), 'AccessDenied', 403);
  assert.equal(
    elbErr.message,
    `User: arn:aws:iam::${CONSUMER}:root is not authorized to perform: elasticloadbalancing:DescribeLoadBalancers because no VPC endpoint policy allows the elasticloadbalancing:DescribeLoadBalancers action`,
  );
  const sts = new STSClient({ endpoint: url, region: REGION, credentials: creds(CONSUMER), maxAttempts: 1 });
  assert.equal((await sts.send(new GetCallerIdentityCommand({}))).Account, CONSUMER);
  await describe();

  // ResetPolicy restores full access for the next request.
  await consumer.send(new ModifyVpcEndpointCommand({ VpcEndpointId: vpceId, ResetPolicy: true }));
  await elb.send(new DescribeLoadBalancersCommand({}));

  // Invalid IAM JSON is still refused at modify time.
  await expectAwsError(setPolicy('{"Statement": ['), 'InvalidPolicyDocument', 400);

  // A deleted endpoint carries nothing.
  await consumer.send(new DeleteVpcEndpointsCommand({ VpcEndpointIds: [vpceId] }));
  await expectAwsError(describe(), 'UnauthorizedOperation', 403);
});
