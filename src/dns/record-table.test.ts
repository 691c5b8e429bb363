import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RecordTable, type DnsRecord } from './record-table.js';

const Z = 'vpce.amazonaws.com';
const a = (name: string, address: string, zone = Z): DnsRecord => ({ name, type: 'A', address, zone });

test('exact names answer; case and trailing dot do not matter', () => {
  const t = new RecordTable();
  t.upsertRecords('ep1', [a('vpce-1-abc.svc.us-east-1.vpce.amazonaws.com', '10.0.1.5')]);
  const r = t.lookup('VPCE-1-ABC.svc.us-east-1.VPCE.amazonaws.com.', 'A');
  assert.equal(r.kind, 'answer');
  assert.deepEqual(r.kind === 'answer' && r.records.map((x) => x.address), ['10.0.1.5']);
});

test('NODATA for a name without the type, for empty non-terminals and the apex; NXDOMAIN inside the zone', () => {
  const t = new RecordTable();
  t.upsertRecords('ep1', [a('vpce-1-abc.svc.us-east-1.vpce.amazonaws.com', '10.0.1.5')]);
  assert.deepEqual(t.lookup('vpce-1-abc.svc.us-east-1.vpce.amazonaws.com', 'AAAA'), {
    kind: 'nodata',
    zone: Z,
  });
  assert.deepEqual(t.lookup('svc.us-east-1.vpce.amazonaws.com', 'A'), { kind: 'nodata', zone: Z });
  assert.deepEqual(t.lookup('vpce.amazonaws.com', 'A'), { kind: 'nodata', zone: Z });
  assert.deepEqual(t.lookup('nope.us-east-1.vpce.amazonaws.com', 'A'), { kind: 'nxdomain', zone: Z });
  assert.deepEqual(t.lookup('example.org', 'A'), { kind: 'notmine' });
});

test('wildcards match any depth below, not the apex; exact names win', () => {
  const t = new RecordTable();
  t.upsertRecords('ep1', [a('*.example.com', '10.0.1.5', 'example.com')]);
  t.upsertRecords('ep2', [a('api.example.com', '10.9.9.9', 'example.com')]);
  const addr = (n: string) => {
    const r = t.lookup(n, 'A');
    return r.kind === 'answer' ? r.records.map((x) => x.address) : r.kind;
  };
  assert.deepEqual(addr('foo.example.com'), ['10.0.1.5']);
  assert.deepEqual(addr('a.b.example.com'), ['10.0.1.5']);
  assert.deepEqual(addr('api.example.com'), ['10.9.9.9']);
  assert.equal(addr('example.com'), 'nodata');
  // api.example.com exists, so names under it are not covered by *.example.com (RFC 4592).
  assert.equal(addr('x.api.example.com'), 'nxdomain');
});

test('upsert replaces an owner; removeOwner drops its names and zones', () => {
  const t = new RecordTable();
  t.upsertRecords('ep1', [a('x.vpce.amazonaws.com', '10.0.0.1'), a('x.vpce.amazonaws.com', '10.0.0.2')]);
  t.upsertRecords('ep2', [a('y.vpce.amazonaws.com', '10.0.0.3')]);
  t.upsertRecords('ep1', [a('x.vpce.amazonaws.com', '10.0.0.4')]);
  const r = t.lookup('x.vpce.amazonaws.com', 'A');
  assert.deepEqual(r.kind === 'answer' && r.records.map((x) => x.address), ['10.0.0.4']);
  t.removeOwner('ep1');
  assert.equal(t.lookup('x.vpce.amazonaws.com', 'A').kind, 'nxdomain');
  t.removeOwner('ep2');
  assert.equal(t.lookup('y.vpce.amazonaws.com', 'A').kind, 'notmine');
  assert.equal(t.recordCount, 0);
});

test('the most specific zone answers', () => {
  const t = new RecordTable();
  t.upsertRecords('ep1', [a('*.example.com', '10.0.1.5', 'example.com')]);
  t.upsertRecords('ep2', [a('svc.a.example.com', '10.0.2.5', 'svc.a.example.com')]);
  assert.equal(t.zoneOf('x.svc.a.example.com'), 'svc.a.example.com');
  assert.equal(t.lookup('x.svc.a.example.com', 'A').kind, 'nxdomain');
});
