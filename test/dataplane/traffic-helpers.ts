/**
 * Test hosts for the traffic tests: a namespace plugged into a VPC's bridge (like an instance)
 * with a Node helper inside it driven over IPC — as a client (connect, HTTP GET, held
 * connections) or as a target (HTTP server that reports who connected and any PPv2 header).
 * Namespaces use the test's prefix, so the data plane's sweep removes them too. Also what the
 * tests read back from those hosts: a polled answer, its PPv2 header, a ping, the namespaces left.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import {
  CreateVpcEndpointServiceConfigurationCommand,
  ModifyVpcEndpointServicePermissionsCommand,
  type EC2Client,
} from '@aws-sdk/client-ec2';
import { ipBatch, run, deleteNamespace } from '../../src/dataplane/netns/run.js';
import { linkName } from '../../src/dataplane/netns/naming.js';
import { parsePpv2, type ParsedPpv2 } from '../../src/dataplane/proxy/ppv2.js';
import { eventually } from '../helpers/privlink.js';

const HOST_SCRIPT = `
const net = require('net');
const held = new Map();
let seq = 0;
function http(host, port, timeoutMs) {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    let buf = '';
    const t = setTimeout(() => { s.destroy(); resolve({ error: 'ETIMEDOUT' }); }, timeoutMs);
    s.on('connect', () => s.write('GET / HTTP/1.1\\r\\nHost: x\\r\\nConnection: close\\r\\n\\r\\n'));
    s.on('data', (d) => (buf += d));
    s.on('error', (e) => { clearTimeout(t); resolve({ error: e.code || e.message }); });
    s.on('close', () => { clearTimeout(t); const i = buf.indexOf('\\r\\n\\r\\n'); resolve(i >= 0 ? { body: buf.slice(i + 4) } : { error: 'EMPTY' }); });
  });
}
function serve(ip, port, name) {
  return new Promise((resolve, reject) => {
    const srv = net.createServer((s) => {
      let buf = Buffer.alloc(0);
      s.on('error', () => {});
      s.on('data', (d) => {
        buf = Buffer.concat([buf, d]);
        let pp = '';
        let rest = buf;
        if (buf.length >= 16 && buf.subarray(0, 12).toString('hex') === '0d0a0d0a000d0a515549540a') {
          const len = 16 + buf.readUInt16BE(14);
          if (buf.length < len) return;
          pp = buf.subarray(0, len).toString('hex');
          rest = buf.subarray(len);
        }
        const text = rest.toString();
        if (text.startsWith('HOLD')) { s.write('held\\n'); return; }
        if (!text.includes('\\r\\n\\r\\n')) return;
        const body = JSON.stringify({ name, remote: s.remoteAddress, pp });
        s.end('HTTP/1.1 200 OK\\r\\nContent-Length: ' + body.length + '\\r\\nConnection: close\\r\\n\\r\\n' + body);
      });
    });
    srv.once('error', reject);
    srv.listen(port, ip, () => resolve(srv));
  });
}
const servers = new Map();
process.on('message', async (m) => {
  try {
    if (m.op === 'http') return process.send({ id: m.id, r: await http(m.host, m.port, m.timeoutMs || 3000) });
    if (m.op === 'serve') { servers.set(m.port, await serve(m.ip, m.port, m.name)); return process.send({ id: m.id, r: 'ok' }); }
    if (m.op === 'unserve') {
      const srv = servers.get(m.port); servers.delete(m.port);
      if (srv) { srv.close(); }
      return process.send({ id: m.id, r: 'ok' });
    }
    if (m.op === 'hold') {
      const k = ++seq; const s = net.connect({ host: m.host, port: m.port });
      const h = { s, endedAt: 0, error: '', got: '' };
      held.set(k, h);
      s.on('connect', () => s.write('HOLD\\n'));
      s.on('data', (d) => (h.got += d));
      const tick = setInterval(() => { if (!s.destroyed) s.write('x'); }, 50);
      s.on('error', (e) => { h.error = e.code || e.message; });
      s.on('close', () => { clearInterval(tick); h.endedAt = Date.now(); });
      return process.send({ id: m.id, r: k });
    }
    if (m.op === 'held') { const h = held.get(m.k); return process.send({ id: m.id, r: h ? { endedAt: h.endedAt, error: h.error, got: h.got } : null }); }
  } catch (e) { process.send({ id: m.id, r: { error: String(e && e.message || e) } }); }
});
process.on('disconnect', () => process.exit(0));
process.send({ id: 0, r: 'ready' });
`;

export interface HttpResult {
  body?: string;
  error?: string;
}

/** A namespace on a VPC bridge with a helper process inside. */
export class NsHost {
  private child: ChildProcess | undefined;
  private seq = 0;
  private readonly waiters = new Map<number, (r: unknown) => void>();

