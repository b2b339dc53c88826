// The three site examples (www/examples/*) behave as their configs — derived from the sites' policies — say.
import fs from 'node:fs';
import path from 'node:path';
import {
  test, expect, url, banner, prefs, action, toggle, ready, state, ran, cookieNames, localStorageKeys,
  emulateDnt, emulateGpc,
} from '../support/fixtures.mjs';
import { REPO } from '../support/server.mjs';

const config = (site, page = 'index.html') => {
  const html = fs.readFileSync(path.join(REPO, 'www', 'examples', site, page), 'utf8');
  return html.match(/<script type="application\/json" id="assent-config">([\s\S]*?)<\/script>/)[1];
};

for (const site of ['croo', 'connact', 'crmoz']) {
  test(`${site}: first visit shows the banner, runs nothing and sets no cookie; the privacy page carries the same config`, async ({ page, context, trackerRequests }) => {
    expect(JSON.parse(config(site, 'privacy.html'))).toEqual(JSON.parse(config(site)));
    await page.goto(url(`/examples/${site}/`));
    const s = await ready(page);
    expect(s.error).toBeUndefined();
    expect(s.decided).toBe(false);
    await expect(banner(page)).toBeVisible();
    await page.waitForLoadState('networkidle');
    expect(await ran(page)).toEqual([]);
    expect(trackerRequests).toEqual([]);
    expect(await cookieNames(context)).toEqual([]);

    await page.goto(url(`/examples/${site}/privacy.html`));
    await ready(page);
    await expect(banner(page)).toBeVisible();
    await page.locator('[data-assent-open]').first().click();
    await expect(prefs(page)).toBeVisible();
  });
}

test.describe('croo (000: Google Analytics, DoubleClick remarketing, newsletters)', () => {
  const CROO = '/examples/croo/';

  test('accept all runs GA, Google Ads, DoubleClick, Floodlight and the newsletter widget in order', async ({ page, context }) => {
    await page.goto(url(CROO));
    await ready(page);
    await action(banner(page), 'accept-all').click();
    await expect.poll(() => ran(page).then((r) => r.filter((n) => n !== 'floodlight-frame')))
      .toEqual(['gtag.js', 'ga-init', 'ads-init', 'doubleclick', 'newsletter']);
    await expect.poll(() => ran(page)).toContain('floodlight-frame');
    await expect(page.getByRole('form', { name: 'Newsletter sign-up' })).toBeVisible();
    const names = await cookieNames(context);
    expect(names).toEqual(expect.arrayContaining(['croo_consent', '_ga', '_gid', '_ga_CROO2026', '_gcl_au', 'IDE', 'test_cookie', '_mcid', '_fl_seen']));
  });

  test('reject all: Google tags stay blocked after reload; only the consent cookie exists', async ({ page, context }) => {
    await page.goto(url(CROO));
    await ready(page);
    await action(banner(page), 'reject-all').click();
    await page.reload();
    await ready(page);
    await page.waitForLoadState('networkidle');
    expect(await ran(page)).toEqual([]);
    expect((await cookieNames(context)).filter((n) => !n.startsWith('croo_consent'))).toEqual([]);
  });

  test('DNT is honoured: analytics and remarketing are denied because of DNT', async ({ page, context }) => {
    await emulateDnt(context, '1');
    await page.goto(url(CROO));
    const s = await ready(page);
    expect(s.reasons.analytics).toBe('dnt');
    expect(s.reasons.remarketing).toBe('dnt');
    expect(s.reasons.marketing_email).toBe('default');
  });

  test('GPC, visitor of unknown location: the strictest region (eu) opts out remarketing and the partner newsletter, without the US notice', async ({ page, context }) => {
    await emulateGpc(context, true);
    await page.goto(url(CROO));
    const s = await ready(page);
    expect(s.region).toBe('eu');
    expect(s.reasons.remarketing).toBe('gpc');
    expect(s.reasons.marketing_email).toBe('gpc');
    expect(s.reasons.analytics).toBe('default');
    await expect(banner(page)).toBeVisible();
    await expect(page.getByText('Opt-Out Request Honored')).toHaveCount(0);
  });

  test('GPC, visitor in California (the consent server says US-CA): opt-out rules, the honoured notice', async ({ page, context }) => {
    await emulateGpc(context, true);
    // What `assent serve --region-header …` answers behind a CDN (the server side is tested in regions.spec.mjs).
    await page.route('**/v1/region', (route) => route.fulfill({
      status: 200, contentType: 'application/json', body: '{"country": "US", "subdivision": "CA"}',
    }));
    await page.goto(url(CROO));
    const s = await ready(page);
    expect(s.region).toBe('us_states');
    expect(s.reasons.remarketing).toBe('gpc');
    expect(s.reasons.marketing_email).toBe('gpc');
    expect(s.categories.analytics).toBe(true);
    const notice = page.locator('[data-assent-ui="notice"]');
    await expect(notice.getByText('Opt-Out Request Honored')).toBeVisible();
    await expect(notice.getByText('Do Not Sell or Share My Personal Information')).toBeVisible();
  });
});

