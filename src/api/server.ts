/**
 * The HTTP listener: binds an explicit address, caps body size, serves the AWS query endpoint on
 * `/` and privlink's own endpoints under `/_privlink/`:
 * - `GET /_privlink/health`: liveness only (`{"status":"ok"}`), open to any local client;
 * - `GET /_privlink/status` (every account's resources), `POST /_privlink/reset` (wipes every
 *   account) and `GET /metrics` (Prometheus text, metrics.ts): open on a server without
 *   --credentials; with --credentials they need a SigV4-signed request from a key marked
 *   `"admin": true` in the credentials file (403 otherwise);
 * - `/console/…`: the web console (console/console-routes.ts), with its own sign-in by access key
 *   in --credentials mode.
 * - `GET /_privlink/images`, `POST /_privlink/images?name=&dir=[&description=]` and
 *   `POST /_privlink/images/deregister?id=`: the image registry (`privlink image`), guarded as
 *   status and reset are: registering a host directory is an administrator's act.
 * Every request first passes request-guard.ts (Host names this server, no cross-origin browser
 * request): a web page can neither POST a reset nor reach the API through DNS rebinding.
 *
 * Misbehaving clients get an AWS error envelope and never hold a connection: a declared or
 * actual body over the cap is answered 413 and the connection closed (an `Expect: 100-continue`
 * request is refused before its body is sent); a body that stalls is answered 408 and closed; a
 * request whose headers never finish is dropped by Node's headersTimeout.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { IdSource } from '../shared/ids.js';
import type { Logger } from '../shared/logger.js';
import { isApiError } from '../control/errors.js';
import { credentialFor, parseAuth, verifySignature } from './auth.js';
import type { EndpointOrigin } from '../control/privatelink/endpoint-authorization.js';
import { encodeEc2Error } from './query/encode.js';
import { handleRequest, type PipelineDeps } from './pipeline.js';
import { checkRequest } from './request-guard.js';
import { ApiMetrics } from './metrics.js';
import { ConsoleRoutes } from './console/console-routes.js';
import { proxyAwsServiceRequest, type AwsBackends } from './aws-service-proxy.js';

export interface AdminHooks {
  /** Liveness: says nothing about any account. */
  health(): Record<string, unknown>;
  status(): Record<string, unknown>;
  reset(): Promise<void>;
  /** DNS queries by kind of answer, for /metrics (absent: no DNS component). */
  dnsQueries?(): Record<string, number>;
  /** `privlink image list|add|remove` (control/images/images.ts). */
  images?: {
    list(): unknown[];
    register(name: string, dir: string, description: string | undefined): unknown;
    deregister(id: string): void;
  };
}

/** Admin request bodies are empty; anything larger is not one. */
const ADMIN_MAX_BODY = 64 * 1024;

export interface ApiServerOptions {
  host: string;
  port: number;
  maxBodyBytes: number;
  ids: IdSource;
  logger: Logger;
  pipeline: PipelineDeps;
  admin: AdminHooks;
  /** Host names (besides localhost, IP literals and `host`) clients may use (--allowed-host). */
  allowedHosts?: readonly string[];
  /** Backends of S3/DynamoDB requests that arrive through endpoints (adapters/aws-backends.ts). */
  awsBackends?: AwsBackends;
  /** Slow-client limits (defaults: 20 s for headers, 20 s of silence mid-body). */
  timeouts?: { headersMs?: number; bodyIdleMs?: number };
}

class BodyTooLarge extends Error {}
class BodyTimeout extends Error {}

/** Reads the body up to `max` bytes; fails if it grows past that or stalls for `idleMs`. */
function readBody(req: IncomingMessage, max: number, idleMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let timer: NodeJS.Timeout | undefined;
    const fail = (e: Error) => {
      clearTimeout(timer);
      req.removeAllListeners('data');
      reject(e);
    };
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => fail(new BodyTimeout()), idleMs);
    };
    arm();
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > max) return fail(new BodyTooLarge());
      chunks.push(c);
      arm();
    });
    req.on('end', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks));
    });
    req.on('error', fail);
    req.on('close', () => clearTimeout(timer));
  });
}

export class ApiServer {
  private server?: Server;
  private readonly metrics: ApiMetrics;
  private readonly console: ConsoleRoutes;
  /** Connections handed in by the endpoint listener, with where they came from. */
  private readonly origins = new WeakMap<Socket, EndpointOrigin>();
  constructor(private readonly o: ApiServerOptions) {
    const dns = o.admin.dnsQueries?.bind(o.admin);
    this.metrics = new ApiMetrics({ control: o.pipeline.control, ...(dns && { dnsQueries: dns }) });
    this.console = new ConsoleRoutes({ control: o.pipeline.control, credentials: o.pipeline.credentials });
  }

