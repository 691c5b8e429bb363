/** The shape of the quota configuration (kept apart so Control's config can name it). */
import type { AccountQuotaName } from '../config/options.js';

/** Named in config/options.ts so that `--quota NAME=N` can be checked when options are read. */
export type AccountQuotas = Record<AccountQuotaName, number>;

export interface ServerCaps {
  /** Network namespaces the data plane may create in all (VPCs, instances, endpoint ENIs, NLB nodes). */
  maxNamespaces: number;
  /** Instances (not terminated) across all accounts. */
  maxInstances: number;
}

export type QuotaConfig = AccountQuotas & ServerCaps;
