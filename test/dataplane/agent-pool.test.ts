/**
 * The fabric agent pool in a real namespace: every agent gets every PPv2 listener, connections
 * through the shared listener carry the header, losing one agent stops the pool and reports it,
 * the next request starts a new generation, and close leaves no agent behind.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import type { Server, Socket } from 'node:net';
import { AgentProxyHost, agentWorkers } from '../../src/dataplane/agent/agent-client.js';
import { ConfigError, resolveOptions } from '../../src/config/options.js';
import { parseServeArgs } from '../../src/cli/serve.js';
import { openInNamespace } from '../../src/dataplane/netns/ns-sockets.js';
import { deleteNamespace, nsExec, run, systemRunner } from '../../src/dataplane/netns/run.js';
import { parsePpv2 } from '../../src/dataplane/proxy/ppv2.js';
import { silentLogger } from '../../src/shared/logger.js';
import { netnsSkip } from '../helpers/netns.js';

const NS = 'tap-fabric';
const skip = await netnsSkip('agent pool tests');

async function listenerIn(ns: string): Promise<{ server: Server; port: number }> {
  const [s] = await openInNamespace(systemRunner, ns, [{ type: 'tcp', host: '127.0.0.1', port: 0 }]);
  assert.ok(s?.type === 'tcp');
  return { server: s.server, port: s.port };
}

/** Opens `n` connections at once from inside `ns`, each sends a line and reads the answer. */
async function clients(ns: string, port: number, n: number): Promise<string[]> {
  const script = `
    const net = require('net');
    let left = ${n}; const out = [];
    for (let i = 0; i < ${n}; i++) {
      const c = net.connect(${port}, '127.0.0.1', () => c.write('hi ' + i + '\\n'));
      let buf = '';
      c.on('data', (d) => (buf += d));
      c.on('close', () => { out.push(buf); if (--left === 0) console.log(JSON.stringify(out)); });
      c.on('error', () => undefined);
    }`;
  const r = await nsExec(ns, [process.execPath, '-e', script], undefined, 20_000);
  return JSON.parse(r.stdout) as string[];
}

/** Every process in the namespace with its command line (for failure messages). */
async function describePids(): Promise<string> {
  const r = await run(['ip', 'netns', 'pids', NS]);
  const out: string[] = [];
  for (const pid of r.stdout.split('\n').filter(Boolean)) {
    const cmd = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '?');
    out.push(`${pid}: ${cmd.replaceAll('\0', ' ').slice(0, 160)}`);
  }
  return out.join('; ');
}

/** The agent processes in the namespace (other short-lived helpers may be there too). */
async function agentPids(): Promise<number[]> {
  const r = await run(['ip', 'netns', 'pids', NS]);
  const pids = r.stdout.split('\n').filter(Boolean).map(Number);
  const agents: number[] = [];
  for (const pid of pids) {
    const cmd = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (cmd.includes('agent-main')) agents.push(pid);
  }
  return agents;
}

test(
  'agent pool: shared PPv2 listener, loss of one agent, new generation, clean close',
  { skip },
  async (t) => {
    await deleteNamespace(NS);
    await run(['ip', 'netns', 'add', NS]);
    t.after(() => deleteNamespace(NS));
    await run(['ip', '-n', NS, 'link', 'set', 'lo', 'up']);

    // The upstream (a "target") is served by this process on a socket bound inside the namespace.
    const upstream = await listenerIn(NS);
    const headers: (string | undefined)[] = [];
    upstream.server.on('connection', (s: Socket) => {
      s.once('data', (d: Buffer) => {
        const h = parsePpv2(d);
        headers.push(h?.vpceId);
        s.end('ok\n');
      });
    });
    t.after(() => upstream.server.close());

    let lost = 0;
    const host = new AgentProxyHost(systemRunner, NS, silentLogger, { workers: 2, onLost: () => lost++ });
    t.after(() => host.close());
    assert.equal(host.workers, 2);

    const spec = {
      upstreamHost: '127.0.0.1',
      upstreamPort: upstream.port,
      ppv2VpceId: 'vpce-0123456789abcdef0',
    };
    const l1 = await listenerIn(NS);
    const g1 = await host.serve('l1', l1.server, spec);
    assert.equal(g1, 1);
    assert.equal(host.generation, 1);
    const stats = await host.stats();
    assert.equal(stats.agents?.length, 2);
    assert.deepEqual(
      stats.agents?.map((a) => a.proxies),
      [1, 1],
      'every agent serves the listener',
    );

    const answers = await clients(NS, l1.port, 20);
    assert.equal(answers.length, 20);
    assert.ok(
      answers.every((a) => a === 'ok\n'),
      JSON.stringify(answers),
    );
    assert.equal(headers.length, 20);
    assert.ok(headers.every((h) => h === 'vpce-0123456789abcdef0'));
    assert.equal((await host.stats()).accepted, 20);

    // One agent dies: the pool is stopped whole and the loss reported.
    const pids = await agentPids();
    assert.equal(pids.length, 2, `two agents in ${NS}: ${await describePids()}`);
    process.kill(pids[0] ?? 0, 'SIGKILL');
    // Bounded wait (the surviving agent closes its proxies and exits on disconnect; slow when the
    // machine is busy with other suites).
    for (let i = 0; i < 300 && (lost === 0 || (await agentPids()).length > 0); i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(lost, 1);
    assert.deepEqual(await agentPids(), [], 'the surviving agent was stopped too');
    assert.equal(host.generation, 2, 'proxies recorded with generation 1 are known to be gone');

    // The next request starts a new pool (generation 3); re-serving brings traffic back.
    const l2 = await listenerIn(NS);
    const g2 = await host.serve('l1', l2.server, spec);
    assert.equal(g2, 3);
    assert.deepEqual(await clients(NS, l2.port, 4), ['ok\n', 'ok\n', 'ok\n', 'ok\n']);

    await host.close();
    assert.deepEqual(await agentPids(), []);
    assert.equal(lost, 1, 'a deliberate close is not a loss');
  },
);

test('pool size: one agent per core by default (at most 4), --proxy-workers validated', () => {
  const auto = agentWorkers();
  assert.ok(auto >= 1 && auto <= 4, String(auto));
  assert.equal(agentWorkers(3), 3);
  assert.equal(resolveOptions({ proxyWorkers: 6 }).proxyWorkers, 6);
  assert.throws(() => resolveOptions({ proxyWorkers: -1 }), ConfigError);
  assert.throws(() => resolveOptions({ proxyWorkers: 1.5 }), ConfigError);
  assert.equal(parseServeArgs(['--proxy-workers', '2']).proxyWorkers, 2);
  assert.throws(() => parseServeArgs(['--proxy-workers', 'many']), /--proxy-workers must be a number/);
});
