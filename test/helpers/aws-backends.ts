/**
 * Real S3- and DynamoDB-compatible servers from npm on loopback, for `--aws-service`: s3rver
 * 3.7.1 (checks SigV4 signatures for its fixed key S3RVER/S3RVER, so privlink re-signs) and
 * dynalite 4.0.0. Both run on Node 20. Neither ships types: the few calls used are typed here.
 */
import { createRequire } from 'node:module';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo, Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const require = createRequire(import.meta.url);

interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}
type S3rverCtor = new (o: Record<string, unknown>) => S3rverInstance;
const S3rver = require('s3rver') as S3rverCtor;
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
  const dir = await mkdtemp(join(tmpdir(), 'privlink-s3-'));
  const s3 = new S3rver({
    port: 0,
    address: '127.0.0.1',
    silent: true,
    directory: dir,
    configureBuckets: buckets.map((name) => ({ name })),
  });
  const s3addr = await s3.run();
  const ddb = dynalite({ createTableMs: 0 });
  await new Promise<void>((resolve) => ddb.listen(0, '127.0.0.1', () => resolve()));
  t.after(async () => {
    await s3.close();
    await new Promise<void>((resolve) => ddb.close(() => resolve()));
    await rm(dir, { recursive: true, force: true });
  });
  return {
    urls: {
      s3: `http://S3RVER:S3RVER@127.0.0.1:${s3addr.port}`,
      dynamodb: `http://127.0.0.1:${(ddb.address() as AddressInfo).port}`,
    },
    s3Port: s3addr.port,
  };
}

export async function startAwsBackends(
  t: { after(fn: () => unknown): void },
  buckets: readonly string[],
): Promise<Record<string, string>> {
  return (await startAwsBackendsFull(t, buckets)).urls;
}
