// godex dashboard: one hand-written module, no dependencies. Every datum comes from the admin API (/admin/*) with the
// session cookie; every change also sends the page's CSRF token. Text is always set with textContent, never as HTML.

const csrf = document.querySelector('meta[name="csrf-token"]')?.content ?? '';
const SVG = 'http://www.w3.org/2000/svg';

// ---------- small helpers ----------

/** An element: h('td', {class: 'num'}, 'text', child...). Attributes starting with "on" are listeners. */
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) el.addEventListener(name.slice(2), value);
    else if (name === 'class') el.className = value;
    else if (name in el && typeof value !== 'string') el[name] = value;
    else el.setAttribute(name, value === true ? '' : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

function s(tag, attrs = {}) {
  const el = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) el.setAttribute(name, value);
  return el;
}

class ApiError extends Error {}

/** Calls the admin API; a 404 on a listing means the session ended, so back to the login page. */
async function api(path, { method = 'GET', body } = {}) {
  const headers = {};
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET') headers['X-CSRF-Token'] = csrf;
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin' });
  const data = await res.json().catch(() => null);
  if (!res.ok) {
    if (res.status === 404 && method === 'GET') location.assign('/ui/login');
    throw new ApiError(data?.error?.message ?? `${res.status} ${res.statusText}`);
  }
  return data;
}

const nf = new Intl.NumberFormat();
const num = (n) => nf.format(n ?? 0);
function compact(n) {
  const a = Math.abs(n);
  if (a >= 1e9) return (n / 1e9).toFixed(1).replace(/\.0$/, '') + 'G';
  if (a >= 1e6) return (n / 1e6).toFixed(1).replace(/\.0$/, '') + 'M';
  if (a >= 1e3) return (n / 1e3).toFixed(1).replace(/\.0$/, '') + 'k';
  if (a > 0 && a < 0.01) return n.toPrecision(1);
  return String(Math.round(n * 100) / 100);
}
const usd = (micros) => '$' + (micros / 1e6).toFixed(micros && micros < 10000 ? 4 : 2);
const time = (ms) => new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
const dateTime = (v) => (v ? new Date(v).toLocaleString() : '—');

function showError(where, err) {
  where.replaceChildren(h('p', { class: 'error', role: 'alert' }, err instanceof Error ? err.message : String(err)));
}

// ---------- theme ----------