  private constructor(readonly ns: string) {}

  /** Creates `ns` with eth0 = ip/prefix on the VPC namespace's br0, default route via gateway. */
  static async create(ns: string, vpcNs: string, ipCidr: string, gateway: string): Promise<NsHost> {
    await deleteNamespace(ns);
    await run(['ip', 'netns', 'add', ns]);
    const peer = linkName('t', ns);
    await ipBatch([`link add eth0 netns ${ns} type veth peer name ${peer} netns ${vpcNs}`]);
    await ipBatch([`link set ${peer} master br0`, `link set ${peer} up`], vpcNs);
    await ipBatch(
      [
        'link set lo up',
        `addr add ${ipCidr} dev eth0`,
        'link set eth0 up',
        `route add default via ${gateway}`,
      ],
      ns,
    );
    const h = new NsHost(ns);
    await h.start();
    return h;
  }

  private start(): Promise<void> {
    return new Promise((resolve, reject) => {
      const child = spawn('ip', ['netns', 'exec', this.ns, process.execPath, '-e', HOST_SCRIPT], {
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      this.child = child;
      child.on('message', (m: { id: number; r: unknown }) => {
        if (m.id === 0) resolve();
        this.waiters.get(m.id)?.(m.r);
        this.waiters.delete(m.id);
      });
      child.on('error', reject);
    });
  }

  private call<T>(msg: Record<string, unknown>): Promise<T> {
    const id = ++this.seq;
    return new Promise((resolve) => {
      this.waiters.set(id, (r) => resolve(r as T));
      this.child?.send({ ...msg, id });
    });
  }

  http(host: string, port: number, timeoutMs = 3000): Promise<HttpResult> {
    return this.call({ op: 'http', host, port, timeoutMs });
  }

  serve(ip: string, port: number, name: string): Promise<string> {
    return this.call({ op: 'serve', ip, port, name });
  }

  unserve(port: number): Promise<string> {
    return this.call({ op: 'unserve', port });
  }

  /** Opens a connection that sends a byte every 50 ms; returns its handle. */
  hold(host: string, port: number): Promise<number> {
    return this.call({ op: 'hold', host, port });
  }

  held(k: number): Promise<{ endedAt: number; error: string; got: string } | null> {
    return this.call({ op: 'held', k });
  }

  async close(): Promise<void> {
    const c = this.child;
    // A sweep of the namespace may have killed it already (exitCode stays null then).
    if (c && c.exitCode === null && c.signalCode === null) {
      const exited = new Promise((r) => c.once('exit', r));
      c.disconnect();
      await exited;
    }
    await deleteNamespace(this.ns);
  }
}

type Hookable = { after(fn: () => unknown): void };

/**
 * The test's hosts, each `<prefix>-<name>` on a VPC's bridge; the test's `after` closes any still
 * open (quietly: a failed test may have left them half gone).
 */
export class VpcHosts {
  private readonly open: NsHost[] = [];

  constructor(
    t: Hookable,
    private readonly prefix: string,
  ) {
    t.after(async () => {
      for (const h of this.open.splice(0)) await h.close().catch(() => undefined);
    });
  }

  /**
   * Plugs a host into the VPC's namespace with eth0 = ipCidr, default route via gateway. The
   * VPC's namespace (and its bridge) may still be on the way: tries again for up to 10 s.
   */
  async add(name: string, vpcId: string, ipCidr: string, gateway: string): Promise<NsHost> {
    const vpcNs = `${this.prefix}-${vpcId}`;
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        // Listing is cheaper than a failed create while the namespace is not there at all.
        if (!(await prefixedNamespaces(this.prefix)).includes(vpcNs)) throw new Error(`no ${vpcNs} yet`);
        const h = await NsHost.create(`${this.prefix}-${name}`, vpcNs, ipCidr, gateway);
        this.open.push(h);
        return h;
      } catch (e) {
        if (Date.now() > deadline) throw e;
        await new Promise((r) => setTimeout(r, 25));
      }
    }
  }