  async listen(): Promise<AddressInfo> {
    const headersMs = this.o.timeouts?.headersMs ?? 20_000;
    const server = createServer(
      {
        headersTimeout: headersMs,
        // Whole-request deadline off: the body has its own idle timer (readBody).
        requestTimeout: 0,
        connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(headersMs / 2))),
      },
      (req, res) => {
        this.handle(req, res).catch((e: unknown) => {
          this.o.logger.error('request failed', { error: String(e) });
          if (!res.headersSent) res.writeHead(500);
          res.end();
        });
      },
    );
    // `Expect: 100-continue`: refuse an oversized body before the client sends it.
    server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
      // Through an endpoint S3 uploads are streamed to the backend: the API's body cap is not theirs.
      if (!this.origins.has(req.socket) && this.declaredTooLarge(req)) {
        this.tooLarge(req, res, this.o.ids.uuid());
        return;
      }
      res.writeContinue();
      server.emit('request', req, res);
    });
    server.keepAliveTimeout = 65_000;
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.o.port, this.o.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    return server.address() as AddressInfo;
  }

  /**
   * Serves a connection that arrived through a VPC endpoint (already decrypted): its requests
   * carry `origin`, so the pipeline applies the endpoint's policy.
   */
  acceptConnection(socket: Socket, origin: EndpointOrigin): void {
    const server = this.server;
    if (!server) {
      socket.destroy();
      return;
    }
    this.origins.set(socket, origin);
    server.emit('connection', socket);
  }

  private send(
    res: ServerResponse,
    status: number,
    contentType: string,
    body: string,
    requestId?: string,
  ): void {
    const headers: Record<string, string> = {
      'content-type': contentType,
      'content-length': String(Buffer.byteLength(body)),
    };
    if (requestId) {
      headers['x-amzn-requestid'] = requestId;
      headers['x-amz-request-id'] = requestId;
    }
    res.writeHead(status, headers);
    res.end(body);
  }

  private declaredTooLarge(req: IncomingMessage): boolean {
    const declared = Number(req.headers['content-length'] ?? 0);
    return Number.isFinite(declared) && declared > this.o.maxBodyBytes;
  }

  /**
   * Answers 413 and closes the connection: the rest of the body is never read, so a client
   * cannot keep the server busy by streaming (clients read the early answer, then see the close).
   */
  private tooLarge(req: IncomingMessage, res: ServerResponse, requestId: string): void {
    res.shouldKeepAlive = false;
    this.send(
      res,
      413,
      'text/xml;charset=UTF-8',
      encodeEc2Error('RequestEntityTooLarge', `Request body exceeds ${this.o.maxBodyBytes} bytes`, requestId),
      requestId,
    );
    res.on('finish', () => setTimeout(() => req.socket.destroy(), 200).unref());
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const requestId = this.o.ids.uuid();
    const origin = this.origins.get(req.socket);
    // Requests through an endpoint reach AWS services only: never the admin endpoints, /metrics or
    // the console, which are for the host's loopback.
    if (origin) {
      const deps = {
        control: this.o.pipeline.control,
        backends: this.o.awsBackends ?? {
          has: () => false,
          forward: () => Promise.reject(new Error('none')),
        },
        ...(this.o.pipeline.credentials && { credentials: this.o.pipeline.credentials }),
      };
      if (await proxyAwsServiceRequest(deps, req, res, origin, requestId)) return;
    } else {
      if (url.pathname.startsWith('/_privlink/') || url.pathname === '/metrics') {
        return this.admin(req, res, url);
      }
      if (ConsoleRoutes.handles(url.pathname)) {
        const verdict = checkRequest(req.headers, this.guardOptions());
        if (!verdict.ok) {
          req.resume();
          return this.send(
            res,
            403,
            'application/json',
            JSON.stringify({ error: 'Forbidden', message: verdict.reason }),
          );
        }
        return this.console.handle(req, res, url);
      }
    }
    if (this.declaredTooLarge(req)) return this.tooLarge(req, res, requestId);
    let body: Buffer;
    try {
      body = await readBody(req, this.o.maxBodyBytes, this.o.timeouts?.bodyIdleMs ?? 20_000);
    } catch (e) {
      if (e instanceof BodyTooLarge) return this.tooLarge(req, res, requestId);
      if (e instanceof BodyTimeout) {
        res.shouldKeepAlive = false;
        this.send(
          res,
          408,
          'text/xml;charset=UTF-8',
          encodeEc2Error(
            'RequestTimeout',
            'The request body stopped arriving; the connection is closed',
            requestId,
          ),
          requestId,
        );
        res.on('finish', () => req.socket.destroy());
        return;
      }
      throw e;
    }
    // Checked once the body is read, so the connection stays in step for keep-alive.
    if (req.method !== 'POST' && req.method !== 'GET') {
      return this.send(
        res,
        405,
        'text/xml;charset=UTF-8',
        encodeEc2Error('MethodNotAllowed', `HTTP method ${req.method ?? ''} is not supported`, requestId),
        requestId,
      );
    }
    // Through an endpoint the Host is the AWS name the client used, and no browser is involved.
    const verdict = origin ? ({ ok: true } as const) : checkRequest(req.headers, this.guardOptions());
    if (!verdict.ok) {
      return this.send(
        res,
        403,
        'text/xml;charset=UTF-8',
        encodeEc2Error('UnauthorizedOperation', verdict.reason, requestId),
        requestId,
      );
    }
    const t0 = performance.now();
    const result = await handleRequest(
      this.o.pipeline,
      {
        method: req.method,
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        body,
        ...(origin && { origin }),
      },
      requestId,
    );
    this.metrics.observe(result.metric, (performance.now() - t0) / 1000);
    this.send(res, result.status, result.contentType, result.body, requestId);
  }

  private guardOptions() {
    return { bindHost: this.o.host, allowedHosts: this.o.allowedHosts ?? [] };
  }

  private async admin(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const path = url.pathname;
    const json = (status: number, v: unknown) =>
      this.send(res, status, 'application/json', JSON.stringify(v));
    const refuse = (status: number, error: string, message: string) => json(status, { error, message });
    const verdict = checkRequest(req.headers, this.guardOptions());
    if (!verdict.ok) {
      req.resume();
      return refuse(403, 'Forbidden', verdict.reason);
    }
    if (path === '/_privlink/health' && req.method === 'GET') {
      req.resume();
      return json(200, this.o.admin.health());
    }
    const isStatus = path === '/_privlink/status' && req.method === 'GET';
    const isReset = path === '/_privlink/reset' && req.method === 'POST';
    const isMetrics = path === '/metrics' && req.method === 'GET';
    const isImages = path === '/_privlink/images' || path === '/_privlink/images/deregister';
    if (!isStatus && !isReset && !isMetrics && !isImages) {
      req.resume();
      return json(404, { error: 'not found' });
    }
    const creds = this.o.pipeline.credentials;
    if (creds) {
      let body: Buffer;
      try {
        body = await readBody(req, ADMIN_MAX_BODY, this.o.timeouts?.bodyIdleMs ?? 20_000);
      } catch {
        res.shouldKeepAlive = false;
        return refuse(400, 'BadRequest', 'admin requests carry no body');
      }
      const auth = parseAuth(
        Array.isArray(req.headers['authorization'])
          ? req.headers['authorization'][0]
          : req.headers['authorization'],
        url.searchParams,
      );
      try {
        await verifySignature(
          { method: req.method ?? 'GET', path, query: url.searchParams, headers: req.headers, body },
          auth,
          creds,
        );
      } catch (e) {
        if (isApiError(e)) return refuse(e.status >= 500 ? 500 : 403, e.code, e.message);
        throw e;
      }
      if (credentialFor(creds, auth.accessKeyId)?.admin !== true) {
        return refuse(
          403,
          'AccessDenied',
          `access key ${auth.accessKeyId ?? ''} is not an admin: mark it "admin": true in the credentials file`,
        );
      }
    } else {
      req.resume();
    }
    if (isStatus) return json(200, this.o.admin.status());
    if (isMetrics) {
      const m = await this.metrics.render();
      return this.send(res, 200, m.contentType, m.body);
    }
    const images = this.o.admin.images;
    if (isImages && !images) return json(404, { error: 'not found' });
    if (isImages && images) {
      const q = url.searchParams;
      try {
        if (req.method === 'GET' && path === '/_privlink/images') return json(200, images.list());
        if (req.method !== 'POST') return refuse(405, 'MethodNotAllowed', `${req.method ?? ''} ${path}`);
        if (path === '/_privlink/images/deregister') {
          images.deregister(q.get('id') ?? '');
          return json(200, { deregistered: q.get('id') });
        }
        return json(
          200,
          images.register(q.get('name') ?? '', q.get('dir') ?? '', q.get('description') ?? undefined),
        );
      } catch (e) {
        if (isApiError(e)) return refuse(e.status, e.code, e.message);
        throw e;
      }
    }
    await this.o.admin.reset();
    return json(200, { reset: true });
  }

  async close(): Promise<void> {
    this.console.close();
    const s = this.server;
    if (!s) return;
    this.server = undefined;
    await new Promise<void>((resolve) => {
      s.close(() => resolve());
      s.closeAllConnections();
    });
  }
}
