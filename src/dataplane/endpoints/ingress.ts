/**
 * Security-group ingress of an interface endpoint's ENI, reduced to nft matches: each stored rule
 * (one source each) becomes protocol + ports + source addresses; a referenced group becomes the
 * private IPs of the ENIs and instances that carry it.
 *
 * Fidelity (security-group rules as DescribeSecurityGroups shows them):
 * - Covered: protocols all/tcp/udp/icmp/numbers, port ranges, IPv4 CIDR sources, group sources
 *   (members: network interfaces and instances in the group), several groups (union of rules),
 *   statefulness (replies pass).
 * - Gaps: prefix-list sources, IPv6 ranges; loopback mode does not enforce security groups.
 */
import type { Stored, Store } from '../../store/store.js';
import type { IngressRule } from './endpoint-rules.js';

function members(store: Pick<Store, 'listAll'>, groupId: string): string[] {
  const ips = new Set<string>();
  for (const n of store.listAll('networkInterface'))
    if (n.groupIds.includes(groupId)) ips.add(n.privateIpAddress);
  for (const i of store.listAll('instance')) {
    if (i.securityGroupIds.includes(groupId) && i.state !== 'terminated') ips.add(i.privateIpAddress);
  }
  return [...ips].sort();
}

/** Ingress rules of the endpoint's groups; undefined when it has none (nothing enforced). */
export function ingressOf(
  store: Pick<Store, 'listAll' | 'find'>,
  ep: Stored<'vpcEndpoint'>,
): IngressRule[] | undefined {
  if (ep.groupIds.length === 0) return undefined;
  const out: IngressRule[] = [];
  for (const gid of ep.groupIds) {
    const sg = store.find('securityGroup', gid);
    if (!sg) continue;
    for (const r of sg.ingress) {
      const sources = [
        ...r.ipRanges.map((x) => x.cidrIp),
        ...r.userIdGroupPairs.flatMap((p) => members(store, p.groupId)),
      ];
      out.push({
        protocol: r.ipProtocol === '-1' ? 'all' : r.ipProtocol,
        fromPort: r.fromPort,
        toPort: r.toPort,
        sources: [...new Set(sources)],
      });
    }
  }
  return out;
}
