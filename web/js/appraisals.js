// appraisals.js: 群众评议 for the district's officers (#/appraisals): the
// league table of a tier (街道、社区、职能部门) for a month, this week, a
// quarter or a year from GET /api/v1/nodes/{district}/appraisals, with the
// red and black lists (红榜/黑榜) beside it. Units below the minimum sample
// are listed but not ranked.
import { call, node, session } from './api.js';
import { h, select, named } from './util.js';

const TIERS = [['township', '街道（镇）'], ['community', '社区（村）'], ['department', '职能部门']];
const pct = (x) => `${(x * 100).toFixed(1)}%`;

// This month and the periods before it, as the district counts them (UTC+8).
function periods() {
  const now = new Date(Date.now() + 8 * 3600 * 1000);
  const y = now.getUTCFullYear(), m = now.getUTCMonth() + 1;
  const out = [];
  for (let i = 0; i < 12; i++) {
    const d = new Date(Date.UTC(y, m - 1 - i, 1));
    const t = `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
    out.push([t, `${d.getUTCFullYear()}年${d.getUTCMonth() + 1}月`]);
  }
  // This ISO week: the year and number of the week's Thursday.
  const thu = new Date(Date.UTC(y, m - 1, now.getUTCDate() + 3 - ((now.getUTCDay() + 6) % 7)));
  const wy = thu.getUTCFullYear();
  const w = 1 + Math.floor((thu - Date.UTC(wy, 0, 1)) / 86400000 / 7);
  out.splice(1, 0, [`${wy}-W${String(w).padStart(2, '0')}`, `本周（${wy}年第${w}周）`]);
  out.push([`${y}-Q${Math.floor((m - 1) / 3) + 1}`, `${y}年第${Math.floor((m - 1) / 3) + 1}季度`]);
  out.push([String(y), `${y}年全年`]);
  return out;
}

function list(title, color, units, rows, id) {
  const byUnit = new Map(rows.map((r) => [r.unit, r]));
  return h(`div.card.mb-3.border-${color}`, { id },
    h(`div.card-header.text-bg-${color}`, title),
    units.length
      ? h('ol.list-group.list-group-flush.list-group-numbered', units.map((u) => {
        const r = byUnit.get(u) || {};
        return h('li.list-group-item.d-flex.justify-content-between.gap-2', { dataset: { unit: u } },
          named(r.name, u), h('span.text-nowrap', r.score?.toFixed(2) ?? ''));
      }))
      : h('div.card-body.small.text-muted', '参与排名的单位不足，暂不列榜'));
}

export async function appraisalsPage(main) {
  const district = session().me.node.id;
  const options = periods();
  const form = h('form.row.g-2.mb-3', { id: 'appraisal-filters' },
    h('div.col-6.col-md-3', select('tier', TIERS, 'township', { 'aria-label': '评议对象' })),
    h('div.col-6.col-md-3', select('period', options, options[0][0], { 'aria-label': '评议期' })));
  const summary = h('div.small.text-muted.mb-2', { id: 'appraisal-summary' });
  const table = h('div.col-lg-8');
  const side = h('div.col-lg-4');
  main.replaceChildren(
    h('div.d-flex.justify-content-between.align-items-center.mb-2', h('h2.h5.mb-0', '群众评议'),
      h('a.btn.btn-sm.btn-outline-secondary', { href: '#/queue' }, '返回待办')),
    form, summary, h('div.row', table, side));

  let seq = 0;
  async function load() {
    const mine = ++seq;
    const fd = new FormData(form);
    const t = await call('GET', `${node(district)}/appraisals`, null, { tier: fd.get('tier'), period: fd.get('period') });
    if (mine !== seq) return;
    const rows = t.rows || [];
    summary.textContent = `${t.period} · 共 ${t.total || 0} 条评议 · 满意度按 ${t.formula} 计算` +
      `（满意 + 0.6 × 基本满意）÷ 评议数 × 100 · 满 ${t.min_sample} 条参与排名`;
    table.replaceChildren(h('div.table-responsive', h('table.table.table-sm.align-middle', { id: 'appraisal-table' },
      h('thead', h('tr', ['名次', '单位', '评议数', '满意', '基本满意', '不满意', '满意率', '满意度得分']
        .map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', rows.map((r) => h('tr', { dataset: { unit: r.unit, rank: r.rank || 0 } },
        h('td', r.ranked ? String(r.rank) : h('span.text-muted', { title: '评议数不足，不参与排名' }, '—')),
        h('td', named(r.name, r.unit)),
        h('td', String(r.count || 0)), h('td', String(r.satisfied || 0)), h('td', String(r.basically || 0)),
        h('td', String(r.dissatisfied || 0)),
        h('td', r.count ? pct(r.satisfaction_rate || 0) : '—'),
        h('td', r.count ? (r.score || 0).toFixed(2) : '—')))))));
    side.replaceChildren(list('红榜', 'success', t.red || [], rows, 'red-list'),
      list('黑榜', 'danger', t.black || [], rows, 'black-list'));
  }
  form.addEventListener('change', () => load().catch((e) => { summary.textContent = `读取失败：${e.message}`; }));
  form.addEventListener('submit', (ev) => ev.preventDefault());
  await load();
  return null;
}
