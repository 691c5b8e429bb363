import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AcceptVpcEndpointConnectionsCommand,
  CreateVpcEndpointServiceConfigurationCommand,
  DeleteVpcEndpointServiceConfigurationsCommand,
  DescribeVpcEndpointConnectionsCommand,
  DescribeVpcEndpointServiceConfigurationsCommand,
  DescribeVpcEndpointServicePermissionsCommand,
  DescribeVpcEndpointServicesCommand,
  ModifyVpcEndpointServiceConfigurationCommand,
  ModifyVpcEndpointServicePayerResponsibilityCommand,
  ModifyVpcEndpointServicePermissionsCommand,
  RejectVpcEndpointConnectionsCommand,
  paginateDescribeVpcEndpointServicePermissions,
  type EC2Client,
} from '@aws-sdk/client-ec2';
import {
  CONSUMER,
  PROVIDER,
  REGION,
  ec2Client,
  expectAwsError,
  signedRaw,
  startPrivlink,
} from '../helpers/privlink.js';
import {
  createService,
  seedEndpoint,
  seedLoadBalancer,
  setEndpointState,
} from './privatelink-provider-fixtures.js';
import { EC2_ACTION_TABLE } from '../../src/api/actions/ec2/index.js';
import type { Privlink } from '../../src/emulator.js';

async function setup(t: Parameters<typeof startPrivlink>[0]) {
  const p = await startPrivlink(t);
  return {
    p,
    provider: ec2Client(p, { account: PROVIDER }),
    consumer: ec2Client(p, { account: CONSUMER }),
  };
}

async function describeOne(ec2: EC2Client, id: string) {
  const out = await ec2.send(new DescribeVpcEndpointServiceConfigurationsCommand({ ServiceIds: [id] }));
  const cfg = out.ServiceConfigurations?.[0];
  assert.ok(cfg);
  return cfg;
}

test('CreateVpcEndpointServiceConfiguration: NLB service with AWS defaults, tags and AZs', async (t) => {
  const { p, provider } = await setup(t);
  const nlb = seedLoadBalancer(p, { zones: 2 });
  const { id, cfg } = await createService(provider, nlb, {
    TagSpecifications: [{ ResourceType: 'vpc-endpoint-service', Tags: [{ Key: 'Name', Value: 'svc' }] }],
  });
  assert.match(id, /^vpce-svc-[0-9a-f]{17}$/);
  assert.equal(cfg.ServiceName, `com.amazonaws.vpce.${REGION}.${id}`);
  assert.deepEqual(cfg.ServiceType, [{ ServiceType: 'Interface' }]);
  assert.equal(cfg.ServiceState, 'Available');
  assert.equal(cfg.AcceptanceRequired, true, 'AcceptanceRequired defaults to true');
  assert.equal(cfg.ManagesVpcEndpoints, false);
  assert.deepEqual(cfg.NetworkLoadBalancerArns, [nlb]);
  assert.deepEqual(cfg.BaseEndpointDnsNames, [`${id}.${REGION}.vpce.amazonaws.com`]);
  assert.deepEqual(cfg.AvailabilityZones, ['us-east-1a', 'us-east-1b']);
  assert.deepEqual(cfg.AvailabilityZoneIds, ['use1-az1', 'use1-az2']);
  assert.deepEqual(cfg.SupportedIpAddressTypes, ['ipv4']);
  assert.deepEqual(cfg.SupportedRegions, [{ Region: REGION, ServiceState: 'Available' }]);
  assert.deepEqual(cfg.Tags, [{ Key: 'Name', Value: 'svc' }]);
  assert.equal(cfg.PrivateDnsName, undefined);

  const gwlb = seedLoadBalancer(p, { type: 'gateway' });
  const g = await provider.send(
    new CreateVpcEndpointServiceConfigurationCommand({
      GatewayLoadBalancerArns: [gwlb],
      AcceptanceRequired: false,
    }),
  );
  assert.deepEqual(g.ServiceConfiguration?.ServiceType, [{ ServiceType: 'GatewayLoadBalancer' }]);
  assert.deepEqual(g.ServiceConfiguration?.GatewayLoadBalancerArns, [gwlb]);
  assert.equal(g.ServiceConfiguration?.BaseEndpointDnsNames, undefined);
  assert.equal(g.ServiceConfiguration?.AcceptanceRequired, false);
});

