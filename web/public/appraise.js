// appraise.js: 群众评议, the residents' appraisal of a unit for this month:
// the tiers and units from /public/v1/appraisal/units (names beside IDs),
// a level of three, the code (评议码 or 回执码) and an optional comment,
// posted to /public/v1/appraisal; the answer's thanks, or its reason in
// Chinese, are shown as they come. A code given with ?code= is filled in.
const $ = (id) => document.getElementById(id);
let tiers = [];

function showError(el, text) {
  el.textContent = text;
  el.classList.toggle('d-none', !text);
}

function radio(name, value, label, checked) {
  const div = document.createElement('div');
  div.className = 'form-check form-check-inline';
  const input = document.createElement('input');
  Object.assign(input, { className: 'form-check-input', type: 'radio', name, value, id: `${name}-${value}`, checked });
  const l = document.createElement('label');
  Object.assign(l, { className: 'form-check-label', htmlFor: input.id, textContent: label });
  div.append(input, l);
  return div;
}

function fillUnits(tier) {
  const group = tiers.find((t) => t.tier === tier);
  $('unit').replaceChildren(
    new Option('请选择', ''),
    ...(group ? group.units : []).map((u) => {
      const where = u.parent_name && group.tier !== 'township' ? `${u.parent_name} · ` : '';
      return new Option(`${where}${u.name}（${u.id}）`, u.id);
    }),
  );
}

async function load() {
  try {
    const res = await fetch('/public/v1/appraisal/units');
    const doc = await res.json().catch(() => ({}));
    if (!res.ok) throw new Error(doc.error?.message || `无法读取评议对象（${res.status}）`);
    tiers = doc.tiers;
    $('period').textContent = doc.period;
    $('tiers').replaceChildren(...tiers.map((t, i) => radio('tier', t.tier, t.label, i === 0)));
    $('levels').replaceChildren(...doc.levels.map((l) => radio('level', String(l.level), l.name, false)));
    fillUnits(tiers[0]?.tier);
    $('appraise').classList.remove('d-none');
  } catch (e) {
    showError($('error'), e.message || '网络不通，请稍后再试');
  }
}

async function send(ev) {
  ev.preventDefault();
  const f = ev.target.elements;
  const unit = f.unit.value, level = f.level.value, code = f.code.value.trim();
  if (!unit) return showError($('send-error'), '请选择评议对象');
  if (!level) return showError($('send-error'), '请选择满意、基本满意或不满意');
  if (!code) return showError($('send-error'), '请输入评议码或回执码');
  showError($('send-error'), '');
  $('send').disabled = true;
  try {
    const res = await fetch('/public/v1/appraisal', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ code, unit, level: Number(level), comment: f.comment.value.trim() }),
    });
    const doc = await res.json().catch(() => ({}));
    if (!res.ok) throw new Error(doc.error?.message || `提交失败（${res.status}）`);
    $('appraise').classList.add('d-none');
    $('done').textContent = `${doc.message}：您对${doc.unit_name}（${doc.unit}）${doc.period}的评价是“${doc.level_name}”。`;
    $('done').classList.remove('d-none');
    $('again').classList.remove('d-none');
  } catch (e) {
    showError($('send-error'), e.message || '网络不通，请稍后再试');
  } finally {
    $('send').disabled = false;
  }
}

$('tiers').addEventListener('change', (ev) => fillUnits(ev.target.value));
$('appraise').addEventListener('submit', send);
$('again').addEventListener('click', () => {
  $('done').classList.add('d-none');
  $('again').classList.add('d-none');
  $('appraise').elements.comment.value = '';
  for (const r of $('appraise').elements.level) r.checked = false;
  $('appraise').classList.remove('d-none');
});
const given = new URLSearchParams(location.search).get('code');
if (given) $('code').value = given;
load();
