/**
 * Terraform's PrivateLink resources replayed with the AWS SDK, one privlink for the file, two
 * accounts (provider and consumer): aws_vpc_endpoint_service (ec2/vpc_endpoint_service.go),
 * aws_vpc_endpoint_service_allowed_principal, data.aws_vpc_endpoint_service, aws_vpc_endpoint
 * (vpc_endpoint.go) and its subnet / security group / route table associations and policy,
 * aws_vpc_endpoint_connection_accepter, aws_vpc_endpoint_connection_notification. Each phase's
 * calls must equal scripts/iac-calls.ts; the fields asserted are the ones the provider reads.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AcceptVpcEndpointConnectionsCommand,
  CreateRouteTableCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  CreateVpcEndpointCommand,
  CreateVpcEndpointConnectionNotificationCommand,
  CreateVpcEndpointServiceConfigurationCommand,
  DeleteVpcEndpointConnectionNotificationsCommand,
  DeleteVpcEndpointsCommand,
  DeleteVpcEndpointServiceConfigurationsCommand,
  DescribeNetworkInterfacesCommand,
  DescribePrefixListsCommand,
  DescribeVpcEndpointConnectionNotificationsCommand,
  DescribeVpcEndpointConnectionsCommand,
  DescribeVpcEndpointsCommand,
  DescribeVpcEndpointServiceConfigurationsCommand,
  DescribeVpcEndpointServicePermissionsCommand,
  DescribeVpcEndpointServicesCommand,
  ModifyVpcEndpointCommand,
  ModifyVpcEndpointConnectionNotificationCommand,
  ModifyVpcEndpointServiceConfigurationCommand,
  ModifyVpcEndpointServicePermissionsCommand,
  RejectVpcEndpointConnectionsCommand,
  type EC2Client,
  type VpcEndpoint,
} from '@aws-sdk/client-ec2';
import { CreateLoadBalancerCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { CONSUMER, PROVIDER, startPrivlink } from '../../helpers/privlink.js';
import { phase, recordedClients, waitFor } from './replay.js';

const p = await startPrivlink({ after });
const calls: string[] = [];
const provider = recordedClients(p, {}, calls);
const consumer = recordedClients(p, { account: CONSUMER }, calls);
const CONSUMER_ARN = `arn:aws:iam::${CONSUMER}:root`;

async function network(ec2: EC2Client, cidr: string) {
  const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: `${cidr}.0.0/16` }));
  const vpcId = vpc.Vpc?.VpcId ?? '';
  const subnet = async (n: number, az: string) =>
    (
      await ec2.send(
        new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: `${cidr}.${n}.0/24`, AvailabilityZone: az }),
      )
    ).Subnet?.SubnetId ?? '';
  return { vpcId, a: await subnet(1, 'us-east-1a'), b: await subnet(2, 'us-east-1b') };
}

const prov = await network(provider.ec2, '10.50');
const cons = await network(consumer.ec2, '10.60');
let lbCount = 0;
async function newLoadBalancer(): Promise<string> {
  const out = await provider.elb.send(
    new CreateLoadBalancerCommand({
      Name: `svc-${++lbCount}`,
      Type: 'network',
      Scheme: 'internal',
      Subnets: [prov.a, prov.b],
    }),
  );
  return out.LoadBalancers?.[0]?.LoadBalancerArn ?? '';
}
/** A service open to the consumer, made outside any replay. */
async function newService(acceptanceRequired: boolean): Promise<{ id: string; name: string }> {
  const svc = await provider.ec2.send(
    new CreateVpcEndpointServiceConfigurationCommand({
      AcceptanceRequired: acceptanceRequired,
      NetworkLoadBalancerArns: [await newLoadBalancer()],
    }),
  );
  const id = svc.ServiceConfiguration?.ServiceId ?? '';
  await provider.ec2.send(
    new ModifyVpcEndpointServicePermissionsCommand({ ServiceId: id, AddAllowedPrincipals: [CONSUMER_ARN] }),
  );
  return { id, name: svc.ServiceConfiguration?.ServiceName ?? '' };
}
const open = await newService(false);
const consumerSg = await consumer.ec2.send(
  new CreateSecurityGroupCommand({ GroupName: 'clients', Description: 'c', VpcId: cons.vpcId }),
);
const SG = consumerSg.GroupId ?? '';

const endpoint = async (id: string): Promise<VpcEndpoint | undefined> =>
  (await consumer.ec2.send(new DescribeVpcEndpointsCommand({ VpcEndpointIds: [id] }))).VpcEndpoints?.[0];
