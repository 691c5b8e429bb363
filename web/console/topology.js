// The topology picture: accounts → VPCs (CIDR) → subnets → instances and endpoint ENIs, and
// endpoint → service → load balancer → target groups → targets (health). elkjs (the Eclipse
// Layout Kernel, loaded as a classic script: global ELK) lays the nested graph out in the
// browser; this module only turns the snapshot into ELK's graph and ELK's result into SVG.
import { h } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import htm from 'htm';

const html = htm.bind(h);
const elk = new globalThis.ELK();

const CHAR_W = 6.4;
const LEAF_H = 34;
const STATE_COLOR = {
  available: '#1a7f37',
  healthy: '#1a7f37',
  running: '#1a7f37',
  active: '#1a7f37',
  Available: '#1a7f37',
  pendingAcceptance: '#b35900',
  pending: '#b35900',
  initial: '#b35900',
  provisioning: '#b35900',
  rejected: '#c62828',
  unhealthy: '#c62828',
  failed: '#c62828',
  deleting: '#c62828',
  deleted: '#c62828',
};
const FILL = { account: '#eef2f7', vpc: '#f4fbf4', subnet: '#ffffff', provider: '#fff8ee' };

function leaf(id, lines, state, kind) {
  const width = Math.max(90, Math.max(...lines.map((l) => l.length)) * CHAR_W + 16);
  return {
    id,
    width,
    height: LEAF_H + (lines.length - 2) * 13,
    labels: lines.map((text) => ({ text })),
    state,
    kind,
  };
}

function group(id, title, kind, children) {
  const w = Math.max(120, title.length * CHAR_W + 20);
  return {
    id,
    kind,
    labels: [{ text: title, width: w - 16, height: 14 }],
    layoutOptions: {
      'elk.padding': '[top=26,left=10,bottom=10,right=10]',
      'elk.nodeLabels.placement': '[INSIDE, V_TOP, H_LEFT]',
      'elk.nodeSize.constraints': '[NODE_LABELS, MINIMUM_SIZE]',
      'elk.nodeSize.minimum': `(${w}, 40)`,
    },
    children,
  };
}

/** ELK's input graph for a snapshot (ids are resource IDs, unique across kinds). */
export function toGraph(snap, traffic) {
  const edges = [];
  const known = new Set();
  const node = (n) => (known.add(n.id), n);
  const accounts = snap.accounts.map((a) =>
    group(
      `acct:${a.id}`,
      `account ${a.id}`,
      'account',
      a.vpcs.map((v) =>
        group(
          v.id,
          `${v.id} ${v.cidr}${v.name ? ` (${v.name})` : ''}`,
          'vpc',
          v.subnets.map((s) =>
            group(s.id, `${s.id} ${s.cidr} ${s.zone}`, 'subnet', [
              ...s.instances.map((i) =>
                node(leaf(i.id, [i.name ? `${i.id} ${i.name}` : i.id, i.ip], i.state, 'instance')),
              ),
              ...s.enis.map((n) => node(leaf(n.id, [n.id, `ENI ${n.ip}`], undefined, 'eni'))),
            ]),
          ),
        ),
      ),
    ),
  );
  const byAccount = new Map(accounts.map((a) => [a.id, a]));
  const place = (accountId, n) => {
    const a = byAccount.get(`acct:${accountId}`);
    if (a) a.children.push(n);
    else rootExtra.push(n);
  };
  const rootExtra = [];
  for (const e of snap.endpoints) {
    const t = traffic[e.id];
    const lines = [e.id, e.state];
    if (t) lines.push(`${t.activeConnections} active · ${t.connectionsTotal} conns`);
    place(e.accountId, node(leaf(e.id, lines, e.state, 'endpoint')));
    for (const n of e.enis) if (known.has(n.id)) edges.push([e.id, n.id]);
  }
  for (const s of snap.services) {
    place(
      s.accountId,
      node(leaf(s.id, [s.id, s.name.length > 40 ? `${s.name.slice(0, 40)}…` : s.name], s.state, 'service')),
    );
    for (const arn of s.loadBalancerArns) edges.push([s.id, arn]);
  }
  for (const lb of snap.loadBalancers) {
    place(
      lb.accountId,
      node(leaf(lb.arn, [`NLB ${lb.name}`, lb.nodes.map((n) => n.ip).join(', ')], lb.state, 'lb')),
    );
    for (const tg of lb.targetGroups) {
      place(
        lb.accountId,
        node(leaf(tg.arn, [`TG ${tg.name}`, `${tg.protocol}:${tg.port ?? ''}`], undefined, 'tg')),
      );
      edges.push([lb.arn, tg.arn]);
      for (const t of tg.targets) {
        const id = known.has(t.id) ? t.id : `${tg.arn}|${t.id}:${t.port}`;
        if (!known.has(id))
          place(lb.accountId, node(leaf(id, [`${t.id}:${t.port}`, t.state], t.state, 'target')));
        edges.push([tg.arn, id, t.state]);
      }
    }
  }
  // Endpoints point at their service when this viewer can see it; else at a stub by name.
  for (const e of snap.endpoints) {
    if (e.serviceId && known.has(e.serviceId)) edges.push([e.id, e.serviceId]);
    else {
      const stub = `svc:${e.serviceName}`;
      if (!known.has(stub))
        rootExtra.push(
          node(leaf(stub, ['service (other account)', e.serviceName.slice(0, 44)], undefined, 'service')),
        );
      edges.push([e.id, stub]);
    }
  }
  return {
    id: 'root',
    layoutOptions: {
      'elk.algorithm': 'layered',
      'elk.direction': 'RIGHT',
      'elk.hierarchyHandling': 'INCLUDE_CHILDREN',
      'elk.spacing.nodeNode': '14',
      'elk.layered.spacing.nodeNodeBetweenLayers': '36',
    },
    children: [...accounts, ...rootExtra],
    edges: edges
      .filter(([a, b]) => known.has(a) && known.has(b))
      .map(([a, b, state], i) => ({ id: `e${i}`, sources: [a], targets: [b], state })),
  };
}

