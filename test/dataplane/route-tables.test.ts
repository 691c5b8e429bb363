/**
 * Route tables act per subnet in real namespaces: a subnet's associated table (else the main
 * one) decides where its packets go; a route more specific than the VPC CIDR sends part of
 * another subnet through an instance; moving the main association, disassociating and a target
 * going away (blackhole) all change the path. Hosts a, b, b2 are namespaces on the VPC bridge;
 * the middlebox is a real instance whose forwarding the test switches on and off.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AssociateRouteTableCommand,
  CreateRouteCommand,
  CreateRouteTableCommand,
  DescribeRouteTablesCommand,
  DisassociateRouteTableCommand,
  ReplaceRouteTableAssociationCommand,
  RunInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { createComponents, createDataplane } from '../../src/components.js';
import { run } from '../../src/dataplane/netns/run.js';
import { ec2Client, eventually, startPrivlink } from '../helpers/privlink.js';
import { netnsSkip } from '../helpers/netns.js';
import { VpcHosts, pings } from './traffic-helpers.js';
import { vpcWithSubnets } from './privatelink-builders.js';

const PREFIX = 'trt';
const skip = await netnsSkip('route table tests');

test(
  'route tables per subnet: more specific routes, associated vs main table, blackhole',
  { skip, timeout: 60_000 },
  async (t) => {
    // Registered first so it runs first: the hosts go before privlink sweeps their namespaces.
    const hosts = new VpcHosts(t, PREFIX);
    const p = await startPrivlink(
      t,
      { dataplane: 'netns', netnsPrefix: PREFIX },
      { dataplane: createDataplane, components: createComponents },
    );
    const ec2 = ec2Client(p);
    const {
      vpcId,
      subnets: [sA, , sC],
    } = await vpcWithSubnets(ec2, '10.0.0.0/16', ['10.0.1.0/24', '10.0.2.0/24', '10.0.3.0/24']);
    const r = await ec2.send(
      new RunInstancesCommand({
        ImageId: 'ami-0123456789abcdef0',
        MinCount: 1,
        MaxCount: 1,
        SubnetId: sC,
        PrivateIpAddress: '10.0.3.20',
      }),
    );
    const mId = r.Instances?.[0]?.InstanceId ?? '';
    const mNs = `${PREFIX}-${mId}`;
    const vpcNs = `${PREFIX}-${vpcId}`;
    await eventually(
      () =>
        run(['ip', '-n', mNs, 'addr', 'show', 'dev', 'eth0']).then(
          (x) => x.stdout,
          () => '',
        ),
      (s) => s.includes('10.0.3.20'),
      { timeoutMs: 20_000 },
    );
    const a = await hosts.add('ha', vpcId, '10.0.1.10/24', '10.0.1.1');
    const b = await hosts.add('hb', vpcId, '10.0.2.10/24', '10.0.2.1');
    const b2 = await hosts.add('hb2', vpcId, '10.0.2.200/24', '10.0.2.1');
    await b.serve('10.0.2.10', 8080, 'b');
    await b2.serve('10.0.2.200', 8080, 'b2');
    const reaches = async (ip: string) => (await a.http(ip, 8080, 800)).body !== undefined;
    /** The middlebox forwards what it gets straight to subnet B (on-link), or drops it. */
    const forwarding = async (on: boolean) => {
      await run(['ip', 'netns', 'exec', mNs, 'sysctl', '-qw', `net.ipv4.ip_forward=${on ? 1 : 0}`]);
      if (on) await run(['ip', '-n', mNs, 'route', 'replace', '10.0.2.0/24', 'dev', 'eth0']);
    };

    // Main table only: the local route carries everything inside the VPC.
    assert.equal(await reaches('10.0.2.10'), true);
    assert.equal(await reaches('10.0.2.200'), true);
    assert.equal(await pings(`${PREFIX}-ha`, '10.0.2.10'), true);

    // A's own table sends the upper half of B (more specific than the VPC CIDR) to the instance.
    const rt = await ec2.send(new CreateRouteTableCommand({ VpcId: vpcId }));
    const rtbId = rt.RouteTable?.RouteTableId ?? '';
    await ec2.send(
      new CreateRouteCommand({ RouteTableId: rtbId, DestinationCidrBlock: '10.0.2.128/25', InstanceId: mId }),
    );
    const assoc = await ec2.send(new AssociateRouteTableCommand({ RouteTableId: rtbId, SubnetId: sA }));
    await forwarding(false);
    await eventually(
      () => reaches('10.0.2.200'),
      (ok) => !ok,
    );
    assert.equal(await reaches('10.0.2.10'), true, 'the rest of B stays local');
    await forwarding(true);
    assert.equal(
      await eventually(
        () => reaches('10.0.2.200'),
        (ok) => ok,
      ),
      true,
      'through the middlebox',
    );
    const fwd = await run(['ip', 'netns', 'exec', mNs, 'nstat', '-az', 'IpForwDatagrams']);
    assert.match(fwd.stdout, /IpForwDatagrams\s+[1-9]/, 'the instance forwarded the flow');

    // Back to the main table: direct again, whatever the middlebox does.
    await forwarding(false);
    await ec2.send(new DisassociateRouteTableCommand({ AssociationId: assoc.AssociationId ?? '' }));
    assert.equal(
      await eventually(
        () => reaches('10.0.2.200'),
        (ok) => ok,
      ),
      true,
    );

    // The table becomes the main one: A (no explicit association) follows it.
    const tables = await ec2.send(
      new DescribeRouteTablesCommand({
        Filters: [
          { Name: 'vpc-id', Values: [vpcId] },
          { Name: 'association.main', Values: ['true'] },
        ],
      }),
    );
    const mainAssoc =
      tables.RouteTables?.[0]?.Associations?.find((x) => x.Main)?.RouteTableAssociationId ?? '';
    await ec2.send(
      new ReplaceRouteTableAssociationCommand({ AssociationId: mainAssoc, RouteTableId: rtbId }),
    );
    await eventually(
      () => reaches('10.0.2.200'),
      (ok) => !ok,
    );
    await forwarding(true);
    assert.equal(
      await eventually(
        () => reaches('10.0.2.200'),
        (ok) => ok,
      ),
      true,
    );

    // The target goes away: the route is a blackhole and drops.
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [mId] }));
    await eventually(
      () => reaches('10.0.2.200'),
      (ok) => !ok,
      { timeoutMs: 15_000 },
    );
    const all = await run(['ip', '-n', vpcNs, 'route', 'show', 'table', 'all']);
    assert.match(all.stdout, /blackhole 10\.0\.2\.128\/25 table \d+/);
    assert.equal(await reaches('10.0.2.10'), true);
    const status = JSON.stringify(p.health());
    assert.match(status, /"route-tables":\{"vpcs":1,"tables":1,"rules":3,"routes":2\}/);
  },
);
