// grid.js: the grid worker's page (网格员), made for a phone: report an
// incident with photos and the place, and follow my reports: verify
// (核查通过) or send back (返工) what the office resolved. A report that
// cannot be sent is kept as a draft (待发送) and sent when back online.
import { call, node, categories, session } from './api.js';
import { h, field, select, stateBadge, localTime, toast, ask, PRIORITY, KIND } from './util.js';
import { saveDraft, listDrafts, flushDrafts, sendReport, retryable, removeDraft } from './drafts.js';
import { onEvent, coalesce } from './live.js';

const PAGE = 20;

// A camera photo made small enough for a slow uplink: at most 1600 pixels
// on its longer side, JPEG; the file itself when it is small already or
// cannot be decoded here.
async function shrink(file) {
  if (file.size < 300 * 1024 || !window.createImageBitmap) return file;
  try {
    const img = await createImageBitmap(file);
    const scale = Math.min(1, 1600 / Math.max(img.width, img.height));
    const canvas = document.createElement('canvas');
    canvas.width = Math.round(img.width * scale);
    canvas.height = Math.round(img.height * scale);
    canvas.getContext('2d').drawImage(img, 0, 0, canvas.width, canvas.height);
    const blob = await new Promise((resolve) => canvas.toBlob(resolve, 'image/jpeg', 0.8));
    return blob && blob.size < file.size ? blob : file;
  } catch {
    return file;
  }
}

function categoryPicker(cat) {
  return h('select.form-select', { name: 'category', id: 'report-category', required: true },
    h('option', { value: '' }, '请选择类别'),
    cat.kinds.map((k) => h('optgroup', { label: k.name },
      k.subcategories.map((s) => h('option', { value: s.code }, `${s.name}（${s.code}）`)))));
}

