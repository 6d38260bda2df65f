// app.js: the staff web app's entry. Without a session it shows the login;
// with one, the page the role works on: the grid worker's (#/grid), or the
// office queue (#/queue) with its case pages (#/case/ID) and dispatch
// (#/dispatch), the needs surveys (#/surveys, #/survey/ID), and at the
// district the league tables of 群众评议 (#/appraisals). The live event
// stream of the person's node runs while
// signed in; every page refreshes itself from it.
import { session, login, logout } from './api.js';
import { h, field, toast } from './util.js';
import { startLive, stopLive } from './live.js';
import { gridPage } from './grid.js';
import { queuePage, casePage, dispatchPage } from './office.js';
import { appraisalsPage } from './appraisals.js';
import { surveysPage, surveyPage } from './surveys.js';

const main = document.getElementById('main');
let leave = null; // the shown page's cleanup

function loginPage() {
  const error = h('div.alert.alert-danger.d-none', { id: 'login-error', role: 'alert' });
  const button = h('button.btn.btn-primary.w-100', { type: 'submit', id: 'login-submit' }, '登录');
  const form = h('form.card.card-body.mx-auto', { id: 'login-form', style: 'max-width: 24rem' },
    h('h1.h4.mb-3.text-center', '网格联动工作台'),
    field('账号', h('input.form-control', { name: 'name', id: 'login-name', autocomplete: 'username', required: true,
      autocapitalize: 'none' })),
    field('密码', h('input.form-control', { name: 'password', id: 'login-password', type: 'password',
      autocomplete: 'current-password', required: true })),
    error, button);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const fd = new FormData(form);
    button.disabled = true;
    error.classList.add('d-none');
    try {
      await login(fd.get('name').trim(), fd.get('password'));
      home();
    } catch (e) {
      error.textContent = e.status === 401 ? '账号或密码错误' : `登录失败：${e.message}`;
      error.classList.remove('d-none');
    } finally {
      button.disabled = false;
    }
  });
  main.replaceChildren(form);
}

function header(s) {
  const who = document.getElementById('who');
  const out = document.getElementById('logout');
  if (!s) {
    who.classList.add('d-none');
    out.classList.add('d-none');
    return;
  }
  const me = s.me;
  who.textContent = `${me.display_name || me.name} · ${me.role_label} · ${me.node ? me.node.name : me.scope}`;
  who.classList.remove('d-none');
  out.classList.remove('d-none');
}

let liveFor = null;

// To the start page: the role's, or the login.
function home() {
  if (location.hash === '#/' || location.hash === '') route();
  else location.hash = '#/';
}

async function route() {
  if (leave) {
    leave();
    leave = null;
  }
  const s = session();
  header(s);
  if (!s || !s.me || !s.me.node) {
    stopLive();
    liveFor = null;
    loginPage();
    return;
  }
  if (liveFor !== s.me.node.id) {
    startLive(s.me.node.id);
    liveFor = s.me.node.id;
  }
  const [, page, arg] = (location.hash || '#/').split('/');
  const home = s.role === 'grid' ? 'grid' : 'queue';
  try {
    if (page === 'case' && arg) leave = await casePage(main, decodeURIComponent(arg));
    else if (page === 'dispatch' && s.role !== 'grid') leave = await dispatchPage(main);
    else if (page === 'appraisals' && s.me.node.tier === 'district') leave = await appraisalsPage(main);
    else if (page === 'surveys' && s.role !== 'grid') leave = await surveysPage(main);
    else if (page === 'survey' && arg && s.role !== 'grid') leave = await surveyPage(main, decodeURIComponent(arg));
    else if ((page || home) === 'grid' && s.role === 'grid') leave = await gridPage(main);
    else if (s.role !== 'grid') leave = await queuePage(main);
    else location.hash = `#/${home}`;
  } catch (e) {
    main.replaceChildren(h('div.alert.alert-danger', `页面加载失败：${e.message}`));
  }
}

document.getElementById('logout').addEventListener('click', async () => {
  await logout();
  home();
});
window.addEventListener('gl-logged-out', () => {
  toast('登录已过期，请重新登录');
  route();
});
window.addEventListener('hashchange', route);
const net = () => document.getElementById('net').classList.toggle('d-none', navigator.onLine);
window.addEventListener('online', net);
window.addEventListener('offline', net);
net();
route();
