/**
 * HTTP edge cases at the listener: GET with a query string (older tooling), other methods,
 * chunked bodies, oversized bodies (declared, streamed, behind `Expect: 100-continue`), stalled
 * bodies and headers (slowloris), keep-alive reuse and garbage on the socket. Runs a second
 * ApiServer over the same control plane with short limits so the slow cases take milliseconds.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, request, type IncomingMessage } from 'node:http';
import { connect } from 'node:net';
import { ApiServer } from '../../src/api/server.js';
import type { Privlink } from '../../src/emulator.js';
import { PROVIDER, REGION, startPrivlink } from '../helpers/privlink.js';

const MAX = 64 * 1024;
const AUTH = `AWS4-HMAC-SHA256 Credential=${PROVIDER}/20260101/${REGION}/ec2/aws4_request, SignedHeaders=host, Signature=00`;
const FORM = 'application/x-www-form-urlencoded; charset=utf-8';
const BODY = 'Action=DescribeVpcs&Version=2016-11-15';

async function edgeServer(
  t: { after(fn: () => unknown): void },
  p: Privlink,
): Promise<{ host: string; port: number }> {
  const api = new ApiServer({
    host: '127.0.0.1',
    port: 0,
    maxBodyBytes: MAX,
    ids: p.ids,
    logger: p.logger,
    pipeline: { control: p.control, logger: p.logger, defaultRegion: REGION },
    admin: { health: () => ({}), status: () => ({}), reset: async () => {} },
    timeouts: { headersMs: 400, bodyIdleMs: 300 },
  });
  const addr = await api.listen();
  t.after(() => api.close());
  return { host: '127.0.0.1', port: addr.port };
}

interface Reply {
  status: number;
  body: string;
  headers: IncomingMessage['headers'];
  reused: boolean;
}

function send(
  srv: { host: string; port: number },
  o: {
    method?: string;
    path?: string;
    headers?: Record<string, string>;
    body?: string | Buffer;
    agent?: Agent;
    /** Writes the body in pieces (chunked transfer encoding). */
    chunks?: (string | Buffer)[];
  },
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: srv.host,
        port: srv.port,
        method: o.method ?? 'POST',
        path: o.path ?? '/',
        // Node's client sends DELETE/OPTIONS bodies without a length unless told.
        headers: {
          'content-type': FORM,
          authorization: AUTH,
          ...(o.body !== undefined ? { 'content-length': String(Buffer.byteLength(o.body)) } : {}),
          ...o.headers,
        },
        ...(o.agent ? { agent: o.agent } : {}),
        timeout: 5000,
      },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(parts).toString(),
            headers: res.headers,
            reused: req.reusedSocket,
          }),
        );
      },
    );
    req.on('timeout', () => req.destroy(new Error('no answer in 5 s')));
    req.on('error', reject);
    if (o.chunks) {
      for (const c of o.chunks) req.write(c);
      req.end();
    } else {
      req.end(o.body);
    }
  });
}

/** Opens a raw socket, writes `data`, and resolves with what came back once the server closes. */
function rawSocket(srv: { port: number }, data: string): Promise<{ text: string; ms: number }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const sock = connect(srv.port, '127.0.0.1', () => sock.write(data));
    let text = '';
    sock.on('data', (c) => (text += c.toString()));
    sock.on('close', () => resolve({ text, ms: Date.now() - started }));
    sock.on('error', (e) => (text ? resolve({ text, ms: Date.now() - started }) : reject(e)));
    setTimeout(() => {
      sock.destroy();
      reject(new Error('the server kept a stalled connection open for 5 s'));
    }, 5000).unref();
  });
}

