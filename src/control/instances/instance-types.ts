/**
 * The instance types privlink knows: one table for RunInstances (which types exist), the
 * sandboxes' cgroup limits (vCPUs, memory) and DescribeInstanceTypes / credit defaults.
 *
 * Fidelity ledger (EC2 instance type specifications, 2025)
 * - Covered: t2, t3, t3a, t4g (nano … 2xlarge), m5/m6i/m7i, c5/c6i/c7i, r5/r6i (large … 4xlarge)
 *   with AWS's vCPUs, default cores/threads, memory, architecture, hypervisor, burstable flag,
 *   default credit mode (t2 standard, the others unlimited) and free-tier types.
 * - Gaps: network performance, interface/address limits and clock speeds are the published figures
 *   rounded to one value per size, not every type's own; other families are unknown.
 * - By design: every Region offers the same types.
 */
export interface InstanceTypeInfo {
  name: string;
  vcpus: number;
  cores: number;
  threadsPerCore: number;
  memoryMiB: number;
  architecture: 'x86_64' | 'arm64';
  hypervisor: 'xen' | 'nitro';
  burstable: boolean;
  /** DescribeInstanceCreditSpecifications' answer when launch set none (burstable types only). */
  defaultCredits?: 'standard' | 'unlimited';
  freeTier: boolean;
  clockGhz: number;
  networkPerformance: string;
  maxInterfaces: number;
  ipv4PerInterface: number;
}

const GIB = 1024;
const BURST_SIZES: [string, number, number][] = [
  ['nano', 2, 0.5],
  ['micro', 2, 1],
  ['small', 2, 2],
  ['medium', 2, 4],
  ['large', 2, 8],
  ['xlarge', 4, 16],
  ['2xlarge', 8, 32],
];
/** t2 has one thread per core and fewer vCPUs in its small sizes. */
const T2_VCPUS: Record<string, number> = { nano: 1, micro: 1, small: 1, medium: 2 };
const FIXED_SIZES: [string, number][] = [
  ['large', 2],
  ['xlarge', 4],
  ['2xlarge', 8],
  ['4xlarge', 16],
];
const NET: Record<string, [number, number]> = {
  nano: [2, 2],
  micro: [2, 2],
  small: [3, 4],
  medium: [3, 6],
  large: [3, 10],
  xlarge: [4, 15],
  '2xlarge': [4, 15],
  '4xlarge': [8, 30],
};
const CLOCK: Record<string, number> = {
  t2: 2.3,
  t3: 2.5,
  t3a: 2.2,
  t4g: 2.5,
  m5: 3.1,
  m6i: 3.5,
  m7i: 3.2,
  c5: 3.4,
  c6i: 3.5,
  c7i: 3.2,
  r5: 3.1,
  r6i: 3.5,
};
/** GiB per vCPU of the general (m), compute (c) and memory (r) families. */
const RATIO: Record<string, number> = { m: 4, c: 2, r: 8 };

function build(): Map<string, InstanceTypeInfo> {
  const out = new Map<string, InstanceTypeInfo>();
  const add = (i: InstanceTypeInfo) => out.set(i.name, i);
  for (const family of ['t2', 't3', 't3a', 't4g']) {
    for (const [size, v, gib] of BURST_SIZES) {
      const t2 = family === 't2';
      const vcpus = t2 ? (T2_VCPUS[size] ?? v) : v;
      const [maxInterfaces, ipv4PerInterface] = NET[size] ?? [2, 2];
      add({
        name: `${family}.${size}`,
        vcpus,
        cores: t2 ? vcpus : Math.max(1, vcpus / 2),
        threadsPerCore: t2 ? 1 : 2,
        memoryMiB: gib * GIB,
        architecture: family === 't4g' ? 'arm64' : 'x86_64',
        hypervisor: t2 ? 'xen' : 'nitro',
        burstable: true,
        defaultCredits: t2 ? 'standard' : 'unlimited',
        freeTier: size === 'micro' && (family === 't2' || family === 't3'),
        clockGhz: CLOCK[family] ?? 2.5,
        networkPerformance: t2 ? 'Low to Moderate' : 'Up to 5 Gigabit',
        maxInterfaces,
        ipv4PerInterface,
      });
    }
  }
  for (const family of ['m5', 'm6i', 'm7i', 'c5', 'c6i', 'c7i', 'r5', 'r6i']) {
    const ratio = RATIO[family[0] ?? ''] ?? 4;
    for (const [size, vcpus] of FIXED_SIZES) {
      const [maxInterfaces, ipv4PerInterface] = NET[size] ?? [3, 10];
      add({
        name: `${family}.${size}`,
        vcpus,
        cores: vcpus / 2,
        threadsPerCore: 2,
        memoryMiB: vcpus * ratio * GIB,
        architecture: 'x86_64',
        hypervisor: 'nitro',
        burstable: false,
        freeTier: false,
        clockGhz: CLOCK[family] ?? 3.1,
        networkPerformance: size === '4xlarge' ? 'Up to 12.5 Gigabit' : 'Up to 10 Gigabit',
        maxInterfaces,
        ipv4PerInterface,
      });
    }
  }
  return out;
}

export const INSTANCE_TYPES: ReadonlyMap<string, InstanceTypeInfo> = build();

export function instanceTypeInfo(name: string): InstanceTypeInfo | undefined {
  return INSTANCE_TYPES.get(name);
}
