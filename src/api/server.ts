/**
 * The HTTP listener: binds an explicit address, caps body size, serves the AWS query endpoint on
 * `/` and privlink's own endpoints under `/_privlink/` (health, reset).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { IdSource } from '../shared/ids.js';
import type { Logger } from '../shared/logger.js';
import { encodeEc2Error } from './query/encode.js';
import { handleRequest, type PipelineDeps } from './pipeline.js';

export interface AdminHooks {
  health(): Record<string, unknown>;
  status(): Record<string, unknown>;
  reset(): Promise<void>;
}

export interface ApiServerOptions {
  host: string;
  port: number;
  maxBodyBytes: number;
  ids: IdSource;
  logger: Logger;
  pipeline: PipelineDeps;
  admin: AdminHooks;
}

class BodyTooLarge extends Error {}

function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > max) {
        reject(new BodyTooLarge());
        req.resume();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export class ApiServer {
  private server?: Server;
  constructor(private readonly o: ApiServerOptions) {}

  async listen(): Promise<AddressInfo> {
    const server = createServer((req, res) => {
      this.handle(req, res).catch((e: unknown) => {
        this.o.logger.error('request failed', { error: String(e) });
        if (!res.headersSent) res.writeHead(500);
        res.end();
      });
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

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const requestId = this.o.ids.uuid();
    if (url.pathname.startsWith('/_privlink/')) {
      return this.admin(req, res, url.pathname);
    }
    let body: Buffer;
    try {
      body = await readBody(req, this.o.maxBodyBytes);
    } catch (e) {
      if (e instanceof BodyTooLarge) {
        return this.send(
          res,
          413,
          'text/xml;charset=UTF-8',
          encodeEc2Error(
            'RequestEntityTooLarge',
            `Request body exceeds ${this.o.maxBodyBytes} bytes`,
            requestId,
          ),
          requestId,
        );
      }
      throw e;
    }
    if (req.method !== 'POST' && req.method !== 'GET') {
      return this.send(
        res,
        405,
        'text/xml;charset=UTF-8',
        encodeEc2Error('InvalidAction', `HTTP method ${req.method ?? ''} is not supported`, requestId),
        requestId,
      );
    }
    const result = await handleRequest(
      this.o.pipeline,
      { method: req.method, path: url.pathname, query: url.searchParams, headers: req.headers, body },
      requestId,
    );
    this.send(res, result.status, result.contentType, result.body, requestId);
  }

  private async admin(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    req.resume();
    const json = (status: number, v: unknown) =>
      this.send(res, status, 'application/json', JSON.stringify(v));
    if (path === '/_privlink/health' && req.method === 'GET') return json(200, this.o.admin.health());
    if (path === '/_privlink/status' && req.method === 'GET') return json(200, this.o.admin.status());
    if (path === '/_privlink/reset' && req.method === 'POST') {
      await this.o.admin.reset();
      return json(200, { reset: true });
    }
    return json(404, { error: 'not found' });
  }

  async close(): Promise<void> {
    const s = this.server;
    if (!s) return;
    this.server = undefined;
    await new Promise<void>((resolve) => {
      s.close(() => resolve());
      s.closeAllConnections();
    });
  }
}
