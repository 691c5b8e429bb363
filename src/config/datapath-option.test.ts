import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, resolveOptions } from './options.js';

test('datapath: PRIVLINK_DATAPATH is the default; a bad value is refused naming its source', (t) => {
  const saved = process.env['PRIVLINK_DATAPATH'];
  t.after(() => {
    if (saved === undefined) delete process.env['PRIVLINK_DATAPATH'];
    else process.env['PRIVLINK_DATAPATH'] = saved;
  });
  delete process.env['PRIVLINK_DATAPATH'];
  assert.equal(resolveOptions().datapath, 'auto');
  process.env['PRIVLINK_DATAPATH'] = 'nftables';
  assert.equal(resolveOptions().datapath, 'nftables');
  assert.equal(resolveOptions({ datapath: 'bpf' }).datapath, 'bpf', 'an explicit option wins');
  process.env['PRIVLINK_DATAPATH'] = 'xdp';
  assert.throws(
    () => resolveOptions(),
    (e: unknown) =>
      e instanceof ConfigError && /PRIVLINK_DATAPATH must be auto, bpf, nftables, got 'xdp'/.test(e.message),
  );
  assert.throws(
    () => resolveOptions({ datapath: 'fast' as 'bpf' }),
    (e: unknown) => e instanceof ConfigError && /^datapath must be/.test(e.message),
  );
});
