/**
 * The control plane: every use-case, wired to one store, clock and ID source and to the ports it
 * reads the world through (control/ports.ts). Everything is handed in at construction by the
 * composition root (src/emulator.ts) and nothing here is reassigned afterwards. The API's action
 * handlers call into the services; nothing here knows about HTTP, SQL text, sockets or processes.
 */
import type { Clock } from '../shared/clock.js';
import type { IdSource } from '../shared/ids.js';
import type { Logger } from '../shared/logger.js';
import type { Store, StoreUnavailableError } from '../store/store.js';
import { apiError, type ApiError } from './errors.js';
import {
  alwaysReady,
  assumeHealthy,
  noConsoleOutput,
  type ConsoleOutputSource,
  type EndpointReadinessSource,
  type SnsPublisher,
  type TargetHealthSource,
  type TxtResolver,
} from './ports.js';
import { startNotifier } from './privatelink/notifier.js';
import { startDnsVerifier } from './privatelink/dns-verification.js';
import { startLifecycleDriver } from './privatelink/lifecycle-driver.js';
import type { QuotaConfig } from './quota-config.js';

export interface ControlConfig {
  pendingMs: number;
  deletedRetentionMs: number;
  /** pendingAcceptance → expired after this long (absent: never). */
  pendingAcceptanceTtlMs?: number;
  quotas?: Partial<QuotaConfig>;
}

/** The ports; each one left out gets its no-data-plane default. */
export interface ControlPorts {
  health?: TargetHealthSource;
  readiness?: EndpointReadinessSource;
  console?: ConsoleOutputSource;
  /** Absent: no `--sns-endpoint`, notifications are recorded as `not-configured`. */
  sns?: SnsPublisher;
  /** Absent: no `--verification-resolver`, private DNS verification ends `failed`. */
  txt?: TxtResolver;
}

export interface ControlDeps {
  store: Store;
  clock: Clock;
  ids: IdSource;
  config: ControlConfig;
  logger: Logger;
  ports?: ControlPorts;
}

export class Control {
  readonly store: Store;
  readonly clock: Clock;
  readonly ids: IdSource;
  readonly config: Readonly<ControlConfig>;
  readonly logger: Logger;
  /** Target health as the load balancer nodes see it (DescribeTargetHealth). */
  readonly health: TargetHealthSource;
  /** Holds accepted endpoints in `pending` until traffic can flow. */
  readonly readiness: EndpointReadinessSource;
  /** Instance consoles (GetConsoleOutput). */
  readonly console: ConsoleOutputSource;
  private readonly sns: SnsPublisher | undefined;
  private readonly txt: TxtResolver | undefined;
  /** Stop functions of the background workers start() launched. */
  private readonly stoppers: (() => void)[] = [];

  constructor(deps: ControlDeps) {
    this.store = deps.store;
    this.clock = deps.clock;
    this.ids = deps.ids;
    this.config = Object.freeze({ ...deps.config });
    this.logger = deps.logger;
    const ports = deps.ports ?? {};
    this.health = ports.health ?? assumeHealthy;
    this.readiness = ports.readiness ?? alwaysReady;
    this.console = ports.console ?? noConsoleOutput;
    this.sns = ports.sns;
    this.txt = ports.txt;
  }

  /**
   * Runs one request's use-cases as one store transaction: all of it commits or none of it does
   * (an error, DryRun's included, rolls back), and change listeners hear of it once.
   */
  inTransaction<T>(fn: () => T): T {
    try {
      return this.store.transaction(fn);
    } catch (e) {
      throw isStoreUnavailable(e) ? this.storeError(e) : e;
    }
  }

  /**
   * A transaction the store could not complete (nothing of it is visible). A write lock held
   * elsewhere is contention, which EC2 and ELBv2 answer as throttling: RequestLimitExceeded 503,
   * retried by every SDK with backoff. A disk error or a full disk is our fault: InternalError
   * 500, which SDKs also retry as a transient server error.
   */
  private storeError(e: StoreUnavailableError): ApiError {
    this.logger.error('store unavailable', { reason: e.reason, code: e.sqliteCode, error: e.message });
    return e.reason === 'busy'
      ? apiError('RequestLimitExceeded', 'Request limit exceeded.')
      : apiError('InternalError', 'An internal error has occurred');
  }

  /**
   * Starts background work (lifecycle timers, notifications, verification); idempotent. Each
   * worker scans the store first, so work left pending by a stop or a crash resumes.
   */
  start(): void {
    if (this.stoppers.length) return;
    const { store, clock, ids, logger } = this;
    this.stoppers.push(
      startNotifier({ store, clock, ids, logger: logger.child('notifier'), sns: this.sns }),
      startDnsVerifier({ store, clock, logger: logger.child('dns-verification'), txt: this.txt }),
      startLifecycleDriver({ store, clock, logger, config: this.config, readiness: this.readiness }),
    );
  }

  /** Stops background work. */
  async close(): Promise<void> {
    for (const stop of this.stoppers.splice(0).reverse()) stop();
  }
}

/** The store's failure class, recognised by name (control may import only the store's types). */
function isStoreUnavailable(e: unknown): e is StoreUnavailableError {
  return e instanceof Error && e.name === 'StoreUnavailableError';
}
