/**
 * DNS over TCP under abuse: a client that pipelines thousands of queries without reading its
 * answers is paused (bounded in-flight queries and buffered answers), then dropped when idle;
 * its answers are all delivered once it reads; a crowd of connections is capped and idles out;
 * pipelined queries for outside names never open more than a bounded number of upstream
 * sockets. Everything runs on 127.0.0.1.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { listenDns, type DnsListener } from '../../src/dns/dns-server.js';
import { buildQuery, sendRaw } from '../dns/dns-client.js';
import { startPrivlink } from '../helpers/privlink.js';
import { createComponents } from '../../src/components.js';

/** A handler answering every query with a 1 KiB message after a tick (a big answer). */
async function bigAnswer(msg: Buffer): Promise<Buffer> {
  await new Promise((r) => setImmediate(r));
  const out = Buffer.alloc(1024);
  msg.copy(out, 0, 0, Math.min(msg.length, 12));
  out.writeUInt16BE(0x8180, 2);
  return out;
}

function frames(n: number): Buffer {
  const parts: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    const q = buildQuery('pipelined.example.org', 'A', { id: i & 0xffff });
    const len = Buffer.alloc(2);
    len.writeUInt16BE(q.length);
    parts.push(len, q);
  }
  return Buffer.concat(parts);
}

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => resolve(s));
    s.once('error', reject);
  });
}

/** The server side of each accepted connection (a second listener on the public server). */
function serverSockets(l: DnsListener): net.Socket[] {
  const socks: net.Socket[] = [];
  l.tcp.on('connection', (s: net.Socket) => socks.push(s));
  return socks;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('dns tcp: a client pipelining 5,000 queries without reading is paused, not buffered for, then idled out', async (t) => {
  const l = await listenDns('127.0.0.1', 0, bigAnswer, undefined, { idleMs: 1500 });
  t.after(() => l.close());
  const accepted = serverSockets(l);
  const client = await connect(l.port);
  client.pause(); // never read
  client.on('error', () => undefined);
  client.write(frames(5000));
  let peakBuffered = 0;
  for (let i = 0; i < 20; i++) {
    await sleep(50);
    const s = accepted[0];
    if (s) peakBuffered = Math.max(peakBuffered, s.writableLength);
  }
  // 5,000 answers are 5 MB: without backpressure they pile up in the server's write buffer.
  assert.ok(
    peakBuffered <= 128 * 1024,
    `server buffered ${peakBuffered} bytes for a client that does not read`,
  );
  assert.ok(l.tcpStats().inflight <= 16, `in-flight queries ${l.tcpStats().inflight}`);
  // Meanwhile another client is served at once.
  const other = await sendRaw(l.port, buildQuery('other.example.org', 'A', { id: 7 }), {
    transport: 'udp',
    timeoutMs: 1000,
  });
  assert.equal(other.readUInt16BE(0), 7);
  // No traffic either way for idleMs: the server closes the stuck connection (the paused client
  // itself only notices when it next reads or writes).
  // A socket is `destroyed` before its 'close' event, which is when the server forgets it.
  const deadline = Date.now() + 8000;
  while ((!accepted[0]?.destroyed || l.tcpStats().connections > 0) && Date.now() < deadline) await sleep(50);
  assert.ok(accepted[0]?.destroyed, 'the stuck pipelining connection was closed by the idle timeout');
  assert.equal(l.tcpStats().connections, 0);
});

test('dns tcp: paused, not dropped — a pipelining client that reads late gets every answer', async (t) => {
  const l = await listenDns('127.0.0.1', 0, bigAnswer, undefined, { idleMs: 10_000 });
  t.after(() => l.close());
  const client = await connect(l.port);
  client.pause();
  const n = 3000;
  client.write(frames(n));
  await sleep(300);
  let got = 0;
  let buf = Buffer.alloc(0);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`only ${got}/${n} answers`)), 20_000);
    client.on('data', (c: Buffer) => {
      buf = Buffer.concat([buf, c]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        buf = buf.subarray(2 + buf.readUInt16BE(0));
        got++;
      }
      if (got === n) {
        clearTimeout(timer);
        resolve();
      }
    });
    client.resume();
  });
  client.destroy();
  assert.equal(got, n);
});

test('dns tcp: many connections are capped and idle ones closed', async (t) => {
  const l = await listenDns('127.0.0.1', 0, bigAnswer, undefined, { maxConnections: 64, idleMs: 1000 });
  t.after(() => l.close());
  const accepted = serverSockets(l);
  const socks: net.Socket[] = [];
  t.after(() => socks.forEach((s) => s.destroy()));
  let closedCount = 0;
  for (let i = 0; i < 150; i++) {
    const s = await connect(l.port);
    s.on('error', () => undefined);
    s.on('close', () => closedCount++);
    // Half a length prefix: a slowloris that never completes a query.
    s.write(Buffer.from([0]));
    socks.push(s);
  }
  await sleep(200);
  const held = accepted.filter((s) => !s.destroyed).length;
  assert.ok(held <= 64, `${held} connections held`);
  const deadline = Date.now() + 5000;
  while (closedCount < socks.length && Date.now() < deadline) await sleep(50);
  assert.equal(closedCount, socks.length, 'every connection over the cap or idle was closed');
  // Still serving afterwards.
  const r = await sendRaw(l.port, buildQuery('after.example.org', 'A', { id: 9 }), { transport: 'tcp' });
  assert.equal(r.readUInt16BE(0), 9);
});

test('dns tcp: pipelined outside names open a bounded number of upstream sockets', async (t) => {
  // An upstream that accepts and never answers: every forward holds a socket until it times out.
  let open = 0;
  let peak = 0;
  const held: net.Socket[] = [];
  const blackHole = net.createServer((s) => {
    open++;
    peak = Math.max(peak, open);
    held.push(s);
    s.on('error', () => undefined);
    s.on('close', () => open--);
  });
  await new Promise<void>((r) => blackHole.listen(0, '127.0.0.1', () => r()));
  t.after(() => {
    held.forEach((s) => s.destroy());
    blackHole.close();
  });
  const port = (blackHole.address() as net.AddressInfo).port;
  const p = await startPrivlink(
    t,
    { dnsPort: 0, dnsUpstream: `127.0.0.1:${port}`, dataplane: 'off' },
    { components: createComponents },
  );
  const dnsPort = (p.status()['components'] as { dns: { port: number } }).dns.port;
  const clients: net.Socket[] = [];
  t.after(() => clients.forEach((c) => c.destroy()));
  for (let i = 0; i < 20; i++) {
    const c = await connect(dnsPort);
    c.on('error', () => undefined);
    c.write(frames(100));
    clients.push(c);
  }
  await sleep(1000);
  assert.ok(peak > 0, 'queries were forwarded');
  assert.ok(peak <= 32, `${peak} upstream sockets open at once for 2,000 pipelined queries`);
});