test.describe('connact (002: ignores DNT, third-party analytics, social buttons, CAN-SPAM newsletter)', () => {
  const CONNACT = '/examples/connact/';

  test('DNT is ignored, as the policy states: analytics is not denied because of DNT, and runs once accepted', async ({ page, context, trackerRequests }) => {
    await emulateDnt(context, '1');
    await page.goto(url(CONNACT));
    const s = await ready(page);
    expect(s.signals.dnt).toBe(true);
    expect(s.reasons.analytics).toBe('default');
    expect(s.categories.analytics).toBe(false); // opt-in: still waits for consent
    await action(banner(page), 'accept-all').click();
    await expect.poll(() => ran(page)).toEqual(expect.arrayContaining(['analytics', 'newsletter', 'share-frame']));
    await expect.poll(() => trackerRequests.some((r) => r.startsWith('/examples/connact/vendor/beacon.gif'))).toBe(true);
    expect(await cookieNames(context)).toEqual(expect.arrayContaining(['_pk_id.7.1fff', '_pk_ses.7.1fff', '_fbp', 'guest_id', 'esp_subscriber']));
    await expect(page.locator('#newsletter-form')).toBeVisible();
  });

  test('no remarketing category is offered; social media features are', async ({ page }) => {
    await page.goto(url(CONNACT));
    await ready(page);
    await action(banner(page), 'preferences').click();
    const d = prefs(page);
    await expect(toggle(d, 'social')).toHaveCount(1);
    await expect(toggle(d, 'analytics')).toHaveCount(1);
    await expect(toggle(d, 'marketing_email')).toHaveCount(1);
    await expect(toggle(d, 'remarketing')).toHaveCount(0);
    await expect(d.getByText('Social media features')).toBeVisible();
  });

  test('GPC denies the social buttons (sharing) but not the newsletter (not shared)', async ({ page, context }) => {
    await emulateGpc(context, true);
    await page.goto(url(CONNACT));
    const s = await ready(page);
    expect(s.reasons.social).toBe('gpc');
    expect(s.reasons.marketing_email).toBe('default');
    expect(s.gpc_honored).toBe(true);
    await expect(banner(page).getByText('Opt-Out Request Honored')).toBeVisible();
  });

  test('withdrawing social media features removes the providers\' cookies and keeps the share frame unloaded', async ({ page, context }) => {
    await page.goto(url(CONNACT));
    await ready(page);
    await action(banner(page), 'accept-all').click();
    await expect.poll(() => cookieNames(context)).toEqual(expect.arrayContaining(['_fbp', 'guest_id']));
    await page.locator('[data-assent-open]').first().click();
    await toggle(prefs(page), 'social').uncheck();
    await action(prefs(page), 'save').click();
    await expect.poll(() => cookieNames(context)).not.toContain('_fbp');
    expect(await cookieNames(context)).not.toContain('guest_id');
    await page.reload();
    await ready(page);
    await page.waitForLoadState('networkidle');
    expect(await ran(page)).not.toContain('share-frame');
  });
});

