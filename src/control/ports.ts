/**
 * The control plane's ports: what it needs from the world, handed to `Control` at construction by
 * the composition root (src/emulator.ts). The control plane never reaches for a socket, a process
 * or the data plane itself; adapters (src/adapters/) and the data plane implement these.
 */
import type { DeepReadonly } from './model/common.js';
import type { VpcEndpoint } from './model/privatelink.js';
import type { TargetHealthSource } from './health.js';

export type { TargetHealthSource, TargetHealthReport, TargetHealthState } from './health.js';
export { assumeHealthy } from './health.js';

/** Whether an accepted endpoint can carry traffic yet (holds it in `pending` until then). */
export interface EndpointReadinessSource {
  isReady(endpoint: DeepReadonly<VpcEndpoint>): boolean;
}

/** Without a data plane every endpoint is ready as soon as its pending time is over. */
export const alwaysReady: EndpointReadinessSource = { isReady: () => true };

export interface ConsoleOutput {
  text: string;
  /** Epoch ms of the last write. */
  timestamp: number;
}

/**
 * What the data plane sees of an instance's machine, for DescribeInstanceStatus: `system` is the
 * host side (its namespace and links), `instance` its init (the sandbox's PID 1 has finished the
 * boot script). `initializing` while a boot is under way, `impaired` when the part is gone while
 * the instance should run.
 */
export type ReachabilityStatus = 'ok' | 'initializing' | 'impaired';
export interface MachineStatus {
  system: ReachabilityStatus;
  instance: ReachabilityStatus;
}

/** Where GetConsoleOutput reads an instance's console (the data plane keeps the buffers). */
export interface ConsoleOutputSource {
  consoleOutputOf(instanceId: string): ConsoleOutput | undefined;
  /** Undefined without a data plane: the status then follows the instance's state alone. */
  machineStatusOf?(instanceId: string): MachineStatus | undefined;
}

export const noConsoleOutput: ConsoleOutputSource = { consoleOutputOf: () => undefined };

/** Publishes one SNS message (connection notifications). Rejects on any delivery failure. */
export interface SnsPublisher {
  publish(topicArn: string, message: string, signal?: AbortSignal): Promise<void>;
}

export type TxtAnswer = { status: 'ok'; values: string[] } | { status: 'nxdomain' };

/** Looks up TXT records (private DNS name verification). Rejects when no answer can be had. */
export interface TxtResolver {
  lookupTxt(name: string, signal?: AbortSignal): Promise<TxtAnswer>;
}

/**
 * Measured traffic of one interface endpoint, summed over its ENIs. Totals only grow (a rule
 * reload that resets a kernel counter is folded in by the data plane).
 */
export interface EndpointTraffic {
  /** Connections open right now (established TCP flows to the endpoint's ENIs). */
  activeConnections: number;
  /** New TCP connections let through the endpoint since it was built. */
  connectionsTotal: number;
  /** Bytes from the consumer into the endpoint's ENIs. */
  bytesIn: number;
  /** Bytes from the endpoint's ENIs back to the consumer. */
  bytesOut: number;
}

/**
 * Per-endpoint traffic as the data plane measures it (nftables counters and conntrack in netns
 * mode, the proxies themselves in loopback mode). Abstract on purpose: an eBPF data path reads
 * its maps behind the same call.
 */
export interface EndpointTrafficSource {
  /** Traffic by VPC endpoint ID; endpoints without data-plane parts are absent. */
  endpointTraffic(): Promise<Map<string, EndpointTraffic>>;
}

export const noTraffic: EndpointTrafficSource = { endpointTraffic: () => Promise.resolve(new Map()) };

/** One reconcile pass of one reconciler, for metrics. */
export interface ReconcileStats {
  passes: number;
  failures: number;
  /** Sum of pass durations in seconds. */
  secondsTotal: number;
}

/** Reconcile passes per reconciler name (the data plane counts them). */
export interface ReconcileStatsSource {
  reconcileStats(): Map<string, ReconcileStats>;
}

export const noReconcileStats: ReconcileStatsSource = { reconcileStats: () => new Map() };

/** The data plane's view for the control plane: everything it reports back. */
export interface DataplanePorts {
  health: TargetHealthSource;
  readiness: EndpointReadinessSource;
  console: ConsoleOutputSource;
  traffic?: EndpointTrafficSource;
  reconcile?: ReconcileStatsSource;
}