test('CreateVpcEndpointServiceConfiguration: validation errors change nothing', async (t) => {
  const { p, provider, consumer } = await setup(t);
  const nlb = seedLoadBalancer(p);
  const gwlb = seedLoadBalancer(p, { type: 'gateway' });
  const foreign = seedLoadBalancer(p, { account: CONSUMER });
  const send = (input: Record<string, unknown>) =>
    provider.send(new CreateVpcEndpointServiceConfigurationCommand(input));

  const neither = await expectAwsError(send({}), 'InvalidParameter', 400);
  assert.match(neither.message, /exactly one of network_load_balancer_arn or gateway_load_balancer_arn/);
  await expectAwsError(
    send({ NetworkLoadBalancerArns: [nlb], GatewayLoadBalancerArns: [gwlb] }),
    'InvalidParameter',
    400,
  );
  await expectAwsError(send({ NetworkLoadBalancerArns: ['not-an-arn'] }), 'InvalidParameter', 400);
  await expectAwsError(send({ NetworkLoadBalancerArns: [gwlb] }), 'InvalidParameter', 400);
  await expectAwsError(send({ NetworkLoadBalancerArns: [foreign] }), 'InvalidParameter', 400);
  await expectAwsError(
    send({ NetworkLoadBalancerArns: [nlb.replace(/[0-9a-f]{16}$/, 'ffffffffffffffff')] }),
    'InvalidParameter',
    400,
  );
  for (const name of [
    'Example.com',
    'com',
    '-bad.example.com',
    `${'a'.repeat(64)}.example.com`,
    'a..b.com',
  ]) {
    await expectAwsError(
      send({ NetworkLoadBalancerArns: [nlb], PrivateDnsName: name }),
      'InvalidParameter',
      400,
    );
  }
  await expectAwsError(
    send({ GatewayLoadBalancerArns: [gwlb], PrivateDnsName: 'svc.example.com' }),
    'InvalidParameter',
    400,
  );
  await expectAwsError(
    send({ NetworkLoadBalancerArns: [nlb], SupportedIpAddressTypes: ['ipv6'] }),
    'InvalidParameter',
    400,
  );
  await expectAwsError(
    send({ NetworkLoadBalancerArns: [nlb], TagSpecifications: [{ ResourceType: 'vpc', Tags: [] }] }),
    'InvalidParameterValue',
    400,
  );
  await expectAwsError(send({ NetworkLoadBalancerArns: [nlb], DryRun: true }), 'DryRunOperation', 412);
  const none = await provider.send(new DescribeVpcEndpointServiceConfigurationsCommand({}));
  assert.deepEqual(none.ServiceConfigurations, []);

  // The same LB cannot back a second service; the consumer cannot use the provider's LB.
  await createService(provider, nlb);
  const inUse = await expectAwsError(send({ NetworkLoadBalancerArns: [nlb] }), 'InvalidParameter', 400);
  assert.match(inUse.message, /already associated/);
  await expectAwsError(
    consumer.send(
      new CreateVpcEndpointServiceConfigurationCommand({
        NetworkLoadBalancerArns: [foreign.replace(CONSUMER, PROVIDER)],
      }),
    ),
    'InvalidParameter',
    400,
  );
  // Wildcard and dual-stack forms that are valid.
  const dual = seedLoadBalancer(p, { ipAddressType: 'dualstack' });
  const ok = await createService(provider, dual, {
    PrivateDnsName: '*.svc.example.com',
    SupportedIpAddressTypes: ['ipv4', 'ipv6'],
    SupportedRegions: ['us-west-2', REGION],
  });
  assert.equal(ok.cfg.PrivateDnsName, '*.svc.example.com');
  assert.deepEqual(ok.cfg.SupportedIpAddressTypes, ['ipv4', 'ipv6']);
  assert.deepEqual(
    ok.cfg.SupportedRegions?.map((r) => r.Region),
    [REGION, 'us-west-2'],
  );
  const dns = ok.cfg.PrivateDnsNameConfiguration;
  assert.equal(dns?.State, 'pendingVerification');
  assert.equal(dns?.Type, 'TXT');
  assert.match(dns?.Name ?? '', /^_[a-z0-9]{20}$/);
  assert.match(dns?.Value ?? '', /^vpce:[A-Za-z0-9]{20}$/);
});

