// report.js: the dashboard's 月度通报 panel: pick the district or a township
// and a month, and download that month's report from the broker
// (/api/v1/report: the spreadsheet, each table as CSV, a chart as PNG), with
// the chart of the chosen KPI shown in the panel. The links carry no token:
// the session cookie the login set authorises the downloads.
const $ = (id) => document.getElementById(id);
const CHARTS = [
  ['closure_in_time', '按期结案率'], ['response', '响应率'], ['satisfied', '满意率'],
  ['closure', '结案率'], ['return_rate', '回退率'], ['handle_time', '平均处置时长'],
];

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function thisMonth() {
  // The month in Beijing time, whatever the browser's zone.
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit' })
    .formatToParts(new Date());
  const get = (t) => parts.find((p) => p.type === t).value;
  return `${get('year')}-${get('month')}`;
}

function url(params) {
  return `/api/v1/report?${new URLSearchParams(params)}`;
}

function draw() {
  const unit = $('rep-unit').value;
  const month = $('rep-month').value || thisMonth();
  const kpi = $('rep-kpi').value;
  const links = $('rep-links');
  links.replaceChildren();
  const add = (text, params, file) => {
    const a = el('a', 'btn btn-sm btn-outline-light', text);
    a.href = url(params);
    a.download = file;
    a.dataset.format = params.format + (params.table ? `-${params.table}` : '');
    links.append(a);
  };
  const base = `report-${unit}-${month}`;
  add('通报表格 (xlsx)', { unit, month, format: 'xlsx' }, `${base}.xlsx`);
  add('指标汇总 (CSV)', { unit, month, format: 'csv', table: 'summary' }, `${base}-summary.csv`);
  add('红黑榜 (CSV)', { unit, month, format: 'csv', table: 'lists' }, `${base}-lists.csv`);
  add('规划指标 (CSV)', { unit, month, format: 'csv', table: 'indicators' }, `${base}-indicators.csv`);
  add('图表 (PNG)', { unit, month, format: 'png', kpi }, `${base}-${kpi}.png`);
  const img = $('rep-chart');
  img.alt = `${$('rep-unit').selectedOptions[0].text} ${month} ${$('rep-kpi').selectedOptions[0].text}`;
  img.src = url({ unit, month, format: 'png', kpi });
}

async function setup() {
  $('rep-month').value = thisMonth();
  for (const [k, name] of CHARTS) $('rep-kpi').append(new Option(name, k));
  const r = await fetch('/api/v1/topology', { credentials: 'same-origin' });
  if (r.ok) {
    const topo = await r.json();
    const root = topo.nodes.find((n) => !n.parent);
    $('rep-unit').append(new Option(`${root.name}（${root.id}）`, root.id));
    for (const n of topo.nodes)
      if (n.tier === 'township') $('rep-unit').append(new Option(`${n.name}（${n.id}）`, n.id));
  }
  for (const id of ['rep-unit', 'rep-month', 'rep-kpi']) $(id).addEventListener('change', draw);
  draw();
}

// The board is shown once the district's account is logged in.
const board = $('board');
const start = () => setup().catch((e) => { $('rep-note').textContent = `通报暂不可用（${e.message}）`; });
if (board && !board.classList.contains('d-none')) {
  start();
} else if (board) {
  const watch = new MutationObserver(() => {
    if (!board.classList.contains('d-none')) {
      watch.disconnect();
      start();
    }
  });
  watch.observe(board, { attributes: true, attributeFilter: ['class'] });
}
