// office.js: the office's pages (社区, 街道, 职能部门, and the district's
// centre reading): the queue with its counts and filters, one case with its
// history, photos, deadlines and the actions allowed on it, and dispatch
// (派单) to one node or to every node of a tier below, with each part's
// progress.
import { call, node, categories, session, attachmentUrl } from './api.js';
import { h, field, select, stateBadge, named, localTime, toast, ask, STATE, KIND, PRIORITY, REASON, ACTION, TIER,
  WAITING, WORKING } from './util.js';
import { onEvent, coalesce } from './live.js';
import { pagination } from './grid.js';

const PAGE = 20;

const myNode = () => session().me.node.id;
const readOnly = () => session().role === 'monitor';

async function count(query) {
  const r = await call('GET', `${node(myNode())}/cases`, null, { ...query, limit: 1 });
  return r.matched || 0;
}

// The counts on top of the queue: 待签收 (cases I hold waiting to be
// signed for), 已超时 (mine past a deadline), 待核查 (resolved, waiting for
// verification).
async function counts() {
  const waiting = await Promise.all(WAITING.map((state) => count({ holding: 1, state })));
  const [overdue, resolved] = await Promise.all([count({ holding: 1, overdue: 1 }), count({ state: 'resolved' })]);
  return { waiting: waiting.reduce((a, b) => a + b, 0), overdue, resolved };
}

