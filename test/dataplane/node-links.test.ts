/**
 * Point-to-point links between an ENI namespace and an NLB node namespace: both /32 routes,
 * traffic over the link, a leftover leg of an earlier try replaced, removal idempotent.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { legName, linkNamespaces, removeLink } from '../../src/dataplane/endpoints/node-links.js';
import { deleteNamespace, nsExec, run, systemRunner } from '../../src/dataplane/netns/run.js';
import { netnsSkip } from '../helpers/netns.js';

const skip = await netnsSkip('node link tests');
const A = { namespace: 'tnl-eni', address: '100.64.9.11', key: 'eni-a' };
const B = { namespace: 'tnl-node', address: '100.64.9.10', key: 'eni-b' };

async function routeDev(ns: string, to: string): Promise<string> {
  const { stdout } = await run(['ip', '-n', ns, '-j', 'route', 'get', to]);
  return (JSON.parse(stdout) as { dev: string }[])[0]?.dev ?? '';
}

test('node links: routes both ways, leftover leg replaced, removal idempotent', { skip }, async (t) => {
  for (const e of [A, B]) {
    await deleteNamespace(e.namespace);
    await run(['ip', 'netns', 'add', e.namespace]);
    t.after(() => deleteNamespace(e.namespace));
    await run(['ip', '-n', e.namespace, 'link', 'set', 'lo', 'up']);
    // The fabric address lives on a leg of its own, as on the real fabric leg (no dummy driver here).
    await run(['ip', '-n', e.namespace, 'link', 'add', 'f', 'type', 'veth', 'peer', 'name', 'fp']);
    await run(['ip', '-n', e.namespace, 'addr', 'add', `${e.address}/32`, 'dev', 'f']);
    await run(['ip', '-n', e.namespace, 'link', 'set', 'f', 'up']);
  }
  // A leftover leg with the link's name (an earlier, half-finished try).
  await run(['ip', '-n', A.namespace, 'link', 'add', legName(B), 'type', 'veth', 'peer', 'name', 'lp']);

  await linkNamespaces(systemRunner, A, B);
  assert.equal(await routeDev(A.namespace, B.address), legName(B));
  assert.equal(await routeDev(B.namespace, A.address), legName(A));
  // Nothing listens on port 9 in the node namespace: its RST must come back over the link.
  const err = await nsExec(A.namespace, [
    'timeout',
    '3',
    'bash',
    '-c',
    `exec 3<>/dev/tcp/${B.address}/9`,
  ]).then(
    () => 'connected',
    (e: unknown) => String(e),
  );
  assert.match(err, /Connection refused/);

  await removeLink(systemRunner, A, B);
  await removeLink(systemRunner, A, B);
  const { stdout } = await run(['ip', '-n', B.namespace, '-o', 'link']);
  assert.ok(!stdout.includes(legName(A)), 'both ends are gone');
});
