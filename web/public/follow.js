// follow.js: a request's page by its follow-up code (follow.html?code=...):
// its state, holder, expected time and public steps from
// /public/v1/requests/{code}, and, once it is closed, the rating form,
// posted to .../rate; the answer's thanks replace the form.
const $ = (id) => document.getElementById(id);
const code = (new URLSearchParams(location.search).get('code') || '').trim();

const when = (iso) => (iso ? iso.slice(0, 16).replace('T', ' ') : '—');

function showError(el, text) {
  el.textContent = text;
  el.classList.toggle('d-none', !text);
}

function render(r) {
  $('state').textContent = r.state_label;
  $('state').className = `badge fs-6 ${r.status === 'closed' ? 'text-bg-success' : 'text-bg-warning'}`;
  $('service').textContent = r.service_name;
  $('description').textContent = r.description;
  $('agency').textContent = r.agency_responsible;
  $('requested').textContent = when(r.requested_datetime);
  $('expected').textContent = r.status === 'closed' ? '已办结' : when(r.expected_datetime);
  $('steps').replaceChildren(
    ...r.notes.map((n) => {
      const li = document.createElement('li');
      const t = document.createElement('time');
      t.textContent = when(n.datetime);
      li.append(t, n.description);
      return li;
    }),
  );
  const rated = $('rated');
  if (r.rating) {
    rated.textContent = `您的评价：${r.rating.resolved ? '已解决' : '未解决'}，${r.rating.satisfied ? '满意' : '不满意'}` +
      (r.rating.resolved ? '' : '。已通知重新办理。');
  }
  rated.classList.toggle('d-none', !r.rating);
  $('rate').classList.toggle('d-none', !r.can_rate);
  $('request').classList.remove('d-none');
}

async function load() {
  if (!code) return showError($('error'), '请输入回执码');
  try {
    const res = await fetch(`/public/v1/requests/${encodeURIComponent(code)}`);
    const doc = await res.json().catch(() => ({}));
    if (!res.ok) throw new Error(doc.error?.message || `查询失败（${res.status}）`);
    showError($('error'), '');
    render(doc);
  } catch (e) {
    showError($('error'), e.message || '网络不通，请稍后再试');
  }
}

async function rate(ev) {
  ev.preventDefault();
  const f = ev.target;
  const resolved = f.elements.resolved.value, satisfied = f.elements.satisfied.value;
  if (!resolved || !satisfied) return showError($('rate-error'), '请选择是否解决、是否满意');
  showError($('rate-error'), '');
  $('rate-send').disabled = true;
  try {
    const res = await fetch(`/public/v1/requests/${encodeURIComponent(code)}/rate`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ resolved: resolved === 'yes', satisfied: satisfied === 'yes', note: f.elements.note.value.trim() }),
    });
    const doc = await res.json().catch(() => ({}));
    if (!res.ok) throw new Error(doc.error?.message || `评价失败（${res.status}）`);
    f.classList.add('d-none');
    $('rated').textContent = doc.message;
    $('rated').classList.remove('d-none');
  } catch (e) {
    showError($('rate-error'), e.message || '网络不通，请稍后再试');
  } finally {
    $('rate-send').disabled = false;
  }
}

document.title = `办理进度 ${code} · 网格联动`;
$('rate').addEventListener('submit', rate);
load();
