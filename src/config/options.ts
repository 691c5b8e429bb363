/**
 * Typed options for a Privlink instance, their defaults and validation. The CLI parses flags
 * into this shape; tests pass it directly.
 */
import { join } from 'node:path';

export type DataplaneMode = 'auto' | 'netns' | 'loopback' | 'off';
/**
 * How netns mode moves endpoint traffic: tc-BPF programs (one NAT per flow, docs/bpf-datapath.md)
 * or nftables in each namespace. `auto` takes BPF where the kernel and tools allow it.
 */
export type DatapathChoice = 'auto' | 'bpf' | 'nftables';
export const DATAPATH_CHOICES: readonly DatapathChoice[] = ['auto', 'bpf', 'nftables'];

/** Per-account quotas that `--quota NAME=N` may set (defaults and errors: control/quotas.ts). */
export const ACCOUNT_QUOTA_NAMES = [
  'vpcsPerRegion',
  'subnetsPerVpc',
  'securityGroupsPerRegion',
  'interfaceEndpointsPerVpc',
  'loadBalancersPerRegion',
  'targetGroupsPerRegion',
  'instancesPerRegion',
] as const;
export type AccountQuotaName = (typeof ACCOUNT_QUOTA_NAMES)[number];

export interface CredentialEntry {
  secretAccessKey: string;
  accountId: string;
  /** IAM user name: the principal becomes arn:aws:iam::ACCOUNT:user/NAME. */
  userName?: string;
  /**
   * IAM role name: the key is a session of this role. Permissions match the role ARN
   * arn:aws:iam::ACCOUNT:role/NAME; GetCallerIdentity answers
   * arn:aws:sts::ACCOUNT:assumed-role/NAME/SESSION.
   */
  roleName?: string;
  /** The role session name (2-64 of [\w+=,.@-]); default: the access key ID. */
  roleSessionName?: string;
  /** May call privlink's admin endpoints (status, reset) when signatures are verified. */
  admin?: boolean;
}

export interface PrivlinkOptions {
  /** Listen address; anything but loopback needs credentials or insecureBind. */
  host: string;
  /** Serve a non-loopback address without --credentials (an open API on the network). */
  insecureBind: boolean;
  /** Host names clients may use besides localhost and IP literals (DNS rebinding guard). */
  allowedHosts: string[];
  /** Backends of the AWS services privlink forwards to (`s3`, `dynamodb` → http(s) URL). */
  awsServices: Record<string, string>;
  /** 0 picks a free port. */
  port: number;
  /** Directory for the SQLite file; ignored with ephemeral. */
  dataDir: string;
  ephemeral: boolean;
  /** Region used when a request carries no SigV4 scope. */
  defaultRegion: string;
  /** Access key → secret/account; when set, signatures are verified (strict mode). */
  credentials?: Record<string, CredentialEntry>;
  /** How long an accepted endpoint stays `pending` before `available` (and `deleting`). */
  pendingMs: number;
  /** How long `deleted` endpoints stay describable before they are purged. */
  deletedRetentionMs: number;
  /** How long a connection request may stay `pendingAcceptance` before it is `expired`. */
  pendingAcceptanceTtlMs: number;
  /** DNS server (HOST:PORT) used for private DNS name verification TXT lookups. */
  verificationResolver?: string;
  /** SNS-compatible endpoint URL for connection notifications. */
  snsEndpoint?: string;
  dataplane: DataplaneMode;
  /**
   * Netns mode's data path. Default: the PRIVLINK_DATAPATH environment variable when set (so a
   * whole test suite can run on either path), else auto.
   */
  datapath: DatapathChoice;
  /** Host resolver port on 127.0.0.1 (0 = any free port, -1 = off). */
  dnsPort: number;
  /** Upstream resolver (HOST:PORT on loopback) for names privlink does not own. */
  dnsUpstream?: string;
  /** Prefix of every namespace, link and nft table privlink creates (swept at start-up). */
  netnsPrefix: string;
  /**
   * Internal fabric range: inside 169.254.0.0/16 so no VPC CIDR can collide (checked when the
   * data plane starts; never routed from the host namespace).
   */
  fabricCidr: string;
  /** Fabric agent processes that serve PPv2 listeners (0 = one per core, at most 4). */
  proxyWorkers: number;
  logLevel: 'debug' | 'info' | 'warn' | 'error' | 'silent';
  /** Maximum request body size in bytes. */
  maxBodyBytes: number;
  /** Per-account quotas overriding AWS's defaults, by name (see control/quotas.ts). */
  quotas?: Partial<Record<AccountQuotaName, number>>;
  /** Server-wide cap on network namespaces (VPCs, instances, endpoint ENIs, NLB nodes). */
  maxNamespaces?: number;
  /** Server-wide cap on instances that are not terminated. */
  maxInstances?: number;
}

export function defaultOptions(cwd = process.cwd()): PrivlinkOptions {
  return {
    host: '127.0.0.1',
    insecureBind: false,
    allowedHosts: [],
    awsServices: {},
    port: 4599,
    dataDir: join(cwd, '.privlink'),
    ephemeral: false,
    defaultRegion: 'us-east-1',
    pendingMs: 300,
    deletedRetentionMs: 60_000,
    // AWS does not document it; VPC peering requests expire after 7 days.
    pendingAcceptanceTtlMs: 7 * 86_400_000,
    dataplane: 'auto',
    datapath: datapathFromEnv(),
    dnsPort: 5354,
    netnsPrefix: 'pl',
    fabricCidr: '169.254.0.0/17',
    proxyWorkers: 0,
    logLevel: 'info',
    maxBodyBytes: 1024 * 1024,
  };
}