function effectiveTheme() {
  return document.documentElement.dataset.theme ?? (matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light');
}

function setupTheme() {
  const saved = localStorage.getItem('godex-theme');
  if (saved === 'dark' || saved === 'light') document.documentElement.dataset.theme = saved;
  const button = document.getElementById('theme-toggle');
  if (!button) return;
  const render = () => {
    const dark = effectiveTheme() === 'dark';
    button.setAttribute('aria-pressed', String(dark));
    button.textContent = dark ? 'Dark theme: on' : 'Dark theme: off';
  };
  button.addEventListener('click', () => {
    const next = effectiveTheme() === 'dark' ? 'light' : 'dark';
    document.documentElement.dataset.theme = next;
    localStorage.setItem('godex-theme', next);
    render();
  });
  render();
}

// ---------- chart: an SVG line/area chart with axes and a tooltip ----------

/**
 * Draws series [{name, cls, points: [[t, v], ...]}] over [from, to] into a new .chart element. Every point is a circle
 * (class "point"); hovering or focusing the chart shows the nearest bucket's values. A table of the same data follows.
 */
function lineChart({ title, series, from, to, format = compact, area = true }) {
  const W = 640, H = 220, L = 48, R = 12, T = 10, B = 26;
  const wrap = h('div', { class: 'chart' });
  const all = series.flatMap((x) => x.points);
  const max = Math.max(1e-9, ...all.map((p) => p[1]));
  const niceMax = nice(max);
  const x = (t) => L + ((t - from) / Math.max(1, to - from)) * (W - L - R);
  const y = (v) => T + (1 - v / niceMax) * (H - T - B);
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': `${title}: ${all.some((p) => p[1] > 0) ? all.filter((p) => p[1] > 0).length + ' data points' : 'no data'} in this range` });
  const axis = s('g', { class: 'axis' });
  for (let i = 0; i <= 4; i++) {
    const v = (niceMax / 4) * i;
    axis.append(s('line', { class: 'gridline', x1: L, x2: W - R, y1: y(v), y2: y(v) }));
    const label = s('text', { x: L - 6, y: y(v) + 4, 'text-anchor': 'end' });
    label.textContent = format(v);
    axis.append(label);
  }
  const span = to - from;
  for (let i = 0; i <= 4; i++) {
    const t = from + (span / 4) * i;
    const label = s('text', { x: x(t), y: H - 6, 'text-anchor': i === 0 ? 'start' : i === 4 ? 'end' : 'middle' });
    const d = new Date(t);
    label.textContent = span > 2 * 86400e3 ? d.toLocaleDateString([], { month: 'short', day: 'numeric' }) : d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
    axis.append(label);
  }
  svg.append(axis);
  if (!all.some((p) => p[1] > 0)) {
    const empty = s('text', { class: 'empty', x: (L + W - R) / 2, y: H / 2, 'text-anchor': 'middle' });
    empty.textContent = 'No requests in this range yet';
    svg.append(empty);
  }
  for (const [i, line] of series.entries()) {
    const pts = line.points;
    if (!pts.length) continue;
    const d = pts.map((p, j) => `${j ? 'L' : 'M'}${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`).join('');
    if (area && i === 0) {
      svg.append(s('path', { class: `area ${line.cls}`, d: `${d}L${x(pts[pts.length - 1][0]).toFixed(1)},${y(0)}L${x(pts[0][0]).toFixed(1)},${y(0)}Z` }));
    }
    svg.append(s('path', { class: `line ${line.cls}`, d }));
    // A dot for each bucket that saw something; the line alone crosses the empty ones.
    for (const p of pts.filter((q) => q[1] > 0)) svg.append(s('circle', { class: `point ${line.cls}`, cx: x(p[0]).toFixed(1), cy: y(p[1]).toFixed(1), r: 2.5, 'data-t': p[0], 'data-v': p[1] }));
  }
  const cursor = s('line', { class: 'cursor', y1: T, y2: H - B, visibility: 'hidden' });
  svg.append(cursor);
  const tip = h('div', { class: 'tooltip', hidden: true });
  const times = [...new Set(all.map((p) => p[0]))].sort((a, b) => a - b);
  const move = (ev) => {
    if (!times.length) return;
    const box = svg.getBoundingClientRect();
    const px = ((ev.clientX - box.left) / box.width) * W;
    let best = times[0];
    for (const t of times) if (Math.abs(x(t) - px) < Math.abs(x(best) - px)) best = t;
    cursor.setAttribute('x1', x(best));
    cursor.setAttribute('x2', x(best));
    cursor.setAttribute('visibility', 'visible');
    tip.replaceChildren(h('strong', {}, new Date(best).toLocaleString()), ...series.map((line) => {
      const p = line.points.find((q) => q[0] === best);
      return h('div', {}, `${line.name}: ${p ? format(p[1]) : '0'}`);
    }));
    tip.hidden = false;
    const left = (x(best) / W) * box.width;
    tip.style.left = `${Math.min(Math.max(0, left - 60), box.width - 140)}px`;
    tip.style.top = '0px';
  };
  svg.addEventListener('pointermove', move);
  svg.addEventListener('pointerleave', () => { tip.hidden = true; cursor.setAttribute('visibility', 'hidden'); });
  const legend = h('ul', { class: 'legend' }, series.map((line) => h('li', { class: line.cls }, line.name)));
  const table = h('details', { class: 'data' }, h('summary', {}, `${title}: data table`),
    scroller(`${title} data`, h('table', {},
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Time'), series.map((line) => h('th', { scope: 'col', class: 'num' }, line.name)))),
      h('tbody', {}, times.map((t) => h('tr', {}, h('td', {}, new Date(t).toLocaleString()),
        series.map((line) => h('td', { class: 'num' }, format(line.points.find((q) => q[0] === t)?.[1] ?? 0)))))))));
  wrap.append(legend, svg, tip, table);
  return wrap;
}

function nice(v) {
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

// ---------- Overview ----------

async function overview(root) {
  let range = new URLSearchParams(location.search).get('range') ?? '1h';
  const picker = h('fieldset', { class: 'segmented' }, h('legend', {}, 'Range'),
    ['1h', '24h', '7d', '30d'].flatMap((r) => [
      h('input', { type: 'radio', name: 'range', id: `range-${r}`, value: r, checked: r === range, onchange: () => { range = r; history.replaceState(null, '', `?range=${r}`); load(); } }),
      h('label', { for: `range-${r}` }, r),
    ]));
  const updated = h('span', { class: 'hint', 'aria-live': 'polite' });
  const body = h('div');
  root.replaceChildren(h('div', { class: 'row' }, picker, h('span', { class: 'spacer' }), updated), h('p'), body);

  async function load() {
    try {
      const data = await api(`/admin/stats?range=${encodeURIComponent(range)}`);
      const sec = data.bucket_ms / 1000;
      const b = data.buckets;
      // Counts are 0 in a bucket without requests (the ledger returns only busy buckets); latency is unknown there.
      const byTime = new Map(b.map((x) => [x.t, x]));
      const every = [];
      for (let t = data.since_ms; t <= data.until_ms; t += data.bucket_ms) every.push(byTime.get(t) ?? { t, requests: 0, errors: 0, input_tokens: 0, output_tokens: 0, cost_micros: 0 });
      const mid = (x) => x.t + data.bucket_ms / 2;
      const pts = (f) => every.map((x) => [mid(x), f(x)]);
      const busy = (f) => b.map((x) => [mid(x), f(x)]);
      const tiles = h('div', { class: 'tiles' },
        tile('Requests', num(data.totals.requests)), tile('Errors', num(data.totals.errors)),
        tile('Tokens', compact(data.totals.input_tokens + data.totals.output_tokens)), tile('Spend', '$' + data.totals.cost_usd));
      const charts = h('div', { class: 'grid' },
        card('Requests per second', lineChart({ title: 'Requests per second', from: data.since_ms, to: data.until_ms, series: [
          { name: 'requests/s', cls: 's1', points: pts((x) => x.requests / sec) },
          { name: 'errors/s', cls: 's4', points: pts((x) => x.errors / sec) }] })),
        card('Tokens', lineChart({ title: 'Tokens', from: data.since_ms, to: data.until_ms, series: [
          { name: 'input', cls: 's1', points: pts((x) => x.input_tokens) },
          { name: 'output', cls: 's2', points: pts((x) => x.output_tokens) }] })),
        card('Spend (USD, list prices)', lineChart({ title: 'Spend', from: data.since_ms, to: data.until_ms, format: (v) => '$' + compact(v), series: [
          { name: 'spend', cls: 's3', points: pts((x) => x.cost_micros / 1e6) }] })),
        card('Time to first byte (ms)', lineChart({ title: 'Time to first byte', from: data.since_ms, to: data.until_ms, area: false, series: [
          { name: 'p50', cls: 's2', points: b.filter((x) => x.ttfb_p50_ms !== undefined).map((x) => [mid(x), x.ttfb_p50_ms]) },
          { name: 'p95', cls: 's3', points: b.filter((x) => x.ttfb_p95_ms !== undefined).map((x) => [mid(x), x.ttfb_p95_ms]) }] })),
        card('Latency, arrival to end (ms)', lineChart({ title: 'Latency', from: data.since_ms, to: data.until_ms, area: false, series: [
          { name: 'p50', cls: 's2', points: busy((x) => x.latency_p50_ms) },
          { name: 'p95', cls: 's3', points: busy((x) => x.latency_p95_ms) }] })),
        card('Errors by kind', errorBars(data.errors)));
      body.replaceChildren(tiles, charts);
      updated.textContent = `Updated ${time(Date.now())}`;
    } catch (err) {
      showError(body, err);
    }
  }

  await load();
  setInterval(() => { if (!document.hidden) load(); }, 15000);
}

/** A horizontally scrollable box for a wide table: a labelled region that the keyboard can reach and scroll. */
function scroller(label, ...content) {
  return h('div', { class: 'table-wrap', role: 'region', tabindex: '0', 'aria-label': label }, ...content);
}

function tile(label, value) {
  return h('div', { class: 'tile' }, h('div', { class: 'label' }, label), h('div', { class: 'value' }, value));
}

function card(title, ...content) {
  return h('section', { class: 'card', 'aria-label': title }, h('h2', {}, title), ...content);
}

function errorBars(errors) {
  if (!errors.length) return h('p', { class: 'hint' }, 'No errors in this range.');
  const max = Math.max(...errors.map((e) => e.count));
  return h('ul', { class: 'bars' }, errors.map((e) => h('li', {},
    h('div', { class: 'bar-label' }, h('span', {}, `${e.status} · ${e.kind}`), h('span', {}, num(e.count))),
    h('progress', { max, value: e.count, 'aria-label': `${e.status} ${e.kind}: ${e.count}` }))));
}

// ---------- Keys ----------

const KEY_FIELDS = [
  ['label', 'Label', 'text', 'e.g. ci-bot'],
  ['rate', 'Rate', 'text', 'e.g. 60/m'],
  ['burst', 'Burst', 'number', ''],
  ['quota_tokens', 'Token quota', 'number', '0 = none'],
  ['max_concurrent', 'Max concurrent', 'number', '0 = unlimited'],
  ['models', 'Models', 'text', 'e.g. gpt-5*, claude-*'],
  ['expires_in', 'Expires in', 'text', 'e.g. 30d'],
  ['budget_usd', 'Budget (USD)', 'text', 'e.g. 20'],
  ['budget_window', 'Budget window', 'text', 'e.g. 30d'],
];

/** The body of a create/update call: only the fields the operator filled in. */
function keyBody(form) {
  const body = {};
  for (const [name, , type] of KEY_FIELDS) {
    const input = form.elements[name];
    const v = input ? input.value.trim() : '';
    if (v === '') continue;
    if (name === 'models') body.models = v.split(',').map((m) => m.trim()).filter(Boolean);
    else body[name] = type === 'number' ? Number(v) : v;
  }
  return body;
}

function keyFields(prefix, values = {}) {
  return KEY_FIELDS.map(([name, label, type, placeholder]) => h('div', {},
    h('label', { for: `${prefix}-${name}` }, label),
    h('input', { id: `${prefix}-${name}`, name, type, placeholder, inputmode: type === 'number' ? 'numeric' : undefined, min: type === 'number' ? '0' : undefined,
      value: values[name] === undefined || values[name] === null ? '' : Array.isArray(values[name]) ? values[name].join(', ') : String(values[name]) })));
}

async function keys(root) {
  const secretBox = h('div', { 'aria-live': 'polite' });
  const message = h('div', { 'aria-live': 'polite' });
  const createForm = h('form', { class: 'form', id: 'create-key' }, keyFields('new'), h('div', {}, h('button', { type: 'submit' }, 'Create key')));
  const list = scroller('Keys table');
  const dialog = h('dialog', { 'aria-labelledby': 'edit-title' });
  root.replaceChildren(secretBox, message, card('Create a key', createForm), card('Keys', list), dialog);

  createForm.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      const key = await api('/admin/keys', { method: 'POST', body: keyBody(createForm) });
      createForm.reset();
      showSecret(key, 'created');
      await load();
    } catch (err) {
      showError(message, err);
    }
  });

  function showSecret(key, verb) {
    const code = h('code', { id: 'new-secret' }, key.api_key);
    const copied = h('span', { class: 'hint', 'aria-live': 'polite' });
    secretBox.replaceChildren(h('div', { class: 'notice', role: 'status' },
      h('p', {}, h('strong', {}, `Key ${key.label} ${verb}. `), 'Copy its secret now: it is shown only once.'),
      h('p', {}, code),
      h('div', { class: 'row' },
        h('button', { type: 'button', id: 'copy-secret', onclick: async () => {
          try { await navigator.clipboard.writeText(key.api_key); copied.textContent = 'Copied.'; } catch { copied.textContent = 'Select the text and copy it.'; }
        } }, 'Copy secret'),
        h('button', { type: 'button', class: 'ghost', onclick: () => secretBox.replaceChildren() }, 'Done'), copied)));
    secretBox.querySelector('button').focus();
  }

  async function act(label, fn) {
    try {
      message.replaceChildren();
      await fn();
      await load();
      message.replaceChildren(h('p', { class: 'hint', role: 'status' }, label));
    } catch (err) {
      showError(message, err);
    }
  }

  function edit(key) {
    const form = h('form', { method: 'dialog', class: 'form' }, keyFields('edit', {
      label: key.label, rate: key.rate, burst: key.burst, quota_tokens: key.quota_tokens, max_concurrent: key.max_concurrent, models: key.models,
    }).filter((f) => !['expires_in', 'budget_usd', 'budget_window'].includes(f.querySelector('input').name)),
    h('div', { class: 'row' }, h('button', { type: 'submit', value: 'save' }, 'Save'), h('button', { type: 'button', class: 'ghost', onclick: () => dialog.close() }, 'Cancel')));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const body = keyBody(form);
      if (!form.elements.models.value.trim()) body.models = [];
      dialog.close();
      act(`Key ${key.label} updated.`, () => api(`/admin/keys/${encodeURIComponent(key.key_id)}`, { method: 'POST', body }));
    });
    dialog.replaceChildren(h('h2', { id: 'edit-title' }, `Edit limits of ${key.label}`), form);
    dialog.showModal();
  }

  async function load() {
    try {
      const [{ keys: all }, { usage }] = await Promise.all([api('/admin/keys'), api('/admin/usage?since=24h')]);
      const used = Object.fromEntries(usage.map((u) => [u.key_id, u]));
      const budgets = await Promise.all(all.map((k) => (k.budget_usd && k.status === 'active'
        ? api(`/admin/usage?key=${encodeURIComponent(k.key_id)}&since=${encodeURIComponent(k.budget_window ?? '24h')}`).then((r) => r.usage[0]?.cost_micros ?? 0)
        : Promise.resolve(null))));
      if (!all.length) {
        list.replaceChildren(h('p', { class: 'hint' }, 'No keys yet. Create one above.'));
        return;
      }
      list.replaceChildren(h('table', { id: 'keys-table' },
        h('thead', {}, h('tr', {}, ['Key', 'Status', 'Limits', 'Usage (24h)', 'Budget', 'Actions'].map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', {}, all.map((k, i) => {
          const u = used[k.key_id];
          const tokens = u ? u.total_tokens : 0;
          const status = h('span', { class: `badge ${k.status === 'active' ? 'good' : k.status === 'revoked' ? 'bad' : 'warn'}` }, k.status);
          const limits = [k.rate ? `${k.rate}${k.burst ? ` (burst ${k.burst})` : ''}` : 'default rate', k.quota_tokens ? `${compact(k.quota_tokens)} tokens quota` : null, k.max_concurrent ? `${k.max_concurrent} at once` : null,
            k.models?.length ? `models: ${k.models.join(', ')}` : null, k.expires_at ? `expires ${dateTime(k.expires_at)}` : null].filter(Boolean);
          const usageCell = h('td', {}, `${num(u?.requests ?? 0)} req · ${compact(tokens)} tokens`, k.quota_tokens
            ? bar(tokens, k.quota_tokens, `${k.label}: ${num(tokens)} of ${num(k.quota_tokens)} quota tokens`) : null);
          const budgetCell = h('td', {}, k.budget_usd ? [`${usd(budgets[i] ?? 0)} of $${Number(k.budget_usd)} per ${k.budget_window ?? 'window'}`,
            bar((budgets[i] ?? 0) / 1e6, Number(k.budget_usd), `${k.label}: budget used`)] : '—');
          const actions = k.status === 'revoked' ? h('td', {}, '—') : h('td', {}, h('div', { class: 'row' },
            h('button', { type: 'button', class: 'ghost small', onclick: () => edit(k), 'aria-label': `Edit limits of ${k.label}` }, 'Edit'),
            h('button', { type: 'button', class: 'ghost small', 'aria-label': `Rotate ${k.label}`, onclick: () => {
              if (confirm(`Rotate ${k.label}? Its current secret stops working now.`)) act(`Key ${k.label} rotated.`, async () => showSecret(await api(`/admin/keys/${encodeURIComponent(k.key_id)}/rotate`, { method: 'POST' }), 'rotated'));
            } }, 'Rotate'),
            h('button', { type: 'button', class: 'danger small', 'aria-label': `Revoke ${k.label}`, onclick: () => {
              if (confirm(`Revoke ${k.label}? Requests with it are refused from now on.`)) act(`Key ${k.label} revoked.`, () => api(`/admin/keys/${encodeURIComponent(k.key_id)}/revoke`, { method: 'POST' }));
            } }, 'Revoke')));
          return h('tr', { 'data-key-id': k.key_id },
            h('td', {}, h('strong', {}, k.label), h('div', { class: 'hint mono' }, k.key_id)), h('td', {}, status),
            h('td', {}, limits.map((l) => h('div', {}, l))), usageCell, budgetCell, actions);
        }))));
    } catch (err) {
      showError(list, err);
    }
  }

  await load();
}

