/**
 * The DNS packet server on 127.0.0.1:0 with a hand-built view: flags, NXDOMAIN vs NODATA, SOA in
 * authority, EDNS, truncation and the TCP fallback, malformed input, forwarding to a loopback
 * upstream (the static zone server) and SERVFAIL without one.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import dnsPacket from 'dns-packet';
import { listenDns } from '../../src/dns/dns-server.js';
import { Forwarder, parseUpstream } from '../../src/dns/forwarder.js';
import { answerQuery, fastAnswer, generalAnswer, type Upstream } from '../../src/dns/resolver.js';
import { RecordTable, type DnsRecord } from '../../src/dns/record-table.js';
import type { DnsView } from '../../src/dns/views.js';
import { startStaticZoneServer } from '../../src/dns/static-zone-server.js';
import { addresses, buildQuery, dig, digStatus, query, rcodeOf, sendRaw } from './dns-client.js';

const Z = 'vpce.amazonaws.com';
const NAME = 'vpce-0abc-abcd1234.vpce-svc-0123.us-east-1.vpce.amazonaws.com';

function table(): RecordTable {
  const t = new RecordTable();
  const recs: DnsRecord[] = ['10.0.1.5', '10.0.2.5'].map((address) => ({
    name: NAME,
    type: 'A',
    address,
    zone: Z,
  }));
  t.upsertRecords('ep', recs);
  const many: DnsRecord[] = Array.from({ length: 60 }, (_, i) => ({
    name: 'big.vpce.amazonaws.com',
    type: 'A' as const,
    address: `10.1.0.${i + 1}`,
    zone: Z,
  }));
  t.upsertRecords('big', many);
  return t;
}

function viewOf(t: RecordTable, enabled = true): DnsView {
  return {
    enabled: () => enabled,
    lookup: (n, ty) => t.lookup(n, ty),
    address: (r) => r.address,
    serial: () => t.serial,
  };
}

async function server(t: { after(fn: () => unknown): void }, view: DnsView, upstream?: Upstream) {
  const l = await listenDns('127.0.0.1', 0, (msg, tr) => answerQuery(view, msg, tr, upstream));
  t.after(() => l.close());
  return l.port;
}

test('A over UDP and TCP: AA, RD copied, RA, names echoed as asked', async (t) => {
  const port = await server(t, viewOf(table()));
  for (const transport of ['udp', 'tcp'] as const) {
    const r = await query(port, NAME.toUpperCase(), 'A', { transport });
    assert.equal(rcodeOf(r), 'NOERROR');
    assert.equal(r.flag_aa, true);
    assert.equal(r.flag_rd, true);
    assert.equal(r.flag_ra, true);
    assert.equal(r.id, 4242);
    assert.deepEqual(addresses(r), ['10.0.1.5', '10.0.2.5']);
    assert.equal(r.answers?.[0]?.name, NAME.toUpperCase());
  }
  assert.deepEqual(await dig(['@127.0.0.1', '-p', String(port), NAME]), ['10.0.1.5', '10.0.2.5']);
  assert.deepEqual(await dig(['+tcp', '@127.0.0.1', '-p', String(port), NAME]), ['10.0.1.5', '10.0.2.5']);
});

test('NODATA vs NXDOMAIN, both with the SOA in authority; SOA and NS at the apex', async (t) => {
  const port = await server(t, viewOf(table()));
  const aaaa = await query(port, NAME, 'AAAA');
  assert.equal(rcodeOf(aaaa), 'NOERROR');
  assert.equal(aaaa.answers?.length, 0);
  assert.equal(aaaa.authorities?.[0]?.type, 'SOA');
  assert.equal(aaaa.authorities?.[0]?.name, Z);
  const txt = await query(port, NAME, 'TXT');
  assert.equal(rcodeOf(txt), 'NOERROR');
  assert.equal(txt.answers?.length, 0);
  const nx = await query(port, 'nope.' + NAME, 'A');
  assert.equal(rcodeOf(nx), 'NXDOMAIN');
  assert.equal(nx.flag_aa, true);
  assert.equal(nx.authorities?.[0]?.type, 'SOA');
  const soa = await query(port, Z, 'SOA');
  assert.equal(soa.answers?.[0]?.type, 'SOA');
  const ns = await query(port, Z, 'NS');
  assert.equal(ns.answers?.[0]?.type, 'NS');
  assert.equal(await digStatus(['@127.0.0.1', '-p', String(port), 'nope.' + NAME]), 'NXDOMAIN');
});

test('EDNS is echoed; big answers set TC over UDP and come whole over TCP', async (t) => {
  const port = await server(t, viewOf(table()));
  const small = await query(port, NAME, 'A', { edns: 4096 });
  const opt = small.additionals?.find((a) => a.type === 'OPT');
  assert.ok(opt && 'udpPayloadSize' in opt && opt.udpPayloadSize === 1232);
  const udp = await query(port, 'big.vpce.amazonaws.com', 'A');
  assert.equal(udp.flag_tc, true);
  assert.equal(udp.answers?.length, 0);
  const tcp = await query(port, 'big.vpce.amazonaws.com', 'A', { transport: 'tcp' });
  assert.equal(tcp.flag_tc, false);
  assert.equal(tcp.answers?.length, 60);
  // dig retries over TCP on its own.
  assert.equal((await dig(['@127.0.0.1', '-p', String(port), 'big.vpce.amazonaws.com'])).length, 60);
  const badVersion = buildQuery(NAME, 'A', { edns: 1232 });
  // Set EDNS version 1 in the OPT record (last 11 bytes: name, type, class, ttl[ext, ver, flags], rdlen).
  badVersion[badVersion.length - 11 + 6] = 1;
  const bv = dnsPacket.decode(await sendRaw(port, badVersion));
  const bopt = bv.additionals?.find((a) => a.type === 'OPT');
  assert.ok(bopt && 'extendedRcode' in bopt && bopt.extendedRcode === 1, 'BADVERS');
});

test('malformed input: FORMERR with the ID, short garbage dropped, the server keeps serving', async (t) => {
  const port = await server(t, viewOf(table()));
  const garbage = Buffer.from('0102000000050000000000000000ffff', 'hex');
  const r = await sendRaw(port, garbage);
  assert.equal(r.readUInt16BE(0), 0x0102);
  assert.equal(r.readUInt16BE(2) & 0xf, 1);
  await assert.rejects(sendRaw(port, Buffer.from('abc'), { timeoutMs: 300 }));
  const noQuestion = dnsPacket.encode({ type: 'query', id: 7, questions: [] });
  assert.equal(rcodeOf(dnsPacket.decode(await sendRaw(port, noQuestion))), 'FORMERR');
  const notimp = buildQuery(NAME, 'A');
  notimp.writeUInt16BE(notimp.readUInt16BE(2) | (2 << 11), 2); // opcode STATUS
  assert.equal(rcodeOf(dnsPacket.decode(await sendRaw(port, notimp))), 'NOTIMP');
  const chaos = dnsPacket.encode({
    type: 'query',
    id: 8,
    questions: [{ type: 'TXT', name: 'version.bind', class: 'CH' }],
  });
  assert.equal(rcodeOf(dnsPacket.decode(await sendRaw(port, chaos))), 'REFUSED');
  assert.deepEqual(addresses(await query(port, NAME)), ['10.0.1.5', '10.0.2.5']);
});

test('a switched-off view answers REFUSED', async (t) => {
  const port = await server(t, viewOf(table(), false));
  assert.equal(rcodeOf(await query(port, NAME)), 'REFUSED');
});

test('other names: SERVFAIL at once without an upstream; forwarded over UDP and TCP with one', async (t) => {
  const lonely = await server(t, viewOf(table()));
  const started = Date.now();
  assert.equal(rcodeOf(await query(lonely, 'example.org')), 'SERVFAIL');
  assert.ok(Date.now() - started < 500);

  const up = await startStaticZoneServer({ records: { 'example.org': { A: ['192.0.2.7'], TXT: ['hi'] } } });
  t.after(() => up.close());
  const fwd = new Forwarder('127.0.0.1', up.port);
  t.after(() => fwd.close());
  const port = await server(t, viewOf(table()), fwd);
  const r = await query(port, 'example.org', 'A', { id: 999 });
  assert.equal(r.id, 999);
  assert.deepEqual(addresses(r), ['192.0.2.7']);
  assert.deepEqual(addresses(await query(port, 'example.org', 'A', { transport: 'tcp' })), ['192.0.2.7']);
  assert.equal(rcodeOf(await query(port, 'missing.example.org')), 'NXDOMAIN');
  // Our own names are never forwarded.
  assert.deepEqual(addresses(await query(port, NAME)), ['10.0.1.5', '10.0.2.5']);
  assert.ok(up.queries.every((q) => !q.name.endsWith('vpce.amazonaws.com')));
});

test('the upstream must be HOST:PORT on loopback', () => {
  assert.deepEqual(parseUpstream('127.0.0.1:5300'), { host: '127.0.0.1', port: 5300 });
  assert.deepEqual(parseUpstream('localhost:53'), { host: '127.0.0.1', port: 53 });
  assert.throws(() => parseUpstream('8.8.8.8:53'), /loopback/);
  assert.throws(() => parseUpstream('127.0.0.1'), /HOST:PORT/);
});

test('the fast path answers exactly like the general path, and declines what it does not handle', async () => {
  const view = viewOf(table());
  const cases: [string, string, Parameters<typeof buildQuery>[2]][] = [
    [NAME, 'A', {}],
    [NAME.toUpperCase(), 'A', { edns: 4096 }],
    [NAME + '.', 'A', { edns: 512 }],
    ['big.vpce.amazonaws.com', 'A', { edns: 4096 }],
  ];
  for (const [name, type, o] of cases) {
    const msg = buildQuery(name, type, o);
    for (const tr of ['udp', 'tcp'] as const) {
      const fast = fastAnswer(view, msg, tr);
      const general = await generalAnswer(view, msg, tr, undefined);
      assert.ok(general);
      // The fast path compresses names, so it may fit answers the general path truncates.
      if (fast && !dnsPacket.decode(general).flag_tc)
        assert.deepEqual(dnsPacket.decode(fast), dnsPacket.decode(general), `${name} ${tr}`);
    }
  }
  assert.ok(fastAnswer(view, buildQuery(NAME, 'A'), 'udp'), 'plain A takes the fast path');
  assert.ok(
    fastAnswer(view, buildQuery(NAME, 'A', { edns: 1232 }), 'udp'),
    'A with EDNS takes the fast path',
  );
  for (const [name, type] of [
    [NAME, 'AAAA'],
    ['nope.' + NAME, 'A'],
    ['example.org', 'A'],
  ]) {
    assert.equal(fastAnswer(view, buildQuery(name ?? '', type ?? ''), 'udp'), undefined, `${name} ${type}`);
  }
  assert.equal(fastAnswer(viewOf(table(), false), buildQuery(NAME, 'A'), 'udp'), undefined);
});
