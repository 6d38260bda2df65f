// dashboard.js: the district center's screen. The topology (names, tiers,
// grid areas) and the counts are read once; the broker's stream then sends
// a tick at most four times a second with the counts that changed, the
// district's sums and liveness, and the alarms and reports since the last
// tick. Everything shown comes from the broker's durable view.
const $ = (id) => document.getElementById(id);
const KIND = { escalated: '超时上报', overdue: '超时告警', due_soon: '即将超时', escalation_pending: '待上报', reported: '新上报' };
const STATE = {
  reported: '已上报', accepted: '已受理', in_progress: '处置中', resolved: '待核查', closed: '已结案',
  returned: '已退回', escalated: '已上报上级', assigned: '待签收', suspended: '挂账', arbitration: '待审定', merged: '已合并',
};
// The clock's notes, as the engine writes them.
const NOTE = [
  ['not accepted in time', '未按时签收'],
  ['not resolved in time', '未按时办结'],
  ['did not report in (报到) in time', '未按时报到'],
  ['sign-for', '签收'],
  ['completion', '办结'],
  [' by ', '，派单方 '],
];
const noteText = (s) => NOTE.reduce((t, [en, zh]) => t.split(en).join(zh), s || '');
const MAX_ALARMS = 100;
const MAX_REPORTS = 30;

let topo = null;
const byId = new Map();
const counts = new Map(); // node -> {open, overdue, ...}
const live = new Map(); // node -> bool
const layers = new Map(); // grid -> Leaflet layer
let map = null;

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}
const localTime = (iso) => new Date(iso).toLocaleTimeString('zh-CN', { hour12: false });
const nameOf = (id) => (byId.get(id) ? `${byId.get(id).name}` : id);

async function get(path) {
  const r = await fetch(path, { credentials: 'same-origin' });
  if (r.status === 401 || r.status === 403) throw Object.assign(new Error('login'), { status: r.status });
  if (!r.ok) throw new Error(`${path}: ${r.status}`);
  return r.json();
}

function setLive(on) {
  const b = $('live');
  b.dataset.state = on ? 'on' : 'off';
  b.textContent = on ? '实时' : '离线';
  b.className = `badge ${on ? 'text-bg-success' : 'text-bg-secondary'}`;
}

function showFigures(d) {
  for (const k of ['open', 'escalated', 'overdue', 'resolved', 'closed']) $(`f-${k}`).textContent = d[k] ?? 0;
}

function showLiveness(l) {
  $('liveness').textContent = `在线 ${l.live}/${l.nodes}`;
}

// The sums of a node's subtree, from the counts of every node under it.
function subtree(id) {
  const s = { open: 0, overdue: 0, origin_open: 0, origin_overdue: 0 };
  const walk = (n) => {
    const c = counts.get(n.id) || {};
    for (const k of Object.keys(s)) s[k] += c[k] || 0;
    for (const ch of n.children) walk(ch);
  };
  walk(byId.get(id));
  return s;
}

function drawTree() {
  const root = topo.nodes.find((n) => !n.parent);
  const box = $('tree');
  box.replaceChildren();
  const line = (n, cls, own) => {
    const s = own ? { open: 0, overdue: 0, ...counts.get(n.id) } : subtree(n.id);
    const row = el('div', `row-line ${cls}${live.get(n.id) === false ? ' dead' : ''}`);
    row.dataset.node = n.id;
    row.append(el('span', 'name', own ? `${n.name}（本级）` : n.name));
    const num = el('span', 'n');
    num.append(el('span', 'o', String(s.open)), ' 在办 · ', el('span', 'r', String(s.overdue)), ' 超时');
    row.append(num);
    return row;
  };
  box.append(line(root, 'root', true));
  for (const t of root.children.filter((n) => n.tier === 'township')) {
    const div = el('div', 'town');
    div.append(line(t, ''));
    for (const c of t.children.filter((n) => n.tier === 'community')) div.append(line(c, 'comm'));
    box.append(div);
  }
}

