/**
 * End to end with the real `aws` CLI: two accounts with overlapping VPC CIDRs, the provider
 * publishes an endpoint service behind an NLB, the consumer connects, the provider accepts and
 * later rejects, the consumer deletes, the provider deletes its service.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CONSUMER, PROVIDER, eventually, startPrivlink } from '../helpers/privlink.js';
import { awsCli, awsOk } from '../helpers/aws-cli.js';

type J = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- CLI JSON output, checked field by field

test('provider/consumer flow through the aws CLI', async (t) => {
  const p = await startPrivlink(t, { pendingMs: 100 });
  const url = p.url;
  const prov = (args: string[]) => awsOk<J>(url, PROVIDER, args);
  const cons = (args: string[]) => awsOk<J>(url, CONSUMER, args);
  const subnet = async (as: typeof prov, vpc: string, cidr: string, az: string): Promise<string> => {
    const args = ['ec2', 'create-subnet', '--vpc-id', vpc, '--cidr-block', cidr, '--availability-zone', az];
    return (await as(args))['Subnet']['SubnetId'] as string;
  };

  const who = await cons(['sts', 'get-caller-identity']);
  assert.equal(who['Account'], CONSUMER);

  // Provider network and NLB.
  const pvpc = (await prov(['ec2', 'create-vpc', '--cidr-block', '10.0.0.0/16']))['Vpc']['VpcId'] as string;
  const ps1 = await subnet(prov, pvpc, '10.0.1.0/24', 'us-east-1a');
  const ps2 = await subnet(prov, pvpc, '10.0.2.0/24', 'us-east-1b');
  const lb = (
    await prov([
      'elbv2',
      'create-load-balancer',
      '--name',
      'svc-nlb',
      '--type',
      'network',
      '--scheme',
      'internal',
      '--subnets',
      ps1,
      ps2,
    ])
  )['LoadBalancers'][0];
  assert.match(lb['LoadBalancerArn'], /:loadbalancer\/net\/svc-nlb\/[0-9a-f]{16}$/);
  const tg = (
    await prov([
      'elbv2',
      'create-target-group',
      '--name',
      'svc-tg',
      '--protocol',
      'TCP',
      '--port',
      '80',
      '--vpc-id',
      pvpc,
      '--target-type',
      'ip',
    ])
  )['TargetGroups'][0]['TargetGroupArn'] as string;
  await prov([
    'elbv2',
    'create-listener',
    '--load-balancer-arn',
    lb['LoadBalancerArn'],
    '--protocol',
    'TCP',
    '--port',
    '80',
    '--default-actions',
    `Type=forward,TargetGroupArn=${tg}`,
  ]);

  // Endpoint service with acceptance, visible to the consumer account.
  const svc = (
    await prov([
      'ec2',
      'create-vpc-endpoint-service-configuration',
      '--network-load-balancer-arns',
      lb['LoadBalancerArn'],
      '--acceptance-required',
    ])
  )['ServiceConfiguration'];
  assert.equal(svc['ServiceState'], 'Available');
  assert.equal(svc['AcceptanceRequired'], true);
  assert.match(svc['ServiceName'], /^com\.amazonaws\.vpce\.us-east-1\.vpce-svc-[0-9a-f]{17}$/);
  const serviceId = svc['ServiceId'] as string;

  // Before the grant the consumer cannot see it.
  const hidden = await awsCli(url, CONSUMER, [
    'ec2',
    'describe-vpc-endpoint-services',
    '--service-names',
    svc['ServiceName'],
  ]);
  assert.notEqual(hidden.code, 0);
  assert.match(hidden.stderr, /InvalidServiceName/);
  await prov([
    'ec2',
    'modify-vpc-endpoint-service-permissions',
    '--service-id',
    serviceId,
    '--add-allowed-principals',
    `arn:aws:iam::${CONSUMER}:root`,
  ]);

  // Consumer with the same CIDR.
  const cvpc = (await cons(['ec2', 'create-vpc', '--cidr-block', '10.0.0.0/16']))['Vpc']['VpcId'] as string;
  const cs1 = await subnet(cons, cvpc, '10.0.1.0/24', 'us-east-1a');
  const seen = await cons(['ec2', 'describe-vpc-endpoint-services', '--service-names', svc['ServiceName']]);
  assert.equal(seen['ServiceDetails'][0]['Owner'], PROVIDER);
  const ep = (
    await cons([
      'ec2',
      'create-vpc-endpoint',
      '--vpc-endpoint-type',
      'Interface',
      '--vpc-id',
      cvpc,
      '--service-name',
      svc['ServiceName'],
      '--subnet-ids',
      cs1,
    ])
  )['VpcEndpoint'];
  assert.equal(ep['State'], 'pendingAcceptance');
  assert.match(ep['VpcEndpointId'], /^vpce-[0-9a-f]{17}$/);
  assert.equal(ep['NetworkInterfaceIds'].length, 1);
  const epId = ep['VpcEndpointId'] as string;

  // Provider sees the request, accepts.
  const conns = await prov([
    'ec2',
    'describe-vpc-endpoint-connections',
    '--filters',
    `Name=service-id,Values=${serviceId}`,
  ]);
  assert.equal(conns['VpcEndpointConnections'][0]['VpcEndpointState'], 'pendingAcceptance');
  assert.equal(conns['VpcEndpointConnections'][0]['VpcEndpointOwner'], CONSUMER);
  const acc = await prov([
    'ec2',
    'accept-vpc-endpoint-connections',
    '--service-id',
    serviceId,
    '--vpc-endpoint-ids',
    epId,
  ]);
  assert.deepEqual(acc['Unsuccessful'], []);
  await eventually(
    () => cons(['ec2', 'describe-vpc-endpoints', '--vpc-endpoint-ids', epId]),
    (d) => d['VpcEndpoints'][0]['State'] === 'available',
    { timeoutMs: 10_000, intervalMs: 200 },
  );

  // Deleting the service is refused in-band while the connection is available.
  const blocked = await prov([
    'ec2',
    'delete-vpc-endpoint-service-configurations',
    '--service-ids',
    serviceId,
  ]);
  assert.equal(blocked['Unsuccessful'][0]['Error']['Code'], 'ExistingVpcEndpointConnections');

  // Reject, then the consumer deletes, then the provider can delete.
  await prov([
    'ec2',
    'reject-vpc-endpoint-connections',
    '--service-id',
    serviceId,
    '--vpc-endpoint-ids',
    epId,
  ]);
  const rejected = await cons(['ec2', 'describe-vpc-endpoints', '--vpc-endpoint-ids', epId]);
  assert.equal(rejected['VpcEndpoints'][0]['State'], 'rejected');
  const del = await cons(['ec2', 'delete-vpc-endpoints', '--vpc-endpoint-ids', epId]);
  assert.deepEqual(del['Unsuccessful'], []);
  const gone = await prov(['ec2', 'delete-vpc-endpoint-service-configurations', '--service-ids', serviceId]);
  assert.deepEqual(gone['Unsuccessful'], []);
  const notFound = await awsCli(url, PROVIDER, [
    'ec2',
    'describe-vpc-endpoint-service-configurations',
    '--service-ids',
    serviceId,
  ]);
  assert.notEqual(notFound.code, 0);
  assert.match(notFound.stderr, /InvalidVpcEndpointServiceId\.NotFound/);
});
