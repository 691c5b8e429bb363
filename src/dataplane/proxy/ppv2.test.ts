/** PPv2 builder/parser against the captured AWS header (docs/reference/aws-privatelink.md §9.2). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildPpv2, buildPpv2Local, crc32c, parsePpv2 } from './ppv2.js';

const AWS_SAMPLE = Buffer.from(
  '0d0a0d0a000d0a515549540a' +
    '21110054' +
    'ac1f0771' +
    'ac1f0a1f' +
    'c8f20050' +
    '030004e8d6892d' +
    'ea00170176706365' +
    '2d30386432626631356661633530303163' +
    '39' +
    '040024' +
    '00'.repeat(36),
  'hex',
);

test('the captured AWS sample is 100 bytes and its CRC32C checks out', () => {
  assert.equal(AWS_SAMPLE.length, 100);
  const zeroed = Buffer.from(AWS_SAMPLE);
  zeroed.fill(0, 31, 35);
  assert.equal(crc32c(zeroed), 0xe8d6892d);
});

test('buildPpv2 reproduces the captured AWS header byte for byte', () => {
  const h = buildPpv2(
    {
      sourceAddress: '172.31.7.113',
      sourcePort: 51442,
      destinationAddress: '172.31.10.31',
      destinationPort: 80,
    },
    { vpceId: 'vpce-08d2bf15fac5001c9' },
  );
  assert.equal(h.toString('hex'), AWS_SAMPLE.toString('hex'));
});

test('parsePpv2 reads addresses, the endpoint ID and validates the CRC', () => {
  const p = parsePpv2(Buffer.concat([AWS_SAMPLE, Buffer.from('GET / HTTP/1.1\r\n')]));
  assert.ok(p);
  assert.equal(p.command, 'PROXY');
  assert.equal(p.length, 100);
  assert.deepEqual(p.addresses, {
    sourceAddress: '172.31.7.113',
    sourcePort: 51442,
    destinationAddress: '172.31.10.31',
    destinationPort: 80,
  });
  assert.equal(p.vpceId, 'vpce-08d2bf15fac5001c9');
  assert.equal(p.crcValid, true);
  const bad = Buffer.from(AWS_SAMPLE);
  bad[20] = 1;
  assert.equal(parsePpv2(bad)?.crcValid, false);
});

test('partial headers ask for more bytes; garbage is refused', () => {
  assert.equal(parsePpv2(AWS_SAMPLE.subarray(0, 10)), undefined);
  assert.equal(parsePpv2(AWS_SAMPLE.subarray(0, 50)), undefined);
  assert.throws(() => parsePpv2(Buffer.from('GET / HTTP/1.1\r\n\r\n')));
});

test('LOCAL header for health checks; plain layout without CRC/NOOP', () => {
  const l = buildPpv2Local();
  assert.equal(l.toString('hex'), '0d0a0d0a000d0a515549540a20000000');
  assert.equal(parsePpv2(l)?.command, 'LOCAL');
  const plain = buildPpv2(
    { sourceAddress: '10.0.1.10', sourcePort: 7370, destinationAddress: '10.0.5.5', destinationPort: 8090 },
    { vpceId: 'vpce-0123456789abcdef0', awsLayout: false },
  );
  // The header checked independently with proxy-protocol-js (docs/reference/dataplane.md §3.6).
  assert.equal(
    plain.toString('hex'),
    '0d0a0d0a000d0a515549540a211100260a00010a0a0005051cca1f9aea001701767063652d3031323334353637383961626364656630',
  );
});

test('IPv6 headers use family 0x21 and 16-byte addresses', () => {
  const h = buildPpv2(
    { sourceAddress: 'fd00::1', sourcePort: 1, destinationAddress: 'fd00::2:3', destinationPort: 2 },
    { vpceId: 'vpce-1' },
  );
  const p = parsePpv2(h);
  assert.equal(h[13], 0x21);
  assert.equal(p?.addresses?.sourceAddress, 'fd00:0:0:0:0:0:0:1');
  assert.equal(p?.addresses?.destinationAddress, 'fd00:0:0:0:0:0:2:3');
  assert.equal(p?.vpceId, 'vpce-1');
  assert.equal(p?.crcValid, true);
});
