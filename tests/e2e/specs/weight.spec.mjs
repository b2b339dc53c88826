// The engine / interface split (issue "Browser SDK weight"): what each kind of page view downloads, and the
// interface part loading on demand — or failing to — on a returning visit.
import { test, expect, url, banner, prefs, action, ready, ran } from '../support/fixtures.mjs';

/** Paths under /assent/ the page requested, in order. */
function assetLog(page) {
  const list = [];
  page.on('request', (r) => {
    const p = new URL(r.url()).pathname;
    if (p.startsWith('/assent/')) list.push(p.slice('/assent/'.length));
  });
  return list;
}

async function acceptOnce(page) {
  await page.goto(url('/e2e/basic.html'));
  await ready(page);
  await action(banner(page), 'accept-all').click();
  await expect(banner(page)).toBeHidden();
}

test('a first visit downloads the bootstrap and the full build only; a returning one the engine only, with no banner flash', async ({ page }) => {
  const first = assetLog(page);
  await page.goto(url('/e2e/basic.html'));
  await ready(page);
  await expect(banner(page)).toBeVisible();
  expect(first.sort()).toEqual(['assent.js', 'assent_full.js', 'assent_full_bg.wasm']);
  await action(banner(page), 'accept-all').click();

  const returning = assetLog(page);
  // Record every interface element that ever appears: a returning visitor must never see one.
  await page.addInitScript(() => {
    window.__uiSeen = 0;
    new MutationObserver(() => {
      if (document.querySelector('[data-assent-ui]')) window.__uiSeen++;
    }).observe(document, { childList: true, subtree: true });
  });
  returning.length = 0;
  await page.reload();
  const s = await ready(page);
  expect(s.decided).toBe(true);
  await expect.poll(() => ran(page)).toContain('remarketing');
  expect(returning.sort()).toEqual(['assent.js', 'assent_web.js', 'assent_web_bg.wasm']);
  expect(await page.evaluate(() => window.__uiSeen)).toBe(0);
});

test('a site with regions gets the regions builds; a site without never downloads them', async ({ page }) => {
  const log = assetLog(page);
  await page.goto(url('/e2e/regions-hint.html'));
  expect((await ready(page)).region).toBe('eu');
  await expect(banner(page)).toBeVisible();
  expect(log.sort()).toEqual(['assent.js', 'assent_full_regions.js', 'assent_full_regions_bg.wasm']);
  await action(banner(page), 'accept-all').click();
  log.length = 0;
  await page.reload();
  expect((await ready(page)).decided).toBe(true);
  await page.waitForLoadState('networkidle');
  // An EU visitor: the regions engine, and no GPP part.
  expect(log.sort()).toEqual(['assent.js', 'assent_web_regions.js', 'assent_web_regions_bg.wasm']);
  log.length = 0;
  await page.goto(url('/e2e/basic.html'));
  await ready(page);
  expect(log.filter((f) => f.includes('regions'))).toEqual([]);
});

test('the engine glue and its wasm are fetched in parallel, not one after the other', async ({ page }) => {
  // Hold the glue until the wasm has been requested: in sequence, the wasm would never be asked for.
  let wasmRequested;
  const wasmSeen = new Promise((r) => { wasmRequested = r; });
  page.on('request', (r) => { if (r.url().endsWith('_bg.wasm')) wasmRequested(); });
  await page.route(/\/assent\/assent_full\.js$/, async (route) => {
    await wasmSeen;
    await route.continue();
  });
  await page.goto(url('/e2e/basic.html'));
  await ready(page);
  await expect(banner(page)).toBeVisible();
});

test('returning visit: [data-assent-open] loads the interface part on demand and the preferences work', async ({ page }) => {
  await acceptOnce(page);
  const assets = assetLog(page);
  await page.reload();
  await ready(page);
  expect(assets).not.toContain('assent_ui.js');
  await page.locator('[data-assent-open]').first().click();
  await expect(prefs(page)).toBeVisible();
  expect(assets).toContain('assent_ui.js');
  expect(assets).toContain('assent_ui_bg.wasm');
  // The switches show the stored choice, and saving a narrower one applies it.
  const analytics = prefs(page).locator('[data-assent-category="analytics"]');
  await expect(analytics).toBeChecked();
  await analytics.uncheck();
  await action(prefs(page), 'save').click();
  await expect(prefs(page)).toBeHidden();
  expect(await page.evaluate(() => window.assent.granted('analytics'))).toBe(false);
});

test('returning visit with a denied embed: the placeholder comes with the interface part and its button loads it', async ({ page }) => {
  await page.goto(url('/e2e/basic.html'));
  await ready(page);
  await action(banner(page), 'reject-all').click();
  await page.reload();
  await ready(page);
  const frame = page.locator('iframe[data-assent="remarketing"]');
  await expect(frame).toHaveAttribute('hidden', '');
  const load = page.locator('[data-assent-placeholder] button[data-assent-load="remarketing"]');
  await expect(load).toBeVisible();
  await load.click();
  await expect(frame).toHaveAttribute('src', /.+/);
  expect(await page.evaluate(() => window.assent.granted('remarketing'))).toBe(true);
});

test('the interface part failing to load leaves everything blocked, says so, and ready still settles', async ({ page, consoleErrors }) => {
  await page.goto(url('/e2e/basic.html'));
  await ready(page);
  await action(banner(page), 'reject-all').click();
  await page.route(/\/assent\/assent_ui(_bg\.wasm|\.js)$/, (route) => route.fulfill({ status: 404, body: 'gone' }));
  await page.reload();
  const s = await ready(page);
  expect(s.decided).toBe(true);
  await page.locator('[data-assent-open]').first().click();
  await expect.poll(() => consoleErrors.join('\n')).toMatch(/interface part .*could not be loaded/);
  await expect(prefs(page)).toHaveCount(0);
  expect(await ran(page)).toEqual([]);
  await expect(page.locator('iframe[data-assent="remarketing"]')).not.toHaveAttribute('src', /.+/);
  expect(await page.evaluate(() => window.assent.granted('analytics'))).toBe(false);
});

test('the engine failing to load: assent.ready resolves with an all-denied state and nothing runs', async ({ page, consoleErrors }) => {
  await page.route(/\/assent\/assent_(full|web)_bg\.wasm$/, (route) => route.fulfill({ status: 404, body: 'gone' }));
  await page.goto(url('/e2e/basic.html'));
  const s = await page.evaluate(() => window.assent.ready);
  expect(s.decided).toBe(false);
  expect(s.categories).toEqual({ essential: true });
  expect(s.error).toBeTruthy();
  expect(consoleErrors.join('\n')).toMatch(/could not load the engine/);
  expect(await ran(page)).toEqual([]);
  await expect(banner(page)).toHaveCount(0);
});