test('CreateVpcEndpointServiceConfiguration: ClientToken idempotency', async (t) => {
  const { p, provider } = await setup(t);
  const nlb = seedLoadBalancer(p);
  const a = await createService(provider, nlb, { ClientToken: 'tok-1', AcceptanceRequired: false });
  assert.equal(a.clientToken, 'tok-1');
  const b = await createService(provider, nlb, { ClientToken: 'tok-1', AcceptanceRequired: false });
  assert.equal(b.id, a.id);
  await expectAwsError(
    provider.send(
      new CreateVpcEndpointServiceConfigurationCommand({
        NetworkLoadBalancerArns: [nlb],
        ClientToken: 'tok-1',
        AcceptanceRequired: true,
      }),
    ),
    'IdempotentParameterMismatch',
    400,
  );
  const all = await provider.send(new DescribeVpcEndpointServiceConfigurationsCommand({}));
  assert.equal(all.ServiceConfigurations?.length, 1);
});

test('DescribeVpcEndpointServiceConfigurations: IDs, errors, filters, pagination, scoping', async (t) => {
  const { p, provider, consumer } = await setup(t);
  const ids: string[] = [];
  for (let i = 0; i < 7; i++) {
    const s = await createService(provider, seedLoadBalancer(p), {
      TagSpecifications: [
        { ResourceType: 'vpc-endpoint-service', Tags: [{ Key: 'n', Value: String(i % 2) }] },
      ],
    });
    ids.push(s.id);
  }
  await expectAwsError(
    provider.send(
      new DescribeVpcEndpointServiceConfigurationsCommand({ ServiceIds: ['vpce-svc-0123456789abcdef0'] }),
    ),
    'InvalidVpcEndpointServiceId.NotFound',
    400,
  );
  await expectAwsError(
    provider.send(new DescribeVpcEndpointServiceConfigurationsCommand({ ServiceIds: ['svc-nope'] })),
    'InvalidVpcEndpointServiceId.Malformed',
    400,
  );
  // Another account's service does not exist for the caller.
  await expectAwsError(
    consumer.send(new DescribeVpcEndpointServiceConfigurationsCommand({ ServiceIds: [ids[0] ?? ''] })),
    'InvalidVpcEndpointServiceId.NotFound',
    400,
  );
  const mine = await consumer.send(new DescribeVpcEndpointServiceConfigurationsCommand({}));
  assert.deepEqual(mine.ServiceConfigurations, []);

  const byName = await provider.send(
    new DescribeVpcEndpointServiceConfigurationsCommand({
      Filters: [{ Name: 'service-name', Values: [`com.amazonaws.vpce.${REGION}.${ids[3]}`] }],
    }),
  );
  assert.deepEqual(
    byName.ServiceConfigurations?.map((s) => s.ServiceId),
    [ids[3]],
  );
  const tagged = await provider.send(
    new DescribeVpcEndpointServiceConfigurationsCommand({ Filters: [{ Name: 'tag:n', Values: ['1'] }] }),
  );
  assert.equal(tagged.ServiceConfigurations?.length, 3);
  const states = await provider.send(
    new DescribeVpcEndpointServiceConfigurationsCommand({
      Filters: [
        { Name: 'service-state', Values: ['Available'] },
        { Name: 'supported-ip-address-types', Values: ['ipv4'] },
      ],
    }),
  );
  assert.equal(states.ServiceConfigurations?.length, 7);
  await expectAwsError(
    provider.send(
      new DescribeVpcEndpointServiceConfigurationsCommand({ Filters: [{ Name: 'bogus', Values: ['x'] }] }),
    ),
    'InvalidFilter',
    400,
  );

  const page1 = await provider.send(new DescribeVpcEndpointServiceConfigurationsCommand({ MaxResults: 5 }));
  assert.equal(page1.ServiceConfigurations?.length, 5);
  assert.ok(page1.NextToken);
  const page2 = await provider.send(
    new DescribeVpcEndpointServiceConfigurationsCommand({ MaxResults: 5, NextToken: page1.NextToken }),
  );
  assert.equal(page2.ServiceConfigurations?.length, 2);
  assert.equal(page2.NextToken, undefined);
  assert.deepEqual(
    [...(page1.ServiceConfigurations ?? []), ...(page2.ServiceConfigurations ?? [])].map((s) => s.ServiceId),
    ids,
  );
  await expectAwsError(
    provider.send(new DescribeVpcEndpointServiceConfigurationsCommand({ MaxResults: 4 })),
    'InvalidParameterValue',
    400,
  );
  const clamped = await provider.send(
    new DescribeVpcEndpointServiceConfigurationsCommand({ MaxResults: 5000 }),
  );
  assert.equal(clamped.ServiceConfigurations?.length, 7);
});

