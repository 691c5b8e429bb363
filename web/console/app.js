// privlink console: Preact + htm as ES modules, no build step. Reads /console/api/snapshot
// (filtered server-side by the signed-in account), follows /console/api/events (SSE) and draws
// the topology with elkjs (topology.js). Accept/Reject call the control plane's use-case.
import { h, render } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import htm from 'htm';
import { Topology } from './topology.js';

const html = htm.bind(h);

async function api(path, init = {}) {
  const res = await fetch(`/console/api/${path}`, {
    ...init,
    headers: { 'content-type': 'application/json', ...(init.headers ?? {}) },
  });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw Object.assign(new Error(body.message ?? `${res.status}`), { status: res.status, body });
  return body;
}

const fmtTime = (ms) => new Date(ms).toISOString().replace('T', ' ').slice(0, 19);
const fmtBytes = (n) =>
  n < 1024 ? `${n} B` : n < 1048576 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1048576).toFixed(1)} MiB`;
const State = ({ s }) => html`<span class="state state-${s}" data-state=${s}>${s}</span>`;

function SignIn({ onDone }) {
  const [error, setError] = useState('');
  const submit = async (e) => {
    e.preventDefault();
    const f = new FormData(e.target);
    try {
      await api('session', {
        method: 'POST',
        body: JSON.stringify({ accessKeyId: f.get('akid'), secretAccessKey: f.get('secret') }),
      });
      onDone();
    } catch (err) {
      setError(err.message);
    }
  };
  return html`<form class="signin card" onSubmit=${submit}>
    <h3>Sign in to privlink</h3>
    <label>Access key ID <input name="akid" autocomplete="username" /></label>
    <label>Secret access key <input name="secret" type="password" autocomplete="current-password" /></label>
    <button type="submit">Sign in</button>
    ${error && html`<p class="error">${error}</p>`}
  </form>`;
}

function TrafficLine({ t, rate }) {
  if (!t) return html`<span class="traffic muted">no traffic measured</span>`;
  return html`<span class="traffic">
    <span>active <b data-active>${t.activeConnections}</b></span>
    <span>connections <b data-conns>${t.connectionsTotal}</b></span>
    <span>new/s <b data-rate>${(rate ?? 0).toFixed(1)}</b></span>
    <span>in <b data-bytes-in>${fmtBytes(t.bytesIn)}</b></span>
    <span>out <b data-bytes-out>${fmtBytes(t.bytesOut)}</b></span>
  </span>`;
}

function ProviderView({ snap, traffic, rates, onDecide }) {
  if (!snap.services.length) return html`<p class="muted">No endpoint services.</p>`;
  return snap.services.map(
    (s) =>
      html`<div class="card" data-service=${s.id}>
        <h3>${s.name} <small>(${s.id}, account ${s.accountId})</small> <${State} s=${s.state} /></h3>
        <dl class="kv">
          <dt>Acceptance required</dt>
          <dd>${s.acceptanceRequired ? 'yes' : 'no'}</dd>
          <dt>Load balancers</dt>
          <dd>${s.loadBalancerArns.map((a) => html`<code>${a.split('/').slice(-2).join('/')}</code> `)}</dd>
          <dt>Allowed principals</dt>
          <dd>
            ${s.allowedPrincipals.length ? s.allowedPrincipals.map((p) => html`<code>${p}</code> `) : '—'}
          </dd>
          ${
            s.privateDns &&
            html`<dt>Private DNS name</dt>
              <dd>
                <code>${s.privateDns.name}</code> <${State} s=${s.privateDns.state ?? 'none'} />
                ${
                  s.privateDns.txtName &&
                  html`<br />TXT <code>${s.privateDns.txtName}</code> =
                    <code>"${s.privateDns.txtValue}"</code>`
                }
              </dd>`
          }
        </dl>
        <table>
          <thead>
            <tr>
              <th>Endpoint</th>
              <th>Requester</th>
              <th>Subnets</th>
              <th>Requested</th>
              <th>State</th>
              <th>Traffic</th>
              <th></th>
            </tr>
          </thead>
          <tbody>
            ${s.connections.map(
              (c) =>
                html`<tr data-connection=${c.endpointId}>
                  <td><code>${c.endpointId}</code></td>
                  <td>${c.requesterAccount}</td>
                  <td>${c.subnetIds.map((id) => html`<code>${id}</code> `)}</td>
                  <td>${fmtTime(c.requestedAt)}</td>
                  <td><${State} s=${c.state} /></td>
                  <td><${TrafficLine} t=${traffic[c.endpointId]} rate=${rates[c.endpointId]} /></td>
                  <td>
                    ${
                      c.state === 'pendingAcceptance' &&
                      html`<button
                        class="accept"
                        data-action="accept"
                        onClick=${() => onDecide(s.id, c.endpointId, 'accept')}
                      >
                        Accept
                      </button> `
                    }
                    ${
                      ['pendingAcceptance', 'pending', 'available'].includes(c.state) &&
                      html`<button
                        class="reject"
                        data-action="reject"
                        onClick=${() => onDecide(s.id, c.endpointId, 'reject')}
                      >
                        Reject
                      </button>`
                    }
                  </td>
                </tr>`,
            )}
          </tbody>
        </table>
        ${s.connections.length === 0 && html`<p class="muted">No connection requests.</p>`}
      </div>`,
  );
}

function ConsumerView({ snap, traffic, rates }) {
  if (!snap.endpoints.length) return html`<p class="muted">No VPC endpoints.</p>`;
  return snap.endpoints.map(
    (e) =>
      html`<div class="card" data-endpoint=${e.id}>
        <h3>
          <code>${e.id}</code> <${State} s=${e.state} />
          <small>${e.type}, account ${e.accountId}, ${e.vpcId}</small>
        </h3>
        <dl class="kv">
          <dt>Service</dt>
          <dd><code>${e.serviceName}</code> (owner ${e.serviceOwner})</dd>
          <dt>State history</dt>
          <dd class="history">
            ${e.history.map((x, i) => html`${i ? ' → ' : ''}<span title=${fmtTime(x.at)}>${x.state}</span>`)}
          </dd>
          <dt>DNS names</dt>
          <dd>
            ${e.dnsNames.map((n) => html`<code>${n}</code><br />`)}${e.privateDnsEnabled ? html`<small>private DNS enabled</small>` : ''}
          </dd>
          <dt>Network interfaces</dt>
          <dd>${e.enis.map((n) => html`<code>${n.id}</code> ${n.ip} (${n.zone}, ${n.subnetId})<br />`)}</dd>
          <dt>Security groups</dt>
          <dd>${e.securityGroups.map((g) => html`<code>${g.id}</code> ${g.name} `)}</dd>
          <dt>Policy</dt>
          <dd>${e.policy ? html`<pre>${e.policy}</pre>` : 'full access (default)'}</dd>
          <dt>Traffic</dt>
          <dd><${TrafficLine} t=${traffic[e.id]} rate=${rates[e.id]} /></dd>
        </dl>
      </div>`,
  );
}

function Console({ session, onSignOut }) {
  const [snap, setSnap] = useState(undefined);
  const [error, setError] = useState('');
  const [traffic, setTraffic] = useState({});
  const [rates, setRates] = useState({});
  const [live, setLive] = useState(false);
  const last = useRef({ at: 0, totals: {} });

  const load = useCallback(async () => {
    try {
      setSnap(await api('snapshot'));
      setError('');
    } catch (e) {
      setError(e.message);
    }
  }, []);

  useEffect(() => {
    void load();
    const es = new EventSource('/console/api/events');
    es.onopen = () => setLive(true);
    es.onerror = () => setLive(false);
    es.addEventListener('changed', () => void load());
    es.addEventListener('traffic', (ev) => {
      const t = JSON.parse(ev.data);
      const now = performance.now();
      const prev = last.current;
      const dt = (now - prev.at) / 1000;
      const r = {};
      for (const [id, v] of Object.entries(t)) {
        const before = prev.totals[id];
        r[id] = before !== undefined && dt > 0 ? Math.max(0, (v.connectionsTotal - before) / dt) : 0;
      }
      last.current = {
        at: now,
        totals: Object.fromEntries(Object.entries(t).map(([id, v]) => [id, v.connectionsTotal])),
      };
      setTraffic(t);
      setRates(r);
    });
    return () => es.close();
  }, [load]);

  const decide = async (serviceId, endpointId, verb) => {
    try {
      const r = await api(`services/${serviceId}/connections/${endpointId}/${verb}`, {
        method: 'POST',
        body: '{}',
      });
      if (!r.ok) setError(`${r.code}: ${r.message}`);
    } catch (e) {
      setError(e.message);
    }
    await load();
  };

  const who = session.admin ? 'admin (all accounts)' : `account ${session.accountId}`;
  return html`<header>
      <h1>privlink console</h1>
      <span class=${live ? 'live' : 'live off'}>${live ? '● live' : '○ reconnecting'}</span>
      <span class="who" data-who
        >${who}${session.signInRequired && html`<button onClick=${onSignOut}>Sign out</button>`}</span
      >
    </header>
    <main>
      ${error && html`<p class="error" data-error>${error}</p>`}
      ${
        !snap
          ? html`<p>loading…</p>`
          : html`<section>
                <h2>Topology</h2>
                <${Topology} snap=${snap} traffic=${traffic} />
              </section>
              <section data-view="provider">
                <h2>Endpoint services (provider view)</h2>
                <${ProviderView} snap=${snap} traffic=${traffic} rates=${rates} onDecide=${decide} />
              </section>
              <section data-view="consumer">
                <h2>VPC endpoints (consumer view)</h2>
                <${ConsumerView} snap=${snap} traffic=${traffic} rates=${rates} />
              </section>`
      }
    </main>`;
}

function App() {
  const [session, setSession] = useState(undefined);
  const refresh = useCallback(() => api('session').then(setSession), []);
  useEffect(() => void refresh(), [refresh]);
  if (!session) return html`<p>loading…</p>`;
  if (session.signInRequired && !session.signedIn) return html`<${SignIn} onDone=${refresh} />`;
  const signOut = async () => {
    await api('session', { method: 'DELETE' });
    await refresh();
  };
  return html`<${Console} session=${session} onSignOut=${signOut} />`;
}

const root = document.getElementById('app');
root.textContent = '';
render(html`<${App} />`, root);
