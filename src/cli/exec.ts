/**
 * `privlink exec INSTANCE_ID -- CMD ARGS…`: runs a command "on" an instance of a running
 * privlink — inside the instance's network namespace (netns mode), or on the host with the
 * instance's environment (loopback mode) — with stdio inherited and the exit code passed
 * through. The server is asked (GET /_privlink/status, signed like status) for the mode, the namespace prefix and
 * which instances run; the CLI never touches the store.
 */
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import { admin, endpointFrom } from './server-client.js';

export const EXEC_HELP = `Usage: privlink exec [--endpoint-url URL | --port N] INSTANCE_ID -- CMD [ARGS...]

Runs CMD inside the network namespace of a running instance (like a shell on the instance):
stdin, stdout and stderr are passed through and privlink exits with CMD's exit code.
Needs root in netns mode (it uses 'ip netns exec'). In loopback mode CMD runs on the host with
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
  const mode = String(dp['mode']);
  const reconcilers = (dp['reconcilers'] ?? {}) as Record<
    string,
    { instances?: Record<string, InstanceView> }
  >;
  const inst = reconcilers['instances']?.instances?.[instanceId];
  if (!inst) {
    return fail(
      `instance ${instanceId} is not running on the privlink at ${endpoint} (unknown, not yet booted, or terminated)`,
      1,
    );
  }

  let argvToRun: string[];
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (mode === 'netns') {
    if (!inst.namespace) return fail(`instance ${instanceId} has no namespace`, 1);
    if (typeof process.getuid === 'function' && process.getuid() !== 0) {
      return fail('entering a network namespace needs root (run with sudo)', 1);
    }
    argvToRun = ['ip', 'netns', 'exec', inst.namespace, ...command];
  } else {
    argvToRun = command;
    env['PRIVLINK_INSTANCE_ID'] = instanceId;
    if (inst.bindIp) {
      env['PRIVLINK_PRIVATE_IP'] = inst.bindIp;
      env['PRIVLINK_BIND_IP'] = inst.bindIp;
    }
    if (inst.imds) env['AWS_EC2_METADATA_SERVICE_ENDPOINT'] = inst.imds;
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
