import { test } from 'node:test';
import assert from 'node:assert/strict';
import { XMLParser } from 'fast-xml-parser';
import { encodeEc2Error, encodeEc2Response, encodeQueryError, encodeQueryResponse } from './encode.js';

test('EC2 response: namespace, requestId first, item lists, empty lists, escaping, booleans', () => {
  const xml = encodeEc2Response('DescribeVpcEndpoints', 'req-1', {
    vpcEndpointSet: [
      { vpcEndpointId: 'vpce-1', subnetIdSet: [], policyDocument: '{"a":"<&>"}', privateDnsEnabled: false },
    ],
    nextToken: undefined,
  });
  assert.match(
    xml,
    /^<\?xml version="1.0" encoding="UTF-8"\?>\n<DescribeVpcEndpointsResponse xmlns="http:\/\/ec2.amazonaws.com\/doc\/2016-11-15\/"><requestId>req-1<\/requestId>/,
  );
  assert.match(
    xml,
    /<vpcEndpointSet><item><vpcEndpointId>vpce-1<\/vpcEndpointId><subnetIdSet><\/subnetIdSet>/,
  );
  assert.match(xml, /<privateDnsEnabled>false<\/privateDnsEnabled>/);
  assert.doesNotMatch(xml, /nextToken/);
  const parsed = new XMLParser().parse(xml) as {
    DescribeVpcEndpointsResponse: { vpcEndpointSet: { item: { policyDocument: string } } };
  };
  assert.equal(parsed.DescribeVpcEndpointsResponse.vpcEndpointSet.item.policyDocument, '{"a":"<&>"}');
});

test('EC2 error envelope uses RequestID', () => {
  const xml = encodeEc2Error(
    'InvalidVpcEndpointId.NotFound',
    "The Vpc Endpoint Id 'vpce-x' does not exist",
    'r',
  );
  assert.match(
    xml,
    /<Response><Errors><Error><Code>InvalidVpcEndpointId.NotFound<\/Code><Message>The Vpc Endpoint Id &apos;vpce-x&apos; does not exist<\/Message><\/Error><\/Errors><RequestID>r<\/RequestID><\/Response>/,
  );
});

test('query response wraps Result, uses member lists and ResponseMetadata', () => {
  const xml = encodeQueryResponse('DescribeLoadBalancers', 'urn:x', 'r2', {
    LoadBalancers: [{ LoadBalancerName: 'a' }],
  });
  assert.match(
    xml,
    /<DescribeLoadBalancersResult><LoadBalancers><member><LoadBalancerName>a<\/LoadBalancerName><\/member><\/LoadBalancers><\/DescribeLoadBalancersResult><ResponseMetadata><RequestId>r2<\/RequestId><\/ResponseMetadata>/,
  );
  const empty = encodeQueryResponse('DeleteListener', 'urn:x', 'r3', {});
  assert.match(empty, /<DeleteListenerResult><\/DeleteListenerResult>/);
  const err = encodeQueryError('urn:x', 'LoadBalancerNotFound', 'nope', 'r4', 400);
  assert.match(
    err,
    /<ErrorResponse xmlns="urn:x"><Error><Type>Sender<\/Type><Code>LoadBalancerNotFound<\/Code>/,
  );
});
