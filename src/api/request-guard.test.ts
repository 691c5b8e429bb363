import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkRequest, hostAllowed, hostOnly } from './request-guard.js';

const O = { bindHost: '127.0.0.1', allowedHosts: ['privlink.internal'] };

test('hostOnly strips ports and IPv6 brackets', () => {
  assert.equal(hostOnly('127.0.0.1:4599'), '127.0.0.1');
  assert.equal(hostOnly('[::1]:4599'), '::1');
  assert.equal(hostOnly('::1'), '::1');
  assert.equal(hostOnly('LocalHost'), 'localhost');
  assert.equal(hostOnly('example.com.'), 'example.com');
});

test('hostAllowed: localhost, IP literals, the bind host and --allowed-host names only', () => {
  for (const h of ['localhost:1', '127.0.0.1', '10.1.2.3:80', '[::1]:4599', 'privlink.internal:4599']) {
    assert.ok(hostAllowed(h, O), h);
  }
  for (const h of [
    '',
    'evil.example',
    'localhost.evil.example',
    '127.0.0.1.nip.io',
    'privlink.internal.evil',
  ]) {
    assert.ok(!hostAllowed(h, O), h);
  }
});

test('checkRequest: cross-origin markers are refused, same-origin and tools pass', () => {
  assert.ok(checkRequest({ host: '127.0.0.1:4599' }, O).ok);
  assert.ok(checkRequest({}, O).ok);
  assert.ok(checkRequest({ host: '127.0.0.1:4599', origin: 'http://127.0.0.1:4599' }, O).ok);
  assert.ok(!checkRequest({ host: '127.0.0.1:4599', origin: 'http://127.0.0.1:8080' }, O).ok);
  assert.ok(!checkRequest({ host: '127.0.0.1:4599', origin: 'null' }, O).ok);
  assert.ok(!checkRequest({ host: '127.0.0.1:4599', 'sec-fetch-site': 'cross-site' }, O).ok);
  assert.ok(checkRequest({ host: '127.0.0.1:4599', 'sec-fetch-site': 'none' }, O).ok);
});
