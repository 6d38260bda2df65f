// 群众评议 in a real chromium: a resident on a phone opens
// /public/appraise.html, picks the township tier and 三井街道, 满意, types an
// appraisal ticket (评议码) in lower case with a hyphen, and sends; the
// thanks name the unit and the level. "评议其他单位" brings the form back:
// 第二街道, 不满意, with the same ticket. The same ticket on 三井街道 again is
// refused in Chinese on the page. Then the district's monitor signs in to
// the staff web app, opens 群众评议 from the queue, and the township table
// shows both units ranked with their counts and 满意率, 三井街道 on the red
// list and 第二街道 on the black; the comment appears nowhere.
//
// Environment: BASE_URL (the district's node process), TICKET (a ticket of
// this month), STAFF_NAME and STAFF_PASSWORD (a monitor at the district),
// CHROMIUM, OUT_DIR (screenshots), WORK_DIR (the browser profile). Exit
// status 0 when everything was seen, 1 otherwise.
import { chromium } from 'playwright-core';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';

const env = (k) => {
  if (!process.env[k]) throw new Error(`${k} is not set`);
  return process.env[k];
};
const BASE = env('BASE_URL');
const OUT = env('OUT_DIR');
const WORK = env('WORK_DIR');
const TICKET = env('TICKET');
const WAIT = 20000;
const COMMENT = '窗口排队时间太长';
mkdirSync(OUT, { recursive: true });
const log = (s) => console.error(`appraisal.mjs: ${s}`);

const args = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
let ctx, failed = false;
const problems = [];

async function appraise(page, unit, level, code, comment) {
  await page.check('#tier-township');
  await page.locator(`#unit option[value="${unit}"]`).waitFor({ state: 'attached' });
  await page.selectOption('#unit', unit);
  await page.check(`#level-${level}`);
  await page.fill('#code', code);
  await page.fill('#comment', comment || '');
  await page.click('#send');
}

try {
  ctx = await chromium.launchPersistentContext(mkdtempSync(join(WORK, 'appraisal-')), {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true, args, locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai', viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true,
  });
  const page = ctx.pages()[0] || (await ctx.newPage());
  page.setDefaultTimeout(WAIT);
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/409/.test(m.text())) problems.push(`console: ${m.text()}`);
  });

  await page.goto(`${BASE}/public/appraise.html`);
  await page.locator('#appraise').waitFor();
  const option = await page.textContent('#unit option[value="xinbei.sanjing"]');
  if (!option.includes('三井街道') || !option.includes('xinbei.sanjing')) throw new Error(`the unit is shown as '${option}'`);
  const typed = `${TICKET.slice(0, 6).toLowerCase()}-${TICKET.slice(6).toLowerCase()}`;
  await appraise(page, 'xinbei.sanjing', 3, typed, COMMENT);
  await page.locator('#done', { hasText: '三井街道' }).waitFor();
  const thanks = await page.textContent('#done');
  if (!thanks.includes('满意') || !thanks.includes('感谢')) throw new Error(`the thanks: '${thanks}'`);
  await page.screenshot({ path: join(OUT, 'appraisal-done.png'), fullPage: true });
  log(`appraised 三井街道: ${thanks}`);

  await page.click('#again');
  await appraise(page, 'xinbei.t2', 1, TICKET);
  await page.locator('#done', { hasText: '第二街道' }).waitFor();
  await page.click('#again');
  await appraise(page, 'xinbei.sanjing', 2, TICKET);
  await page.locator('#send-error', { hasText: '一次' }).waitFor();
  if (!(await page.locator('#done').isHidden())) throw new Error('a second appraisal of one unit was thanked for');
  await page.screenshot({ path: join(OUT, 'appraisal-twice.png'), fullPage: true });
  log('a second appraisal of 三井街道 with the ticket is refused on the page');

  // The district's league table in the staff web app.
  await page.goto(`${BASE}/`);
  await page.fill('#login-name', env('STAFF_NAME'));
  await page.fill('#login-password', env('STAFF_PASSWORD'));
  await page.click('#login-submit');
  await page.click('#to-appraisals');
  await page.waitForURL(/#\/appraisals/);
  const row = (u) => page.locator(`#appraisal-table tr[data-unit="${u}"]`);
  await row('xinbei.t2').waitFor();
  const first = (await row('xinbei.sanjing').innerText()).replace(/\s+/g, ' ');
  const second = (await row('xinbei.t2').innerText()).replace(/\s+/g, ' ');
  if (!/^1 三井街道/.test(first) || !first.includes('100.0%') || !first.includes('100.00')) throw new Error(`三井街道's row: '${first}'`);
  if (!/^2 第二街道/.test(second) || !second.includes('0.0%')) throw new Error(`第二街道's row: '${second}'`);
  await page.locator('#red-list [data-unit="xinbei.sanjing"]').waitFor();
  await page.locator('#black-list [data-unit="xinbei.t2"]').waitFor();
  if ((await page.locator('body').innerText()).includes(COMMENT)) throw new Error('the comment is shown');
  await page.screenshot({ path: join(OUT, 'appraisal-table.png'), fullPage: true });
  log(`the league table: '${first}', '${second}'; red 三井街道, black 第二街道`);
  if (problems.length) throw new Error(`the page reported errors:\n${problems.join('\n')}`);
} catch (e) {
  failed = true;
  log(`FAIL: ${e.message}`);
  for (const p of problems) log(p);
  const page = ctx?.pages()[0];
  if (page) await page.screenshot({ path: join(OUT, 'failed-appraisal.png'), fullPage: true }).catch(() => {});
} finally {
  if (ctx) await ctx.close().catch(() => {});
}
process.exit(failed ? 1 : 0);
