// surveys.js: the unit's needs surveys (需求调查) in the staff web app:
// #/surveys lists the surveys of the person's node and of its subtree
// (their tallies climb the tree) and publishes a new one; #/survey/ID shows
// a survey's results with charts (Chart.js, Debian's libjs-chart.js served
// under /lib/chart.js/), the texts residents wrote (the unit's staff only),
// survey codes issued on request, closing, and 转为任务: a need dispatched
// as a task to a node below.
import { call, node, session, categories } from './api.js';
import { h, field, select, toast, ask, localTime, named } from './util.js';

const myNode = () => session().me.node.id;
const readOnly = () => session().role === 'monitor' || session().role === 'grid';
const UNIT_TIERS = ['district', 'township', 'community'];
// Closed, or past its closing time.
const ended = (s) => s.closed || (s.closes && Date.parse(s.closes) <= Date.now());

let chartLib = null;
// Chart.js, loaded once (its UMD build sets window.Chart).
function chartJs() {
  if (!chartLib) {
    chartLib = new Promise((resolve, reject) => {
      const s = document.createElement('script');
      s.src = '/lib/chart.js/chart.min.js';
      s.onload = () => resolve(window.Chart);
      s.onerror = () => reject(new Error('图表库加载失败'));
      document.head.append(s);
    });
  }
  return chartLib;
}

export async function surveysPage(main) {
  const r = await call('GET', `${node(myNode())}/surveys`);
  const tier = session().me.node.tier;
  const list = h('div.list-group.mb-3', { id: 'survey-list' },
    r.surveys.length ? r.surveys.map((s) => h('a.list-group-item.list-group-item-action',
      { href: `#/survey/${encodeURIComponent(s.id)}`, dataset: { survey: s.id, answers: s.answers } },
      h('div.d-flex.justify-content-between',
        h('span.fw-bold', s.title),
        h(`span.badge.text-bg-${ended(s) ? 'secondary' : 'success'}`, ended(s) ? '已结束' : '进行中')),
      h('div.small.text-muted', named(s.unit_name, s.unit), ` · 答卷 ${s.answers} 份 · 发布于 ${localTime(s.created)}`)))
      : h('div.list-group-item.text-muted', '还没有调查'));
  const form = !readOnly() && UNIT_TIERS.includes(tier) ? publishForm() : null;
  main.replaceChildren(...[
    h('div.d-flex.justify-content-between.align-items-center.mb-2', h('h2.h5.mb-0', '需求调查'),
      h('a.btn.btn-sm.btn-link', { href: '#/queue' }, '← 待办队列')),
    list, form].filter(Boolean));
  return null;
}

// A new survey: title, intro, closing time and the questions as lines.
function publishForm() {
  const form = h('form.card.card-body', { id: 'survey-publish' },
    h('h3.h6.card-title', '发布调查'),
    field('标题', h('input.form-control', { name: 'title', required: true, maxlength: 100 })),
    field('说明', h('textarea.form-control', { name: 'intro', rows: 2, maxlength: 2000 })),
    field('截止时间（选填）', h('input.form-control', { name: 'closes', type: 'datetime-local' })),
    field('问题', h('textarea.form-control.font-monospace', { name: 'questions', rows: 6, required: true,
      placeholder: 'single*|您最需要哪项服务？|老年助餐|托育服务|停车位\nscale|对社区服务的满意度\ntext|其他建议' }),
    '每行一题：类型|题目|选项1|选项2…；类型为 single（单选）、multi（多选）、scale（1-5 评分）、number（数值）、text（文字），类型后加 * 为必答。'),
    h('button.btn.btn-primary', { type: 'submit' }, '发布'));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const fd = new FormData(form);
    const questions = fd.get('questions').split('\n').map((l) => l.trim()).filter(Boolean).map((line, i) => {
      const [kind, text, ...options] = line.split('|').map((p) => p.trim());
      const q = { id: `q${i + 1}`, kind: kind.replace('*', ''), text, required: kind.endsWith('*') };
      if (options.length) q.options = options;
      return q;
    });
    const body = { title: fd.get('title').trim(), intro: fd.get('intro').trim(), questions };
    if (fd.get('closes')) body.closes = new Date(fd.get('closes')).toISOString();
    try {
      const s = await call('POST', `${node(myNode())}/surveys`, body);
      toast('调查已发布', 'success');
      location.hash = `#/survey/${encodeURIComponent(s.id)}`;
    } catch (e) {
      toast(`发布失败：${e.message}`);
    }
  });
  return form;
}

