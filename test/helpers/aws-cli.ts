/**
 * Runs the real `aws` CLI (Debian package `awscli`, v2) against a privlink, as a user would:
 * `aws --endpoint-url URL …` with per-account credentials in the environment.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';

export const AWS_BIN = existsSync('/usr/bin/aws') ? '/usr/bin/aws' : 'aws';

export interface AwsResult {
  code: number;
  stdout: string;
  stderr: string;
  json: unknown;
}

export function awsCli(
  endpoint: string,
  account: string,
  args: readonly string[],
  region = 'us-east-1',
  o: { secretAccessKey?: string; sessionToken?: string } = {},
): Promise<AwsResult> {
  return new Promise((resolve) => {
    execFile(
      AWS_BIN,
      ['--endpoint-url', endpoint, '--output', 'json', '--no-cli-pager', ...args],
      {
        timeout: 60_000,
        env: {
          PATH: process.env['PATH'] ?? '/usr/bin:/bin',
          HOME: process.env['HOME'] ?? '/tmp',
          AWS_ACCESS_KEY_ID: account,
          AWS_SECRET_ACCESS_KEY: o.secretAccessKey ?? 'test-secret',
          ...(o.sessionToken ? { AWS_SESSION_TOKEN: o.sessionToken } : {}),
          AWS_DEFAULT_REGION: region,
          AWS_EC2_METADATA_DISABLED: 'true',
          AWS_CONFIG_FILE: '/dev/null',
          AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
          AWS_PAGER: '',
        },
      },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        let json: unknown;
        try {
          json = stdout.trim() ? JSON.parse(stdout) : undefined;
        } catch {
          json = undefined;
        }
        resolve({ code, stdout, stderr, json });
      },
    );
  });
}

/** Like awsCli but fails the test with the CLI's stderr when the command fails. */
export async function awsOk<T = Record<string, unknown>>(
  endpoint: string,
  account: string,
  args: readonly string[],
): Promise<T> {
  const r = await awsCli(endpoint, account, args);
  if (r.code !== 0) throw new Error(`aws ${args.join(' ')} failed (${r.code}): ${r.stderr.trim()}`);
  return (r.json ?? {}) as T;
}
