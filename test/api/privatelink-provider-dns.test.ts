import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateVpcEndpointServiceConfigurationCommand,
  DescribeVpcEndpointServiceConfigurationsCommand,
  ModifyVpcEndpointServiceConfigurationCommand,
  StartVpcEndpointServicePrivateDnsVerificationCommand,
  type EC2Client,
} from '@aws-sdk/client-ec2';
import { PROVIDER, ec2Client, eventually, expectAwsError, startPrivlink } from '../helpers/privlink.js';
import { startAuthDns } from '../helpers/auth-dns.js';
import { seedLoadBalancer } from './privatelink-provider-fixtures.js';
import { lookupTxt } from '../../src/adapters/dns-client.js';
import { parseLoopbackHostPort } from '../../src/adapters/host-port.js';

const parseLoopbackResolver = (spec: string) => parseLoopbackHostPort(spec, { allowIpv6: true });

async function dnsConfig(ec2: EC2Client, id: string) {
  const out = await ec2.send(new DescribeVpcEndpointServiceConfigurationsCommand({ ServiceIds: [id] }));
  return out.ServiceConfigurations?.[0]?.PrivateDnsNameConfiguration;
}

async function createWithName(ec2: EC2Client, nlb: string, name: string) {
  const out = await ec2.send(
    new CreateVpcEndpointServiceConfigurationCommand({
      NetworkLoadBalancerArns: [nlb],
      PrivateDnsName: name,
    }),
  );
  const cfg = out.ServiceConfiguration;
  const rec = cfg?.PrivateDnsNameConfiguration;
  assert.ok(cfg?.ServiceId && rec?.Name && rec.Value);
  return { id: cfg.ServiceId, recordName: rec.Name, value: rec.Value };
}

test('static zone server answers TXT over UDP and TCP, NXDOMAIN otherwise', async (t) => {
  const dns = await startAuthDns(t, { records: { 'a.example.com': { TXT: ['hello'], A: ['10.1.2.3'] } } });
  const r = parseLoopbackResolver(dns.resolverAddress);
  assert.deepEqual(await lookupTxt(r, 'A.Example.com', { id: 7 }), { status: 'ok', values: ['hello'] });
  assert.deepEqual(await lookupTxt(r, 'b.example.com'), { status: 'nxdomain' });
  dns.setTxt('b.example.com', ['x', 'y']);
  assert.deepEqual(await lookupTxt(r, 'b.example.com'), { status: 'ok', values: ['x', 'y'] });
  assert.ok(dns.queries.every((q) => q.transport === 'udp'));

  const tcp = await startAuthDns(t, {
    truncateUdp: true,
    records: { 'c.example.com': { TXT: ['via-tcp'] } },
  });
  const rt = parseLoopbackResolver(tcp.resolverAddress);
  assert.deepEqual(await lookupTxt(rt, 'c.example.com'), { status: 'ok', values: ['via-tcp'] });
  assert.deepEqual(
    tcp.queries.map((q) => q.transport),
    ['udp', 'tcp'],
  );
  assert.throws(() => parseLoopbackResolver('8.8.8.8:53'), /not a loopback address/);
  assert.throws(() => parseLoopbackResolver('nonsense'), /HOST:PORT/);
});

test('private DNS verification: TXT record verifies; Start re-checks; wrong value fails', async (t) => {
  const dns = await startAuthDns(t);
  const p = await startPrivlink(t, { verificationResolver: dns.resolverAddress });
  const ec2 = ec2Client(p, { account: PROVIDER });
  const { id, recordName, value } = await createWithName(ec2, seedLoadBalancer(p), 'api.example.com');

  // No record published yet: the automatic check after create fails.
  await eventually(
    () => dnsConfig(ec2, id),
    (c) => c?.State === 'failed',
  );
  dns.setTxt(`${recordName}.api.example.com`, ['unrelated', value]);
  const out = await ec2.send(new StartVpcEndpointServicePrivateDnsVerificationCommand({ ServiceId: id }));
  assert.equal(out.ReturnValue, true);
  const verified = await eventually(
    () => dnsConfig(ec2, id),
    (c) => c?.State === 'verified',
  );
  assert.equal(verified?.Value, value);

  // A value that differs (even in case only) fails.
  dns.setTxt(`${recordName}.api.example.com`, [
    value.toUpperCase() === value ? value + 'x' : value.toUpperCase(),
  ]);
  await ec2.send(new StartVpcEndpointServicePrivateDnsVerificationCommand({ ServiceId: id }));
  await eventually(
    () => dnsConfig(ec2, id),
    (c) => c?.State === 'failed',
  );

  // Changing the name restarts verification with a new record; the apex form is accepted too.
  await ec2.send(
    new ModifyVpcEndpointServiceConfigurationCommand({ ServiceId: id, PrivateDnsName: 'svc.example.org' }),
  );
  const fresh = await dnsConfig(ec2, id);
  assert.notEqual(fresh?.Name, recordName);
  dns.setTxt('svc.example.org', [fresh?.Value ?? '']);
  await ec2.send(new StartVpcEndpointServicePrivateDnsVerificationCommand({ ServiceId: id }));
  await eventually(
    () => dnsConfig(ec2, id),
    (c) => c?.State === 'verified',
  );
});

test('private DNS verification: wildcard names verify at the parent domain, over TCP when UDP is truncated', async (t) => {
  const dns = await startAuthDns(t, { truncateUdp: true });
  const p = await startPrivlink(t, { verificationResolver: dns.resolverAddress });
  const ec2 = ec2Client(p, { account: PROVIDER });
  const nlb = seedLoadBalancer(p);
  const pre = await createWithName(ec2, nlb, '*.wild.example.com');
  dns.setTxt(`${pre.recordName}.wild.example.com`, [pre.value]);
  await ec2.send(new StartVpcEndpointServicePrivateDnsVerificationCommand({ ServiceId: pre.id }));
  await eventually(
    () => dnsConfig(ec2, pre.id),
    (c) => c?.State === 'verified',
  );
  assert.ok(
    dns.queries.some((q) => q.transport === 'tcp'),
    'truncated UDP answers fall back to TCP',
  );
});

test('private DNS verification: without a resolver it fails; Start needs a private DNS name', async (t) => {
  const p = await startPrivlink(t);
  const ec2 = ec2Client(p, { account: PROVIDER });
  const { id } = await createWithName(ec2, seedLoadBalancer(p), 'api.example.com');
  await eventually(
    () => dnsConfig(ec2, id),
    (c) => c?.State === 'failed',
  );
  const plain = await ec2.send(
    new CreateVpcEndpointServiceConfigurationCommand({ NetworkLoadBalancerArns: [seedLoadBalancer(p)] }),
  );
  await expectAwsError(
    ec2.send(
      new StartVpcEndpointServicePrivateDnsVerificationCommand({
        ServiceId: plain.ServiceConfiguration?.ServiceId,
      }),
    ),
    'InvalidParameter',
    400,
  );
  await expectAwsError(
    ec2.send(
      new StartVpcEndpointServicePrivateDnsVerificationCommand({ ServiceId: 'vpce-svc-00000000000000abc' }),
    ),
    'InvalidVpcEndpointServiceId.NotFound',
    400,
  );
  await expectAwsError(
    ec2.send(new StartVpcEndpointServicePrivateDnsVerificationCommand({ ServiceId: id, DryRun: true })),
    'DryRunOperation',
    412,
  );
});
