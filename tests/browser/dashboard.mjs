// The district center's dashboard in a real chromium: the page asks for a
// login and takes the district's monitor account; a case submitted at a
// grid appears among the new reports; when its limits run out it shows as
// an escalation within a second of the escalation, and at the district as a
// red overdue alarm, and its grid turns red on the map; the figures and
// the tree count it. Screenshots of the
// board go to OUT_DIR.
//
// Environment: BASE_URL (the broker's HTTP door), GRIDLINK (the CLI),
// GL_HOME, GRID, DISTRICT (node IDs), USER_NAME, PASSWORD, CHROMIUM,
// OUT_DIR, WORK_DIR. Exit status 0 when everything was seen, 1 otherwise.
import { env, logIn, run } from './board.mjs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

const BASE = env('BASE_URL');
const OUT = env('OUT_DIR');
const GRID = env('GRID');
const D = env('DISTRICT');
const gl = (...a) => execFileSync(env('GRIDLINK'), [a[0], '--home', env('GL_HOME'), ...a.slice(1)], { encoding: 'utf8' });

await run('dashboard.mjs', { failed: 'dashboard-failed.png', viewport: { width: 1600, height: 900 } }, async (page, log) => {
  await logIn(page);
  await page.waitForSelector('#live[data-state=on]', { timeout: 10000 });
  const polygons = await page.locator('#map path.leaflet-interactive').count();
  if (polygons < 2) throw new Error(`the map draws ${polygons} grid areas`);
  log(`logged in; the map draws ${polygons} grid areas`);

  const before = Number(await page.textContent('#f-open'));
  const id = gl('submit', '--node', GRID, '--category', 'urban/roads', '--text', '井盖缺失').trim();
  log(`submitted ${id}`);
  await page.waitForSelector(`#reports li[data-case="${id}"]`, { timeout: 5000 });
  await page.waitForFunction((b) => Number(document.getElementById('f-open').textContent) > b, before, { timeout: 5000 });
  log('the report appears and the open figure grows');

  // The escalation: seen within a second of the event's own time.
  const esc = await page.waitForSelector(`#alarms li.escalated[data-case="${id}"]`, { timeout: 20000, polling: 50 });
  const lateEsc = Date.now() - Number(await esc.getAttribute('data-time'));
  log(`escalation shown ${lateEsc} ms after it happened`);
  if (lateEsc > 1000) throw new Error(`the escalation showed ${lateEsc} ms after it happened`);

  // The overdue alarm at the district, red.
  const od = await page.waitForSelector(`#alarms li.overdue[data-case="${id}"][data-node="${D}"]`, { timeout: 30000, polling: 50 });
  const lateOd = Date.now() - Number(await od.getAttribute('data-time'));
  const colour = await od.evaluate((e) => getComputedStyle(e).borderLeftColor);
  log(`overdue at the district shown ${lateOd} ms after it happened, border ${colour}`);
  if (lateOd > 1000) throw new Error(`the overdue alarm showed ${lateOd} ms after it happened`);
  if (colour !== 'rgb(255, 23, 68)') throw new Error(`the overdue alarm is ${colour}, not red`);
  await page.waitForFunction(() => Number(document.getElementById('f-overdue').textContent) >= 1, null, { timeout: 5000 });
  // The grid where it arose turns red on the map; the other stays green.
  await page.waitForFunction(() => document.querySelectorAll('#map path[fill="#d32f2f"]').length === 1, null, { timeout: 5000 });
  const green = await page.locator('#map path[fill="#2e7d32"]').count();
  if (green !== polygons - 1) throw new Error(`${green} of ${polygons} grids are green, expected all but the one`);
  const own = await page.locator('#tree .row-line.root').textContent();
  log(`the map shows the grid red; the district's own row: ${own}`);
  if (!/1 在办 · 1 超时/.test(own)) throw new Error(`the district's own row reads ${own}`);
  // The monthly report panel: its downloads answer with the session cookie
  // alone, and its chart is drawn.
  await page.waitForFunction(() => document.querySelectorAll('#rep-links a').length === 5, null, { timeout: 5000 });
  await page.waitForFunction(() => document.getElementById('rep-chart').naturalWidth === 1400, null, { timeout: 10000 });
  const downloads = await page.evaluate(async () => Promise.all([...document.querySelectorAll('#rep-links a')].map(
    async (a) => { const r = await fetch(a.href); return `${a.dataset.format} ${r.status} ${r.headers.get('content-type')}`; })));
  log(`report downloads: ${downloads.join('; ')}`);
  if (downloads.some((d) => !/ 200 /.test(d))) throw new Error(`a report download failed: ${downloads.join('; ')}`);
  if (!downloads[0].includes('spreadsheetml')) throw new Error(`the spreadsheet came as ${downloads[0]}`);
  await page.screenshot({ path: join(OUT, 'dashboard-mini.png') });
});
