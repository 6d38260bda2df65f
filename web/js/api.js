// api.js: the staff API (/api/v1) of the node process that served this
// page. The session (token, account) is kept in sessionStorage, so it ends
// with the tab; GET requests also carry the login's cookie (images, the
// event stream), writes always the bearer token.

const KEY = 'gl.session';

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export function session() {
  try {
    const s = JSON.parse(sessionStorage.getItem(KEY) || 'null');
    if (s && s.expires && Date.parse(s.expires) <= Date.now()) return null;
    return s;
  } catch {
    return null;
  }
}

export function setSession(s) {
  if (s) sessionStorage.setItem(KEY, JSON.stringify(s));
  else sessionStorage.removeItem(KEY);
}

// call('GET', '/nodes/x/cases', null, {state: 'resolved'}): the answer's
// JSON; an ApiError for an error answer; a TypeError when the network fails.
export async function call(method, path, body, query) {
  const s = session();
  const headers = {};
  if (s) headers.Authorization = `Bearer ${s.token}`;
  let data;
  if (body instanceof Blob) {
    headers['Content-Type'] = body.type || 'application/octet-stream';
    data = body;
  } else if (body !== undefined && body !== null) {
    headers['Content-Type'] = 'application/json';
    data = JSON.stringify(body);
  }
  let url = `/api/v1${path}`;
  if (query) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') q.set(k, v);
    const qs = q.toString();
    if (qs) url += `?${qs}`;
  }
  const res = await fetch(url, { method, headers, body: data, credentials: 'same-origin' });
  let json = null;
  try {
    json = await res.json();
  } catch {
    json = null;
  }
  if (!res.ok) {
    const e = json && json.error ? json.error : { code: `http-${res.status}`, message: res.statusText };
    if (res.status === 401 && !path.startsWith('/login')) {
      setSession(null);
      window.dispatchEvent(new Event('gl-logged-out'));
    }
    throw new ApiError(res.status, e.code, e.message);
  }
  return json;
}

export const node = (id) => `/nodes/${encodeURIComponent(id)}`;

export async function login(name, password) {
  const r = await call('POST', '/login', { name, password });
  setSession({ token: r.token, expires: r.expires, name: r.name, role: r.role, scope: r.scope });
  const me = await call('GET', '/me');
  const s = { ...session(), me };
  setSession(s);
  return s;
}

export async function logout() {
  try {
    await call('POST', '/logout', {});
  } catch {
    // the session ends here whatever the node says
  }
  setSession(null);
}

let catalogue = null;
// The category catalogue, asked once: {list: [{code, display}], name(code)}.
export async function categories() {
  if (!catalogue) {
    const r = await call('GET', '/categories');
    const list = [];
    for (const k of r.categories) {
      for (const s of k.subcategories) list.push({ code: s.code, display: s.display, kind: k.name });
    }
    const names = new Map(list.map((c) => [c.code, c.display]));
    for (const k of r.categories) names.set(k.code, k.name);
    catalogue = { kinds: r.categories, list, name: (code) => names.get(code) || '' };
  }
  return catalogue;
}

export const attachmentUrl = (nodeId, sha) => `/api/v1${node(nodeId)}/attachments/${encodeURIComponent(sha)}`;
