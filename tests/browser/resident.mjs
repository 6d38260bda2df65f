// Residents' pages in a real chromium, as a resident uses them on a phone
// without an account: the request is filed on /public/ (a category from
// the catalogue, a description, the phone's position and an address text,
// a name and a phone), the answer shows the follow-up code (回执码) and
// leads to the request's page, which shows it taken and held by the
// community. The staff work it to closed with the CLI where it belongs;
// the page then offers the rating, the resident answers "not resolved, not
// satisfied", and the case reopens at its holder (重办: in progress, one
// reopen); the page shows the rating and the reopened state. The page never
// shows the reporter's name or phone.
//
// Environment: BASE_URL (the district's node process), GRIDLINK (the CLI),
// GL_HOME (the home), DISTRICT and COMMUNITY (node IDs), CHROMIUM, OUT_DIR
// (screenshots), WORK_DIR (the browser profile). Exit status 0 when
// everything was seen, 1 otherwise.
import { chromium } from 'playwright-core';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';

const env = (k) => {
  if (!process.env[k]) throw new Error(`${k} is not set`);
  return process.env[k];
};
const BASE = env('BASE_URL');
const OUT = env('OUT_DIR');
const WORK = env('WORK_DIR');
const D = env('DISTRICT');
const C = env('COMMUNITY');
const WAIT = 20000;
const NAME = '王丽';
const PHONE = '13900001111';
mkdirSync(OUT, { recursive: true });
const log = (s) => console.error(`resident.mjs: ${s}`);

const gl = (...a) => execFileSync(env('GRIDLINK'), [a[0], '--home', env('GL_HOME'), ...a.slice(1)], { encoding: 'utf8' });
const show = (node, id) => JSON.parse(gl('show', '--node', node, id, '--json'));

// Until pred holds for the case at node (read again every 100 ms), or fail.
async function caseUntil(node, id, pred, what) {
  const end = Date.now() + WAIT;
  let c;
  for (;;) {
    try {
      c = show(node, id);
      if (pred(c)) return c;
    } catch {
      /* not there yet */
    }
    if (Date.now() > end) throw new Error(`${what}: at ${node}, ${id} is ${JSON.stringify(c && { state: c.state, holder: c.holder })}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function private_(page, when) {
  const text = await page.locator('body').innerText();
  if (text.includes(NAME) || text.includes(PHONE) || text.includes('丽')) {
    throw new Error(`${when}: the page shows the reporter's name or phone`);
  }
}

const args = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
let ctx, failed = false;
const problems = [];
try {
  ctx = await chromium.launchPersistentContext(mkdtempSync(join(WORK, 'resident-')), {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true, args, locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai', viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true,
    geolocation: { latitude: 31.87, longitude: 119.955 }, permissions: ['geolocation'],
  });
  const page = ctx.pages()[0] || (await ctx.newPage());
  page.setDefaultTimeout(WAIT);
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });

  // File it.
  await page.goto(`${BASE}/public/`);
  await page.locator('#service option[value="urban/lighting"]').waitFor({ state: 'attached' });
  await page.selectOption('#service', 'urban/lighting');
  await page.fill('#description', '小区门口路灯不亮已三天');
  await page.fill('#address', '晋陵北路88号');
  await page.click('#locate');
  await page.locator('#where', { hasText: '已定位' }).waitFor();
  await page.click('summary');
  await page.fill('#name', NAME);
  await page.fill('#phone', PHONE);
  await page.click('#send');
  await page.locator('#done').waitFor();
  const code = (await page.textContent('#code')).trim();
  if (!/^[2-9A-HJ-NP-Z]{12}$/.test(code)) throw new Error(`the follow-up code shown is '${code}'`);
  await page.screenshot({ path: join(OUT, 'resident-filed.png'), fullPage: true });
  log(`filed; follow-up code ${code}`);

  // Follow it.
  await page.click('#follow');
  await page.waitForURL(/follow\.html\?code=/);
  await page.locator('#agency', { hasText: '三井街道第一社区' }).waitFor();
  const first = (await page.textContent('#state')).trim();
  if (!/[\u4e00-\u9fff]/.test(first)) throw new Error(`the state is not in Chinese: '${first}'`);
  if (!(await page.locator('#rate').isHidden())) throw new Error('the rating is offered before the case is closed');
  await private_(page, 'the request just filed');
  const r = await (await page.request.get(`${BASE}/public/v1/requests/${code}`)).json();
  const id = r.service_request_id;
  log(`the page shows ${id} ${first}, held by 三井街道第一社区`);

  // The staff work it to closed where it belongs.
  await caseUntil(C, id, (c) => c.history.at(-1).action === 'received', `${C} has it`);
  gl('act', '--node', C, id, 'accept', '--note', '已签收');
  gl('act', '--node', C, id, 'resolve', '--note', '已更换灯泡');
  await caseUntil(D, id, (c) => c.state === 'resolved', 'the district sees it resolved');
  gl('act', '--node', D, id, 'verify', '--note', '回访核实');
  await caseUntil(D, id, (c) => c.state === 'closed', "the district's copy is closed");

  // The resident rates it: not resolved.
  await page.reload();
  await page.locator('#rate').waitFor();
  await page.locator('#steps', { hasText: '已更换灯泡' }).waitFor();
  await private_(page, 'the closed request');
  await page.screenshot({ path: join(OUT, 'resident-closed.png'), fullPage: true });
  await page.check('#resolved-no');
  await page.check('#satisfied-no');
  await page.fill('textarea[name="note"]', '晚上还是不亮');
  await page.click('#rate-send');
  await page.locator('#rated', { hasText: '重新办理' }).waitFor();
  const c = await caseUntil(C, id, (x) => x.state === 'in_progress' && x.holder === C && x.counters?.reopens === 1 &&
    x.rating && x.rating.resolved === false, `${C} reopens it (重办)`);
  log(`rated not resolved: ${id} is ${c.state} at ${c.holder}, reopens ${c.counters.reopens}`);
  await caseUntil(D, id, (x) => x.state === 'in_progress' && x.rating, 'the district sees it reopened');

  // The page shows the rating and the reopened state, and no more rating.
  await page.reload();
  await page.locator('#rated', { hasText: '未解决' }).waitFor();
  if (!(await page.locator('#rate').isHidden())) throw new Error('the rating is offered a second time');
  if ((await page.textContent('#state')).trim() === first) throw new Error('the state did not change');
  await private_(page, 'the reopened request');
  await page.screenshot({ path: join(OUT, 'resident-follow.png'), fullPage: true });
  log(`screenshots in ${OUT}`);
  if (problems.length) throw new Error(`the page reported errors:\n${problems.join('\n')}`);
} catch (e) {
  failed = true;
  log(`FAIL: ${e.message}`);
  for (const p of problems) log(p);
  const page = ctx?.pages()[0];
  if (page) await page.screenshot({ path: join(OUT, 'failed-resident.png'), fullPage: true }).catch(() => {});
} finally {
  if (ctx) await ctx.close().catch(() => {});
}
process.exit(failed ? 1 : 0);
