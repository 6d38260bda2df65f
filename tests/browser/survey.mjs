// Needs surveys in a real chromium: two residents answer a community's
// survey on /public/survey.html (the list of open surveys, the form of
// every kind, a survey code each); the second use of a code is refused on
// the page. The community's officer signs in to the staff app, opens the
// survey's results (#/survey/ID): the counts in the tables are what the
// residents chose, a chart is drawn for each choice question, the texts
// are listed; 转为任务 on the top need dispatches a task to a grid and
// lands on its case page. Prints the task's ID on stdout.
//
// Environment: BASE_URL (the community's node process), COMMUNITY, GRID,
// SURVEY (its ID), CODES (two survey codes, space-separated), USER and
// PASSWORD (the officer), CHROMIUM, OUT_DIR (screenshots), WORK_DIR.
import { chromium } from 'playwright-core';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';

const env = (k) => {
  if (!process.env[k]) throw new Error(`${k} is not set`);
  return process.env[k];
};
const BASE = env('BASE_URL');
const C = env('COMMUNITY');
const S = env('SURVEY');
const [CODE1, CODE2] = env('CODES').split(' ');
const OUT = env('OUT_DIR');
const WAIT = 20000;
mkdirSync(OUT, { recursive: true });
const log = (s) => console.error(`survey.mjs: ${s}`);

const args = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
let ctx, failed = false;
const problems = [];

async function answer(page, code, choices, shot) {
  await page.goto(`${BASE}/public/survey.html?node=${encodeURIComponent(C)}`);
  await page.click(`[data-survey="${S}"]`);
  await page.waitForSelector('#form:not(.d-none) [data-question="need"]');
  await page.check(`input[name="q-need"][value="${choices.need}"]`);
  for (const k of choices.also) await page.check(`input[name="q-also"][value="${k}"]`);
  await page.check(`input[name="q-sat"][value="${choices.sat}"]`);
  await page.fill('textarea[name="q-say"]', choices.say);
  await page.fill('#code', code);
  if (shot) await page.screenshot({ path: join(OUT, shot), fullPage: true });
  await page.click('#send');
}

try {
  ctx = await chromium.launchPersistentContext(mkdtempSync(join(env('WORK_DIR'), 'survey-')), {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true, args, locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai', viewport: { width: 390, height: 800 },
  });
  const page = ctx.pages()[0] || (await ctx.newPage());
  page.setDefaultTimeout(WAIT);
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));

  await answer(page, CODE1, { need: 1, also: [1, 2], sat: 4, say: '希望增加助餐点' }, 'survey-form.png');
  await page.waitForSelector('#done:not(.d-none)');
  if (!(await page.textContent('#done')).includes('感谢')) throw new Error('no thanks after the first answer');
  await page.screenshot({ path: join(OUT, 'survey-answered.png'), fullPage: true });
  log('the first resident answered');

  await answer(page, CODE1, { need: 2, also: [], sat: 1, say: '再答一次' });
  await page.waitForSelector('#form-error:not(.d-none)');
  const refusal = await page.textContent('#form-error');
  if (!refusal.includes('只能回答一次')) throw new Error(`the reused code: ${refusal}`);
  log('the reused code is refused on the page');

  await answer(page, CODE2, { need: 1, also: [2], sat: 5, say: '楼道灯需要修' });
  await page.waitForSelector('#done:not(.d-none)');
  log('the second resident answered');

  // The officer's results.
  await page.setViewportSize({ width: 1200, height: 900 });
  await page.goto(`${BASE}/`);
  await page.fill('#login-name', env('USER'));
  await page.fill('#login-password', env('PASSWORD'));
  await page.click('#login-submit');
  await page.waitForSelector('#to-surveys');
  await page.click('#to-surveys');
  await page.click(`#survey-list [data-survey="${S}"]`);
  await page.waitForSelector('#survey-answers[data-answers="2"]');
  const count = async (q, k) => page.getAttribute(`[data-question="${q}"] tr[data-option="${k}"]`, 'data-count');
  const want = { need: ['2', '0', '0'], also: ['1', '2', '0'], sat: ['0', '0', '0', '1', '1'] };
  for (const [q, counts] of Object.entries(want))
    for (let k = 0; k < counts.length; k++)
      if ((await count(q, k + 1)) !== counts[k]) throw new Error(`${q} option ${k + 1}: ${await count(q, k + 1)}, expected ${counts[k]}`);
  const charts = await page.evaluate(() => [...document.querySelectorAll('canvas')].filter((c) => window.Chart && window.Chart.getChart(c)).length);
  if (charts !== 3) throw new Error(`${charts} charts drawn, expected 3`);
  const texts = await page.textContent('[data-question="say"]');
  if (!texts.includes('希望增加助餐点') || !texts.includes('楼道灯需要修')) throw new Error(`the texts: ${texts}`);
  await page.screenshot({ path: join(OUT, 'survey-results.png') });
  log('the results match the answers, with charts');

  await page.click('[data-question="need"] [data-task="need:1"]');
  await page.waitForSelector('#dialog.show');
  await page.selectOption('#dialog-body select[name="to"]', env('GRID'));
  await page.selectOption('#dialog-body select[name="category"]', 'services/elderly');
  await page.click('#dialog-ok');
  await page.waitForURL(/#\/case\//);
  const task = decodeURIComponent(page.url().split('#/case/')[1]);
  log(`the need became task ${task}`);
  console.log(task);
  if (problems.length) throw new Error(problems.join('; '));
} catch (e) {
  failed = true;
  log(`FAIL: ${e.message}`);
  try {
    const p = ctx && ctx.pages()[0];
    if (p) await p.screenshot({ path: join(OUT, 'survey-failure.png'), fullPage: true });
  } catch {
    /* no screenshot */
  }
} finally {
  if (ctx) await ctx.close();
}
process.exit(failed ? 1 : 0);