function gridColour(id) {
  const s = subtree(id);
  if (s.origin_overdue > 0) return '#d32f2f';
  if (s.origin_open >= 3) return '#f57c00';
  if (s.origin_open >= 1) return '#fbc02d';
  return '#2e7d32';
}

function drawMap() {
  if (!map) {
    map = L.map('map', { attributionControl: false, zoomSnap: 0.25 });
    const bounds = L.latLngBounds([]);
    for (const n of topo.nodes) {
      if (!n.area) continue;
      const layer = L.geoJSON(n.area, { style: { color: '#5c8bbf', weight: 1, fillOpacity: 0.7 } });
      layer.bindTooltip(() => {
        const s = subtree(n.id);
        return `${n.name}（${n.id}）<br>本网格上报在办 ${s.origin_open} · 超时 ${s.origin_overdue}`;
      });
      layer.addTo(map);
      layers.set(n.id, layer);
      bounds.extend(layer.getBounds());
    }
    if (bounds.isValid()) map.fitBounds(bounds, { padding: [10, 10] });
    else map.setView([31.9, 119.97], 11);
  }
  for (const [id, layer] of layers) layer.setStyle({ fillColor: gridColour(id) });
}

function alarmItem(a, fresh) {
  const li = el('li', `${a.kind}${fresh ? ' fresh' : ''}`);
  li.dataset.case = a.case_id;
  li.dataset.kind = a.kind;
  li.dataset.node = a.node;
  li.dataset.time = String(Date.parse(a.time));
  li.addEventListener('click', () => openCase(a.case_id));
  const head = el('div');
  head.append(el('b', null, KIND[a.kind] || a.kind), ' ', a.case_id);
  li.append(head);
  const who = a.kind === 'escalated' ? `${a.node_name} → ${a.holder_name || a.holder}` : a.node_name;
  li.append(el('div', 'meta', `${localTime(a.time)} · ${who}${a.category_name ? ` · ${a.category_name}` : ''}${a.note ? ` · ${noteText(a.note)}` : ''}`));
  return li;
}

function reportItem(e, fresh) {
  const li = el('li', fresh ? 'fresh' : '');
  li.dataset.case = e.case_id;
  li.dataset.time = String(Date.parse(e.time));
  li.addEventListener('click', () => openCase(e.case_id));
  li.append(el('div', null, `${e.case_id} · ${STATE[e.state] || e.state}`));
  li.append(el('div', 'meta', `${localTime(e.time)} · ${e.node_name}${e.category_name ? ` · ${e.category_name}` : ''}`));
  return li;
}

function prepend(list, items, max) {
  for (const it of items) list.prepend(it);
  while (list.children.length > max) list.lastChild.remove();
}

function applyTick(t) {
  for (const [id, c] of Object.entries(t.nodes || {})) counts.set(id, c);
  showFigures(t.district);
  showLiveness(t.liveness);
  prepend($('alarms'), (t.alarms || []).map((a) => alarmItem(a, true)), MAX_ALARMS);
  prepend($('reports'), (t.reports || []).map((e) => reportItem(e, true)), MAX_REPORTS);
  if (Object.keys(t.nodes || {}).length) {
    drawTree();
    drawMap();
    scheduleKpi();
  }
}

// ---- 考核指标: the KPIs of one unit (the district until a league row is
// clicked), the league of a tier with its red and black lists; read again
// at most every two seconds while the stream says something changed.
let kpiUnit = null;
let kpiTimer = null;
let kpiLast = 0;
const KPI_EVERY = 2000;
const KPI_ROWS = 60; // a tier of 672 grids: the first rows of the league only
const fmtKpi = (unit, v) => {
  if (v === null || v === undefined) return '—';
  if (unit === 'ratio') return `${(v * 100).toFixed(1)}%`;
  if (unit === 'count') return String(v);
  if (unit === 'hours') return `${v.toFixed(2)} 小时`;
  return `${v.toFixed(1)} 分钟`;
};
const localDate = (ms) => new Date(ms).toLocaleDateString('zh-CN', { timeZone: 'Asia/Shanghai' });
const withId = (name, id) => `${name}（${id}）`;
const q = encodeURIComponent;

