/* feed.js: the public page (村务公开) of a community or township: reads
 * /public/v1/feed.json?node=ID[&month=YYYY-MM] and shows the month's
 * figures, the cases and their outcomes and the tasks with the access
 * list. Everything shown is text from the document (textContent only). */
'use strict';

(function () {
  const q = new URLSearchParams(location.search);
  const node = q.get('node') || '';
  const month = q.get('month') || '';
  const $ = (id) => document.getElementById(id);

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  function figure(label, value) {
    const col = el('div', 'col');
    const card = el('div', 'border rounded bg-white p-2 h-100');
    card.append(el('div', 'small text-secondary', label), el('div', 'fs-5', value));
    col.append(card);
    return col;
  }

  function rating(r) {
    if (!r) return '未回访';
    return (r.resolved ? '已解决' : '未解决') + '、' + (r.satisfied ? '满意' : '不满意');
  }

  function item(c, task) {
    const a = el('div', 'list-group-item');
    a.id = c.id;
    const head = el('div', 'd-flex justify-content-between flex-wrap gap-2');
    head.append(el('strong', '', c.group_name + ' · ' + c.category_name),
                el('span', c.state === 'closed' ? 'badge text-bg-success' : 'badge text-bg-secondary', c.outcome));
    a.append(head);
    const facts = [c.kind_label, c.place ? '地点：' + c.place : '', '受理：' + (c.created_local || '-')];
    if (c.closed_local) facts.push('办结：' + c.closed_local + (c.in_time ? '（按时）' : '（超时）'));
    if (task) facts.push(c.on_access_list ? '在准入清单内' : '不在准入清单内');
    else facts.push('回访：' + rating(c.rating));
    a.append(el('div', 'small text-secondary', facts.filter(Boolean).join(' ｜ ')));
    const notes = el('ul', 'small mb-0 mt-1');
    for (const s of c.steps || []) {
      if (s.note) notes.append(el('li', '', s.label + '（' + (s.time_local || '') + '）：' + s.note));
    }
    if (notes.childElementCount) a.append(notes);
    for (const sha of c.photos || []) {
      const img = el('img', 'img-thumbnail mt-2 me-2');
      img.alt = '现场照片';
      img.style.maxHeight = '160px';
      img.src = '/public/v1/photo?node=' + encodeURIComponent(node) + '&case=' + encodeURIComponent(c.id) +
        '&sha=' + encodeURIComponent(sha);
      a.append(img);
    }
    return a;
  }

  function show(doc) {
    document.title = doc.name + ' · 村务公开';
    $('name').textContent = doc.name + ' · 村务公开';
    $('period').textContent = doc.period + '（' + doc.start_local + ' 至 ' + doc.end_local + '）';
    $('month').value = doc.period;
    const f = doc.figures;
    $('figures').replaceChildren(
      figure('受理', f.taken + ' 件'), figure('办结', f.closed + ' 件'),
      figure('按时办结', f.closed_in_time + ' 件' + (f.in_time_rate === null ? '' : '（' + (f.in_time_rate * 100).toFixed(1) + '%）')),
      figure('平均办结用时', f.avg_close_hours === null ? '—' : f.avg_close_hours + ' 小时'),
      figure('回访评价', f.rated + ' 件'), figure('已解决', f.resolved + ' 件'), figure('满意', f.satisfied + ' 件'));
    $('cases').replaceChildren(...(doc.cases.length ? doc.cases.map((c) => item(c, false)) : [el('div', 'list-group-item text-secondary', '本月暂无办件')]));
    $('tasks').replaceChildren(...(doc.tasks.taken.length ? doc.tasks.taken.map((c) => item(c, true)) : [el('div', 'list-group-item text-secondary', '本月暂无任务')]));
    $('refused').textContent = '因不在社区工作准入清单内而未接收的任务：' + doc.tasks.refused + ' 件';
  }

  const feed = '/public/v1/feed.atom?node=' + encodeURIComponent(node) + (month ? '&month=' + encodeURIComponent(month) : '');
  $('atom').href = feed;
  $('atom-link').href = feed;
  $('pick').addEventListener('submit', (ev) => {
    ev.preventDefault();
    location.search = '?node=' + encodeURIComponent(node) + '&month=' + encodeURIComponent($('month').value);
  });
  fetch('/public/v1/feed.json?node=' + encodeURIComponent(node) + (month ? '&month=' + encodeURIComponent(month) : ''))
    .then((r) => (r.ok ? r.json() : r.text().then((t) => Promise.reject(new Error(t)))))
    .then(show)
    .catch((e) => {
      $('error').textContent = '无法读取：' + e.message;
      $('error').classList.remove('d-none');
    });
})();
