/**
 * The namespace of a requester-managed ENI (an interface endpoint's ENI or an NLB node), built
 * the same way for both: a leg in the VPC's bridge carrying the ENI's MAC and private IP, a leg
 * in the fabric, forwarding on, and a default route via the subnet router. `eniNamespacePlan`
 * says what to run (pure, golden-tested); `buildEniNamespace` runs it and removes a half-built
 * namespace when a step fails.
 */
import { nthAddress, parseCidr } from '../../control/cidr.js';
import type { Runner } from '../netns/runner.js';
import { deleteNamespace, ipBatchCommand, nsCommand, runCommands, type Command } from '../netns/commands.js';
import { VPC_BRIDGE } from '../vpc/vpc-network.js';
import type { FabricAttachment } from './fabric.js';

export interface EniNamespaceSpec {
  /** The ENI's namespace. */
  namespace: string;
  /** The VPC's namespace (its bridge gets the peer of the VPC leg). */
  vpcNamespace: string;
  fabricNamespace: string;
  /** Name of the VPC leg inside the ENI namespace. */
  vpcLeg: string;
  /** Name of its peer on the VPC bridge. */
  vpcPeer: string;
  /** The ENI's MAC (kept across rebuilds so neighbours' caches stay valid), when known. */
  mac: string | undefined;
  privateIp: string;
  subnetCidr: string;
  fabric: FabricAttachment;
}

/** Commands that build the namespace after `ip netns add` (pure). */
export function eniNamespacePlan(s: EniNamespaceSpec): Command[] {
  const cidr = parseCidr(s.subnetCidr);
  return [
    ipBatchCommand([
      `link add ${s.vpcLeg} netns ${s.namespace} type veth peer name ${s.vpcPeer} netns ${s.vpcNamespace}`,
      ...s.fabric.host,
    ]),
    ipBatchCommand(
      [`link set ${s.vpcPeer} master ${VPC_BRIDGE}`, `link set ${s.vpcPeer} up`],
      s.vpcNamespace,
    ),
    ipBatchCommand(s.fabric.fabric, s.fabricNamespace),
    // arp_notify: the leg announces itself when it comes up, so consumers whose ARP cache still
    // holds an earlier namespace of this ENI (a rebuild after restart) re-learn it at once.
    nsCommand(s.namespace, ['sysctl', '-qw', 'net.ipv4.ip_forward=1', 'net.ipv4.conf.all.arp_notify=1']),
    ipBatchCommand(
      [
        'link set lo up',
        // The ENI's own MAC (as DescribeNetworkInterfaces shows it) keeps neighbours' caches
        // valid across rebuilds of the namespace.
        ...(s.mac ? [`link set ${s.vpcLeg} address ${s.mac}`] : []),
        `addr add ${s.privateIp}/${cidr.prefix} dev ${s.vpcLeg}`,
        `link set ${s.vpcLeg} up`,
        ...s.fabric.inside,
        `route add default via ${nthAddress(cidr, 1)} dev ${s.vpcLeg}`,
      ],
      s.namespace,
    ),
  ];
}

/** Builds the namespace from scratch (a leftover of the same name is removed first). */
export async function buildEniNamespace(runner: Runner, s: EniNamespaceSpec): Promise<void> {
  await deleteNamespace(runner, s.namespace);
  await runner.run(['ip', 'netns', 'add', s.namespace]);
  try {
    await runCommands(runner, eniNamespacePlan(s));
  } catch (e) {
    await deleteNamespace(runner, s.namespace).catch(() => undefined);
    throw e;
  }
}