test('ModifyVpcEndpointServiceConfiguration: acceptance, LBs, IP types, Regions, private DNS', async (t) => {
  const { p, provider } = await setup(t);
  const nlb = seedLoadBalancer(p);
  const nlb2 = seedLoadBalancer(p, { zones: 3 });
  const gwlb = seedLoadBalancer(p, { type: 'gateway' });
  const { id, name } = await createService(provider, nlb);
  const modify = (input: Record<string, unknown>) =>
    provider.send(new ModifyVpcEndpointServiceConfigurationCommand({ ServiceId: id, ...input }));

  const r = await modify({ AcceptanceRequired: false, AddNetworkLoadBalancerArns: [nlb2] });
  assert.equal(r.Return, true);
  let cfg = await describeOne(provider, id);
  assert.equal(cfg.AcceptanceRequired, false);
  assert.deepEqual(cfg.NetworkLoadBalancerArns, [nlb, nlb2]);
  assert.deepEqual(cfg.AvailabilityZones, ['us-east-1a', 'us-east-1b', 'us-east-1c']);

  await modify({ RemoveNetworkLoadBalancerArns: [nlb] });
  cfg = await describeOne(provider, id);
  assert.deepEqual(cfg.NetworkLoadBalancerArns, [nlb2]);
  await expectAwsError(modify({ RemoveNetworkLoadBalancerArns: [nlb2] }), 'InvalidParameter', 400);
  await expectAwsError(modify({ AddGatewayLoadBalancerArns: [gwlb] }), 'InvalidParameter', 400);
  await expectAwsError(modify({ RemoveNetworkLoadBalancerArns: [nlb] }), 'InvalidParameter', 400);

  await modify({ AddSupportedRegions: ['eu-west-1'] });
  cfg = await describeOne(provider, id);
  assert.deepEqual(
    cfg.SupportedRegions?.map((x) => x.Region),
    [REGION, 'eu-west-1'],
  );
  await expectAwsError(modify({ RemoveSupportedRegions: [REGION] }), 'InvalidParameter', 400);
  await modify({ RemoveSupportedRegions: ['eu-west-1'] });
  await expectAwsError(modify({ RemoveSupportedIpAddressTypes: ['ipv4'] }), 'InvalidParameter', 400);
  await expectAwsError(modify({ AddSupportedIpAddressTypes: ['ipv6'] }), 'InvalidParameter', 400);
  await expectAwsError(modify({ AddSupportedIpAddressTypes: ['ipv5'] }), 'InvalidParameter', 400);

  await modify({ PrivateDnsName: 'api.example.com' });
  cfg = await describeOne(provider, id);
  assert.equal(cfg.PrivateDnsName, 'api.example.com');
  const first = cfg.PrivateDnsNameConfiguration;
  assert.ok(first?.Name && first.Value);
  await modify({ PrivateDnsName: 'api2.example.com' });
  cfg = await describeOne(provider, id);
  assert.notEqual(cfg.PrivateDnsNameConfiguration?.Name, first.Name, 'a new name gets a new record');
  await expectAwsError(
    modify({ PrivateDnsName: 'x.example.com', RemovePrivateDnsName: true }),
    'InvalidParameterCombination',
    400,
  );
  await modify({ RemovePrivateDnsName: true });
  cfg = await describeOne(provider, id);
  assert.equal(cfg.PrivateDnsName, undefined);
  assert.equal(cfg.PrivateDnsNameConfiguration, undefined);

  await expectAwsError(
    provider.send(
      new ModifyVpcEndpointServiceConfigurationCommand({ ServiceId: 'vpce-svc-00000000000000fff' }),
    ),
    'InvalidVpcEndpointServiceId.NotFound',
    400,
  );

  // Removing an LB while a connection is live is refused.
  await modify({ AddNetworkLoadBalancerArns: [nlb] });
  seedEndpoint(p, { account: CONSUMER, serviceId: id, serviceName: name, state: 'available' });
  await expectAwsError(
    modify({ RemoveNetworkLoadBalancerArns: [nlb] }),
    'ExistingVpcEndpointConnections',
    400,
  );
  const raw = await signedRaw(
    p,
    `Action=ModifyVpcEndpointServiceConfiguration&Version=2016-11-15&ServiceId=${id}&Bogus=1`,
  );
  assert.equal(raw.status, 400);
  assert.match(raw.body, /UnknownParameter/);
});

