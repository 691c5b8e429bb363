/**
 * What an instance type gives a sandbox: vCPUs and memory, as EC2 lists them, for the cgroup
 * limits (memory = the type's memory, CPU weight = 1024 per vCPU, a pids limit per vCPU).
 *
 * Fidelity ledger
 * - Covered: the t2/t3/t3a/t4g, m5/m6i/m7i, c5/c6i/c7i, r5/r6i families (nano … 4xlarge) with
 *   AWS's vCPU and memory figures.
 * - Gaps: other families fall back by size suffix (see `sizeFallback`).
 * - By design: the pids limit (512 per vCPU) has no AWS counterpart; it keeps a fork bomb inside.
 */
export interface TypeLimits {
  vcpus: number;
  memoryMiB: number;
}

const BURSTABLE: Record<string, TypeLimits> = {
  nano: { vcpus: 2, memoryMiB: 512 },
  micro: { vcpus: 2, memoryMiB: 1024 },
  small: { vcpus: 2, memoryMiB: 2048 },
  medium: { vcpus: 2, memoryMiB: 4096 },
  large: { vcpus: 2, memoryMiB: 8192 },
  xlarge: { vcpus: 4, memoryMiB: 16384 },
  '2xlarge': { vcpus: 8, memoryMiB: 32768 },
};

/** GiB per vCPU of the general (m), compute (c) and memory (r) families. */
const RATIO: Record<string, number> = { m: 4, c: 2, r: 8 };
const SIZE_VCPUS: Record<string, number> = { large: 2, xlarge: 4, '2xlarge': 8, '4xlarge': 16 };

/** Unknown families: the size decides, as for m-family types. */
function sizeFallback(size: string): TypeLimits {
  const b = BURSTABLE[size];
  if (b) return b;
  const v = SIZE_VCPUS[size] ?? 2;
  return { vcpus: v, memoryMiB: v * 4 * 1024 };
}

export function limitsOf(instanceType: string): TypeLimits {
  const [family = '', size = ''] = instanceType.split('.');
  if (/^t[234]/.test(family)) {
    const b = BURSTABLE[size];
    if (b) return family === 't2' && size === 'nano' ? { vcpus: 1, memoryMiB: 512 } : b;
  }
  const kind = family[0] ?? '';
  const ratio = RATIO[kind];
  const vcpus = SIZE_VCPUS[size];
  if (ratio !== undefined && vcpus !== undefined) return { vcpus, memoryMiB: vcpus * ratio * 1024 };
  return sizeFallback(size);
}

export const PIDS_PER_VCPU = 512;
