/**
 * What an instance type gives a sandbox: vCPUs and memory from the one instance-type table
 * (control/instances/instance-types.ts), for the cgroup limits (memory = the type's memory, CPU
 * weight = 1024 per vCPU, a pids limit per vCPU).
 *
 * Fidelity ledger
 * - Covered: every type in the table, with AWS's vCPU and memory figures.
 * - Gaps: a type outside the table (records from before the table existed) falls back by size
 *   suffix (see `sizeFallback`).
 * - By design: the pids limit (512 per vCPU) has no AWS counterpart; it keeps a fork bomb inside.
 */
import { instanceTypeInfo } from '../../control/instances/instance-types.js';

export interface TypeLimits {
  vcpus: number;
  memoryMiB: number;
}

const SIZE_VCPUS: Record<string, number> = {
  nano: 2,
  micro: 2,
  small: 2,
  medium: 2,
  large: 2,
  xlarge: 4,
  '2xlarge': 8,
  '4xlarge': 16,
};

/** Unknown types: the size decides, as for m-family types. */
function sizeFallback(size: string): TypeLimits {
  const v = SIZE_VCPUS[size] ?? 2;
  return { vcpus: v, memoryMiB: v * 4 * 1024 };
}

export function limitsOf(instanceType: string): TypeLimits {
  const info = instanceTypeInfo(instanceType);
  if (info) return { vcpus: info.vcpus, memoryMiB: info.memoryMiB };
  return sizeFallback(instanceType.split('.')[1] ?? '');
}

export const PIDS_PER_VCPU = 512;
