/**
 * The nftables ruleset of one interface-endpoint ENI namespace (docs/reference/dataplane.md §5.2–§5.3), as one
 * atomic script: DNAT `ENI-IP:listener-port` → the chosen NLB node's internal address, SNAT to
 * the ENI's own internal address on whichever provider-side leg the route picks (the
 * point-to-point link to that node, or the fabric), security-group ingress on the consumer leg,
 * MSS clamping, and the one-way rule (nothing from the provider side opens connections towards
 * the consumer).
 *
 * Counters (read by traffic-meter.ts): `conns` counts new TCP connections to an open listener port
 * (the nat hook sees the first packet of a flow only), `bytes_in` / `bytes_out` every packet
 * crossing the consumer leg towards / from the ENI. Reloading the table resets them; the meter
 * folds that in.
 *
 * Gating: the listener map has elements only while the endpoint is `available`. Without an
 * element a SYN reaches the namespace's own stack, which has no socket on that port and answers
 * with a reset — a refused connection, not a timeout.
 */

export const ENDPOINT_TABLE = 'privlink_ep';
export const ENDPOINT_VPC_LEG = 'c';

/** One security-group ingress permission reduced to what nft matches. */
export interface IngressRule {
  /** 'all', 'tcp', 'udp', 'icmp', or a protocol number. */
  protocol: string;
  fromPort?: number;
  toPort?: number;
  /** Source CIDRs or addresses (from CIDR ranges and from referenced groups' members). */
  sources: readonly string[];
}

export interface EndpointRuleInput {
  eniIp: string;
  internalIp: string;
  /** listener port → upstream (NLB node internal address, same port); only while available. */
  forwards: readonly { port: number; upstreamIp: string; upstreamPort: number }[];
  /** undefined = no security groups enforced (allow all). */
  ingress: readonly IngressRule[] | undefined;
  /** Every listener port open now (DNAT and proxied), for the connection counter. */
  open?: readonly number[];
}

const PROTO_NAMES: Record<string, string> = { '6': 'tcp', '17': 'udp', '1': 'icmp' };

function ruleLine(r: IngressRule): string | undefined {
  if (r.sources.length === 0) return undefined;
  const proto = PROTO_NAMES[r.protocol] ?? r.protocol;
  const src = `ip saddr { ${r.sources.join(', ')} }`;
  if (proto === 'all' || proto === '-1') return `    ${src} accept`;
  if (proto === 'tcp' || proto === 'udp') {
    const all = r.fromPort === undefined || r.fromPort < 0 || (r.fromPort === 0 && r.toPort === 65535);
    const ports = all
      ? ''
      : r.fromPort === r.toPort
        ? ` ${proto} dport ${r.fromPort}`
        : ` ${proto} dport ${r.fromPort}-${r.toPort ?? r.fromPort}`;
    return `    ${src} meta l4proto ${proto}${ports} accept`;
  }
  if (proto === 'icmp') return `    ${src} meta l4proto icmp accept`;
  if (/^\d+$/.test(proto)) return `    ${src} meta l4proto ${proto} accept`;
  return undefined;
}

export function renderEndpointRules(input: EndpointRuleInput): string {
  const elems = input.forwards.map((f) => `${f.port} : ${f.upstreamIp} . ${f.upstreamPort}`);
  const lines = [
    `table ip ${ENDPOINT_TABLE}`,
    `delete table ip ${ENDPOINT_TABLE}`,
    `table ip ${ENDPOINT_TABLE} {`,
    `  map listeners {`,
    `    type inet_service : ipv4_addr . inet_service`,
    ...(elems.length ? [`    elements = { ${elems.join(', ')} }`] : []),
    `  }`,
    `  set open {`,
    `    type inet_service`,
    ...(input.open?.length ? [`    elements = { ${input.open.join(', ')} }`] : []),
    `  }`,
    `  counter conns {`,
    `  }`,
    `  counter bytes_in {`,
    `  }`,
    `  counter bytes_out {`,
    `  }`,
    // Security groups are stateful: replies and established flows pass, new flows need a rule.
    `  chain sg {`,
    `    type filter hook prerouting priority -150; policy accept;`,
    `    iifname "${ENDPOINT_VPC_LEG}" ip daddr ${input.eniIp} counter name "bytes_in"`,
    `    iifname != "${ENDPOINT_VPC_LEG}" accept`,
    `    ip daddr != ${input.eniIp} accept`,
    `    ct state established,related accept`,
  ];
  if (input.ingress) {
    for (const r of input.ingress) {
      const l = ruleLine(r);
      if (l) lines.push(l);
    }
    lines.push(`    drop`);
  }
  lines.push(
    `  }`,
    `  chain pre {`,
    `    type nat hook prerouting priority dstnat; policy accept;`,
    `    iifname "${ENDPOINT_VPC_LEG}" ip daddr ${input.eniIp} tcp dport @open counter name "conns"`,
    `    iifname "${ENDPOINT_VPC_LEG}" ip daddr ${input.eniIp} dnat ip to tcp dport map @listeners`,
    `  }`,
    `  chain post {`,
    `    type nat hook postrouting priority srcnat; policy accept;`,
    `    oifname != "${ENDPOINT_VPC_LEG}" ct status dnat snat ip to ${input.internalIp}`,
    `  }`,
    `  chain forward_f {`,
    `    type filter hook forward priority filter; policy drop;`,
    `    ct state established,related accept`,
    `    iifname "${ENDPOINT_VPC_LEG}" oifname != "${ENDPOINT_VPC_LEG}" ct status dnat tcp flags syn tcp option maxseg size set rt mtu`,
    `    iifname "${ENDPOINT_VPC_LEG}" oifname != "${ENDPOINT_VPC_LEG}" ct status dnat accept`,
    `  }`,
    `  chain out_c {`,
    `    type filter hook postrouting priority filter; policy accept;`,
    `    oifname "${ENDPOINT_VPC_LEG}" counter name "bytes_out"`,
    `  }`,
    // PrivateLink is one-way: the provider side can never open a connection to the consumer.
    `  chain input_f {`,
    `    type filter hook input priority filter; policy accept;`,
    `    iifname != { "${ENDPOINT_VPC_LEG}", "lo" } ct state new drop`,
    `  }`,
    `}`,
  );
  return lines.join('\n') + '\n';
}
