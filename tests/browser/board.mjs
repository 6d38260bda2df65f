// board.mjs: what the dashboard's browser scripts share: the environment,
// a headless chromium (Debian's, zh-CN, Beijing time) with a fresh profile
// under WORK_DIR, the district's login on the page, and the run itself: the
// script's steps, a screenshot named FAILED in OUT_DIR when one throws (or
// the page threw), and the exit status.
import { chromium } from 'playwright-core';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';

export const env = (k, d) => {
  const v = process.env[k] || d;
  if (v === undefined) throw new Error(`${k} is not set`);
  return v;
};

const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync'];

// Log in at BASE_URL/ with USER_NAME and PASSWORD and wait for the board.
export async function logIn(page) {
  await page.goto(`${env('BASE_URL')}/`);
  await page.waitForSelector('#login:not(.d-none)', { timeout: 15000 });
  await page.fill('#login input[name=name]', env('USER_NAME'));
  await page.fill('#login input[name=password]', env('PASSWORD'));
  await page.click('#login button[type=submit]');
  await page.waitForSelector('#board:not(.d-none)', { timeout: 15000 });
}

// Runs steps(page, log) in a fresh chromium and exits: 0 when they
// returned and the page threw nothing, 1 otherwise.
export async function run(name, { failed, viewport = { width: 1600, height: 1000 } }, steps) {
  const log = (s) => console.error(`${name}: ${s}`);
  let ctx;
  let status = 0;
  try {
    if (process.env.OUT_DIR) mkdirSync(process.env.OUT_DIR, { recursive: true });
    ctx = await chromium.launchPersistentContext(mkdtempSync(join(env('WORK_DIR'), 'board-')), {
      executablePath: env('CHROMIUM', '/usr/bin/chromium'), headless: true, args: ARGS, locale: 'zh-CN',
      timezoneId: 'Asia/Shanghai', viewport,
    });
    const page = ctx.pages()[0] || (await ctx.newPage());
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await steps(page, log);
    if (errors.length) throw new Error(`the page threw: ${errors.join('; ')}`);
    log('ok');
  } catch (e) {
    status = 1;
    log(`FAIL: ${e.message}`);
    try {
      const p = ctx && ctx.pages()[0];
      if (p && failed && process.env.OUT_DIR) await p.screenshot({ path: join(process.env.OUT_DIR, failed) });
    } catch {
      /* no screenshot */
    }
  } finally {
    if (ctx) await ctx.close();
  }
  process.exit(status);
}
