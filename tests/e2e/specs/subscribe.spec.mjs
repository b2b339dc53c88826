// Marketing-email double opt-in from the browser against the real server: `<form data-assent-subscribe>` and
// `assent.subscribe()` post to `assent serve`, the confirmation message lands in the server's outbox, opening its
// link confirms, and the admin API then says `confirmed`. Nothing is sent before the visitor ticks the box.
// Each test runs its own server (its own outbox) so that messages are never mixed up.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test, expect, ready } from '../support/fixtures.mjs';
import { startServer, makeWww } from '../support/server.mjs';

const CONSENT_TEXT = 'Yes, send me the newsletter. I can unsubscribe at any time.';
const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>E2E subscribe</title>
<script type="application/json" id="assent-config">
{ "site": "e2e-subscribe", "revision": 1, "policy_url": "/e2e/privacy.html", "endpoint": "/",
  "categories": { "marketing_email": {} } }
</script>
<script src="/assent/assent.js"></script>
</head>
<body>
<main>
<h1>Newsletter</h1>
<form data-assent-subscribe="newsletter">
  <label>E-mail <input type="email" name="email" required></label>
  <label><input type="checkbox" data-assent-subscribe-consent> ${CONSENT_TEXT}</label>
  <button type="submit">Subscribe</button>
  <p data-assent-subscribe-status></p>
</form>
</main>
</body>
</html>
`;

async function subscribeServer() {
  const outbox = fs.mkdtempSync(path.join(os.tmpdir(), 'assent-e2e-outbox-'));
  const server = await startServer({
    www: makeWww({ extra: [['e2e/subscribe.html', PAGE]] }),
    env: { ASSENT_OUTBOX: outbox },
  });
  return { server, outbox };
}

/** The messages in the outbox addressed to `to` (the outbox keeps one directory per recipient pseudonym). */
function messagesTo(outbox, to) {
  if (!fs.existsSync(outbox)) return [];
  return fs.readdirSync(outbox, { recursive: true }).filter((f) => String(f).endsWith('.eml'))
    .map((f) => fs.readFileSync(path.join(outbox, String(f)), 'utf8'))
    .filter((m) => m.split(/\r?\n\r?\n/)[0].includes(`To: ${to}`));
}

/** The confirmation link of a message (quoted-printable soft breaks and `=3D` undone). */
function confirmLink(eml) {
  const body = eml.split(/\r?\n\r?\n/).slice(1).join('\n').replace(/=\r?\n/g, '').replace(/=3D/g, '=');
  const m = body.match(/https?:\/\/[^\s"<>]*\/v1\/subscriptions\/confirm\?t=[A-Za-z0-9_-]+/);
  expect(m, `a confirmation link in:\n${eml}`).toBeTruthy();
  return m[0];
}

async function state(server, email) {
  const r = await fetch(`${server.origin}/v1/admin/subscriptions/status?email=${encodeURIComponent(email)}`,
    { headers: { Authorization: `Bearer ${server.adminToken}` } });
  expect(r.status).toBe(200);
  const s = await r.json();
  return s.lists.find((l) => l.list === 'newsletter')?.state ?? 'none';
}

/** Opens the confirmation link as the subscriber would; a page with a Confirm button is confirmed by clicking. */
async function openConfirmation(page, link) {
  const r = await page.goto(link);
  expect(r.status()).toBe(200);
  const button = page.locator('form[method="post" i] button, form[method="post" i] [type="submit"]');
  if (await button.count()) {
    await Promise.all([page.waitForNavigation(), button.first().click()]);
  }
}

test('form: nothing is sent until the box is ticked; then a confirmation arrives and its link confirms', async ({ page }) => {
  const { server, outbox } = await subscribeServer();
  try {
    const posts = [];
    page.on('request', (r) => {
      if (r.method() === 'POST' && new URL(r.url()).pathname === '/v1/subscriptions') posts.push(r);
    });
    const email = 'form.reader@mail.example';
    await page.goto(`${server.origin}/e2e/subscribe.html`);
    await ready(page);
    const form = page.locator('form[data-assent-subscribe]');
    const box = form.locator('[data-assent-subscribe-consent]');
    await expect(box).not.toBeChecked();
    await form.locator('input[type=email]').fill(email);

    // Not ticked: the SDK sends nothing (and the page does not navigate away).
    await form.locator('button[type=submit]').click();
    await expect.poll(() => page.evaluate(() => document.readyState)).toBe('complete');
    expect(posts).toHaveLength(0);
    expect(messagesTo(outbox, email)).toHaveLength(0);
    expect(await state(server, email)).toBe('none');

    await box.check();
    const answered = page.waitForResponse((r) => new URL(r.url()).pathname === '/v1/subscriptions');
    await form.locator('button[type=submit]').click();
    const response = await answered;
    expect(response.status()).toBe(202);
    const sent = response.request().postDataJSON();
    expect(sent).toMatchObject({ email, list: 'newsletter', site: 'e2e-subscribe', tracking: false });
    // The notice hash is the SHA-256 of the consent text the visitor saw next to the box.
    expect(sent.notice_hash).toBe(crypto.createHash('sha256').update(CONSENT_TEXT).digest('hex'));
    await expect(form.locator('[data-assent-subscribe-status]')).not.toBeEmpty();
    expect(posts).toHaveLength(1);

    await expect.poll(() => messagesTo(outbox, email).length, { timeout: 15_000 }).toBe(1);
    expect(await state(server, email)).toBe('pending');
    await openConfirmation(page, confirmLink(messagesTo(outbox, email)[0]));
    await expect.poll(() => state(server, email)).toBe('confirmed');
  } finally {
    await server.stop();
  }
});

test('assent.subscribe(): 202 and a confirmation whose link confirms; bad input is a clear error, nothing sent', async ({ page }) => {
  const { server, outbox } = await subscribeServer();
  try {
    await page.goto(`${server.origin}/e2e/subscribe.html`);
    await ready(page);
    const bad = await page.evaluate(() => window.assent.subscribe('not-an-address', 'newsletter'));
    expect(bad).toMatchObject({ ok: false, status: 422, code: 'invalid_email' });
    const unknown = await page.evaluate(() => window.assent.subscribe('api.reader@mail.example', 'no-such-list'));
    expect(unknown).toMatchObject({ ok: false, code: 'unknown_list' });
    expect(messagesTo(outbox, 'api.reader@mail.example')).toHaveLength(0);

    const email = 'api.reader@mail.example';
    const ok = await page.evaluate((e) => window.assent.subscribe(e, 'newsletter'), email);
    expect(ok).toMatchObject({ ok: true, status: 202 });
    await expect.poll(() => messagesTo(outbox, email).length, { timeout: 15_000 }).toBe(1);
    expect(await state(server, email)).toBe('pending');
    await openConfirmation(page, confirmLink(messagesTo(outbox, email)[0]));
    await expect.poll(() => state(server, email)).toBe('confirmed');
  } finally {
    await server.stop();
  }
});
