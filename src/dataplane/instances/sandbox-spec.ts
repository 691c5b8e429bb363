/**
 * The OCI runtime spec (config.json) of one instance's sandbox — a pure function of the
 * instance's facts, handed to runc (see docs/instances.md for why runc).
 *
 * What it builds: new PID (tini as PID 1, reaping), UTS (EC2's hostname), IPC, mount and cgroup
 * namespaces; the instance's existing network namespace joined by path; the overlay root volume
 * as root; fresh /proc, a minimal /dev, tmpfs /tmp and /run; privlink's per-boot files bound
 * read-only at /run/privlink and a writable /run/privlink/ctl for shutdown requests.
 *
 * Confinement (no user namespace, see docs/instances.md): uid 0 inside is uid 0 on the host but
 * holds only the capabilities below (no SYS_ADMIN, NET_ADMIN, SYS_MODULE, SYS_PTRACE, MKNOD,
 * NET_RAW, SYS_BOOT…), runs with no_new_privs, and a seccomp filter refuses the syscalls that
 * reach beyond the sandbox (mount family, namespaces, modules, kexec, bpf, ptrace…).
 */
import type { TypeLimits } from './instance-types.js';
import { PIDS_PER_VCPU } from './instance-types.js';

export interface SandboxSpecInput {
  hostname: string;
  /** /run/netns/<ns> of the instance's network namespace. */
  netnsPath: string;
  /** Host path of the mounted overlay (the instance's root). */
  rootfs: string;
  /** Host dir bound read-only at /run/privlink (boot script, user data, resolv.conf, hosts). */
  bootDir: string;
  /** Host dir bound read-write at /run/privlink/ctl (shutdown requests from inside). */
  ctlDir: string;
  /** Host path of a static init binary (tini-static), bound at /run/privlink/init. */
  initBinary: string;
  env: Record<string, string>;
  /** Host path of a PEM bundle bound over the system trust store (host bundle + privlink's CA). */
  caBundle?: string;
  limits: TypeLimits;
  cgroupsPath: string;
}

/** Debian's system trust bundle (OpenSSL, curl, Python's certifi-less clients read it). */
export const CA_BUNDLE_PATH = '/etc/ssl/certs/ca-certificates.crt';

export const CAPABILITIES = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_FOWNER',
  'CAP_FSETID',
  'CAP_KILL',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETPCAP',
  'CAP_SETFCAP',
  'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT',
  'CAP_AUDIT_WRITE',
] as const;

/** Syscalls refused with EPERM: they act beyond the instance even without capabilities' help. */
export const DENIED_SYSCALLS = [
  'mount',
  'umount',
  'umount2',
  'pivot_root',
  'fsopen',
  'fsmount',
  'fsconfig',
  'fspick',
  'move_mount',
  'open_tree',
  'mount_setattr',
  'init_module',
  'finit_module',
  'delete_module',
  'kexec_load',
  'kexec_file_load',
  'setns',
  'unshare',
  'bpf',
  'perf_event_open',
  'ptrace',
  'process_vm_readv',
  'process_vm_writev',
  'kcmp',
  'keyctl',
  'add_key',
  'request_key',
  'swapon',
  'swapoff',
  'reboot',
  'open_by_handle_at',
  'name_to_handle_at',
  'userfaultfd',
  'iopl',
  'ioperm',
  'acct',
  'settimeofday',
  'clock_settime',
  'clock_adjtime',
  'adjtimex',
  'syslog',
  'quotactl',
  'lookup_dcookie',
  'vhangup',
];

/** clone() flags that would make new namespaces (refused; clone3 answers ENOSYS → glibc uses clone). */
const CLONE_NS_FLAGS = [0x20000, 0x02000000, 0x04000000, 0x08000000, 0x10000000, 0x20000000, 0x40000000];

const EPERM = 1;
const ENOSYS = 38;

export function seccompProfile(): Record<string, unknown> {
  return {
    defaultAction: 'SCMP_ACT_ALLOW',
    syscalls: [
      { names: DENIED_SYSCALLS, action: 'SCMP_ACT_ERRNO', errnoRet: EPERM },
      { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: ENOSYS },
      ...CLONE_NS_FLAGS.map((flag) => ({
        names: ['clone'],
        action: 'SCMP_ACT_ERRNO',
        errnoRet: EPERM,
        args: [{ index: 0, value: flag, valueTwo: flag, op: 'SCMP_CMP_MASKED_EQ' }],
      })),
    ],
  };
}

function bind(source: string, destination: string, ro: boolean): Record<string, unknown> {
  return {
    destination,
    type: 'bind',
    source,
    options: ['rbind', 'nosuid', 'nodev', ro ? 'ro' : 'rw'],
  };
}

export function sandboxSpec(o: SandboxSpecInput): Record<string, unknown> {
  const caps = [...CAPABILITIES];
  const memory = o.limits.memoryMiB * 1024 * 1024;
  return {
    ociVersion: '1.0.2',
    process: {
      terminal: false,
      user: { uid: 0, gid: 0 },
      args: ['/run/privlink/init', '--', '/bin/sh', '/run/privlink/boot'],
      env: Object.entries(o.env).map(([k, v]) => `${k}=${v}`),
      cwd: '/',
      capabilities: { bounding: caps, effective: caps, permitted: caps, inheritable: [], ambient: [] },
      noNewPrivileges: true,
    },
    root: { path: o.rootfs, readonly: false },
    hostname: o.hostname,
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
      {
        destination: '/dev',
        type: 'tmpfs',
        source: 'tmpfs',
        options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'],
      },
      {
        destination: '/dev/pts',
        type: 'devpts',
        source: 'devpts',
        options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'],
      },
      {
        destination: '/dev/shm',
        type: 'tmpfs',
        source: 'shm',
        options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'],
      },
      {
        destination: '/dev/mqueue',
        type: 'mqueue',
        source: 'mqueue',
        options: ['nosuid', 'noexec', 'nodev'],
      },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
      { destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'mode=1777'] },
      { destination: '/run', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'mode=755'] },
      bind(o.bootDir, '/run/privlink', true),
      bind(o.ctlDir, '/run/privlink/ctl', false),
      bind(o.initBinary, '/run/privlink/init', true),
      bind(`${o.bootDir}/resolv.conf`, '/etc/resolv.conf', true),
      bind(`${o.bootDir}/hosts`, '/etc/hosts', true),
      bind(`${o.bootDir}/hostname`, '/etc/hostname', true),
      ...(o.caBundle ? [bind(o.caBundle, CA_BUNDLE_PATH, true)] : []),
    ],
    linux: {
      namespaces: [
        { type: 'pid' },
        { type: 'ipc' },
        { type: 'uts' },
        { type: 'mount' },
        { type: 'cgroup' },
        { type: 'network', path: o.netnsPath },
      ],
      cgroupsPath: o.cgroupsPath,
      resources: {
        devices: [{ allow: false, access: 'rwm' }],
        memory: { limit: memory },
        cpu: { shares: 1024 * o.limits.vcpus },
        pids: { limit: PIDS_PER_VCPU * o.limits.vcpus },
      },
      seccomp: seccompProfile(),
      maskedPaths: [
        '/proc/acpi',
        '/proc/asound',
        '/proc/kcore',
        '/proc/keys',
        '/proc/latency_stats',
        '/proc/timer_list',
        '/proc/timer_stats',
        '/proc/sched_debug',
        '/proc/scsi',
        '/sys/firmware',
      ],
      readonlyPaths: ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
    },
  };
}
