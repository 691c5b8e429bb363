import { test } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger } from '../../shared/logger.js';
import { renderCommands } from '../netns/commands.js';
import { RecordingRunner } from '../netns/recording-runner.js';
import { assertGolden } from '../testing/golden.js';
import { AddressPool } from './address-pool.js';
import { buildEniNamespace, eniNamespacePlan, type EniNamespaceSpec } from './eni-namespace.js';
import { DEFAULT_FABRIC_CIDR, Fabric, fabricAttachment, fabricCidrProblem, fabricPlan } from './fabric.js';

test('fabric range: link-local only, so no VPC CIDR AWS allows can collide', () => {
  assert.equal(fabricCidrProblem(DEFAULT_FABRIC_CIDR), undefined);
  assert.equal(fabricCidrProblem('169.254.64.0/18'), undefined);
  assert.equal(fabricCidrProblem('169.254.200.0/24'), undefined);
  // The old default: VPCs may use 100.64.0.0/10.
  assert.match(fabricCidrProblem('100.64.0.0/16') ?? '', /inside 169\.254\.0\.0\/16/);
  assert.match(fabricCidrProblem('10.255.0.0/16') ?? '', /inside 169\.254\.0\.0\/16/);
  assert.match(fabricCidrProblem('169.254.0.0/16') ?? '', /\/17 to \/24/);
  assert.match(fabricCidrProblem('169.254.0.0/25') ?? '', /\/17 to \/24/);
  assert.match(fabricCidrProblem('169.254.128.0/17') ?? '', /169\.254\.169\.0\/24/);
  assert.ok(fabricCidrProblem('not-a-cidr'));
  assert.throws(() => new Fabric(new RecordingRunner(), 'pl', '100.64.0.0/16', silentLogger), /169\.254/);
});

test('fabric set-up (golden) and its application through the runner', async () => {
  const plan = fabricPlan('pl', new AddressPool(DEFAULT_FABRIC_CIDR));
  assert.equal(plan.agentAddress, '169.254.0.1');
  assert.equal(plan.healthAddress, '169.254.0.2');
  assertGolden(import.meta.url, 'fabric-namespace.txt', renderCommands(plan.setup));

  const runner = new RecordingRunner().on('ip netns pids', { stdout: '' });
  const fabric = new Fabric(runner, 'pl', DEFAULT_FABRIC_CIDR, silentLogger);
  await Promise.all([fabric.ensure(), fabric.ensure()]);
  await fabric.ensure();
  assert.ok(fabric.isUp);
  assert.deepEqual(
    runner.calls.map((c) => c.argv.join(' ')),
    [
      'ip netns pids pl-fabric',
      'ip netns delete pl-fabric',
      'ip netns add pl-fabric',
      ...plan.setup.map((c) => c.argv.join(' ')),
    ],
    'built once, however many callers',
  );
});

const spec: EniNamespaceSpec = {
  namespace: 'pl-eni-1',
  vpcNamespace: 'pl-vpc-a',
  fabricNamespace: 'pl-fabric',
  vpcLeg: 'c',
  vpcPeer: 'e-0123456789ab',
  mac: '0a:11:22:33:44:55',
  privateIp: '10.0.1.20',
  subnetCidr: '10.0.1.0/24',
  fabric: fabricAttachment('pl-fabric', 17, 'pl-eni-1', 'eni-1', '169.254.0.11'),
};

test('ENI namespace set-up, shared by endpoint ENIs and NLB nodes (golden)', () => {
  assertGolden(import.meta.url, 'eni-namespace.txt', renderCommands(eniNamespacePlan(spec)));
  const noMac = renderCommands(eniNamespacePlan({ ...spec, mac: undefined }));
  assert.doesNotMatch(noMac, /link set c address/);
});

test('a failed ENI namespace set-up removes the half-built namespace', async () => {
  const runner = new RecordingRunner().on('ip -n pl-fabric -batch', {
    fail: 'RTNETLINK answers: File exists',
  });
  await assert.rejects(buildEniNamespace(runner, spec), /File exists/);
  const argvs = runner.calls.map((c) => c.argv.join(' '));
  assert.equal(argvs[argvs.length - 1], 'ip netns delete pl-eni-1');
  assert.ok(!argvs.some((a) => a.includes('sysctl')), 'stops at the failed step');
});
