// The staff web app in a real chromium, as two people use it on their own
// devices: the grid worker reports an incident with a photo from the
// phone, the community officer sees it arrive in the queue live (no
// reload), signs for it and resolves it, and the grid worker's page shows
// it waiting for verification (待核查), again live. Then the grid worker's
// phone loses the network: a report with a photo is kept as a draft
// (待发送) and goes out by itself, photo and all, when the network is back.
// Last, the township officer dispatches a task to every grid (批量派单) and
// sees the grid worker's part signed for.
//
// Environment: GRID_URL, OFFICE_URL and TOWN_URL (the node processes' base
// URLs), GRID_USER/GRID_PASSWORD, OFFICE_USER/OFFICE_PASSWORD and
// TOWN_USER/TOWN_PASSWORD, CHROMIUM (the
// browser), OUT_DIR (screenshots and the photo), WORK_DIR (browser
// profiles). Exit status 0 when everything was seen, 1 otherwise.
import { chromium } from 'playwright-core';
import { mkdirSync, writeFileSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';

const env = (k) => {
  if (!process.env[k]) throw new Error(`${k} is not set`);
  return process.env[k];
};
const GRID_URL = env('GRID_URL');
const OFFICE_URL = env('OFFICE_URL');
const OUT = env('OUT_DIR');
const WORK = env('WORK_DIR');
const WAIT = 20000; // ms for anything the pages should show
mkdirSync(OUT, { recursive: true });

const log = (...a) => console.error(new Date().toISOString().slice(11, 23), 'browser:', ...a);

// A small PNG (a 96x64 picture of stripes), made here so that the test
// needs no binary fixture.
function png(width, height) {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buf) => {
    let c = 0xffffffff;
    for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const sum = Buffer.alloc(4);
    sum.writeUInt32BE(crc(td));
    return Buffer.concat([len, td, sum]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  const rows = [];
  for (let y = 0; y < height; y++) {
    const row = Buffer.alloc(1 + width * 3);
    for (let x = 0; x < width; x++) {
      const band = Math.floor((x + y) / 12) % 3;
      row[1 + x * 3] = band === 0 ? 200 : 60;
      row[2 + x * 3] = band === 1 ? 160 : 70;
      row[3 + x * 3] = band === 2 ? 90 : 50;
    }
    rows.push(row);
  }
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.concat(rows))), chunk('IEND', Buffer.alloc(0))]);
}

const args = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

// One person's browser: its own chromium with a fresh profile
// (--user-data-dir), so that the two people's logins never meet.
async function device(name, options) {
  const ctx = await chromium.launchPersistentContext(mkdtempSync(join(WORK, `${name}-`)), {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true, args, locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai', ...options,
  });
  const page = ctx.pages()[0] || (await ctx.newPage());
  page.setDefaultTimeout(WAIT);
  const problems = [];
  page.on('pageerror', (e) => problems.push(`${name}: page error: ${e.message}`));
  page.on('console', (m) => {
    // (a browser without network says so for every request it cannot make)
    if (m.type() === 'error' && !m.text().includes('ERR_INTERNET_DISCONNECTED')) {
      problems.push(`${name}: console: ${m.text()}`);
    }
  });
  return { ctx, page, problems };
}

async function signIn(page, base, user, password) {
  await page.goto(`${base}/`);
  if (!page.url().endsWith('/app/')) throw new Error(`${base}/ led to ${page.url()}, not /app/`);
  await page.fill('#login-name', user);
  await page.fill('#login-password', password);
  await page.click('#login-submit');
}

// The page has not been loaded again since mark(): a live change, not a reload.
const mark = (page) => page.evaluate(() => { window.__glMark = 'still here'; });
async function notReloaded(page, what) {
  const m = await page.evaluate(() => window.__glMark);
  if (m !== 'still here') throw new Error(`${what}: the page was reloaded`);
}

