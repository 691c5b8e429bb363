/**
 * Real S3- and DynamoDB-compatible servers from npm on loopback, for `--aws-service`: s3rver
 * 3.7.1 (the demo's S3 backend, src/demo/s3-backend.ts: it checks SigV4 signatures for its fixed
 * key, so privlink re-signs) and dynalite 4.0.0. Both run on Node 20. dynalite ships no types:
 * the call used is typed here.
 */
import { createRequire } from 'node:module';
import type { AddressInfo, Server } from 'node:net';
import { startS3Backend } from '../../src/demo/s3-backend.js';

const require = createRequire(import.meta.url);
const dynalite = require('dynalite') as (o: Record<string, unknown>) => Server;

export interface AwsBackends {
  /** For PrivlinkOptions.awsServices. */
  urls: { s3: string; dynamodb: string };
  /** Plain URLs (no re-signing credentials), for direct comparisons. */
  s3Port: number;
}

export async function startAwsBackendsFull(
  t: { after(fn: () => unknown): void },
  buckets: readonly string[],
): Promise<AwsBackends> {
  const s3 = await startS3Backend(buckets);
  const ddb = dynalite({ createTableMs: 0 });
  await new Promise<void>((resolve) => ddb.listen(0, '127.0.0.1', () => resolve()));
  t.after(async () => {
    await s3.close();
    await new Promise<void>((resolve) => ddb.close(() => resolve()));
  });
  return {
    urls: { s3: s3.url, dynamodb: `http://127.0.0.1:${(ddb.address() as AddressInfo).port}` },
    s3Port: s3.port,
  };
}

export async function startAwsBackends(
  t: { after(fn: () => unknown): void },
  buckets: readonly string[],
): Promise<Record<string, string>> {
  return (await startAwsBackendsFull(t, buckets)).urls;
}
