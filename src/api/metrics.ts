/**
 * Prometheus metrics (`GET /metrics`, guarded like the other admin endpoints): one prom-client
 * Registry per API server, so two servers in one process (tests) never share series.
 *
 * Pushed as they happen: API requests by service, action and error code ('OK' on success) and
 * their latency. Pulled at scrape time through the control plane: reconcile passes and failures
 * per reconciler, per-endpoint state and measured traffic, target health per target group, and
 * DNS queries by kind of answer; plus prom-client's default process figures. The metric list
 * is in docs/console.md.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Control } from '../control/control.js';
import { endpointMetrics, targetHealthMetrics } from '../control/console/metrics-view.js';
import type { PipelineResult } from './pipeline.js';

export interface MetricsDeps {
  control: Control;
  /** DNS queries by kind of answer (the DNS component's counts), when DNS runs. */
  dnsQueries?: () => Record<string, number>;
}

export class ApiMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'service' | 'action' | 'code'>;
  private readonly duration: Histogram<'service' | 'action'>;

  constructor(deps: MetricsDeps) {
    const registers = [this.registry];
    const { control } = deps;
    collectDefaultMetrics({ register: this.registry, prefix: 'privlink_' });
    this.requests = new Counter({
      name: 'privlink_api_requests_total',
      help: 'API requests answered, by service, action and AWS error code (OK on success)',
      labelNames: ['service', 'action', 'code'],
      registers,
    });
    this.duration = new Histogram({
      name: 'privlink_api_request_duration_seconds',
      help: 'Time from a complete request body to the answer, by service and action',
      labelNames: ['service', 'action'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
    const perReconciler = (
      name: string,
      help: string,
      pick: (s: { passes: number; failures: number; secondsTotal: number }) => number,
    ) =>
      new Counter({
        name,
        help,
        labelNames: ['reconciler'],
        registers,
        collect() {
          this.reset();
          for (const [r, s] of control.reconcile.reconcileStats()) this.inc({ reconciler: r }, pick(s));
        },
      });
    perReconciler(
      'privlink_reconcile_passes_total',
      'Reconcile passes run, per data-plane reconciler',
      (s) => s.passes,
    );
    perReconciler(
      'privlink_reconcile_failures_total',
      'Reconcile passes that failed (retried later), per reconciler',
      (s) => s.failures,
    );
    perReconciler(
      'privlink_reconcile_duration_seconds_total',
      'Time spent in reconcile passes, per reconciler',
      (s) => s.secondsTotal,
    );

    const epLabels = ['endpoint', 'account', 'service'] as const;
    new Gauge({
      name: 'privlink_endpoint_state',
      help: 'VPC endpoints by state: 1 for the state each endpoint is in',
      labelNames: [...epLabels, 'type', 'state'],
      registers,
      collect() {
        this.reset();
        for (const e of endpointMetrics(control))
          this.set(
            { endpoint: e.id, account: e.accountId, service: e.serviceId, type: e.type, state: e.state },
            1,
          );
      },
    });
    // One reading of the data plane per scrape, shared by the four traffic series.
    let reading:
      | Promise<
          Map<
            string,
            { activeConnections: number; connectionsTotal: number; bytesIn: number; bytesOut: number }
          >
        >
      | undefined;
    const traffic = () =>
      (reading ??= control.traffic
        .endpointTraffic()
        .finally(() => setImmediate(() => (reading = undefined))));
    const owners = () => new Map(endpointMetrics(control).map((e) => [e.id, e]));
    const trafficSeries = (
      kind: 'gauge' | 'counter',
      name: string,
      help: string,
      pick: (t: {
        activeConnections: number;
        connectionsTotal: number;
        bytesIn: number;
        bytesOut: number;
      }) => number,
    ) => {
      const config = {
        name,
        help,
        labelNames: epLabels,
        registers,
      };
      const fill = async (m: Gauge<(typeof epLabels)[number]> | Counter<(typeof epLabels)[number]>) => {
        m.reset();
        const t = await traffic();
        const own = owners();
        for (const [id, v] of t) {
          const e = own.get(id);
          if (!e) continue;
          const labels = { endpoint: id, account: e.accountId, service: e.serviceId };
          if (m instanceof Gauge) m.set(labels, pick(v));
          else m.inc(labels, pick(v));
        }
      };
      return kind === 'gauge'
        ? new Gauge({
            ...config,
            async collect() {
              await fill(this);
            },
          })
        : new Counter({
            ...config,
            async collect() {
              await fill(this);
            },
          });
    };
    trafficSeries(
      'gauge',
      'privlink_endpoint_active_connections',
      'Open connections through an interface endpoint (measured)',
      (t) => t.activeConnections,
    );
    trafficSeries(
      'counter',
      'privlink_endpoint_connections_total',
      'New connections through an interface endpoint (measured)',
      (t) => t.connectionsTotal,
    );
    trafficSeries(
      'counter',
      'privlink_endpoint_received_bytes_total',
      'Bytes from consumers into an interface endpoint (measured)',
      (t) => t.bytesIn,
    );
    trafficSeries(
      'counter',
      'privlink_endpoint_sent_bytes_total',
      'Bytes from an interface endpoint back to consumers (measured)',
      (t) => t.bytesOut,
    );

    new Gauge({
      name: 'privlink_targets',
      help: 'Registered targets per target group and health state',
      labelNames: ['target_group', 'account', 'state'],
      registers,
      collect() {
        this.reset();
        for (const tg of targetHealthMetrics(control))
          for (const [state, n] of tg.states)
            this.set({ target_group: tg.name, account: tg.accountId, state }, n);
      },
    });
    const dns = deps.dnsQueries;
    if (dns) {
      new Counter({
        name: 'privlink_dns_queries_total',
        help: 'DNS queries answered by privlink resolvers, by kind of answer',
        labelNames: ['answer'],
        registers,
        collect() {
          this.reset();
          for (const [answer, n] of Object.entries(dns())) this.inc({ answer }, n);
        },
      });
    }
  }

  /** Counts one answered API request. */
  observe(m: PipelineResult['metric'], seconds: number): void {
    this.requests.inc(m);
    this.duration.observe({ service: m.service, action: m.action }, seconds);
  }

  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