export async function queuePage(main) {
  const cat = await categories();
  const filters = { holding: '1', state: '', kind: '', overdue: '', category: '', text: '' };
  let page = 1;
  const countBox = (id, label, color, onclick) => h('div.col',
    h(`button.card.count-card.w-100.text-start.border-${color}`, { type: 'button', id, onclick },
      h('div.card-body.py-2', h('div.small.text-muted', label), h(`div.display-6.text-${color}`, '–'))));
  const setFilters = (f) => {
    Object.assign(filters, f);
    for (const [k, v] of Object.entries(filters)) {
      const el = form.elements[k];
      if (!el) continue;
      if (el.type === 'checkbox') el.checked = v === '1';
      else el.value = v;
    }
    page = 1;
    load();
  };
  const countsRow = h('div.row.g-2.mb-3',
    countBox('count-waiting', '待签收', 'primary', () => setFilters({ holding: '1', state: '', overdue: '' })),
    countBox('count-overdue', '已超时', 'danger', () => setFilters({ holding: '1', state: '', overdue: '1' })),
    countBox('count-resolved', '待核查', 'success', () => setFilters({ holding: '', state: 'resolved', overdue: '' })));
  const form = h('form.row.g-2.mb-3', { id: 'queue-filters' },
    h('div.col-6.col-md-2', select('holding', [['1', '我处理的'], ['', '全部经手']], filters.holding, { 'aria-label': '范围' })),
    h('div.col-6.col-md-2', select('state', [['', '全部状态'], ...Object.entries(STATE).filter(([k]) => k !== 'unknown')],
      '', { 'aria-label': '状态' })),
    h('div.col-6.col-md-2', select('kind', [['', '全部类型'], ...Object.entries(KIND)], '', { 'aria-label': '类型' })),
    h('div.col-6.col-md-3', select('category', [['', '全部类别'], ...cat.list.map((c) => [c.code, c.display])], '',
      { 'aria-label': '类别' })),
    h('div.col-8.col-md-2', h('input.form-control', { name: 'text', type: 'search', placeholder: '搜索内容',
      'aria-label': '搜索' })),
    h('div.col-4.col-md-1.d-flex.align-items-center', h('div.form-check',
      h('input.form-check-input', { type: 'checkbox', name: 'overdue', value: '1', id: 'f-overdue' }),
      h('label.form-check-label', { for: 'f-overdue' }, '超时'))));
  form.addEventListener('change', () => {
    const fd = new FormData(form);
    for (const k of Object.keys(filters)) filters[k] = fd.get(k) || '';
    page = 1;
    load();
  });
  form.addEventListener('submit', (ev) => ev.preventDefault());
  const list = h('div.list-group.mb-2', { id: 'queue' });
  const pager = h('nav', { 'aria-label': '翻页' });
  const summary = h('div.small.text-muted.mb-2', { id: 'queue-summary' });
  const tier = session().me.node.tier;
  const toolbar = h('div.d-flex.justify-content-between.align-items-center.mb-2',
    h('h2.h5.mb-0', '待办队列'),
    h('div.d-flex.gap-2',
      !readOnly() && (tier === 'district' || tier === 'township')
        ? h('a.btn.btn-sm.btn-primary', { href: '#/dispatch', id: 'to-dispatch' }, '派单') : null,
      tier === 'district' ? h('a.btn.btn-sm.btn-outline-primary', { href: '#/appraisals', id: 'to-appraisals' }, '群众评议') : null,
      tier !== 'department' ? h('a.btn.btn-sm.btn-outline-primary', { href: '#/surveys', id: 'to-surveys' }, '调查') : null,
      h('button.btn.btn-sm.btn-outline-secondary', { type: 'button', onclick: () => load() }, '刷新')));
  main.replaceChildren(toolbar, countsRow, form, summary, list, pager);

  let seq = 0;
  async function load() {
    const mine = ++seq;
    const query = { ...filters, limit: PAGE, page };
    const [r, n] = await Promise.all([call('GET', `${node(myNode())}/cases`, null, query), counts()]);
    if (mine !== seq) return; // a newer load is under way
    countsRow.querySelector('#count-waiting .display-6').textContent = n.waiting;
    countsRow.querySelector('#count-overdue .display-6').textContent = n.overdue;
    countsRow.querySelector('#count-resolved .display-6').textContent = n.resolved;
    summary.textContent = `共 ${r.matched || 0} 件`;
    const rows = r.cases.map((c) => h('a.list-group-item.list-group-item-action',
      { href: `#/case/${encodeURIComponent(c.id)}`, dataset: { caseId: c.id, state: c.state } },
      h('div.d-flex.justify-content-between.align-items-start.gap-2',
        h('div.flex-grow-1',
          h('div.fw-semibold', c.category_name || c.category, ' ', h('span.case-id', c.id)),
          h('div.text', c.text),
          h('small.text-muted', KIND[c.kind] || c.kind, ' · ', PRIORITY[c.priority] || '', ' · 来自 ',
            c.originator_name || c.originator, ' · ', localTime(c.created))),
        h('div.text-end.text-nowrap', stateBadge(c.state),
          c.late ? h('div', h('span.badge.text-bg-danger', '已超时')) : null,
          c.deadlines && c.deadlines.due_soon ? h('div', h('span.badge.text-bg-warning', '即将超时')) : null))));
    if (!rows.length) rows.push(h('div.list-group-item.text-muted', '没有符合条件的案件'));
    list.replaceChildren(...rows);
    const pages = Math.max(1, Math.ceil((r.matched || 0) / PAGE));
    pager.replaceChildren(pages > 1 ? pagination(page, pages, (p) => { page = p; load(); }) : '');
  }
  await load();
  return onEvent(coalesce(() => load().catch((e) => toast(`刷新失败：${e.message}`))));
}

// The actions the person at node me may take on case c, as the lifecycle
// allows them (nodes/lifecycle.c): the holder works it, the originator
// verifies it, the assigner answers an extension, a tier above urges.
export function allowedActions(c, me) {
  if (readOnly()) return [];
  const out = [];
  const st = c.state;
  const open = WAITING.includes(st) || WORKING.includes(st);
  if (c.holder === me) {
    if (WAITING.includes(st)) out.push('accept');
    if (st === 'accepted') out.push('start');
    if (WORKING.includes(st)) out.push('resolve');
    if (open && !c.binding) out.push('return');
    if (open) out.push('escalate', 'assign');
    if (WORKING.includes(st) && !c.extension_asked_ms) out.push('extend');
    if (WORKING.includes(st)) out.push('suspend');
    if (st === 'suspended') out.push('resume');
    if (open) out.push('merge');
  }
  if (c.originator === me && st === 'resolved') out.push('verify', 'rework');
  if (c.extension_asked_ms && c.assigned_by === me) out.push('approve', 'refuse');
  if (c.holder !== me && c.holder.startsWith(`${me}.`) && (open || st === 'suspended')) out.push('urge');
  return out;
}

