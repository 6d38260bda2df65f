// indicators.js: the dashboard's panel of the plan's indicators (规划指标):
// each indicator of the district (or one township) for a year, its value
// against the year's target, and a table of the townships. Read from the
// broker's /api/v1/indicators once the board is shown, then every minute.
const $ = (id) => document.getElementById(id);
const SHORT = {
  harmonious_community_rate: '和谐社区',
  service_room_compliance: '用房达标',
  township_service_center_rate: '服务中心',
  social_worker_cert_rate_u45: '社工持证',
  social_orgs_per_urban_community: '城镇社会组织',
  social_orgs_per_rural_community: '农村社会组织',
  grid_management_coverage: '网格化',
  democratic_consultation_coverage: '民主协商',
  informatization_coverage: '信息化',
};
const REFRESH_MS = 60000;

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = text;
  return e;
}

function suffix(row) {
  if (row.kind === 'share') return '%';
  if (row.unit === 'm2_per_community') return ' ㎡';
  return ' 个';
}

function fmt(v, row) {
  if (v === null || v === undefined) return '–';
  const n = row.kind === 'share' || row.unit !== 'count' ? Math.round(v * 100) / 100 : Math.round(v * 10) / 10;
  return `${n}${suffix(row)}`;
}

function verdict(row) {
  if (row.target === null) return ['无目标', 'none'];
  if (row.value === null) return ['无数据', 'none'];
  return row.met ? ['达标', 'met'] : ['未达标', 'miss'];
}

function indicatorRow(r) {
  const tr = el('tr');
  const name = el('td', 'name', r.zh);
  if (r.plan) name.append(el('div', 'meta', `规划：${r.plan}`));
  tr.append(name, el('td', 'num', fmt(r.value, r)), el('td', 'num', r.target === null ? '–' : fmt(r.target, r)));
  const [text, cls] = verdict(r);
  tr.append(el('td', `verdict ${cls}`, text));
  const ratio = r.kind === 'share' ? `${r.numerator}/${r.denominator}` : `${r.reported}/${r.units} 已报`;
  tr.append(el('td', 'num meta', ratio));
  tr.dataset.id = r.id;
  return tr;
}

function townshipTable(doc) {
  const t = el('table', 'table table-sm ind-towns');
  const head = el('tr');
  head.append(el('th', null, '镇（街道）'));
  const ids = Object.keys(SHORT);
  for (const id of ids) head.append(el('th', 'num', SHORT[id]));
  const thead = el('thead');
  thead.append(head);
  t.append(thead);
  const body = el('tbody');
  for (const town of doc.townships) {
    const tr = el('tr');
    tr.append(el('td', 'name', town.name));
    for (const id of ids) {
      const r = town.indicators.find((x) => x.id === id);
      const [, cls] = r ? verdict(r) : ['', 'none'];
      tr.append(el('td', `num ${cls}`, r ? fmt(r.value, r) : '–'));
    }
    body.append(tr);
  }
  t.append(body);
  return t;
}

let unitsFilled = false;

async function load() {
  const year = $('ind-year').value;
  const unit = $('ind-unit').value;
  const q = new URLSearchParams({ year });
  if (unit) q.set('unit', unit);
  const r = await fetch(`/api/v1/indicators?${q}`, { credentials: 'same-origin' });
  if (!r.ok) {
    $('ind-note').textContent = `指标暂不可用（${r.status}）`;
    return;
  }
  const doc = await r.json();
  if (!unitsFilled && doc.townships) {
    for (const t of doc.townships) $('ind-unit').append(new Option(t.name, t.id));
    unitsFilled = true;
  }
  const table = $('indicators');
  table.replaceChildren();
  const head = el('tr');
  for (const h of ['指标', '实际值', `${doc.year}年目标`, '状态', '分子/分母']) head.append(el('th', null, h));
  const thead = el('thead');
  thead.append(head);
  table.append(thead);
  const body = el('tbody');
  for (const row of doc.indicators) body.append(indicatorRow(row));
  table.append(body);
  $('ind-towns').replaceChildren(doc.townships ? townshipTable(doc) : '');
  const when = new Date(doc.as_of).toLocaleString('zh-CN', { hour12: false });
  $('ind-note').textContent = `${doc.unit.name} · ${doc.year}年 · 更新于 ${when}`;
}

function setup() {
  const now = new Date().getFullYear();
  const years = new Set([2017, 2018, 2019, 2020, now]);
  for (const y of [...years].sort()) $('ind-year').append(new Option(`${y}年`, y, false, y === now));
  $('ind-unit').append(new Option('全区', ''));
  const reload = () =>
    load().catch((e) => {
      $('ind-note').textContent = `指标暂不可用（${e.message}）`;
    });
  $('ind-year').addEventListener('change', reload);
  $('ind-unit').addEventListener('change', reload);
  reload();
  setInterval(reload, REFRESH_MS);
}

// The board is shown once the district's account is logged in.
const board = $('board');
if (board && !board.classList.contains('d-none')) {
  setup();
} else if (board) {
  const watch = new MutationObserver(() => {
    if (!board.classList.contains('d-none')) {
      watch.disconnect();
      setup();
    }
  });
  watch.observe(board, { attributes: true, attributeFilter: ['class'] });
}