const available = (id: string) =>
  waitFor(
    () => endpoint(id),
    (e) => String(e?.State) === 'available',
  );

test('aws_vpc_endpoint_service', async () => {
  const N = 'aws_vpc_endpoint_service';
  const ec2 = provider.ec2;
  const lb = await newLoadBalancer();
  const config = async (id: string) =>
    (await ec2.send(new DescribeVpcEndpointServiceConfigurationsCommand({ ServiceIds: [id] })))
      .ServiceConfigurations?.[0];
  const id = await phase(calls, N, 'create', async () => {
    const out = await ec2.send(
      new CreateVpcEndpointServiceConfigurationCommand({
        ClientToken: 'terraform-svc-1',
        AcceptanceRequired: true,
        NetworkLoadBalancerArns: [lb],
        TagSpecifications: [{ ResourceType: 'vpc-endpoint-service', Tags: [{ Key: 'Name', Value: 'api' }] }],
      }),
    );
    const sid = out.ServiceConfiguration?.ServiceId ?? '';
    await waitFor(
      () => config(sid),
      (c) => c?.ServiceState === 'Available',
    );
    await ec2.send(
      new ModifyVpcEndpointServicePermissionsCommand({
        ServiceId: sid,
        AddAllowedPrincipals: [CONSUMER_ARN],
      }),
    );
    return sid;
  });
  const read = () =>
    phase(calls, N, 'read', async () => {
      const c = await config(id);
      const perms = await ec2.send(new DescribeVpcEndpointServicePermissionsCommand({ ServiceId: id }));
      return { c, principals: perms.AllowedPrincipals?.map((x) => x.Principal) };
    });
  const s = await read();
  assert.equal(s.c?.AcceptanceRequired, true);
  assert.deepEqual(s.c?.AvailabilityZones, ['us-east-1a', 'us-east-1b']);
  assert.ok((s.c?.BaseEndpointDnsNames ?? []).length > 0);
  assert.deepEqual(s.c?.NetworkLoadBalancerArns, [lb]);
  assert.deepEqual(s.c?.GatewayLoadBalancerArns ?? [], []);
  assert.equal(s.c?.ManagesVpcEndpoints, false);
  assert.match(s.c?.ServiceName ?? '', /^com\.amazonaws\.vpce\.us-east-1\.vpce-svc-/);
  assert.equal(s.c?.ServiceType?.[0]?.ServiceType, 'Interface');
  assert.equal(s.c?.ServiceState, 'Available');
  assert.deepEqual(s.c?.SupportedIpAddressTypes, ['ipv4']);
  assert.deepEqual(s.c?.Tags, [{ Key: 'Name', Value: 'api' }]);
  assert.deepEqual(s.principals, [CONSUMER_ARN]);
  assert.deepEqual(await read(), s);
  await phase(calls, N, 'update', async () => {
    await ec2.send(
      new ModifyVpcEndpointServiceConfigurationCommand({ ServiceId: id, AcceptanceRequired: false }),
    );
    await waitFor(
      () => config(id),
      (c) => c?.ServiceState === 'Available' && c.AcceptanceRequired === false,
    );
  });
  await phase(calls, N, 'delete', async () => {
    const out = await ec2.send(new DeleteVpcEndpointServiceConfigurationsCommand({ ServiceIds: [id] }));
    assert.deepEqual(out.Unsuccessful, []);
    await assert.rejects(config(id), { name: 'InvalidVpcEndpointServiceId.NotFound' });
  });
});

