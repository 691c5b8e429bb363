import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  LAYOUTS,
  SLOT_VAL,
  pack,
  sgEntries,
  slotValue,
  unpack,
  updateLine,
  vpcFwdView,
} from './fastpath-maps.js';

test('records pack in packet order for addresses and ports, host order for the rest', () => {
  const k = pack(LAYOUTS.ct_key, {
    mac: '0a:01:02:03:04:05',
    saddr: '10.0.2.20',
    daddr: '10.0.1.50',
    sport: 40000,
    dport: 80,
  });
  assert.equal(k.toString('hex'), '0a0102030405' + '0000' + '0a000214' + '0a000132' + '9c40' + '0050');
  assert.deepEqual(unpack(LAYOUTS.ct_key, k), {
    mac: '0a:01:02:03:04:05',
    pad: 0,
    saddr: '10.0.2.20',
    daddr: '10.0.1.50',
    sport: 40000,
    dport: 80,
  });
  const v = pack(LAYOUTS.node_val, { p_ifindex: 7, nlb_ip: '10.0.1.9' });
  assert.equal(v.toString('hex'), '07000000' + '0a000109');
  assert.match(
    updateLine('/m/fp_nodes', v, v),
    /^map update pinned \/m\/fp_nodes key hex 07 00 00 00 0a 00 01 09 value hex /,
  );
});

test('slot table: the same round-robin spread as the nft maps, idle timeout at the end', () => {
  const v = slotValue(
    [
      { ip: '10.0.2.10', port: 8080 },
      { ip: '10.0.2.11', port: 8081 },
    ],
    350,
  );
  assert.ok(v);
  assert.equal(v.length, SLOT_VAL.size);
  assert.equal([...v.subarray(0, 4)].join('.'), '10.0.2.10');
  assert.equal([...v.subarray(4, 8)].join('.'), '10.0.2.11');
  assert.equal(v.readUInt16BE(SLOT_VAL.port + 2), 8081);
  assert.equal(v.readUInt32LE(SLOT_VAL.idle), 350);
  assert.equal(slotValue([], 350), undefined, 'no backends: no entry (slow path)');
});

test('security groups as LPM entries: longer prefixes inherit the ranges of the shorter ones', () => {
  const e = sgEntries([
    { protocol: 'tcp', fromPort: 80, toPort: 80, sources: ['10.0.0.0/16'] },
    { protocol: 'tcp', fromPort: 443, toPort: 443, sources: ['10.0.2.0/24'] },
    { protocol: 'udp', fromPort: 53, toPort: 53, sources: ['10.0.3.0/24'] },
    { protocol: 'all', sources: ['192.168.1.7'] },
  ]);
  assert.deepEqual(e, [
    { addr: '10.0.0.0', len: 16, ranges: [[80, 80]] },
    {
      addr: '10.0.2.0',
      len: 24,
      ranges: [
        [80, 80],
        [443, 443],
      ],
    },
    { addr: '192.168.1.7', len: 32, ranges: [[0, 65535]] },
  ]);
  const many = Array.from({ length: 9 }, (_, i) => ({
    protocol: 'tcp',
    fromPort: i,
    toPort: i,
    sources: ['10.0.0.0/8'],
  }));
  assert.equal(sgEntries(many), undefined, 'too many ranges for one prefix: nftables carries the endpoint');
  assert.equal(sgEntries([{ protocol: 'tcp', sources: ['pl-123'] }]), undefined);
});

test('vpc_fwd view: learned FDB entries on up veth ports; kept next hops survive ageing only on their port', () => {
  const links = [
    { ifindex: 1, ifname: 'lo' },
    { ifindex: 2, ifname: 'br0', address: '0A:00:00:00:00:01', linkinfo: { info_kind: 'bridge' } },
    {
      ifindex: 3,
      ifname: 'a',
      master: 'br0',
      flags: ['UP', 'LOWER_UP'],
      link_netnsid: 0,
      linkinfo: { info_kind: 'veth' },
    },
    {
      ifindex: 4,
      ifname: 'b',
      master: 'br0',
      flags: ['UP'],
      link_netnsid: 1,
      linkinfo: { info_kind: 'veth' },
    },
    { ifindex: 5, ifname: 'd', master: 'br0', flags: ['UP', 'LOWER_UP'], linkinfo: { info_kind: 'dummy' } },
  ];
  const fdb = [
    { mac: '33:33:00:00:00:01', ifname: 'br0', flags: ['self'], state: 'permanent' },
    { mac: 'AA:00:00:00:00:03', ifname: 'a', flags: [], master: 'br0', state: '' },
    { mac: 'aa:00:00:00:00:04', ifname: 'b', flags: [], master: 'br0', state: '' },
    { mac: '0e:00:00:00:00:03', ifname: 'a', flags: [], master: 'br0', state: 'permanent' },
  ];
  const v = vpcFwdView(
    links,
    fdb,
    'br0',
    new Map([
      ['aa:00:00:00:00:09', 3],
      ['aa:00:00:00:00:0a', 4],
    ]),
  );
  assert.deepEqual(v.router, { mac: '0a:00:00:00:00:01', ifindex: 2 });
  assert.deepEqual(v.ports, [
    { ifindex: 3, ifname: 'a', up: true },
    { ifindex: 4, ifname: 'b', up: false },
  ]);
  // b has no carrier; the aged-out MAC on a stays, the one on b goes.
  assert.deepEqual(
    [...v.nextHops],
    [
      ['aa:00:00:00:00:03', 3],
      ['aa:00:00:00:00:09', 3],
    ],
  );
});
