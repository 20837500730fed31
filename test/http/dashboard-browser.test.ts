/**
 * The dashboard in a real browser: Debian's headless Chromium driven by
 * puppeteer-core (test/helpers/browser.ts; skipped, never passed, when
 * Chromium is missing). The page loads with no console error and no failed
 * request, its charts move while redis-benchmark runs, the key browser
 * finds a key by pattern and shows a binary key escaped (its markup is not
 * run), the layout fits a phone's width, and the stream (and the server's
 * timer) stops when the page closes. Screenshots at desktop and phone size
 * are kept as artefacts: their paths are printed.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import type { Browser, Page } from 'puppeteer-core';
import { startTsdis, freePort } from '../helpers/servers.js';
import { until, sleep } from '../helpers/wait.js';
import { chromiumPath, launchBrowser, SKIP_NO_CHROMIUM } from '../helpers/browser.js';

/**
 * Evaluates a JavaScript expression in the page (a string: the test's own
 * TypeScript has no DOM types) and returns its value.
 */
const inPage = <T>(page: Page, expr: string): Promise<T> => page.evaluate(expr) as Promise<T>;

const hasBenchmark = spawnSync('redis-benchmark', ['--version']).status === 0;
const skip =
  chromiumPath() === null ? SKIP_NO_CHROMIUM : !hasBenchmark ? 'SKIPPED: redis-benchmark is not installed' : false;

/** Where the screenshots go (kept after the run). */
const ARTEFACTS = fs.mkdtempSync(path.join(os.tmpdir(), 'tsdis-dashboard-'));

