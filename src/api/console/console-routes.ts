/**
 * The web console on the API port: `/console/` serves the page and its ES modules (the page's
 * own files from web/console/, Preact, htm and elkjs straight from their installed packages —
 * no build step, no CDN), `/console/api/…` its JSON and its live stream:
 *
 * - `GET  /console/api/session`   who the page is signed in as (admin when no --credentials);
 * - `POST /console/api/session`   sign in with an access key ID and secret (--credentials mode);
 *   the answer sets an HttpOnly, SameSite=Strict session cookie; `DELETE` signs out;
 * - `GET  /console/api/snapshot`  everything the viewer may see (control/console/console-view.ts
 *   filters it server-side by the signed-in account);
 * - `POST /console/api/services/{serviceId}/connections/{endpointId}/{accept|reject}` — the
 *   API's AcceptVpcEndpointConnections / RejectVpcEndpointConnections use-case, as the owner;
 * - `GET  /console/api/events`    server-sent events: `changed` (a committed change concerning
 *   the viewer's account; the page refetches the snapshot) and `traffic` (per-endpoint measured
 *   traffic of the endpoints the viewer may see, once a second while anyone listens).
 *
 * Every request has already passed the request guard (same-origin, Host names this server), so
 * another site's page can neither read these answers nor post a decision.
 */
