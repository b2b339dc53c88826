// Do Not Track and Global Privacy Control, read from the browser (navigator properties) and sent as headers.
import {
  test, expect, url, banner, prefs, action, toggle, ready, state, ran, cookieNames, emulateDnt, emulateGpc,
  exportRecords,
} from '../support/fixtures.mjs';

const OPT_OUT_ALL = ['analytics-1', 'analytics-2', 'remarketing', 'functional', 'newsletter'];

test.describe('Do Not Track', () => {
  test('control: an opt-out site runs its trackers by default without DNT', async ({ page }) => {
    await page.goto(url('/e2e/optout.html'));
    const s = await ready(page);
    expect(s.signals.dnt).toBe(false);
    await expect.poll(() => ran(page)).toEqual(expect.arrayContaining(OPT_OUT_ALL));
  });

  test('DNT on: analytics and remarketing are off by default, the other categories keep their default', async ({ page, context }) => {
    await emulateDnt(context, '1');
    await page.goto(url('/e2e/optout.html'));
    const s = await ready(page);
    expect(s.signals.dnt).toBe(true);
    expect(s.categories.analytics).toBe(false);
    expect(s.categories.remarketing).toBe(false);
    expect(s.reasons.analytics).toBe('dnt');
    expect(s.reasons.remarketing).toBe('dnt');
    expect(s.categories.functional).toBe(true);
    await expect.poll(() => ran(page)).toEqual(['functional', 'newsletter']);
    const names = await cookieNames(context);
    for (const c of ['_ga', '_gid', 'IDE']) expect(names, c).not.toContain(c);
  });

  test('DNT on, site configured to ignore it: trackers run as without DNT', async ({ page, context }) => {
    await emulateDnt(context, '1');
    await page.goto(url('/e2e/optout-ignore-dnt.html'));
    const s = await ready(page);
    expect(s.categories.analytics).toBe(true);
    expect(s.reasons.analytics).toBe('default');
    await expect.poll(() => ran(page)).toEqual(expect.arrayContaining(OPT_OUT_ALL));
  });

  for (const [value, on] of [['1', true], ['yes', true], ['unspecified', false], ['0', false], [null, false]]) {
    test(`navigator.doNotTrack = ${JSON.stringify(value)} is read as ${on ? 'on' : 'off'} without an error`, async ({ page, context, consoleErrors }) => {
      await context.addInitScript((v) => {
        Object.defineProperty(Navigator.prototype, 'doNotTrack', { get: () => v, configurable: true });
      }, value);
      await page.goto(url('/e2e/optout.html'));
      const s = await ready(page);
      expect(s.error).toBeUndefined();
      expect(s.signals.dnt).toBe(on);
      expect(s.categories.analytics).toBe(!on);
      expect(consoleErrors).toEqual([]);
    });
  }
});

