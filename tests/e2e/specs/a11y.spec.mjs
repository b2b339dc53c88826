// Keyboard-only use and axe-core on the banner and the preferences dialog.
import { test, expect, url, banner, prefs, action, toggle, ready, state, axe } from '../support/fixtures.mjs';

const BASIC = '/e2e/basic.html';

/** A description of the focused element: its data-assent-action / category / text, and whether it is in `root`. */
function focused(page) {
  return page.evaluate(() => {
    const el = document.activeElement;
    if (!el || el === document.body) return { id: 'body', inBanner: false, inPrefs: false };
    const id = el.getAttribute('data-assent-action') || (el.getAttribute('data-assent-category') && 'switch:' + el.getAttribute('data-assent-category'))
      || (el.tagName + ':' + (el.textContent || '').trim().slice(0, 30));
    return {
      id,
      inBanner: !!el.closest('[data-assent-ui="banner"]'),
      inPrefs: !!el.closest('[data-assent-ui="preferences"]'),
    };
  });
}

/** Focusable controls inside `selector`, in DOM order, described like `focused`. */
function controls(page, selector) {
  return page.evaluate((sel) => {
    const root = document.querySelector(sel);
    return [...root.querySelectorAll('a[href], button:not([disabled]), input:not([disabled]), select, textarea, [tabindex]:not([tabindex="-1"])')]
      .filter((el) => el.getClientRects().length > 0)
      .map((el) => el.getAttribute('data-assent-action') || (el.getAttribute('data-assent-category') && 'switch:' + el.getAttribute('data-assent-category'))
        || (el.tagName + ':' + (el.textContent || '').trim().slice(0, 30)));
  }, selector);
}

test('banner and dialog are labelled dialogs; the preferences dialog is modal', async ({ page }) => {
  await page.goto(url(BASIC));
  await ready(page);
  const b = banner(page);
  await expect(b).toHaveAttribute('role', /^(dialog|region)$/);
  const label = await b.evaluate((el) => {
    const ids = (el.getAttribute('aria-labelledby') || '').split(/\s+/).filter(Boolean);
    return el.getAttribute('aria-label') || ids.map((i) => document.getElementById(i)?.textContent || '').join(' ');
  });
  expect(label.trim().length).toBeGreaterThan(0);
  await action(b, 'preferences').click();
  const d = prefs(page);
  await expect(d).toHaveAttribute('role', 'dialog');
  await expect(d).toHaveAttribute('aria-modal', 'true');
  await expect(d).toHaveAccessibleName(/.+/);
});

test('keyboard only: Tab reaches every banner control in order, and the banner works from the keyboard', async ({ page, consentPosts }) => {
  await page.goto(url(BASIC));
  await ready(page);
  await expect(banner(page)).toBeVisible();
  const expected = await controls(page, '[data-assent-ui="banner"]');
  expect(expected).toEqual(expect.arrayContaining(['accept-all', 'reject-all', 'preferences']));
  const seen = [];
  const trace = [];
  for (let i = 0; i < expected.length + 8 && seen.length < expected.length; i++) {
    await page.keyboard.press('Tab');
    const f = await focused(page);
    trace.push(f.id);
    if (f.inBanner) seen.push(f.id);
  }
  expect(seen, `focus went: ${trace.join(' → ')}`).toEqual(expected);

  // Reject with the keyboard alone.
  await page.locator('[data-assent-ui="banner"] [data-assent-action="reject-all"]').focus();
  await page.keyboard.press('Enter');
  await expect(banner(page)).toBeHidden();
  expect((await state(page)).decided).toBe(true);
  await expect.poll(() => consentPosts.length).toBe(1);
});

test('keyboard only: focus is trapped in the preferences dialog, Escape closes it and restores focus', async ({ page }) => {
  await page.goto(url(BASIC));
  await ready(page);
  const opener = action(banner(page), 'preferences');
  await opener.focus();
  await page.keyboard.press('Enter');
  const d = prefs(page);
  await expect(d).toBeVisible();
  expect((await focused(page)).inPrefs, 'focus moves into the dialog').toBe(true);

  const inside = await controls(page, '[data-assent-ui="preferences"]');
  expect(inside).toEqual(expect.arrayContaining(['switch:analytics', 'switch:remarketing', 'save']));
  const forward = [];
  for (let i = 0; i < inside.length * 2 + 2; i++) {
    await page.keyboard.press('Tab');
    const f = await focused(page);
    expect(f.inPrefs, `Tab #${i + 1} stays in the dialog (at ${f.id})`).toBe(true);
    forward.push(f.id);
  }
  for (const c of inside) expect(forward, `Tab reaches ${c}`).toContain(c);
  // In order: one full cycle starting at the first control equals the DOM order.
  const start = forward.indexOf(inside[0]);
  expect(forward.slice(start, start + inside.length)).toEqual(inside);
  for (let i = 0; i < inside.length + 2; i++) {
    await page.keyboard.press('Shift+Tab');
    expect((await focused(page)).inPrefs, `Shift+Tab #${i + 1} stays in the dialog`).toBe(true);
  }

  await page.keyboard.press('Escape');
  await expect(d).toBeHidden();
  await expect(opener).toBeFocused();
  expect((await state(page)).decided, 'Escape records nothing').toBe(false);
});

test('keyboard only: toggle a switch with Space and save with Enter; reopen from the page link restores focus to it', async ({ page }) => {
  await page.goto(url(BASIC));
  await ready(page);
  await action(banner(page), 'preferences').focus();
  await page.keyboard.press('Enter');
  const d = prefs(page);
  await toggle(d, 'analytics').focus();
  await page.keyboard.press('Space');
  await expect(toggle(d, 'analytics')).toBeChecked();
  await action(d, 'save').focus();
  await page.keyboard.press('Enter');
  await expect(d).toBeHidden();
  const s = await state(page);
  expect(s.categories.analytics).toBe(true);
  expect(s.categories.remarketing).toBe(false);

  const link = page.locator('[data-assent-open]').first();
  await link.focus();
  await page.keyboard.press('Enter');
  await expect(d).toBeVisible();
  await expect(toggle(d, 'analytics')).toBeChecked();
  await page.keyboard.press('Escape');
  await expect(d).toBeHidden();
  await expect(link).toBeFocused();
});

test('axe-core: zero violations on the banner (all impacts)', async ({ page }) => {
  await page.goto(url(BASIC));
  await ready(page);
  await expect(banner(page)).toBeVisible();
  expect(await axe(page, '[data-assent-ui="banner"]')).toEqual([]);
});

test('axe-core: zero violations on the preferences dialog (all impacts), also with the GPC notice', async ({ page, context }) => {
  await context.addInitScript(() => {
    Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { get: () => true, configurable: true });
  });
  await page.goto(url(BASIC));
  await ready(page);
  await action(banner(page), 'preferences').click();
  await expect(prefs(page)).toBeVisible();
  await expect(prefs(page).getByText('Opt-Out Request Honored')).toBeVisible();
  expect(await axe(page, '[data-assent-ui="preferences"]')).toEqual([]);
});

test('axe-core: zero violations on the banner and the preferences dialog of each site example', async ({ page }) => {
  for (const site of ['croo', 'connact', 'crmoz']) {
    await page.goto(url(`/examples/${site}/`));
    await ready(page);
    expect(await axe(page, '[data-assent-ui="banner"]'), `${site} banner`).toEqual([]);
    await action(banner(page), 'preferences').click();
    await expect(prefs(page)).toBeVisible();
    expect(await axe(page, '[data-assent-ui="preferences"]'), `${site} preferences`).toEqual([]);
  }
});
