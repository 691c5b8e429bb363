/**
 * A Privlink in a worker thread, for tests whose failure mode is a frozen event loop: the main
 * thread keeps its own loop, applies deadlines to requests and terminates the worker at the end
 * whatever state it is in.
 */
import { Worker } from 'node:worker_threads';
import { SignatureV4 } from '@smithy/signature-v4';
import { Sha256 } from '@aws-crypto/sha256-js';

export interface IsolatedServer {
  url: string;
  /** Sends a SigV4-signed form body; rejects if no answer arrives within timeoutMs. */
  post(
    body: string,
    o?: { account?: string; service?: string; timeoutMs?: number },
  ): Promise<{ status: number; body: string; ms: number }>;
  close(): Promise<void>;
}

export async function startIsolated(t: { after(fn: () => unknown): void }): Promise<IsolatedServer> {
  // A worker does not inherit the loader hooks that let the tests import .ts files; the entry
  // registers them itself through tsx's API.
  const entry = new URL('./server-worker.ts', import.meta.url).href;
  const boot = `import('tsx/esm/api').then((m) => m.tsImport(${JSON.stringify(entry)}, ${JSON.stringify(import.meta.url)}));`;
  const worker = new Worker(boot, { eval: true });
  t.after(() => worker.terminate());
  const url = await new Promise<string>((resolve, reject) => {
    worker.once('message', (m: { url: string }) => resolve(m.url));
    worker.once('error', reject);
  });
  return {
    url,
    async post(body, o = {}) {
      const u = new URL(url + '/');
      const headers: Record<string, string> = {
        host: u.host,
        'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
      };
      const signer = new SignatureV4({
        credentials: { accessKeyId: o.account ?? '111111111111', secretAccessKey: 'test-secret' },
        region: 'us-east-1',
        service: o.service ?? 'ec2',
        sha256: Sha256,
      });
      const signed = await signer.sign({
        method: 'POST',
        protocol: 'http:',
        hostname: u.hostname,
        port: Number(u.port),
        path: '/',
        headers,
        body,
      });
      const t0 = performance.now();
      const res = await fetch(u, {
        method: 'POST',
        headers: signed.headers,
        body,
        signal: AbortSignal.timeout(o.timeoutMs ?? 5000),
      });
      const text = await res.text();
      return { status: res.status, body: text, ms: performance.now() - t0 };
    },
    async close() {
      await worker.terminate();
    },
  };
}
