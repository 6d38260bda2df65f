// A picture of the district center's dashboard: logs in with a district
// account, waits until the board is live, its open figure has reached
// MIN_OPEN and its overdue figure MIN_OVERDUE (the load has built up), and
// saves a screenshot to OUT.
//
// Environment: BASE_URL (the broker's HTTP door), USER_NAME, PASSWORD,
// CHROMIUM, OUT (the PNG), WORK_DIR, MIN_OPEN (default 1), MIN_OVERDUE
// (default 0), WIDTH, HEIGHT.
import { chromium } from 'playwright-core';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';

const env = (k, d) => {
  const v = process.env[k] ?? d;
  if (v === undefined) throw new Error(`${k} is not set`);
  return v;
};
const args = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync'];
const ctx = await chromium.launchPersistentContext(mkdtempSync(join(env('WORK_DIR'), 'shot-')), {
  executablePath: env('CHROMIUM', '/usr/bin/chromium'), headless: true, args, locale: 'zh-CN',
  timezoneId: 'Asia/Shanghai',
  viewport: { width: Number(env('WIDTH', '1920')), height: Number(env('HEIGHT', '1080')) },
});
let status = 0;
try {
  const page = ctx.pages()[0] || (await ctx.newPage());
  await page.goto(`${env('BASE_URL')}/`);
  await page.waitForSelector('#login:not(.d-none)', { timeout: 15000 });
  await page.fill('#login input[name=name]', env('USER_NAME'));
  await page.fill('#login input[name=password]', env('PASSWORD'));
  await page.click('#login button[type=submit]');
  await page.waitForSelector('#live[data-state=on]', { timeout: 15000 });
  await page.waitForFunction(([o, d]) => Number(document.getElementById('f-open').textContent) >= o &&
    Number(document.getElementById('f-overdue').textContent) >= d,
  [Number(env('MIN_OPEN', '1')), Number(env('MIN_OVERDUE', '0'))], { timeout: 900000, polling: 500 });
  await page.screenshot({ path: env('OUT') });
  console.error(`shot.mjs: ${env('OUT')}`);
} catch (e) {
  console.error(`shot.mjs: ${e.message}`);
  status = 1;
} finally {
  await ctx.close();
}
process.exit(status);