const COLORS = ['#0d6efd', '#20c997', '#ffc107', '#dc3545', '#6f42c1', '#fd7e14', '#198754', '#0dcaf0', '#d63384',
  '#6c757d'];

function chartFor(Chart, canvas, q) {
  const labels = q.kind === 'scale' ? ['1 分', '2 分', '3 分', '4 分', '5 分'] : q.options;
  const colors = labels.map((_, k) => COLORS[k % COLORS.length]);
  return new Chart(canvas, {
    type: q.kind === 'single' ? 'pie' : 'bar',
    data: { labels, datasets: [{ label: '人数', data: q.counts, backgroundColor: colors }] },
    options: { animation: false, responsive: true, maintainAspectRatio: false,
      plugins: { legend: { display: q.kind === 'single' } },
      scales: q.kind === 'single' ? {} : { y: { beginAtZero: true, ticks: { precision: 0 } } } },
  });
}

function questionCard(s, q, i, own, Chart, charts) {
  const body = h('div.card-body');
  const head = h('div.card-header.d-flex.justify-content-between.align-items-center',
    h('span', `${i + 1}. ${q.text} `, h('small.text-muted', `（${q.kind_label}${q.required ? '，必答' : ''}）`)),
    h('span.small', { dataset: { answered: q.answered } }, `${q.answered} 人回答`));
  if (q.counts) {
    const table = h('table.table.table-sm.mb-2', h('tbody',
      (q.kind === 'scale' ? [1, 2, 3, 4, 5].map((v) => `${v} 分`) : q.options).map((label, k) =>
        h('tr', { dataset: { option: k + 1, count: q.counts[k] } }, h('td', label), h('td.text-end', `${q.counts[k]}`),
          own && !readOnly() && q.kind !== 'scale'
            ? h('td.text-end', h('button.btn.btn-sm.btn-outline-primary', { type: 'button', dataset: { task: `${q.id}:${k + 1}` },
              onclick: () => toTask(s, q, k + 1) }, '转为任务')) : null))));
    const canvas = h('canvas');
    body.append(h('div.chart-box', { style: 'height: 14rem' }, canvas), table);
    if (Chart) charts.push(chartFor(Chart, canvas, q));
  }
  if (q.mean !== undefined && q.mean !== null)
    body.append(h('p.mb-1', { dataset: { mean: q.mean } }, `平均 ${q.mean.toFixed(2)}`, q.kind === 'number' ? `（最小 ${q.min}，最大 ${q.max}）` : ''));
  if (q.texts) body.append(h('ul.small.mb-0', q.texts.length ? q.texts.map((t) => h('li', t)) : h('li.text-muted', '暂无')));
  if (own && !readOnly() && !q.counts)
    body.append(h('button.btn.btn-sm.btn-outline-primary.mt-2', { type: 'button', dataset: { task: q.id }, onclick: () => toTask(s, q, 0) }, '转为任务'));
  return h('div.card.mb-3', { dataset: { question: q.id } }, head, body);
}

