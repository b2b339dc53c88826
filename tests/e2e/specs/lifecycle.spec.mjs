// A stored choice is followed until the site raises its revision or the choice gets older than reconsent_days.
import fs from 'node:fs';
import path from 'node:path';
import { test, expect, url, banner, action, ready, ran } from '../support/fixtures.mjs';
import { startServer, makeWww } from '../support/server.mjs';

const DAY = 86_400_000;

test('revision bump: a visitor who chose under revision 1 is asked again under revision 2', async ({ page }) => {
  await page.goto(url('/e2e/revision.html'));
  await ready(page);
  await action(banner(page), 'accept-all').click();
  await expect.poll(() => ran(page)).toContain('analytics-1');
  await page.reload();
  expect((await ready(page)).decided).toBe(true);
  await expect(banner(page)).toBeHidden();

  // The site owner publishes revision 2: a second real server serves the bumped page. Cookies do not depend on
  // the port, so the browser presents the revision-1 choice to it.
  const original = fs.readFileSync(path.join(process.env.E2E_WWW, 'e2e', 'revision.html'), 'utf8');
  const bumped = original.replace('"revision": 1', '"revision": 2');
  expect(bumped).not.toBe(original);
  const v2 = await startServer({ www: makeWww({ extra: [['e2e/revision.html', bumped]] }) });
  try {
    await page.goto(`${v2.origin}/e2e/revision.html`);
    const s = await ready(page);
    expect(s.revision).toBe(2);
    expect(s.decided).toBe(false);
    expect(s.categories.analytics).toBe(false);
    await expect(banner(page)).toBeVisible();
    await page.waitForLoadState('networkidle');
    expect(await ran(page)).toEqual([]);
  } finally {
    await v2.stop();
  }
});

test('expiry: the choice is followed before reconsent_days and asked again after (fake clock)', async ({ page }) => {
  // expiry.html sets reconsent_days to 30.
  const start = Date.now();
  await page.clock.install({ time: start });
  await page.goto(url('/e2e/expiry.html'));
  await ready(page);
  await action(banner(page), 'accept-all').click();
  await expect.poll(() => ran(page)).toContain('analytics-1');

  await page.clock.setSystemTime(start + 29 * DAY);
  await page.reload();
  let s = await ready(page);
  expect(s.decided).toBe(true);
  await expect(banner(page)).toBeHidden();
  await expect.poll(() => ran(page)).toContain('analytics-1');

  await page.clock.setSystemTime(start + 31 * DAY);
  await page.reload();
  s = await ready(page);
  expect(s.decided).toBe(false);
  expect(s.categories.analytics).toBe(false);
  await expect(banner(page)).toBeVisible();
  await page.waitForLoadState('networkidle');
  expect(await ran(page)).toEqual([]);
});