test.describe('crmoz (003: first-party cookies, in-house analytics, email opt-out, GDPR/CCPA)', () => {
  const CRMOZ = '/examples/crmoz/';
  test.use({ timezoneId: 'America/New_York' });

  test('a Russian-speaking visitor gets the banner in Russian', async ({ browser }) => {
    const context = await browser.newContext({ locale: 'ru-RU' });
    const page = await context.newPage();
    await page.goto(url(CRMOZ));
    const s = await ready(page);
    expect(s.language).toBe('ru');
    await expect(banner(page).getByText('Мы ценим вашу конфиденциальность')).toBeVisible();
    await expect(action(banner(page), 'accept-all')).toHaveText('Принять все');
    await expect(action(banner(page), 'reject-all')).toHaveText('Отклонить все');
    await action(banner(page), 'preferences').click();
    await expect(prefs(page).getByText('Собственная аналитика')).toBeVisible();
    await context.close();
  });

  test('preferences only: the time-zone preference runs, the analytics and campaign scripts do not', async ({ page, context }) => {
    await page.goto(url(CRMOZ));
    await ready(page);
    await action(banner(page), 'preferences').click();
    await toggle(prefs(page), 'functional').check();
    await action(prefs(page), 'save').click();
    await expect.poll(() => ran(page)).toEqual(['preferences']);
    await expect(page.locator('#local-time')).toHaveText('Times shown in America/New_York.');
    const names = await cookieNames(context);
    expect(names).toContain('crmoz_tz');
    for (const c of ['crmoz_vid', 'crmoz_sid', 'crmoz_campaign']) expect(names).not.toContain(c);
    expect(await localStorageKeys(page)).toContain('crmoz_prefs');
  });

  test('withdrawing in-house analytics reloads the page (the tool records every click), then its cookies and queue are gone', async ({ page, context }) => {
    await page.goto(url(`${CRMOZ}?utm_source=newsletter&utm_medium=email&utm_campaign=nov`));
    await ready(page);
    await action(banner(page), 'accept-all').click();
    await expect.poll(() => ran(page)).toEqual(['preferences', 'insights', 'campaign']);
    await expect.poll(() => cookieNames(context)).toEqual(expect.arrayContaining(['crmoz_vid', 'crmoz_sid', 'crmoz_tz', 'crmoz_campaign']));
    expect(await localStorageKeys(page)).toEqual(expect.arrayContaining(['crmoz_insights_queue', 'crmoz_prefs']));
    await page.locator('[data-assent-open]').first().click();
    await toggle(prefs(page), 'analytics').uncheck();
    // reload_on_withdraw: the in-house tool's click and scroll listeners would keep writing its queue otherwise.
    const reloaded = page.waitForEvent('load');
    await action(prefs(page), 'save').click();
    await reloaded;
    const s = await ready(page);
    expect(s.categories.analytics).toBe(false);
    expect(s.categories.functional).toBe(true);
    await expect.poll(() => ran(page)).toEqual(['preferences', 'campaign']);
    const names = await cookieNames(context);
    expect(names).not.toContain('crmoz_vid');
    expect(names).not.toContain('crmoz_sid');
    expect(names).toEqual(expect.arrayContaining(['crmoz_tz', 'crmoz_campaign']));
    const keys = await localStorageKeys(page);
    expect(keys).not.toContain('crmoz_insights_queue');
    expect(keys).toContain('crmoz_prefs');
  });

  test('GPC: nothing here is a sale or share, so no category is denied by it; DNT denies analytics', async ({ page, context }) => {
    await emulateGpc(context, true);
    await emulateDnt(context, '1');
    await page.goto(url(CRMOZ));
    const s = await ready(page);
    expect(s.signals.gpc).toBe(true);
    expect(s.reasons.marketing_email).toBe('default');
    expect(s.reasons.functional).toBe('default');
    expect(s.reasons.analytics).toBe('dnt');
    expect(s.gpc_honored).toBe(false);
  });
});
