// A page under a strict Content-Security-Policy: no 'unsafe-inline', no 'unsafe-eval', styles from 'self' only.
import { test, expect, url, banner, action, ready, ran, cookieNames } from '../support/fixtures.mjs';

const STRICT = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self'; "
  + "connect-src 'self'; frame-src 'self'; object-src 'none'; base-uri 'none'";

/** Serve `path` with a Content-Security-Policy header and collect every violation the page reports. */
async function withCsp(page, path, policy) {
  await page.route((u) => u.pathname === path, async (route) => {
    const res = await route.fetch();
    await route.fulfill({ response: res, headers: { ...res.headers(), 'content-security-policy': policy } });
  });
  await page.addInitScript(() => {
    window.__cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__cspViolations.push(`${e.violatedDirective} blocked ${e.blockedURI} (${e.sourceFile}:${e.lineNumber})`);
    });
  });
  const console = [];
  page.on('console', (m) => { if (/Content Security Policy|Refused to/i.test(m.text())) console.push(m.text()); });
  return async () => [...(await page.evaluate(() => window.__cspViolations)), ...console];
}

test('strict CSP (script-src \'self\' \'wasm-unsafe-eval\', style-src \'self\', no unsafe-*): banner, choice and re-enabled trackers work with no violation', async ({ page, context }) => {
  const violations = await withCsp(page, '/e2e/csp.html', STRICT);
  const res = await page.goto(url('/e2e/csp.html'));
  expect(res.headers()['content-security-policy']).toBe(STRICT);
  const s = await ready(page);
  expect(s.error).toBeUndefined();
  await expect(banner(page)).toBeVisible();
  await action(banner(page), 'accept-all').click();
  await expect.poll(() => ran(page)).toEqual(expect.arrayContaining(['analytics-1', 'analytics-2', 'remarketing', 'functional', 'newsletter', 'remarketing-frame']));
  expect(await cookieNames(context)).toEqual(expect.arrayContaining(['_ga', 'IDE']));
  await page.locator('[data-assent-open]').first().click();
  await expect(page.locator('[data-assent-ui="preferences"]')).toBeVisible();
  expect(await violations()).toEqual([]);
});

test('strict CSP with a nonce: a blocked inline script keeps its nonce and runs after consent, no violation', async ({ page }) => {
  const policy = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval' 'nonce-e2e-nonce-5f1d2c'; style-src 'self'; object-src 'none'; base-uri 'none'";
  const violations = await withCsp(page, '/e2e/csp-nonce.html', policy);
  await page.goto(url('/e2e/csp-nonce.html'));
  await ready(page);
  await action(banner(page), 'accept-all').click();
  await expect.poll(() => ran(page)).toContain('inline-nonce');
  expect(await violations()).toEqual([]);
});
