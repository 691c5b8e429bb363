/**
 * The two commands every tc-BPF program of privlink goes through (the GWLB's GENEVE programs and
 * the endpoint fast path): compile the C with Debian's clang into a BPF object, and load every
 * program of it into a bpffs with its maps pinned beside them (`<dir>/p/<prog>`, `<dir>/m/<map>`),
 * so `tc filter … pinned` can attach them in any namespace and TypeScript can reach the maps.
 */
import { join } from 'node:path';
import type { Command } from '../netns/commands.js';

/**
 * clang for BPF. The include path gives `asm/types.h` without gcc-multilib (Debian puts it under
 * the multiarch directory).
 */
export function compileBpfCommand(src: string, obj: string): Command {
  return {
    argv: ['clang', '-O2', '-g', '-target', 'bpf', '-I/usr/include/x86_64-linux-gnu', '-c', src, '-o', obj],
  };
}

/** `bpftool prog loadall` of a tc object into bpffs directory dir (programs and maps pinned). */
export function loadAllCommand(obj: string, dir: string): Command {
  return {
    argv: ['bpftool', 'prog', 'loadall', obj, join(dir, 'p'), 'type', 'tc', 'pinmaps', join(dir, 'm')],
  };
}