const noteField = (label = '说明', required = false) =>
  field(label, h('textarea.form-control', { name: 'note', rows: 3, required }));

async function below(me) {
  const n = await call('GET', node(me));
  return [...n.children, ...n.departments].map((c) => [c.id, `${c.name}（${c.id}）`]);
}

// The body of action on c, asked in the dialog where it needs more than a
// click; null when cancelled.
async function actionBody(action, c, me) {
  switch (action) {
  case 'resolve':
    return ask('办结', [noteField('办理结果', true)], '办结');
  case 'return': {
    const v = await ask('退回', [field('退回原因', select('reason', Object.entries(REASON), 'not-ours')), noteField()], '退回');
    return v && { reason: v.reason, note: v.note };
  }
  case 'extend': {
    const v = await ask('申请延期', [field('延期（小时）', h('input.form-control', { name: 'hours', type: 'number', min: 1,
      max: 720, value: 24, required: true })), noteField('理由', true)], '申请');
    return v && { by_ms: Number(v.hours) * 3600000, note: v.note };
  }
  case 'assign': {
    const options = await below(me);
    if (!options.length) {
      toast('本单位下没有可指派的单位');
      return null;
    }
    return ask('指派', [field('指派给', select('to', options, options[0][0])), noteField()], '指派');
  }
  case 'merge':
    return ask('合并', [field('合并到案件', h('input.form-control', { name: 'into', required: true,
      placeholder: '案件编号' })), noteField()], '合并');
  case 'rework':
  case 'escalate':
  case 'suspend':
  case 'refuse':
    return ask(ACTION[action], [noteField('原因', action === 'rework')], ACTION[action]);
  default:
    return { note: '' };
  }
}

