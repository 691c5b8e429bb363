/**
 * Instances in loopback mode (no namespaces, no root needed): user data runs on the host with
 * its own 127.100.x.y bind address and its own IMDS endpoint; termination stops it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateSubnetCommand,
  CreateVpcCommand,
  GetConsoleOutputCommand,
  RunInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { createComponents, createDataplane } from '../../src/components.js';
import { ec2Client, eventually, startPrivlink } from '../helpers/privlink.js';

interface InstanceView {
  bindIp: string;
  imds: string;
}

test('loopback instances: bind IP, IMDS endpoint, console, terminate', { timeout: 30_000 }, async (t) => {
  const p = await startPrivlink(
    t,
    { dataplane: 'loopback', netnsPrefix: 'tlo' },
    { dataplane: createDataplane, components: createComponents },
  );
  const ec2 = ec2Client(p);
  const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
  const sn = await ec2.send(
    new CreateSubnetCommand({
      VpcId: vpc.Vpc?.VpcId ?? '',
      CidrBlock: '10.0.1.0/24',
      AvailabilityZone: 'us-east-1a',
    }),
  );
  const js =
    "require('http').createServer((q,r)=>r.end('hi '+process.env.PRIVLINK_INSTANCE_ID)).listen(8080,process.env.PRIVLINK_BIND_IP,()=>console.log('listening'))";
  const script = `#!/bin/sh\necho imds=$AWS_EC2_METADATA_SERVICE_ENDPOINT\nexec ${process.execPath} -e "${js}"\n`;
  const r = await ec2.send(
    new RunInstancesCommand({
      ImageId: 'ami-0123456789abcdef0',
      MinCount: 1,
      MaxCount: 1,
      SubnetId: sn.Subnet?.SubnetId ?? '',
      UserData: Buffer.from(script).toString('base64'),
    }),
  );
  const id = r.Instances?.[0]?.InstanceId ?? '';
  const view = await eventually(
    () => {
      const h = p.health() as {
        components: {
          dataplane: { reconcilers: { instances: { instances: Record<string, InstanceView> } } };
        };
      };
      return h.components.dataplane.reconcilers.instances.instances[id];
    },
    (v) => v !== undefined,
  );
  assert.ok(view);
  assert.match(view.bindIp, /^127\.100\.\d+\.\d+$/);
  const body = await eventually(
    () => fetch(`http://${view.bindIp}:8080/`).then((x) => x.text()),
    (s) => s.length > 0,
  );
  assert.equal(body, `hi ${id}`);
  assert.equal(await (await fetch(`${view.imds}/latest/meta-data/instance-id`)).text(), id);
  const out = await ec2.send(new GetConsoleOutputCommand({ InstanceId: id }));
  assert.match(Buffer.from(out.Output ?? '', 'base64').toString(), /imds=http:\/\/127\.100\./);

  await ec2.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
  await eventually(
    () =>
      fetch(`http://${view.bindIp}:8080/`).then(
        () => 'up',
        () => 'down',
      ),
    (s) => s === 'down',
  );
});
