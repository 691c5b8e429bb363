/**
 * Conformance of the PrivateLink response shapes on the raw wire (reference §1.3, §1.5, §2,
 * §3.5, §7): element names and order as the model's locationNames, `<item>` lists, empty sets as
 * empty elements, state casing, timestamps with milliseconds and Z, DNS entry order and hosted
 * zone IDs, the provider's and the consumer's views of one endpoint.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CONSUMER, PROVIDER, REGION, eventually, startPrivlink } from '../helpers/privlink.js';
import {
  ISO_MILLIS,
  assertEmptyList,
  at,
  child,
  ec2Call,
  ec2Ok,
  items,
  maybeChild,
  names,
  text,
  type XmlNode,
} from './wire.js';
import { wireNetwork, wireNlb, wireService } from './fixtures.js';

/** The members of §7's shapes in model order; a rendered element list must follow this order. */
const SERVICE_CONFIGURATION = [
  'serviceType',
  'serviceId',
  'serviceName',
  'serviceState',
  'availabilityZoneIdSet',
  'availabilityZoneSet',
  'acceptanceRequired',
  'managesVpcEndpoints',
  'networkLoadBalancerArnSet',
  'gatewayLoadBalancerArnSet',
  'supportedIpAddressTypeSet',
  'baseEndpointDnsNameSet',
  'privateDnsName',
  'privateDnsNameConfiguration',
  'payerResponsibility',
  'tagSet',
  'supportedRegionSet',
  'remoteAccessEnabled',
];
const SERVICE_DETAIL = [
  'serviceName',
  'serviceId',
  'serviceType',
  'serviceRegion',
  'availabilityZoneIdSet',
  'availabilityZoneSet',
  'owner',
  'baseEndpointDnsNameSet',
  'privateDnsName',
  'privateDnsNameSet',
  'vpcEndpointPolicySupported',
  'acceptanceRequired',
  'managesVpcEndpoints',
  'payerResponsibility',
  'tagSet',
  'privateDnsNameVerificationState',
  'supportedIpAddressTypeSet',
];
const VPC_ENDPOINT = [
  'vpcEndpointId',
  'vpcEndpointType',
  'vpcId',
  'serviceName',
  'state',
  'policyDocument',
  'routeTableIdSet',
  'subnetIdSet',
  'groupSet',
  'ipAddressType',
  'dnsOptions',
  'privateDnsEnabled',
  'requesterManaged',
  'networkInterfaceIdSet',
  'dnsEntrySet',
  'creationTimestamp',
  'tagSet',
  'ownerId',
  'lastError',
  'ipv4PrefixSet',
  'ipv6PrefixSet',
  'failureReason',
  'serviceNetworkArn',
  'resourceConfigurationArn',
  'serviceRegion',
  'payerResponsibilitySet',
];
const CONNECTION = [
  'serviceId',
  'vpcEndpointId',
  'vpcEndpointOwner',
  'vpcEndpointState',
  'creationTimestamp',
  'dnsEntrySet',
  'networkLoadBalancerArnSet',
  'gatewayLoadBalancerArnSet',
  'ipAddressType',
  'vpcEndpointConnectionId',
  'tagSet',
  'vpcEndpointRegion',
  'payerResponsibilitySet',
];

/** Every child is a known member, and they come in model order (botocore does not care about
 * order, but AWS serializes in model order and diffs against recordings do). */
function assertShape(node: XmlNode, shape: readonly string[], label: string): void {
  const got = names(node);
  for (const n of got) assert.ok(shape.includes(n), `${label}: unexpected element <${n}>`);
  const positions = got.map((n) => shape.indexOf(n));
  assert.deepEqual(
    positions,
    [...positions].sort((a, b) => a - b),
    `${label}: elements out of model order: ${got.join(',')}`,
  );
  assert.equal(new Set(got).size, got.length, `${label}: repeated element`);
}

function stringItems(node: XmlNode, name: string): string[] {
  return items(child(node, name)).map((i) => i.text);
}