  /** Closes every host; unlike the `after`, a failure fails the test. */
  async close(): Promise<void> {
    for (const h of this.open.splice(0)) await h.close();
  }
}

/** What a target's HTTP server (NsHost.serve) answers. */
export interface TargetAnswer {
  name: string;
  remote: string;
  /** The PPv2 header the target got, hex; '' without one. */
  pp: string;
}

/**
 * Polls GET host:port from `client` (1 s per try) until a target answers and the answer meets
 * `ok` (default: any answer); rejects with the last result at the timeout.
 */
export function untilAnswer(
  client: NsHost,
  host: string,
  port: number,
  ok: (a: TargetAnswer) => boolean = () => true,
  { timeoutMs = 10_000, intervalMs = 50 } = {},
): Promise<HttpResult> {
  return eventually(
    () => client.http(host, port, 1000),
    (r) => r.body !== undefined && ok(JSON.parse(r.body) as TargetAnswer),
    { timeoutMs, intervalMs },
  );
}

/** The PPv2 header a target reported in its answer (undefined when it got none). */
export function ppv2Of(r: HttpResult): ParsedPpv2 | undefined {
  return parsePpv2(Buffer.from((JSON.parse(r.body ?? '{}') as { pp: string }).pp, 'hex'));
}

/** One ping from `ns` to `ip`, 1 s to answer. */
export async function pings(ns: string, ip: string): Promise<boolean> {
  try {
    await run(['ip', 'netns', 'exec', ns, 'ping', '-c', '1', '-W', '1', ip], undefined, 3000);
    return true;
  } catch {
    return false;
  }
}

/**
 * The nft path's connection counter in an endpoint ENI's namespace (`ip privlink_ep conns`), as
 * `nft -j` prints it: unchanged while flows take the BPF fast path.
 */
export async function nftConnCounter(eniNs: string): Promise<string> {
  const argv = ['ip', 'netns', 'exec', eniNs, 'nft', '-j', 'list', 'counter', 'ip', 'privlink_ep', 'conns'];
  return (await run(argv)).stdout;
}

/** The namespaces whose names start with `<prefix>-`. */
export async function prefixedNamespaces(prefix: string): Promise<string[]> {
  const { stdout } = await run(['ip', '-j', 'netns', 'list']);
  const list = stdout.trim() ? (JSON.parse(stdout) as { name: string }[]) : [];
  return list.map((n) => n.name).filter((n) => n.startsWith(prefix + '-'));
}

/**
 * Provider side of a PrivateLink service for data-plane tests and the bench: an endpoint service
 * on the network (or gateway) load balancer `lbArn` with acceptance required, visible to the
 * consumer account.
 */
export async function publishService(
  provider: EC2Client,
  lbArn: string,
  consumerAccount: string,
  lbType: 'network' | 'gateway' = 'network',
): Promise<{ serviceId: string; serviceName: string }> {
  const svc = await provider.send(
    new CreateVpcEndpointServiceConfigurationCommand({
      ...(lbType === 'network' ? { NetworkLoadBalancerArns: [lbArn] } : { GatewayLoadBalancerArns: [lbArn] }),
      AcceptanceRequired: true,
    }),
  );
  const serviceId = svc.ServiceConfiguration?.ServiceId ?? '';
  await provider.send(
    new ModifyVpcEndpointServicePermissionsCommand({
      ServiceId: serviceId,
      AddAllowedPrincipals: [`arn:aws:iam::${consumerAccount}:root`],
    }),
  );
  return { serviceId, serviceName: svc.ServiceConfiguration?.ServiceName ?? '' };
}
