/**
 * Private DNS name verification: a real TXT lookup against the configured resolver, and the
 * background verifier that runs it whenever a service's verification becomes pending.
 *
 * Fidelity ledger (AWS PrivateLink guide "Manage DNS names", reference §2.3, §3.3):
 * - Covered: the provider publishes a TXT record at `<name>.<private-dns-name>` whose value must
 *   equal the service's `vpce:…` value exactly (case-sensitive); the record at the domain apex is
 *   accepted too (for DNS hosts that reject underscores); for a wildcard `*.example.com` the
 *   domain is `example.com`. Setting or changing the name verifies once automatically;
 *   StartVpcEndpointServicePrivateDnsVerification re-runs the check. Result: `verified` or
 *   `failed`, written in its own store transaction, and only if the name/value/request it
 *   checked is still the current one (a newer name or request wins).
 * - Gaps: AWS re-checks periodically (and can fall back from `verified`); privlink checks only
 *   when asked. No CNAME chasing beyond what the resolver does itself.
 * - By design: the resolver is `--verification-resolver HOST:PORT` and must be a loopback address
 *   (privlink never queries the internet); without one, verification ends `failed` and the log
 *   says why. UDP first, TCP when the answer is truncated, ~2 s timeout per query.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket from 'dns-packet';
import type { DecodedPacket, Packet } from 'dns-packet';
import type { Control } from '../control.js';
import type { DeepReadonly } from '../model/common.js';
import type { EndpointService, PrivateDnsNameConfiguration } from '../model/privatelink.js';

const TIMEOUT_MS = 2000;
const NXDOMAIN = 3;

export interface ResolverAddress {
  host: string;
  port: number;
}

/** Parses HOST:PORT (or [v6]:PORT); refuses anything that is not a loopback address. */
export function parseLoopbackResolver(value: string): ResolverAddress {
  const m = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(value.trim());
  if (!m?.[1] || !m[2]) throw new Error(`resolver must be HOST:PORT, got '${value}'`);
  const host = m[1] === 'localhost' ? '127.0.0.1' : m[1];
  const port = Number(m[2]);
  if (port < 1 || port > 65535) throw new Error(`resolver port out of range: ${m[2]}`);
  if (!(net.isIPv4(host) && host.startsWith('127.')) && host !== '::1') {
    throw new Error(`resolver ${host} is not a loopback address; privlink only queries loopback resolvers`);
  }
  return { host, port };
}

export type TxtAnswer = { status: 'ok'; values: string[] } | { status: 'nxdomain' };

function query(name: string, id: number): Packet {
  return { type: 'query', id, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type: 'TXT', name }] };
}

function txtValues(p: DecodedPacket, name: string): TxtAnswer {
  if (((p.flags ?? 0) & 0xf) === NXDOMAIN) return { status: 'nxdomain' };
  const values: string[] = [];
  for (const a of p.answers ?? []) {
    if (a.type !== 'TXT' || a.name.toLowerCase() !== name.toLowerCase()) continue;
    const parts = Array.isArray(a.data) ? a.data : [a.data];
    // One TXT record may be split into several character-strings; they form one value.
    values.push(parts.map((x) => (typeof x === 'string' ? x : x.toString('utf8'))).join(''));
  }
  return { status: 'ok', values };
}

function udpQuery(r: ResolverAddress, packet: Packet, signal?: AbortSignal): Promise<DecodedPacket> {
  return new Promise((resolve, reject) => {
    const sock = dgram.createSocket(net.isIPv6(r.host) ? 'udp6' : 'udp4');
    const done = (err: Error | undefined, p?: DecodedPacket) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      sock.close();
      if (err || !p) reject(err ?? new Error('no answer'));
      else resolve(p);
    };
    const onAbort = () => done(new Error('aborted'));
    const timer = setTimeout(
      () => done(new Error(`no UDP answer from ${r.host}:${r.port} within ${TIMEOUT_MS} ms`)),
      TIMEOUT_MS,
    );
    signal?.addEventListener('abort', onAbort);
    sock.on('error', (e) => done(e));
    sock.on('message', (msg) => {
      try {
        const p = dnsPacket.decode(msg);
        if (p.id === packet.id) done(undefined, p);
      } catch (e) {
        done(e instanceof Error ? e : new Error(String(e)));
      }
    });
    sock.send(dnsPacket.encode(packet), r.port, r.host);
  });
}

function tcpQuery(r: ResolverAddress, packet: Packet, signal?: AbortSignal): Promise<DecodedPacket> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: r.host, port: r.port });
    let buf = Buffer.alloc(0);
    const done = (err: Error | undefined, p?: DecodedPacket) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      sock.destroy();
      if (err || !p) reject(err ?? new Error('no answer'));
      else resolve(p);
    };
    const onAbort = () => done(new Error('aborted'));
    const timer = setTimeout(
      () => done(new Error(`no TCP answer from ${r.host}:${r.port} within ${TIMEOUT_MS} ms`)),
      TIMEOUT_MS,
    );
    signal?.addEventListener('abort', onAbort);
    sock.on('error', (e) => done(e));
    sock.on('connect', () => sock.write(dnsPacket.streamEncode(packet)));
    sock.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      if (buf.length < 2) return;
      const len = buf.readUInt16BE(0);
      if (buf.length < 2 + len) return;
      try {
        done(undefined, dnsPacket.decode(buf.subarray(2, 2 + len)));
      } catch (e) {
        done(e instanceof Error ? e : new Error(String(e)));
      }
    });
    sock.on('end', () => done(new Error('connection closed before a full answer')));
  });
}