/** PRIVLINK_DATAPATH when set (a bad value is refused by resolveOptions, naming the variable). */
function datapathFromEnv(): DatapathChoice {
  return (process.env['PRIVLINK_DATAPATH'] || 'auto') as DatapathChoice;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function resolveOptions(partial: Partial<PrivlinkOptions> = {}): PrivlinkOptions {
  const o = { ...defaultOptions(), ...stripUndefined(partial) };
  if (!Number.isInteger(o.port) || o.port < 0 || o.port > 65535)
    throw new ConfigError(`invalid port: ${o.port}`);
  if (!Number.isInteger(o.dnsPort) || o.dnsPort < -1 || o.dnsPort > 65535) {
    throw new ConfigError(`invalid DNS port: ${o.dnsPort}`);
  }
  if (!Number.isInteger(o.proxyWorkers) || o.proxyWorkers < 0 || o.proxyWorkers > 64) {
    throw new ConfigError(`invalid proxy worker count: ${o.proxyWorkers} (0-64, 0 = one per core)`);
  }
  if (!DATAPATH_CHOICES.includes(o.datapath)) {
    const from = partial.datapath === undefined ? 'PRIVLINK_DATAPATH' : 'datapath';
    throw new ConfigError(`${from} must be ${DATAPATH_CHOICES.join(', ')}, got '${String(o.datapath)}'`);
  }
  if (!/^[a-z]{1,4}$/.test(o.netnsPrefix)) throw new ConfigError('netnsPrefix must be 1-4 lowercase letters');
  if (o.pendingMs < 0) throw new ConfigError('pendingMs must be >= 0');
  if (!(o.pendingAcceptanceTtlMs > 0)) throw new ConfigError('pendingAcceptanceTtlMs must be > 0');
  if (o.verificationResolver && !/^[^:]+:\d+$/.test(o.verificationResolver)) {
    throw new ConfigError(`--verification-resolver must be HOST:PORT, got ${o.verificationResolver}`);
  }
  for (const [akid, c] of Object.entries(o.credentials ?? {})) {
    // Checked here, not per request: a bad entry would otherwise surface as a 500 when used.
    const entry = c as Partial<CredentialEntry> | null;
    if (!/^[\w+=,.@-]{1,128}$/.test(akid) || typeof entry !== 'object' || entry === null) {
      throw new ConfigError(
        `--credentials: invalid entry for access key ${JSON.stringify(akid.slice(0, 40))}`,
      );
    }
    if (typeof entry.secretAccessKey !== 'string' || entry.secretAccessKey === '') {
      throw new ConfigError(`--credentials: ${akid} has no secretAccessKey`);
    }
    if (typeof entry.accountId !== 'string' || !/^\d{12}$/.test(entry.accountId)) {
      throw new ConfigError(`--credentials: ${akid} needs a 12-digit accountId`);
    }
    if (entry.admin !== undefined && typeof entry.admin !== 'boolean') {
      throw new ConfigError(`--credentials: ${akid}: admin must be true or false`);
    }
    if (entry.roleSessionName !== undefined) {
      if (typeof entry.roleSessionName !== 'string' || !/^[\w+=,.@-]{2,64}$/.test(entry.roleSessionName)) {
        throw new ConfigError(`--credentials: ${akid}: roleSessionName must be 2-64 of [A-Za-z0-9_+=,.@-]`);
      }
      if (!entry.roleName) throw new ConfigError(`--credentials: ${akid}: roleSessionName needs roleName`);
    }
  }
  if (!isLoopbackHost(o.host) && !o.credentials && !o.insecureBind) {
    throw new ConfigError(
      `refusing to serve an unauthenticated API on ${o.host}: anyone who reaches it can act as any ` +
        'account. Pass --credentials FILE (signed requests only), or --insecure-bind to do it anyway.',
    );
  }
  for (const [svc, url] of Object.entries(o.awsServices)) {
    if (svc !== 's3' && svc !== 'dynamodb')
      throw new ConfigError(`--aws-service: ${svc} is not forwarded (s3 or dynamodb)`);
    let u: URL | undefined;
    try {
      u = new URL(url);
    } catch {
      u = undefined;
    }
    if (!u || (u.protocol !== 'http:' && u.protocol !== 'https:'))
      throw new ConfigError(`--aws-service ${svc}=${url}: not an http(s) URL`);
  }
  for (const h of o.allowedHosts) {
    if (!/^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/i.test(h))
      throw new ConfigError(`--allowed-host: invalid host name ${h}`);
  }
  for (const name of Object.keys(o.quotas ?? {})) {
    if (!(ACCOUNT_QUOTA_NAMES as readonly string[]).includes(name)) {
      throw new ConfigError(`unknown quota ${name}: one of ${ACCOUNT_QUOTA_NAMES.join(', ')}`);
    }
  }
  for (const [name, v] of Object.entries({
    ...o.quotas,
    maxNamespaces: o.maxNamespaces,
    maxInstances: o.maxInstances,
  })) {
    if (v !== undefined && (!Number.isInteger(v) || v < 0)) {
      throw new ConfigError(`quota ${name} must be a whole number >= 0, got ${String(v)}`);
    }
  }
  if (o.snsEndpoint) {
    try {
      new URL(o.snsEndpoint);
    } catch {
      throw new ConfigError(`--sns-endpoint is not a URL: ${o.snsEndpoint}`);
    }
  }
  return o;
}

/** 127.0.0.0/8, ::1 or localhost: reachable from this machine only. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase();
  return h === 'localhost' || h === '::1' || h === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