test('endpoint service, permissions, endpoint and connection shapes match the model and AWS examples', async (t) => {
  const p = await startPrivlink(t);
  const pnet = await wireNetwork(p, PROVIDER);
  const nlb = await wireNlb(p, PROVIDER, pnet);

  // CreateVpcEndpointServiceConfiguration: serviceType item shape, base DNS name, private DNS config.
  const created = await ec2Ok(p, PROVIDER, 'CreateVpcEndpointServiceConfiguration', {
    'NetworkLoadBalancerArn.1': nlb.arn,
    AcceptanceRequired: true,
    PrivateDnsName: 'api.example.com',
    ClientToken: 'conf-token-1',
    'TagSpecification.1.ResourceType': 'vpc-endpoint-service',
    'TagSpecification.1.Tag.1.Key': 'Name',
    'TagSpecification.1.Tag.1.Value': 'conf',
  });
  assert.deepEqual(names(created), ['requestId', 'serviceConfiguration', 'clientToken']);
  assert.equal(text(created, 'clientToken'), 'conf-token-1');
  const cfg = child(created, 'serviceConfiguration');
  assertShape(cfg, SERVICE_CONFIGURATION, 'ServiceConfiguration');
  const [typeItem] = items(child(cfg, 'serviceType'));
  assert.ok(typeItem);
  assert.deepEqual(names(typeItem), ['serviceType']);
  assert.equal(text(typeItem, 'serviceType'), 'Interface');
  const serviceId = text(cfg, 'serviceId');
  assert.match(serviceId, /^vpce-svc-[0-9a-f]{17}$/);
  const serviceName = text(cfg, 'serviceName');
  assert.equal(serviceName, `com.amazonaws.vpce.${REGION}.${serviceId}`);
  assert.match(text(cfg, 'serviceState'), /^(Pending|Available)$/);
  assert.deepEqual(stringItems(cfg, 'availabilityZoneSet'), [`${REGION}a`, `${REGION}b`]);
  assert.deepEqual(stringItems(cfg, 'availabilityZoneIdSet'), ['use1-az1', 'use1-az2']);
  assert.equal(text(cfg, 'acceptanceRequired'), 'true');
  assert.equal(text(cfg, 'managesVpcEndpoints'), 'false');
  assert.deepEqual(stringItems(cfg, 'networkLoadBalancerArnSet'), [nlb.arn]);
  assert.equal(maybeChild(cfg, 'gatewayLoadBalancerArnSet'), undefined);
  assert.deepEqual(stringItems(cfg, 'supportedIpAddressTypeSet'), ['ipv4']);
  assert.deepEqual(stringItems(cfg, 'baseEndpointDnsNameSet'), [`${serviceId}.${REGION}.vpce.amazonaws.com`]);
  assert.equal(text(cfg, 'privateDnsName'), 'api.example.com');
  const pdc = child(cfg, 'privateDnsNameConfiguration');
  assert.deepEqual(names(pdc), ['state', 'type', 'value', 'name']);
  assert.equal(text(pdc, 'state'), 'pendingVerification');
  assert.equal(text(pdc, 'type'), 'TXT');
  assert.match(text(pdc, 'value'), /^vpce:[A-Za-z0-9]{20}$/);
  assert.match(text(pdc, 'name'), /^_[a-z0-9]{20}$/);
  const [tag] = items(child(cfg, 'tagSet'));
  assert.ok(tag);
  assert.deepEqual(names(tag), ['key', 'value']);

  // Permissions: addedPrincipalSet + return; AllowedPrincipal with its own tagSet.
  const perm = await ec2Ok(p, PROVIDER, 'ModifyVpcEndpointServicePermissions', {
    ServiceId: serviceId,
    'AddAllowedPrincipals.1': `arn:aws:iam::${CONSUMER}:root`,
  });
  assert.deepEqual(names(perm), ['requestId', 'addedPrincipalSet', 'return']);
  assert.equal(text(perm, 'return'), 'true');
  const [added] = items(child(perm, 'addedPrincipalSet'));
  assert.ok(added);
  assert.deepEqual(names(added), ['principalType', 'principal', 'servicePermissionId', 'serviceId']);
  assert.equal(text(added, 'principalType'), 'Account');
  assert.match(text(added, 'servicePermissionId'), /^vpce-svc-perm-[0-9a-f]{17}$/);
  const perms = await ec2Ok(p, PROVIDER, 'DescribeVpcEndpointServicePermissions', { ServiceId: serviceId });
  const [allowed] = items(child(perms, 'allowedPrincipals'));
  assert.ok(allowed);
  assert.deepEqual(names(allowed), [
    'principalType',
    'principal',
    'servicePermissionId',
    'tagSet',
    'serviceId',
  ]);
  assertEmptyList(allowed, 'tagSet');

  // Consumer view of the service (ServiceDetail): both serviceNameSet and serviceDetailSet.
  const cnet = await wireNetwork(p, CONSUMER);
  const seen = await ec2Ok(p, CONSUMER, 'DescribeVpcEndpointServices', { 'ServiceName.1': serviceName });
  assert.deepEqual(names(seen).slice(0, 3), ['requestId', 'serviceNameSet', 'serviceDetailSet']);
  assert.deepEqual(stringItems(seen, 'serviceNameSet'), [serviceName]);
  const [detail] = items(child(seen, 'serviceDetailSet'));
  assert.ok(detail);
  assertShape(detail, SERVICE_DETAIL, 'ServiceDetail');
  assert.equal(text(detail, 'owner'), PROVIDER);
  assert.equal(text(detail, 'serviceRegion'), REGION);
  assert.equal(text(detail, 'vpcEndpointPolicySupported'), 'false');
  assert.equal(text(detail, 'acceptanceRequired'), 'true');
  // Without a loopback verification resolver the automatic check ends `failed` (by design).
  assert.match(text(detail, 'privateDnsNameVerificationState'), /^(pendingVerification|failed)$/);
  assert.equal(text(child(detail, 'serviceType'), 'item', 'serviceType'), 'Interface');
  assert.deepEqual(stringItems(detail, 'baseEndpointDnsNameSet'), [
    `${serviceId}.${REGION}.vpce.amazonaws.com`,
  ]);

  // CreateVpcEndpoint: pendingAcceptance, ENIs and DNS entries already present (§6.1).
  const epRes = await ec2Ok(p, CONSUMER, 'CreateVpcEndpoint', {
    VpcEndpointType: 'Interface',
    VpcId: cnet.vpcId,
    ServiceName: serviceName,
    'SubnetId.1': cnet.subnetIds[0] ?? '',
    'SubnetId.2': cnet.subnetIds[1] ?? '',
  });
  const ep = child(epRes, 'vpcEndpoint');
  assertShape(ep, VPC_ENDPOINT, 'VpcEndpoint');
  const epId = text(ep, 'vpcEndpointId');
  assert.match(epId, /^vpce-[0-9a-f]{17}$/);
  assert.equal(text(ep, 'state'), 'pendingAcceptance');
  assert.equal(text(ep, 'vpcEndpointType'), 'Interface');
  assert.match(text(ep, 'creationTimestamp'), ISO_MILLIS);
  assertEmptyList(ep, 'routeTableIdSet');
  assertEmptyList(ep, 'tagSet');
  assert.equal(stringItems(ep, 'subnetIdSet').length, 2);
  assert.equal(stringItems(ep, 'networkInterfaceIdSet').length, 2);
  assert.equal(text(ep, 'requesterManaged'), 'false');
  assert.equal(text(ep, 'ownerId'), CONSUMER);
  assert.equal(text(ep, 'ipAddressType'), 'ipv4');
  assert.equal(text(ep, 'dnsOptions', 'dnsRecordIpType'), 'ipv4');
  assert.equal(text(ep, 'serviceRegion'), REGION);
  const [group] = items(child(ep, 'groupSet'));
  assert.ok(group, 'the VPC default security group is attached when none is given');
  assert.deepEqual(names(group), ['groupId', 'groupName']);
  assert.equal(text(group, 'groupName'), 'default');

  // DNS entries: regional first, then one zonal per subnet in subnet order, same public zone.
  const dns = items(child(ep, 'dnsEntrySet'));
  for (const d of dns) assert.deepEqual(names(d), ['dnsName', 'hostedZoneId']);
  const dnsNames = dns.map((d) => text(d, 'dnsName'));
  const label = /^vpce-[0-9a-f]{17}-([a-z0-9]{8})\./.exec(dnsNames[0] ?? '')?.[1];
  assert.ok(label, `regional name ${dnsNames[0]}`);
  assert.deepEqual(dnsNames, [
    `${epId}-${label}.${serviceId}.${REGION}.vpce.amazonaws.com`,
    `${epId}-${label}-${REGION}a.${serviceId}.${REGION}.vpce.amazonaws.com`,
    `${epId}-${label}-${REGION}b.${serviceId}.${REGION}.vpce.amazonaws.com`,
  ]);
  assert.deepEqual(new Set(dns.map((d) => text(d, 'hostedZoneId'))), new Set(['Z7HUB22UULQXV']));

  // The provider's view of the same endpoint.
  const conns = await ec2Ok(p, PROVIDER, 'DescribeVpcEndpointConnections', {
    'Filter.1.Name': 'service-id',
    'Filter.1.Value.1': serviceId,
  });
  const [conn] = items(child(conns, 'vpcEndpointConnectionSet'));
  assert.ok(conn);
  assertShape(conn, CONNECTION, 'VpcEndpointConnection');
  assert.equal(text(conn, 'vpcEndpointState'), 'pendingAcceptance');
  assert.equal(text(conn, 'vpcEndpointOwner'), CONSUMER);
  assert.equal(text(conn, 'creationTimestamp'), text(ep, 'creationTimestamp'));
  assert.deepEqual(stringItems(conn, 'networkLoadBalancerArnSet'), [nlb.arn]);
  assert.deepEqual(
    items(child(conn, 'dnsEntrySet')).map((d) => text(d, 'dnsName')),
    dnsNames,
    'the provider sees the same public DNS entries',
  );
  assertEmptyList(conn, 'tagSet');

  // Accept: empty unsuccessful list; Accept again in-band failure shape.
  const acc = await ec2Ok(p, PROVIDER, 'AcceptVpcEndpointConnections', {
    ServiceId: serviceId,
    'VpcEndpointId.1': epId,
  });
  assert.deepEqual(names(acc), ['requestId', 'unsuccessful']);
  assertEmptyList(acc, 'unsuccessful');
  const acc2 = await ec2Ok(p, PROVIDER, 'AcceptVpcEndpointConnections', {
    ServiceId: serviceId,
    'VpcEndpointId.1': 'vpce-0123456789abcdef0',
  });
  const [fail] = items(child(acc2, 'unsuccessful'));
  assert.ok(fail);
  assert.deepEqual(names(fail), ['error', 'resourceId']);
  assert.deepEqual(names(child(fail, 'error')), ['code', 'message']);
  assert.equal(text(fail, 'resourceId'), 'vpce-0123456789abcdef0');

  const avail = await eventually(
    () => ec2Ok(p, CONSUMER, 'DescribeVpcEndpoints', { 'VpcEndpointId.1': epId }),
    (r) => text(at(r, 'vpcEndpointSet', 'item'), 'state') === 'available',
  );
  assertShape(at(avail, 'vpcEndpointSet', 'item'), VPC_ENDPOINT, 'VpcEndpoint (described)');

  // Delete service blocked in-band; unknown service in-band with the delete-specific code.
  const blocked = await ec2Ok(p, PROVIDER, 'DeleteVpcEndpointServiceConfigurations', {
    'ServiceId.1': serviceId,
    'ServiceId.2': 'vpce-svc-0123456789abcdef0',
  });
  const codes = items(child(blocked, 'unsuccessful')).map((i) => text(i, 'error', 'code'));
  assert.deepEqual(codes, ['ExistingVpcEndpointConnections', 'InvalidVpcEndpointService.NotFound']);

  // Consumer deletes; unknown endpoint in-band as InvalidVpcEndpoint.NotFound.
  const del = await ec2Ok(p, CONSUMER, 'DeleteVpcEndpoints', {
    'VpcEndpointId.1': epId,
    'VpcEndpointId.2': 'vpce-0123456789abcdef0',
  });
  const delFails = items(child(del, 'unsuccessful'));
  assert.deepEqual(
    delFails.map((i) => [text(i, 'resourceId'), text(i, 'error', 'code')]),
    [['vpce-0123456789abcdef0', 'InvalidVpcEndpoint.NotFound']],
  );
});

