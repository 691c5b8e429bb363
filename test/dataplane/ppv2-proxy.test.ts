/**
 * The userspace proxy on loopback: the PPv2 header arrives in the same read as the client's first
 * bytes, half-close travels end to end, a refused upstream resets the client, cut() resets open
 * pairs and close() is deterministic; health probes send a LOCAL header and match HTTP codes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { TcpProxy } from '../../src/dataplane/proxy/tcp-proxy.js';
import { buildPpv2, parsePpv2, buildPpv2Local } from '../../src/dataplane/proxy/ppv2.js';
import { probe } from '../../src/dataplane/health/probe.js';
import { LocalProxyHost } from '../../src/dataplane/agent/proxy-host.js';

async function listen(srv: net.Server, host = '127.0.0.1'): Promise<number> {
  await new Promise<void>((r) => srv.listen(0, host, r));
  const a = srv.address();
  assert.ok(a && typeof a === 'object');
  return a.port;
}

test('PPv2 header is written with the first bytes; half-close and close are clean', async (t) => {
  const reads: Buffer[] = [];
  const upstream = net.createServer({ allowHalfOpen: true }, (s) => {
    let all = Buffer.alloc(0);
    s.on('data', (d: Buffer) => {
      reads.push(d);
      all = Buffer.concat([all, d]);
    });
    s.on('end', () => s.end(`got ${all.length} bytes`));
  });
  const upPort = await listen(upstream);
  t.after(() => upstream.close());
  const server = net.createServer();
  const port = await listen(server);
  const proxy = new TcpProxy(server, {
    upstreamHost: '127.0.0.1',
    upstreamPort: upPort,
    header: (c) =>
      buildPpv2(
        {
          sourceAddress: '127.0.0.1',
          sourcePort: c.remotePort ?? 0,
          destinationAddress: '127.0.0.1',
          destinationPort: port,
        },
        { vpceId: 'vpce-0123456789abcdef0' },
      ),
  });
  const answer = await new Promise<string>((resolve, reject) => {
    const c = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true });
    let buf = '';
    c.on('connect', () => c.end('hello'));
    c.on('data', (d: Buffer) => (buf += d.toString()));
    c.on('end', () => resolve(buf));
    c.on('error', reject);
  });
  assert.equal(answer, 'got 105 bytes', 'the answer came back after the client half-closed');
  const first = reads[0];
  assert.ok(first);
  const h = parsePpv2(first);
  assert.equal(h?.length, 100);
  assert.equal(first.subarray(100).toString(), 'hello', 'header and first bytes share one segment');
  assert.equal(h?.vpceId, 'vpce-0123456789abcdef0');
  await proxy.close();
  assert.equal(proxy.openConnections, 0);
});

test('refused upstream resets the client; cut() resets open pairs', async () => {
  const dead = net.createServer();
  const deadPort = await listen(dead);
  await new Promise((r) => dead.close(r));
  const server = net.createServer();
  const port = await listen(server);
  const proxy = new TcpProxy(server, { upstreamHost: '127.0.0.1', upstreamPort: deadPort });
  const err = await new Promise<string>((resolve) => {
    const c = net.connect({ host: '127.0.0.1', port });
    c.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? ''));
    c.on('close', () => resolve('closed'));
  });
  assert.equal(err, 'ECONNRESET');

  const echo = net.createServer((s) => s.on('error', () => undefined).pipe(s));
  const echoPort = await listen(echo);
  proxy.setRoute({ upstreamHost: '127.0.0.1', upstreamPort: echoPort });
  const c = net.connect({ host: '127.0.0.1', port });
  await new Promise<void>((r) => c.once('data', () => r()).write('ping'));
  const reset = new Promise<string>((resolve) =>
    c.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? '')),
  );
  proxy.cut();
  assert.equal(await reset, 'ECONNRESET');
  await proxy.close();
  await new Promise((r) => echo.close(r));
});

test('health probes: TCP with a LOCAL header, HTTP matcher, timeouts', async (t) => {
  const seen: Buffer[] = [];
  const http = net.createServer((s) => {
    s.once('data', (d: Buffer) => {
      seen.push(d);
      const status = d.includes('/bad') ? 503 : 200;
      s.end(`HTTP/1.1 ${status} X\r\nContent-Length: 0\r\n\r\n`);
    });
  });
  const port = await listen(http);
  t.after(() => http.close());
  const base = { host: '127.0.0.1', port, timeoutMs: 1000 };
  assert.deepEqual(await probe({ ...base, protocol: 'HTTP', path: '/', ppv2: true }), { ok: true });
  assert.ok(seen[0]?.subarray(0, 16).equals(buildPpv2Local()), 'LOCAL header first');
  const bad = await probe({ ...base, protocol: 'HTTP', path: '/bad', ppv2: false });
  assert.equal(bad.reason, 'Target.ResponseCodeMismatch');
  assert.equal(
    (await probe({ ...base, protocol: 'HTTP', path: '/bad', matcher: '200-599', ppv2: false })).ok,
    true,
  );
  const silent = net.createServer(() => undefined);
  const silentPort = await listen(silent);
  t.after(() => silent.close());
  const slow = await probe({
    host: '127.0.0.1',
    port: silentPort,
    timeoutMs: 200,
    protocol: 'HTTP',
    ppv2: false,
  });
  assert.equal(slow.reason, 'Target.Timeout');
  const closed = net.createServer();
  const closedPort = await listen(closed);
  await new Promise((r) => closed.close(r));
  const refused = await probe({
    host: '127.0.0.1',
    port: closedPort,
    timeoutMs: 500,
    protocol: 'TCP',
    ppv2: false,
  });
  assert.equal(refused.reason, 'Target.FailedHealthChecks');
});

test('PROXY v2 fails closed: a header that cannot be built resets the client, nothing reaches the target', async (t) => {
  let upstreamConnections = 0;
  const upstream = net.createServer((s) => {
    upstreamConnections++;
    s.on('error', () => undefined);
    s.end('unlabelled');
  });
  const upPort = await listen(upstream);
  t.after(() => upstream.close());
  // An endpoint ID that cannot go into the AWS TLV: buildPpv2 throws for every connection.
  const host = new LocalProxyHost();
  t.after(() => host.close());
  const server = net.createServer();
  const port = await listen(server);
  await host.serve('bad', server, {
    upstreamHost: '127.0.0.1',
    upstreamPort: upPort,
    ppv2VpceId: 'vpce bad!',
  });
  // A header function that yields nothing (e.g. the client's address is already gone).
  const server2 = net.createServer();
  const port2 = await listen(server2);
  const proxy = new TcpProxy(server2, {
    upstreamHost: '127.0.0.1',
    upstreamPort: upPort,
    header: () => undefined,
  });
  t.after(() => proxy.close());

  for (const p of [port, port2]) {
    const outcome = await new Promise<{ error?: string; data: string }>((resolve) => {
      const c = net.connect({ host: '127.0.0.1', port: p });
      let data = '';
      c.on('connect', () => c.write('GET / HTTP/1.1\r\n\r\n'));
      c.on('data', (d: Buffer) => (data += d.toString()));
      c.on('error', (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message, data }));
      c.on('close', () => resolve({ data }));
    });
    assert.equal(outcome.data, '', `port ${p}: the client got an answer without a header`);
    assert.equal(outcome.error, 'ECONNRESET', `port ${p}: the client is reset`);
  }
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(upstreamConnections, 0, 'the target never saw a connection');
  assert.equal(proxy.refused, 1);
});
