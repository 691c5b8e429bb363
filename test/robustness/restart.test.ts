/**
 * Restart persistence with a file data dir: a full provider/consumer world survives a close and
 * a new Privlink on the same directory with identical Describe outputs (IDs, states, DNS names,
 * ENI IPs, tags, permissions, ELB resources) and an identical store; transitions that were
 * pending at shutdown complete after the restart; schema_version refuses a newer database.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import {
  AcceptVpcEndpointConnectionsCommand,
  DeleteVpcEndpointsCommand,
  DescribeInstancesCommand,
  DescribeNetworkInterfacesCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeTagsCommand,
  DescribeVpcEndpointConnectionNotificationsCommand,
  DescribeVpcEndpointConnectionsCommand,
  DescribeVpcEndpointServiceConfigurationsCommand,
  DescribeVpcEndpointServicePermissionsCommand,
  DescribeVpcEndpointServicesCommand,
  DescribeVpcEndpointsCommand,
  DescribeVpcsCommand,
} from '@aws-sdk/client-ec2';
import {
  DescribeListenersCommand,
  DescribeLoadBalancersCommand,
  DescribeTagsCommand as DescribeElbTagsCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { Privlink } from '../../src/emulator.js';
import { ManualClock } from '../../src/shared/clock.js';
import { CONSUMER, PROVIDER, ec2Client, elbClient, startPrivlink } from '../helpers/privlink.js';
import { snapshot } from './harness.js';
import { buildWorld, type World } from './world.js';

const PENDING_MS = 300;

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'privlink-restart-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Every Describe a client would make, from both accounts, without $metadata. */
async function describeAll(p: Privlink, w: World): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const account of [PROVIDER, CONSUMER]) {
    const ec2 = ec2Client(p, { account });
    const calls: [string, Promise<object>][] = [
      ['vpcs', ec2.send(new DescribeVpcsCommand({}))],
      ['subnets', ec2.send(new DescribeSubnetsCommand({}))],
      ['groups', ec2.send(new DescribeSecurityGroupsCommand({}))],
      ['routeTables', ec2.send(new DescribeRouteTablesCommand({}))],
      ['enis', ec2.send(new DescribeNetworkInterfacesCommand({}))],
      ['instances', ec2.send(new DescribeInstancesCommand({}))],
      ['tags', ec2.send(new DescribeTagsCommand({}))],
      ['endpoints', ec2.send(new DescribeVpcEndpointsCommand({}))],
      ['services', ec2.send(new DescribeVpcEndpointServicesCommand({}))],
      ['serviceConfigs', ec2.send(new DescribeVpcEndpointServiceConfigurationsCommand({}))],
      ['connections', ec2.send(new DescribeVpcEndpointConnectionsCommand({}))],
      ['notifications', ec2.send(new DescribeVpcEndpointConnectionNotificationsCommand({}))],
    ];
    if (account === PROVIDER) {
      const elb = elbClient(p, { account });
      calls.push(
        [
          'permissions',
          ec2.send(new DescribeVpcEndpointServicePermissionsCommand({ ServiceId: w.serviceId })),
        ],
        ['loadBalancers', elb.send(new DescribeLoadBalancersCommand({}))],
        ['targetGroups', elb.send(new DescribeTargetGroupsCommand({}))],
        ['listeners', elb.send(new DescribeListenersCommand({ LoadBalancerArn: w.lbArn }))],
        ['targetHealth', elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: w.tgArn }))],
        [
          'elbTags',
          elb.send(new DescribeElbTagsCommand({ ResourceArns: [w.lbArn, w.tgArn, w.listenerArn] })),
        ],
      );
    }
    for (const [name, call] of calls) {
      const { $metadata: _, ...rest } = (await call) as { $metadata?: unknown };
      out[`${account}:${name}`] = rest;
    }
  }
  return out;
}

const endpointState = async (p: Privlink, id: string) =>
  (await ec2Client(p, { account: CONSUMER }).send(new DescribeVpcEndpointsCommand({ VpcEndpointIds: [id] })))
    .VpcEndpoints?.[0]?.State;

