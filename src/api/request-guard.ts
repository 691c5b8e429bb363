/**
 * Who may reach the API at all: refuses requests a web browser was tricked into sending.
 *
 * - Host: must name this server — `localhost`, an IP literal (what a client that knows the
 *   address sends), the bound host, or a name given with --allowed-host. A DNS-rebinding page
 *   reaches the server under *its own* domain name, so its Host is refused (403) and it learns
 *   nothing. A request without Host (HTTP/1.0 tools) is not a browser's and passes.
 * - Cross-origin: a browser marks a request made by another site's page with
 *   `Sec-Fetch-Site: cross-site | same-site` and/or an `Origin` naming that page; AWS SDKs and
 *   CLIs send neither. Such a request is refused unless its Origin is this very host.
 *
 * By design (as a well-kept local server does, e.g. Docker's or Jupyter's API): no CORS, so no
 * browser page can read an answer; the checks run before any action or admin hook.
 */
import { isIP } from 'node:net';

export interface GuardOptions {
  /** The address the server is bound to (its own name is always acceptable). */
  bindHost: string;
  /** Extra host names clients use to reach this server (--allowed-host). */
  allowedHosts: readonly string[];
}

export type GuardVerdict = { ok: true } | { ok: false; reason: string };

/** The host part of a Host header or URL authority (port and IPv6 brackets removed). */
export function hostOnly(authority: string): string {
  const a = authority.trim().toLowerCase();
  if (a.startsWith('[')) {
    const end = a.indexOf(']');
    return end > 0 ? a.slice(1, end) : a;
  }
  const colon = a.indexOf(':');
  // Two colons or more: an unbracketed IPv6 literal, no port.
  if (colon >= 0 && a.indexOf(':', colon + 1) < 0) return a.slice(0, colon);
  return a.replace(/\.$/, '');
}

export function hostAllowed(authority: string, o: GuardOptions): boolean {
  const h = hostOnly(authority).replace(/\.$/, '');
  if (h === '') return false;
  if (h === 'localhost' || isIP(h) !== 0) return true;
  if (h === o.bindHost.toLowerCase()) return true;
  return o.allowedHosts.some((a) => a.toLowerCase() === h);
}

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/** Whether a browser's Origin is this server itself (scheme aside: privlink speaks plain HTTP). */
function sameOrigin(origin: string, host: string | undefined): boolean {
  if (host === undefined) return false;
  try {
    return new URL(origin).host.toLowerCase() === host.trim().toLowerCase();
  } catch {
    return false; // 'null' (sandboxed frames, file: pages) and garbage
  }
}

export function checkRequest(
  headers: Record<string, string | string[] | undefined>,
  o: GuardOptions,
): GuardVerdict {
  const host = first(headers['host']);
  if (host !== undefined && !hostAllowed(host, o)) {
    return {
      ok: false,
      reason: `Host '${host.slice(0, 100)}' does not name this server; privlink answers to localhost, IP addresses and --allowed-host names (DNS rebinding protection)`,
    };
  }
  const site = first(headers['sec-fetch-site'])?.toLowerCase();
  if (site !== undefined && site !== 'same-origin' && site !== 'none') {
    return {
      ok: false,
      reason: `cross-origin browser request refused (Sec-Fetch-Site: ${site.slice(0, 40)})`,
    };
  }
  const origin = first(headers['origin']);
  if (origin !== undefined) {
    if (!sameOrigin(origin, host)) {
      return { ok: false, reason: `cross-origin browser request refused (Origin: ${origin.slice(0, 100)})` };
    }
  }
  return { ok: true };
}
