/**
 * The one HOST:PORT parser for outbound DNS (`--dns-upstream`, `--verification-resolver`).
 * privlink only ever queries loopback resolvers, so anything else is refused here.
 */
import net from 'node:net';

export interface HostPort {
  host: string;
  port: number;
}

/**
 * Parses `HOST:PORT` or `[v6]:PORT` (`localhost` means 127.0.0.1). The host must be in
 * 127.0.0.0/8, or `::1` when `allowIpv6` is set.
 */
export function parseLoopbackHostPort(spec: string, opts: { allowIpv6?: boolean } = {}): HostPort {
  const m = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(spec.trim());
  if (!m?.[1] || !m[2]) throw new Error(`must be HOST:PORT, got '${spec}'`);
  const host = m[1] === 'localhost' ? '127.0.0.1' : m[1];
  const port = Number(m[2]);
  if (port < 1 || port > 65535) throw new Error(`port out of range in HOST:PORT: ${m[2]}`);
  const loopback =
    (net.isIPv4(host) && host.startsWith('127.')) || (opts.allowIpv6 === true && host === '::1');
  if (!loopback) {
    throw new Error(
      `${host} is not a loopback address (127.0.0.0/8${opts.allowIpv6 ? ' or ::1' : ''}); ` +
        'privlink only queries loopback resolvers',
    );
  }
  return { host, port };
}
