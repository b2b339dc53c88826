// Regions in the browser: the region comes from `data-region`, the stored choice, or the consent server's
// GET /v1/region (reading a trusted header, here `x-e2e-country` / `x-e2e-subdivision` set on every request of
// the context, as a CDN would); unknown or unreachable → the strictest region. Each region's rules: the EU gets the
// opt-in banner, a US state the opt-out notice (with "Opt-Out Request Honored" only under GPC), in the visitor's
// language.
import { test, expect, banner, prefs, action, ready, state, ran, emulateGpc, verifyToken, preferencesTexts } from '../support/fixtures.mjs';
import { regionServer, visitFrom } from '../support/regions.mjs';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { REPO } from '../support/server.mjs';

/** The built-in interface texts of a language (the files the SDK ships). */
const uiTexts = (tag) => JSON.parse(fs.readFileSync(path.join(REPO, 'crates/assent-core/i18n', `${tag}.json`), 'utf8')).ui;

const notice = (page) => page.locator('[data-assent-ui="notice"]');
const honored = (page) => page.locator('[data-assent-gpc]');

const server = regionServer(test);

/** Requests the page makes to GET /v1/region. */
function regionRequests(page) {
  const list = [];
  page.on('request', (r) => { if (new URL(r.url()).pathname === '/v1/region') list.push(r.url()); });
  return list;
}

async function exportRecords() {
  const r = await fetch(`${server.origin}/v1/admin/records?site=e2e-regions`, {
    headers: { authorization: `Bearer ${server.adminToken}` },
  });
  expect(r.ok).toBe(true);
  return (await r.text()).split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
}

test('an EU visitor gets the opt-in banner, nothing optional runs', async ({ page, context }) => {
  await visitFrom(context, 'DE');
  const asked = regionRequests(page);
  await page.goto(`${server.origin}/e2e/regions.html`);
  const s = await ready(page);
  expect(asked.length).toBe(1);
  expect(s.region).toBe('eu');
  await expect(banner(page)).toBeVisible();
  await expect(notice(page)).toHaveCount(0);
  expect(s.categories).toEqual({ essential: true, analytics: false, remarketing: false, marketing_email: false, functional: false });
  expect(await ran(page)).toEqual([]);
});

test('an EU visitor with GPC: remarketing denied by the signal, but no US "Opt-Out Request Honored" notice', async ({ page, context }) => {
  await emulateGpc(context);
  await visitFrom(context, 'FR');
  await page.goto(`${server.origin}/e2e/regions.html`);
  const s = await ready(page);
  expect(s.region).toBe('eu');
  expect(s.reasons.remarketing).toBe('gpc');
  expect(s.gpc_honored).toBe(false);
  await expect(banner(page)).toBeVisible();
  await expect(honored(page)).toHaveCount(0);
});

test('a California visitor with GPC: the opt-out notice says the request was honoured, remarketing is off, the rest runs; the choice is recorded with its region and the token carries it', async ({ page, context }) => {
  await emulateGpc(context);
  await visitFrom(context, 'US', 'CA');
  await page.goto(`${server.origin}/e2e/regions.html`);
  const s = await ready(page);
  expect(s.region).toBe('us_states');
  expect(s.categories).toEqual({ essential: true, analytics: true, remarketing: false, marketing_email: false, functional: true });
  expect(s.reasons.remarketing).toBe('gpc');
  expect(s.gpc_honored).toBe(true);
  await expect(banner(page)).toHaveCount(0);
  await expect(notice(page)).toBeVisible();
  await expect(honored(page)).toHaveText('Opt-Out Request Honored');
  await expect.poll(() => ran(page)).toContain('analytics-1');
  expect(await ran(page)).not.toContain('remarketing');

  // The link opens the preferences; a choice there is recorded with the region.
  const link = action(notice(page), 'preferences');
  await expect(link).toHaveText('Do Not Sell or Share My Personal Information');
  const noticeText = await notice(page).evaluate((n) => [...n.querySelector('p').childNodes]
    .filter((c) => c.nodeType === Node.TEXT_NODE).map((c) => c.textContent).join('').trim());
  expect(noticeText).toBe(uiTexts('en').notice_description);
  await link.click();
  await expect(prefs(page)).toBeVisible();
  // The record's notice_hash is the SHA-256 of what this visitor was shown: the notice's text (not the banner's
  // title and description, never on screen here), then each category's title and description.
  const shown = await preferencesTexts(page);
  await action(prefs(page), 'save').click();
  await expect(notice(page)).toHaveCount(0);
  await expect.poll(async () => (await exportRecords()).length, { timeout: 15_000 }).toBeGreaterThan(0);
  const rec = (await exportRecords()).at(-1);
  expect(rec.region).toBe('us_states');
  expect(rec.notice.sha256).toBe(crypto.createHash('sha256').update([noticeText, ...shown].join('\n'), 'utf8').digest('hex'));
  const ok = await verifyToken(rec.signature.token, `${server.origin}/.well-known/assent-keys.json`);
  expect(ok.code, ok.stderr).toBe(0);
  const claims = JSON.parse(ok.stdout);
  expect(claims.region).toBe('us_states');
  expect(claims.record_id).toBe(rec.record_id);
});