function bar(value, max, label) {
  return h('progress', { max, value: Math.min(value, max), class: value / max > 0.9 ? 'high' : undefined, 'aria-label': label });
}

// ---------- Usage ----------

async function usage(root) {
  const by = h('select', { id: 'usage-by', name: 'by' }, [['key', 'Key'], ['model', 'Model'], ['day', 'Day (UTC)'], ['account', 'Account']].map(([v, t]) => h('option', { value: v }, t)));
  const since = h('select', { id: 'usage-since', name: 'since' }, [['24h', 'Last 24 hours'], ['168h', 'Last 7 days'], ['720h', 'Last 30 days'], ['', 'All time']].map(([v, t]) => h('option', { value: v }, t)));
  const csv = h('a', { class: 'button ghost', id: 'usage-csv', download: '' }, 'Export CSV');
  const table = scroller('Usage table');
  root.replaceChildren(card('Usage', h('div', { class: 'form' },
    h('div', {}, h('label', { for: 'usage-by' }, 'Group by'), by), h('div', {}, h('label', { for: 'usage-since' }, 'Period'), since), h('div', {}, csv)), h('p'), table));
  async function load() {
    const q = new URLSearchParams({ by: by.value });
    if (since.value) q.set('since', since.value);
    csv.href = `/admin/usage?${q}&format=csv`;
    try {
      const { usage: rows } = await api(`/admin/usage?${q}`);
      const group = by.value === 'key' ? 'key_id' : by.value;
      table.replaceChildren(rows.length ? h('table', {},
        h('thead', {}, h('tr', {}, [by.selectedOptions[0].textContent, 'Requests', 'Input', 'Output', 'Cached', 'Reasoning', 'Spend', 'Last seen'].map((c, i) => h('th', { scope: 'col', class: i && i < 7 ? 'num' : undefined }, c)))),
        h('tbody', {}, rows.map((r) => h('tr', {},
          h('td', {}, r.label ? `${r.label} (${r[group]})` : r[group] || '—'), h('td', { class: 'num' }, num(r.requests)), h('td', { class: 'num' }, num(r.input_tokens)),
          h('td', { class: 'num' }, num(r.output_tokens)), h('td', { class: 'num' }, num(r.cached_tokens)), h('td', { class: 'num' }, num(r.reasoning_tokens)),
          h('td', { class: 'num' }, '$' + r.cost_usd), h('td', {}, dateTime(r.last_seen))))))
        : h('p', { class: 'hint' }, 'No usage in this period.'));
    } catch (err) {
      showError(table, err);
    }
  }
  by.addEventListener('change', load);
  since.addEventListener('change', load);
  await load();
}

