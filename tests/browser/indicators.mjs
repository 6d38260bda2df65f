// The dashboard's panel of the plan's indicators in a real chromium: after
// the district's login, the panel shows the year's rows, each with the
// value and the verdict the test expects (EXPECT: JSON {id: [value text,
// verdict text]}), the townships' table names each township, and choosing
// a township and a plan year reloads the rows. A screenshot goes to OUT_DIR.
//
// Environment: BASE_URL, USER_NAME, PASSWORD, CHROMIUM, OUT_DIR, WORK_DIR,
// EXPECT, TOWNSHIP (an ID), TOWNSHIP_NAME. Exit status 0 when everything
// was seen, 1 otherwise.
import { env, logIn, run } from './board.mjs';
import { join } from 'node:path';

const OUT = env('OUT_DIR');
const expect = JSON.parse(env('EXPECT'));
await run('indicators.mjs', { failed: 'dashboard-indicators-failed.png' }, async (page, log) => {
  await logIn(page);
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
});
