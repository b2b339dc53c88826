// What the consent server keeps for a choice made in the browser: the §7 record fields, the SHA-256 of the exact
// notice text the visitor was shown, and a signature that verifies offline.
import crypto from 'node:crypto';
import { test, expect, url, banner, prefs, action, toggle, ready, exportRecords, verifyToken, preferencesTexts } from '../support/fixtures.mjs';

/** The notice text as shown on screen: banner title and description, then each category's title and description. */
async function shownNotice(page) {
  const intro = await page.evaluate(() => {
    const b = document.querySelector('[data-assent-ui="banner"]');
    const title = b.querySelector('h2').textContent;
    const descNode = [...b.querySelector('h2 + p').childNodes].filter((n) => n.nodeType === Node.TEXT_NODE);
    return [title, descNode.map((n) => n.textContent).join('').trim()];
  });
  return [...intro, ...(await preferencesTexts(page))].join('\n');
}

test('a choice is stored with the record fields, the SHA-256 of the notice shown, and a verifiable signature', async ({ page, consentPosts }) => {
  await page.goto(url('/e2e/basic.html'));
  await ready(page);
  await expect(banner(page)).toBeVisible();
  await action(banner(page), 'preferences').click();
  await expect(prefs(page)).toBeVisible();
  // The banner is hidden while the dialog is open, but still in the DOM: the text is read from both.
  const text = await shownNotice(page);
  expect(text.split('\n').length).toBe(2 + 2 * 5);
  await toggle(prefs(page), 'analytics').check();
  await action(prefs(page), 'save').click();
  await expect.poll(() => consentPosts.length).toBe(1);
  const post = consentPosts[0];
  expect(post.status).toBe(201);

  const rec = (await exportRecords('?site=e2e-basic')).find((r) => r.record_id === post.response.id);
  expect(rec, 'record in the export').toBeTruthy();
  expect(rec.record_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/); // UUIDv7
  expect(rec.schema_version).toBeTruthy();
  expect(rec.subject).toBe(post.response.subject);
  expect(rec.controller.policy_url).toBe('/e2e/privacy.html');
  expect(rec.notice.revision).toBe(1);
  expect(rec.notice.sha256).toBe(crypto.createHash('sha256').update(text, 'utf8').digest('hex'));
  expect(rec.language).toBe('en');
  expect(rec.collection.method).toBe('preferences');
  expect(rec.collection.sdk_version).toMatch(/^\d+\.\d+\.\d+/);
  expect(rec.signals).toMatchObject({ dnt: false, gpc: false });
  expect(rec.withdrawal).toBeTruthy();
  expect(Date.parse(rec.ts)).not.toBeNaN();
  const purposes = Object.fromEntries(rec.purposes.map((p) => [p.category, p]));
  expect(Object.keys(purposes).sort()).toEqual(['analytics', 'essential', 'functional', 'marketing_email', 'remarketing']);
  expect(purposes.analytics.state).toBe('granted');
  expect(purposes.remarketing.state).toBe('denied');
  expect(purposes.essential.state).toBe('granted');
  for (const p of rec.purposes) {
    expect(p.legal_basis).toBeTruthy();
    expect(p.expires_at).toBeGreaterThan(p.ts);
  }

  // The record's signature (the token) verifies offline against the published keys; one altered byte fails.
  expect(rec.signature.alg).toBe('Ed25519');
  const ok = await verifyToken(rec.signature.token);
  expect(ok.code, ok.stderr).toBe(0);
  expect(JSON.parse(ok.stdout).record_id).toBe(rec.record_id);
  const t = rec.signature.token;
  const bad = await verifyToken(t.slice(0, -3) + (t.at(-3) === 'x' ? 'y' : 'x') + t.slice(-2));
  // Exit 1 is "invalid token"; 2 would be "could not check", which proves nothing about the signature.
  expect(bad.code, bad.stderr).toBe(1);
  expect(bad.stderr).toContain('invalid token');
});