/** Looks up the TXT values of a name: UDP first, TCP when the UDP answer is truncated. */
export async function lookupTxt(
  resolver: ResolverAddress,
  name: string,
  opts: { id?: number; signal?: AbortSignal } = {},
): Promise<TxtAnswer> {
  const packet = query(name, opts.id ?? 0);
  let answer = await udpQuery(resolver, packet, opts.signal);
  if (answer.flag_tc) answer = await tcpQuery(resolver, packet, opts.signal);
  return txtValues(answer, name);
}

/** The names a verification record may live at: `<name>.<domain>`, then the domain apex. */
export function verificationNames(privateDnsName: string, recordName: string): string[] {
  const domain = privateDnsName.replace(/^\*\./, '');
  return [`${recordName}.${domain}`, domain];
}

export interface VerificationOutcome {
  state: 'verified' | 'failed';
  reason: string;
}

/** Runs the TXT check for one service configuration. Never throws. */
export async function checkVerificationRecord(
  resolverSetting: string | undefined,
  privateDnsName: string,
  config: DeepReadonly<PrivateDnsNameConfiguration>,
  opts: { signal?: AbortSignal; nextId?: () => number } = {},
): Promise<VerificationOutcome> {
  if (!resolverSetting) {
    return {
      state: 'failed',
      reason: 'no --verification-resolver configured; cannot look up the TXT record',
    };
  }
  let resolver: ResolverAddress;
  try {
    resolver = parseLoopbackResolver(resolverSetting);
  } catch (e) {
    return { state: 'failed', reason: String(e instanceof Error ? e.message : e) };
  }
  const seen: string[] = [];
  for (const name of verificationNames(privateDnsName, config.name)) {
    try {
      const ans = await lookupTxt(resolver, name, { signal: opts.signal, id: opts.nextId?.() });
      if (ans.status === 'ok' && ans.values.includes(config.value)) {
        return { state: 'verified', reason: `TXT ${name} matches` };
      }
      seen.push(ans.status === 'nxdomain' ? `${name}: NXDOMAIN` : `${name}: ${JSON.stringify(ans.values)}`);
    } catch (e) {
      seen.push(`${name}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return { state: 'failed', reason: `no TXT record with value ${config.value} (${seen.join('; ')})` };
}

function needsCheck(
  before: DeepReadonly<EndpointService> | undefined,
  after: DeepReadonly<EndpointService>,
): boolean {
  const cfg = after.privateDnsNameConfiguration;
  if (!cfg || cfg.state !== 'pendingVerification' || !after.privateDnsName) return false;
  const old = before?.privateDnsNameConfiguration;
  return (
    !old ||
    old.state !== 'pendingVerification' ||
    old.name !== cfg.name ||
    old.value !== cfg.value ||
    old.requestedAt !== cfg.requestedAt ||
    before?.privateDnsName !== after.privateDnsName
  );
}

/**
 * Watches committed changes and verifies each service whose verification became pending.
 * Returns the stop function: in-flight lookups are aborted and their results dropped.
 */
export function startDnsVerifier(control: Control): () => void {
  const log = control.logger.child('dns-verification');
  const abort = new AbortController();
  let stopped = false;

  const run = async (snapshot: DeepReadonly<EndpointService>): Promise<void> => {
    const cfg = snapshot.privateDnsNameConfiguration;
    const name = snapshot.privateDnsName;
    if (!cfg || !name) return;
    const outcome = await checkVerificationRecord(control.config.verificationResolver, name, cfg, {
      signal: abort.signal,
      // DNS message IDs come from the injected ID source, like every other identifier.
      nextId: () => parseInt(control.ids.hex(4), 16),
    });
    if (stopped) return;
    control.store.transaction(() => {
      const cur = control.store.find('endpointService', snapshot.id);
      const c = cur?.privateDnsNameConfiguration;
      // A newer name, value or request superseded this check: its own check will report.
      if (
        !cur ||
        !c ||
        cur.privateDnsName !== name ||
        c.name !== cfg.name ||
        c.value !== cfg.value ||
        c.requestedAt !== cfg.requestedAt ||
        c.state !== 'pendingVerification'
      ) {
        return;
      }
      control.store.put('endpointService', {
        ...cur,
        privateDnsNameConfiguration: { ...c, state: outcome.state, checkedAt: control.clock.now() },
      });
    });
    const fields = { serviceId: snapshot.id, privateDnsName: name, reason: outcome.reason };
    if (outcome.state === 'verified') log.info('private DNS name verified', fields);
    else log.warn('private DNS name verification failed', fields);
  };

  const unsubscribe = control.store.subscribe((changes) => {
    for (const ch of changes) {
      if (ch.kind !== 'endpointService' || ch.op !== 'put' || !ch.after) continue;
      const before = ch.before as DeepReadonly<EndpointService> | undefined;
      const after = ch.after as DeepReadonly<EndpointService>;
      if (!needsCheck(before, after)) continue;
      run(after).catch((e: unknown) => {
        if (!stopped) log.error('verification crashed', { serviceId: after.id, error: String(e) });
      });
    }
  });

  return () => {
    stopped = true;
    unsubscribe();
    abort.abort();
  };
}
