/**
 * Runs a Python snippet with boto3 against a running privlink, as a boto3 user would
 * (`boto3.client(..., endpoint_url=URL)`, 12-digit access key = account). The snippet gets a small
 * prelude — `client(service, account)`, `expect_error(fn, code, status)`, `emit(obj)` — and its
 * last `emit` is returned parsed. Prefers Debian's python3-boto3 (`/usr/bin/python3`, what
 * scripts/install-deps.sh installs) over any other python3 on PATH.
 */
import { spawn, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const PRELUDE = String.raw`
import datetime, json, os, sys
import boto3, botocore
from botocore.config import Config
from botocore.exceptions import ClientError

URL = os.environ['PRIVLINK_URL']

def client(service, account, region='us-east-1'):
    return boto3.client(
        service, endpoint_url=URL, region_name=region,
        aws_access_key_id=account, aws_secret_access_key='test-secret',
        config=Config(retries={'max_attempts': 1, 'mode': 'standard'}))

def expect_error(fn, code, status=None):
    try:
        fn()
    except ClientError as e:
        got = e.response['Error']['Code']
        assert got == code, 'expected %s, got %s: %s' % (code, got, e)
        if status is not None:
            st = e.response['ResponseMetadata']['HTTPStatusCode']
            assert st == status, 'expected HTTP %s for %s, got %s' % (status, code, st)
        return e
    raise AssertionError('expected %s, but the call succeeded' % code)

def _default(o):
    if isinstance(o, datetime.datetime):
        return {'__datetime__': o.isoformat()}
    raise TypeError('not JSON serializable: %r' % (o,))

def emit(obj):
    print(json.dumps(obj, default=_default))
    sys.stdout.flush()
`;

export interface Boto3Runtime {
  python: string;
  boto3: string;
  botocore: string;
}

let cached: Boto3Runtime | string | undefined;

/** The python with boto3 to use, or a printable reason why there is none. */
export function findBoto3(): Boto3Runtime | string {
  if (cached !== undefined) return cached;
  const candidates = [existsSync('/usr/bin/python3') ? '/usr/bin/python3' : undefined, 'python3'].filter(
    (x): x is string => x !== undefined,
  );
  const reasons: string[] = [];
  for (const python of candidates) {
    try {
      const out = execFileSync(
        python,
        ['-c', 'import boto3, botocore; print(boto3.__version__, botocore.__version__)'],
        {
          encoding: 'utf8',
          timeout: 20_000,
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      const [boto3 = '?', botocore = '?'] = out.trim().split(/\s+/);
      cached = { python, boto3, botocore };
      return cached;
    } catch (e) {
      reasons.push(`${python}: ${e instanceof Error ? (e.message.split('\n')[0] ?? '') : String(e)}`);
    }
  }
  cached = `boto3 is not installed (apt-get install python3-boto3, see scripts/install-deps.sh): ${reasons.join('; ')}`;
  return cached;
}

/** Runs the snippet; resolves with the last emitted JSON value, rejects with Python's stderr. */
export function runBoto3<T = unknown>(
  rt: Boto3Runtime,
  url: string,
  script: string,
  { timeoutMs = 30_000 } = {},
): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(rt.python, ['-'], {
      env: {
        PATH: process.env['PATH'] ?? '/usr/bin:/bin',
        HOME: process.env['HOME'] ?? '/tmp',
        PRIVLINK_URL: url,
        AWS_CONFIG_FILE: '/dev/null',
        AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
        AWS_EC2_METADATA_DISABLED: 'true',
        PYTHONDONTWRITEBYTECODE: '1',
        PYTHONUNBUFFERED: '1',
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`boto3 script timed out after ${timeoutMs} ms; stderr: ${stderr.slice(-2000)}`));
    }, timeoutMs);
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code !== 0) {
        reject(new Error(`boto3 script failed (exit ${code}):\n${stderr.slice(-4000)}`));
        return;
      }
      const last = stdout.trim().split('\n').pop() ?? '';
      try {
        resolve((last ? JSON.parse(last) : undefined) as T);
      } catch {
        reject(new Error(`boto3 script printed no JSON; stdout: ${stdout.slice(-2000)}`));
      }
    });
    child.stdin.end(PRELUDE + '\n' + script);
  });
}