test('the dashboard in headless Chromium', { skip, timeout: 60_000 }, async (t) => {
  const httpPort = await freePort();
  const srv = await startTsdis({ config: { 'http-port': httpPort } });
  after(() => srv.close());
  const dash = srv.server.dashboard;
  for (let i = 0; i < 200; i++) await srv.call('SET', `dash:user:${i}`, `{"name":"user ${i}"}`);
  await srv.call('HSET', 'dash:hash', 'field', 'value');
  // a binary key whose bytes are markup: shown escaped, never run
  await srv.call('SET', '\xff<img src=x onerror="window.__pwned=1">', 'bin');

  let browser: Browser | null = await launchBrowser();
  after(() => browser?.close());
  const page: Page = await browser.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warn') problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${(e as Error).message}`));
  page.on('requestfailed', (r) => {
    // the stream's request is cut when the page goes away: not a failure of the page
    if (!r.url().endsWith('/events')) problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`);
  });
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`);
  });

  await page.setViewport({ width: 1280, height: 900 });
  await page.goto(`http://127.0.0.1:${httpPort}/`, { waitUntil: 'load' });
  const snapshots = () => inPage<number>(page, 'Number(document.body.dataset.snapshots ?? 0)');
  await until('two snapshots rendered', async () => (await snapshots()) >= 2);
  assert.equal(await inPage(page, "document.getElementById('status').textContent"), 'live');
  assert.equal(dash.watching, 1);

  // the charts move while redis-benchmark runs
  const bench = spawn(
    'redis-benchmark',
    ['-h', '127.0.0.1', '-p', String(srv.port), '-t', 'set,get', '-n', '10000000', '-c', '10', '-r', '1000', '-q'],
    { stdio: 'ignore' },
  );
  after(() => bench.kill('SIGKILL'));
  const chart = () =>
    inPage<{ points: number; ops: number; rows: string[]; legend: string[] }>(
      page,
      `({
        points: Number(document.getElementById('chart-ops').dataset.points ?? 0),
        ops: Number(document.getElementById('ops').textContent.replace(/,/g, '')),
        rows: [...document.querySelectorAll('#cmd-table tbody tr td:first-child')].map((td) => td.textContent),
        legend: [...document.querySelectorAll('#chart-ops .u-legend .u-label')].map((e) => e.textContent),
      })`,
    );
  const first = await until('ops/s above zero on the page', async () => {
    const c = await chart();
    return c.ops > 0 ? c : null;
  });
  await until('more points on the chart', async () => (await chart()).points >= first.points + 2, { timeout: 8000 });
  const second = await chart();
  assert.ok(second.ops > 0);
  assert.ok(second.rows.includes('set') || second.rows.includes('get'), `commands table: ${second.rows.join(',')}`);
  assert.ok(
    second.legend.some((l) => l === 'set' || l === 'get'),
    `chart series: ${second.legend.join(',')}`,
  );
  t.diagnostic(`ops/s shown: ${first.ops} then ${second.ops}; chart points ${first.points} -> ${second.points}`);
  const latPoints = await inPage<number>(page, "Number(document.getElementById('chart-latency').dataset.points ?? 0)");
  assert.ok(latPoints > 0, 'the latency chart has data');
  bench.kill('SIGKILL');

  // the key browser finds a key by pattern
  const listedKeys = () =>
    inPage<string[]>(page, "[...document.querySelectorAll('#kb-results tbody td.key')].map((td) => td.textContent)");
  const detail = () =>
    inPage<string | null>(
      page,
      "document.getElementById('kb-detail').hidden ? null : document.getElementById('kb-detail').textContent",
    );
  await inPage(page, "document.getElementById('kb-pattern').value = ''");
  await page.type('#kb-pattern', 'dash:user:4*');
  await page.click('#kb-scan');
  await until('dash:user:42 listed', async () => (await listedKeys()).includes('dash:user:42'));
  const listed = await listedKeys();
  assert.ok(
    listed.every((k) => k.startsWith('dash:user:4')),
    `only matching keys: ${listed.join(',')}`,
  );
  await inPage(
    page,
    "[...document.querySelectorAll('#kb-results tbody td.key')].find((e) => e.textContent === 'dash:user:42').parentElement.click()",
  );
  await until('the detail of dash:user:42', async () => (await detail())?.includes('{"name":"user 42"}'));
  await page.screenshot({ path: path.join(ARTEFACTS, 'dashboard-desktop.png'), fullPage: true });

  // a binary key is shown escaped, its markup inert
  await inPage(page, "document.getElementById('kb-pattern').value = '*onerror*'");
  await page.click('#kb-scan');
  const shown = await until('the binary key listed', async () => {
    const keys = await listedKeys();
    return keys.length === 1 ? keys[0] : null;
  });
  assert.equal(shown, '"\\xff<img src=x onerror=\\"window.__pwned=1\\">"');
  await page.click('#kb-results tbody tr');
  await until('its detail', async () => (await detail())?.includes('bin'));
  assert.equal(await inPage(page, 'typeof window.__pwned'), 'undefined');
  assert.equal(await inPage(page, "document.querySelectorAll('main img').length"), 0);

  // a phone's screen: one column, nothing wider than the screen
  await page.setViewport({ width: 390, height: 844, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
  // (a change to a mobile viewport reloads the page: its history starts again)
  await until('three snapshots after the resize', async () => (await snapshots()) >= 3);
  await inPage(page, "document.getElementById('kb-pattern').value = 'dash:user:17*'");
  await page.click('#kb-scan');
  await until('keys listed on the phone', async () => (await listedKeys()).includes('dash:user:17'));
  await inPage(
    page,
    "[...document.querySelectorAll('#kb-results tbody td.key')].find((e) => e.textContent === 'dash:user:17').parentElement.click()",
  );
  await until('the detail of dash:user:17', async () => (await detail())?.includes('{"name":"user 17"}'));
  const widths = await inPage<{ page: number; view: number; chart: number }>(
    page,
    `({
      page: document.documentElement.scrollWidth,
      view: window.innerWidth,
      chart: document.querySelector('#chart-ops .uplot').getBoundingClientRect().width,
    })`,
  );
  assert.ok(widths.page <= widths.view, `page ${widths.page}px wide in a ${widths.view}px viewport`);
  assert.ok(widths.chart <= widths.view, `chart ${widths.chart}px wide`);
  await page.screenshot({ path: path.join(ARTEFACTS, 'dashboard-phone.png'), fullPage: true });
  t.diagnostic(
    `screenshots: ${path.join(ARTEFACTS, 'dashboard-desktop.png')} ${path.join(ARTEFACTS, 'dashboard-phone.png')}`,
  );
  console.log(`dashboard screenshots in ${ARTEFACTS}`);

  assert.deepEqual(problems, []);

  // the page closes: the stream ends and the server's timer with it
  await page.close();
  await until('no subscriber and no timer', () => dash.watching === 0 && !dash.ticking, { timeout: 5000 });
  const built = dash.snapshots;
  // the subject is time passing with no page open: nothing may be built
  await sleep(1300);
  assert.equal(dash.snapshots, built);
  await browser.close();
  browser = null;
});
