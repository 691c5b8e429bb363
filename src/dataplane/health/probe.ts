/**
 * One health-check attempt against one target: a TCP connect, or an HTTP(S) GET whose status
 * must match the target group's matcher. With proxy protocol v2 on, the connection starts with a
 * LOCAL header, as NLB health checks do. Runs wherever the caller is (the fabric agent in netns
 * mode, the main process in loopback mode).
 */
import net, { type Socket } from 'node:net';
import tls from 'node:tls';
import { buildPpv2Local } from '../proxy/ppv2.js';

export interface ProbeSpec {
  host: string;
  port: number;
  localAddress?: string;
  protocol: 'TCP' | 'HTTP' | 'HTTPS';
  path?: string;
  /** ELBv2 HttpCode matcher: "200", "200,202", "200-399". */
  matcher?: string;
  timeoutMs: number;
  ppv2: boolean;
  /** Host header for HTTP checks. */
  hostHeader?: string;
}

export interface ProbeResult {
  ok: boolean;
  /** ELBv2 reason code when not ok: Target.Timeout, Target.ResponseCodeMismatch, Target.FailedHealthChecks. */
  reason?: string;
  description?: string;
}

/** Whether an HTTP status satisfies an ELBv2 matcher (default 200-399 for NLB target groups). */
export function matchesHttpCode(matcher: string | undefined, status: number): boolean {
  const spec = matcher?.trim() || '200-399';
  return spec.split(',').some((part) => {
    const [a, b] = part.trim().split('-');
    const lo = Number(a);
    const hi = b === undefined ? lo : Number(b);
    return Number.isFinite(lo) && Number.isFinite(hi) && status >= lo && status <= hi;
  });
}

export function probe(spec: ProbeSpec): Promise<ProbeResult> {
  return new Promise((resolve) => {
    let settled = false;
    let sock: Socket | undefined;
    const finish = (r: ProbeResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock?.destroy();
      resolve(r);
    };
    const timer = setTimeout(
      () => finish({ ok: false, reason: 'Target.Timeout', description: 'Request timed out' }),
      spec.timeoutMs,
    );
    const raw = net.connect({
      host: spec.host,
      port: spec.port,
      ...(spec.localAddress ? { localAddress: spec.localAddress } : {}),
    });
    sock = raw;
    raw.on('error', () =>
      finish({ ok: false, reason: 'Target.FailedHealthChecks', description: 'Health checks failed' }),
    );
    raw.once('connect', () => {
      if (spec.ppv2) raw.write(buildPpv2Local());
      if (spec.protocol === 'TCP') {
        finish({ ok: true });
        return;
      }
      let s: Socket = raw;
      if (spec.protocol === 'HTTPS') {
        s = tls.connect({ socket: raw, rejectUnauthorized: false, servername: spec.hostHeader });
        sock = s;
        s.on('error', () =>
          finish({ ok: false, reason: 'Target.FailedHealthChecks', description: 'Health checks failed' }),
        );
      }
      const send = () =>
        s.write(
          `GET ${spec.path || '/'} HTTP/1.1\r\nHost: ${spec.hostHeader ?? spec.host}\r\n` +
            'User-Agent: ELB-HealthChecker/2.0\r\nAccept: */*\r\nConnection: close\r\n\r\n',
        );
      if (spec.protocol === 'HTTPS') s.once('secureConnect', send);
      else send();
      let buf = '';
      s.on('data', (d: Buffer) => {
        buf += d.toString('latin1');
        const eol = buf.indexOf('\r\n');
        if (eol < 0) {
          if (buf.length > 8192)
            finish({ ok: false, reason: 'Target.FailedHealthChecks', description: 'Health checks failed' });
          return;
        }
        const m = /^HTTP\/\d(?:\.\d)? (\d{3})/.exec(buf.slice(0, eol));
        const status = m ? Number(m[1]) : 0;
        if (m && matchesHttpCode(spec.matcher, status)) finish({ ok: true });
        else
          finish({
            ok: false,
            reason: 'Target.ResponseCodeMismatch',
            description: `Health checks failed with these codes: [${status}]`,
          });
      });
      s.on('end', () =>
        finish({ ok: false, reason: 'Target.FailedHealthChecks', description: 'Health checks failed' }),
      );
    });
  });
}