test('Service permissions: principal types, idempotent adds, InvalidPrincipal, pagination, filters', async (t) => {
  const { p, provider } = await setup(t);
  const { id } = await createService(provider, seedLoadBalancer(p));
  const principals = [
    '*',
    `arn:aws:iam::${CONSUMER}:root`,
    `arn:aws:iam::${CONSUMER}:user/alice`,
    `arn:aws:iam::${CONSUMER}:role/deployer`,
    'elasticloadbalancing.amazonaws.com',
    'arn:aws:organizations::123456789012:organization/o-abcdefghij',
    'arn:aws:organizations::123456789012:ou/o-abcdefghij/ou-ab12-cdefghij',
  ];
  const out = await provider.send(
    new ModifyVpcEndpointServicePermissionsCommand({ ServiceId: id, AddAllowedPrincipals: principals }),
  );
  assert.equal(out.ReturnValue, true);
  assert.deepEqual(
    out.AddedPrincipals?.map((a) => a.PrincipalType),
    ['All', 'Account', 'User', 'Role', 'Service', 'OrganizationUnit', 'OrganizationUnit'],
  );
  for (const a of out.AddedPrincipals ?? []) {
    assert.match(a.ServicePermissionId ?? '', /^vpce-svc-perm-[0-9a-f]{17}$/);
    assert.equal(a.ServiceId, id);
  }
  const again = await provider.send(
    new ModifyVpcEndpointServicePermissionsCommand({ ServiceId: id, AddAllowedPrincipals: ['*'] }),
  );
  assert.equal(
    again.AddedPrincipals?.[0]?.ServicePermissionId,
    out.AddedPrincipals?.[0]?.ServicePermissionId,
  );

  for (const bad of [CONSUMER, `arn:aws:iam::${CONSUMER}:user/path/bob`, 'arn:aws:iam::1:root', 'nobody']) {
    await expectAwsError(
      provider.send(
        new ModifyVpcEndpointServicePermissionsCommand({
          ServiceId: id,
          AddAllowedPrincipals: [`arn:aws:iam::${PROVIDER}:root`, bad],
        }),
      ),
      'InvalidPrincipal',
      400,
    );
  }
  const list = await provider.send(new DescribeVpcEndpointServicePermissionsCommand({ ServiceId: id }));
  assert.equal(list.AllowedPrincipals?.length, principals.length, 'a refused request changed nothing');
  assert.deepEqual(list.AllowedPrincipals?.[2], {
    PrincipalType: 'User',
    Principal: `arn:aws:iam::${CONSUMER}:user/alice`,
    ServicePermissionId: out.AddedPrincipals?.[2]?.ServicePermissionId,
    ServiceId: id,
    Tags: [],
  });

  const many = Array.from({ length: 10 }, (_, i) => `arn:aws:iam::${String(300000000000 + i)}:root`);
  await provider.send(
    new ModifyVpcEndpointServicePermissionsCommand({ ServiceId: id, AddAllowedPrincipals: many }),
  );
  const seen: string[] = [];
  let pages = 0;
  for await (const page of paginateDescribeVpcEndpointServicePermissions(
    { client: provider, pageSize: 5 },
    { ServiceId: id },
  )) {
    pages++;
    for (const a of page.AllowedPrincipals ?? []) seen.push(a.Principal ?? '');
  }
  assert.equal(pages, 4);
  assert.equal(seen.length, 17);
  assert.equal(new Set(seen).size, 17);

  const accounts = await provider.send(
    new DescribeVpcEndpointServicePermissionsCommand({
      ServiceId: id,
      Filters: [{ Name: 'principal-type', Values: ['Account'] }],
    }),
  );
  assert.equal(accounts.AllowedPrincipals?.length, 11);
  const one = await provider.send(
    new DescribeVpcEndpointServicePermissionsCommand({
      ServiceId: id,
      Filters: [{ Name: 'principal', Values: [`arn:aws:iam::${CONSUMER}:user/alice`] }],
    }),
  );
  assert.equal(one.AllowedPrincipals?.length, 1);

  await provider.send(
    new ModifyVpcEndpointServicePermissionsCommand({
      ServiceId: id,
      RemoveAllowedPrincipals: ['*', ...many],
    }),
  );
  const after = await provider.send(new DescribeVpcEndpointServicePermissionsCommand({ ServiceId: id }));
  assert.equal(after.AllowedPrincipals?.length, principals.length - 1);
  await expectAwsError(
    provider.send(
      new DescribeVpcEndpointServicePermissionsCommand({ ServiceId: 'vpce-svc-00000000000000abc' }),
    ),
    'InvalidVpcEndpointServiceId.NotFound',
    400,
  );
});

