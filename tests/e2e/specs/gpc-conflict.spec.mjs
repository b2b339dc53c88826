// Checklist 10, second half: when GPC arrives on top of a stored "allow", the opt-out is processed and recorded,
// and the visitor's later re-grant is recorded too ("both events recorded").
import { test, expect, url, banner, prefs, action, toggle, ready, emulateGpc, exportRecords } from '../support/fixtures.mjs';

test('GPC over a stored allow: the processed opt-out and the later re-grant are both recorded', async ({ page, context, consentPosts }) => {
  await page.goto(url('/e2e/basic.html'));
  await ready(page);
  await action(banner(page), 'accept-all').click();
  await expect.poll(() => consentPosts.length).toBe(1);
  const subject = consentPosts[0].response.subject;

  await emulateGpc(context, true);
  await page.reload();
  await ready(page);
  // The opt-out processed because of GPC is recorded: remarketing denied, with the signal.
  await expect.poll(() => consentPosts.length, { message: 'a record for the GPC opt-out' }).toBe(2);
  expect(consentPosts[1].body.categories.remarketing).toBe(false);
  expect(consentPosts[1].body.signals.gpc).toBe(true);
  expect(consentPosts[1].body.method).toBe('withdraw');

  await page.locator('[data-assent-open]').first().click();
  await toggle(prefs(page), 'remarketing').check();
  await action(prefs(page), 'save').click();
  await expect.poll(() => consentPosts.length).toBe(3);
  expect(consentPosts[2].body.categories.remarketing).toBe(true);

  const mine = (await exportRecords('?site=e2e-basic')).filter((r) => r.subject === subject);
  expect(mine.map((r) => r.purposes.find((p) => p.category === 'remarketing').state)).toEqual(['granted', 'denied', 'granted']);
});
