// drafts.js: reports that could not be sent (offline, or the node did not
// answer) kept in IndexedDB with their photos, and sent when the browser is
// back online. A draft is {id, user, node, body, photos: [Blob], saved}.
import { call, node, ApiError } from './api.js';

const DB = 'gridlink';
const STORE = 'drafts';

function open() {
  return new Promise((resolve, reject) => {
    const rq = indexedDB.open(DB, 1);
    rq.onupgradeneeded = () => rq.result.createObjectStore(STORE, { keyPath: 'id' });
    rq.onsuccess = () => resolve(rq.result);
    rq.onerror = () => reject(rq.error);
  });
}

async function tx(mode, fn) {
  const db = await open();
  return new Promise((resolve, reject) => {
    const t = db.transaction(STORE, mode);
    const out = fn(t.objectStore(STORE));
    t.oncomplete = () => {
      db.close();
      resolve(out && 'result' in out ? out.result : undefined);
    };
    t.onerror = () => {
      db.close();
      reject(t.error);
    };
  });
}

export async function saveDraft(user, nodeId, body, photos) {
  const id = `${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
  await tx('readwrite', (s) => s.put({ id, user, node: nodeId, body, photos, saved: Date.now() }));
  return id;
}

export async function listDrafts(user) {
  const all = (await tx('readonly', (s) => s.getAll())) || [];
  return all.filter((d) => d.user === user).sort((a, b) => a.saved - b.saved);
}

export const removeDraft = (id) => tx('readwrite', (s) => s.delete(id));

// A network failure or a node that cannot answer now: worth keeping for later.
export function retryable(e) {
  return !(e instanceof ApiError) || e.status >= 500 || e.status === 429;
}

// Upload the photos, then report the case; the new case.
export async function sendReport(nodeId, body, photos) {
  const hashes = [];
  for (const p of photos) {
    const r = await call('POST', `${node(nodeId)}/attachments`, p);
    hashes.push(r.sha256);
  }
  const full = hashes.length ? { ...body, attachments: hashes } : body;
  return call('POST', `${node(nodeId)}/cases`, full);
}

let flushing = false;
// Send every draft of user; those that fail again stay. The number sent.
export async function flushDrafts(user) {
  if (flushing || !navigator.onLine) return 0;
  flushing = true;
  let sent = 0;
  try {
    for (const d of (await listDrafts(user)).filter((x) => !x.error)) {
      try {
        await sendReport(d.node, d.body, d.photos || []);
        await removeDraft(d.id);
        sent++;
      } catch (e) {
        if (retryable(e)) break; // still offline: keep the rest in order
        // refused for good (a category since removed, a photo too large):
        // kept with the reason, for the person to see and delete
        await tx('readwrite', (s) => s.put({ ...d, error: e.message }));
      }
    }
  } finally {
    flushing = false;
  }
  return sent;
}
