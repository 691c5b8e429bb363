/**
 * The composition root: options → store → data plane → control plane (handed the data plane's
 * ports and the outbound adapters) → DNS and other components → API server. This is the one
 * place where parts are wired together. `Privlink` is the product; the CLI, the demo and the
 * tests all drive this one class.
 */
import { join, resolve } from 'node:path';
import { resolveOptions, type PrivlinkOptions } from './config/options.js';
import { Control, type ControlPorts } from './control/control.js';
import type { DataplanePorts } from './control/ports.js';
import { createSnsPublisher } from './adapters/sns-publisher.js';
import { createTxtResolver } from './adapters/txt-resolver.js';
import { createAwsBackends } from './adapters/aws-backends.js';
import { ApiServer } from './api/server.js';
import { EndpointListener } from './api/endpoint-listener.js';
import { CertificateAuthority } from './api/tls/certificate-authority.js';
import { parsePpv2 } from './dataplane/proxy/ppv2.js';
import { systemClock, type Clock } from './shared/clock.js';
import { randomIdSource, type IdSource } from './shared/ids.js';
import { createLogger, type Logger } from './shared/logger.js';
import { SqliteStore } from './store/sqlite-store.js';
import type { Store } from './store/store.js';
import { KINDS } from './control/model/kinds.js';
import { allImages, deregisterImage, registerImage } from './control/images/images.js';

/** A long-running part of privlink (data plane, DNS…) owned by the Privlink instance. */
export interface Component {
  readonly name: string;
  start(): Promise<void>;
  /** Bring actual state back to empty after a store reset. */
  reset?(): Promise<void>;
  close(): Promise<void>;
  /** A few facts for `privlink status` (GET /_privlink/status) and the demo. */
  describe?(): Record<string, unknown>;
  /** Runs a command inside an instance (the data plane implements this). */
  execInInstance?(instanceId: string, argv: readonly string[], timeoutMs: number): Promise<ExecResult>;
}

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** What the data plane is built from: it comes before the control plane and never sees it. */
export interface DataplaneBase {
  store: Store;
  clock: Clock;
  ids: IdSource;
  options: PrivlinkOptions;
  logger: Logger;
  /** privlink's CA certificate (PEM) once the root has opened it: what instances must trust. */
  caCertificate?: () => string | undefined;
}

/** The data plane as the root sees it: a component that reports through the ports. */
export interface DataplaneComponent extends Component {
  readonly ports: DataplanePorts;
  /** The unix socket AWS-service endpoint traffic arrives on (set once started), if any. */
  readonly awsServicesSocket?: string;
}

/** Where the CA lives: `<dataDir>/ca` (in memory for an ephemeral server). */
export function caDirectory(options: PrivlinkOptions): string | undefined {
  return options.ephemeral ? undefined : join(options.dataDir, 'ca');
}

/** privlink's CA certificate (PEM), creating the CA in the data dir on first use (`privlink ca`). */
export async function caCertificatePem(options: Partial<PrivlinkOptions>): Promise<string> {
  const resolved = resolveOptions({ ...options, ephemeral: false });
  return (await CertificateAuthority.open(caDirectory(resolved))).certificatePem();
}

export interface PrivlinkDeps {
  clock?: Clock;
  ids?: IdSource;
  logger?: Logger;
  /**
   * Builds the data plane (src/components.ts `createDataplane`, which builds none with
   * `dataplane: 'off'`; tests may hand in a fake). Without one the control plane uses the
   * ports' defaults.
   */
  dataplane?: (base: DataplaneBase) => DataplaneComponent | undefined;
  /** Components built after the control plane (DNS; tests inject fakes), started after the data plane. */
  components?: (p: Privlink) => Component[];
}

export class Privlink {
  readonly options: PrivlinkOptions;
  readonly clock: Clock;
  readonly ids: IdSource;
  readonly logger: Logger;
  readonly store: Store;
  /** The data plane, when one runs. */
  readonly dataplane: DataplaneComponent | undefined;
  readonly control: Control;
  private readonly api: ApiServer;
  private components: Component[] = [];
  /** privlink's CA (opened at start). */
  ca: CertificateAuthority | undefined;
  private endpointListener: EndpointListener | undefined;
  private readonly deps: PrivlinkDeps;
  private started = false;
  private closed = false;
  /** http://host:port of the API once started. */
  url = '';
  port = 0;