export async function gridPage(main) {
  const s = session();
  const me = s.me.node.id;
  const [cat, info] = await Promise.all([categories(), call('GET', node(me))]);
  let place = info.area_centre ? { lat: info.area_centre.lat, lon: info.area_centre.lon, from: 'area' } : null;
  let photos = [];
  let page = 1;

  const where = h('div.form-text', { id: 'report-place' });
  const showPlace = () => {
    where.textContent = place
      ? `${place.from === 'gps' ? '手机定位' : '网格中心（默认）'}：${place.lat.toFixed(5)}, ${place.lon.toFixed(5)}`
      : '未定位';
  };
  const locate = () => {
    if (!navigator.geolocation) return;
    navigator.geolocation.getCurrentPosition((pos) => {
      place = { lat: pos.coords.latitude, lon: pos.coords.longitude, from: 'gps' };
      showPlace();
    }, () => showPlace(), { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
  };
  showPlace();
  locate();

  const thumbs = h('div.d-flex.flex-wrap.gap-2.mt-2', { id: 'report-thumbs' });
  const photoInput = h('input.visually-hidden', { type: 'file', name: 'photos', id: 'report-photos', accept: 'image/*',
    capture: 'environment', multiple: true });
  const renderThumbs = () => {
    thumbs.replaceChildren(...photos.map((p, i) => h('div.position-relative',
      h('img.photo-thumb', { src: URL.createObjectURL(p), alt: `照片${i + 1}` }),
      h('button.btn.btn-sm.btn-light.position-absolute.top-0.end-0', { type: 'button', 'aria-label': '删除照片',
        onclick: () => { photos.splice(i, 1); renderThumbs(); } }, '×'))));
  };
  photoInput.addEventListener('change', async () => {
    for (const f of photoInput.files) photos.push(await shrink(f));
    photoInput.value = '';
    renderThumbs();
  });

  const submit = h('button.btn.btn-primary.w-100', { type: 'submit', id: 'report-submit' }, '上报');
  const form = h('form.card.card-body.mb-3', { id: 'report-form' },
    h('h2.h5.card-title', '上报事件'),
    field('类别', categoryPicker(cat)),
    field('情况描述', h('textarea.form-control', { name: 'text', id: 'report-text', rows: 3, required: true,
      maxlength: 2000, placeholder: '例如：路面塌陷，直径约一米' })),
    field('紧急程度', select('priority', Object.entries(PRIORITY), 'normal', { id: 'report-priority' })),
    h('div.mb-1', h('div.form-label', '现场照片'), photoInput,
      h('label.btn.btn-outline-secondary', { for: 'report-photos' }, '拍照 / 选择照片'),
      h('div.form-text', '可直接拍照，可选多张')), thumbs,
    h('div.mb-3.mt-3', h('div.d-flex.align-items-center.gap-2',
      h('button.btn.btn-outline-secondary.btn-sm', { type: 'button', onclick: locate }, '重新定位'), where)),
    submit);

  const list = h('div.list-group.mb-2', { id: 'my-reports' });
  const pager = h('nav', { 'aria-label': '翻页' });
  main.replaceChildren(form, h('h2.h5.mt-4', '我的上报与任务'), list, pager);

  // The last list the node gave: shown (with the drafts) while it cannot be asked.
  let last = { cases: [], matched: 0 };
  let seq = 0;
  const load = async () => {
    const mine = ++seq;
    const drafts = await listDrafts(s.name);
    let r = last;
    try {
      r = await call('GET', `${node(me)}/cases`, null, { limit: PAGE, page });
    } catch (e) {
      if (!retryable(e)) throw e;
    }
    if (mine !== seq) return; // a newer load is under way: its answer is the one to show
    last = r;
    const rows = drafts.map((d) => h('div.list-group-item', { dataset: { draft: d.id } },
      h('div.d-flex.justify-content-between.align-items-start',
        h('div', h('div.fw-semibold', cat.name(d.body.category) || d.body.category), h('div.text', d.body.text),
          h('small.text-muted', `保存于 ${localTime(d.saved)}`), d.error ? h('div.small.text-danger', d.error) : null),
        h('div.text-end', h(`span.badge.${d.error ? 'text-bg-danger' : 'text-bg-warning'}`, { dataset: { state: 'draft' } },
          d.error ? '发送失败' : '待发送'),
        d.error ? h('button.btn.btn-sm.btn-link', { type: 'button',
          onclick: async () => { await removeDraft(d.id); load(); } }, '删除') : null))));
    const cases = [...r.cases].sort((a, b) => (b.created_ms || 0) - (a.created_ms || 0));
    for (const c of cases) {
      const buttons = c.state === 'resolved' && c.originator === me
        ? [h('button.btn.btn-sm.btn-success', { type: 'button', dataset: { action: 'verify' },
          onclick: (ev) => act(ev, c, 'verify') }, '核查通过'),
          h('button.btn.btn-sm.btn-outline-danger', { type: 'button', dataset: { action: 'rework' },
            onclick: (ev) => act(ev, c, 'rework') }, '返工')]
        : [];
      rows.push(h('div.list-group-item', { dataset: { caseId: c.id, state: c.state } },
        h('div.d-flex.justify-content-between.align-items-start.gap-2',
          h('a.text-reset.text-decoration-none.flex-grow-1', { href: `#/case/${encodeURIComponent(c.id)}` },
            h('div.fw-semibold', c.kind !== 'incident' ? h('span.badge.text-bg-light.me-1', KIND[c.kind] || c.kind) : null,
              c.category_name || c.category, ' ', h('span.case-id', c.id)),
            h('div.text', c.text),
            h('small.text-muted', localTime(c.created), ' · ', c.holder_name || c.holder)),
          h('div.text-end', stateBadge(c.state), c.late ? h('span.badge.text-bg-danger.ms-1', '已超时') : null)),
        buttons.length ? h('div.mt-2.d-flex.gap-2', buttons) : null));
    }
    if (!rows.length) rows.push(h('div.list-group-item.text-muted', '还没有上报'));
    list.replaceChildren(...rows);
    const pages = Math.max(1, Math.ceil((r.matched || 0) / PAGE));
    pager.replaceChildren(pages > 1 ? pagination(page, pages, (p) => { page = p; load(); }) : '');
  };

  async function act(ev, c, action) {
    let body = {};
    if (action === 'rework') {
      const v = await ask('返工', [field('返工原因', h('textarea.form-control', { name: 'note', rows: 3, required: true }))], '返工');
      if (!v) return;
      body = { note: v.note };
    }
    ev.target.disabled = true;
    try {
      await call('POST', `${node(me)}/cases/${encodeURIComponent(c.id)}/actions/${action}`, body);
      toast(action === 'verify' ? '已核查通过，结案' : '已返工', 'success');
    } catch (e) {
      toast(`操作失败：${e.message}`);
    }
    reload();
  }

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const fd = new FormData(form);
    const body = { kind: 'incident', category: fd.get('category'), text: fd.get('text').trim(),
      priority: fd.get('priority') };
    if (place) Object.assign(body, { lat: place.lat, lon: place.lon, located: true });
    submit.disabled = true;
    const keep = async (why) => {
      await saveDraft(s.name, me, body, photos);
      toast(`${why}，已保存为草稿（待发送），联网后自动发送`, 'warning');
    };
    try {
      if (!navigator.onLine) {
        await keep('网络已断开');
      } else {
        const c = await sendReport(me, body, photos);
        toast(`已上报：${c.id}`, 'success');
      }
      form.reset();
      photos = [];
      renderThumbs();
    } catch (e) {
      if (retryable(e)) {
        await keep('发送失败');
        form.reset();
        photos = [];
        renderThumbs();
      } else {
        toast(`上报失败：${e.message}`);
      }
    } finally {
      submit.disabled = false;
      showPlace();
      reload();
    }
  });

  const reload = coalesce(() => load().catch((e) => toast(`刷新失败：${e.message}`)));
  const offEvent = onEvent(reload);
  const online = async () => {
    const n = await flushDrafts(s.name);
    if (n) toast(`已发送 ${n} 条草稿`, 'success');
    reload();
  };
  window.addEventListener('online', online);
  await load();
  online();
  return () => {
    offEvent();
    window.removeEventListener('online', online);
  };
}

// Bootstrap's pagination: previous, a window of pages, next.
export function pagination(page, pages, go) {
  const item = (p, label, disabled, active) => h(`li.page-item${disabled ? '.disabled' : ''}${active ? '.active' : ''}`,
    h('a.page-link', { href: '#', onclick: (ev) => { ev.preventDefault(); if (!disabled) go(p); } }, label));
  const items = [item(page - 1, '上一页', page <= 1)];
  for (let p = Math.max(1, page - 2); p <= Math.min(pages, page + 2); p++) items.push(item(p, String(p), false, p === page));
  items.push(item(page + 1, '下一页', page >= pages));
  return h('ul.pagination.pagination-sm.justify-content-center', items);
}
