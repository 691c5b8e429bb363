/**
 * Active health checks of NLB targets, and the `TargetHealthSource` the control plane reads for
 * DescribeTargetHealth (the data plane's health port).
 *
 * Fidelity (docs/reference/aws-privatelink.md §8.2):
 * - Covered: TCP, HTTP and HTTPS checks with the group's port (`traffic-port` or a number), path,
 *   matcher (default 200–399), interval, timeout and healthy/unhealthy thresholds (consecutive
 *   results); states `initial` (Elb.RegistrationInProgress before the first result,
 *   Elb.InitialHealthChecking after), `healthy`, `unhealthy` with Target.Timeout /
 *   Target.FailedHealthChecks / Target.ResponseCodeMismatch; a LOCAL PPv2 header first when the
 *   group has proxy protocol v2 on; config changes apply to the next check.
 * - By design: one checker per target (from one NLB node), not AWS's distributed consensus, so
 *   targets see exactly one check per interval; the first check runs right after registration.
 * - Gaps: passive health checks; `unhealthy.draining`; GRPC matchers.
 */
import type { Clock } from '../../shared/clock.js';
import type { Logger } from '../../shared/logger.js';
import type { TargetHealthReport, TargetHealthSource } from '../../control/health.js';
import type { ProbeResult, ProbeSpec } from './probe.js';

export interface HealthCheckSettings {
  protocol: string;
  path?: string;
  matcher?: string;
  intervalSeconds: number;
  timeoutSeconds: number;
  healthyThreshold: number;
  unhealthyThreshold: number;
}

export interface HealthTarget {
  targetGroupArn: string;
  targetId: string;
  port: number;
  settings: HealthCheckSettings;
  /** Where the probe connects (netns: the NLB node's health-check slot) and how. */
  probe: Omit<ProbeSpec, 'protocol' | 'path' | 'matcher' | 'timeoutMs'>;
}

interface Tracked {
  target: HealthTarget;
  /** The checks' verdict; decides which targets get new flows. */
  report: TargetHealthReport;
  /**
   * What DescribeTargetHealth shows. A change that moves a target in or out of service is
   * published only once the load balancer nodes' maps carry it (`publish()`), so a client that
   * sees `unhealthy` can rely on new flows avoiding the target.
   */
  published: TargetHealthReport;
  successes: number;
  failures: number;
  checked: boolean;
  inFlight: boolean;
  cancel: () => void;
}

export const healthKey = (tgArn: string, targetId: string, port: number) => `${tgArn}|${targetId}|${port}`;

export class HealthChecker implements TargetHealthSource {
  private readonly tracked = new Map<string, Tracked>();
  private closed = false;
  /** Probes run so far (describe/bench). */
  probes = 0;

  constructor(
    private readonly deps: {
      clock: Clock;
      logger: Logger;
      probe: (spec: ProbeSpec) => Promise<ProbeResult>;
      /** Called when a target's healthy/not-healthy status flips. */
      onChange: () => void;
    },
  ) {}

  healthOf(targetGroupArn: string, targetId: string, port: number): TargetHealthReport | undefined {
    return this.tracked.get(healthKey(targetGroupArn, targetId, port))?.published;
  }

  /** Whether a target passed its checks (and so may receive new flows). */
  isHealthy(targetGroupArn: string, targetId: string, port: number): boolean {
    return this.tracked.get(healthKey(targetGroupArn, targetId, port))?.report.state === 'healthy';
  }

  /** Makes every verdict visible to DescribeTargetHealth (called once the maps carry them). */
  publish(): void {
    for (const t of this.tracked.values()) t.published = t.report;
  }

  /** Replaces the set of checked targets: new ones start, gone ones stop, others keep state. */
  sync(targets: readonly HealthTarget[]): void {
    if (this.closed) return;
    const want = new Map(targets.map((t) => [healthKey(t.targetGroupArn, t.targetId, t.port), t]));
    for (const [key, tr] of this.tracked) {
      if (!want.has(key)) {
        tr.cancel();
        this.tracked.delete(key);
      }
    }
    for (const [key, t] of want) {
      const tr = this.tracked.get(key);
      if (tr) {
        const reschedule = tr.target.settings.intervalSeconds !== t.settings.intervalSeconds;
        tr.target = t;
        if (reschedule) this.schedule(key, tr, 0);
        continue;
      }
      const initial: TargetHealthReport = {
        state: 'initial',
        reason: 'Elb.RegistrationInProgress',
        description: 'Target registration is in progress',
      };
      const fresh: Tracked = {
        target: t,
        report: initial,
        published: initial,
        successes: 0,
        failures: 0,
        checked: false,
        inFlight: false,
        cancel: () => undefined,
      };
      this.tracked.set(key, fresh);
      this.schedule(key, fresh, 0);
    }
  }

  private schedule(key: string, tr: Tracked, delayMs: number): void {
    tr.cancel();
    tr.cancel = this.deps.clock.setTimer(delayMs, () => {
      if (this.closed || this.tracked.get(key) !== tr) return;
      this.schedule(key, tr, tr.target.settings.intervalSeconds * 1000);
      void this.check(key, tr);
    });
  }

  private async check(key: string, tr: Tracked): Promise<void> {
    if (tr.inFlight) return;
    tr.inFlight = true;
    const s = tr.target.settings;
    const protocol = s.protocol === 'HTTP' || s.protocol === 'HTTPS' ? s.protocol : 'TCP';
    let result: ProbeResult;
    try {
      this.probes++;
      result = await this.deps.probe({
        ...tr.target.probe,
        protocol,
        path: s.path,
        matcher: s.matcher,
        timeoutMs: s.timeoutSeconds * 1000,
      });
    } catch (e) {
      result = {
        ok: false,
        reason: 'Target.FailedHealthChecks',
        description: `Health checks failed (${String(e)})`,
      };
    } finally {
      tr.inFlight = false;
    }
    if (this.closed || this.tracked.get(key) !== tr) return;
    this.apply(tr, result);
  }

  private apply(tr: Tracked, r: ProbeResult): void {
    const s = tr.target.settings;
    const wasHealthy = tr.report.state === 'healthy';
    tr.checked = true;
    if (r.ok) {
      tr.successes++;
      tr.failures = 0;
    } else {
      tr.failures++;
      tr.successes = 0;
    }
    if (r.ok && tr.successes >= s.healthyThreshold) tr.report = { state: 'healthy' };
    else if (!r.ok && tr.failures >= s.unhealthyThreshold) {
      tr.report = {
        state: 'unhealthy',
        reason: r.reason ?? 'Target.FailedHealthChecks',
        description: r.description ?? 'Health checks failed',
      };
    } else if (tr.report.state === 'initial') {
      tr.report = {
        state: 'initial',
        reason: 'Elb.InitialHealthChecking',
        description: 'Initial health checks in progress',
      };
    }
    if (wasHealthy === (tr.report.state === 'healthy')) {
      tr.published = tr.report;
    } else {
      this.deps.logger.debug('target health changed', {
        targetGroup: tr.target.targetGroupArn,
        target: `${tr.target.targetId}:${tr.target.port}`,
        state: tr.report.state,
      });
      this.deps.onChange();
    }
  }

  describe(): Record<string, unknown> {
    const states: Record<string, number> = {};
    for (const t of this.tracked.values()) states[t.report.state] = (states[t.report.state] ?? 0) + 1;
    return { targets: this.tracked.size, probes: this.probes, states };
  }

  close(): void {
    this.closed = true;
    for (const t of this.tracked.values()) t.cancel();
    this.tracked.clear();
  }
}