async function loadKpi() {
  kpiLast = Date.now();
  const period = $('kpi-period').value;
  const unit = kpiUnit || topo.nodes.find((n) => !n.parent).id;
  const doc = await get(`/api/v1/kpi?unit=${q(unit)}&period=${period}`);
  const keys = $('kpi-key');
  if (!keys.options.length) for (const [k, v] of Object.entries(doc.kpis)) keys.append(new Option(v.name, k));
  $('kpi-unit-name').textContent = withId(doc.name, doc.unit);
  $('kpi-period-text').textContent = `${localDate(Date.parse(doc.from))} 至 ${localDate(Date.parse(doc.to) - 1)}`;
  $('kpi-formula').textContent = `公式版本 ${doc.formula} · 最少样本 ${doc.min_sample}`;
  const body = $('kpi-sum').tBodies[0];
  body.replaceChildren();
  for (const [k, v] of Object.entries(doc.kpis)) {
    const tr = el('tr');
    Object.assign(tr.dataset, { kpi: k, num: String(v.numerator), den: String(v.denominator) });
    const nd = v.unit === 'count' ? `样本 ${v.denominator}` : `${v.numerator}/${v.denominator}`;
    tr.append(el('td', null, v.name), el('td', 'v', fmtKpi(v.unit, v.value)), el('td', 'nd', nd));
    body.append(tr);
  }
  const key = keys.value;
  const lg = await get(`/api/v1/league?tier=${$('kpi-tier').value}&period=${period}&kpi=${q(key)}`);
  const shape = doc.kpis[key].unit;
  $('kpi-league-name').textContent = `${$('kpi-tier').selectedOptions[0].text}排名 · ${lg.name}${lg.higher_better ? '（高者优）' : '（低者优）'}`;
  const lb = $('kpi-league').tBodies[0];
  lb.replaceChildren();
  for (const r of lg.rows.slice(0, KPI_ROWS)) {
    const tr = el('tr', r.ranked ? '' : 'unranked');
    Object.assign(tr.dataset, { unit: r.unit, num: String(r.numerator), den: String(r.denominator), rank: String(r.rank ?? '') });
    tr.append(el('td', null, r.ranked ? String(r.rank) : '—'), el('td', null, withId(r.name, r.unit)),
      el('td', 'v', fmtKpi(shape, r.value)), el('td', 'nd', `${r.numerator}/${r.denominator}`));
    tr.addEventListener('click', () => { kpiUnit = r.unit; loadKpi().catch(() => {}); });
    lb.append(tr);
  }
  if (lg.rows.length > KPI_ROWS) {
    const tr = el('tr');
    const td = el('td', 'meta', `共 ${lg.rows.length} 个单位，显示前 ${KPI_ROWS} 个`);
    td.colSpan = 4;
    tr.append(td);
    lb.append(tr);
  }
  const list = (box, rows) => {
    $(box).replaceChildren(...rows.map((r) => {
      const li = el('li', null, `${withId(r.name, r.unit)} ${fmtKpi(shape, r.value)}`);
      li.dataset.unit = r.unit;
      return li;
    }));
  };
  list('kpi-red', lg.red);
  list('kpi-black', lg.black);
  $('kpi-excluded').textContent = lg.excluded.length
    ? lg.excluded.map((x) => `${nameOf(x.unit)}（${x.unit}，样本 ${x.sample}）`).join('、') : '无';
}

function scheduleKpi() {
  if (kpiTimer) return;
  const wait = Math.max(0, KPI_EVERY - (Date.now() - kpiLast));
  kpiTimer = setTimeout(() => {
    kpiTimer = null;
    loadKpi().catch(() => {});
  }, wait);
}

