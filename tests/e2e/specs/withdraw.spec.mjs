// Withdrawal through the page's [data-assent-open] control: cookies of the category go on the host and every
// parent domain and path, Consent Mode gets `denied`, and the server records the change.
import { CHROMIUM_ARGS } from '../playwright.config.mjs';
import { chromiumPath } from '../support/server.mjs';
import {
  test, expect, url, server, banner, prefs, action, toggle, ready, state, cookieNames, localStorageKeys,
  exportRecords,
} from '../support/fixtures.mjs';

const HOST = 'www.shop.assent.test';
const ANALYTICS_COOKIES = ['_ga', '_gid', '_ga_E2E'];

function cookiesNamed(list, names) {
  return list.filter((c) => names.includes(c.name)).map((c) => `${c.name}@${c.domain}${c.path}`).sort();
}

async function consentUpdates(page) {
  return page.evaluate(() => (window.dataLayer || [])
    .filter((a) => Object.prototype.toString.call(a) === '[object Arguments]' && a[0] === 'consent' && a[1] === 'update')
    .map((a) => ({ ...a[2] })));
}

test('withdrawing analytics deletes its cookies on the host and parent domains, keeps the others, and is recorded', async ({ playwright }) => {
  // Records are hashed with crypto.subtle, which needs a secure context: a real site is on https; here the
  // http://www.shop.assent.test origin is declared secure to this browser.
  const origin = new URL(url('/', HOST)).origin;
  const browser = await playwright.chromium.launch({
    executablePath: chromiumPath(),
    args: [...CHROMIUM_ARGS, `--unsafely-treat-insecure-origin-as-secure=${origin}`],
  });
  try {
    await withdrawAnalytics(browser, origin);
  } finally {
    await browser.close();
  }
});

async function withdrawAnalytics(browser, origin) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const consentPosts = [];
  page.on('requestfinished', async (r) => {
    if (r.method() === 'POST' && new URL(r.url()).pathname === '/v1/consents') {
      const res = await r.response();
      consentPosts.push({ body: r.postDataJSON(), status: res.status(), response: await res.json().catch(() => null) });
    }
  });
  await page.goto(url('/e2e/basic.html', HOST));
  expect(await page.evaluate(() => window.isSecureContext)).toBe(true);
  await ready(page);
  await action(banner(page), 'accept-all').click();
  await expect.poll(() => cookieNames(context)).toEqual(expect.arrayContaining([...ANALYTICS_COOKIES, 'IDE']));

  await expect.poll(() => consentPosts.length).toBe(1);
  // The stand-in set _ga/_gid/_ga_E2E on .assent.test (cookie_domain "auto"). Add the other variants a site
  // accumulates over time: host-only, the intermediate parent domain, and a narrower path.
  await context.addCookies([
    { name: '_ga', value: 'GA1.1.host', url: origin + '/' },
    { name: '_ga', value: 'GA1.1.shop', domain: '.shop.assent.test', path: '/' },
    { name: '_gid', value: 'GA1.1.path', domain: '.assent.test', path: '/e2e' },
    { name: '_ga_E2E', value: 'GS1.1.path', url: origin + '/e2e/basic.html' },
  ]);
  const all = await context.cookies();
  expect(cookiesNamed(all, ANALYTICS_COOKIES).length).toBeGreaterThanOrEqual(7);
  expect(all.some((c) => c.name === '_ga' && c.domain === '.assent.test'), 'GA cookie on the parent domain').toBe(true);
  expect(await localStorageKeys(page)).toContain('ga_queue_1');
  const postsBefore = consentPosts.length;

  // Withdraw through the page's own reopen control.
  await page.locator('[data-assent-open]').first().click();
  const d = prefs(page);
  await expect(d).toBeVisible();
  await expect(toggle(d, 'analytics')).toBeChecked();
  await toggle(d, 'analytics').uncheck();
  await action(d, 'save').click();
  await expect(d).toBeHidden();

  await expect.poll(async () => cookiesNamed(await context.cookies(), ANALYTICS_COOKIES)).toEqual([]);
  const names = await cookieNames(context);
  for (const c of ['IDE', '_gcl_au', 'fn_pref', 'nl_seen']) expect(names, `${c} (other categories) is kept`).toContain(c);
  expect(await localStorageKeys(page)).not.toContain('ga_queue_1');
  const s = await state(page);
  expect(s.categories.analytics).toBe(false);
  expect(s.categories.remarketing).toBe(true);
  const updates = await consentUpdates(page);
  expect(updates.at(-1).analytics_storage).toBe('denied');
  expect(updates.at(-1).ad_storage).toBe('granted');

  await expect.poll(() => consentPosts.length).toBe(postsBefore + 1);
  const post = consentPosts.at(-1);
  expect(post.status).toBeLessThan(300);
  expect(post.body.categories.analytics).toBe(false);
  const id = post.response?.record_id ?? post.response?.id;
  const rec = (await exportRecords()).find((r) => (r.record_id ?? r.id) === id);
  expect(rec, `record ${id} on the server`).toBeTruthy();
  expect(rec.site).toBe('e2e-basic');
  expect(rec.purposes.find((p) => p.category === 'analytics').state).toBe('denied');
  expect(rec.purposes.find((p) => p.category === 'remarketing').state).toBe('granted');
  expect(rec.collection.method).toBe('preferences');
  await context.close();
}

test('withdrawing everything takes two interactions and clears every tracker cookie on every domain', async ({ page, context }) => {
  await page.goto(url('/e2e/basic.html', HOST));
  await ready(page);
  await action(banner(page), 'accept-all').click();
  await expect.poll(() => cookieNames(context)).toEqual(expect.arrayContaining([...ANALYTICS_COOKIES, 'IDE', 'nl_seen']));
  await context.addCookies([{ name: 'IDE', value: 'parent', domain: '.assent.test', path: '/' }]);

  await page.locator('[data-assent-open]').first().click(); // 1
  await action(prefs(page), 'reject-all').click(); // 2
  await expect(prefs(page)).toBeHidden();

  const trackerNames = ['_ga', '_gid', '_ga_E2E', 'IDE', '_gcl_au', 'fn_pref', 'nl_seen', 'frame_seen'];
  await expect.poll(async () => cookiesNamed(await context.cookies(), trackerNames)).toEqual([]);
  const s = await state(page);
  expect(Object.entries(s.categories).filter(([, v]) => v).map(([k]) => k)).toEqual(['essential']);
  const updates = await consentUpdates(page);
  const last = updates.at(-1);
  for (const t of ['ad_storage', 'ad_user_data', 'ad_personalization', 'analytics_storage']) expect(last[t], t).toBe('denied');
});