import { createReadStream, readFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { CredentialEntry } from '../../config/options.js';
import type { Control } from '../../control/control.js';
import { isApiError } from '../../control/errors.js';
import type { EndpointTraffic } from '../../control/ports.js';
import {
  consoleSnapshot,
  decideFromConsole,
  visibleEndpointIds,
  type Viewer,
} from '../../control/console/console-view.js';
import { StateHistory, type ConsoleChange } from '../../control/console/state-history.js';

const WEB_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../../web/console');
const require = createRequire(import.meta.url);

/** The page's inline import map is the one inline script the CSP allows (by its hash). */
function importMapHash(): string {
  const index = readFileSync(join(WEB_ROOT, 'index.html'), 'utf8');
  const map = /<script type="importmap">([\s\S]*?)<\/script>/.exec(index)?.[1] ?? '';
  return `'sha256-${createHash('sha256').update(map).digest('base64')}'`;
}

/** Vendor modules served from their packages (resolved once, at start). */
function vendorFiles(): Record<string, string> {
  // The directory of each package's CommonJS entry holds its ES module build too.
  const dir = (spec: string) => dirname(require.resolve(spec));
  return {
    'preact.mjs': join(dir('preact'), 'preact.module.js'),
    'hooks.mjs': join(dir('preact/hooks'), 'hooks.module.js'),
    'htm.mjs': join(dir('htm'), 'htm.module.js'),
    'elk.bundled.js': join(dir('elkjs'), 'elk.bundled.js'),
  };
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

const SESSION_COOKIE = 'privlink_console';
const MAX_SESSIONS = 1000;
const TRAFFIC_MS = 1000;
const CHANGE_DEBOUNCE_MS = 100;
const MAX_BODY = 4096;

export interface ConsoleRoutesDeps {
  control: Control;
  credentials: Record<string, CredentialEntry> | undefined;
}

interface SseClient {
  res: ServerResponse;
  viewer: Viewer;
  pendingChange: NodeJS.Timeout | undefined;
}

function readSmallBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new Error('body too large'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolvePromise(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function cookie(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return v.join('=');
  }
  return undefined;
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export class ConsoleRoutes {
  private readonly history: StateHistory;
  private readonly vendor = vendorFiles();
  private readonly csp = [
    "default-src 'self'",
    `script-src 'self' ${importMapHash()}`,
    "img-src 'self' data:",
    "style-src 'self' 'unsafe-inline'",
    "frame-ancestors 'none'",
  ].join('; ');
  /** Session token → the access key it signed in with (looked up again on every request). */
  private readonly sessions = new Map<string, string>();
  private readonly clients = new Set<SseClient>();
  private trafficTimer: NodeJS.Timeout | undefined;
  private readonly unsubscribe: () => void;

  constructor(private readonly deps: ConsoleRoutesDeps) {
    this.history = new StateHistory(deps.control);
    this.unsubscribe = this.history.onChange((c) => this.onChange(c));
  }

  /** Whether this module answers the path. */
  static handles(path: string): boolean {
    return path === '/console' || path.startsWith('/console/');
  }

  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const path = url.pathname;
    if (path === '/console') {
      res.writeHead(308, { location: '/console/' });
      res.end();
      return;
    }
    if (path.startsWith('/console/api/')) return this.api(req, res, path.slice('/console/api/'.length));
    req.resume();
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return this.json(res, 405, { error: 'MethodNotAllowed' });
    if (path.startsWith('/console/vendor/')) {
      const file = this.vendor[path.slice('/console/vendor/'.length)];
      return file ? this.file(res, file) : this.json(res, 404, { error: 'NotFound' });
    }
    const rel = path === '/console/' ? 'index.html' : path.slice('/console/'.length);
    const full = resolve(WEB_ROOT, rel);
    if (!full.startsWith(WEB_ROOT + sep)) return this.json(res, 404, { error: 'NotFound' });
    return this.file(res, full);
  }

  private async file(res: ServerResponse, full: string): Promise<void> {
    const type = TYPES[full.slice(full.lastIndexOf('.'))];
    const st = await stat(full).catch(() => undefined);
    if (!type || !st?.isFile()) return this.json(res, 404, { error: 'NotFound' });
    res.writeHead(200, {
      'content-type': type,
      'content-length': String(st.size),
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
      // The page loads only its own files and talks only to this server.
      'content-security-policy': this.csp,
    });
    createReadStream(full).pipe(res);
  }

  private json(res: ServerResponse, status: number, v: unknown, headers: Record<string, string> = {}): void {
    const body = JSON.stringify(v);
    res.writeHead(status, {
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(body)),
      'cache-control': 'no-store',
      ...headers,
    });
    res.end(body);
  }

  /** The viewer of a request, or undefined when it must sign in first. */
  private viewerOf(req: IncomingMessage): Viewer | undefined {
    const creds = this.deps.credentials;
    if (!creds) return { accountId: undefined };
    const token = cookie(req, SESSION_COOKIE);
    const akid = token ? this.sessions.get(token) : undefined;
    const entry = akid && Object.prototype.hasOwnProperty.call(creds, akid) ? creds[akid] : undefined;
    if (!entry) return undefined;
    return { accountId: entry.admin === true ? undefined : entry.accountId };
  }

  private async api(req: IncomingMessage, res: ServerResponse, route: string): Promise<void> {
    if (route === 'session') return this.session(req, res);
    const viewer = this.viewerOf(req);
    if (!viewer) {
      req.resume();
      return this.json(res, 401, { error: 'SignInRequired', message: 'sign in with an access key first' });
    }
    if (route === 'snapshot' && req.method === 'GET') {
      req.resume();
      return this.json(res, 200, consoleSnapshot(this.deps.control, viewer, this.history));
    }
    if (route === 'events' && req.method === 'GET') {
      req.resume();
      return this.events(req, res, viewer);
    }
    const m = /^services\/([\w-]{1,64})\/connections\/([\w-]{1,64})\/(accept|reject)$/.exec(route);
    if (m && req.method === 'POST') {
      req.resume();
      const [, serviceId = '', endpointId = '', verb] = m;
      try {
        const r = decideFromConsole(
          this.deps.control,
          viewer,
          serviceId,
          endpointId,
          verb === 'accept' ? 'accept' : 'reject',
        );
        return this.json(res, r.ok ? 200 : 409, r);
      } catch (e) {
        if (isApiError(e))
          return this.json(res, e.status >= 500 ? 500 : 404, { ok: false, code: e.code, message: e.message });
        throw e;
      }
    }
    req.resume();
    return this.json(res, 404, { error: 'NotFound' });
  }

  private async session(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const creds = this.deps.credentials;
    if (req.method === 'GET') {
      req.resume();
      const v = this.viewerOf(req);
      return this.json(res, 200, {
        signInRequired: creds !== undefined,
        signedIn: v !== undefined,
        accountId: v?.accountId ?? null,
        admin: v !== undefined && v.accountId === undefined,
      });
    }
    if (req.method === 'DELETE') {
      req.resume();
      const token = cookie(req, SESSION_COOKIE);
      if (token) this.sessions.delete(token);
      return this.json(
        res,
        200,
        { signedIn: false },
        { 'set-cookie': `${SESSION_COOKIE}=; Path=/console; Max-Age=0` },
      );
    }
    if (req.method !== 'POST') {
      req.resume();
      return this.json(res, 405, { error: 'MethodNotAllowed' });
    }
    let input: { accessKeyId?: unknown; secretAccessKey?: unknown };
    try {
      input = JSON.parse(await readSmallBody(req)) as typeof input;
    } catch {
      return this.json(res, 400, {
        error: 'BadRequest',
        message: 'send {"accessKeyId","secretAccessKey"} as JSON',
      });
    }
    if (!creds)
      return this.json(res, 400, {
        error: 'BadRequest',
        message: 'this server runs without --credentials: no sign-in needed',
      });
    const akid = typeof input.accessKeyId === 'string' ? input.accessKeyId : '';
    const secret = typeof input.secretAccessKey === 'string' ? input.secretAccessKey : '';
    const entry = Object.prototype.hasOwnProperty.call(creds, akid) ? creds[akid] : undefined;
    if (!entry || !sameSecret(entry.secretAccessKey, secret)) {
      return this.json(res, 403, {
        error: 'InvalidClientTokenId',
        message: 'unknown access key or wrong secret',
      });
    }
    if (this.sessions.size >= MAX_SESSIONS) {
      const oldest = this.sessions.keys().next().value;
      if (oldest !== undefined) this.sessions.delete(oldest);
    }
    const token = randomBytes(32).toString('base64url');
    this.sessions.set(token, akid);
    return this.json(
      res,
      200,
      {
        signedIn: true,
        accountId: entry.admin === true ? null : entry.accountId,
        admin: entry.admin === true,
      },
      { 'set-cookie': `${SESSION_COOKIE}=${token}; Path=/console; HttpOnly; SameSite=Strict` },
    );
  }

  private events(req: IncomingMessage, res: ServerResponse, viewer: Viewer): void {
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-store',
      connection: 'keep-alive',
    });
    res.write('retry: 1000\n\n');
    const client: SseClient = { res, viewer, pendingChange: undefined };
    this.clients.add(client);
    req.socket.setTimeout(0);
    // The response's close is the connection's (the request's fires once its empty body is read).
    res.on('close', () => {
      clearTimeout(client.pendingChange);
      this.clients.delete(client);
      if (this.clients.size === 0) this.stopTraffic();
    });
    this.startTraffic();
  }

  private onChange(c: ConsoleChange): void {
    for (const client of this.clients) {
      const id = client.viewer.accountId;
      if (id !== undefined && !c.accounts.includes(id)) continue;
      // Bursts of commits become one event: the page refetches the snapshot once.
      if (client.pendingChange) continue;
      client.pendingChange = setTimeout(() => {
        client.pendingChange = undefined;
        client.res.write(`event: changed\ndata: {}\n\n`);
      }, CHANGE_DEBOUNCE_MS);
    }
  }

  private startTraffic(): void {
    if (this.trafficTimer) return;
    const tick = async () => {
      if (this.clients.size === 0) return;
      let all: Map<string, EndpointTraffic>;
      try {
        all = await this.deps.control.traffic.endpointTraffic();
      } catch {
        return;
      }
      const adminPayload = JSON.stringify(Object.fromEntries(all));
      const byAccount = new Map<string, string>();
      for (const client of this.clients) {
        const id = client.viewer.accountId;
        let payload = adminPayload;
        if (id !== undefined) {
          let p = byAccount.get(id);
          if (p === undefined) {
            const visible = visibleEndpointIds(this.deps.control, client.viewer);
            p = JSON.stringify(Object.fromEntries([...all].filter(([ep]) => visible.has(ep))));
            byAccount.set(id, p);
          }
          payload = p;
        }
        client.res.write(`event: traffic\ndata: ${payload}\n\n`);
      }
    };
    void tick();
    this.trafficTimer = setInterval(() => void tick(), TRAFFIC_MS);
    this.trafficTimer.unref();
  }

  private stopTraffic(): void {
    if (this.trafficTimer) clearInterval(this.trafficTimer);
    this.trafficTimer = undefined;
  }

  close(): void {
    this.stopTraffic();
    this.unsubscribe();
    this.history.close();
    for (const c of this.clients) {
      clearTimeout(c.pendingChange);
      c.res.end();
    }
    this.clients.clear();
  }
}
