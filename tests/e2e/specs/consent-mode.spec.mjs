// Google Consent Mode v2 on the Croo example (stand-in gtag.js that processes dataLayer like the real one).
import { test, expect, url, banner, prefs, action, toggle, ready, cookieNames } from '../support/fixtures.mjs';

const CROO = '/examples/croo/';
const TYPES = ['ad_storage', 'ad_user_data', 'ad_personalization', 'analytics_storage',
  'functionality_storage', 'personalization_storage', 'security_storage'];

/** dataLayer as [{ isArguments, cmd: [...] }]. */
function dataLayer(page) {
  return page.evaluate(() => (window.dataLayer || []).map((a) => ({
    isArguments: Object.prototype.toString.call(a) === '[object Arguments]',
    cmd: Array.prototype.slice.call(a).map((x) => (x instanceof Date ? 'Date' : x)),
  })));
}

test('consent default (all 7 types) is the first dataLayer entry, an Arguments object, before any gtag call', async ({ page }) => {
  await page.goto(url(CROO));
  await ready(page);
  const dl = await dataLayer(page);
  expect(dl.length).toBeGreaterThan(0);
  expect(dl[0].isArguments).toBe(true);
  expect(dl[0].cmd.slice(0, 2)).toEqual(['consent', 'default']);
  const def = dl[0].cmd[2];
  for (const t of TYPES) expect(def[t], t).toBe(t === 'security_storage' ? 'granted' : 'denied');
  expect(def.wait_for_update).toBe(500);
  expect(dl.some((e) => e.cmd[0] === 'js' || e.cmd[0] === 'config'), 'no gtag js/config before a choice').toBe(false);
  expect(dl.some((e) => e.cmd[0] === 'set' && e.cmd[1] === 'ads_data_redaction' && e.cmd[2] === true)).toBe(true);
  expect(await page.evaluate(() => window.__gtag)).toBeUndefined();
  expect(await cookieNames(page.context())).toEqual([]);
});

test('accept all: consent update (granted) reaches dataLayer before gtag config, so gtag.js sets its cookies', async ({ page, context }) => {
  await page.goto(url(CROO));
  await ready(page);
  await action(banner(page), 'accept-all').click();
  await expect.poll(() => page.evaluate(() => window.__gtag && window.__gtag.commands)).toEqual(
    expect.arrayContaining(['consent default', 'consent update', 'js', 'config']));
  const g = await page.evaluate(() => window.__gtag);
  expect(g.ignored, 'no plain array (silently ignored by gtag.js) in dataLayer').toBe(0);
  const consentEntries = (await dataLayer(page)).filter((e) => e.cmd[0] === 'consent');
  expect(consentEntries.length).toBeGreaterThanOrEqual(2);
  expect(consentEntries.every((e) => e.isArguments), 'every consent command is an Arguments object').toBe(true);
  expect(g.defaultBeforeCommands).toBe(true);
  const cmds = g.commands;
  expect(cmds.indexOf('consent default')).toBe(0);
  expect(cmds.indexOf('consent update')).toBeLessThan(cmds.indexOf('config'));
  // Croo declares no functional category, so nothing grants functionality_storage / personalization_storage.
  for (const t of TYPES) {
    expect(g.consent[t], t).toBe(['functionality_storage', 'personalization_storage'].includes(t) ? 'denied' : 'granted');
  }
  await expect.poll(() => cookieNames(context)).toEqual(expect.arrayContaining(['_ga', '_ga_CROO2026', '_gid', '_gcl_au', 'IDE']));
});

test('analytics only: analytics_storage granted, every ad_* denied, security_storage granted', async ({ page, context }) => {
  await page.goto(url(CROO));
  await ready(page);
  await action(banner(page), 'preferences').click();
  await toggle(prefs(page), 'analytics').check();
  await action(prefs(page), 'save').click();
  await expect.poll(() => page.evaluate(() => window.__gtag && window.__gtag.consent.analytics_storage)).toBe('granted');
  const dl = await dataLayer(page);
  const updates = dl.filter((e) => e.cmd[0] === 'consent' && e.cmd[1] === 'update');
  expect(updates.length).toBeGreaterThan(0);
  expect(updates.every((e) => e.isArguments)).toBe(true);
  const u = updates.at(-1).cmd[2];
  expect(u.analytics_storage).toBe('granted');
  expect(u.ad_storage).toBe('denied');
  expect(u.ad_user_data).toBe('denied');
  expect(u.ad_personalization).toBe('denied');
  // Present in the update itself, not merely defaulted: a missing field must not pass.
  expect(u.security_storage).toBe('granted');
  // ga-init.js (after gtag.js) sends `config`: wait for its cookies, then check no ads cookie came with them.
  await expect.poll(() => cookieNames(context)).toEqual(expect.arrayContaining(['_ga', '_gid']));
  await page.waitForLoadState('networkidle');
  const names = await cookieNames(context);
  for (const c of ['_gcl_au', 'IDE', 'test_cookie']) expect(names, c).not.toContain(c);
});

test('withdraw sends a consent update with everything denied', async ({ page }) => {
  await page.goto(url(CROO));
  await ready(page);
  await action(banner(page), 'accept-all').click();
  await expect.poll(() => page.evaluate(() => window.__gtag && window.__gtag.consent.ad_storage)).toBe('granted');
  await page.evaluate(() => window.assent.withdraw());
  await expect.poll(() => page.evaluate(() => window.__gtag.consent.ad_storage)).toBe('denied');
  const g = await page.evaluate(() => window.__gtag.consent);
  for (const t of ['ad_storage', 'ad_user_data', 'ad_personalization', 'analytics_storage']) expect(g[t], t).toBe('denied');
});
