/**
 * Loopback mode's lasting data-plane failure: a host process holds 0.0.0.0:P (as a host-process
 * instance whose user data binds every address would), so the endpoint ENI's listener on
 * 127.77.x.y:P cannot open. The failure is logged once with its cause and remedy (not on every
 * retry), shows in `privlink status` while it lasts, and clears (logged once more) when the port
 * is free again. The status also says that loopback mode does not sandbox instances.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { CreateVpcEndpointCommand, CreateVpcEndpointServiceConfigurationCommand } from '@aws-sdk/client-ec2';
import { createComponents, createDataplane } from '../../src/components.js';
import { createLogger } from '../../src/shared/logger.js';
import { PROVIDER, ec2Client, elbClient, eventually, startPrivlink } from '../helpers/privlink.js';
import { networkLoadBalancer, vpcWithSubnets } from './privatelink-builders.js';

const exec = promisify(execFile);

async function statusText(url: string): Promise<string> {
  const r = await exec(process.execPath, ['bin/privlink.js', 'status', '--endpoint-url', url], {
    env: { ...process.env, AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '' },
  });
  return r.stdout;
}

test(
  'loopback mode: a port held by a host process is logged once, shown in status, and clears',
  { timeout: 60_000 },
  async (t) => {
    // Hold 0.0.0.0:P first, as a host-process instance listening on every address would.
    const squatter = net.createServer();
    await new Promise<void>((resolve) => squatter.listen({ host: '0.0.0.0', port: 0 }, () => resolve()));
    const port = (squatter.address() as net.AddressInfo).port;
    t.after(() => squatter.close());
    const lines: string[] = [];
    const p = await startPrivlink(
      t,
      { dataplane: 'loopback', pendingMs: 20 },
      {
        dataplane: createDataplane,
        components: createComponents,
        logger: createLogger('info', (l) => lines.push(l)),
      },
    );
    assert.ok(
      lines.some((l) => /loopback mode: instances run as host processes without a sandbox/.test(l)),
      'start-up says loopback mode cannot sandbox',
    );
    const ec2 = ec2Client(p, { account: PROVIDER });
    const elb = elbClient(p, { account: PROVIDER });
    const {
      vpcId,
      subnets: [subnetId],
    } = await vpcWithSubnets(ec2, '127.0.0.0/16', ['127.0.1.0/24']);
    const { lbArn } = await networkLoadBalancer(elb, {
      name: 'lo',
      vpcId,
      subnetId,
      targets: [],
      ports: [port],
    });
    const svc = await ec2.send(
      new CreateVpcEndpointServiceConfigurationCommand({
        NetworkLoadBalancerArns: [lbArn],
        AcceptanceRequired: false,
      }),
    );
    await ec2.send(
      new CreateVpcEndpointCommand({
        VpcEndpointType: 'Interface',
        VpcId: vpcId,
        ServiceName: svc.ServiceConfiguration?.ServiceName ?? '',
        SubnetIds: [subnetId],
      }),
    );
    const failures = () => lines.filter((l) => /reconcile step \S+ failed/.test(l));
    await eventually(failures, (f) => f.length > 0, { timeoutMs: 10_000 });
    // Retries go on (0.25 s doubling to 5 s): after 9 s there have been several.
    const passes0 = (p.health() as { components: { dataplane: { passes: number } } }).components.dataplane
      .passes;
    await new Promise((r) => setTimeout(r, 9_000));
    const passes1 = (p.health() as { components: { dataplane: { passes: number } } }).components.dataplane
      .passes;
    assert.ok(passes1 >= passes0 + 2, `the data plane kept retrying (${passes0} → ${passes1})`);
    assert.equal(failures().length, 1, `logged once, not per retry:\n${failures().join('\n')}`);
    assert.match(failures()[0] ?? '', new RegExp(`EADDRINUSE.*holds port ${port}.*PRIVLINK_BIND_IP`));

    const status = await statusText(p.url);
    assert.match(status, /dataplane: loopback/);
    assert.match(status, /sandbox: {3}none: loopback mode/);
    assert.match(status, new RegExp(`FAILING: {3}\\S+: .*EADDRINUSE.*holds port ${port}`));

    // The port is freed: the next retry opens the listener; recovery is logged once, status clears.
    await new Promise<void>((resolve) => squatter.close(() => resolve()));
    await eventually(
      () => lines.filter((l) => /recovered/.test(l)).length,
      (n) => n === 1,
      { timeoutMs: 10_000 },
    );
    assert.doesNotMatch(await statusText(p.url), /FAILING/);
  },
);