test('a restart on the same data dir keeps everything and finishes pending transitions', async (t) => {
  const dataDir = tempDir(t);
  const clock1 = new ManualClock(Date.UTC(2026, 0, 1));
  const p1 = await startPrivlink(t, { ephemeral: false, dataDir, pendingMs: PENDING_MS }, { clock: clock1 });
  const w = await buildWorld(p1);
  clock1.advance(PENDING_MS);
  assert.equal(await endpointState(p1, w.endpointId), 'available');
  // In flight at shutdown: one accepted (pending), one deleted by its owner (deleting).
  const prov = ec2Client(p1, { account: PROVIDER });
  await prov.send(
    new AcceptVpcEndpointConnectionsCommand({
      ServiceId: w.serviceId,
      VpcEndpointIds: [w.waitingEndpointId],
    }),
  );
  await ec2Client(p1, { account: CONSUMER }).send(
    new DeleteVpcEndpointsCommand({ VpcEndpointIds: [w.endpointId] }),
  );
  assert.equal(await endpointState(p1, w.waitingEndpointId), 'pending');
  assert.equal(await endpointState(p1, w.endpointId), 'deleting');
  const before = await describeAll(p1, w);
  const storeBefore = snapshot(p1);
  await p1.close();

  const clock2 = new ManualClock(clock1.now());
  const p2 = await startPrivlink(t, { ephemeral: false, dataDir, pendingMs: PENDING_MS }, { clock: clock2 });
  assert.equal(snapshot(p2), storeBefore, 'the store reloads byte for byte, in creation order');
  assert.deepEqual(await describeAll(p2, w), before);

  // The transitions that were due resume on the new instance's clock.
  clock2.advance(PENDING_MS);
  assert.equal(await endpointState(p2, w.waitingEndpointId), 'available');
  assert.equal(await endpointState(p2, w.endpointId), 'deleted');
  const enis = await ec2Client(p2, { account: CONSUMER }).send(
    new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'interface-type', Values: ['vpc_endpoint'] }] }),
  );
  const waiting = p2.store.find('vpcEndpoint', w.waitingEndpointId);
  assert.deepEqual(
    (enis.NetworkInterfaces ?? []).map((e) => e.NetworkInterfaceId).sort(),
    [...(waiting?.networkInterfaceIds ?? [])].sort(),
    "the deleted endpoint's ENIs are gone, the other's kept",
  );
  await p2.close();

  // A third start sees the completed transitions too (written through, not only in memory).
  const p3 = await startPrivlink(t, { ephemeral: false, dataDir, pendingMs: PENDING_MS }, { clock: clock2 });
  assert.equal(await endpointState(p3, w.waitingEndpointId), 'available');
  assert.equal(await endpointState(p3, w.endpointId), 'deleted');
});

test('a transition that fell due while privlink was down completes at start-up', async (t) => {
  const dataDir = tempDir(t);
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const p1 = await startPrivlink(t, { ephemeral: false, dataDir, pendingMs: PENDING_MS }, { clock });
  const w = await buildWorld(p1);
  await p1.close();
  clock.advance(10 * PENDING_MS); // time passes while nothing runs
  const p2 = await startPrivlink(t, { ephemeral: false, dataDir, pendingMs: PENDING_MS }, { clock });
  clock.advance(0);
  assert.equal(await endpointState(p2, w.endpointId), 'available');
  assert.equal(await endpointState(p2, w.waitingEndpointId), 'pendingAcceptance');
});

test('schema_version guards against a database from a newer privlink, and leaves it untouched', async (t) => {
  const dataDir = tempDir(t);
  const p1 = await startPrivlink(t, { ephemeral: false, dataDir });
  await buildWorld(p1);
  const storeBefore = snapshot(p1);
  await p1.close();
  const file = join(dataDir, 'privlink.db');
  const db = new Database(file);
  db.prepare('INSERT INTO schema_version (version) VALUES (?)').run(9999);
  db.close();
  assert.throws(
    () =>
      new Privlink({ ephemeral: false, dataDir, port: 0, dataplane: 'off', dnsPort: -1, logLevel: 'silent' }),
    /schema version 9999, newer than this privlink/,
  );
  const again = new Database(file);
  again.prepare('DELETE FROM schema_version WHERE version = 9999').run();
  again.close();
  const p2 = await startPrivlink(t, { ephemeral: false, dataDir });
  assert.equal(snapshot(p2), storeBefore, 'the refused start changed nothing');
});

test('a data dir holding something that is not a database fails with a clear error', (t) => {
  const dataDir = tempDir(t);
  writeFileSync(join(dataDir, 'privlink.db'), 'this is not sqlite'.repeat(100));
  assert.throws(
    () =>
      new Privlink({ ephemeral: false, dataDir, port: 0, dataplane: 'off', dnsPort: -1, logLevel: 'silent' }),
    /not a database|file is not a database/i,
  );
});