// ---------- Live ----------

function live(root) {
  const state = h('span', { id: 'live-state' }, h('span', { class: 'dot' }), 'connecting…');
  const count = h('span', { class: 'hint' });
  const rows = h('tbody', { id: 'live-rows' });
  const detail = h('pre', { class: 'meta', id: 'live-detail', tabindex: '0' }, 'Select a request to see its metadata.');
  let paused = false;
  const pause = h('button', { type: 'button', class: 'ghost', 'aria-pressed': 'false', onclick: () => {
    paused = !paused;
    pause.setAttribute('aria-pressed', String(paused));
    pause.textContent = paused ? 'Resume' : 'Pause';
  } }, 'Pause');
  root.replaceChildren(h('div', { class: 'row' }, state, count, h('span', { class: 'spacer' }), pause, h('button', { type: 'button', class: 'ghost', onclick: () => rows.replaceChildren() }, 'Clear')),
    h('p'),
    h('div', { class: 'live-layout' },
      card('Requests as they finish', scroller('Live requests table', h('table', { id: 'live-table' },
        h('thead', {}, h('tr', {}, [['Time'], ['Status', 'num'], ['Model'], ['Backend'], ['Account', 'hide-narrow'], ['Key', 'hide-narrow'], ['Tokens in/out', 'num'], ['TTFB', 'num'], ['Duration', 'num']].map(([c, cls]) => h('th', { scope: 'col', class: cls }, c)))),
        rows))),
      card('Request metadata', detail)));

  let seen = 0;
  const source = new EventSource('/admin/events');
  source.addEventListener('open', () => state.replaceChildren(h('span', { class: 'dot on' }), 'live'));
  source.addEventListener('error', () => state.replaceChildren(h('span', { class: 'dot' }), 'reconnecting…'));
  source.addEventListener('request', (ev) => {
    if (paused) return;
    const e = JSON.parse(ev.data);
    seen++;
    count.textContent = `${num(seen)} seen`;
    const select = () => {
      for (const r of rows.querySelectorAll('tr[aria-selected="true"]')) r.setAttribute('aria-selected', 'false');
      tr.setAttribute('aria-selected', 'true');
      detail.textContent = JSON.stringify(e, null, 2);
    };
    const good = e.status < 400;
    const tr = h('tr', { class: 'clickable fresh', tabindex: '0', 'aria-selected': 'false', 'data-request-id': e.request_id, onclick: select,
      onkeydown: (k) => { if (k.key === 'Enter' || k.key === ' ') { k.preventDefault(); select(); } } },
      h('td', {}, time(Date.parse(e.ts))), h('td', { class: 'num' }, h('span', { class: `badge ${good ? 'good' : e.status >= 500 ? 'bad' : 'warn'}` }, e.status)),
      h('td', {}, e.model || '—'), h('td', {}, e.backend || '—'), h('td', { class: 'hide-narrow' }, e.account ?? '—'), h('td', { class: 'hide-narrow mono' }, e.key_id),
      h('td', { class: 'num' }, `${num(e.input_tokens)} / ${num(e.output_tokens)}`), h('td', { class: 'num' }, e.ttfb_ms === undefined ? '—' : `${Math.round(e.ttfb_ms)} ms`),
      h('td', { class: 'num' }, `${Math.round(e.duration_ms)} ms`));
    rows.prepend(tr);
    while (rows.children.length > 200) rows.lastElementChild.remove();
  });
  addEventListener('pagehide', () => source.close());
}