test('aws_vpc_endpoint_service_allowed_principal and data.aws_vpc_endpoint_service', async () => {
  const N = 'aws_vpc_endpoint_service_allowed_principal';
  const svc = await newService(false);
  const other = 'arn:aws:iam::333333333333:root';
  const permissionId = await phase(calls, N, 'create', async () => {
    const out = await provider.ec2.send(
      new ModifyVpcEndpointServicePermissionsCommand({ ServiceId: svc.id, AddAllowedPrincipals: [other] }),
    );
    const added = out.AddedPrincipals?.find((x) => x.Principal === other);
    assert.match(added?.ServicePermissionId ?? '', /^vpce-svc-perm-/);
    return added?.ServicePermissionId;
  });
  const perm = await phase(
    calls,
    N,
    'read',
    async () =>
      (
        await provider.ec2.send(
          new DescribeVpcEndpointServicePermissionsCommand({
            ServiceId: svc.id,
            Filters: [{ Name: 'principal', Values: [other] }],
          }),
        )
      ).AllowedPrincipals,
  );
  assert.deepEqual(
    perm?.map((x) => [x.Principal, x.ServicePermissionId]),
    [[other, permissionId]],
  );
  await phase(calls, N, 'delete', () =>
    provider.ec2.send(
      new ModifyVpcEndpointServicePermissionsCommand({ ServiceId: svc.id, RemoveAllowedPrincipals: [other] }),
    ),
  );

  const found = await phase(calls, 'data.aws_vpc_endpoint_service', 'read', () =>
    consumer.ec2.send(new DescribeVpcEndpointServicesCommand({ ServiceNames: [svc.name] })),
  );
  const d = found.ServiceDetails?.[0];
  assert.equal(found.ServiceDetails?.length, 1);
  assert.deepEqual(
    [d?.ServiceName, d?.ServiceId, d?.Owner, d?.AcceptanceRequired, d?.ManagesVpcEndpoints],
    [svc.name, svc.id, PROVIDER, false, false],
  );
  assert.equal(d?.ServiceType?.[0]?.ServiceType, 'Interface');
  assert.deepEqual(d?.AvailabilityZones, ['us-east-1a', 'us-east-1b']);
  assert.equal(d?.VpcEndpointPolicySupported, false);
  assert.deepEqual(d?.SupportedIpAddressTypes, ['ipv4']);
  assert.ok((d?.BaseEndpointDnsNames ?? []).length > 0);
});

test('aws_vpc_endpoint (interface) with subnet and security group associations', async () => {
  const N = 'aws_vpc_endpoint';
  const ec2 = consumer.ec2;
  const id = await phase(calls, N, 'create', async () => {
    const out = await ec2.send(
      new CreateVpcEndpointCommand({
        ClientToken: 'terraform-vpce-1',
        VpcEndpointType: 'Interface',
        VpcId: cons.vpcId,
        ServiceName: open.name,
        SubnetIds: [cons.a],
        SecurityGroupIds: [SG],
        PrivateDnsEnabled: false,
        TagSpecifications: [{ ResourceType: 'vpc-endpoint', Tags: [{ Key: 'Name', Value: 'api' }] }],
      }),
    );
    const eid = out.VpcEndpoint?.VpcEndpointId ?? '';
    await available(eid);
    return eid;
  });
  const read = () =>
    phase(calls, N, 'read', async () => {
      const e = await endpoint(id);
      const pl = await ec2.send(
        new DescribePrefixListsCommand({
          Filters: [{ Name: 'prefix-list-name', Values: [e?.ServiceName ?? ''] }],
        }),
      );
      const enis = [];
      for (const eni of e?.NetworkInterfaceIds ?? []) {
        const r = await ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [eni] }));
        enis.push(r.NetworkInterfaces?.[0]);
      }
      return { e, prefixLists: pl.PrefixLists, enis };
    });
  const s = await read();
  const e = s.e;
  assert.equal(e?.OwnerId, CONSUMER);
  assert.equal(e?.VpcEndpointType, 'Interface');
  assert.equal(e?.State, 'available');
  assert.equal(e?.VpcId, cons.vpcId);
  assert.equal(e?.ServiceName, open.name);
  assert.equal(e?.PrivateDnsEnabled, false);
  assert.equal(e?.RequesterManaged, false);
  assert.equal(e?.IpAddressType, 'ipv4');
  assert.equal(e?.DnsOptions?.DnsRecordIpType, 'ipv4');
  assert.deepEqual(e?.SubnetIds, [cons.a]);
  assert.deepEqual(
    e?.Groups?.map((g) => g.GroupId),
    [SG],
  );
  assert.deepEqual(e?.RouteTableIds ?? [], []);
  assert.ok((e?.DnsEntries ?? []).every((d) => d.DnsName && d.HostedZoneId));
  assert.ok((e?.DnsEntries ?? []).length >= 2);
  assert.deepEqual(e?.Tags, [{ Key: 'Name', Value: 'api' }]);
  assert.deepEqual(s.prefixLists, []);
  assert.equal(s.enis.length, 1);
  assert.equal(s.enis[0]?.SubnetId, cons.a);
  assert.match(s.enis[0]?.PrivateIpAddress ?? '', /^10\.60\.1\./);
  assert.deepEqual(await read(), s);

  const sg2 = await ec2.send(
    new CreateSecurityGroupCommand({ GroupName: 'more', Description: 'm', VpcId: cons.vpcId }),
  );
  await phase(calls, N, 'update', async () => {
    await ec2.send(
      new ModifyVpcEndpointCommand({ VpcEndpointId: id, PrivateDnsEnabled: false, ResetPolicy: false }),
    );
    await available(id);
  });

  const SN = 'aws_vpc_endpoint_subnet_association';
  await phase(calls, SN, 'create', async () => {
    await ec2.send(new ModifyVpcEndpointCommand({ VpcEndpointId: id, AddSubnetIds: [cons.b] }));
    await available(id);
  });
  const withSubnet = await phase(calls, SN, 'read', () => endpoint(id));
  assert.deepEqual([...(withSubnet?.SubnetIds ?? [])].sort(), [cons.a, cons.b].sort());
  await phase(calls, SN, 'delete', async () => {
    await ec2.send(new ModifyVpcEndpointCommand({ VpcEndpointId: id, RemoveSubnetIds: [cons.b] }));
    await available(id);
  });
  assert.deepEqual((await endpoint(id))?.SubnetIds, [cons.a]);

  const GN = 'aws_vpc_endpoint_security_group_association';
  await phase(calls, GN, 'create', () =>
    ec2.send(new ModifyVpcEndpointCommand({ VpcEndpointId: id, AddSecurityGroupIds: [sg2.GroupId ?? ''] })),
  );
  const withGroup = await phase(calls, GN, 'read', () => endpoint(id));
  assert.ok(withGroup?.Groups?.some((g) => g.GroupId === sg2.GroupId));
  await phase(calls, GN, 'delete', () =>
    ec2.send(
      new ModifyVpcEndpointCommand({ VpcEndpointId: id, RemoveSecurityGroupIds: [sg2.GroupId ?? ''] }),
    ),
  );
  assert.deepEqual(
    (await endpoint(id))?.Groups?.map((g) => g.GroupId),
    [SG],
  );

  await phase(calls, N, 'delete', async () => {
    const out = await ec2.send(new DeleteVpcEndpointsCommand({ VpcEndpointIds: [id] }));
    assert.deepEqual(out.Unsuccessful, []);
    await waitFor(
      () =>
        ec2.send(new DescribeVpcEndpointsCommand({ Filters: [{ Name: 'vpc-endpoint-id', Values: [id] }] })),
      (r) => (r.VpcEndpoints ?? []).every((x) => String(x.State) === 'deleted'),
    );
  });
});

