// The dashboard's KPIs in a real chromium: after a login with the
// district's monitor account, the district's KPI table shows the
// numerators, denominators and values that the test computed itself from
// the nodes' logs (WANT); a click on the community in the league shows the
// community's; a click on an alarm opens the case as the node holding it
// has it; a case signed for while the page is open moves the district's
// 响应率 without a reload.
//
// Environment: BASE_URL, GRIDLINK, GL_HOME, USER_NAME, PASSWORD, CHROMIUM,
// OUT_DIR, WORK_DIR, WANT ({district: counters, community: counters}),
// DISTRICT, COMMUNITY, GRID (a grid of COMMUNITY), CASE (a case with an
// alarm), CASE_HOLDER (its holder's ID). Exit status 0 when all was seen.
import { env, logIn, run } from './board.mjs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

const log = (s) => console.error(`kpi.mjs: ${s}`);
const OUT = env('OUT_DIR');
const WANT = JSON.parse(env('WANT'));
const gl = (...a) => execFileSync(env('GRIDLINK'), [a[0], '--home', env('GL_HOME'), ...a.slice(1)], { encoding: 'utf8' });

// Each KPI the test checks, from the counters the logs gave.
const PAIRS = {
  response: ['signed_in_time', 'dispatched'],
  closure: ['closed', 'due'],
  closure_in_time: ['closed_in_time', 'due'],
  solved: ['rated_resolved', 'rated'],
  satisfied: ['rated_satisfied', 'rated'],
  return_rate: ['returns', 'dispatched'],
};
const shown = (n, d) => (d > 0 ? `${((n / d) * 100).toFixed(1)}%` : '—');

async function table(page) {
  return page.$$eval('#kpi-sum tbody tr', (rows) => Object.fromEntries(rows.map((r) => [r.dataset.kpi,
    { num: Number(r.dataset.num), den: Number(r.dataset.den), text: r.querySelector('td.v').textContent }])));
}

async function expectTable(page, want, what) {
  const got = await table(page);
  for (const [k, [n, d]] of Object.entries(PAIRS)) {
    const g = got[k];
    if (!g) throw new Error(`${what}: no row for ${k}`);
    if (g.num !== want[n] || g.den !== want[d] || g.text !== shown(want[n], want[d])) {
      throw new Error(`${what} ${k}: page ${g.num}/${g.den} "${g.text}", logs ${want[n]}/${want[d]} "${shown(want[n], want[d])}"`);
    }
  }
  log(`${what}: ${Object.keys(PAIRS).map((k) => `${k} ${got[k].num}/${got[k].den} ${got[k].text}`).join(', ')}`);
}

await run('kpi.mjs', { failed: 'dashboard-kpi-failed.png' }, async (page) => {
  await logIn(page);
  await page.waitForSelector('#kpi-sum tbody tr[data-kpi=response]', { timeout: 10000 });
  const D = env('DISTRICT');
  const heading = await page.textContent('#kpi-unit-name');
  if (!heading.includes(`（${D}）`) || !heading.includes('新北区')) throw new Error(`the KPI table is of ${heading}`);
  await expectTable(page, WANT.district, 'district');

  // The community's row in the league, then its own table.
  const C = env('COMMUNITY');
  const row = await page.waitForSelector(`#kpi-league tr[data-unit="${C}"]`, { timeout: 5000 });
  const rowText = await row.textContent();
  if (!rowText.includes('三井街道第一社区') || !rowText.includes(C)) throw new Error(`the league row reads ${rowText}`);
  await row.click();
  await page.waitForFunction((c) => document.getElementById('kpi-unit-name').textContent.includes(c), C, { timeout: 5000 });
  await expectTable(page, WANT.community, 'community');
  const red = await page.locator('#kpi-red li').count();
  const excluded = await page.textContent('#kpi-excluded');
  log(`league: red list ${red}, excluded: ${excluded}`);
  await page.screenshot({ path: join(OUT, 'dashboard-kpi.png') });

  // Click-through: the alarm's case, from the node that holds it.
  const id = env('CASE');
  await page.click(`#alarms li[data-case="${id}"]`);
  await page.waitForSelector(`#case-view:not(.d-none)[data-case="${id}"]`, { timeout: 5000 });
  const meta = await page.textContent('#case-meta');
  if (!meta.includes(`（${env('CASE_HOLDER')}）`)) throw new Error(`the case view reads ${meta}`);
  const steps = await page.locator('#case-history li').count();
  log(`case ${id}: ${meta}; ${steps} steps`);
  if (steps < 2) throw new Error(`the case shows ${steps} steps`);
  await page.click('#case-close');

  // Live: a case signed for at once moves the district's 响应率.
  const before = WANT.district;
  await page.reload(); // the district's table again
  await page.waitForSelector('#kpi-sum tbody tr[data-kpi=response]', { timeout: 10000 });
  const nid = gl('submit', '--node', env('GRID'), '--category', 'urban/roads', '--text', '垃圾满溢').trim();
  for (let i = 0; i < 50; i++) {
    try {
      gl('act', '--node', C, nid, 'accept');
      break;
    } catch {
      await page.waitForTimeout(100); // not at the community yet
    }
  }
  const n = before.signed_in_time + 1;
  const d = before.dispatched + 1;
  await page.waitForFunction(([n1, d1]) => {
    const r = document.querySelector('#kpi-sum tr[data-kpi=response]');
    return r && Number(r.dataset.num) === n1 && Number(r.dataset.den) === d1;
  }, [n, d], { timeout: 10000, polling: 100 });
  log(`case ${nid} signed for: the district's 响应率 shows ${n}/${d} without a reload`);
});
