/**
 * Conformance of the response and error envelopes (reference §1.3, §1.4, §1.7, §8.1): what
 * botocore and JS v3 look for, element by element, on the raw wire.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PROVIDER, startPrivlink } from '../helpers/privlink.js';
import { UUID, at, child, ec2Call, elbCall, names, text } from './wire.js';

test('EC2 success envelope: namespace, requestId first, header equals element, no Result wrapper', async (t) => {
  const p = await startPrivlink(t);
  const { res, root } = await ec2Call(p, PROVIDER, 'DescribeVpcEndpointServiceConfigurations');
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/xml/);
  assert.equal(root.name, 'DescribeVpcEndpointServiceConfigurationsResponse');
  assert.equal(root.attrs['xmlns'], 'http://ec2.amazonaws.com/doc/2016-11-15/');
  assert.equal(names(root)[0], 'requestId');
  const requestId = text(root, 'requestId');
  assert.match(requestId, UUID);
  assert.equal(res.headers.get('x-amzn-requestid'), requestId);
  // An empty result list is an empty wrapper (clients read `[]`), and no nextToken on the last page.
  assert.deepEqual(names(root), ['requestId', 'serviceConfigurationSet']);
  assert.equal(child(root, 'serviceConfigurationSet').children.length, 0);
  assert.ok(res.body.startsWith('<?xml version="1.0" encoding="UTF-8"?>'));
});

test('EC2 error envelope: <Response><Errors><Error>, <RequestID> with capital ID, 400', async (t) => {
  const p = await startPrivlink(t);
  const { res, root } = await ec2Call(p, PROVIDER, 'DescribeVpcEndpointServiceConfigurations', {
    'ServiceId.1': 'vpce-svc-0123456789abcdef0',
  });
  assert.equal(res.status, 400);
  assert.equal(root.name, 'Response');
  assert.deepEqual(names(root), ['Errors', 'RequestID']);
  const err = at(root, 'Errors', 'Error');
  assert.deepEqual(names(err), ['Code', 'Message']);
  assert.equal(text(err, 'Code'), 'InvalidVpcEndpointServiceId.NotFound');
  assert.equal(text(err, 'Message'), "The VpcEndpointService Id 'vpce-svc-0123456789abcdef0' does not exist");
  assert.equal(res.headers.get('x-amzn-requestid'), text(root, 'RequestID'));
});

test('DryRun answers DryRunOperation 412 with the AWS message, and changes nothing', async (t) => {
  const p = await startPrivlink(t);
  const { res, root } = await ec2Call(p, PROVIDER, 'CreateVpc', { CidrBlock: '10.9.0.0/16', DryRun: true });
  assert.equal(res.status, 412);
  assert.equal(text(root, 'Errors', 'Error', 'Code'), 'DryRunOperation');
  assert.equal(
    text(root, 'Errors', 'Error', 'Message'),
    'Request would have succeeded, but DryRun flag is set.',
  );
  const after = await ec2Call(p, PROVIDER, 'DescribeVpcs', {
    'Filter.1.Name': 'cidr',
    'Filter.1.Value.1': '10.9.0.0/16',
  });
  assert.equal(child(after.root, 'vpcSet').children.length, 0);
});

test('ELBv2 envelopes: <XResult> + ResponseMetadata/RequestId; ErrorResponse with Type Sender', async (t) => {
  const p = await startPrivlink(t);
  const ok = await elbCall(p, PROVIDER, 'DescribeLoadBalancers');
  assert.equal(ok.res.status, 200);
  assert.equal(ok.root.name, 'DescribeLoadBalancersResponse');
  assert.equal(ok.root.attrs['xmlns'], 'http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/');
  assert.deepEqual(names(ok.root), ['DescribeLoadBalancersResult', 'ResponseMetadata']);
  assert.deepEqual(names(child(ok.root, 'DescribeLoadBalancersResult')), ['LoadBalancers']);
  const rid = text(ok.root, 'ResponseMetadata', 'RequestId');
  assert.match(rid, UUID);
  assert.equal(ok.res.headers.get('x-amzn-requestid'), rid);

  const bad = await elbCall(p, PROVIDER, 'DescribeLoadBalancers', {
    'LoadBalancerArns.member.1':
      'arn:aws:elasticloadbalancing:us-east-1:111111111111:loadbalancer/net/x/0123456789abcdef',
  });
  assert.equal(bad.res.status, 400);
  assert.equal(bad.root.name, 'ErrorResponse');
  assert.deepEqual(names(bad.root), ['Error', 'RequestId']);
  assert.deepEqual(names(child(bad.root, 'Error')), ['Type', 'Code', 'Message']);
  assert.equal(text(bad.root, 'Error', 'Type'), 'Sender');
  assert.equal(text(bad.root, 'Error', 'Code'), 'LoadBalancerNotFound');
});

test('request-level errors: UnknownParameter, MissingParameter, InvalidParameterValue are 400 EC2 errors', async (t) => {
  const p = await startPrivlink(t);
  const unknown = await ec2Call(p, PROVIDER, 'DescribeVpcs', { Bogus: 'x' });
  assert.equal(unknown.res.status, 400);
  assert.equal(text(unknown.root, 'Errors', 'Error', 'Code'), 'UnknownParameter');
  const missing = await ec2Call(p, PROVIDER, 'CreateVpcEndpointServiceConfiguration', {});
  assert.equal(missing.res.status, 400);
  const missingVpc = await ec2Call(p, PROVIDER, 'CreateSubnet', { CidrBlock: '10.0.0.0/24' });
  assert.equal(missingVpc.res.status, 400);
  assert.equal(text(missingVpc.root, 'Errors', 'Error', 'Code'), 'MissingParameter');
  const badInt = await ec2Call(p, PROVIDER, 'DescribeVpcEndpoints', { MaxResults: 'lots' });
  assert.equal(badInt.res.status, 400);
  assert.equal(text(badInt.root, 'Errors', 'Error', 'Code'), 'InvalidParameterValue');
});