// ---- a case, fetched by the broker from the node that holds it
async function openCase(id) {
  const box = $('case-view');
  $('case-title').textContent = `案件 ${id}`;
  $('case-meta').textContent = '正在向承办节点查询…';
  $('case-history').replaceChildren();
  box.classList.remove('d-none');
  try {
    const { case: c, held_by: h, held_by_name: hn } = await get(`/api/v1/case?id=${q(id)}`);
    box.dataset.case = c.id;
    $('case-meta').textContent = `${STATE[c.state] || c.state} · 承办 ${withId(hn, h)}${c.category_name ? ` · ${c.category_name}` : ''} · ${c.text || ''}`;
    $('case-history').replaceChildren(...(c.history || []).map((e) => el('li', null,
      `${new Date(e.time).toLocaleString('zh-CN', { hour12: false })} · ${e.node_name || e.node} · ${e.action}${e.note ? ` · ${noteText(e.note)}` : ''}`)));
  } catch (e) {
    $('case-meta').textContent = `查询失败：${e.message}`;
  }
}
$('case-close').addEventListener('click', () => $('case-view').classList.add('d-none'));
for (const s of ['kpi-tier', 'kpi-period', 'kpi-key']) $(s).addEventListener('change', () => loadKpi().catch(() => {}));

async function refreshLiveness() {
  try {
    const c = await get('/api/v1/counts');
    for (const n of c.nodes) live.set(n.id, n.live);
    showLiveness(c.liveness);
    drawTree();
  } catch {
    /* the stream says offline */
  }
}

function follow() {
  const es = new EventSource('/api/v1/stream');
  es.onopen = () => setLive(true);
  es.onerror = () => setLive(false);
  es.addEventListener('tick', (m) => applyTick(JSON.parse(m.data)));
}

function tickClock() {
  $('clock').textContent = new Date().toLocaleString('zh-CN', { hour12: false });
}

async function start() {
  try {
    topo = await get('/api/v1/topology');
  } catch (e) {
    if (e.message === 'login') return askLogin(e.status === 403 ? '该账号不是区级账号，无权查看指挥中心' : '');
    throw e;
  }
  const top = topo.nodes.find((n) => !n.parent);
  const place = top ? `${top.name}（${top.id}）` : topo.name || '';
  $('title').textContent = `${place} 区级指挥中心`;
  document.title = `${top ? top.name : topo.name || ''} 区级指挥中心 · 网格联动`;
  for (const n of topo.nodes) byId.set(n.id, { ...n, children: [] });
  for (const n of byId.values()) if (n.parent && byId.has(n.parent)) byId.get(n.parent).children.push(n);
  topo.nodes = [...byId.values()];
  $('login').classList.add('d-none');
  $('board').classList.remove('d-none');
  $('logout').classList.remove('d-none');
  const [c, a] = await Promise.all([get('/api/v1/counts'), get('/api/v1/alarms')]);
  for (const n of c.nodes) {
    counts.set(n.id, n.counts);
    live.set(n.id, n.live);
  }
  showFigures(c.district);
  showLiveness(c.liveness);
  prepend($('alarms'), a.alarms.slice().reverse().map((x) => alarmItem(x, false)), MAX_ALARMS);
  drawTree();
  drawMap();
  await loadKpi();
  follow();
  setInterval(refreshLiveness, 10000);
}

function askLogin(why) {
  $('board').classList.add('d-none');
  $('login').classList.remove('d-none');
  $('login-error').textContent = why || '';
}

$('login').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const f = new FormData(ev.target);
  const r = await fetch('/api/v1/login', {
    method: 'POST', credentials: 'same-origin', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ name: f.get('name'), password: f.get('password') }),
  });
  if (!r.ok) {
    $('login-error').textContent = r.status === 401 ? '账号或密码错误' : `登录失败（${r.status}）`;
    return;
  }
  const body = await r.json();
  sessionStorage.setItem('gl_dash_token', body.token);
  start().catch((e) => askLogin(e.message));
});

$('logout').addEventListener('click', async () => {
  const token = sessionStorage.getItem('gl_dash_token');
  if (token) await fetch('/api/v1/logout', { method: 'POST', headers: { Authorization: `Bearer ${token}` } });
  sessionStorage.removeItem('gl_dash_token');
  location.reload();
});

tickClock();
setInterval(tickClock, 1000);
start().catch((e) => askLogin(e.message));
