// Screenshots of the banner and the preferences dialog for the README, taken in headless Chromium on the Croo
// example and written to docs/img/ (committed).
import fs from 'node:fs';
import path from 'node:path';
import { test, expect, url, banner, prefs, action, ready } from '../support/fixtures.mjs';
import { REPO } from '../support/server.mjs';

const OUT = path.join(REPO, 'docs', 'img');

test('screenshots: banner and preferences dialog (docs/img)', async ({ page }) => {
  fs.mkdirSync(OUT, { recursive: true });
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.emulateMedia({ colorScheme: 'light', reducedMotion: 'reduce' });
  await page.goto(url('/examples/croo/'));
  await ready(page);
  await expect(banner(page)).toBeVisible();
  await page.screenshot({ path: path.join(OUT, 'banner.png') });
  await action(banner(page), 'preferences').click();
  await expect(prefs(page)).toBeVisible();
  await page.screenshot({ path: path.join(OUT, 'preferences.png') });
  for (const f of ['banner.png', 'preferences.png']) expect(fs.statSync(path.join(OUT, f)).size).toBeGreaterThan(10_000);
});
