/** `privlink serve`: runs the API (and data plane, DNS) until SIGINT/SIGTERM. */
import { parseDuration } from '../config/duration.js';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import {
  DATAPATH_CHOICES,
  isLoopbackHost,
  type CredentialEntry,
  type DatapathChoice,
  type DataplaneMode,
  type PrivlinkOptions,
} from '../config/options.js';
import { Privlink } from '../emulator.js';
import { createComponents, createDataplane } from '../components.js';

export const SERVE_HELP = `Usage: privlink serve [options]

Starts the privlink API (EC2 2016-11-15, ELBv2 2015-12-01, STS) and, as root, the data plane.

Options:
  --host HOST                    listen address (default 127.0.0.1); any other than loopback
                                 needs --credentials (or --insecure-bind)
  --insecure-bind                serve a non-loopback --host without --credentials: anyone who
                                 reaches the port can act as any account (a warning is printed)
  --allowed-host NAME            a host name clients use to reach the server (repeatable); besides
                                 it only localhost and IP addresses are accepted in Host headers
  --aws-service NAME=URL         the S3- or DynamoDB-compatible server behind privlink's s3 or
                                 dynamodb endpoints (repeatable; http://KEY:SECRET@host:port
                                 re-signs requests for servers that check signatures)
  --port PORT                    listen port (default 4599; 0 = any free port)
  --data-dir DIR                 where the SQLite store lives (default ./.privlink)
  --ephemeral                    keep state in memory only
  --region REGION                region for unsigned requests (default us-east-1)
  --credentials FILE             JSON {"AKID": {"secretAccessKey", "accountId", "userName"?,
                                 "roleName"?, "roleSessionName"?, "admin"?}}: verify SigV4
                                 signatures (strict mode); admin keys may call status and reset
  --pending-ms MS                how long accepted endpoints stay pending (default 300)
  --pending-acceptance-ttl DUR   how long a connection request may wait for acceptance before it
                                 expires (default 7d; units ms, s, m, h, d)
  --verification-resolver H:P    DNS server for private DNS name verification (TXT lookups)
  --sns-endpoint URL             SNS-compatible endpoint for connection notifications
  --dataplane MODE               auto | netns | loopback | off (default auto); bpf or nftables
                                 mean netns with that data path
  --datapath PATH                auto | bpf | nftables: how netns mode moves endpoint traffic
                                 (default auto: BPF where the kernel and tools allow it)
  --netns-prefix P               prefix (1-4 lowercase letters) of every namespace privlink makes
                                 and sweeps at start/stop (default pl); one per server on a host
  --proxy-workers N              fabric agent processes serving PROXY v2 listeners (default 0 =
                                 one per core, at most 4)
  --dns-port PORT                host resolver port on 127.0.0.1 (default 5354; 0 = any; off)
  --dns-upstream H:P             loopback resolver for names privlink does not own
  --max-namespaces N             server-wide cap on network namespaces (VPCs, instances, endpoint
                                 ENIs, NLB nodes; default 1000): creates beyond it are refused
  --max-instances N              server-wide cap on instances (default 100)
  --quota NAME=N                 override an AWS default per-account quota (repeatable): vpcsPerRegion
                                 5, subnetsPerVpc 200, securityGroupsPerRegion 2500,
                                 interfaceEndpointsPerVpc 50, loadBalancersPerRegion 50,
                                 targetGroupsPerRegion 3000, instancesPerRegion 20
  --log-level LEVEL              debug | info | warn | error (default info)
  -h, --help                     this help
`;

