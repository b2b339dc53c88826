// Built-in languages: the visitor's browser languages pick one, its file is fetched only when needed, and a
// missing file falls back to English.
import { test, expect, url, banner, prefs, action, ready, ran, axe, waitForRecords } from '../support/fixtures.mjs';

async function open(browser, locale, path = '/e2e/basic.html') {
  const context = await browser.newContext({ locale });
  const page = await context.newPage();
  const langFiles = [];
  page.on('request', (r) => {
    const m = new URL(r.url()).pathname.match(/\/assent\/lang\/(.+)\.json$/);
    if (m) langFiles.push(m[1]);
  });
  const warnings = [];
  page.on('console', (m) => { if (m.type() === 'warning') warnings.push(m.text()); });
  return { context, page, langFiles, warnings };
}

test('a de-DE browser sees the German banner and preferences, and the record says de', async ({ browser }) => {
  const { context, page, langFiles } = await open(browser, 'de-DE');
  await page.goto(url('/e2e/basic.html'));
  await ready(page);
  await expect(banner(page)).toHaveAttribute('lang', 'de');
  await expect(action(banner(page), 'accept-all')).toHaveText('Alle akzeptieren');
  await expect(action(banner(page), 'reject-all')).toHaveText('Alle ablehnen');
  expect(langFiles).toEqual(['de']);
  await action(banner(page), 'preferences').click();
  await expect(prefs(page)).toHaveAttribute('lang', 'de');
  await expect(prefs(page).locator('h2')).toHaveText('Datenschutzeinstellungen');
  await expect(prefs(page)).toContainText('Statistik');
  await action(prefs(page), 'reject-all').click();
  const site = 'e2e-basic';
  const records = await waitForRecords((r) => r.site === site && r.language === 'de');
  expect(records.length).toBeGreaterThan(0);
  await context.close();
});

test('pt-BR gets pt-BR, pt-PT gets pt', async ({ browser }) => {
  for (const [locale, lang] of [['pt-BR', 'pt-BR'], ['pt-PT', 'pt']]) {
    const { context, page, langFiles } = await open(browser, locale);
    await page.goto(url('/e2e/basic.html'));
    await ready(page);
    await expect(banner(page)).toHaveAttribute('lang', lang);
    await expect(action(banner(page), 'accept-all')).toHaveText('Aceitar tudo');
    expect(langFiles).toEqual([lang]);
    await context.close();
  }
});

test('ar renders right to left and axe finds no violation', async ({ browser }) => {
  const { context, page } = await open(browser, 'ar');
  await page.goto(url('/e2e/basic.html'));
  await ready(page);
  await expect(banner(page)).toHaveAttribute('dir', 'rtl');
  await expect(banner(page)).toHaveAttribute('lang', 'ar');
  await expect(action(banner(page), 'reject-all')).toHaveText('رفض الكل');
  expect(await axe(page, '[data-assent-ui="banner"]')).toEqual([]);
  await action(banner(page), 'preferences').click();
  await expect(prefs(page)).toHaveAttribute('dir', 'rtl');
  expect(await axe(page, '[data-assent-ui="preferences"]')).toEqual([]);
  await context.close();
});

test('an English page requests no language file', async ({ browser }) => {
  const { context, page, langFiles } = await open(browser, 'en-GB');
  await page.goto(url('/e2e/basic.html'));
  await ready(page);
  await expect(banner(page)).toHaveAttribute('lang', 'en');
  await expect(action(banner(page), 'accept-all')).toHaveText('Accept all');
  await action(banner(page), 'preferences').click();
  await expect(prefs(page)).toBeVisible();
  expect(langFiles).toEqual([]);
  await context.close();
});

test('a language file answering 404 falls back to English with a warning, and nothing optional runs', async ({ browser }) => {
  const { context, page, warnings } = await open(browser, 'fr-FR');
  await page.route(/\/assent\/lang\/fr\.json$/, (route) => route.fulfill({ status: 404, body: 'missing' }));
  await page.goto(url('/e2e/basic.html'));
  await ready(page);
  await expect(banner(page)).toHaveAttribute('lang', 'en');
  await expect(action(banner(page), 'accept-all')).toHaveText('Accept all');
  expect(warnings.join('\n')).toMatch(/"fr" could not be loaded/);
  expect(await ran(page)).toEqual([]);
  expect(await page.evaluate(() => window.assent.granted('analytics'))).toBe(false);
  await context.close();
});
