/**
 * What the Dataplane hands its reconcilers: the store to read, the clock, the injected runner,
 * the mode, the VPC networks, the shared `Traffic` and the events DNS follows. Kept apart from
 * dataplane.ts so reconcilers never import the module that imports them.
 */
import type { EventEmitter } from 'node:events';
import type { Clock } from '../shared/clock.js';
import type { IdSource } from '../shared/ids.js';
import type { Logger } from '../shared/logger.js';
import type { Store } from '../store/store.js';
import type { Runner } from './netns/runner.js';
import type { VpcNetworks } from './vpc/vpc-network.js';
import type { Traffic } from './fabric/traffic.js';
import type { Datapath } from './bpf/datapath-choice.js';

export type DataplaneMode = 'netns' | 'loopback';

/** One step of a reconcile pass. reconcile() converges its actual state to the store. */
export interface Reconciler {
  readonly name: string;
  reconcile(): Promise<void>;
  /** Removes everything this reconciler made. Called once, at shutdown. */
  close(): Promise<void>;
  describe?(): Record<string, unknown>;
}

/** Events of `DataplaneContext.events`. */
export interface DataplaneEvents {
  /** A VPC network is ready (netns: namespace and bridge exist; loopback: namespace undefined). */
  'vpc-up': { vpcId: string; namespace: string | undefined; resolverIp: string };
  'vpc-down': { vpcId: string };
  /** The fabric agents died: the proxies they served must be served again (next pass). */
  'agent-lost': Record<string, never>;
}

export interface DataplaneContext {
  store: Store;
  clock: Clock;
  ids: IdSource;
  runner: Runner;
  /** Prefix of every namespace/link privlink makes (options.netnsPrefix). */
  prefix: string;
  mode: DataplaneMode;
  /**
   * Netns mode's data path for endpoint traffic (bpf/datapath-choice.ts): 'bpf' = the tc-BPF fast
   * path programs translate and redirect, nftables rules stay as the slow path for what they miss;
   * 'nftables' = the rules alone. Loopback mode: 'nftables' (unused).
   */
  datapath: Datapath;
  logger: Logger;
  /** The control plane's instance timings, to record observed instance transitions with. */
  instanceTiming: { pendingMs: number; deletedRetentionMs: number };
  /** Directory for per-run files (user-data scripts, console logs); removed at close. */
  runDir: string;
  /**
   * The unix socket privlink's API serves AWS-service endpoint traffic on (TLS after a PROXY v2
   * header), in runDir; undefined = AWS-service endpoints carry no traffic.
   */
  awsServicesSocket?: string;
  /** PEM bundle instances trust (host bundle + privlink's CA); undefined = the image's own. */
  caBundle?: string;
  /** Lookup of VPC networks: namespace + bridge + isReady(vpcId). */
  vpcs: VpcNetworks;
  /**
   * Loopback mode: the 127.x address each instance listens on, by instance ID (filled by the
   * instances reconciler). Load balancers reach instance targets there; a VPC address is never
   * contacted from the host.
   */
  hostAddresses: Map<string, string>;
  /** 'vpc-up' {vpcId, namespace, resolverIp}, 'vpc-down' {vpcId} (see DataplaneEvents). */
  events: EventEmitter;
  /** What the NLB node and endpoint reconcilers share (fabric, proxy host, health checker). */
  traffic: Traffic;
}

export type ReconcilerFactory = (ctx: DataplaneContext) => Reconciler;
