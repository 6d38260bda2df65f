// A picture of the district center's dashboard: logs in with a district
// account, waits until the board is live, its open figure has reached
// MIN_OPEN and its overdue figure MIN_OVERDUE (the load has built up), and
// saves a screenshot to OUT.
//
// Environment: BASE_URL (the broker's HTTP door), USER_NAME, PASSWORD,
// CHROMIUM, OUT (the PNG), WORK_DIR, MIN_OPEN (default 1), MIN_OVERDUE
// (default 0), WIDTH, HEIGHT.
import { env, logIn, run } from './board.mjs';

const viewport = { width: Number(env('WIDTH', '1920')), height: Number(env('HEIGHT', '1080')) };
await run('shot.mjs', { viewport }, async (page, log) => {
  await logIn(page);
  await page.waitForSelector('#live[data-state=on]', { timeout: 15000 });
  await page.waitForFunction(([o, d]) => Number(document.getElementById('f-open').textContent) >= o &&
    Number(document.getElementById('f-overdue').textContent) >= d,
  [Number(env('MIN_OPEN', '1')), Number(env('MIN_OVERDUE', '0'))], { timeout: 900000, polling: 500 });
  await page.screenshot({ path: env('OUT') });
  log(env('OUT'));
});