// ---------- Accounts and routing ----------

/** "2 h 05 min", "4 min 10 s", "12 s": how long until a moment, for cooldowns and window resets. */
function until(ms) {
  const sec = Math.max(0, Math.round((ms - Date.now()) / 1000));
  const d = Math.floor(sec / 86400), hr = Math.floor((sec % 86400) / 3600), min = Math.floor((sec % 3600) / 60);
  if (d) return `${d} d ${hr} h`;
  if (hr) return `${hr} h ${String(min).padStart(2, '0')} min`;
  return min ? `${min} min ${sec % 60} s` : `${sec} s`;
}

/** A countdown to ms, kept current by the page's one-second ticker. */
const countdown = (ms) => h('span', { 'data-until': ms }, until(ms));

const STATES = { ready: ['good', 'ready'], cooling_down: ['bad', 'cooling down'], spent: ['warn', 'window spent'], no_login: ['bad', 'no login'] };

function windowCell(w, name) {
  if (!w) return h('td', { class: 'hint' }, 'not reported yet');
  const span = w.window_minutes ? (w.window_minutes % 1440 === 0 ? `${w.window_minutes / 1440} d` : w.window_minutes % 60 === 0 ? `${w.window_minutes / 60} h` : `${w.window_minutes} min`) : '';
  return h('td', {}, h('span', {}, `${Math.round(w.used_percent * 10) / 10} % used${span ? ` of ${span}` : ''}`),
    bar(w.used_percent, 100, `${name}: ${Math.round(w.used_percent)} % used`),
    w.resets_at_ms ? h('span', { class: 'hint' }, 'resets in ', countdown(w.resets_at_ms)) : null);
}

