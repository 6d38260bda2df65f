// file.js: the residents' page to file a request (index.html). Categories
// come from Open311's services; the form posts to /public/v1/requests as
// Open311's form, with the phone's position when the resident asks for it,
// and the answer's follow-up code is shown with a link to its page.
const $ = (id) => document.getElementById(id);
let position = null;

async function loadServices() {
  const sel = $('service');
  try {
    const res = await fetch('/open311/v2/services.json');
    if (!res.ok) throw new Error(String(res.status));
    const groups = new Map();
    for (const s of await res.json()) {
      if (!groups.has(s.group)) groups.set(s.group, []);
      groups.get(s.group).push(s);
    }
    sel.replaceChildren(new Option('请选择', ''));
    for (const [name, list] of groups) {
      const g = document.createElement('optgroup');
      g.label = name;
      for (const s of list) g.append(new Option(s.service_name, s.service_code));
      sel.append(g);
    }
  } catch {
    sel.replaceChildren(new Option('类别加载失败，请刷新', ''));
  }
}

function locate() {
  const where = $('where');
  if (!navigator.geolocation) {
    where.textContent = '此设备不能定位，请填写地点';
    return;
  }
  where.textContent = '正在定位…';
  navigator.geolocation.getCurrentPosition(
    (p) => {
      position = { lat: p.coords.latitude.toFixed(6), long: p.coords.longitude.toFixed(6) };
      where.textContent = `已定位（${position.lat}, ${position.long}）`;
    },
    () => {
      where.textContent = '定位失败，请填写地点';
    },
    { enableHighAccuracy: true, timeout: 15000 },
  );
}

function showError(text) {
  $('error').textContent = text;
  $('error').classList.toggle('d-none', !text);
}

async function send(ev) {
  ev.preventDefault();
  const f = ev.target;
  const body = new URLSearchParams();
  for (const k of ['service_code', 'description', 'address_string', 'last_name', 'phone']) {
    const v = f.elements[k].value.trim();
    if (v) body.set(k, v);
  }
  if (position) {
    body.set('lat', position.lat);
    body.set('long', position.long);
  }
  if (!body.get('service_code')) return showError('请选择问题类别');
  if (!body.get('description')) return showError('请填写问题描述');
  if (!position && !body.get('address_string')) return showError('请定位或填写地点');
  showError('');
  $('send').disabled = true;
  try {
    const res = await fetch('/public/v1/requests', { method: 'POST', body });
    const doc = await res.json().catch(() => ({}));
    if (!res.ok) throw new Error(doc.error?.message || `提交失败（${res.status}）`);
    $('code').textContent = doc.code;
    $('follow').href = doc.url;
    f.classList.add('d-none');
    $('done').classList.remove('d-none');
  } catch (e) {
    showError(e.message || '网络不通，请稍后再试');
  } finally {
    $('send').disabled = false;
  }
}

$('locate').addEventListener('click', locate);
$('file').addEventListener('submit', send);
loadServices();
