// The dashboard's panel of the plan's indicators in a real chromium: after
// the district's login, the panel shows the year's rows, each with the
// value and the verdict the test expects (EXPECT: JSON {id: [value text,
// verdict text]}), the townships' table names each township, and choosing
// a township and a plan year reloads the rows. A screenshot goes to OUT_DIR.
//
// Environment: BASE_URL, USER_NAME, PASSWORD, CHROMIUM, OUT_DIR, WORK_DIR,
// EXPECT, TOWNSHIP (an ID), TOWNSHIP_NAME. Exit status 0 when everything
// was seen, 1 otherwise.
import { chromium } from 'playwright-core';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';

const env = (k) => {
  if (!process.env[k]) throw new Error(`${k} is not set`);
  return process.env[k];
};
const OUT = env('OUT_DIR');
mkdirSync(OUT, { recursive: true });
const log = (s) => console.error(`indicators.mjs: ${s}`);
const expect = JSON.parse(env('EXPECT'));
const args = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync'];
let ctx;
let failed = false;
try {
  ctx = await chromium.launchPersistentContext(mkdtempSync(join(env('WORK_DIR'), 'ind-')), {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true, args, locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai', viewport: { width: 1600, height: 1000 },
  });
  const page = ctx.pages()[0] || (await ctx.newPage());
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`${env('BASE_URL')}/`);
  await page.waitForSelector('#login:not(.d-none)', { timeout: 10000 });
  await page.fill('#login input[name=name]', env('USER_NAME'));
  await page.fill('#login input[name=password]', env('PASSWORD'));
  await page.click('#login button[type=submit]');
  await page.waitForSelector('#board:not(.d-none)', { timeout: 10000 });
  await page.waitForSelector('#indicators tr[data-id]', { timeout: 10000 });
  for (const [id, [value, verdict]] of Object.entries(expect)) {
    const row = page.locator(`#indicators tr[data-id="${id}"]`);
    await row.waitFor({ timeout: 5000 });
    const cells = await row.locator('td').allTextContents();
    log(`${id}: ${cells.join(' | ')}`);
    if (cells[1] !== value || cells[3] !== verdict) throw new Error(`${id} reads ${cells.join(' | ')}, expected ${value} and ${verdict}`);
  }
  const title = await page.textContent('#indicators tr[data-id="harmonious_community_rate"] td.name');
  if (!title.includes('高标准城乡和谐社区创建率')) throw new Error(`the harmonious row is named ${title}`);
  const towns = await page.locator('.ind-towns tbody tr td.name').allTextContents();
  if (!towns.includes(env('TOWNSHIP_NAME'))) throw new Error(`the townships' table names ${towns.join(', ')}`);
  await page.screenshot({ path: join(OUT, 'dashboard-indicators.png') });
  // One township, in the plan's first year.
  await page.selectOption('#ind-unit', env('TOWNSHIP'));
  await page.selectOption('#ind-year', '2017');
  await page.waitForFunction((n) => document.getElementById('ind-note').textContent.startsWith(`${n} · 2017年`), env('TOWNSHIP_NAME'), { timeout: 5000 });
  const target = await page.textContent('#indicators tr[data-id="harmonious_community_rate"] td:nth-child(3)');
  if (target !== '25%') throw new Error(`the 2017 target of 和谐社区 reads ${target}, not 25%`);
  if (await page.locator('.ind-towns').count()) throw new Error('a township shows the townships table');
  log('a township in 2017: its rows with 2017 targets');
  if (errors.length) throw new Error(`the page threw: ${errors.join('; ')}`);
  log('ok');
} catch (e) {
  failed = true;
  log(`FAIL: ${e.message}`);
  try {
    const p = ctx && ctx.pages()[0];
    if (p) await p.screenshot({ path: join(OUT, 'dashboard-indicators-failed.png') });
  } catch {
    /* no screenshot */
  }
} finally {
  if (ctx) await ctx.close();
}
process.exit(failed ? 1 : 0);
