/**
 * Which data path netns mode runs: the tc-BPF fast path (docs/bpf-datapath.md) or nftables in
 * every ENI and NLB-node namespace. `auto` takes BPF when everything it needs is here, and says
 * which part is missing when it is not; `bpf` asked for explicitly fails the start instead.
 *
 * What BPF needs: Linux ≥ 5.13 (bpf_redirect_peer from 5.10, bpf_for_each_map_elem from 5.13), `bpftool` (loads and pins programs, writes
 * maps), `tc` (attaches them), `clang` (compiles the C at start; Debian's clang), and a bpffs
 * mount (made privately under the run dir when the path starts).
 */
import { release } from 'node:os';
import type { DatapathChoice } from '../../config/options.js';
import type { Runner } from '../netns/runner.js';

export type Datapath = 'bpf' | 'nftables';

export interface DatapathDecision {
  datapath: Datapath;
  reason: string;
}

/** Kernel release → [major, minor] (e.g. "6.1.0-18-amd64" → [6, 1]). */
export function kernelVersion(rel: string): [number, number] {
  const m = /^(\d+)\.(\d+)/.exec(rel);
  return m ? [Number(m[1]), Number(m[2])] : [0, 0];
}

/** Why BPF cannot run here (undefined when it can). */
export async function bpfUnavailableReason(runner: Runner, kernel = release()): Promise<string | undefined> {
  const [major, minor] = kernelVersion(kernel);
  if (major < 5 || (major === 5 && minor < 13)) {
    return `kernel ${kernel} is older than 5.13 (no bpf_for_each_map_elem for the conntrack GC)`;
  }
  const tools: [string[], string][] = [
    [['bpftool', 'version'], 'bpftool'],
    [['tc', '-V'], 'iproute2 (tc)'],
    [['clang', '--version'], 'clang'],
  ];
  for (const [argv, pkg] of tools) {
    try {
      await runner.run(argv);
    } catch {
      return `'${argv[0] ?? ''}' is not installed (apt-get install ${pkg.split(' ')[0] ?? pkg})`;
    }
  }
  return undefined;
}

export async function chooseDatapath(runner: Runner, wanted: DatapathChoice): Promise<DatapathDecision> {
  if (wanted === 'nftables') return { datapath: 'nftables', reason: 'requested with datapath=nftables' };
  const why = await bpfUnavailableReason(runner);
  if (!why) {
    return {
      datapath: 'bpf',
      reason: wanted === 'bpf' ? 'requested with datapath=bpf' : 'kernel, bpftool, tc and clang present',
    };
  }
  if (wanted === 'bpf') throw new Error(`datapath=bpf requested but unavailable: ${why}`);
  return { datapath: 'nftables', reason: `${why}; using nftables` };
}
