/**
 * Point-to-point links between an endpoint ENI namespace and the NLB nodes it forwards to. The
 * fabric bridge joins every namespace and stays the fallback (and the agent's path), but a flow
 * through it crosses one more veth and a bridge; a direct veth pair with a /32 route at each end
 * takes the fabric's place for endpoint traffic (docs/dataplane.md, "Costs": about +7-10%
 * single-stream throughput). Nothing else changes: the addresses are the fabric ones, so rules, conntrack and
 * the PPv2 agent are unaffected, and if a link disappears (its NLB node namespace was rebuilt)
 * the /32 route goes with it and traffic falls back to the fabric until the link is rebuilt.
 */
import { linkName } from '../netns/naming.js';
import type { Runner } from '../netns/runner.js';
import { ipBatchCommand, type Command } from '../netns/commands.js';

export interface LinkEnd {
  namespace: string;
  /** Fabric address of this end (the route's source; the other end routes it back here). */
  address: string;
  /** Key the other end names its leg after (ENI id). */
  key: string;
}

/** The leg's name inside `end`'s namespace, for a link towards `peer`. */
export function legName(peer: LinkEnd): string {
  return linkName('u', peer.key);
}

/** The link as commands (pure): the veth pair, then each end up with its /32 route. */
export function linkPlan(a: LinkEnd, b: LinkEnd): { add: Command; ends: Command[] } {
  const legA = legName(b);
  const legB = legName(a);
  return {
    add: ipBatchCommand([
      `link add ${legA} netns ${a.namespace} type veth peer name ${legB} netns ${b.namespace}`,
    ]),
    ends: [
      ipBatchCommand(
        [`link set ${legA} up`, `route replace ${b.address}/32 dev ${legA} src ${a.address}`],
        a.namespace,
      ),
      ipBatchCommand(
        [`link set ${legB} up`, `route replace ${a.address}/32 dev ${legB} src ${b.address}`],
        b.namespace,
      ),
    ],
  };
}

/** Creates the veth pair and both /32 routes (replacing a leftover leg of an earlier try). */
export async function linkNamespaces(runner: Runner, a: LinkEnd, b: LinkEnd): Promise<void> {
  const plan = linkPlan(a, b);
  const add = () => runner.run(plan.add.argv, plan.add.input);
  // Removing first would cost a process per link; only a leftover leg makes the add fail.
  await add().catch(async () => {
    await removeLink(runner, a, b);
    await add();
  });
  try {
    for (const c of plan.ends) await runner.run(c.argv, c.input);
  } catch (e) {
    await removeLink(runner, a, b);
    throw e;
  }
}

/** Deletes the link (both ends go with one delete); fine if it is already gone. */
export async function removeLink(runner: Runner, a: LinkEnd, b: LinkEnd): Promise<void> {
  await runner.run(['ip', '-n', a.namespace, 'link', 'del', legName(b)]).catch(() => undefined);
}