test.describe('Global Privacy Control', () => {
  test('GPC absent or false: no opt-out notice, remarketing not denied by a signal', async ({ page, context }) => {
    await emulateGpc(context, false);
    await page.goto(url('/e2e/basic.html'));
    const s = await ready(page);
    expect(s.signals.gpc).toBe(false);
    expect(s.gpc_honored).toBe(false);
    expect(s.reasons.remarketing).toBe('default');
    await expect(page.getByText('Opt-Out Request Honored')).toHaveCount(0);
  });

  test('GPC on (navigator + Sec-GPC): remarketing and marketing off, "Opt-Out Request Honored" shown, stored with the record', async ({ page, context, consentPosts }) => {
    await emulateGpc(context, true);
    await page.goto(url('/e2e/basic.html'));
    const s = await ready(page);
    expect(s.signals.gpc).toBe(true);
    expect(s.gpc_honored).toBe(true);
    expect(s.categories.remarketing).toBe(false);
    expect(s.reasons.remarketing).toBe('gpc');
    expect(s.categories.marketing_email).toBe(false);
    expect(s.reasons.marketing_email).toBe('gpc');
    expect(s.reasons.analytics).toBe('default');
    await expect(banner(page).getByText('Opt-Out Request Honored')).toBeVisible();

    await action(banner(page), 'preferences').click();
    await expect(prefs(page).getByText('Opt-Out Request Honored')).toBeVisible();
    await expect(toggle(prefs(page), 'remarketing')).not.toBeChecked();
    await toggle(prefs(page), 'analytics').check();
    await action(prefs(page), 'save').click();
    await expect.poll(() => ran(page)).toEqual(['analytics-1', 'inline-analytics', 'analytics-2']);

    await expect.poll(() => consentPosts.length).toBe(1);
    expect(consentPosts[0].body.signals.gpc).toBe(true);
    const id = consentPosts[0].response?.record_id ?? consentPosts[0].response?.id;
    const rec = (await exportRecords()).find((r) => (r.record_id ?? r.id) === id);
    expect(rec, 'record on the server').toBeTruthy();
    expect(rec.signals.gpc).toBe(true);
  });

  test('the Sec-GPC header alone reaches the server record (signals.gpc)', async ({ page, context, consentPosts }) => {
    await context.setExtraHTTPHeaders({ 'Sec-GPC': '1' });
    await page.goto(url('/e2e/basic.html'));
    const s = await ready(page);
    expect(s.signals.gpc).toBe(false); // the page's navigator says nothing
    await action(banner(page), 'reject-all').click();
    await expect.poll(() => consentPosts.length).toBe(1);
    expect(consentPosts[0].body.signals.gpc).toBe(false);
    const id = consentPosts[0].response?.record_id ?? consentPosts[0].response?.id;
    const rec = (await exportRecords()).find((r) => (r.record_id ?? r.id) === id);
    expect(rec, 'record on the server').toBeTruthy();
    expect(rec.signals.gpc).toBe(true);
  });

  test('GPC on with a stored "allow": remarketing is treated as opted out until re-granted', async ({ page, context }) => {
    await page.goto(url('/e2e/basic.html'));
    await ready(page);
    await action(banner(page), 'accept-all').click();
    await expect.poll(() => ran(page)).toContain('remarketing');

    await emulateGpc(context, true);
    await page.reload();
    const s = await ready(page);
    expect(s.decided).toBe(true);
    expect(s.categories.remarketing).toBe(false);
    // The opt-out is processed and stored as a withdrawal made with the signal on (recorded: gpc-conflict.spec).
    expect(s.reasons.remarketing).toBe('choice');
    expect(s.method).toBe('withdraw');
    expect(s.categories.analytics).toBe(true);
    expect(s.gpc_honored).toBe(true);
    await page.waitForLoadState('networkidle');
    const r = await ran(page);
    expect(r).toContain('analytics-1');
    expect(r).not.toContain('remarketing');
    expect(r).not.toContain('newsletter');

    // Where the visitor would re-grant, the conflict is shown: the notice and the switch in its opted-out state.
    await page.locator('[data-assent-open]').first().click();
    await expect(prefs(page).getByText('Opt-Out Request Honored')).toBeVisible();
    await expect(toggle(prefs(page), 'remarketing')).not.toBeChecked();
    await expect(toggle(prefs(page), 'analytics')).toBeChecked();
    // The visitor re-grants explicitly while GPC is on: the later choice wins.
    await toggle(prefs(page), 'remarketing').check();
    await action(prefs(page), 'save').click();
    await page.reload();
    const again = await ready(page);
    expect(again.categories.remarketing).toBe(true);
    expect(again.reasons.remarketing).toBe('choice');
  });
});

test('/.well-known/gpc.json answers 200 with valid JSON saying the site honours GPC', async ({ request }) => {
  const r = await request.get(url('/.well-known/gpc.json'));
  expect(r.status()).toBe(200);
  expect(r.headers()['content-type']).toMatch(/json/);
  const body = await r.json();
  expect(body.gpc).toBe(true);
  expect(body.lastUpdate).toMatch(/^\d{4}-\d{2}-\d{2}$/);
});