/** Absolute boxes of every node of a laid-out graph. */
function boxes(n, dx = 0, dy = 0, out = new Map(), depth = 0) {
  for (const c of n.children ?? []) {
    const x = dx + (c.x ?? 0);
    const y = dy + (c.y ?? 0);
    out.set(c.id, { x, y, w: c.width, h: c.height, node: c, depth, group: Boolean(c.children) });
    boxes(c, x, y, out, depth + 1);
  }
  return out;
}

function Svg({ laid }) {
  const all = boxes(laid);
  const items = [...all.values()].sort((a, b) => a.depth - b.depth);
  return html`<svg
    xmlns="http://www.w3.org/2000/svg"
    width=${laid.width + 20}
    height=${laid.height + 20}
    data-topology
  >
    <defs>
      <marker
        id="arrow"
        viewBox="0 0 10 10"
        refX="10"
        refY="5"
        markerWidth="6"
        markerHeight="6"
        orient="auto-start-reverse"
      >
        <path d="M0,0 L10,5 L0,10 z" fill="#57606a" />
      </marker>
    </defs>
    ${items.map(({ x, y, w, h: hh, node, group }) => {
      const color = STATE_COLOR[node.state] ?? '#57606a';
      if (group)
        return html`<g data-node=${node.id}>
          <rect
            x=${x}
            y=${y}
            width=${w}
            height=${hh}
            rx="6"
            fill=${FILL[node.kind] ?? '#fff'}
            stroke="#8c959f"
            stroke-dasharray=${node.kind === 'subnet' ? '4 3' : ''}
          />
          <text x=${x + 8} y=${y + 16} font-weight="600">${node.labels[0].text}</text>
        </g>`;
      return html`<g data-node=${node.id} data-kind=${node.kind}>
        <rect x=${x} y=${y} width=${w} height=${hh} rx="4" fill="#fff" stroke=${color} stroke-width="1.5" />
        ${node.labels.map((l, i) => html`<text x=${x + 8} y=${y + 14 + i * 13} fill=${i === 1 && node.state ? color : '#1f2328'}>${l.text}</text>`)}
      </g>`;
    })}
    ${(laid.edges ?? []).map((e) => {
      const a = all.get(e.sources[0]);
      const b = all.get(e.targets[0]);
      if (!a || !b) return null;
      const x1 = a.x + a.w;
      const y1 = a.y + a.h / 2;
      const x2 = b.x;
      const y2 = b.y + b.h / 2;
      const mid = (x1 + x2) / 2;
      return html`<path
        d="M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2},${y2}"
        fill="none"
        stroke=${STATE_COLOR[e.state] ?? '#57606a'}
        stroke-width="1.2"
        marker-end="url(#arrow)"
      />`;
    })}
  </svg>`;
}

export function Topology({ snap, traffic }) {
  const [laid, setLaid] = useState(undefined);
  const [error, setError] = useState('');
  useEffect(() => {
    let live = true;
    elk
      .layout(toGraph(snap, traffic))
      .then((g) => live && (setLaid(g), setError('')))
      .catch((e) => live && setError(String(e)));
    return () => {
      live = false;
    };
    // Traffic changes only labels' text: lay out again only when the snapshot changes.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [snap]);
  if (error) return html`<p class="error">layout failed: ${error}</p>`;
  if (!laid) return html`<p>laying out…</p>`;
  return html`<div class="topology"><${Svg} laid=${laid} /></div>`;
}