test('Visibility: an unpermitted consumer gets InvalidServiceName; a permitted one sees the service', async (t) => {
  const { p, provider, consumer } = await setup(t);
  const { id, name } = await createService(provider, seedLoadBalancer(p));
  if (!EC2_ACTION_TABLE.DescribeVpcEndpointServices) {
    t.skip('DescribeVpcEndpointServices is not implemented yet (consumer side)');
    return;
  }
  await expectAwsError(
    consumer.send(new DescribeVpcEndpointServicesCommand({ ServiceNames: [name] })),
    'InvalidServiceName',
    400,
  );
  await provider.send(
    new ModifyVpcEndpointServicePermissionsCommand({
      ServiceId: id,
      AddAllowedPrincipals: [`arn:aws:iam::${CONSUMER}:root`],
    }),
  );
  const seen = await consumer.send(new DescribeVpcEndpointServicesCommand({ ServiceNames: [name] }));
  assert.deepEqual(seen.ServiceNames, [name]);
  // Removing the principal hides the service again (existing connections are untouched).
  await provider.send(
    new ModifyVpcEndpointServicePermissionsCommand({
      ServiceId: id,
      RemoveAllowedPrincipals: [`arn:aws:iam::${CONSUMER}:root`],
    }),
  );
  await expectAwsError(
    consumer.send(new DescribeVpcEndpointServicesCommand({ ServiceNames: [name] })),
    'InvalidServiceName',
    400,
  );
});

function endpointState(p: Privlink, id: string): string | undefined {
  return p.store.find('vpcEndpoint', id)?.state;
}

test('Accept/Reject connections: transitions, in-band failures, top-level NotFound', async (t) => {
  const { p, provider, consumer } = await setup(t);
  const { id, name } = await createService(provider, seedLoadBalancer(p));
  const other = await createService(provider, seedLoadBalancer(p));
  const a = seedEndpoint(p, { account: CONSUMER, serviceId: id, serviceName: name });
  const b = seedEndpoint(p, { account: CONSUMER, serviceId: id, serviceName: name });
  const c = seedEndpoint(p, { account: CONSUMER, serviceId: other.id, serviceName: other.name });

  const acc = await provider.send(
    new AcceptVpcEndpointConnectionsCommand({
      ServiceId: id,
      VpcEndpointIds: [a, c, 'vpce-0000000000000dead'],
    }),
  );
  assert.equal(endpointState(p, a), 'pending');
  assert.equal(endpointState(p, c), 'pendingAcceptance', 'an endpoint of another service is untouched');
  assert.deepEqual(
    acc.Unsuccessful?.map((u) => [u.ResourceId, u.Error?.Code]),
    [
      [c, 'InvalidVpcEndpointId.NotFound'],
      ['vpce-0000000000000dead', 'InvalidVpcEndpointId.NotFound'],
    ],
  );
  const twice = await provider.send(
    new AcceptVpcEndpointConnectionsCommand({ ServiceId: id, VpcEndpointIds: [a] }),
  );
  assert.equal(twice.Unsuccessful?.[0]?.Error?.Code, 'InvalidState');
  assert.match(twice.Unsuccessful?.[0]?.Error?.Message ?? '', /pending/);

  const rej = await provider.send(
    new RejectVpcEndpointConnectionsCommand({ ServiceId: id, VpcEndpointIds: [b] }),
  );
  assert.deepEqual(rej.Unsuccessful, []);
  assert.equal(endpointState(p, b), 'rejected');
  setEndpointState(p, a, 'available');
  await provider.send(new RejectVpcEndpointConnectionsCommand({ ServiceId: id, VpcEndpointIds: [a] }));
  assert.equal(endpointState(p, a), 'rejected', 'available connections can be rejected');
  const again = await provider.send(
    new RejectVpcEndpointConnectionsCommand({ ServiceId: id, VpcEndpointIds: [a] }),
  );
  assert.equal(again.Unsuccessful?.[0]?.Error?.Code, 'InvalidState');
  const acceptRejected = await provider.send(
    new AcceptVpcEndpointConnectionsCommand({ ServiceId: id, VpcEndpointIds: [b] }),
  );
  assert.equal(acceptRejected.Unsuccessful?.[0]?.Error?.Code, 'InvalidState');

  await expectAwsError(
    provider.send(
      new AcceptVpcEndpointConnectionsCommand({
        ServiceId: 'vpce-svc-00000000000000bad',
        VpcEndpointIds: [c],
      }),
    ),
    'InvalidVpcEndpointServiceId.NotFound',
    400,
  );
  // The consumer cannot accept on the provider's behalf.
  await expectAwsError(
    consumer.send(new AcceptVpcEndpointConnectionsCommand({ ServiceId: other.id, VpcEndpointIds: [c] })),
    'InvalidVpcEndpointServiceId.NotFound',
    400,
  );
  await expectAwsError(
    provider.send(
      new AcceptVpcEndpointConnectionsCommand({ ServiceId: other.id, VpcEndpointIds: [c], DryRun: true }),
    ),
    'DryRunOperation',
    412,
  );
  assert.equal(endpointState(p, c), 'pendingAcceptance');
  const raw = await signedRaw(
    p,
    `Action=AcceptVpcEndpointConnections&Version=2016-11-15&ServiceId=${other.id}`,
  );
  assert.equal(raw.status, 400);
  assert.match(raw.body, /MissingParameter/);
});