test('GET with a query string works; other methods get a 405 AWS error', async (t) => {
  const p = await startPrivlink(t);
  const srv = await edgeServer(t, p);
  const get = await send(srv, { method: 'GET', path: `/?${BODY}` });
  assert.equal(get.status, 200, get.body);
  assert.match(get.body, /<DescribeVpcsResponse xmlns="http:\/\/ec2\.amazonaws\.com\/doc\/2016-11-15\/">/);
  const getUnsigned = await send(srv, {
    method: 'GET',
    path: '/?Action=GetCallerIdentity&Version=2011-06-15',
    headers: { authorization: '' },
  });
  assert.equal(getUnsigned.status, 200);
  assert.match(getUnsigned.body, /<Account>000000000000<\/Account>/);
  for (const method of ['PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
    const r = await send(srv, { method, body: BODY }).catch((e: Error) => {
      throw new Error(`${method}: ${e.message}`);
    });
    assert.equal(r.status, 405, `${method}: ${r.body}`);
    assert.match(r.body, /<Response><Errors><Error><Code>MethodNotAllowed<\/Code>/);
    assert.ok(r.headers['x-amzn-requestid']);
  }
  const head = await send(srv, { method: 'HEAD' }).catch((e: Error) => {
    throw new Error(`HEAD: ${e.message}`);
  });
  assert.equal(head.status, 405);
  assert.equal(head.body, '');
});

test('chunked bodies are read whole; keep-alive connections are reused', async (t) => {
  const p = await startPrivlink(t);
  const srv = await edgeServer(t, p);
  const chunked = await send(srv, { chunks: ['Action=Describe', 'Vpcs&Vers', 'ion=2016-11-15'] });
  assert.equal(chunked.status, 200, chunked.body);
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  t.after(() => agent.destroy());
  const replies: Reply[] = [];
  for (let i = 0; i < 20; i++) replies.push(await send(srv, { body: BODY, agent }));
  assert.ok(replies.every((r) => r.status === 200));
  assert.equal(replies.filter((r) => r.reused).length, 19, 'one socket for twenty requests');
  // An error answer keeps the connection too.
  const bad = await send(srv, { body: 'Action=Nope&Version=2016-11-15', agent });
  assert.equal(bad.status, 400);
  assert.ok(bad.reused);
});

test('oversized bodies: 413 with an AWS envelope and a closed connection, never a hang', async (t) => {
  const p = await startPrivlink(t);
  const srv = await edgeServer(t, p);
  // Declared too large: answered before the body is read.
  const declared = await rawSocket(
    srv,
    `POST / HTTP/1.1\r\nHost: x\r\nContent-Type: ${FORM}\r\nContent-Length: ${10 * MAX}\r\n\r\nAction=`,
  );
  assert.match(declared.text, /^HTTP\/1\.1 413 /);
  assert.match(declared.text, /<Code>RequestEntityTooLarge<\/Code>/);
  assert.ok(declared.ms < 2000, `closed after ${declared.ms} ms`);
  // Streamed (chunked, no length) past the cap.
  const big = Buffer.alloc(MAX / 4, 'a');
  const streamed = await send(srv, {
    chunks: [BODY + '&X=', ...Array.from({ length: 40 }, () => big)],
  }).catch((e: Error) => e);
  if (streamed instanceof Error) assert.match(streamed.message, /EPIPE|ECONNRESET|socket hang up/);
  else assert.equal(streamed.status, 413);
  // With fetch, as SDKs send it.
  const res = await fetch(`http://127.0.0.1:${srv.port}/`, {
    method: 'POST',
    headers: { 'content-type': FORM, authorization: AUTH },
    body: BODY + '&X=' + 'a'.repeat(2 * MAX),
  });
  assert.equal(res.status, 413);
  assert.match(await res.text(), /RequestEntityTooLarge/);
  // The server is still fine.
  assert.equal((await send(srv, { body: BODY })).status, 200);
});

test('Expect: 100-continue: small bodies are invited, oversized ones refused up front', async (t) => {
  const p = await startPrivlink(t);
  const srv = await edgeServer(t, p);
  const withContinue = (length: number) =>
    new Promise<{ continued: boolean; status: number; body: string }>((resolve, reject) => {
      let continued = false;
      const body = BODY + '&X=' + 'a'.repeat(Math.max(0, length - BODY.length - 3));
      const req = request({
        host: srv.host,
        port: srv.port,
        method: 'POST',
        path: '/',
        headers: {
          'content-type': FORM,
          authorization: AUTH,
          'content-length': String(Buffer.byteLength(body)),
          expect: '100-continue',
        },
      });
      req.on('continue', () => {
        continued = true;
        req.end(body);
      });
      req.on('response', (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ continued, status: res.statusCode ?? 0, body: text }));
      });
      req.on('error', reject);
      req.flushHeaders();
    });
  const small = await withContinue(BODY.length);
  assert.deepEqual([small.continued, small.status], [true, 400], small.body); // X is unknown
  assert.match(small.body, /UnknownParameter/);
  const large = await withContinue(2 * MAX);
  assert.deepEqual([large.continued, large.status], [false, 413]);
  assert.match(large.body, /RequestEntityTooLarge/);
});

test('slowloris: stalled bodies get 408 and stalled headers are dropped; garbage gets 400', async (t) => {
  const p = await startPrivlink(t);
  const srv = await edgeServer(t, p);
  const body = await rawSocket(
    srv,
    `POST / HTTP/1.1\r\nHost: x\r\nContent-Type: ${FORM}\r\nContent-Length: 100\r\n\r\nAction=Desc`,
  );
  assert.match(body.text, /^HTTP\/1\.1 408 /);
  assert.match(body.text, /<Code>RequestTimeout<\/Code>/);
  assert.ok(body.ms < 2000, `stalled body closed after ${body.ms} ms`);
  const headers = await rawSocket(srv, 'POST / HTTP/1.1\r\nHost: x\r\nContent-Ty');
  assert.ok(headers.ms < 3000, `stalled headers closed after ${headers.ms} ms`);
  const garbage = await rawSocket(srv, '\u0000\u0001 HELLO THERE\r\n\r\n');
  assert.match(garbage.text, /^HTTP\/1\.1 400 /);
  assert.equal((await send(srv, { body: BODY })).status, 200, 'still serving');
});
