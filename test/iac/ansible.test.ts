/**
 * Debian's `ansible` (amazon.aws 5.5, community.aws 5.5) runs real playbooks against privlink
 * through `endpoint_url`, as users of infrastructure code do. A failed task fails the test.
 * Without ansible-playbook the file is skipped with the reason, except under CI=true, where
 * `.ci/run` installs it and a missing one is a failure.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CreateSubnetCommand,
  CreateVpcCommand,
  CreateVpcEndpointServiceConfigurationCommand,
  ModifyVpcEndpointServicePermissionsCommand,
} from '@aws-sdk/client-ec2';
import { CreateLoadBalancerCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { CONSUMER, ec2Client, elbClient, startPrivlink } from '../helpers/privlink.js';
import type { Privlink } from '../../src/emulator.js';
import { ANSIBLE as MODULES, splitCall } from '../../scripts/iac-calls.js';
import { recordActions } from './action-recorder.js';

const PLAYBOOKS = join(dirname(fileURLToPath(import.meta.url)), 'playbooks');
const ANSIBLE = '/usr/bin/ansible-playbook';
const missing = !existsSync(ANSIBLE);
if (missing && process.env['CI'] === 'true') {
  test('ansible-playbook is installed under CI=true', () => {
    assert.fail(`${ANSIBLE} is missing: scripts/install-deps.sh installs the Debian package ansible`);
  });
} else if (missing) {
  console.log(`# skipping Ansible playbooks: ${ANSIBLE} is missing (Debian package ansible)`);
}

function runPlaybook(
  file: string,
  endpoint: string,
  vars: Record<string, string> = {},
): Promise<{ code: number; output: string }> {
  const extra = Object.entries(vars).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
  return new Promise((resolve) => {
    execFile(
      ANSIBLE,
      ['-i', 'localhost,', '-c', 'local', '-e', `endpoint=${endpoint}`, ...extra, join(PLAYBOOKS, file)],
      {
        timeout: 180_000,
        maxBuffer: 16 * 1024 * 1024,
        env: {
          PATH: '/usr/bin:/bin',
          HOME: process.env['HOME'] ?? '/tmp',
          ANSIBLE_NOCOLOR: '1',
          ANSIBLE_PYTHON_INTERPRETER: '/usr/bin/python3',
          ANSIBLE_LOCALHOST_WARNING: 'false',
          ANSIBLE_INVENTORY_UNPARSED_WARNING: 'false',
          AWS_EC2_METADATA_DISABLED: 'true',
          AWS_CONFIG_FILE: '/dev/null',
          AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
        },
      },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, output: `${stdout}\n${stderr}` });
      },
    );
  });
}

/** Every action the modules may call (scripts/iac-calls.ts), as the wire names them. */
const DOCUMENTED = new Set(MODULES.flatMap((m) => m.calls.map((c) => splitCall(c).action)));

/** An endpoint service of the provider account (NLB behind it), open to the consumer account. */
async function providerService(p: Privlink): Promise<string> {
  const ec2 = ec2Client(p);
  const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.9.0.0/16' }));
  const subnet = await ec2.send(
    new CreateSubnetCommand({
      VpcId: vpc.Vpc?.VpcId,
      CidrBlock: '10.9.1.0/24',
      AvailabilityZone: 'us-east-1a',
    }),
  );
  const lb = await elbClient(p).send(
    new CreateLoadBalancerCommand({
      Name: 'svc-nlb',
      Type: 'network',
      Scheme: 'internal',
      Subnets: [subnet.Subnet?.SubnetId ?? ''],
    }),
  );
  const svc = await ec2.send(
    new CreateVpcEndpointServiceConfigurationCommand({
      AcceptanceRequired: false,
      NetworkLoadBalancerArns: [lb.LoadBalancers?.[0]?.LoadBalancerArn ?? ''],
    }),
  );
  const id = svc.ServiceConfiguration?.ServiceId ?? '';
  await ec2.send(
    new ModifyVpcEndpointServicePermissionsCommand({
      ServiceId: id,
      AddAllowedPrincipals: [`arn:aws:iam::${CONSUMER}:root`],
    }),
  );
  return svc.ServiceConfiguration?.ServiceName ?? '';
}

const PLAYBOOK_CASES: { file: string; prepare?: (p: Privlink) => Promise<Record<string, string>> }[] = [
  { file: 'network.yml' },
  { file: 'load-balancer.yml' },
  { file: 'instances.yml' },
  { file: 'interface-endpoint.yml', prepare: async (p) => ({ service_name: await providerService(p) }) },
];

for (const { file, prepare } of PLAYBOOK_CASES) {
  test(`ansible-playbook ${file} runs without a failed task`, { skip: missing }, async (t) => {
    const p = await startPrivlink(t);
    const vars = prepare ? await prepare(p) : {};
    const recorder = await recordActions(p.url);
    t.after(() => recorder.close());
    const { code, output } = await runPlaybook(file, recorder.url, vars);
    const recap = /localhost\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)/.exec(output);
    assert.equal(code, 0, output.slice(-6000));
    assert.ok(recap, `no play recap in the output:\n${output.slice(-3000)}`);
    assert.equal(recap[4], '0', output.slice(-6000));
    assert.ok(Number(recap[1]) >= 10, `only ${recap[1]} tasks ran`);
    // Every playbook starts with ec2_vpc_net, so its lookup went through the recorder.
    assert.ok(recorder.actions.includes('DescribeVpcs'), 'the playbook went through the recording proxy');
    const undocumented = [...new Set(recorder.actions)].filter((a) => !DOCUMENTED.has(a));
    assert.deepEqual(undocumented, [], 'calls missing from scripts/iac-calls.ts (docs/compat.md)');
  });
}
