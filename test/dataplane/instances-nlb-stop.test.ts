/**
 * NLB instance targets follow their instance's lifecycle with real traffic: two sandboxed
 * instances serve HTTP behind an NLB; requests keep flowing while one is stopped and none fails
 * (the NLB nodes drop the target before its sandbox goes); StopInstances makes the stopped one
 * `unused` (Target.InvalidState) and every request lands on the other; StartInstances brings it back to
 * healthy (its per-boot script restarts the server) and it carries traffic again.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  DescribeInstancesCommand,
  GetConsoleOutputCommand,
  RunInstancesCommand,
  StartInstancesCommand,
  StopInstancesCommand,
} from '@aws-sdk/client-ec2';
import { DescribeTargetHealthCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { createComponents, createDataplane } from '../../src/components.js';
import { netnsSkip } from '../helpers/netns.js';
import { ec2Client, elbClient, eventually, startPrivlink } from '../helpers/privlink.js';
import { NsHost } from './traffic-helpers.js';
import {
  FAST_HEALTH_CHECKS,
  networkLoadBalancer,
  nlbNodeIp,
  vpcWithSubnets,
} from './privatelink-builders.js';

const PREFIX = 'tsp';
const skip = await netnsSkip('NLB stopped-instance tests');

const SERVER_JS =
  "require('http').createServer((q,r)=>r.end(process.env.PRIVLINK_INSTANCE_ID)).listen(8080,'0.0.0.0')";
/** A per-boot script starts the server on every boot (user data itself runs on the first only). */
const USER_DATA = `#!/bin/sh
mkdir -p /var/lib/cloud/scripts/per-boot
cat > /var/lib/cloud/scripts/per-boot/web <<WEB
#!/bin/sh
nohup /usr/bin/node -e "${SERVER_JS}" >/var/log/web.log 2>&1 &
WEB
chmod 755 /var/lib/cloud/scripts/per-boot/web
/var/lib/cloud/scripts/per-boot/web
`;

test(
  'NLB: a stopped instance target is unused and carries nothing; after start it is healthy and serves',
  { skip, timeout: 120_000 },
  async (t) => {
    const dataDir = await mkdtemp(join(process.cwd(), '.privlink-nlbstop-'));
    const hosts: NsHost[] = [];
    const p = await startPrivlink(
      t,
      { dataplane: 'netns', netnsPrefix: PREFIX, ephemeral: false, dataDir, pendingMs: 50 },
      { dataplane: createDataplane, components: createComponents },
    );
    t.after(async () => {
      for (const h of hosts) await h.close();
      await p.close();
      await rm(dataDir, { recursive: true, force: true });
    });
    const ec2 = ec2Client(p);
    const elb = elbClient(p);
    const {
      vpcId,
      subnets: [subnetId],
    } = await vpcWithSubnets(ec2, '10.0.0.0/16', ['10.0.1.0/24']);
    const sg = await ec2.send(
      new CreateSecurityGroupCommand({ GroupName: 'web', Description: 'web', VpcId: vpcId }),
    );
    await ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: sg.GroupId,
        IpPermissions: [
          { IpProtocol: 'tcp', FromPort: 8080, ToPort: 8080, IpRanges: [{ CidrIp: '10.0.0.0/16' }] },
        ],
      }),
    );
    const run = await ec2.send(
      new RunInstancesCommand({
        ImageId: 'ami-0123456789abcdef0',
        MinCount: 2,
        MaxCount: 2,
        SubnetId: subnetId,
        SecurityGroupIds: [sg.GroupId ?? ''],
        UserData: Buffer.from(USER_DATA).toString('base64'),
      }),
    );
    const [a, b] = (run.Instances ?? []).map((i) => i.InstanceId ?? '');
    assert.ok(a && b);
    const { lbArn, tgArn } = await networkLoadBalancer(elb, {
      name: 'stop',
      vpcId,
      subnetId,
      targets: [a, b],
      targetType: 'instance',
      healthCheck: FAST_HEALTH_CHECKS,
    });
    const nodeIp = await nlbNodeIp(elb, lbArn);
    assert.ok(nodeIp);
    // The client sits in a subnet of its own: no instance can be given its address.
    await ec2.send(
      new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.0.2.0/24', AvailabilityZone: 'us-east-1a' }),
    );
    const client = await NsHost.create(`${PREFIX}-client`, `${PREFIX}-${vpcId}`, '10.0.2.200/24', '10.0.2.1');
    hosts.push(client);

    const health = async () => {
      const r = await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: tgArn }));
      return Object.fromEntries(
        (r.TargetHealthDescriptions ?? []).map((d) => [d.Target?.Id ?? '', d.TargetHealth]),
      );
    };
    const seenIn = async (n: number) => {
      const seen: string[] = [];
      for (let i = 0; i < n; i++) {
        const r = await client.http(nodeIp, 80, 1500);
        seen.push(r.body?.trim() ?? `error:${r.error ?? ''}`);
      }
      return seen;
    };
    await eventually(health, (h) => h[a]?.State === 'healthy' && h[b]?.State === 'healthy', {
      timeoutMs: 40_000,
      intervalMs: 500,
    }).catch(async (e: Error) => {
      const c = await ec2.send(new GetConsoleOutputCommand({ InstanceId: a }));
      const out = { stdout: Buffer.from(c.Output ?? '', 'base64').toString() };
      throw new Error(`${e.message}\n${out.stdout}`);
    });
    await eventually(
      () => seenIn(12),
      (s) => s.includes(a) && s.includes(b),
      { timeoutMs: 15_000, intervalMs: 200 },
    );

    // Stop b while requests keep flowing: none fails (the NLB nodes drop b before its sandbox
    // goes), b is unused at once, and from `stopped` on only a serves.
    let flowing = true;
    const failures: string[] = [];
    let sent = 0;
    const flow = (async () => {
      while (flowing) {
        const r = await client.http(nodeIp, 80, 1500);
        sent++;
        if (!r.body) failures.push(r.error ?? 'no body');
      }
    })();
    await new Promise((r) => setTimeout(r, 200));
    await ec2.send(new StopInstancesCommand({ InstanceIds: [b] }));
    const stopped = await health();
    assert.equal(stopped[b]?.State, 'unused');
    assert.equal(stopped[b]?.Reason, 'Target.InvalidState');
    await eventually(
      async () =>
        (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [b] }))).Reservations?.[0]?.Instances?.[0]
          ?.State?.Name,
      (s) => s === 'stopped',
      { timeoutMs: 10_000 },
    );
    await new Promise((r) => setTimeout(r, 2000));
    flowing = false;
    await flow;
    assert.ok(sent > 20, `requests kept flowing across the stop (${sent})`);
    assert.deepEqual(failures, [], `no request fails across the stop of ${b} (${failures.length}/${sent})`);
    assert.equal((await health())[b]?.Description, 'Target is in the stopped state');
    const during = await seenIn(12);
    assert.deepEqual(
      new Set(during),
      new Set([a]),
      `only ${a} serves while ${b} is stopped: ${during.join(' ')}`,
    );

    // Start b: healthy again after its server is back, and it carries traffic.
    await ec2.send(new StartInstancesCommand({ InstanceIds: [b] }));
    await eventually(health, (h) => h[b]?.State === 'healthy', { timeoutMs: 40_000, intervalMs: 500 });
    await eventually(
      () => seenIn(12),
      (s) => s.includes(a) && s.includes(b),
      { timeoutMs: 15_000, intervalMs: 200 },
    );
  },
);