test('DescribeVpcEndpointConnections: provider view across services, filters, pagination', async (t) => {
  const { p, provider, consumer } = await setup(t);
  const nlb = seedLoadBalancer(p);
  const { id, name } = await createService(provider, nlb);
  const other = await createService(provider, seedLoadBalancer(p));
  const eps = [
    seedEndpoint(p, { account: CONSUMER, serviceId: id, serviceName: name }),
    seedEndpoint(p, { account: CONSUMER, serviceId: id, serviceName: name, state: 'available' }),
    seedEndpoint(p, { account: '333333333333', serviceId: id, serviceName: name, state: 'rejected' }),
    seedEndpoint(p, { account: CONSUMER, serviceId: other.id, serviceName: other.name, region: 'us-west-2' }),
    seedEndpoint(p, { account: CONSUMER, serviceId: other.id, serviceName: other.name, state: 'deleted' }),
    seedEndpoint(p, { account: CONSUMER, serviceId: other.id, serviceName: other.name }),
  ];
  const all = await provider.send(new DescribeVpcEndpointConnectionsCommand({}));
  assert.deepEqual(
    all.VpcEndpointConnections?.map((c) => c.VpcEndpointId),
    eps,
  );
  const first = all.VpcEndpointConnections?.[0];
  assert.equal(first?.ServiceId, id);
  assert.equal(first?.VpcEndpointOwner, CONSUMER);
  assert.equal(first?.VpcEndpointState, 'pendingAcceptance');
  assert.ok(first?.CreationTimestamp instanceof Date);
  assert.deepEqual(first?.NetworkLoadBalancerArns, [nlb]);
  assert.equal(first?.IpAddressType, 'ipv4');
  assert.match(first?.VpcEndpointConnectionId ?? '', /^vpce-con-/);
  assert.equal(first?.VpcEndpointRegion, REGION);
  assert.deepEqual(first?.Tags, [], "the consumer's endpoint tags are not shown to the provider");
  assert.equal(first?.DnsEntries?.[0]?.DnsName, `${eps[0]}-ab12cd34.${id}.${REGION}.vpce.amazonaws.com`);

  const filtered = async (Name: string, Values: string[]) =>
    (
      await provider.send(new DescribeVpcEndpointConnectionsCommand({ Filters: [{ Name, Values }] }))
    ).VpcEndpointConnections?.map((c) => c.VpcEndpointId);
  assert.deepEqual(await filtered('service-id', [id]), eps.slice(0, 3));
  assert.deepEqual(await filtered('vpc-endpoint-owner', ['333333333333']), [eps[2]]);
  assert.deepEqual(await filtered('vpc-endpoint-state', ['available', 'rejected']), [eps[1], eps[2]]);
  assert.deepEqual(await filtered('vpc-endpoint-region', ['us-west-2']), [eps[3]]);
  assert.deepEqual(await filtered('vpc-endpoint-id', [eps[5] ?? '']), [eps[5]]);
  assert.deepEqual(await filtered('ip-address-type', ['ipv4']), eps);

  const page1 = await provider.send(new DescribeVpcEndpointConnectionsCommand({ MaxResults: 5 }));
  assert.equal(page1.VpcEndpointConnections?.length, 5);
  const page2 = await provider.send(
    new DescribeVpcEndpointConnectionsCommand({ MaxResults: 5, NextToken: page1.NextToken }),
  );
  assert.deepEqual(
    page2.VpcEndpointConnections?.map((c) => c.VpcEndpointId),
    [eps[5]],
  );
  const theirs = await consumer.send(new DescribeVpcEndpointConnectionsCommand({}));
  assert.deepEqual(theirs.VpcEndpointConnections, [], 'the consumer owns no services');
});

