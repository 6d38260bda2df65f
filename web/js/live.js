// live.js: the node's event stream (GET /api/v1/nodes/{node}/events,
// text/event-stream). Every event of a case is passed to the listener; the
// badge in the navigation bar says whether the stream is open (实时) or
// reconnecting. EventSource reconnects by itself and resumes from the last
// event's id.
import { node } from './api.js';

const KINDS = ['reported', 'received', 'accepted', 'started', 'resolved', 'closed', 'reworked', 'reopened',
  'returned', 'assigned', 'dispatched', 'arbitration', 'extension-asked', 'extended', 'extension-refused',
  'suspended', 'resumed', 'urged', 'merged', 'rated', 'escalated', 'overdue', 'escalation-pending',
  'access-refused', 'request-refused', 'status', 'due-soon', 'photo-published'];

let source = null;
let listeners = new Set();

function badge(state) {
  const el = document.getElementById('live');
  el.classList.remove('d-none', 'text-bg-success', 'text-bg-warning', 'text-bg-secondary');
  const look = { open: ['text-bg-success', '实时'], connecting: ['text-bg-warning', '连接中'],
    off: ['text-bg-secondary', '离线'] }[state];
  el.classList.add(look[0]);
  el.textContent = look[1];
  el.dataset.state = state;
}

// Without network the stream is gone, whatever EventSource has noticed yet.
window.addEventListener('offline', () => {
  if (source) badge('off');
});
window.addEventListener('online', () => {
  if (source) badge(source.readyState === EventSource.OPEN ? 'open' : 'connecting');
});

export function startLive(nodeId) {
  stopLive();
  badge('connecting');
  source = new EventSource(`/api/v1${node(nodeId)}/events`, { withCredentials: true });
  source.onopen = () => badge('open');
  source.onerror = () => badge(source && source.readyState === EventSource.CLOSED ? 'off' : 'connecting');
  const deliver = (ev) => {
    let data = null;
    try {
      data = JSON.parse(ev.data);
    } catch {
      return;
    }
    for (const fn of listeners) fn(data);
  };
  for (const k of KINDS) source.addEventListener(k, deliver);
  source.onmessage = deliver;
}

export function stopLive() {
  if (source) source.close();
  source = null;
  const el = document.getElementById('live');
  if (el) el.classList.add('d-none');
}

// onEvent(fn): fn(event) for every event until the returned function is called.
export function onEvent(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

// A function that runs fn at most once per `ms`, the last call winning, so
// that a burst of events reloads a page once.
export function coalesce(fn, ms = 300) {
  let timer = null;
  return () => {
    if (timer) return;
    timer = setTimeout(() => {
      timer = null;
      fn();
    }, ms);
  };
}