async function accounts(root) {
  const updated = h('span', { class: 'hint', 'aria-live': 'polite' });
  const pools = h('div', { id: 'account-pools' });
  const model = h('input', { id: 'probe-model', name: 'model', type: 'text', placeholder: 'e.g. sonnet, gpt-5.2-codex', autocomplete: 'off', required: true, maxlength: '256' });
  const result = h('div', { id: 'probe-result', 'aria-live': 'polite' });
  const probeForm = h('form', { class: 'form', id: 'probe' }, h('div', {}, h('label', { for: 'probe-model' }, 'Model name'), model), h('div', {}, h('button', { type: 'submit' }, 'Probe route')));
  const routes = h('div', { id: 'routes' });
  root.replaceChildren(h('div', { class: 'row' }, h('span', { class: 'spacer' }), updated), pools,
    card('Probe a model name', h('p', { class: 'hint' }, 'Resolved by the router in memory (aliases, patterns, default, fallbacks): nothing is sent upstream.'), probeForm, result),
    routes);

  probeForm.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      const p = await api(`/admin/routes?model=${encodeURIComponent(model.value.trim())}`);
      const rows = p.routed ? [
        ['Backend', p.backend], ['Upstream model', p.upstream_model], ['Alias', p.alias ? `${p.alias} → ${p.upstream_model}` : '—'],
        ['Matched by', p.matched_by === 'pattern' ? `prefix "${p.prefix}"` : p.matched_by === 'fallback' ? `fallback for ${p.fallback_for}` : 'routing.default'],
        ['Account', 'account' in p ? (p.account ?? (p.returns_at_ms ? `none can serve; back in ${until(p.returns_at_ms)}` : 'none can serve')) : '— (no account pool)'],
      ] : [['Not routed', p.reason]];
      result.replaceChildren(h('dl', { class: 'facts' }, rows.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])));
    } catch (err) {
      showError(result, err);
    }
  });

  async function load() {
    try {
      const [acc, table] = await Promise.all([api('/admin/accounts'), api('/admin/routes')]);
      pools.replaceChildren(...(acc.backends.length ? acc.backends.map((b) => card(`${b.backend} accounts`,
        h('p', { class: 'hint' }, `${b.strategy} · ${num(b.bound_conversations)} conversations bound`, b.exhausted ? ' · no account can serve now' : '',
          b.returns_at_ms ? [' · first back in ', countdown(b.returns_at_ms)] : ''),
        scroller(`${b.backend} accounts table`, h('table', { class: 'accounts' },
          h('thead', {}, h('tr', {}, ['Account', 'State', 'Plan', 'Primary window', 'Secondary window', 'Cooldown', 'Requests', 'Last error'].map((c, i) => h('th', { scope: 'col', class: i === 6 ? 'num' : undefined }, c)))),
          h('tbody', {}, b.accounts.map((a) => {
            const [cls, label] = STATES[a.state] ?? ['', a.state];
            return h('tr', { 'data-account': `${b.backend}/${a.name}` },
              h('td', {}, h('strong', {}, a.name), h('div', { class: 'hint' }, [a.source, a.mode].filter(Boolean).join(' · '))),
              h('td', {}, h('span', { class: `badge ${cls}` }, label), a.login_problem ? h('div', { class: 'hint' }, a.login_problem) : null),
              h('td', {}, a.plan ?? '—'), windowCell(a.primary, 'primary window'), windowCell(a.secondary, 'secondary window'),
              h('td', {}, a.cooling_down_until_ms ? [a.cooldown_reason ?? 'cooling down', h('div', { class: 'hint' }, 'ends in ', countdown(a.cooling_down_until_ms))]
                : a.returns_at_ms ? ['window spent', h('div', { class: 'hint' }, 'back in ', countdown(a.returns_at_ms))] : '—'),
              h('td', { class: 'num' }, num(a.requests)), h('td', { class: 'wrap' }, a.last_error ?? '—'));
          })))))) : [card('Accounts', h('p', { class: 'hint' }, 'No backend with accounts is enabled.'))]));
      routes.replaceChildren(card('Routes',
        h('p', { class: 'hint' }, 'A model name is expanded by its alias, then the first matching prefix (in this order) picks the backend; otherwise ',
          table.default ? [h('code', {}, table.default), ' (routing.default).'] : 'it is refused (routing.default is empty).'),
        scroller('Backends table', h('table', { id: 'routes-table' },
          h('thead', {}, h('tr', {}, ['Backend', 'Kind', 'Prefixes', 'Models'].map((c) => h('th', { scope: 'col' }, c)))),
          h('tbody', {}, table.backends.map((b) => h('tr', {},
            h('td', {}, h('strong', {}, b.name), b.is_default ? h('span', { class: 'badge good' }, 'default') : null),
            h('td', {}, b.type ? `${b.kind} (${b.type})` : b.kind, b.accounts ? h('div', { class: 'hint' }, `${b.accounts} account${b.accounts === 1 ? '' : 's'}`) : null),
            h('td', { class: 'mono wrap' }, b.prefixes.length ? b.prefixes.join(' ') : '—'),
            h('td', { class: 'mono wrap' }, b.models.length ? b.models.join(' ') : '—'))))))),
      card('Aliases', scroller('Aliases table', h('table', { id: 'aliases-table' },
        h('thead', {}, h('tr', {}, ['Alias', 'Model', 'Source'].map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', {}, table.aliases.map((a) => h('tr', {}, h('td', { class: 'mono' }, a.alias), h('td', { class: 'mono' }, a.model),
          h('td', {}, h('span', { class: `badge ${a.source === 'config' ? 'good' : ''}` }, a.source)))))))),
      table.fallbacks.length ? card('Fallbacks (while every account of a backend cools down)', h('ul', {}, table.fallbacks.map((f) => h('li', {}, h('code', {}, f.model), ' → ', f.fallbacks.join(', '))))) : '');
      updated.textContent = `Updated ${time(Date.now())}`;
    } catch (err) {
      showError(pools, err);
    }
  }

  await load();
  setInterval(() => { for (const el of root.querySelectorAll('[data-until]')) el.textContent = until(Number(el.dataset.until)); }, 1000);
  setInterval(() => { if (!document.hidden) load(); }, 15000);
}

