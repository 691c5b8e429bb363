/**
 * Conformance of the ELBv2 shapes on the raw wire (reference §8.1–8.3): PascalCase members in
 * model order, `<member>` lists, LoadBalancerAddresses per AZ, DNSName derived from the ARN,
 * CanonicalHostedZoneId, timestamps, integers and booleans as text, empty Result elements.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PROVIDER, REGION, startPrivlink } from '../helpers/privlink.js';
import { ISO_MILLIS, at, child, elbCall, elbOk, items, names, text, type XmlNode } from './wire.js';
import { wireNetwork, wireNlb } from './fixtures.js';

const LOAD_BALANCER = [
  'LoadBalancerArn',
  'DNSName',
  'CanonicalHostedZoneId',
  'CreatedTime',
  'LoadBalancerName',
  'Scheme',
  'VpcId',
  'State',
  'Type',
  'AvailabilityZones',
  'SecurityGroups',
  'IpAddressType',
  'CustomerOwnedIpv4Pool',
  'EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic',
  'EnablePrefixForIpv6SourceNat',
  'IpamPools',
];
const TARGET_GROUP = [
  'TargetGroupArn',
  'TargetGroupName',
  'Protocol',
  'Port',
  'VpcId',
  'HealthCheckProtocol',
  'HealthCheckPort',
  'HealthCheckEnabled',
  'HealthCheckIntervalSeconds',
  'HealthCheckTimeoutSeconds',
  'HealthyThresholdCount',
  'UnhealthyThresholdCount',
  'HealthCheckPath',
  'Matcher',
  'LoadBalancerArns',
  'TargetType',
  'ProtocolVersion',
  'IpAddressType',
  'TargetControlPort',
];
const LISTENER = [
  'ListenerArn',
  'LoadBalancerArn',
  'Port',
  'Protocol',
  'Certificates',
  'SslPolicy',
  'DefaultActions',
  'AlpnPolicy',
  'MutualAuthentication',
];

function assertShape(node: XmlNode, shape: readonly string[], label: string): void {
  const got = names(node);
  for (const n of got) assert.ok(shape.includes(n), `${label}: unexpected element <${n}>`);
  const pos = got.map((n) => shape.indexOf(n));
  assert.deepEqual(
    pos,
    [...pos].sort((a, b) => a - b),
    `${label}: out of model order: ${got.join(',')}`,
  );
}

test('LoadBalancer, TargetGroup, Listener and TargetHealthDescription match the model shapes', async (t) => {
  const p = await startPrivlink(t);
  const net = await wireNetwork(p, PROVIDER);
  const nlb = await wireNlb(p, PROVIDER, net, 'shape-nlb');

  const described = await elbOk(p, PROVIDER, 'DescribeLoadBalancers', { 'Names.member.1': 'shape-nlb' });
  const [lb] = items(child(described, 'LoadBalancers'), 'member');
  assert.ok(lb);
  assertShape(lb, LOAD_BALANCER, 'LoadBalancer');
  const arn = text(lb, 'LoadBalancerArn');
  const m = new RegExp(
    `^arn:aws:elasticloadbalancing:${REGION}:${PROVIDER}:loadbalancer/net/shape-nlb/([0-9a-f]{16})$`,
  ).exec(arn);
  assert.ok(m, arn);
  assert.equal(text(lb, 'DNSName'), `shape-nlb-${m[1]}.elb.${REGION}.amazonaws.com`);
  assert.match(text(lb, 'CanonicalHostedZoneId'), /^Z[0-9A-Z]+$/);
  assert.match(text(lb, 'CreatedTime'), ISO_MILLIS);
  assert.equal(text(lb, 'Scheme'), 'internal');
  assert.equal(text(lb, 'Type'), 'network');
  assert.equal(text(lb, 'VpcId'), net.vpcId);
  assert.equal(text(lb, 'IpAddressType'), 'ipv4');
  assert.match(text(lb, 'State', 'Code'), /^(provisioning|active)$/);
  const azs = items(child(lb, 'AvailabilityZones'), 'member');
  assert.deepEqual(
    azs.map((a) => [text(a, 'ZoneName'), text(a, 'SubnetId')]),
    [
      [`${REGION}a`, net.subnetIds[0]],
      [`${REGION}b`, net.subnetIds[1]],
    ],
  );
  for (const az of azs) {
    assert.deepEqual(names(az).slice(0, 2), ['ZoneName', 'SubnetId']);
    const [addr] = items(child(az, 'LoadBalancerAddresses'), 'member');
    assert.ok(addr);
    // An internal NLB node has a private address from its subnet and no Elastic IP.
    assert.deepEqual(names(addr), ['PrivateIPv4Address']);
    assert.match(text(addr, 'PrivateIPv4Address'), /^10\.0\.[12]\.\d+$/);
  }

  const tgs = await elbOk(p, PROVIDER, 'DescribeTargetGroups', {
    'TargetGroupArns.member.1': nlb.targetGroupArn,
  });
  const [tg] = items(child(tgs, 'TargetGroups'), 'member');
  assert.ok(tg);
  assertShape(tg, TARGET_GROUP, 'TargetGroup');
  assert.equal(text(tg, 'Port'), '80');
  assert.equal(text(tg, 'Protocol'), 'TCP');
  assert.equal(text(tg, 'TargetType'), 'ip');
  assert.equal(text(tg, 'HealthCheckEnabled'), 'true');
  assert.equal(text(tg, 'HealthCheckPort'), 'traffic-port');
  assert.equal(text(tg, 'HealthCheckProtocol'), 'TCP');
  assert.equal(text(tg, 'HealthCheckIntervalSeconds'), '30');
  assert.deepEqual(
    items(child(tg, 'LoadBalancerArns'), 'member').map((x) => x.text),
    [arn],
  );

  const ls = await elbOk(p, PROVIDER, 'DescribeListeners', { LoadBalancerArn: arn });
  const [listener] = items(child(ls, 'Listeners'), 'member');
  assert.ok(listener);
  assertShape(listener, LISTENER, 'Listener');
  assert.equal(text(listener, 'Port'), '80');
  const [action] = items(child(listener, 'DefaultActions'), 'member');
  assert.ok(action);
  assert.equal(text(action, 'Type'), 'forward');
  assert.equal(text(action, 'TargetGroupArn'), nlb.targetGroupArn);

  await elbOk(p, PROVIDER, 'RegisterTargets', {
    TargetGroupArn: nlb.targetGroupArn,
    'Targets.member.1.Id': '10.0.1.50',
    'Targets.member.1.Port': 8080,
  });
  const health = await elbOk(p, PROVIDER, 'DescribeTargetHealth', { TargetGroupArn: nlb.targetGroupArn });
  const [desc] = items(child(health, 'TargetHealthDescriptions'), 'member');
  assert.ok(desc);
  assert.deepEqual(names(desc).slice(0, 1), ['Target']);
  assert.equal(text(desc, 'Target', 'Id'), '10.0.1.50');
  assert.equal(text(desc, 'Target', 'Port'), '8080');
  assert.match(
    text(at(desc, 'TargetHealth'), 'State'),
    /^(initial|healthy|unhealthy|unused|draining|unavailable)$/,
  );

  // Operations without output members still answer an (empty) Result element.
  const { res, root } = await elbCall(p, PROVIDER, 'AddTags', {
    'ResourceArns.member.1': arn,
    'Tags.member.1.Key': 'k',
    'Tags.member.1.Value': 'v',
  });
  assert.equal(res.status, 200, res.body);
  assert.deepEqual(names(root), ['AddTagsResult', 'ResponseMetadata']);
  assert.equal(child(root, 'AddTagsResult').children.length, 0);
});
