/**
 * The control plane: every use-case, wired to one store, clock and ID source. The API's action
 * handlers call into these services; nothing here knows about HTTP, SQL text or processes.
 */
import type { Clock } from '../shared/clock.js';
import type { IdSource } from '../shared/ids.js';
import type { Logger } from '../shared/logger.js';
import type { Store } from '../store/store.js';
import type { QuotaConfig } from './quotas.js';
import { assumeHealthy, type TargetHealthSource } from './health.js';
import { startNotifier } from './privatelink/notifier.js';
import { startDnsVerifier } from './privatelink/dns-verification.js';
import { startLifecycleDriver, type EndpointReadiness } from './privatelink/lifecycle-driver.js';

export interface ControlConfig {
  pendingMs: number;
  deletedRetentionMs: number;
  verificationResolver?: string;
  snsEndpoint?: string;
  quotas?: Partial<QuotaConfig>;
}

export interface ControlDeps {
  store: Store;
  clock: Clock;
  ids: IdSource;
  config: ControlConfig;
  logger: Logger;
}

export class Control {
  readonly store: Store;
  readonly clock: Clock;
  readonly ids: IdSource;
  readonly config: ControlConfig;
  readonly logger: Logger;
  /** Replaced by the data plane when it runs real health checks. */
  health: TargetHealthSource = assumeHealthy;
  /** Set by the data plane to hold endpoints in `pending` until traffic can flow (default: ready). */
  readiness?: EndpointReadiness;

  constructor(readonly deps: ControlDeps) {
    this.store = deps.store;
    this.clock = deps.clock;
    this.ids = deps.ids;
    this.config = deps.config;
    this.logger = deps.logger;
  }

  /** Starts background work (lifecycle timers, verification); idempotent. */
  start(): void {
    if (this.stoppers.length) return;
    this.stoppers.push(startNotifier(this), startDnsVerifier(this));
    this.stoppers.push(startLifecycleDriver(this));
  }

  /** Stops background work. */
  async close(): Promise<void> {
    for (const stop of this.stoppers.splice(0).reverse()) stop();
  }

  /** Stop functions of the background workers start() launched. */
  private readonly stoppers: (() => void)[] = [];
}