  constructor(options: Partial<PrivlinkOptions> = {}, deps: PrivlinkDeps = {}) {
    this.options = resolveOptions(options);
    this.deps = deps;
    this.clock = deps.clock ?? systemClock;
    this.ids = deps.ids ?? randomIdSource();
    this.logger = deps.logger ?? createLogger(this.options.logLevel);
    this.store = new SqliteStore(
      this.options.ephemeral ? ':memory:' : join(this.options.dataDir, 'privlink.db'),
      { logger: this.logger.child('store') },
    );
    this.dataplane = deps.dataplane?.({
      store: this.store,
      clock: this.clock,
      ids: this.ids,
      options: this.options,
      logger: this.logger.child('dataplane'),
      caCertificate: () => this.ca?.certificatePem(),
    });
    this.control = new Control({
      store: this.store,
      clock: this.clock,
      ids: this.ids,
      logger: this.logger.child('control'),
      config: {
        pendingMs: this.options.pendingMs,
        deletedRetentionMs: this.options.deletedRetentionMs,
        pendingAcceptanceTtlMs: this.options.pendingAcceptanceTtlMs,
        quotas: {
          ...this.options.quotas,
          maxNamespaces: this.options.maxNamespaces,
          maxInstances: this.options.maxInstances,
        },
      },
      ports: this.controlPorts(),
    });
    this.api = new ApiServer({
      host: this.options.host,
      port: this.options.port,
      maxBodyBytes: this.options.maxBodyBytes,
      ids: this.ids,
      logger: this.logger.child('api'),
      pipeline: {
        control: this.control,
        logger: this.logger.child('api'),
        defaultRegion: this.options.defaultRegion,
        credentials: this.options.credentials,
      },
      allowedHosts: this.options.allowedHosts,
      awsBackends: createAwsBackends(this.options.awsServices),
      admin: {
        // Over HTTP, health is liveness only: components list every account's instances.
        health: () => ({ status: 'ok' }),
        status: () => this.status(),
        reset: () => this.reset(),
        dnsQueries: () => {
          const dns = this.components.find(
            (c): c is Component & { queryStats: { counts: Record<string, number> } } => 'queryStats' in c,
          );
          return dns ? { ...dns.queryStats.counts } : {};
        },
        images: {
          list: () => allImages(this.control),
          register: (name, dir, description) =>
            registerImage(this.control, {
              name,
              path: dir,
              description,
              secrets: this.options.ephemeral ? [] : [resolve(this.options.dataDir)],
            }),
          deregister: (id) => deregisterImage(this.control, id),
        },
      },
    });
  }

  /** The data plane's ports (defaults without one) and the outbound adapters the options ask for. */
  private controlPorts(): ControlPorts {
    const { snsEndpoint, verificationResolver } = this.options;
    return {
      ...this.dataplane?.ports,
      ...(snsEndpoint && { sns: createSnsPublisher(snsEndpoint) }),
      ...(verificationResolver && {
        // DNS message IDs come from the injected ID source, like every other identifier.
        txt: createTxtResolver(verificationResolver, () => parseInt(this.ids.hex(4), 16)),
      }),
    };
  }

  /** Starts control-plane timers, components, then the API; resolves when ready. */
  async start(): Promise<this> {
    if (this.started) return this;
    this.started = true;
    try {
      this.ca = await CertificateAuthority.open(caDirectory(this.options));
      this.control.start();
      this.components = [
        ...(this.dataplane ? [this.dataplane] : []),
        ...(this.deps.components?.(this) ?? []),
      ];
      for (const c of this.components) await c.start();
      const addr = await this.api.listen();
      await this.listenForEndpoints(this.ca);
      this.port = addr.port;
      this.url = `http://${this.options.host}:${addr.port}`;
      this.logger.info(`API listening on ${this.url}`, { store: this.store.location });
    } catch (e) {
      await this.close();
      throw e;
    }
    return this;
  }

  /** Serves AWS-service endpoint traffic on the data plane's unix socket (when it has one). */
  private async listenForEndpoints(ca: CertificateAuthority): Promise<void> {
    const path = this.dataplane?.awsServicesSocket;
    if (!path) return;
    const listener = new EndpointListener(ca, this.api, this.logger.child('endpoint-api'), (buf) => {
      const h = parsePpv2(buf);
      return (
        h && {
          length: h.length,
          vpceId: h.vpceId,
          sourceIp: h.addresses?.sourceAddress,
          crcValid: h.crcValid,
        }
      );
    });
    await listener.listen(path);
    this.endpointListener = listener;
  }

  health(): Record<string, unknown> {
    const parts: Record<string, unknown> = {};
    for (const c of this.components) parts[c.name] = c.describe?.() ?? {};
    return { status: 'ok', url: this.url, store: this.store.location, components: parts };
  }

  /** Runs argv inside an instance's network namespace and collects its output. */
  async execInInstance(instanceId: string, argv: readonly string[], timeoutMs = 10_000): Promise<ExecResult> {
    const runner = this.components.find((c) => c.execInInstance);
    if (!runner?.execInInstance) throw new Error('no data plane runs here, so instances cannot run commands');
    return runner.execInInstance(instanceId, argv, timeoutMs);
  }

  /** Health plus resource counts and endpoints, for `privlink status`. */
  status(): Record<string, unknown> {
    const counts: Record<string, number> = {};
    for (const k of KINDS) counts[k] = this.store.listAll(k).length;
    const endpoints = this.store.listAll('vpcEndpoint').map((e) => ({
      id: e.id,
      accountId: e.accountId,
      region: e.region,
      type: e.endpointType,
      serviceName: e.serviceName,
      state: e.state,
      vpcId: e.vpcId,
    }));
    return { ...this.health(), counts, endpoints };
  }

  /** Wipes all state and the data plane it produced. */
  async reset(): Promise<void> {
    this.store.reset();
    for (const c of this.components) await c.reset?.();
  }

  /** Stops the API, components (which remove what they made) and the store. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.endpointListener?.close();
    await this.api.close();
    for (const c of [...this.components].reverse()) {
      try {
        await c.close();
      } catch (e) {
        this.logger.error(`closing ${c.name} failed`, { error: String(e) });
      }
    }
    await this.control.close();
    this.store.close();
  }
}
