/**
 * The data-plane commands bound to the real runner, for code outside the data plane that drives
 * namespaces itself (tests, bench, demo). Data-plane modules never use these: they receive a
 * `Runner` (runner.ts) and call commands.ts with it.
 */
import type { Runner } from './runner.js';
import { systemRunner } from './system-runner.js';
import * as commands from './commands.js';

export { CommandError, type RunResult, type Runner } from './runner.js';
export { systemRunner } from './system-runner.js';
export { NO_BRIDGE_NETFILTER } from './commands.js';

const r: Runner = systemRunner;
export const run = (argv: readonly string[], input?: string, timeoutMs?: number) =>
  r.run(argv, input, timeoutMs);
export const ipBatch = (lines: readonly string[], ns?: string, force = false) =>
  commands.ipBatch(r, lines, ns, force);
export const nft = (ns: string, script: string) => commands.nft(r, ns, script);
export const nsExec = (ns: string, argv: readonly string[], input?: string, timeoutMs?: number) =>
  commands.nsExec(r, ns, argv, input, timeoutMs);
export const listNamespaces = (prefix: string) => commands.listNamespaces(r, prefix);
export const deleteNamespace = (ns: string) => commands.deleteNamespace(r, ns);
export const probeNetns = () => commands.probeNetns(r);