test('a California visitor without GPC: everything granted by default, the notice without the honoured text', async ({ page, context }) => {
  await visitFrom(context, 'US', 'CA');
  await page.goto(`${server.origin}/e2e/regions.html`);
  const s = await ready(page);
  expect(s.region).toBe('us_states');
  expect(s.categories).toEqual({ essential: true, analytics: true, remarketing: true, marketing_email: true, functional: true });
  await expect(notice(page)).toBeVisible();
  await expect(honored(page)).toHaveCount(0);
  // The notice says what runs and that the visitor can opt out, not the banner's request for consent.
  const en = uiTexts('en');
  await expect(notice(page).locator('p').first()).toContainText(en.notice_description);
  await expect(notice(page)).not.toContainText(en.description);
});

test('a Spanish-speaking California visitor with GPC gets the notice, its link and the honoured text in Spanish', async ({ browser }) => {
  const context = await browser.newContext({ locale: 'es-US' });
  await emulateGpc(context);
  await visitFrom(context, 'US', 'CA');
  const page = await context.newPage();
  await page.goto(`${server.origin}/e2e/regions.html`);
  const s = await ready(page);
  expect(s.region).toBe('us_states');
  expect(s.language).toBe('es');
  await expect(notice(page)).toHaveAttribute('lang', 'es');
  const link = action(notice(page), 'preferences');
  await expect(link).toHaveText('No vender ni compartir mi información personal');
  await expect(notice(page)).toHaveAttribute('aria-label', 'No vender ni compartir mi información personal');
  await expect(honored(page)).toHaveText('Solicitud de exclusión respetada');
  await expect(notice(page).locator('p').first()).toContainText(uiTexts('es').notice_description);
  await link.click();
  await expect(prefs(page)).toHaveAttribute('lang', 'es');
  await context.close();
});

test('a returning visitor gets the stored region at once, without asking the server', async ({ page, context }) => {
  await visitFrom(context, 'US', 'TX');
  await page.goto(`${server.origin}/e2e/regions.html`);
  await ready(page);
  await page.evaluate(() => window.assent.rejectAll());
  const asked = regionRequests(page);
  await page.reload();
  const s = await ready(page);
  expect(s.region).toBe('us_states');
  expect(s.decided).toBe(true);
  expect(asked).toEqual([]);
  await expect(notice(page)).toHaveCount(0);
});

test('data-region on the script tag wins over the server', async ({ page, context }) => {
  await visitFrom(context, 'US', 'CA');
  const asked = regionRequests(page);
  await page.goto(`${server.origin}/e2e/regions-hint.html`);
  const s = await ready(page);
  expect(s.region).toBe('eu');
  expect(asked).toEqual([]);
  await expect(banner(page)).toBeVisible();
});

for (const [what, handle] of [
  ['unreachable', (route) => route.abort('connectionrefused')],
  ['answering 500', (route) => route.fulfill({ status: 500, body: 'oops' })],
  ['answering garbage', (route) => route.fulfill({ status: 200, contentType: 'application/json', body: '{"country": "<b>", "subdivision": 7}' })],
  ['answering unknown', (route) => route.fulfill({ status: 200, contentType: 'application/json', body: '{"country": "unknown", "subdivision": null}' })],
]) {
  test(`the region server ${what}: the strictest region (the EU's opt-in banner)`, async ({ page, context }) => {
    await visitFrom(context, 'US', 'CA');
    await page.route('**/v1/region', handle);
    await page.goto(`${server.origin}/e2e/regions.html`);
    const s = await ready(page);
    expect(s.region).toBe('eu');
    expect(s.categories.analytics).toBe(false);
    await expect(banner(page)).toBeVisible();
    expect(await ran(page)).toEqual([]);
  });
}

test('nothing optional runs while the region is being found', async ({ page, context }) => {
  await visitFrom(context, 'US', 'CA');
  let waiting;
  // Looked at from inside the handler, before the request goes on, once the page is parsed: the engine is loaded
  // and waits for the answer. (Holding the answer longer would run into the engine's 3 s limit, after which the
  // strictest region applies.)
  await page.route('**/v1/region', async (route) => {
    waiting = await page.evaluate(() => new Promise((r) => {
      const look = () => r({ api: typeof window.assent.get, ran: (window.__standins || []).map((x) => x.name) });
      if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', look); else look();
    }));
    await route.continue();
  });
  await page.goto(`${server.origin}/e2e/regions.html`);
  const s = await ready(page);
  // While it waited: no state yet, nothing unblocked.
  expect(waiting).toEqual({ api: 'undefined', ran: [] });
  expect(s.region).toBe('us_states');
  await expect.poll(() => ran(page)).toContain('analytics-1');
});