export async function casePage(main, id) {
  const me = myNode();
  const box = h('div');
  main.replaceChildren(h('a.btn.btn-sm.btn-link.px-0.mb-2', { href: session().role === 'grid' ? '#/grid' : '#/queue' },
    '← 返回'), box);
  let seq = 0;
  async function load() {
    const mine = ++seq;
    const c = await call('GET', `${node(me)}/cases/${encodeURIComponent(id)}`);
    if (mine !== seq) return; // a newer load is under way
    const buttons = allowedActions(c, me).map((a) => h(`button.btn.btn-sm.${a === 'accept' || a === 'resolve' ||
      a === 'verify' ? 'btn-primary' : 'btn-outline-primary'}`, { type: 'button', dataset: { action: a },
      onclick: () => run(c, a) }, ACTION[a]));
    const d = c.deadlines || {};
    const rows = [
      ['类别', named(c.category_name, c.category)], ['类型', KIND[c.kind] || c.kind],
      ['紧急程度', PRIORITY[c.priority] || c.priority], ['当前处理', named(c.holder_name, c.holder)],
      ['发起单位', named(c.originator_name, c.originator)], ['上报时间', localTime(c.created)],
      d.accept ? ['签收期限', localTime(d.accept)] : null, d.resolve ? ['办结期限', localTime(d.resolve)] : null,
    ].filter(Boolean);
    // A photo is public (村务公开) once the holder publishes it.
    const published = new Set((c.history || []).filter((e) => e.action === 'photo-published').map((e) => e.note));
    const photos = (c.attachments || []).map((sha) => h('div.d-flex.flex-column.align-items-start.gap-1',
      h('a', { href: attachmentUrl(me, sha), target: '_blank' },
        h('img.photo-thumb', { src: attachmentUrl(me, sha), alt: '现场照片', loading: 'lazy' })),
      published.has(sha) ? h('span.badge.text-bg-success', '已公开')
        : c.holder === me ? h('button.btn.btn-sm.btn-outline-secondary', { type: 'button', dataset: { publish: sha },
          onclick: () => publish(c, sha) }, '公开') : null));
    const history = (c.history || []).map((e) => h('li.list-group-item.history-item',
      h('div.d-flex.justify-content-between', h('span.fw-semibold', ACTION[e.action] || e.action),
        h('time', { datetime: e.time }, localTime(e.time))),
      h('div.small', named(e.node_name, e.node), e.by ? ` · ${e.by}` : '', ' → ', STATE[e.state] || e.state),
      e.note ? h('div.small.text-muted', e.note) : null));
    const parts = (c.parts || []).map((p) => h('li.list-group-item.d-flex.justify-content-between',
      { dataset: { part: p.id, state: p.state } }, h('span', named(p.holder_name, p.holder), h('span.case-id.ms-2', p.id)),
      h('span', stateBadge(p.state), p.overdue ? h('span.badge.text-bg-danger.ms-1', '已超时') : null)));
    box.replaceChildren(...[
      h('div.card.mb-3', { id: 'case', dataset: { caseId: c.id, state: c.state } }, h('div.card-body',
        h('div.d-flex.justify-content-between.align-items-start',
          h('h2.h5.card-title', c.category_name || c.category, ' ', h('span.case-id', c.id)),
          h('div', stateBadge(c.state), c.late ? h('span.badge.text-bg-danger.ms-1', '已超时') : null,
            d.due_soon ? h('span.badge.text-bg-warning.ms-1', '即将超时') : null)),
        h('p.card-text.text', c.text),
        photos.length ? h('div.d-flex.flex-wrap.gap-2.mb-3', { id: 'case-photos' }, photos) : null,
        h('dl.row.small.mb-2', rows.map(([k, v]) => [h('dt.col-4.col-md-2', k), h('dd.col-8.col-md-4', v)])),
        buttons.length ? h('div.d-flex.flex-wrap.gap-2', { id: 'case-actions' }, buttons) : null)),
      parts.length ? h('div.card.mb-3', h('div.card-header', '各单位进度'), h('ul.list-group.list-group-flush', parts)) : null,
      h('div.card', h('div.card-header', '办理记录'), h('ul.list-group.list-group-flush', { id: 'case-history' }, history)),
    ].filter(Boolean));
  }
  async function publish(c, sha) {
    try {
      await call('POST', `${node(me)}/cases/${encodeURIComponent(c.id)}/actions/publish-photo`, { note: sha });
      toast('照片已公开', 'success');
    } catch (e) {
      toast(`公开照片失败：${e.message}`);
    }
    load();
  }
  async function run(c, action) {
    const body = await actionBody(action, c, me);
    if (!body) return;
    try {
      const r = await call('POST', `${node(me)}/cases/${encodeURIComponent(c.id)}/actions/${action}`, body);
      toast(r.note || `已${ACTION[action]}`, 'success');
    } catch (e) {
      toast(`${ACTION[action]}失败：${e.message}`);
    }
    load();
  }
  await load();
  return onEvent(coalesce(() => load().catch(() => {})));
}

