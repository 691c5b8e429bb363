/**
 * boto3 (Debian python3-boto3) against privlink: the two-account provider/consumer flow, with
 * botocore's strict locationName parsing, paginators (which refuse a repeated token), typed
 * booleans/integers/timestamps, DryRun as ClientError DryRunOperation 412, and InvalidServiceName
 * for an account without permission. Skips, saying why, when boto3 is not installed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CONSUMER, PROVIDER, startPrivlink } from '../helpers/privlink.js';
import { findBoto3, runBoto3 } from '../helpers/boto3.js';

const STRANGER = '333333333333';

const FLOW = String.raw`
import time
PROVIDER, CONSUMER, STRANGER = sys.argv[1:4] if len(sys.argv) > 3 else ('${PROVIDER}', '${CONSUMER}', '${STRANGER}')
out = {}
pec2, pelb, cec2 = client('ec2', PROVIDER), client('elbv2', PROVIDER), client('ec2', CONSUMER)

def network(ec2):
    vpc = ec2.create_vpc(CidrBlock='10.0.0.0/16')['Vpc']['VpcId']
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={'Value': True})
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock='10.0.%d.0/24' % (i + 1),
                                 AvailabilityZone='us-east-1' + az)['Subnet']['SubnetId']
               for i, az in enumerate('ab')]
    return vpc, subnets

pvpc, psubnets = network(pec2)
cvpc, csubnets = network(cec2)
assert pvpc != cvpc

# DryRun: ClientError DryRunOperation with HTTP 412, nothing created.
e = expect_error(lambda: pec2.create_vpc(CidrBlock='10.8.0.0/16', DryRun=True), 'DryRunOperation', 412)
out['dryRunMessage'] = e.response['Error']['Message']

lb = pelb.create_load_balancer(Name='b3-nlb', Type='network', Scheme='internal', Subnets=psubnets)['LoadBalancers'][0]
assert isinstance(lb['CreatedTime'], datetime.datetime) and lb['CreatedTime'].tzinfo is not None
assert lb['AvailabilityZones'][0]['LoadBalancerAddresses'][0]['PrivateIPv4Address'].startswith('10.0.')
tg = pelb.create_target_group(Name='b3-tg', Protocol='TCP', Port=80, VpcId=pvpc, TargetType='ip')['TargetGroups'][0]
assert tg['Port'] == 80 and isinstance(tg['Port'], int)
assert tg['HealthCheckEnabled'] is True
assert isinstance(tg['HealthCheckIntervalSeconds'], int)
pelb.create_listener(LoadBalancerArn=lb['LoadBalancerArn'], Protocol='TCP', Port=80,
                     DefaultActions=[{'Type': 'forward', 'TargetGroupArn': tg['TargetGroupArn']}])
pelb.get_waiter('load_balancer_available').wait(LoadBalancerArns=[lb['LoadBalancerArn']],
                                                WaiterConfig={'Delay': 1, 'MaxAttempts': 20})

svc = pec2.create_vpc_endpoint_service_configuration(
    NetworkLoadBalancerArns=[lb['LoadBalancerArn']], AcceptanceRequired=True,
    TagSpecifications=[{'ResourceType': 'vpc-endpoint-service', 'Tags': [{'Key': 'Name', 'Value': 'b3'}]}],
)['ServiceConfiguration']
assert svc['AcceptanceRequired'] is True and svc['ManagesVpcEndpoints'] is False
assert svc['ServiceType'] == [{'ServiceType': 'Interface'}], svc['ServiceType']
assert svc['BaseEndpointDnsNames'] == ['%s.us-east-1.vpce.amazonaws.com' % svc['ServiceId']]
assert svc['Tags'] == [{'Key': 'Name', 'Value': 'b3'}]
sid, sname = svc['ServiceId'], svc['ServiceName']

# Not yet allowed: the consumer gets InvalidServiceName, on describe and on create.
expect_error(lambda: cec2.describe_vpc_endpoint_services(ServiceNames=[sname]), 'InvalidServiceName', 400)
r = pec2.modify_vpc_endpoint_service_permissions(ServiceId=sid, AddAllowedPrincipals=['arn:aws:iam::%s:root' % CONSUMER])
assert r['ReturnValue'] is True
assert r['AddedPrincipals'][0]['PrincipalType'] == 'Account'
sec2 = client('ec2', STRANGER)
svpc = sec2.create_vpc(CidrBlock='10.0.0.0/16')['Vpc']['VpcId']
expect_error(lambda: sec2.create_vpc_endpoint(VpcEndpointType='Interface', VpcId=svpc, ServiceName=sname),
             'InvalidServiceName', 400)

# Permissions paginator (MaxResults min 5): 7 principals over two pages, tokens change.
for i in range(6):
    pec2.modify_vpc_endpoint_service_permissions(ServiceId=sid, AddAllowedPrincipals=['arn:aws:iam::44444444440%d:root' % i])
pages = list(pec2.get_paginator('describe_vpc_endpoint_service_permissions').paginate(
    ServiceId=sid, PaginationConfig={'PageSize': 5}))
out['permissionPages'] = [len(p['AllowedPrincipals']) for p in pages]

# Services paginator: every AWS service plus ours, no duplicates across pages.
full = cec2.get_paginator('describe_vpc_endpoint_services').paginate(PaginationConfig={'PageSize': 5}).build_full_result()
names = full['ServiceNames']
keys = [(d['ServiceName'], d['ServiceType'][0]['ServiceType']) for d in full['ServiceDetails']]
out['serviceDetailsUnique'] = len(keys) == len(set(keys))
out['serviceDetailCount'] = len(full['ServiceDetails'])
out['serviceNameCount'] = len(set(names))
assert sname in names
mine = [d for d in full['ServiceDetails'] if d['ServiceName'] == sname][0]
assert mine['Owner'] == PROVIDER and mine['AcceptanceRequired'] is True and mine['VpcEndpointPolicySupported'] is False
filtered = cec2.describe_vpc_endpoint_services(Filters=[{'Name': 'service-type', 'Values': ['Interface']},
                                                        {'Name': 'owner', 'Values': [PROVIDER]}])
assert filtered['ServiceNames'] == [sname], filtered['ServiceNames']

# Consumer endpoints (same CIDR as the provider), two of them for the endpoints paginator.
eps = []
for subnets in (csubnets, csubnets[:1]):
    ep = cec2.create_vpc_endpoint(VpcEndpointType='Interface', VpcId=cvpc, ServiceName=sname, SubnetIds=subnets,
                                  TagSpecifications=[{'ResourceType': 'vpc-endpoint', 'Tags': [{'Key': 'team', 'Value': 'b3'}]}])['VpcEndpoint']
    assert ep['State'] == 'pendingAcceptance', ep['State']
    assert isinstance(ep['CreationTimestamp'], datetime.datetime) and ep['CreationTimestamp'].tzinfo is not None
    assert ep['RequesterManaged'] is False and ep['PrivateDnsEnabled'] in (True, False)
    assert ep['RouteTableIds'] == [] and len(ep['NetworkInterfaceIds']) == len(subnets)
    assert ep['DnsEntries'][0]['DnsName'].startswith(ep['VpcEndpointId'] + '-')
    eps.append(ep['VpcEndpointId'])
pages = list(cec2.get_paginator('describe_vpc_endpoints').paginate(PaginationConfig={'PageSize': 1}))
out['endpointPages'] = [len(p['VpcEndpoints']) for p in pages if p['VpcEndpoints']]
tagged = cec2.describe_vpc_endpoints(Filters=[{'Name': 'tag:team', 'Values': ['b3']},
                                              {'Name': 'vpc-endpoint-state', 'Values': ['pendingAcceptance']}])
assert sorted(e['VpcEndpointId'] for e in tagged['VpcEndpoints']) == sorted(eps)

# Provider: connections with a filter, accept one, reject the other.
conns = pec2.describe_vpc_endpoint_connections(Filters=[{'Name': 'service-id', 'Values': [sid]}])['VpcEndpointConnections']
assert sorted(c['VpcEndpointId'] for c in conns) == sorted(eps)
assert all(c['VpcEndpointOwner'] == CONSUMER and c['VpcEndpointState'] == 'pendingAcceptance' for c in conns)
assert all(isinstance(c['CreationTimestamp'], datetime.datetime) for c in conns)
acc = pec2.accept_vpc_endpoint_connections(ServiceId=sid, VpcEndpointIds=[eps[0]])
assert acc['Unsuccessful'] == [], acc
rej = pec2.reject_vpc_endpoint_connections(ServiceId=sid, VpcEndpointIds=[eps[1]])
assert rej['Unsuccessful'] == [], rej
deadline = time.time() + 10
while True:
    state = cec2.describe_vpc_endpoints(VpcEndpointIds=[eps[0]])['VpcEndpoints'][0]['State']
    if state == 'available' or time.time() > deadline:
        break
    time.sleep(0.1)
out['acceptedState'] = state
out['rejectedState'] = cec2.describe_vpc_endpoints(VpcEndpointIds=[eps[1]])['VpcEndpoints'][0]['State']
cpages = list(pec2.get_paginator('describe_vpc_endpoint_connections').paginate(PaginationConfig={'PageSize': 5}))
out['connectionCount'] = sum(len(p['VpcEndpointConnections']) for p in cpages)

# Deleting the service is refused in-band while a connection is available.
blocked = pec2.delete_vpc_endpoint_service_configurations(ServiceIds=[sid])
out['blockedCode'] = blocked['Unsuccessful'][0]['Error']['Code']

# Consumer deletes; unknown IDs come back in Unsuccessful; provider deletes its service.
d = cec2.delete_vpc_endpoints(VpcEndpointIds=eps + ['vpce-0123456789abcdef0'])
out['deleteUnsuccessful'] = [(u['ResourceId'], u['Error']['Code']) for u in d['Unsuccessful']]
expect_error(lambda: cec2.describe_vpc_endpoints(VpcEndpointIds=['vpce-0123456789abcdef0']),
             'InvalidVpcEndpointId.NotFound', 400)
deadline = time.time() + 10
while True:
    gone = pec2.delete_vpc_endpoint_service_configurations(ServiceIds=[sid])['Unsuccessful']
    if gone == [] or time.time() > deadline:
        break
    time.sleep(0.1)
out['serviceDeleteUnsuccessful'] = gone
expect_error(lambda: pec2.describe_vpc_endpoint_service_configurations(ServiceIds=[sid]),
             'InvalidVpcEndpointServiceId.NotFound', 400)

# ELBv2 cleanup and the deleted waiter.
pelb.delete_load_balancer(LoadBalancerArn=lb['LoadBalancerArn'])
pelb.get_waiter('load_balancers_deleted').wait(LoadBalancerArns=[lb['LoadBalancerArn']],
                                               WaiterConfig={'Delay': 1, 'MaxAttempts': 20})
emit(out)
`;

interface FlowResult {
  dryRunMessage: string;
  permissionPages: number[];
  serviceDetailsUnique: boolean;
  serviceDetailCount: number;
  serviceNameCount: number;
  endpointPages: number[];
  acceptedState: string;
  rejectedState: string;
  connectionCount: number;
  blockedCode: string;
  deleteUnsuccessful: [string, string][];
  serviceDeleteUnsuccessful: unknown[];
}

test('boto3: two-account provider/consumer flow with paginators, filters, DryRun and errors', async (t) => {
  const rt = findBoto3();
  if (typeof rt === 'string') {
    console.log(`# skipping boto3 conformance: ${rt}`);
    t.skip(rt);
    return;
  }
  t.diagnostic(`python ${rt.python}, boto3 ${rt.boto3}, botocore ${rt.botocore}`);
  const p = await startPrivlink(t, { pendingMs: 50 });
  const r = await runBoto3<FlowResult>(rt, p.url, FLOW, { timeoutMs: 45_000 });
  assert.equal(r.dryRunMessage, 'Request would have succeeded, but DryRun flag is set.');
  assert.deepEqual(r.permissionPages, [5, 2]);
  assert.equal(r.serviceDetailsUnique, true);
  assert.ok(r.serviceDetailCount >= r.serviceNameCount && r.serviceNameCount > 10, JSON.stringify(r));
  assert.deepEqual(r.endpointPages, [1, 1]);
  assert.equal(r.acceptedState, 'available');
  assert.equal(r.rejectedState, 'rejected');
  assert.equal(r.connectionCount, 2);
  assert.equal(r.blockedCode, 'ExistingVpcEndpointConnections');
  assert.deepEqual(r.deleteUnsuccessful, [['vpce-0123456789abcdef0', 'InvalidVpcEndpoint.NotFound']]);
  assert.deepEqual(r.serviceDeleteUnsuccessful, []);
});

test('boto3: the DescribeVpcEndpointServices paginator yields each service name once', async (t) => {
  const rt = findBoto3();
  if (typeof rt === 'string') return t.skip(rt);
  const p = await startPrivlink(t);
  const names = await runBoto3<string[]>(
    rt,
    p.url,
    `emit(client('ec2', '${CONSUMER}').get_paginator('describe_vpc_endpoint_services')` +
      `.paginate(PaginationConfig={'PageSize': 5}).build_full_result()['ServiceNames'])`,
  );
  assert.deepEqual(names, [...new Set(names)]);
});
