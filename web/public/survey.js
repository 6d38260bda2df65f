// survey.js: the residents' survey page. survey.html?node=N lists the open
// surveys of unit N (/public/v1/surveys?node=N); ?node=N&id=S shows survey
// S as a form (单选 radios, 多选 checkboxes, 1-5 评分, a number, a text), takes
// a survey code (调查码) or follow-up code (回执码), posts the answers to
// /public/v1/surveys/N/S/answers and shows the thanks or the reason it was
// refused.
const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const node = (params.get('node') || '').trim();
const id = (params.get('id') || '').trim();

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) if (v !== undefined && v !== false) e.setAttribute(k, v === true ? '' : v);
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
}

function showError(box, text) {
  box.textContent = text;
  box.classList.toggle('d-none', !text);
}

const local = (iso) => {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '' : d.toLocaleString('zh-CN', { hour12: false });
};

async function getJson(url) {
  const res = await fetch(url);
  const doc = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(doc.error?.message || `加载失败（${res.status}）`);
  return doc;
}

async function showList() {
  const doc = await getJson(`/public/v1/surveys?node=${encodeURIComponent(node)}`);
  $('heading').textContent = `${doc.node_name} · 需求调查`;
  $('list-unit').textContent = `${doc.node_name}（${doc.node}）进行中的调查`;
  $('surveys').replaceChildren(...doc.surveys.map((s) => el('a', {
    class: 'list-group-item list-group-item-action',
    href: `?node=${encodeURIComponent(node)}&id=${encodeURIComponent(s.id)}`,
    'data-survey': s.id,
  }, el('div', { class: 'fw-bold' }, s.title), el('small', { class: 'text-muted' },
    s.closes ? `截止 ${local(s.closes)}` : '长期有效'))));
  $('none').classList.toggle('d-none', doc.surveys.length > 0);
  $('list').classList.remove('d-none');
}

function question(q, i) {
  const name = `q-${q.id}`;
  const box = el('fieldset', { class: 'card card-body mb-3', 'data-question': q.id, 'data-kind': q.kind });
  box.append(el('legend', { class: 'fs-6 fw-bold' }, `${i + 1}. ${q.text}`, q.required ? el('span', { class: 'text-danger' }, ' *') : '',
    el('small', { class: 'text-muted fw-normal' }, `（${q.kind_label}）`)));
  const choice = (type, label, value, k, inline) => {
    const cid = `${name}-${k}`;
    return el('div', { class: inline ? 'form-check form-check-inline text-nowrap' : 'form-check' },
      el('input', { class: 'form-check-input', type, name, id: cid, value }),
      el('label', { class: 'form-check-label', for: cid }, label));
  };
  if (q.kind === 'single' || q.kind === 'multi') {
    q.options.forEach((o, k) => box.append(choice(q.kind === 'single' ? 'radio' : 'checkbox', o, k + 1, k)));
  } else if (q.kind === 'scale') {
    const row = el('div');
    for (let v = 1; v <= 5; v++) row.append(choice('radio', `${v} 分`, v, v, true));
    box.append(row, el('div', { class: 'form-text' }, '1 分最低，5 分最高'));
  } else if (q.kind === 'number') {
    box.append(el('input', { class: 'form-control', type: 'number', name, step: 'any', inputmode: 'decimal' }));
  } else {
    box.append(el('textarea', { class: 'form-control', name, rows: 3, maxlength: 1000 }));
  }
  return box;
}

// The form's answers as {qid: value}; questions left blank are left out.
function answers(def, form) {
  const out = {};
  for (const q of def.questions) {
    const name = `q-${q.id}`;
    if (q.kind === 'multi') {
      const v = [...form.querySelectorAll(`input[name="${name}"]:checked`)].map((i) => Number(i.value));
      if (v.length) out[q.id] = v;
    } else if (q.kind === 'single' || q.kind === 'scale') {
      const v = form.querySelector(`input[name="${name}"]:checked`);
      if (v) out[q.id] = Number(v.value);
    } else {
      const v = form.elements[name].value.trim();
      if (v !== '') out[q.id] = q.kind === 'number' ? Number(v) : v;
    }
  }
  return out;
}

async function showSurvey() {
  const def = await getJson(`/public/v1/surveys/${encodeURIComponent(node)}/${encodeURIComponent(id)}`);
  document.title = `${def.title} · 需求调查`;
  $('heading').textContent = `${def.unit_name} · 需求调查`;
  $('title').textContent = def.title;
  $('meta').textContent = `${def.unit_name}（${def.unit}）发布` + (def.closes ? `，截止 ${local(def.closes)}` : '');
  $('intro').textContent = def.intro;
  $('questions').replaceChildren(...def.questions.map(question));
  if (params.get('code')) $('code').value = params.get('code');
  $('survey').classList.remove('d-none');
  if (!def.open) {
    $('form').classList.add('d-none');
    showError($('error'), '该调查已结束，感谢关注。');
    return;
  }
  $('form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const form = ev.target;
    const missing = def.questions.find((q) => q.required && !(q.id in answers(def, form)));
    if (missing) return showError($('form-error'), `请回答必答题「${missing.text}」`);
    const code = form.elements.code.value.trim();
    if (!code) return showError($('form-error'), '请输入调查码或回执码');
    showError($('form-error'), '');
    $('send').disabled = true;
    try {
      const res = await fetch(`/public/v1/surveys/${encodeURIComponent(node)}/${encodeURIComponent(id)}/answers`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ code, answers: answers(def, form) }),
      });
      const doc = await res.json().catch(() => ({}));
      if (!res.ok) throw new Error(doc.error?.message || `提交失败（${res.status}）`);
      form.classList.add('d-none');
      $('done').textContent = doc.message;
      $('done').classList.remove('d-none');
    } catch (e) {
      showError($('form-error'), e.message || '网络不通，请稍后再试');
    } finally {
      $('send').disabled = false;
    }
  });
}

(async () => {
  try {
    if (!node) throw new Error('请从社区发布的链接或二维码打开本页（缺少单位）');
    if (id) await showSurvey();
    else await showList();
  } catch (e) {
    showError($('error'), e.message || '网络不通，请稍后再试');
  }
})();