export async function dispatchPage(main) {
  const me = myNode();
  const [cat, info] = await Promise.all([categories(), call('GET', node(me))]);
  const targets = [...info.children, ...info.departments].map((c) => [c.id, `${c.name}（${c.id}）`]);
  const tiers = info.tier === 'district' ? ['township', 'community', 'grid', 'department'] : ['community', 'grid', 'department'];
  const form = h('form.card.card-body.mb-3', { id: 'dispatch-form' },
    h('h2.h5.card-title', '派单'),
    field('类别', select('category', cat.list.map((c) => [c.code, c.display]), '', { required: true })),
    field('任务内容', h('textarea.form-control', { name: 'text', rows: 3, required: true })),
    field('紧急程度', select('priority', Object.entries(PRIORITY), 'normal')),
    h('div.mb-3', h('div.form-label', '派给'),
      h('div.form-check', h('input.form-check-input', { type: 'radio', name: 'mode', value: 'one', id: 'm-one', checked: true }),
        h('label.form-check-label', { for: 'm-one' }, '一个单位')),
      h('div.form-check', h('input.form-check-input', { type: 'radio', name: 'mode', value: 'bulk', id: 'm-bulk' }),
        h('label.form-check-label', { for: 'm-bulk' }, `${info.name}下的每个单位（批量派单）`))),
    field('单位', select('to', targets, targets.length ? targets[0][0] : '')),
    field('层级（批量）', select('tier', tiers.map((t) => [t, TIER[t]]), tiers[0])),
    h('div.row', h('div.col', field('签收时限（小时）', h('input.form-control', { name: 'sign', type: 'number', min: 0, value: 4 }))),
      h('div.col', field('办结时限（小时）', h('input.form-control', { name: 'due', type: 'number', min: 0, value: 72 })))),
    h('button.btn.btn-primary', { type: 'submit' }, '派发'));
  // One node or a tier: only the choice that applies can be changed.
  const mode = () => {
    const bulk = form.elements.mode.value === 'bulk';
    form.elements.to.disabled = bulk;
    form.elements.tier.disabled = !bulk;
  };
  form.addEventListener('change', mode);
  mode();
  const progress = h('div', { id: 'dispatch-progress' });
  main.replaceChildren(h('a.btn.btn-sm.btn-link.px-0.mb-2', { href: '#/queue' }, '← 返回'), form, progress);
  let parent = null;
  let ids = [];
  let seq = 0;
  const follow = async () => {
    if (!parent) return;
    const mine = ++seq;
    const c = await call('GET', `${node(me)}/cases/${encodeURIComponent(parent)}`);
    if (mine !== seq) return; // a newer look is under way
    const parts = c.parts || ids.map((id) => ({ id, state: 'unknown' }));
    const signed = parts.filter((p) => p.signed).length;
    const finished = parts.filter((p) => p.finished).length;
    const bar = (n, label, color) => h('div.mb-2', h('div.small', `${label} ${n}/${parts.length}`),
      h('div.progress', { role: 'progressbar', 'aria-valuenow': n, 'aria-valuemin': 0, 'aria-valuemax': parts.length },
        h(`div.progress-bar.bg-${color}`, { style: `width: ${parts.length ? (100 * n) / parts.length : 0}%` })));
    progress.replaceChildren(h('div.card', h('div.card-header', '派发进度 ', h('a.case-id', { href: `#/case/${parent}` }, parent)),
      h('div.card-body', bar(signed, '已签收', 'info'), bar(finished, '已办结', 'success')),
      h('ul.list-group.list-group-flush', parts.map((p) => h('li.list-group-item.d-flex.justify-content-between',
        { dataset: { part: p.id, state: p.state } },
        h('a', { href: `#/case/${encodeURIComponent(p.id)}` }, named(p.holder_name, p.holder || p.id)),
        h('span', stateBadge(p.state), p.overdue ? h('span.badge.text-bg-danger.ms-1', '已超时') : null))))));
  };
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const fd = new FormData(form);
    const body = { kind: 'task', category: fd.get('category'), text: fd.get('text').trim(), priority: fd.get('priority'),
      sign_within_ms: Number(fd.get('sign') || 0) * 3600000, due_ms: Number(fd.get('due') || 0) * 3600000 };
    if (fd.get('mode') === 'bulk') Object.assign(body, { tier: fd.get('tier'), under: me });
    else body.to = fd.get('to');
    try {
      const r = await call('POST', `${node(me)}/cases`, body);
      parent = r.id;
      ids = r.case_ids || [];
      toast(ids.length ? `已派发 ${ids.length} 个单位` : `已派发：${r.id}`, 'success');
      form.reset();
      mode();
      await follow();
    } catch (e) {
      toast(`派单失败：${e.message}`);
    }
  });
  return onEvent(coalesce(() => follow().catch(() => {})));
}
