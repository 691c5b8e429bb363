/**
 * An S3-compatible server from npm (s3rver 3.7.1) on loopback, for stories that need a real S3
 * backend behind `--aws-service s3=URL`. s3rver checks SigV4 signatures for its fixed key
 * S3RVER/S3RVER, which the URL's user info hands to privlink so that it re-signs. It ships no
 * types: the two calls used are typed here.
 */
import { createRequire } from 'node:module';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const require = createRequire(import.meta.url);

interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}
type S3rverCtor = new (o: Record<string, unknown>) => S3rverInstance;

export interface S3Backend {
  /** For `--aws-service s3=URL` (with the re-signing credentials). */
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startS3Backend(buckets: readonly string[]): Promise<S3Backend> {
  const S3rver = require('s3rver') as S3rverCtor;
  const dir = await mkdtemp(join(tmpdir(), 'privlink-s3-'));
  const s3 = new S3rver({
    port: 0,
    address: '127.0.0.1',
    silent: true,
    directory: dir,
    configureBuckets: buckets.map((name) => ({ name })),
  });
  const addr = await s3.run();
  return {
    url: `http://S3RVER:S3RVER@127.0.0.1:${addr.port}`,
    port: addr.port,
    close: async () => {
      await s3.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
