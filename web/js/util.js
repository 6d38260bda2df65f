// util.js: building the page (h), the Chinese labels of the engine's names,
// local times, and Bootstrap's toasts and modal for messages and questions.

// h('div.card.p-2', {onclick: f}, child, ...): an element; text children are
// text nodes, never HTML.
export function h(spec, attrs, ...children) {
  const [tag, ...classes] = spec.split('.');
  const el = document.createElement(tag || 'div');
  if (classes.length) el.className = classes.join(' ');
  if (attrs && (typeof attrs !== 'object' || attrs instanceof Node || Array.isArray(attrs))) {
    children.unshift(attrs);
    attrs = null;
  }
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? '' : v);
  }
  const add = (c) => {
    if (c === null || c === undefined || c === false) return;
    if (Array.isArray(c)) c.forEach(add);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  };
  children.forEach(add);
  return el;
}

export const STATE = {
  reported: '已上报', accepted: '已受理', in_progress: '处置中', resolved: '待核查', closed: '已结案',
  returned: '已退回', escalated: '已上报上级', assigned: '待签收', suspended: '挂账', arbitration: '待审定',
  merged: '已合并', unknown: '未知',
};
export const STATE_COLOR = {
  reported: 'primary', assigned: 'primary', escalated: 'warning', returned: 'warning', arbitration: 'warning',
  accepted: 'info', in_progress: 'info', suspended: 'secondary', resolved: 'success', closed: 'dark', merged: 'dark',
};
// A case waiting to be signed for (待签收) is in one of these states.
export const WAITING = ['reported', 'escalated', 'assigned', 'returned', 'arbitration'];
export const WORKING = ['accepted', 'in_progress'];
export const KIND = { incident: '事件', request: '诉求', task: '任务', whistle: '吹哨' };
export const PRIORITY = { normal: '一般', urgent: '紧急', emergency: '特急' };
export const REASON = {
  'not-ours': '非本单位职责', 'wrong-location': '属地不符', 'info-missing': '信息不全', duplicate: '重复', other: '其他',
};
export const ACTION = {
  accept: '签收', start: '处置', resolve: '办结', verify: '核查通过', rework: '返工', return: '退回',
  extend: '申请延期', approve: '批准延期', refuse: '不批准延期', suspend: '挂账', resume: '恢复', urge: '督办',
  escalate: '上报', assign: '指派', merge: '合并', rate: '回访评价', close: '结案', reopen: '重办',
  reported: '上报', received: '接收', dispatched: '派发', status: '状态更新', overdue: '超时', escalated: '上报上级',
  resolved: '办结', accepted: '签收', closed: '结案', returned: '退回', assigned: '指派', started: '处置',
  'publish-photo': '公开照片', 'photo-published': '照片已公开',
};
export const TIER = { district: '区', township: '街道', community: '社区', grid: '网格', department: '职能部门' };

// A time as people here read it: local, 24 hours.
export function localTime(iso) {
  if (!iso) return '';
  const d = typeof iso === 'number' ? new Date(iso) : new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return d.toLocaleString('zh-CN', { hour12: false, year: 'numeric', month: '2-digit', day: '2-digit',
    hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

// An ID with its Chinese name beside it.
export function named(name, id) {
  return h('span', name || id, name ? h('span.muted-id', id) : null);
}

export function stateBadge(state) {
  return h(`span.badge.text-bg-${STATE_COLOR[state] || 'secondary'}`, { dataset: { state } }, STATE[state] || state);
}

export function toast(text, kind = 'danger') {
  const el = h(`div.toast.align-items-center.text-bg-${kind}.border-0`, { role: 'alert' },
    h('div.d-flex', h('div.toast-body', text), h('button.btn-close.btn-close-white.me-2.m-auto',
      { type: 'button', 'data-bs-dismiss': 'toast', 'aria-label': '关闭' })));
  document.getElementById('toasts').append(el);
  const t = window.bootstrap.Toast.getOrCreateInstance(el, { delay: kind === 'danger' ? 8000 : 3000 });
  el.addEventListener('hidden.bs.toast', () => el.remove());
  t.show();
}

// ask(title, fields): the modal with the given form controls; resolves to
// the form's values, or null when cancelled.
export function ask(title, fields, okLabel = '确定') {
  const modalEl = document.getElementById('dialog');
  const form = document.getElementById('dialog-form');
  document.getElementById('dialog-title').textContent = title;
  document.getElementById('dialog-ok').textContent = okLabel;
  const body = document.getElementById('dialog-body');
  body.replaceChildren(...fields);
  const modal = window.bootstrap.Modal.getOrCreateInstance(modalEl);
  return new Promise((resolve) => {
    let done = false;
    const submit = (ev) => {
      ev.preventDefault();
      if (!form.reportValidity()) return;
      done = true;
      const values = Object.fromEntries(new FormData(form).entries());
      modal.hide();
      resolve(values);
    };
    form.addEventListener('submit', submit, { once: true });
    modalEl.addEventListener('hidden.bs.modal', () => {
      form.removeEventListener('submit', submit);
      if (!done) resolve(null);
    }, { once: true });
    modal.show();
  });
}

// A labelled form control for ask() and the pages' forms.
export function field(label, control, help) {
  const id = control.id || `f-${Math.random().toString(36).slice(2)}`;
  control.id = id;
  return h('div.mb-3', h('label.form-label', { for: id }, label), control, help ? h('div.form-text', help) : null);
}

export function select(name, options, value, attrs = {}) {
  return h('select.form-select', { name, ...attrs },
    options.map(([v, label]) => h('option', { value: v, selected: v === value }, label)));
}
