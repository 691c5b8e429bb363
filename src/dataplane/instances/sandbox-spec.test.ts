import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sandboxSpec, DENIED_SYSCALLS, CAPABILITIES } from './sandbox-spec.js';
import { limitsOf } from './instance-types.js';
import { ec2Hostname } from './hostname.js';
import { bootKeyOf, desiredInstances } from './instance-reconciler.js';
import type { Stored } from '../../store/store.js';

const spec = sandboxSpec({
  hostname: 'ip-10-0-1-10.ec2.internal',
  netnsPath: '/run/netns/pl-i-1',
  rootfs: '/v/root',
  bootDir: '/r/boot',
  ctlDir: '/r/ctl',
  initBinary: '/usr/bin/tini-static',
  env: { A: 'b' },
  limits: limitsOf('t3.nano'),
  cgroupsPath: '/privlink-pl/i-1',
}) as {
  process: { capabilities: { bounding: string[] }; noNewPrivileges: boolean; env: string[] };
  linux: {
    namespaces: { type: string; path?: string }[];
    resources: { memory: { limit: number }; cpu: { shares: number }; pids: { limit: number } };
    seccomp: { syscalls: { names: string[] }[] };
  };
};

test('sandbox spec: no dangerous capability, no_new_privs, seccomp refuses the escape syscalls', () => {
  for (const cap of [
    'CAP_SYS_ADMIN',
    'CAP_NET_ADMIN',
    'CAP_SYS_MODULE',
    'CAP_SYS_PTRACE',
    'CAP_MKNOD',
    'CAP_NET_RAW',
  ]) {
    assert.ok(!spec.process.capabilities.bounding.includes(cap), cap);
  }
  assert.deepEqual(spec.process.capabilities.bounding, [...CAPABILITIES]);
  assert.equal(spec.process.noNewPrivileges, true);
  const denied = spec.linux.seccomp.syscalls.flatMap((s) => s.names);
  for (const s of ['mount', 'setns', 'unshare', 'init_module', 'finit_module', 'ptrace', 'bpf']) {
    assert.ok(denied.includes(s), s);
  }
  assert.ok(DENIED_SYSCALLS.length > 20);
  assert.deepEqual(spec.process.env, ['A=b']);
});

test('sandbox spec: own pid/ipc/uts/mount/cgroup namespaces, the instance netns joined by path', () => {
  assert.deepEqual(
    spec.linux.namespaces.map((n) => n.type),
    ['pid', 'ipc', 'uts', 'mount', 'cgroup', 'network'],
  );
  assert.equal(spec.linux.namespaces.find((n) => n.type === 'network')?.path, '/run/netns/pl-i-1');
});

test('limits from the instance type', () => {
  assert.equal(spec.linux.resources.memory.limit, 512 * 1024 * 1024);
  assert.equal(spec.linux.resources.cpu.shares, 2048);
  assert.equal(spec.linux.resources.pids.limit, 1024);
  assert.deepEqual(limitsOf('t3.micro'), { vcpus: 2, memoryMiB: 1024 });
  assert.deepEqual(limitsOf('m5.xlarge'), { vcpus: 4, memoryMiB: 16384 });
  assert.deepEqual(limitsOf('c6i.large'), { vcpus: 2, memoryMiB: 4096 });
  assert.deepEqual(limitsOf('r5.2xlarge'), { vcpus: 8, memoryMiB: 65536 });
  assert.deepEqual(limitsOf('x9z.large'), { vcpus: 2, memoryMiB: 8192 });
});

test('EC2 hostnames', () => {
  assert.equal(ec2Hostname('10.0.1.10', 'us-east-1'), 'ip-10-0-1-10.ec2.internal');
  assert.equal(ec2Hostname('10.0.1.10', 'eu-west-1'), 'ip-10-0-1-10.eu-west-1.compute.internal');
});

test('desiredInstances: live instances in ready VPCs run; volumes kept until terminate', () => {
  const inst = (id: string, state: string, vpcId = 'vpc-a') =>
    ({
      id,
      state,
      vpcId,
      instanceType: 't3.micro',
      imageId: 'ami-1',
      boots: 0,
    }) as unknown as Stored<'instance'>;
  const all = [
    inst('i-1', 'pending'),
    inst('i-2', 'running'),
    inst('i-3', 'running', 'vpc-b'),
    inst('i-4', 'stopping'),
    inst('i-5', 'stopped'),
    inst('i-6', 'shutting-down'),
    inst('i-7', 'terminated'),
  ];
  const d = desiredInstances(all, (v) => v === 'vpc-a');
  assert.deepEqual([...d.up.keys()], ['i-1', 'i-2']);
  assert.deepEqual([...d.volumes].sort(), ['i-1', 'i-2', 'i-3', 'i-4', 'i-5']);
  assert.notEqual(bootKeyOf(inst('i-1', 'running')), bootKeyOf({ ...inst('i-1', 'running'), boots: 1 }));
});