async function toTask(s, q, option) {
  const [cat, info] = await Promise.all([categories(), call('GET', node(myNode()))]);
  const targets = info.children.map((c) => [c.id, `${c.name}（${c.id}）`]);
  if (!targets.length) return toast('本单位没有下级单位可派');
  const what = option ? `「${q.options[option - 1]}」` : '';
  const v = await ask('转为任务', [
    h('p.small.text-muted', `问题「${q.text}」${what}`),
    field('任务标题', h('input.form-control', { name: 'title', value: `落实居民需求：${option ? q.options[option - 1] : q.text}`, maxlength: 200 })),
    field('类别', select('category', cat.list.map((c) => [c.code, c.display]), '', { required: true })),
    field('派给', select('to', targets, targets[0][0])),
  ], '派发');
  if (!v) return;
  try {
    const t = await call('POST', `${node(myNode())}/surveys/${encodeURIComponent(s.id)}/task`,
      { question: q.id, option: option || undefined, to: v.to, category: v.category, title: v.title });
    toast(`已派发任务 ${t.id}`, 'success');
    location.hash = `#/case/${encodeURIComponent(t.id)}`;
  } catch (e) {
    toast(`派发失败：${e.message}`);
  }
}

export async function surveyPage(main, id) {
  const s = await call('GET', `${node(myNode())}/surveys/${encodeURIComponent(id)}`);
  const own = s.unit === myNode();
  const Chart = await chartJs().catch(() => null);
  const charts = [];
  const publicUrl = `${location.origin}/public/survey.html?node=${encodeURIComponent(s.unit)}&id=${encodeURIComponent(s.id)}`;
  const tools = own && !readOnly() ? h('div.d-flex.gap-2.mb-3',
    !s.closed ? h('button.btn.btn-sm.btn-outline-primary', { type: 'button', id: 'survey-tickets', onclick: async () => {
      const v = await ask('发放调查码', [field('数量', h('input.form-control', { name: 'count', type: 'number', min: 1, max: 1000, value: 20, required: true }))], '生成');
      if (!v) return;
      try {
        const r = await call('POST', `${node(myNode())}/surveys/${encodeURIComponent(s.id)}/tickets`, { count: Number(v.count) });
        codes.replaceChildren(h('div.alert.alert-info', h('div.small.mb-1', '调查码只显示这一次，请打印或抄下后发放：'),
          h('pre.mb-0', { id: 'survey-codes' }, r.codes.join('\n'))));
      } catch (e) {
        toast(`生成失败：${e.message}`);
      }
    } }, '发放调查码') : null,
    !s.closed ? h('button.btn.btn-sm.btn-outline-danger', { type: 'button', id: 'survey-close', onclick: async () => {
      try {
        await call('POST', `${node(myNode())}/surveys/${encodeURIComponent(s.id)}/close`, {});
        toast('调查已结束', 'success');
        surveyPage(main, id);
      } catch (e) {
        toast(`操作失败：${e.message}`);
      }
    } }, '结束调查') : null) : null;
  const codes = h('div');
  main.replaceChildren(...[
    h('a.btn.btn-sm.btn-link.px-0.mb-2', { href: '#/surveys' }, '← 全部调查'),
    h('h2.h5', s.title, ' ', h(`span.badge.text-bg-${ended(s) ? 'secondary' : 'success'}`, ended(s) ? '已结束' : '进行中')),
    h('p.small.text-muted', named(s.unit_name, s.unit), ` · ${s.id} · 发布于 ${localTime(s.created)}`,
      s.closes ? ` · 截止 ${localTime(s.closes)}` : ''),
    h('p', s.intro),
    h('p', { id: 'survey-answers', dataset: { answers: s.answers } }, `答卷 ${s.answers} 份，已发放调查码 ${s.tickets} 个`),
    own ? h('p.small', '居民填写地址：', h('a', { href: publicUrl, target: '_blank' }, publicUrl)) : null,
    tools, codes,
    ...s.questions.map((q, i) => questionCard(s, q, i, own, Chart, charts)),
    s.tasks.length ? h('div.card.mb-3', h('div.card-header', '已转为任务'),
      h('ul.list-group.list-group-flush', s.tasks.map((t) => h('a.list-group-item', { href: `#/case/${encodeURIComponent(t)}` }, t)))) : null,
  ].filter(Boolean));
  return () => charts.forEach((c) => c.destroy());
}
