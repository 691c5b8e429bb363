/**
 * `privlink exec INSTANCE_ID -- CMD ARGS…`: runs a command "on" an instance of a running
 * privlink — inside the instance's sandbox (netns mode: `runc exec`, the same root filesystem,
 * hostname, namespaces, limits and confinement as its user data), or on the host with the
 * instance's environment (loopback mode) — with stdio inherited and the exit code passed
 * through. The CLI never touches the store.
 *
 * Trust: the HTTP API (GET /_privlink/status, signed like status) only says whether a server answers and its netns
 * prefix. Run as root, exec takes what to enter from the server's unix socket in a root-owned
 * directory (dataplane/instances/exec-socket.ts), which a process squatting on the port cannot
 * create; without that socket it refuses. Run as another user, exec can only do what that user
 * may do anyway (loopback mode).
 */
import { spawn } from 'node:child_process';
import { lstat } from 'node:fs/promises';
import { request } from 'node:http';
import { parseArgs } from 'node:util';
import { EXEC_SOCKET_DIR, execSocketPath, isTrustedDir, type ExecTarget } from '../shared/exec-socket.js';
import { admin, endpointFrom } from './server-client.js';

export const EXEC_HELP = `Usage: privlink exec [--endpoint-url URL | --port N] INSTANCE_ID -- CMD [ARGS...]

Runs CMD inside the sandbox of a running instance (like a shell on the instance): stdin, stdout
and stderr are passed through and privlink exits with CMD's exit code. Needs root in netns mode
(it uses 'runc exec'); as root it checks that it talks to the local privlink through the
server's socket in ${EXEC_SOCKET_DIR}. In loopback mode CMD runs on the host with
PRIVLINK_INSTANCE_ID, PRIVLINK_PRIVATE_IP and PRIVLINK_BIND_IP set (no isolation).

Options:
  --endpoint-url URL   privlink server (default http://127.0.0.1:4599 or $PRIVLINK_ENDPOINT)
  --port N             shorthand for --endpoint-url http://127.0.0.1:N
  -h, --help           show this help

Examples:
  privlink exec i-0123456789abcdef0 -- curl -s http://10.0.1.25/
  privlink exec i-0123456789abcdef0 -- sh -c 'curl -s http://169.254.169.254/latest/meta-data/'
`;

interface InstanceView {
  namespace?: string;
  privateIp?: string;
  bindIp?: string;
  vpcId?: string;
  imds?: string;
}

interface HealthDoc {
  components: Record<string, Record<string, unknown> | undefined>;
}

function fail(msg: string, code = 2): number {
  process.stderr.write(`privlink exec: ${msg}\n`);
  return code;
}

