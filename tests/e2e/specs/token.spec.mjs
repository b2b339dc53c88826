// The signed token cookie written after the server answers verifies offline with `assent token verify` against the
// server's published keys, and carries the categories the visitor chose.
import { test, expect, url, banner, prefs, action, toggle, ready, verifyToken } from '../support/fixtures.mjs';

async function tokenCookie(context, name = 'assent_token') {
  return (await context.cookies()).find((c) => c.name === name);
}

test('token cookie verifies with `assent token verify` and its categories match the choice', async ({ page, context }) => {
  await page.goto(url('/e2e/basic.html'));
  await ready(page);
  await action(banner(page), 'preferences').click();
  await toggle(prefs(page), 'analytics').check();
  await toggle(prefs(page), 'marketing_email').check();
  await action(prefs(page), 'save').click();
  await expect.poll(() => tokenCookie(context)).toBeTruthy();
  const token = decodeURIComponent((await tokenCookie(context)).value);

  const ok = await verifyToken(token);
  expect(ok.code, `stdout: ${ok.stdout}\nstderr: ${ok.stderr}`).toBe(0);
  const claims = JSON.parse(ok.stdout);
  expect(claims.site_id).toBe('e2e-basic');
  expect(claims.config_revision).toBe(1);
  expect(claims.categories.slice().sort()).toEqual(['analytics', 'essential', 'marketing_email']);
  expect(claims.granted).toEqual([0, 1, 3]);
  expect(claims.signals).toEqual({ dnt: false, gpc: false });

  // Any altered byte fails.
  const i = Math.floor(token.length / 2);
  const tampered = token.slice(0, i) + (token[i] === 'A' ? 'B' : 'A') + token.slice(i + 1);
  const bad = await verifyToken(tampered);
  // Exit 1 is "invalid token"; 2 would be "could not check" (e.g. the keys URL failed), which proves nothing.
  expect(bad.code, `stdout: ${bad.stdout}\nstderr: ${bad.stderr}`).toBe(1);
  expect(bad.stderr).toContain('invalid token');
});
