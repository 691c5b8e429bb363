/**
 * The fast path's TypeScript record layouts (bpf/fastpath-maps.ts) match the C structs of
 * bpf/fastpath.h: compiles fastpath.c with clang and compares every struct's size and every
 * mirrored member's offset with the object's BTF (`bpftool btf dump file … -j`).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from '../../src/dataplane/netns/run.js';
import { LAYOUTS, SG_VAL, SLOT_VAL, type Layout } from '../../src/dataplane/bpf/fastpath-maps.js';
import { compileBpfCommand } from '../../src/dataplane/bpf/bpf-object.js';

const have = await run(['clang', '--version'])
  .then(() => run(['bpftool', 'version']))
  .then(() => true)
  .catch(() => false);

interface BtfType {
  kind: string;
  name: string;
  size?: number;
  members?: { name: string; bits_offset: number }[];
}

test(
  'TypeScript map layouts match fastpath.h (BTF of the compiled object)',
  { skip: !have && 'clang/bpftool missing' },
  async () => {
    const dir = await mkdtemp(join(tmpdir(), 'privlink-btf-'));
    try {
      const src = fileURLToPath(new URL('../../src/dataplane/bpf/fastpath.c', import.meta.url));
      const obj = join(dir, 'fastpath.o');
      await run(compileBpfCommand(src, obj).argv);
      const { stdout } = await run(['bpftool', '-j', 'btf', 'dump', 'file', obj]);
      const types = (JSON.parse(stdout) as { types: BtfType[] }).types.filter((t) => t.kind === 'STRUCT');
      const byName = new Map(types.map((t) => [t.name, t]));
      for (const l of Object.values(LAYOUTS) as Layout[]) {
        const t = byName.get(l.name);
        assert.ok(t, `struct ${l.name} in the object`);
        assert.equal(t.size, l.size, `sizeof(struct ${l.name})`);
        for (const f of l.fields) {
          const m: { name: string; bits_offset: number } | undefined = t.members?.find(
            (x) => x.name === f.name,
          );
          assert.ok(m, `${l.name}.${f.name} exists`);
          assert.equal(m.bits_offset / 8, f.offset, `offsetof(${l.name}, ${f.name})`);
        }
        // Every C member is mirrored (none added on one side only).
        const mirrored = new Set(l.fields.map((f) => f.name));
        for (const member of t.members ?? []) {
          if (member.name === 'pad' && !mirrored.has('pad')) continue;
          assert.ok(mirrored.has(member.name), `${l.name}.${member.name} mirrored`);
        }
      }
      const slot = byName.get('slot_val');
      assert.equal(slot?.size, SLOT_VAL.size);
      assert.equal((slot?.members?.find((m) => m.name === 'port')?.bits_offset ?? 0) / 8, SLOT_VAL.port);
      assert.equal((slot?.members?.find((m) => m.name === 'idle_s')?.bits_offset ?? 0) / 8, SLOT_VAL.idle);
      assert.equal(byName.get('sg_val')?.size, SG_VAL.size);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
);