test('DeleteVpcEndpointServiceConfigurations: in-band failures; rejected connections do not block', async (t) => {
  const { p, provider } = await setup(t);
  const { id, name } = await createService(provider, seedLoadBalancer(p));
  await provider.send(
    new ModifyVpcEndpointServicePermissionsCommand({ ServiceId: id, AddAllowedPrincipals: ['*'] }),
  );
  const ep = seedEndpoint(p, { account: CONSUMER, serviceId: id, serviceName: name });
  const blocked = await provider.send(
    new DeleteVpcEndpointServiceConfigurationsCommand({ ServiceIds: [id, 'vpce-svc-00000000000000abc'] }),
  );
  assert.deepEqual(
    blocked.Unsuccessful?.map((u) => [u.ResourceId, u.Error?.Code, u.Error?.Message]),
    [
      [id, 'ExistingVpcEndpointConnections', 'Service has existing active VPC Endpoint connections!'],
      [
        'vpce-svc-00000000000000abc',
        'InvalidVpcEndpointService.NotFound',
        "The VpcEndpointService Id 'vpce-svc-00000000000000abc' does not exist",
      ],
    ],
  );
  await describeOne(provider, id);
  await provider.send(new RejectVpcEndpointConnectionsCommand({ ServiceId: id, VpcEndpointIds: [ep] }));
  const ok = await provider.send(new DeleteVpcEndpointServiceConfigurationsCommand({ ServiceIds: [id] }));
  assert.deepEqual(ok.Unsuccessful, []);
  await expectAwsError(
    provider.send(new DescribeVpcEndpointServiceConfigurationsCommand({ ServiceIds: [id] })),
    'InvalidVpcEndpointServiceId.NotFound',
    400,
  );
  assert.equal(p.store.listAll('servicePermission').length, 0, 'permissions go with the service');
  assert.equal(
    endpointState(p, ep),
    'rejected',
    "the consumer's endpoint stays until the consumer deletes it",
  );
  // Rejecting again after the service is gone: top-level NotFound (as aws-nuke observed).
  await expectAwsError(
    provider.send(new RejectVpcEndpointConnectionsCommand({ ServiceId: id, VpcEndpointIds: [ep] })),
    'InvalidVpcEndpointServiceId.NotFound',
    400,
  );
});

test('ModifyVpcEndpointServicePayerResponsibility: ServiceOwner only', async (t) => {
  const { p, provider } = await setup(t);
  const { id } = await createService(provider, seedLoadBalancer(p));
  const out = await provider.send(
    new ModifyVpcEndpointServicePayerResponsibilityCommand({
      ServiceId: id,
      PayerResponsibility: 'ServiceOwner',
    }),
  );
  assert.equal(out.ReturnValue, true);
  assert.equal((await describeOne(provider, id)).PayerResponsibility, 'ServiceOwner');
  const raw = await signedRaw(
    p,
    `Action=ModifyVpcEndpointServicePayerResponsibility&Version=2016-11-15&ServiceId=${id}&PayerResponsibility=Consumer`,
  );
  assert.equal(raw.status, 400);
  assert.match(raw.body, /InvalidParameterValue/);
  await expectAwsError(
    provider.send(
      new ModifyVpcEndpointServicePayerResponsibilityCommand({
        ServiceId: 'vpce-svc-00000000000000abc',
        PayerResponsibility: 'ServiceOwner',
      }),
    ),
    'InvalidVpcEndpointServiceId.NotFound',
    400,
  );
});