test('aws_vpc_endpoint_route_table_association and aws_vpc_endpoint_policy (S3 gateway endpoint)', async () => {
  const ec2 = consumer.ec2;
  const rt = await ec2.send(new CreateRouteTableCommand({ VpcId: cons.vpcId }));
  const rtId = rt.RouteTable?.RouteTableId ?? '';
  const gw = await ec2.send(
    new CreateVpcEndpointCommand({
      VpcEndpointType: 'Gateway',
      VpcId: cons.vpcId,
      ServiceName: 'com.amazonaws.us-east-1.s3',
    }),
  );
  const id = gw.VpcEndpoint?.VpcEndpointId ?? '';
  await available(id);

  const RN = 'aws_vpc_endpoint_route_table_association';
  await phase(calls, RN, 'create', async () => {
    await ec2.send(new ModifyVpcEndpointCommand({ VpcEndpointId: id, AddRouteTableIds: [rtId] }));
    await waitFor(
      () => endpoint(id),
      (e) => (e?.RouteTableIds ?? []).includes(rtId),
    );
  });
  assert.deepEqual((await phase(calls, RN, 'read', () => endpoint(id)))?.RouteTableIds, [rtId]);
  await phase(calls, RN, 'delete', async () => {
    await ec2.send(new ModifyVpcEndpointCommand({ VpcEndpointId: id, RemoveRouteTableIds: [rtId] }));
    await waitFor(
      () => endpoint(id),
      (e) => !(e?.RouteTableIds ?? []).includes(rtId),
    );
  });

  const PN = 'aws_vpc_endpoint_policy';
  const policy = {
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::bucket/*' },
    ],
  };
  await phase(calls, PN, 'create', async () => {
    await ec2.send(
      new ModifyVpcEndpointCommand({ VpcEndpointId: id, PolicyDocument: JSON.stringify(policy) }),
    );
    await available(id);
  });
  const withPolicy = await phase(calls, PN, 'read', () => endpoint(id));
  assert.deepEqual(JSON.parse(withPolicy?.PolicyDocument ?? '{}'), policy);
  await phase(calls, PN, 'delete', async () => {
    await ec2.send(new ModifyVpcEndpointCommand({ VpcEndpointId: id, ResetPolicy: true }));
    await available(id);
  });
  const reset = JSON.parse((await endpoint(id))?.PolicyDocument ?? '{}') as {
    Statement?: { Action?: string }[];
  };
  assert.equal(reset.Statement?.[0]?.Action, '*');
});

test('aws_vpc_endpoint_connection_accepter and aws_vpc_endpoint_connection_notification', async () => {
  const svc = await newService(true);
  const NN = 'aws_vpc_endpoint_connection_notification';
  const topic = `arn:aws:sns:us-east-1:${PROVIDER}:vpce-events`;
  const notificationId = await phase(calls, NN, 'create', async () => {
    const out = await provider.ec2.send(
      new CreateVpcEndpointConnectionNotificationCommand({
        ClientToken: 'terraform-nfn-1',
        ServiceId: svc.id,
        ConnectionNotificationArn: topic,
        ConnectionEvents: ['Accept', 'Reject'],
      }),
    );
    return out.ConnectionNotification?.ConnectionNotificationId ?? '';
  });
  const readNotification = () =>
    phase(
      calls,
      NN,
      'read',
      async () =>
        (
          await provider.ec2.send(
            new DescribeVpcEndpointConnectionNotificationsCommand({
              ConnectionNotificationId: notificationId,
            }),
          )
        ).ConnectionNotificationSet?.[0],
    );
  const n = await readNotification();
  assert.deepEqual(
    [
      n?.ConnectionNotificationArn,
      n?.ConnectionNotificationType,
      n?.ConnectionNotificationState,
      n?.ServiceId,
    ],
    [topic, 'Topic', 'Enabled', svc.id],
  );
  assert.deepEqual([...(n?.ConnectionEvents ?? [])].sort(), ['Accept', 'Reject']);

  const AN = 'aws_vpc_endpoint_connection_accepter';
  const pending = await consumer.ec2.send(
    new CreateVpcEndpointCommand({
      VpcEndpointType: 'Interface',
      VpcId: cons.vpcId,
      ServiceName: svc.name,
      SubnetIds: [cons.a],
    }),
  );
  const eid = pending.VpcEndpoint?.VpcEndpointId ?? '';
  await waitFor(
    () => endpoint(eid),
    (e) => String(e?.State) === 'pendingAcceptance',
  );
  const connection = async () =>
    (
      await provider.ec2.send(
        new DescribeVpcEndpointConnectionsCommand({
          Filters: [
            { Name: 'service-id', Values: [svc.id] },
            { Name: 'vpc-endpoint-id', Values: [eid] },
          ],
        }),
      )
    ).VpcEndpointConnections?.[0];
  await phase(calls, AN, 'create', async () => {
    const out = await provider.ec2.send(
      new AcceptVpcEndpointConnectionsCommand({ ServiceId: svc.id, VpcEndpointIds: [eid] }),
    );
    assert.deepEqual(out.Unsuccessful, []);
    await waitFor(connection, (c) => String(c?.VpcEndpointState) === 'available');
  });
  const c = await phase(calls, AN, 'read', connection);
  assert.deepEqual([c?.VpcEndpointId, c?.ServiceId, c?.VpcEndpointState], [eid, svc.id, 'available']);

  await phase(calls, NN, 'update', () =>
    provider.ec2.send(
      new ModifyVpcEndpointConnectionNotificationCommand({
        ConnectionNotificationId: notificationId,
        ConnectionEvents: ['Accept', 'Connect', 'Delete', 'Reject'],
      }),
    ),
  );
  assert.equal((await readNotification())?.ConnectionEvents?.length, 4);

  await phase(calls, AN, 'delete', () =>
    provider.ec2.send(new RejectVpcEndpointConnectionsCommand({ ServiceId: svc.id, VpcEndpointIds: [eid] })),
  );
  assert.equal((await connection())?.VpcEndpointState, 'rejected');
  await phase(calls, NN, 'delete', async () => {
    const out = await provider.ec2.send(
      new DeleteVpcEndpointConnectionNotificationsCommand({ ConnectionNotificationIds: [notificationId] }),
    );
    assert.deepEqual(out.Unsuccessful, []);
  });
});
