// recprep dashboard: a plain-JavaScript client of the public API (no
// framework, no external resources; charts are SVG built here). It is also
// the reference client: every number comes from /v1 or /openapi.json.
//
// Test hooks are ids and data-* attributes (data-value holds the exact
// number behind a formatted one); <html data-state="ready"> and
// data-first-render-ms are set once the first dataset's statistics and
// k-core curve are on screen.
'use strict';

(() => {
  const TOKEN_KEY = 'recprep-token';
  const state = {
    token: sessionStorage.getItem(TOKEN_KEY),
    needsToken: false,
    ds: null,
    stats: null,
    recipes: null,
    firstRenderDone: false,
    pollTimer: null,
  };

  // ---- DOM helpers -------------------------------------------------------

  const $ = (sel) => document.querySelector(sel);
  const SVGNS = 'http://www.w3.org/2000/svg';

  function build(make, tag, attrs, children) {
    const e = make(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'text') e.textContent = String(v);
      else if (k === 'on') for (const [ev, fn] of Object.entries(v)) e.addEventListener(ev, fn);
      else e.setAttribute(k, v === true ? '' : String(v));
    }
    for (const c of children.flat()) {
      if (c === null || c === undefined || c === false) continue;
      e.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return e;
  }
  const h = (tag, attrs, ...children) => build((t) => document.createElement(t), tag, attrs, children);
  const s = (tag, attrs, ...children) =>
    build((t) => document.createElementNS(SVGNS, t), tag, attrs, children);

  const fmt = (n) => (n === null || n === undefined ? '–' : Number(n).toLocaleString('en-US'));
  function fmtBytes(n) {
    if (n === null || n === undefined) return '–';
    const units = ['B', 'KB', 'MB', 'GB', 'TB'];
    let u = 0;
    let v = Number(n);
    while (v >= 1000 && u < units.length - 1) { v /= 1000; u++; }
    return (u === 0 ? String(v) : v.toFixed(v < 10 ? 2 : 1)) + ' ' + units[u];
  }
  function fmtDate(sec, withTime) {
    if (sec === null || sec === undefined) return '–';
    const d = new Date(Number(sec) * 1000);
    if (Number.isNaN(d.getTime())) return String(sec);
    const iso = d.toISOString();
    return withTime ? iso.slice(0, 16).replace('T', ' ') : iso.slice(0, 10);
  }
  const pct = (a, b) => (b > 0 ? ((100 * a) / b).toFixed(a === 0 || a === b ? 0 : 1) + '%' : '–');
  const compact = (n) => {
    const v = Math.abs(n);
    if (v >= 1e9) return (n / 1e9).toFixed(v >= 1e10 ? 0 : 1) + 'G';
    if (v >= 1e6) return (n / 1e6).toFixed(v >= 1e7 ? 0 : 1) + 'M';
    if (v >= 1e3) return (n / 1e3).toFixed(v >= 1e4 ? 0 : 1) + 'k';
    return String(Math.round(n * 100) / 100);
  };
  function setValue(id, value, text) {
    const e = document.getElementById(id);
    e.dataset.value = String(value);
    e.textContent = text === undefined ? fmt(value) : text;
  }

  // ---- API ---------------------------------------------------------------

  class ApiError extends Error {
    constructor(status, body) {
      const e = (body && body.error) || {};
      super(e.message || 'HTTP ' + status);
      this.status = status;
      this.code = e.code || 'http_' + status;
      this.parameter = e.parameter || null;
    }
  }

  async function api(path) {
    const headers = { Accept: 'application/json' };
    if (state.token) headers.Authorization = 'Bearer ' + state.token;
    const r = await fetch(path, { headers });
    const body = await r.json().catch(() => null);
    if (r.status === 401) {
      state.needsToken = true;
      askToken(state.token ? 'The token was not accepted.' : null);
    }
    if (!r.ok) throw new ApiError(r.status, body);
    return body;
  }

  function showError(err) {
    const box = $('#error');
    box.replaceChildren();
    if (!err) { box.hidden = true; return; }
    box.append(h('span', { 'data-field': 'message', text: err.message }));
    if (err.parameter) {
      box.append(' — parameter ', h('span', { class: 'param', 'data-field': 'parameter', text: err.parameter }));
    }
    if (err.code) box.dataset.code = err.code;
    box.hidden = false;
  }
  const report = (err) => { if (!(err instanceof ApiError && err.status === 401)) showError(err); };

  // ---- token ---------------------------------------------------------------

  function askToken(message) {
    const form = $('#token-form');
    form.hidden = false;
    if (message) showError({ message });
    $('#token-input').focus();
  }

  function setupToken() {
    $('#token-form').addEventListener('submit', (ev) => {
      ev.preventDefault();
      state.token = $('#token-input').value.trim();
      sessionStorage.setItem(TOKEN_KEY, state.token);
      $('#token-form').hidden = true;
      $('#token-forget').hidden = false;
      showError(null);
      start();
    });
    $('#token-forget').hidden = !state.token;
    $('#token-forget').addEventListener('click', () => {
      sessionStorage.removeItem(TOKEN_KEY);
      state.token = null;
      location.reload();
    });
  }

  // ---- charts ------------------------------------------------------------

  const W = 560;
  const H = 230;
  const M = { l: 54, r: 12, t: 12, b: 34 };

  // A y scale: linear from 0, or log10 from 1 (heavy-tailed data).
  function yScale(max, log) {
    const ih = H - M.t - M.b;
    if (log) {
      const top = Math.max(1, Math.ceil(Math.log10(Math.max(max, 1)) + 1e-9));
      const f = (v) => (v < 1 ? H - M.b : H - M.b - (Math.log10(v) / top) * ih);
      const ticks = [];
      for (let p = 0; p <= top; p++) ticks.push(10 ** p);
      return { f, ticks };
    }
    const raw = Math.max(max, 1) / 4;
    const mag = 10 ** Math.floor(Math.log10(raw));
    const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((x) => x >= raw);
    const top = Math.ceil(max / step) * step || step;
    const ticks = [];
    for (let v = 0; v <= top + 1e-9; v += step) ticks.push(v);
    return { f: (v) => H - M.b - (v / top) * ih, ticks };
  }

  function frame(y, yLabel) {
    const g = s('g', {});
    for (const t of y.ticks) {
      const yy = y.f(t);
      g.append(s('line', { class: 'gridline', x1: M.l, x2: W - M.r, y1: yy, y2: yy }),
        s('text', { x: M.l - 6, y: yy + 3, 'text-anchor': 'end', text: compact(t) }));
    }
    g.append(s('line', { class: 'axis', x1: M.l, x2: W - M.r, y1: H - M.b, y2: H - M.b }),
      s('line', { class: 'axis', x1: M.l, x2: M.l, y1: M.t, y2: H - M.b }));
    if (yLabel) {
      g.append(s('text', { x: 12, y: M.t + (H - M.t - M.b) / 2, 'text-anchor': 'middle',
        transform: `rotate(-90 12 ${M.t + (H - M.t - M.b) / 2})`, text: yLabel }));
    }
    return g;
  }

  // items: [{label, value, tip}]; xLabel(i) gives a tick label or null.
  function barChart(box, items, opts) {
    const o = opts || {};
    const max = Math.max(0, ...items.map((d) => d.value));
    const y = yScale(max, o.log);
    const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'data-chart': o.name || '' });
    svg.append(frame(y, o.yLabel));
    if (items.length === 0 || max === 0) {
      svg.append(s('text', { class: 'empty', x: W / 2, y: H / 2, 'text-anchor': 'middle', text: 'no data' }));
    }
    const bw = (W - M.l - M.r) / Math.max(items.length, 1);
    const gap = bw > 6 ? Math.min(4, bw * 0.2) : 0;
    items.forEach((d, i) => {
      const x = M.l + i * bw;
      const top = y.f(d.value);
      const bar = s('rect', { class: 'bar', x: x + gap / 2, y: top, width: Math.max(bw - gap, 0.5),
        height: Math.max(H - M.b - top, 0), 'data-label': d.label, 'data-value': d.value });
      bar.append(s('title', { text: `${d.tip || d.label}: ${fmt(d.value)}` }));
      svg.append(bar);
      const lbl = o.xLabel ? o.xLabel(i, d) : d.label;
      if (lbl !== null && lbl !== undefined) {
        svg.append(s('text', { x: x + bw / 2, y: H - M.b + 14, 'text-anchor': 'middle', text: lbl }));
      }
    });
    if (o.xTitle) svg.append(s('text', { x: M.l + (W - M.l - M.r) / 2, y: H - 4, 'text-anchor': 'middle', text: o.xTitle }));
    box.replaceChildren(svg);
  }

  // xs: [1..K]; series: [{name, values}]; log y; optional marked x.
  function lineChart(box, xs, series, opts) {
    const o = opts || {};
    const max = Math.max(1, ...series.flatMap((se) => se.values));
    const y = yScale(max, true);
    const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'data-chart': o.name || '' });
    svg.append(frame(y, o.yLabel));
    const lo = xs[0];
    const hi = xs[xs.length - 1];
    const fx = (x) => M.l + 8 + ((x - lo) / Math.max(hi - lo, 1)) * (W - M.l - M.r - 16);
    const every = Math.max(1, Math.ceil(xs.length / 20));
    xs.forEach((x, i) => {
      if (i % every === 0 || i === xs.length - 1) {
        svg.append(s('text', { x: fx(x), y: H - M.b + 14, 'text-anchor': 'middle', text: x }));
      }
    });
    if (o.mark !== undefined && o.mark >= lo && o.mark <= hi) {
      svg.append(s('line', { class: 'marker', x1: fx(o.mark), x2: fx(o.mark), y1: M.t, y2: H - M.b }));
    }
    series.forEach((se, k) => {
      const pts = xs.map((x, i) => `${fx(x).toFixed(1)},${y.f(se.values[i]).toFixed(1)}`);
      svg.append(s('polyline', { class: `line s${k}`, points: pts.join(' ') }));
      xs.forEach((x, i) => {
        const c = s('circle', { class: `s${k}`, cx: fx(x), cy: y.f(se.values[i]), r: 2.5,
          'data-series': se.name, 'data-x': x, 'data-value': se.values[i] });
        c.append(s('title', { text: `k=${x}: ${fmt(se.values[i])} ${se.name}` }));
        svg.append(c);
      });
      const lx = W - M.r - 110;
      const ly = M.t + 8 + k * 15;
      svg.append(s('g', { class: 'legend' },
        s('rect', { class: `s${k}`, x: lx, y: ly - 8, width: 10, height: 10, rx: 2 }),
        s('text', { x: lx + 15, y: ly + 1, text: se.name })));
    });
    if (o.xTitle) svg.append(s('text', { x: M.l + (W - M.l - M.r) / 2, y: H - 4, 'text-anchor': 'middle', text: o.xTitle }));
    box.replaceChildren(svg);
  }

  // Heavy tails get a log axis: when the largest count is 50x the median one.
  function heavy(values) {
    const v = values.filter((x) => x > 0).sort((a, b) => a - b);
    return v.length > 1 && v[v.length - 1] / v[Math.floor(v.length / 2)] >= 50;
  }

  // ---- datasets ------------------------------------------------------------

  function progressCell(p) {
    if (!p) return h('td', {});
    const total = p.total_bytes;
    const parts = [p.stage, `${fmt(p.rows)} rows`];
    if (total) parts.push(`${fmtBytes(p.bytes)} of ${fmtBytes(total)}`);
    else parts.push(fmtBytes(p.bytes));
    parts.push(`${Number(p.elapsed_seconds).toFixed(1)} s`);
    const bar = h('progress', { max: total || 1, value: total ? Math.min(p.bytes, total) : 0 });
    return h('td', { class: 'progress', 'data-rows': p.rows, 'data-bytes': p.bytes }, bar, parts.join(' · '));
  }

  function datasetRow(d) {
    const tr = h('tr', { class: 'clickable' + (d.name === state.ds ? ' selected' : ''),
      'data-dataset': d.name, 'data-status': d.status },
    h('td', {}, h('a', { href: `#ds=${encodeURIComponent(d.name)}`, text: d.name })),
    h('td', {}, h('span', { class: `status ${d.status}`, text: d.status })),
    h('td', { class: 'num', 'data-field': 'interactions', 'data-value': d.interactions, text: fmt(d.interactions) }),
    h('td', { class: 'num', 'data-field': 'users', 'data-value': d.users, text: fmt(d.users) }),
    h('td', { class: 'num', 'data-field': 'items', 'data-value': d.items, text: fmt(d.items) }),
    d.status === 'ready'
      ? h('td', { class: 'hint', text: d.load_seconds !== undefined ? `loaded in ${d.load_seconds < 1 ? Math.round(d.load_seconds * 1000) + ' ms' : Number(d.load_seconds).toFixed(2) + ' s'}` : '' })
      : progressCell(d.progress));
    if (d.status === 'ready') tr.addEventListener('click', () => { location.hash = `ds=${encodeURIComponent(d.name)}`; });
    return tr;
  }

  async function loadDatasets() {
    clearTimeout(state.pollTimer);
    const body = await api('/v1/datasets');
    const list = body.datasets || [];
    $('#datasets tbody').replaceChildren(...list.map(datasetRow));
    if (list.some((d) => d.status === 'loading')) state.pollTimer = setTimeout(() => loadDatasets().catch(report), 1000);
    const wanted = new URLSearchParams(location.hash.slice(1)).get('ds');
    const ready = list.filter((d) => d.status === 'ready');
    const pick = ready.find((d) => d.name === wanted) || (state.ds ? null : ready[0]);
    if (pick && pick.name !== state.ds) await selectDataset(pick.name);
  }

  // ---- statistics ----------------------------------------------------------

  function historyItems(hist) {
    return (hist.histogram || []).map((b) => ({
      label: b.min === b.max ? String(b.min) : `${compact(b.min)}–${compact(b.max)}`,
      value: b.count, tip: `${fmt(b.min)}–${fmt(b.max)} interactions`,
    }));
  }

  function renderHistory(id, sumId, hist, who) {
    const items = historyItems(hist);
    barChart($(id), items, { log: heavy(items.map((d) => d.value)), yLabel: who, xTitle: 'interactions (power-of-two buckets)', name: id.slice(7) });
    $(sumId).textContent = `min ${fmt(hist.min)} · median ${fmt(hist.median)} · mean ${Number(hist.mean).toFixed(2)} · p90 ${fmt(hist.p90)} · max ${fmt(hist.max)}`;
  }

  function renderTimeline(tl) {
    const buckets = (tl && tl.buckets) || [];
    const per = (tl && tl.months_per_bucket) || 1;
    const items = buckets.map((b) => ({ label: b.month, value: b.count }));
    const every = Math.max(1, Math.ceil(items.length / 10));
    barChart($('#chart-timeline'), items, {
      log: false, yLabel: 'interactions', name: 'timeline',
      xLabel: (i, d) => (i % every === 0 ? (items.length > 24 ? d.label.slice(0, 4) : d.label) : null),
    });
    $('#tl-summary').textContent = buckets.length
      ? `${buckets.length} bucket${buckets.length > 1 ? 's' : ''} of ${per} month${per > 1 ? 's' : ''}, ${buckets[0].month} to ${buckets[buckets.length - 1].month}`
      : '';
  }

  function renderRatings(r) {
    if (!r) return;
    const list = r.values
      ? r.values.map((v) => ({ label: String(v.rating), value: v.count }))
      : (r.bins || []).map((b) => ({ label: compact(b.min), value: b.count, tip: `${b.min}–${b.max}` }));
    barChart($('#chart-ratings'), list, { log: heavy(list.map((d) => d.value)), yLabel: 'interactions', xTitle: 'rating', name: 'ratings' });
    $('#rt-summary').textContent = r.rated
      ? `mean ${Number(r.mean).toFixed(2)} · ${fmt(r.missing)} without a rating`
      : `no ratings in this log (${fmt(r.missing)} rows)`;
  }

  function renderStats(st) {
    $('#ds-name').textContent = st.name;
    $('#ds-format').textContent = st.format;
    setValue('stat-interactions', st.interactions);
    setValue('stat-users', st.users);
    setValue('stat-items', st.items);
    setValue('stat-density', st.density, st.density >= 0.001 ? Number(st.density).toPrecision(3) : Number(st.density).toExponential(2));
    setValue('stat-duplicates', st.duplicates);
    const range = $('#stat-range');
    range.dataset.min = st.timestamp.min;
    range.dataset.max = st.timestamp.max;
    range.textContent = `${fmtDate(st.timestamp.min)} → ${fmtDate(st.timestamp.max)}`;
    renderHistory('#chart-user-history', '#uh-summary', st.user_history, 'users');
    renderHistory('#chart-item-history', '#ih-summary', st.item_history, 'items');
    renderTimeline(st.interactions_over_time);
    renderRatings(st.ratings);
  }

  // ---- k-core --------------------------------------------------------------

  async function loadCurve() {
    const maxK = $('#curve-max-k').value || '20';
    const c = await api(`/v1/datasets/${encodeURIComponent(state.ds)}/kcore/curve?max_k=${encodeURIComponent(maxK)}`);
    const pts = c.curve;
    const total = state.stats ? state.stats.interactions : pts[0].interactions;
    $('#curve-table tbody').replaceChildren(...pts.map((p) => {
      const tr = h('tr', { class: 'clickable', 'data-k': p.k },
        h('td', { class: 'num', text: p.k }),
        h('td', { class: 'num', 'data-field': 'users', 'data-value': p.users, text: fmt(p.users) }),
        h('td', { class: 'num', 'data-field': 'items', 'data-value': p.items, text: fmt(p.items) }),
        h('td', { class: 'num', 'data-field': 'interactions', 'data-value': p.interactions, text: fmt(p.interactions) }),
        h('td', { class: 'num hint', text: pct(p.interactions, total) }));
      tr.addEventListener('click', () => { $('#rounds-k').value = p.k; loadRounds().catch(report); });
      return tr;
    }));
    lineChart($('#chart-curve'), pts.map((p) => p.k), [
      { name: 'interactions', values: pts.map((p) => p.interactions) },
      { name: 'users', values: pts.map((p) => p.users) },
      { name: 'items', values: pts.map((p) => p.items) },
    ], { yLabel: 'kept (log scale)', xTitle: 'k', mark: Number($('#rounds-k').value), name: 'curve' });
  }

  async function loadRounds() {
    const k = $('#rounds-k').value;
    const r = await api(`/v1/datasets/${encodeURIComponent(state.ds)}/kcore?k=${encodeURIComponent(k)}`);
    $('#rounds').replaceChildren(...r.rounds.map((pair, i) =>
      h('li', { 'data-round': i + 1, text: `round ${i + 1}: ${fmt(pair[0])} users · ${fmt(pair[1])} items` })));
    const sum = $('#rounds-summary');
    sum.dataset.users = r.users;
    sum.dataset.interactions = r.interactions;
    sum.textContent = `${r.rounds.length} rounds → ${fmt(r.users)} users, ${fmt(r.items)} items, ${fmt(r.interactions)} interactions`;
    document.querySelectorAll('#curve-table tr[data-k]').forEach((tr) => tr.classList.toggle('selected', tr.dataset.k === String(k)));
  }

  // ---- recipes -------------------------------------------------------------

  // OpenAPI 3.0 parameters in the /v1/recipes shape (JSON-Schema bounds).
  function deref(doc, p) {
    while (p && p.$ref) p = p.$ref.split('/').slice(1).reduce((o, k) => (o ? o[k] : undefined), doc);
    return p;
  }

  function paramFromOpenapi(doc, q, where) {
    const p = deref(doc, q);
    if (!p || p.in !== (where || 'query')) return null;
    const sc = p.schema || {};
    const out = { name: p.name, type: sc.type || 'string', default: sc.default === undefined ? null : sc.default, description: p.description || '' };
    if (sc.enum) out.enum = sc.enum;
    if (sc.minimum !== undefined) out[sc.exclusiveMinimum === true ? 'exclusiveMinimum' : 'minimum'] = sc.minimum;
    if (sc.maximum !== undefined) out[sc.exclusiveMaximum === true ? 'exclusiveMaximum' : 'maximum'] = sc.maximum;
    return out;
  }

  // Servers without /v1/recipes: the split methods their OpenAPI document lists.
  function recipesFromOpenapi(doc) {
    const out = [];
    for (const [path, item] of Object.entries(doc.paths || {})) {
      const m = /^\/v1\/datasets\/\{ds\}\/splits\/([^/{}]+)$/.exec(path);
      if (!m || !item.get) continue;
      const fileOp = (doc.paths[`${path}/{file}`] || {}).get || {};
      const fileParam = (fileOp.parameters || []).map((q) => paramFromOpenapi(doc, q, 'path'))
        .find((q) => q && q.name === 'file');
      out.push({
        name: m[1],
        title: item.get.summary || m[1],
        parameters: (item.get.parameters || []).map((q) => paramFromOpenapi(doc, q)).filter(Boolean),
        files: (fileParam && fileParam.enum) || [],
      });
    }
    return out;
  }

  async function loadRecipes() {
    const r = await fetch('/openapi.json');
    const doc = r.ok ? await r.json() : null;
    if (doc && doc.paths && doc.paths['/v1/recipes']) {
      state.recipeSource = '/v1/recipes';
      return (await api('/v1/recipes')).recipes || [];
    }
    state.recipeSource = '/openapi.json';
    return doc ? recipesFromOpenapi(doc) : [];
  }

  const currentRecipe = () => (state.recipes || []).find((r) => r.name === $('#recipe').value);

  function paramInput(p) {
    const common = { name: p.name, id: `param-${p.name}`, 'data-param': p.name, 'data-default': p.default === null ? '' : String(p.default) };
    if (p.enum) {
      const sel = h('select', common, p.default === null ? h('option', { value: '', text: '(unset)' }) : null,
        ...p.enum.map((v) => h('option', { value: v, text: v })));
      sel.value = p.default === null ? '' : String(p.default);
      return sel;
    }
    const attrs = { ...common, type: p.type === 'integer' || p.type === 'number' ? 'number' : 'text',
      value: p.default === null ? '' : String(p.default), placeholder: p.default === null ? 'unset' : String(p.default) };
    if (p.type === 'integer') attrs.step = '1';
    if (p.type === 'number') attrs.step = 'any';
    if (p.minimum !== undefined) attrs.min = p.minimum;
    if (p.maximum !== undefined) attrs.max = p.maximum;
    return h('input', attrs);
  }

  function bounds(p) {
    const b = [];
    if (p.minimum !== undefined) b.push(`≥ ${p.minimum}`);
    if (p.exclusiveMinimum !== undefined) b.push(`> ${p.exclusiveMinimum}`);
    if (p.maximum !== undefined) b.push(`≤ ${p.maximum}`);
    if (p.exclusiveMaximum !== undefined) b.push(`< ${p.exclusiveMaximum}`);
    return b.length ? ` (${b.join(', ')})` : '';
  }

  function renderParams() {
    const r = currentRecipe();
    if (!r) return;
    const src = r.reproduces ? `reproduces ${r.reproduces.repository || ''} ${r.reproduces.script || ''}`.trim() : r.title;
    $('#recipe-source').textContent = `${src} · from ${state.recipeSource}`;
    $('#params').replaceChildren(...(r.parameters || []).map((p) =>
      h('label', { for: `param-${p.name}` },
        h('span', {}, p.name, h('span', { class: 'hint', text: `  ${p.type}${bounds(p)}, default ${p.default === null ? 'unset' : p.default}` })),
        paramInput(p),
        h('span', { class: 'hint', text: p.description || '' }),
        h('span', { class: 'field-error', 'data-error-for': p.name }))));
    $('#split-result').hidden = true;
  }

  function renderRecipes() {
    const sel = $('#recipe');
    const keep = sel.value;
    sel.replaceChildren(...state.recipes.map((r) => h('option', { value: r.name, text: r.title && r.title !== r.name ? `${r.name} — ${r.title}` : r.name })));
    if (keep && state.recipes.some((r) => r.name === keep)) sel.value = keep;
    renderParams();
  }

  // ---- splits --------------------------------------------------------------

  // Only parameters that differ from the server's defaults go in the URL.
  function splitQuery() {
    const q = new URLSearchParams();
    document.querySelectorAll('#params [data-param]').forEach((e) => {
      const v = e.value.trim();
      if (v !== '' && v !== e.dataset.default) q.append(e.dataset.param, v);
    });
    return q.toString();
  }

  function kpi(label, value, field) {
    return h('div', {}, h('dt', { text: label }), h('dd', { 'data-field': field, 'data-value': value, text: fmt(value) }));
  }

  function detail(label, text, field) {
    return h('div', { 'data-field': field }, h('b', { text: label }), text);
  }

  function summaryKpis(sum) {
    const k = [kpi('Users', sum.users, 'users'), kpi('Items', sum.items, 'items')];
    const inter = sum.interactions;
    if (inter !== null && typeof inter === 'object') {
      for (const [name, n] of Object.entries(inter)) k.push(kpi(`${name} interactions`, n, `interactions-${name}`));
    } else if (inter !== undefined) k.push(kpi('Interactions', inter, 'interactions'));
    if (sum.splits) for (const [name, n] of Object.entries(sum.splits)) k.push(kpi(`${name} rows`, n, `split-${name}`));
    return k;
  }

  function summaryDetails(sum) {
    const d = [];
    const params = Object.entries(sum.params || {}).map(([k, v]) => `${k}=${v === null ? 'unset' : v}`).join(' · ');
    d.push(detail('Parameters (defaults filled in)', params, 'params'));
    if (sum.boundaries) {
      d.push(detail('Boundaries (UTC)', `validation from ${fmtDate(sum.boundaries.validation, true)} · test from ${fmtDate(sum.boundaries.test, true)}`, 'boundaries'));
    }
    if (sum.rounds) {
      const last = sum.rounds[sum.rounds.length - 1] || [0, 0];
      d.push(detail('k-core', `${sum.rounds.length} rounds → ${fmt(last[0])} users, ${fmt(last[1])} items`, 'rounds'));
    }
    if (sum.filtered) {
      const f = Object.entries(sum.filtered).map(([k, v]) => `${k}: ${fmt(v)}`).join(' · ');
      d.push(detail('Rows removed by filters', f || 'none', 'filtered'));
    }
    if (sum.dropped) {
      for (const [split, why] of Object.entries(sum.dropped)) {
        const parts = Object.entries(why).map(([k, v]) => `${k.replace(/_/g, ' ')}: ${fmt(v)}`).join(' · ');
        d.push(detail(`${split} rows dropped`, parts, `dropped-${split}`));
      }
    }
    return d;
  }

  async function download(url, name) {
    const r = await fetch(url, { headers: state.token ? { Authorization: 'Bearer ' + state.token } : {} });
    if (!r.ok) throw new ApiError(r.status, await r.json().catch(() => null));
    const a = h('a', { href: URL.createObjectURL(await r.blob()), download: name });
    document.body.append(a);
    a.click();
    a.remove();
  }

  function copyButton(text) {
    const b = h('button', { type: 'button', class: 'copy', text: 'Copy' });
    b.addEventListener('click', () => {
      const done = () => { b.textContent = 'Copied'; setTimeout(() => { b.textContent = 'Copy'; }, 1500); };
      if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(text).then(done, () => {});
      else {
        const range = document.createRange();
        range.selectNodeContents(b.previousSibling);
        getSelection().removeAllRanges();
        getSelection().addRange(range);
      }
    });
    return b;
  }

  function fileRow(recipe, query, name, info) {
    const path = `/v1/datasets/${encodeURIComponent(state.ds)}/splits/${encodeURIComponent(recipe)}/${encodeURIComponent(name)}${query ? '?' + query : ''}`;
    const url = location.origin + path;
    const auth = state.needsToken ? `-H "Authorization: Bearer $RECPREP_TOKEN" ` : '';
    const cmd = `curl -fsS ${auth}-o ${name} '${url}'`;
    const link = h('a', { href: path, download: name, text: 'download', 'data-file-link': name });
    if (state.needsToken) link.addEventListener('click', (ev) => { ev.preventDefault(); download(path, name).catch(report); });
    return h('tr', { 'data-file': name },
      h('td', {}, h('code', { text: name })),
      h('td', { class: 'num', 'data-field': 'lines', 'data-value': info.lines, text: fmt(info.lines) }),
      h('td', { class: 'num', 'data-field': 'bytes', 'data-value': info.bytes, text: fmtBytes(info.bytes) }),
      h('td', {}, link),
      h('td', {}, h('div', { class: 'curl' }, h('code', { 'data-curl': name, text: cmd }), copyButton(cmd))));
  }

  function markInvalid(param, message) {
    document.querySelectorAll('#params .invalid').forEach((e) => e.classList.remove('invalid'));
    document.querySelectorAll('#params .field-error').forEach((e) => { e.textContent = ''; });
    if (!param) return;
    const input = document.querySelector(`#params [data-param="${CSS.escape(param)}"]`);
    if (input) input.classList.add('invalid');
    const msg = document.querySelector(`#params [data-error-for="${CSS.escape(param)}"]`);
    if (msg) msg.textContent = message;
  }

  async function runSplit() {
    const recipe = $('#recipe').value;
    const query = splitQuery();
    const result = $('#split-result');
    result.dataset.state = 'loading';
    try {
      const sum = await api(`/v1/datasets/${encodeURIComponent(state.ds)}/splits/${encodeURIComponent(recipe)}${query ? '?' + query : ''}`);
      markInvalid(null);
      showError(null);
      $('#split-summary').replaceChildren(...summaryKpis(sum));
      $('#split-details').replaceChildren(...summaryDetails(sum));
      $('#split-files tbody').replaceChildren(...Object.entries(sum.files || {}).map(([name, info]) => fileRow(recipe, query, name, info)));
      result.hidden = false;
      result.dataset.state = 'ready';
      result.dataset.recipe = recipe;
      result.dataset.query = query;
    } catch (err) {
      result.hidden = true;
      result.dataset.state = 'error';
      if (err instanceof ApiError) markInvalid(err.parameter, err.message);
      throw err;
    }
  }

  function setupForms() {
    $('#curve-form').addEventListener('submit', (ev) => { ev.preventDefault(); loadCurve().then(() => showError(null), report); });
    $('#rounds-form').addEventListener('submit', (ev) => {
      ev.preventDefault();
      loadRounds().then(() => loadCurve()).then(() => showError(null), report);
    });
    $('#recipe').addEventListener('change', renderParams);
    $('#split-reset').addEventListener('click', renderParams);
    $('#split-form').addEventListener('submit', (ev) => { ev.preventDefault(); runSplit().catch(report); });
    window.addEventListener('hashchange', () => {
      const want = new URLSearchParams(location.hash.slice(1)).get('ds');
      if (want && want !== state.ds) selectDataset(want).catch(report);
    });
  }

  // ---- flow ----------------------------------------------------------------

  async function selectDataset(name) {
    state.ds = name;
    document.querySelectorAll('#datasets tr[data-dataset]').forEach((tr) => tr.classList.toggle('selected', tr.dataset.dataset === name));
    state.stats = await api(`/v1/datasets/${encodeURIComponent(name)}`);
    $('#dataset-view').hidden = false;
    renderStats(state.stats);
    await Promise.all([loadCurve(), loadRounds()]);
    $('#split-result').hidden = true;
    if (!state.firstRenderDone) {
      state.firstRenderDone = true;
      document.documentElement.dataset.firstRenderMs = String(Math.round(performance.now()));
      document.documentElement.dataset.state = 'ready';
    }
  }

  async function start() {
    try {
      if (!state.recipes) {
        state.recipes = await loadRecipes();
        renderRecipes();
      }
      await loadDatasets();
    } catch (err) {
      report(err);
    }
  }

  document.addEventListener('DOMContentLoaded', () => {
    setupToken();
    setupForms();
    start();
  });
})();