test('connection notifications and ModifyVpcEndpointServiceConfiguration answer the model shapes', async (t) => {
  const p = await startPrivlink(t);
  const pnet = await wireNetwork(p, PROVIDER);
  const nlb = await wireNlb(p, PROVIDER, pnet);
  const svc = await wireService(p, PROVIDER, nlb.arn);
  const topic = `arn:aws:sns:${REGION}:${PROVIDER}:conf-topic`;
  const n = await ec2Ok(p, PROVIDER, 'CreateVpcEndpointConnectionNotification', {
    ServiceId: svc.serviceId,
    ConnectionNotificationArn: topic,
    'ConnectionEvents.1': 'Accept',
    'ConnectionEvents.2': 'Connect',
  });
  const note = child(n, 'connectionNotification');
  assert.deepEqual(names(note), [
    'connectionNotificationId',
    'serviceId',
    'connectionNotificationType',
    'connectionNotificationArn',
    'connectionEvents',
    'connectionNotificationState',
    'serviceRegion',
  ]);
  assert.match(text(note, 'connectionNotificationId'), /^vpce-nfn-[0-9a-f]{17}$/);
  assert.equal(text(note, 'connectionNotificationType'), 'Topic');
  assert.equal(text(note, 'connectionNotificationState'), 'Enabled');
  assert.deepEqual(stringItems(note, 'connectionEvents'), ['Accept', 'Connect']);

  const described = await ec2Ok(p, PROVIDER, 'DescribeVpcEndpointConnectionNotifications');
  assert.equal(items(child(described, 'connectionNotificationSet')).length, 1);

  const mod = await ec2Ok(p, PROVIDER, 'ModifyVpcEndpointServiceConfiguration', {
    ServiceId: svc.serviceId,
    AcceptanceRequired: false,
  });
  assert.deepEqual(names(mod), ['requestId', 'return']);
  assert.equal(text(mod, 'return'), 'true');

  const payer = await ec2Call(p, PROVIDER, 'ModifyVpcEndpointServicePayerResponsibility', {
    ServiceId: svc.serviceId,
    PayerResponsibility: 'ServiceOwner',
  });
  assert.equal(payer.res.status, 200, payer.res.body);
  assert.equal(text(payer.root, 'return'), 'true');
});

