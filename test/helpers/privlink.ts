/**
 * Test harness: starts a Privlink on 127.0.0.1:0 with an in-memory store (or a given data dir),
 * hands out real AWS SDK v3 clients bound to it, and closes everything when the test ends.
 */
import type { TestContext } from 'node:test';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { STSClient } from '@aws-sdk/client-sts';
import { SignatureV4 } from '@smithy/signature-v4';
import { Sha256 } from '@aws-crypto/sha256-js';
import { Privlink, type PrivlinkDeps } from '../../src/emulator.js';
import type { PrivlinkOptions } from '../../src/config/options.js';
import { pollUntil } from '../../src/shared/poll.js';
import { alwaysReady, assumeHealthy, noConsoleOutput, type DataplanePorts } from '../../src/control/ports.js';

export const PROVIDER = '111111111111';
export const CONSUMER = '222222222222';
export const REGION = 'us-east-1';

type Hookable = Pick<TestContext, 'after'> | { after(fn: () => unknown): void };

export async function startPrivlink(
  t: Hookable,
  options: Partial<PrivlinkOptions> = {},
  deps: PrivlinkDeps = {},
): Promise<Privlink> {
  const p = new Privlink(
    { port: 0, ephemeral: true, logLevel: 'warn', dataplane: 'off', dnsPort: -1, pendingMs: 50, ...options },
    deps,
  );
  t.after(() => p.close());
  await p.start();
  return p;
}

export interface ClientOptions {
  account?: string;
  region?: string;
  secretAccessKey?: string;
  accessKeyId?: string;
}

function clientConfig(p: Privlink, o: ClientOptions = {}) {
  return {
    endpoint: p.url,
    region: o.region ?? REGION,
    credentials: {
      accessKeyId: o.accessKeyId ?? o.account ?? PROVIDER,
      secretAccessKey: o.secretAccessKey ?? 'test-secret',
    },
    maxAttempts: 1,
  };
}

export function ec2Client(p: Privlink, o: ClientOptions = {}): EC2Client {
  return new EC2Client(clientConfig(p, o));
}

export function elbClient(p: Privlink, o: ClientOptions = {}): ElasticLoadBalancingV2Client {
  return new ElasticLoadBalancingV2Client(clientConfig(p, o));
}

export function stsClient(p: Privlink, o: ClientOptions = {}): STSClient {
  return new STSClient(clientConfig(p, o));
}

export interface RawResponse {
  status: number;
  body: string;
  headers: Headers;
}

/**
 * Sends a hand-made request, SigV4-signed like an SDK would, for input an SDK cannot produce
 * (unknown parameters, wrong types, garbage). `body` is sent verbatim.
 */
export async function signedRaw(
  p: Privlink,
  body: string,
  o: ClientOptions & { service?: string; contentType?: string; sign?: boolean } = {},
): Promise<RawResponse> {
  const url = new URL(p.url + '/');
  const headers: Record<string, string> = {
    host: url.host,
    'content-type': o.contentType ?? 'application/x-www-form-urlencoded; charset=utf-8',
  };
  if (o.sign !== false) {
    const signer = new SignatureV4({
      credentials: {
        accessKeyId: o.accessKeyId ?? o.account ?? PROVIDER,
        secretAccessKey: o.secretAccessKey ?? 'test-secret',
      },
      region: o.region ?? REGION,
      service: o.service ?? 'ec2',
      sha256: Sha256,
    });
    const signed = await signer.sign({
      method: 'POST',
      protocol: 'http:',
      hostname: url.hostname,
      port: Number(url.port),
      path: '/',
      headers,
      body,
    });
    Object.assign(headers, signed.headers);
  }
  const res = await fetch(url, { method: 'POST', headers, body });
  return { status: res.status, body: await res.text(), headers: res.headers };
}

/** Polls read() until predicate holds (reads only: never wrap a mutation in this). */
export function eventually<T>(
  read: () => Promise<T> | T,
  predicate: (v: T) => boolean,
  { timeoutMs = 5000, intervalMs = 25 } = {},
): Promise<T> {
  return pollUntil(read, predicate, { timeoutMs, intervalMs });
}

/** Asserts that a promise rejects with an AWS error of the given code (and HTTP status). */
export async function expectAwsError(
  promise: Promise<unknown>,
  code: string,
  status?: number,
): Promise<Error & { $metadata?: { httpStatusCode?: number } }> {
  try {
    await promise;
  } catch (e) {
    const err = e as Error & { name: string; Code?: string; $metadata?: { httpStatusCode?: number } };
    const got = err.name === 'Error' || !err.name ? err.Code : err.name;
    if (got !== code && err.Code !== code) {
      throw new Error(
        `expected AWS error ${code}, got ${err.name}${err.Code ? `/${err.Code}` : ''}: ${err.message}`,
      );
    }
    if (status !== undefined && err.$metadata?.httpStatusCode !== status) {
      throw new Error(`expected HTTP ${status} for ${code}, got ${err.$metadata?.httpStatusCode}`);
    }
    return err;
  }
  throw new Error(`expected AWS error ${code}, but the call succeeded`);
}

/**
 * A stand-in data plane that only reports through the ports (no namespaces, no processes): the
 * given sources, the defaults for the rest. Hand it to startPrivlink as `{ dataplane: … }`.
 */
export function fakeDataplane(ports: Partial<DataplanePorts>): NonNullable<PrivlinkDeps['dataplane']> {
  return () => ({
    name: 'fake-dataplane',
    ports: {
      health: ports.health ?? assumeHealthy,
      readiness: ports.readiness ?? alwaysReady,
      console: ports.console ?? noConsoleOutput,
      ...(ports.traffic && { traffic: ports.traffic }),
      ...(ports.reconcile && { reconcile: ports.reconcile }),
    },
    start: async () => undefined,
    close: async () => undefined,
  });
}