let officer;
let worker;
let town;
let failed = false;
try {
  const photo = join(OUT, 'photo.png');
  writeFileSync(photo, png(96, 64));

  officer = await device('office', { viewport: { width: 1100, height: 900 } });
  worker = await device('grid', {
    viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true,
    geolocation: { latitude: 31.8712, longitude: 119.9561 }, permissions: ['geolocation'],
  });
  const op = officer.page;
  const wp = worker.page;

  // The community officer opens the queue and keeps it open.
  await signIn(op, OFFICE_URL, env('OFFICE_USER'), env('OFFICE_PASSWORD'));
  await op.waitForSelector('#queue');
  await op.waitForSelector('#live[data-state="open"]');
  await mark(op);
  log('officer: queue shown, live stream open');

  // The grid worker reports from the street, with a photo and the phone's place.
  await signIn(wp, GRID_URL, env('GRID_USER'), env('GRID_PASSWORD'));
  await wp.waitForSelector('#report-form');
  await wp.waitForSelector('#live[data-state="open"]');
  await wp.waitForFunction(() => document.querySelector('#report-place').textContent.includes('手机定位'));
  const text = '路面塌陷，直径约一米';
  await wp.selectOption('#report-category', 'urban/roads');
  await wp.fill('#report-text', text);
  await wp.selectOption('#report-priority', 'urgent');
  await wp.setInputFiles('#report-photos', photo);
  await wp.waitForSelector('#report-thumbs img');
  await wp.click('#report-submit');
  const item = wp.locator('#my-reports [data-case-id]', { hasText: text });
  await item.waitFor();
  const id = await item.getAttribute('data-case-id');
  await mark(wp);
  log(`grid worker: reported ${id}`);

  // It shows up in the officer's queue by itself.
  const row = op.locator(`#queue [data-case-id="${id}"]`);
  await row.waitFor();
  await notReloaded(op, 'the officer\'s queue');
  const waiting = Number(await op.textContent('#count-waiting .display-6'));
  if (!(waiting >= 1)) throw new Error(`待签收 shows ${waiting}`);
  log(`officer: ${id} appeared in the queue live (待签收 ${waiting})`);

  // The officer opens it: the photo is there; accept, then resolve.
  await row.click();
  await op.waitForSelector(`#case[data-case-id="${id}"]`);
  await op.waitForFunction(() => {
    const img = document.querySelector('#case-photos img');
    return img && img.complete && img.naturalWidth > 0;
  });
  await op.click('#case-actions button[data-action="accept"]');
  await op.waitForSelector('#case[data-state="accepted"]');
  await op.click('#case-actions button[data-action="resolve"]');
  await op.waitForSelector('#dialog.show textarea[name="note"]');
  await op.fill('#dialog textarea[name="note"]', '已安排修复，路面已恢复');
  await op.click('#dialog-ok');
  await op.waitForSelector('#case[data-state="resolved"]');
  await op.waitForSelector('#dialog', { state: 'hidden' });
  log(`officer: ${id} accepted and resolved`);

  // The grid worker's list shows it waiting for verification, live.
  const resolved = wp.locator(`#my-reports [data-case-id="${id}"][data-state="resolved"]`);
  await resolved.waitFor();
  await notReloaded(wp, 'the grid worker\'s list');
  const label = await resolved.locator('.badge').first().textContent();
  if (label !== '待核查') throw new Error(`the grid worker sees '${label}', not 待核查`);
  await resolved.locator('button[data-action="verify"]').waitFor();
  log(`grid worker: ${id} shows 待核查 with 核查通过 to press`);

  // Offline: the report waits as a draft, and is sent when back online.
  await worker.ctx.setOffline(true);
  await wp.waitForSelector('#net:not(.d-none)');
  const later = '路灯不亮，晚上一片漆黑';
  await wp.selectOption('#report-category', 'urban/lighting');
  await wp.fill('#report-text', later);
  await wp.setInputFiles('#report-photos', photo);
  await wp.waitForSelector('#report-thumbs img');
  await wp.click('#report-submit');
  await wp.locator('#my-reports [data-draft]', { hasText: later }).locator('[data-state="draft"]', { hasText: '待发送' })
    .waitFor();
  log('grid worker: offline, the report is kept as a draft (待发送)');
  await worker.ctx.setOffline(false);
  const sent = wp.locator('#my-reports [data-case-id]', { hasText: later });
  await sent.waitFor();
  const sentId = await sent.getAttribute('data-case-id');
  // the photo kept with the draft went with it
  const photos = await wp.evaluate(async (caseId) => {
    const { token, me } = JSON.parse(sessionStorage.getItem('gl.session'));
    const r = await fetch(`/api/v1/nodes/${me.node.id}/cases/${caseId}`, { headers: { Authorization: `Bearer ${token}` } });
    return (await r.json()).attachments.length;
  }, sentId);
  if (photos !== 1) throw new Error(`the draft's case ${sentId} has ${photos} photos, not 1`);
  if (await wp.locator('#my-reports [data-draft]').count()) throw new Error('a draft is left after going online');
  await notReloaded(wp, 'the drafts sent');
  log(`grid worker: back online, the draft was sent by itself with its photo (${sentId})`);
  await wp.waitForSelector('#live[data-state="open"]');

  // The pictures without the messages of the last steps, once they have gone.
  const quiet = (page) => page.waitForFunction(() => !document.querySelector('#toasts .toast'), null, { timeout: WAIT });
  await Promise.all([quiet(wp), quiet(op)]);
  await wp.screenshot({ path: join(OUT, 'grid-worker.png'), fullPage: true });
  await op.screenshot({ path: join(OUT, 'community-office.png'), fullPage: true });
  log(`screenshots in ${OUT}`);

  // The township dispatches a task to every grid under it; each part's
  // progress follows live as the grid worker signs for his.
  town = await device('township', { viewport: { width: 1100, height: 900 } });
  const tp = town.page;
  await signIn(tp, env('TOWN_URL'), env('TOWN_USER'), env('TOWN_PASSWORD'));
  await tp.waitForSelector('#queue');
  await tp.click('#to-dispatch');
  await tp.waitForSelector('#dispatch-form');
  await tp.waitForSelector('#live[data-state="open"]');
  const task = '独居老人走访，本周内完成';
  await tp.selectOption('#dispatch-form select[name="category"]', 'services/elderly');
  await tp.fill('#dispatch-form textarea[name="text"]', task);
  await tp.check('#m-bulk');
  await tp.selectOption('#dispatch-form select[name="tier"]', 'grid');
  await tp.click('#dispatch-form button[type="submit"]');
  await tp.waitForFunction(() => document.querySelectorAll('#dispatch-progress [data-part]').length === 2);
  await mark(tp);
  log('township: dispatched to both grids, two parts shown');
  const given = wp.locator('#my-reports [data-case-id]', { hasText: task });
  await given.locator('a').click();
  await wp.click('#case-actions button[data-action="accept"]');
  await wp.waitForSelector('#case[data-state="accepted"]');
  const part = await wp.getAttribute('#case', 'data-case-id');
  await tp.waitForSelector(`#dispatch-progress [data-part="${part}"][data-state="accepted"]`);
  await tp.waitForFunction(() => document.querySelector('#dispatch-progress').textContent.includes('已签收 1/2'));
  await notReloaded(tp, 'the dispatch progress');
  log(`township: the grid worker's part ${part} shows signed for (已签收 1/2), live`);
  await tp.screenshot({ path: join(OUT, 'township-dispatch.png'), fullPage: true });

  const problems = [...officer.problems, ...worker.problems, ...town.problems];
  if (problems.length) throw new Error(`the pages reported errors:\n${problems.join('\n')}`);
} catch (e) {
  failed = true;
  log(`FAIL: ${e.message}`);
  for (const [name, d] of [['grid', worker], ['office', officer], ['township', town]]) {
    if (!d) continue;
    for (const p of d.problems) log(p);
    await d.page.screenshot({ path: join(OUT, `failed-${name}.png`), fullPage: true }).catch(() => {});
  }
} finally {
  for (const d of [worker, officer, town]) if (d) await d.ctx.close().catch(() => {});
}
process.exit(failed ? 1 : 0);