test('DescribeVpcEndpointServices lists AWS services with the AWS example shapes', async (t) => {
  const p = await startPrivlink(t);
  const r = await ec2Ok(p, CONSUMER, 'DescribeVpcEndpointServices', {
    'ServiceName.1': `com.amazonaws.${REGION}.s3`,
    'ServiceName.2': `com.amazonaws.${REGION}.execute-api`,
  });
  // AWS lists a service offered as Gateway and Interface as two ServiceDetails with one name.
  assert.deepEqual(stringItems(r, 'serviceNameSet'), [
    `com.amazonaws.${REGION}.execute-api`,
    `com.amazonaws.${REGION}.s3`,
  ]);
  const details = items(child(r, 'serviceDetailSet'));
  for (const d of details) assertShape(d, SERVICE_DETAIL, `${text(d, 'serviceName')} ServiceDetail`);
  const s3 = details.filter((d) => text(d, 'serviceName') === `com.amazonaws.${REGION}.s3`);
  const s3Types = s3.map((d) => items(child(d, 'serviceType')).map((i) => text(i, 'serviceType')));
  assert.deepEqual(s3Types, [['Gateway'], ['Interface']]);
  for (const d of s3) {
    assert.equal(text(d, 'owner'), 'amazon');
    assert.equal(text(d, 'vpcEndpointPolicySupported'), 'true');
  }
  const api = details.find((d) => text(d, 'serviceName') === `com.amazonaws.${REGION}.execute-api`);
  assert.ok(api);
  assert.deepEqual(stringItems(api, 'baseEndpointDnsNameSet'), [`execute-api.${REGION}.vpce.amazonaws.com`]);
  assert.match(text(api, 'privateDnsName'), new RegExp(`execute-api\\.${REGION}\\.amazonaws\\.com$`));
});
