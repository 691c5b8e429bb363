/**
 * The nftables ruleset of one NLB node namespace (docs/reference/dataplane.md §5.2, §5.5), as one atomic script:
 * per listener a fixed-slot map hashed with jhash over the flow (so a health change rewrites map
 * elements only, and established flows stay pinned by conntrack), DNAT to the chosen target,
 * SNAT to the node's private IP (targets see the NLB address, as for PrivateLink on AWS), a
 * health-check map (fabric health source → per-target slot port), and a reset for packets of
 * flows that expired or were cut.
 */

export const NLB_TABLE = 'privlink_nlb';
/** Slots per listener map: targets fill them in proportion (jhash modulus stays fixed). */
export const SLOTS = 64;
/** Health-check slot k is reached at `HC_PORT_BASE + k` from the fabric's health address. */
export const HC_PORT_BASE = 20000;
export const NLB_VPC_LEG = 'p';
export const NLB_FABRIC_LEG = 'f';

export interface Backend {
  ip: string;
  port: number;
}

export interface NlbListenerRules {
  port: number;
  /** Targets that receive new flows (healthy, or all registered when none is). */
  backends: readonly Backend[];
}

export interface NlbRuleInput {
  nodeIp: string;
  internalIp: string;
  healthSourceIp: string;
  listeners: readonly NlbListenerRules[];
  /** slot index → health-check destination. */
  healthChecks: readonly (Backend | undefined)[];
  /** BPF data path: SNAT port range (the fast path's NAT ports lie above it); unset = any. */
  snatPorts?: string;
}

/** Spreads backends over SLOTS slots (round robin), so each gets an equal share of the hash space. */
export function fillSlots(backends: readonly Backend[]): Backend[] {
  if (backends.length === 0) return [];
  return Array.from({ length: SLOTS }, (_, i) => backends[i % backends.length] as Backend);
}

export function renderNlbRules(input: NlbRuleInput): string {
  const lines: string[] = [];
  // Declaring then deleting makes the script replace the table whether or not it existed.
  lines.push(`table ip ${NLB_TABLE}`, `delete table ip ${NLB_TABLE}`, `table ip ${NLB_TABLE} {`);
  for (const l of input.listeners) {
    const slots = fillSlots(l.backends);
    const elems = slots.map((b, i) => `${i} : ${b.ip} . ${b.port}`).join(', ');
    lines.push(
      `  map l_${l.port} {`,
      `    typeof numgen inc mod ${SLOTS} : ip daddr . tcp dport`,
      ...(elems ? [`    elements = { ${elems} }`] : []),
      `  }`,
    );
  }
  const hc = input.healthChecks
    .map((b, k) => (b ? `${HC_PORT_BASE + k} : ${b.ip} . ${b.port}` : undefined))
    .filter((x): x is string => x !== undefined);
  lines.push(
    `  map hc {`,
    `    type inet_service : ipv4_addr . inet_service`,
    ...(hc.length ? [`    elements = { ${hc.join(', ')} }`] : []),
    `  }`,
  );
  lines.push(
    `  chain pre {`,
    `    type nat hook prerouting priority dstnat; policy accept;`,
    `    iifname "${NLB_FABRIC_LEG}" ip saddr ${input.healthSourceIp} ip daddr ${input.internalIp} dnat ip to tcp dport map @hc`,
  );
  for (const l of input.listeners) {
    lines.push(
      `    ip daddr { ${input.internalIp}, ${input.nodeIp} } tcp dport ${l.port} dnat ip to jhash ip saddr . tcp sport . ip daddr . tcp dport mod ${SLOTS} map @l_${l.port}`,
    );
  }
  lines.push(
    `  }`,
    `  chain post {`,
    `    type nat hook postrouting priority srcnat; policy accept;`,
    input.snatPorts
      ? `    oifname "${NLB_VPC_LEG}" ct status dnat meta l4proto tcp snat ip to ${input.nodeIp}:${input.snatPorts}`
      : `    oifname "${NLB_VPC_LEG}" ct status dnat snat ip to ${input.nodeIp}`,
    `  }`,
    `  chain forward_f {`,
    `    type filter hook forward priority filter; policy drop;`,
    `    ct state established,related accept`,
    `    oifname "${NLB_VPC_LEG}" ct status dnat accept`,
    `  }`,
    // Packets of flows that expired or were cut (conntrack -D) get a reset, as on an NLB.
    `  chain inval {`,
    `    type filter hook prerouting priority filter; policy accept;`,
    `    ct state invalid tcp flags & (syn|rst) != syn reject with tcp reset`,
    `  }`,
    `}`,
  );
  return lines.join('\n') + '\n';
}