// ---------- Config ----------

async function config(root) {
  const filter = h('input', { id: 'config-filter', type: 'search', placeholder: 'proxy.pool', autocomplete: 'off' });
  const onlySet = h('input', { id: 'config-set', type: 'checkbox' });
  const table = scroller('Configuration table');
  root.replaceChildren(card('Effective configuration',
    h('p', { class: 'hint' }, 'Defaults < config file < GODEX_* environment < command-line flags. Secrets are masked.'),
    h('div', { class: 'form' }, h('div', {}, h('label', { for: 'config-filter' }, 'Filter keys'), filter),
      h('div', { class: 'row' }, onlySet, h('label', { for: 'config-set' }, 'Only values not at their default'))), h('p'), table));
  try {
    const { keys: all } = await api('/admin/config');
    const render = () => {
      const f = filter.value.trim().toLowerCase();
      const shown = all.filter((k) => k.key.includes(f) && (!onlySet.checked || k.source !== 'default'));
      table.replaceChildren(h('table', { id: 'config-table' },
        h('thead', {}, h('tr', {}, ['Key', 'Value', 'Source'].map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', {}, shown.map((k) => h('tr', {}, h('td', { class: 'mono' }, k.key), h('td', { class: 'mono' }, k.value === '' ? '—' : k.value),
          h('td', {}, h('span', { class: `badge ${k.source === 'default' ? '' : 'good'}` }, k.source)))))));
    };
    filter.addEventListener('input', render);
    onlySet.addEventListener('change', render);
    render();
  } catch (err) {
    showError(table, err);
  }
}

// ---------- start ----------

setupTheme();
const pages = { overview, keys, usage, live, accounts, config };
const page = document.body.dataset.page;
const root = document.getElementById('page');
if (root && pages[page]) {
  // data-ready tells a waiting reader (the browser test) that the page's first data is in.
  Promise.resolve(pages[page](root)).catch((err) => showError(root, err)).finally(() => { root.dataset.ready = 'true'; });
}
