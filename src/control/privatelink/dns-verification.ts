/**
 * Private DNS name verification: the TXT check through the TxtResolver port, and the background
 * verifier that runs it whenever a service's verification becomes pending.
 *
 * Fidelity ledger (AWS PrivateLink guide "Manage DNS names", docs/reference/aws-privatelink.md
 * §2.3, §3.3):
 * - Covered: the provider publishes a TXT record at `<name>.<private-dns-name>` whose value must
 *   equal the service's `vpce:…` value exactly (case-sensitive); the record at the domain apex is
 *   accepted too (for DNS hosts that reject underscores); for a wildcard `*.example.com` the
 *   domain is `example.com`. Setting or changing the name verifies once automatically;
 *   StartVpcEndpointServicePrivateDnsVerification re-runs the check. Result: `verified` or
 *   `failed`, written in its own store transaction, and only if the name/value/request it
 *   checked is still the current one (a newer name or request wins).
 * - Gaps: AWS re-checks periodically (and can fall back from `verified`); privlink checks only
 *   when asked. No CNAME chasing beyond what the resolver does itself.
 * - By design: the resolver is `--verification-resolver HOST:PORT` on loopback (the adapter in
 *   src/adapters/txt-resolver.ts); without one, verification ends `failed` and the log says why.
 *   Verifications still pending when the verifier starts (the server stopped or crashed during
 *   the lookup) are checked then.
 */
import type { Clock } from '../../shared/clock.js';
import type { Logger } from '../../shared/logger.js';
import type { Store } from '../../store/store.js';
import type { DeepReadonly } from '../model/common.js';
import type { EndpointService, PrivateDnsNameConfiguration } from '../model/privatelink.js';
import type { TxtResolver } from '../ports.js';

/** The names a verification record may live at: `<name>.<domain>`, then the domain apex. */
export function verificationNames(privateDnsName: string, recordName: string): string[] {
  const domain = privateDnsName.replace(/^\*\./, '');
  return [`${recordName}.${domain}`, domain];
}

export interface VerificationOutcome {
  state: 'verified' | 'failed';
  reason: string;
}

/** Runs the TXT check for one service configuration. Never throws. */
export async function checkVerificationRecord(
  resolver: TxtResolver | undefined,
  privateDnsName: string,
  config: DeepReadonly<PrivateDnsNameConfiguration>,
  signal?: AbortSignal,
): Promise<VerificationOutcome> {
  if (!resolver) {
    return {
      state: 'failed',
      reason: 'no --verification-resolver configured; cannot look up the TXT record',
    };
  }
  const seen: string[] = [];
  for (const name of verificationNames(privateDnsName, config.name)) {
    try {
      const ans = await resolver.lookupTxt(name, signal);
      if (ans.status === 'ok' && ans.values.includes(config.value)) {
        return { state: 'verified', reason: `TXT ${name} matches` };
      }
      seen.push(ans.status === 'nxdomain' ? `${name}: NXDOMAIN` : `${name}: ${JSON.stringify(ans.values)}`);
    } catch (e) {
      seen.push(`${name}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return { state: 'failed', reason: `no TXT record with value ${config.value} (${seen.join('; ')})` };
}

function needsCheck(
  before: DeepReadonly<EndpointService> | undefined,
  after: DeepReadonly<EndpointService>,
): boolean {
  const cfg = after.privateDnsNameConfiguration;
  if (!cfg || cfg.state !== 'pendingVerification' || !after.privateDnsName) return false;
  const old = before?.privateDnsNameConfiguration;
  return (
    !old ||
    old.state !== 'pendingVerification' ||
    old.name !== cfg.name ||
    old.value !== cfg.value ||
    old.requestedAt !== cfg.requestedAt ||
    before?.privateDnsName !== after.privateDnsName
  );
}

export interface DnsVerifierDeps {
  store: Store;
  clock: Clock;
  logger: Logger;
  txt: TxtResolver | undefined;
}

/**
 * Watches committed changes and verifies each service whose verification became pending, after
 * checking those left pending by a previous run. Returns the stop function: in-flight lookups
 * are aborted and their results dropped (they stay pending for the next start).
 */
export function startDnsVerifier(deps: DnsVerifierDeps): () => void {
  const log = deps.logger;
  const abort = new AbortController();
  let stopped = false;

  const run = async (snapshot: DeepReadonly<EndpointService>): Promise<void> => {
    const cfg = snapshot.privateDnsNameConfiguration;
    const name = snapshot.privateDnsName;
    if (!cfg || !name) return;
    const outcome = await checkVerificationRecord(deps.txt, name, cfg, abort.signal);
    if (stopped) return;
    deps.store.transaction(() => {
      const cur = deps.store.find('endpointService', snapshot.id);
      const c = cur?.privateDnsNameConfiguration;
      // A newer name, value or request superseded this check: its own check will report.
      if (
        !cur ||
        !c ||
        cur.privateDnsName !== name ||
        c.name !== cfg.name ||
        c.value !== cfg.value ||
        c.requestedAt !== cfg.requestedAt ||
        c.state !== 'pendingVerification'
      ) {
        return;
      }
      deps.store.put('endpointService', {
        ...cur,
        privateDnsNameConfiguration: { ...c, state: outcome.state, checkedAt: deps.clock.now() },
      });
    });
    const fields = { serviceId: snapshot.id, privateDnsName: name, reason: outcome.reason };
    if (outcome.state === 'verified') log.info('private DNS name verified', fields);
    else log.warn('private DNS name verification failed', fields);
  };

  const check = (service: DeepReadonly<EndpointService>) =>
    run(service).catch((e: unknown) => {
      if (!stopped) log.error('verification crashed', { serviceId: service.id, error: String(e) });
    });

  const unsubscribe = deps.store.subscribe((changes) => {
    for (const ch of changes) {
      if (ch.kind !== 'endpointService' || ch.op !== 'put' || !ch.after) continue;
      const before = ch.before as DeepReadonly<EndpointService> | undefined;
      const after = ch.after as DeepReadonly<EndpointService>;
      if (needsCheck(before, after)) void check(after);
    }
  });
  // Resume: verifications a previous run started but never finished.
  for (const service of deps.store.listAll('endpointService')) {
    if (needsCheck(undefined, service)) void check(service);
  }

  return () => {
    stopped = true;
    unsubscribe();
    abort.abort();
  };
}
