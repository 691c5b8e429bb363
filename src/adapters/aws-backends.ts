/**
 * The S3- and DynamoDB-compatible servers behind privlink's endpoints (`--aws-service
 * s3=URL`): forwards one request and streams the answer back. A URL with user info
 * (`http://KEY:SECRET@host:port`) makes the request re-signed with SigV4 for the backend (for
 * servers that check signatures, such as s3rver or MinIO); without it the client's headers go
 * as they came. Virtual-hosted S3 requests are sent path-style (`/bucket/key`), which every
 * S3-compatible server understands.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import { SignatureV4 } from '@smithy/signature-v4';
import { Sha256 } from '@aws-crypto/sha256-js';

type Service = 's3' | 'dynamodb';

const CONNECT_TIMEOUT_MS = 2_000;
/** Silence from a connected backend longer than this ends the request (503). */
const ANSWER_TIMEOUT_MS = 30_000;
/** Headers that describe the hop, not the request, or that the re-signing replaces. */
const HOP = new Set([
  'host',
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'expect',
]);
const SIGNING = new Set(['authorization', 'x-amz-date', 'x-amz-security-token', 'x-amz-content-sha256']);

function bucketOf(host: string, region: string): string | undefined {
  const h = host.toLowerCase().replace(/:\d+$/, '');
  for (const base of [`.s3.${region}.amazonaws.com`, `.s3.${region}.vpce.amazonaws.com`]) {
    if (!h.endsWith(base)) continue;
    const rest = h.slice(0, -base.length);
    // vpce names: bucket.vpce-…; the bucket is the first label.
    const labels = rest.split('.');
    const bucket = rest.includes('vpce-') ? labels[0] : rest;
    if (bucket && !bucket.startsWith('vpce-')) return bucket;
  }
  return undefined;
}

export function createAwsBackends(urls: Readonly<Record<string, string>>) {
  const parsed = new Map<Service, URL>();
  for (const [svc, u] of Object.entries(urls)) {
    if (svc === 's3' || svc === 'dynamodb') parsed.set(svc, new URL(u));
  }
  return {
    has: (service: Service) => parsed.has(service),
    async forward(
      service: Service,
      region: string,
      req: IncomingMessage,
      body: Buffer | IncomingMessage,
      res: ServerResponse,
    ): Promise<void> {
      const base = parsed.get(service);
      if (!base) throw new Error(`no ${service} backend`);
      const incoming = new URL(req.url ?? '/', 'http://x');
      let path = incoming.pathname;
      const bucket = service === 's3' ? bucketOf(req.headers.host ?? '', region) : undefined;
      if (bucket) path = `/${bucket}${path === '/' ? '' : path}`;
      const basePath = base.pathname.replace(/\/$/, '');
      const resign = base.username !== '';
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) {
        if (v === undefined || HOP.has(k) || (resign && SIGNING.has(k))) continue;
        headers[k] = Array.isArray(v) ? v.join(', ') : v;
      }
      headers['host'] = base.host;
      if (Buffer.isBuffer(body)) headers['content-length'] = String(body.length);
      if (resign) {
        const signer = new SignatureV4({
          service,
          region,
          sha256: Sha256,
          credentials: {
            accessKeyId: decodeURIComponent(base.username),
            secretAccessKey: decodeURIComponent(base.password),
          },
          uriEscapePath: service !== 's3',
          applyChecksum: false,
        });
        if (!Buffer.isBuffer(body)) headers['x-amz-content-sha256'] = 'UNSIGNED-PAYLOAD';
        const query: Record<string, string> = {};
        for (const [k, v] of incoming.searchParams) query[k] = v;
        const signed = await signer.sign({
          method: req.method ?? 'GET',
          protocol: base.protocol,
          hostname: base.hostname,
          port: base.port ? Number(base.port) : undefined,
          path: basePath + path,
          query,
          headers,
          body: Buffer.isBuffer(body) ? body : undefined,
        });
        Object.assign(headers, signed.headers);
      }
      const mod = base.protocol === 'https:' ? https : http;
      await new Promise<void>((resolve, reject) => {
        const out = mod.request(
          {
            method: req.method,
            host: base.hostname,
            port: base.port || undefined,
            path: basePath + path + incoming.search,
            headers,
          },
          (up) => {
            clearTimeout(timer);
            const h: Record<string, string | string[]> = {};
            for (const [k, v] of Object.entries(up.headers)) if (v !== undefined && !HOP.has(k)) h[k] = v;
            res.writeHead(up.statusCode ?? 502, h);
            up.pipe(res);
            up.on('end', resolve);
            up.on('error', reject);
          },
        );
        const timer = setTimeout(() => out.destroy(new Error('connect timeout')), CONNECT_TIMEOUT_MS);
        out.setTimeout(ANSWER_TIMEOUT_MS, () => out.destroy(new Error('no answer in time')));
        // A kept-alive socket is connected already: waiting for its 'connect' would pile up
        // listeners on it, one per request.
        out.on('socket', (s) => {
          if (s.connecting) s.once('connect', () => clearTimeout(timer));
          else clearTimeout(timer);
        });
        out.on('error', (e) => {
          clearTimeout(timer);
          reject(e);
        });
        if (Buffer.isBuffer(body)) out.end(body);
        else body.pipe(out);
      });
    },
  };
}