export function parseServeArgs(argv: string[]): Partial<PrivlinkOptions> & { help?: boolean } {
  const { values } = parseArgs({
    args: argv,
    options: {
      host: { type: 'string' },
      'insecure-bind': { type: 'boolean' },
      'allowed-host': { type: 'string', multiple: true },
      'aws-service': { type: 'string', multiple: true },
      port: { type: 'string' },
      'data-dir': { type: 'string' },
      ephemeral: { type: 'boolean' },
      region: { type: 'string' },
      credentials: { type: 'string' },
      'pending-ms': { type: 'string' },
      'pending-acceptance-ttl': { type: 'string' },
      'verification-resolver': { type: 'string' },
      'sns-endpoint': { type: 'string' },
      dataplane: { type: 'string' },
      datapath: { type: 'string' },
      'netns-prefix': { type: 'string' },
      'proxy-workers': { type: 'string' },
      'dns-port': { type: 'string' },
      'dns-upstream': { type: 'string' },
      'log-level': { type: 'string' },
      'max-namespaces': { type: 'string' },
      'max-instances': { type: 'string' },
      quota: { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  });
  const num = (v: string | undefined, name: string) => {
    if (v === undefined) return undefined;
    if (!/^-?\d+$/.test(v)) throw new Error(`--${name} must be a number, got '${v}'`);
    return Number(v);
  };
  let credentials: Record<string, CredentialEntry> | undefined;
  if (values.credentials) {
    try {
      credentials = JSON.parse(readFileSync(values.credentials, 'utf8')) as Record<string, CredentialEntry>;
    } catch (e) {
      throw new Error(`cannot read --credentials ${values.credentials}: ${(e as Error).message}`, {
        cause: e,
      });
    }
  }
  let mode = values.dataplane;
  let datapath = values.datapath;
  if (mode === 'bpf' || mode === 'nftables') {
    if (datapath !== undefined && datapath !== mode) {
      throw new Error(`--dataplane ${mode} contradicts --datapath ${datapath}`);
    }
    datapath = mode;
    mode = 'netns';
  }
  if (mode !== undefined && !['auto', 'netns', 'loopback', 'off'].includes(mode)) {
    throw new Error(`--dataplane must be auto, netns, loopback, off, bpf or nftables, got '${mode}'`);
  }
  if (datapath !== undefined && !(DATAPATH_CHOICES as readonly string[]).includes(datapath)) {
    throw new Error(`--datapath must be ${DATAPATH_CHOICES.join(', ')}, got '${datapath}'`);
  }
  const level = values['log-level'];
  if (level !== undefined && !['debug', 'info', 'warn', 'error', 'silent'].includes(level)) {
    throw new Error(`--log-level must be debug, info, warn or error, got '${level}'`);
  }
  const quotas: Record<string, number> = {};
  for (const q of values.quota ?? []) {
    const m = /^([A-Za-z]+)=(\d+)$/.exec(q);
    if (!m?.[1] || !m[2]) throw new Error(`--quota must be NAME=N, got '${q}'`);
    quotas[m[1]] = Number(m[2]);
  }
  return {
    help: values.help,
    maxNamespaces: num(values['max-namespaces'], 'max-namespaces'),
    maxInstances: num(values['max-instances'], 'max-instances'),
    quotas: values.quota ? (quotas as PrivlinkOptions['quotas']) : undefined,
    host: values.host,
    insecureBind: values['insecure-bind'],
    allowedHosts: values['allowed-host'],
    awsServices: Object.fromEntries(
      (values['aws-service'] ?? []).map((v) => {
        const i = v.indexOf('=');
        return i > 0 ? [v.slice(0, i), v.slice(i + 1)] : [v, ''];
      }),
    ),
    port: num(values.port, 'port'),
    dataDir: values['data-dir'],
    ephemeral: values.ephemeral,
    defaultRegion: values.region,
    credentials,
    pendingMs: num(values['pending-ms'], 'pending-ms'),
    pendingAcceptanceTtlMs:
      values['pending-acceptance-ttl'] === undefined
        ? undefined
        : parseDuration(values['pending-acceptance-ttl'], 'pending-acceptance-ttl'),
    verificationResolver: values['verification-resolver'],
    snsEndpoint: values['sns-endpoint'],
    dataplane: mode as DataplaneMode | undefined,
    datapath: datapath as DatapathChoice | undefined,
    netnsPrefix: values['netns-prefix'],
    proxyWorkers: num(values['proxy-workers'], 'proxy-workers'),
    dnsPort: values['dns-port'] === 'off' ? -1 : num(values['dns-port'], 'dns-port'),
    dnsUpstream: values['dns-upstream'],
    logLevel: level as PrivlinkOptions['logLevel'] | undefined,
  };
}

export async function serve(argv: string[]): Promise<number> {
  const { help, ...opts } = parseServeArgs(argv);
  if (help) {
    process.stdout.write(SERVE_HELP);
    return 0;
  }
  const p = new Privlink(opts, { dataplane: createDataplane, components: createComponents });
  const warning = bindWarning(p.options);
  if (warning) process.stderr.write(`privlink: WARNING: ${warning}\n`);
  await p.start();
  process.stdout.write(`privlink listening on ${p.url} (store: ${p.store.location})\n`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  process.stdout.write('privlink: shutting down\n');
  await p.close();
  return 0;
}

/** What to warn about before serving on a non-loopback address (undefined on loopback). */
export function bindWarning(o: PrivlinkOptions): string | undefined {
  if (isLoopbackHost(o.host)) return undefined;
  if (!o.credentials) {
    return `--insecure-bind: the API on ${o.host} is unauthenticated; anyone who reaches it can create, read and delete every account's resources`;
  }
  return `the API on ${o.host} is reachable from the network over plain HTTP (signed requests only)`;
}
