/**
 * Where traffic to privlink's own AWS services arrives from interface endpoints: a unix socket
 * (in the data plane's private run dir) that the fabric agents connect to for every connection
 * accepted on an AWS-service endpoint ENI's port 443. Each connection starts with a PROXY v2
 * header (consumer address, endpoint ID TLV); this module reads it, terminates TLS with a
 * certificate for the name the client asked for (SNI) and hands the decrypted connection to the
 * API's HTTP server with the origin `{vpceId, sourceIp}` attached, so the pipeline evaluates the
 * endpoint's policy. No route from the host namespace into a VPC or the fabric is needed.
 *
 * A connection without a valid PROXY v2 header (or without the endpoint TLV) is dropped: the
 * socket is only reachable by root, and an unlabelled request must never look like one from an
 * endpoint.
 */
import net, { type Server, type Socket } from 'node:net';
import { rm } from 'node:fs/promises';
import tls, { type SecureContext } from 'node:tls';
import type { Logger } from '../shared/logger.js';
import type { CertificateAuthority } from './tls/certificate-authority.js';
import type { EndpointOrigin } from '../control/privatelink/endpoint-authorization.js';

/** Where decrypted connections go (the API server). */
export interface ConnectionSink {
  acceptConnection(socket: tls.TLSSocket, origin: EndpointOrigin): void;
}

/**
 * Reads a PROXY v2 header at the start of buf: undefined = need more bytes; throws when malformed.
 * Injected by the root (the parser lives with the data plane's proxies).
 */
export type HeaderParser = (
  buf: Buffer,
) => { length: number; vpceId?: string; sourceIp?: string; crcValid?: boolean } | undefined;

const HEADER_TIMEOUT_MS = 5_000;
const MAX_HEADER = 4096;

export class EndpointListener {
  private server?: Server;
  private readonly contexts = new Map<string, Promise<SecureContext>>();
  private readonly open = new Set<Socket>();

  constructor(
    private readonly ca: CertificateAuthority,
    private readonly sink: ConnectionSink,
    private readonly logger: Logger,
    private readonly parseHeader: HeaderParser,
  ) {}

  async listen(path: string): Promise<void> {
    await rm(path, { force: true });
    const server = net.createServer((s) => this.onConnection(s));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => {
        server.off('error', reject);
        resolve();
      });
    });
  }

  private context(serverName: string): Promise<SecureContext> | undefined {
    let p = this.contexts.get(serverName);
    if (p) return p;
    const cert = this.ca.certificateFor(serverName);
    if (!cert) return undefined;
    p = cert.then((c) => tls.createSecureContext({ cert: c.certPem, key: c.keyPem }));
    this.contexts.set(serverName, p);
    return p;
  }

  private onConnection(raw: Socket): void {
    this.open.add(raw);
    raw.once('close', () => this.open.delete(raw));
    raw.on('error', () => undefined);
    let buf = Buffer.alloc(0);
    const timer = setTimeout(() => raw.destroy(), HEADER_TIMEOUT_MS);
    const onData = (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      let parsed;
      try {
        parsed = this.parseHeader(buf);
      } catch {
        parsed = null;
      }
      if (parsed === undefined && buf.length < MAX_HEADER) return;
      raw.off('data', onData);
      clearTimeout(timer);
      const vpceId = parsed?.vpceId;
      const sourceIp = parsed?.sourceIp;
      if (!parsed || parsed.crcValid === false || !vpceId || !sourceIp) {
        this.logger.warn('endpoint connection without a valid PROXY v2 header dropped');
        raw.destroy();
        return;
      }
      raw.pause();
      const rest = buf.subarray(parsed.length);
      if (rest.length) raw.unshift(rest);
      this.startTls(raw, { vpceId, sourceIp });
    };
    raw.on('data', onData);
  }

  private startTls(raw: Socket, origin: EndpointOrigin): void {
    const socket = new tls.TLSSocket(raw, {
      isServer: true,
      ALPNProtocols: ['http/1.1'],
      SNICallback: (name, cb) => {
        const ctx = this.context(name);
        if (!ctx) return cb(new Error(`no certificate for ${name}`), undefined);
        ctx.then(
          (c) => cb(null, c),
          (e: unknown) => cb(e instanceof Error ? e : new Error(String(e)), undefined),
        );
      },
    });
    socket.on('error', () => socket.destroy());
    this.sink.acceptConnection(socket, origin);
  }

  async close(): Promise<void> {
    const s = this.server;
    if (!s) return;
    this.server = undefined;
    for (const c of this.open) c.destroy();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}