export async function exec(argv: string[]): Promise<number> {
  const dash = argv.indexOf('--');
  const own = dash >= 0 ? argv.slice(0, dash) : argv;
  const command = dash >= 0 ? argv.slice(dash + 1) : [];
  let values: { 'endpoint-url'?: string; port?: string; help?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: own,
      options: {
        'endpoint-url': { type: 'string' },
        port: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: true,
      strict: true,
    }));
  } catch (e) {
    return fail(`${(e as Error).message}\n\n${EXEC_HELP}`);
  }
  if (values.help) {
    process.stdout.write(EXEC_HELP);
    return 0;
  }
  const instanceId = positionals[0];
  if (!instanceId || positionals.length > 1 || command.length === 0) {
    return fail(`expected INSTANCE_ID -- CMD [ARGS...]\n\n${EXEC_HELP}`);
  }
  if (!/^i-[0-9a-f]{8,17}$/.test(instanceId)) return fail(`'${instanceId}' is not an instance ID (i-…)`);
  if (values.port !== undefined && !/^\d{1,5}$/.test(values.port))
    return fail(`invalid --port ${values.port}`);
  const endpoint =
    values.port !== undefined ? `http://127.0.0.1:${values.port}` : endpointFrom(values['endpoint-url']);

  let health: HealthDoc;
  try {
    health = await admin<HealthDoc>(endpoint, '/_privlink/status');
  } catch (e) {
    return fail((e as Error).message, 1);
  }
  const dp = health.components['dataplane'];
  if (!dp) return fail(`the privlink server at ${endpoint} runs without a data plane (--dataplane off)`, 1);
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  let target: ExecTarget | undefined;
  if (isRoot) {
    const prefix = String(dp['netnsPrefix'] ?? '');
    if (!/^[a-z]{1,4}$/.test(prefix))
      return fail(`the server at ${endpoint} is not a privlink I can verify`, 1);
    const verified = await askSocket(prefix, instanceId);
    if (verified === 'no-socket') {
      return fail(
        `cannot verify the server at ${endpoint}: no root-owned socket ${execSocketPath(prefix)}; ` +
          'refusing to run anything (is something else listening on that port?)',
        1,
      );
    }
    target = verified;
  } else {
    const mode = String(dp['mode']);
    const reconcilers = (dp['reconcilers'] ?? {}) as Record<
      string,
      { instances?: Record<string, InstanceView> }
    >;
    const inst = reconcilers['instances']?.instances?.[instanceId];
    if (inst && mode === 'netns') return fail('entering an instance sandbox needs root (run with sudo)', 1);
    if (inst) target = { mode: 'loopback', bindIp: inst.bindIp, imds: inst.imds };
  }
  if (!target) {
    return fail(
      `instance ${instanceId} is not running on the privlink at ${endpoint} (unknown, not yet booted, stopped or terminated)`,
      1,
    );
  }

  let argvToRun: string[];
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (target.mode === 'netns') {
    const root = target.runcRoot ?? '';
    const container = target.container ?? '';
    if (!/^\/run\/privlink-runc\/[a-z]{1,4}$/.test(root) || !container.endsWith(instanceId)) {
      return fail(`the server's answer for ${instanceId} is not a sandbox of this privlink`, 1);
    }
    argvToRun = [
      'runc',
      '--root',
      root,
      'exec',
      '--env',
      `PRIVLINK_INSTANCE_ID=${instanceId}`,
      '--env',
      'TERM=dumb',
      '--cwd',
      '/',
      container,
      ...command,
    ];
  } else {
    argvToRun = command;
    env['PRIVLINK_INSTANCE_ID'] = instanceId;
    if (target.bindIp) {
      env['PRIVLINK_PRIVATE_IP'] = target.bindIp;
      env['PRIVLINK_BIND_IP'] = target.bindIp;
    }
    if (target.imds) env['AWS_EC2_METADATA_SERVICE_ENDPOINT'] = target.imds;
  }
  const [cmd, ...args] = argvToRun;
  if (!cmd) return fail('empty command');
  return new Promise<number>((resolve) => {
    const child = spawn(cmd, args, { stdio: 'inherit', env });
    child.on('error', (e) => resolve(fail(`cannot run ${command[0] ?? ''}: ${e.message}`, 127)));
    child.on('exit', (code, signal) => {
      if (signal) resolve(128 + (signalNumber(signal) ?? 1));
      else resolve(code ?? 1);
    });
  });
}

function signalNumber(signal: NodeJS.Signals): number | undefined {
  const table: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };
  return table[signal];
}

/** Asks the server's root-only socket what to enter; 'no-socket' when none can be trusted. */
async function askSocket(prefix: string, instanceId: string): Promise<ExecTarget | undefined | 'no-socket'> {
  const path = execSocketPath(prefix);
  if (!(await isTrustedDir(EXEC_SOCKET_DIR))) return 'no-socket';
  const st = await lstat(path).catch(() => undefined);
  if (!st?.isSocket() || st.uid !== 0) return 'no-socket';
  return new Promise((resolve) => {
    const req = request({ socketPath: path, path: `/instances/${instanceId}`, timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => {
        if (res.statusCode !== 200) return resolve(undefined);
        try {
          resolve(JSON.parse(body) as ExecTarget);
        } catch {
          resolve('no-socket');
        }
      });
    });
    req.on('error', () => resolve('no-socket'));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}
