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

/** The data plane's view for the control plane: everything it reports back. */
export interface DataplanePorts {
  health: TargetHealthSource;
  readiness: EndpointReadinessSource;
  console: ConsoleOutputSource;
}
