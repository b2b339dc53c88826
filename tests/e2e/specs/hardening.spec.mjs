// What a hostile page, an HTML sanitizer's blind spots or a flaky network bring (issue 19): a withdrawal revokes
// the token at once, `data-src`/`policy_url` never run code, only the JSON script is the config, Consent Mode
// fails closed, `assent.ready` settles without the module, and late-added elements can be turned off.
import {
  test, expect, url, server, banner, action, ready, state, ran, verifyToken,
} from '../support/fixtures.mjs';
import { startServer, restartServer, makeWww } from '../support/server.mjs';

const TYPES = ['ad_storage', 'ad_user_data', 'ad_personalization', 'analytics_storage',
  'functionality_storage', 'personalization_storage', 'security_storage'];

/** The categories granted by every `assent_token` cookie that `assent token verify` accepts with `keys`. */
async function verifiedGrants(context, keys) {
  const out = [];
  for (const c of (await context.cookies()).filter((x) => x.name === 'assent_token')) {
    const r = await verifyToken(decodeURIComponent(c.value), keys);
    if (r.code === 0) out.push(JSON.parse(r.stdout).categories.slice().sort());
  }
  return out;
}

/** Serves `html` at `path` of the global server (the page still loads the real /assent/ files from it). */
async function servePage(page, path, html, headers = {}) {
  await page.route((u) => u.pathname === path, (route) => route.fulfill({
    status: 200, contentType: 'text/html; charset=utf-8', headers, body: html,
  }));
  return url(path);
}

function html({ config, before = '', after = '', body = '', bootstrap = '<script src="/assent/assent.js"></script>' }) {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>hardening</title></head><body>
${before}
<script type="application/json" id="assent-config">${config}</script>
${bootstrap}
${after}
${body}
</body></html>`;
}

const BASE = { site: 'e2e-hardening', revision: 1, policy_url: '/e2e/privacy.html', categories: { analytics: {} } };
const config = (extra = {}) => JSON.stringify({ ...BASE, ...extra });

/** Console messages of a type, collected from now on. */
function consoleOf(page, type) {
  const list = [];
  page.on('console', (m) => { if (m.type() === type) list.push(m.text()); });
  return list;
}

/** `[cmd0 cmd1]` of each dataLayer entry, and whether the first one is an `Arguments` all-denied default. */
async function consentDefaultFirst(page) {
  return page.evaluate((types) => {
    const first = (window.dataLayer || [])[0];
    if (Object.prototype.toString.call(first) !== '[object Arguments]') return 'first entry is not an Arguments object';
    if (first[0] !== 'consent' || first[1] !== 'default') return `first entry is ${first[0]} ${first[1]}`;
    const bad = types.filter((t) => first[2][t] !== (t === 'security_storage' ? 'granted' : 'denied'));
    return bad.length ? `not denied: ${bad}` : 'ok';
  }, TYPES);
}

// 1. ------------------------------------------------------------------------------------------------------------

test('withdrawal with the server down: the token is deleted at once, a reload finds none granting the withdrawn category, and the server later issues one without it', async ({ page, context }) => {
  const own = await startServer({ www: makeWww() });
  let back = null;
  try {
    await page.goto(`${own.origin}/e2e/basic.html`);
    await ready(page);
    await action(banner(page), 'accept-all').click();
    await expect.poll(() => verifiedGrants(context, own.keys), { timeout: 15_000 })
      .toEqual([expect.arrayContaining(['analytics', 'remarketing'])]);

    await own.stop();
    // The consent server is really down from here on; the page's static files (the same www) still load, as
    // from a CDN, so the page can be reloaded. Requests to /v1/ go to the dead port.
    await page.route((u) => u.origin === own.origin && !u.pathname.startsWith('/v1/'), async (route) => {
      const u = new URL(route.request().url());
      const response = await route.fetch({ url: url(u.pathname + u.search) });
      // A reload cancels what the old page still had in flight (its favicon, say); Playwright then reports the
      // route as handled. That is the page moving on, not a failure of the "CDN".
      await route.fulfill({ response }).catch((e) => { if (!/already handled/.test(e.message)) throw e; });
    });
    // Synchronously, in the same task as the choice: no token cookie left.
    const cookieAfter = await page.evaluate(() => { window.assent.set({ analytics: false }); return document.cookie; });
    expect(cookieAfter).not.toMatch(/(^|; )assent_token=/);
    expect(await verifiedGrants(context, own.keys)).toEqual([]);

    await page.reload();
    expect((await ready(page)).categories.analytics).toBe(false);
    expect(await verifiedGrants(context, own.keys)).toEqual([]);

    // Back up: the queued withdrawal is recorded and its token grants what the visitor kept, not analytics.
    back = await restartServer(own);
    await page.unrouteAll({ behavior: 'wait' });
    await page.reload();
    await ready(page);
    await expect.poll(() => verifiedGrants(context, back.keys), { timeout: 15_000 })
      .toEqual([expect.arrayContaining(['remarketing'])]);
    expect((await verifiedGrants(context, back.keys))[0]).not.toContain('analytics');
  } finally {
    await (back || own).stop();
  }
});

test('withdrawal answered 422: the token was deleted before the answer, and a reload finds none granting the withdrawn category', async ({ page, context }) => {
  await page.goto(url('/e2e/basic.html'));
  await ready(page);
  await action(banner(page), 'accept-all').click();
  await expect.poll(() => verifiedGrants(context, server.keysUrl), { timeout: 15_000 })
    .toEqual([expect.arrayContaining(['analytics'])]);

  let release;
  const held = new Promise((r) => { release = r; });
  let arrived;
  const posted = new Promise((r) => { arrived = r; });
  const consentsPost = (u) => u.pathname === '/v1/consents';
  await page.route(consentsPost, async (route) => {
    arrived(route.request().postDataJSON());
    await held;
    await route.fulfill({ status: 422, contentType: 'application/json',
      body: JSON.stringify({ error: { code: 'stale_revision', message: 'the site config has a newer revision' } }) });
  });
  await page.evaluate(() => window.assent.set({ analytics: false }));
  const body = await posted;
  expect(body.categories.analytics).toBe(false);
  // The request is still held: narrowing did not wait for the network.
  expect(await verifiedGrants(context, server.keysUrl)).toEqual([]);
  release();
  await expect.poll(() => page.evaluate(() => localStorage.getItem('assent.queue'))).toBeNull();

  await page.unroute(consentsPost);
  await page.reload();
  expect((await ready(page)).categories.analytics).toBe(false);
  expect(await verifiedGrants(context, server.keysUrl)).toEqual([]);
});

// 2. ------------------------------------------------------------------------------------------------------------

test('data-src with javascript:, data: or vbscript: is refused with a console error naming the element, and nothing runs', async ({ page }) => {
  const errors = consoleOf(page, 'error');
  const bad = [
    "javascript:parent.postMessage('javascript','*')",
    " JavaScript:parent.postMessage('javascript-2','*')",
    'java&#9;script:parent.postMessage(\'javascript-tab\',\'*\')',
    "data:text/html,<script>parent.postMessage('data','*')</script>",
    'vbscript:msgbox(1)',
  ];
  const frames = bad.map((src, i) => `<iframe id="bad-${i}" data-assent="essential" data-src="${src}"></iframe>`).join('\n');
  const target = await servePage(page, '/e2e/h/data-src.html', html({
    config: config(),
    before: "<script>window.__msgs = []; addEventListener('message', (e) => window.__msgs.push(e.data));</script>",
    body: `${frames}\n<iframe id="good" data-assent="essential" data-src="/e2e/trackers/frame.html?h=1"></iframe>`,
  }));
  await page.goto(target);
  await ready(page);
  // The one http(s)/relative embed loads: activation did happen.
  await expect(page.locator('#good')).toHaveAttribute('src', '/e2e/trackers/frame.html?h=1');
  await page.waitForFunction(() => document.getElementById('good').contentDocument?.readyState === 'complete');
  for (let i = 0; i < bad.length; i++) {
    const f = page.locator(`#bad-${i}`);
    await expect(f).toHaveAttribute('data-assent-state', 'refused');
    expect(await f.getAttribute('src'), `#bad-${i} got no src`).toBeNull();
    await expect(f).toBeHidden();
  }
  await expect.poll(() => errors.filter((e) => e.includes('refused')).length).toBe(bad.length);
  for (let i = 0; i < bad.length; i++) {
    expect(errors.some((e) => e.includes('only http(s) and relative data-src URLs load') && e.includes(`id="bad-${i}"`)),
      `an error names #bad-${i}`).toBe(true);
  }
  expect(await page.evaluate(() => window.__msgs)).toEqual([]);
});

// 3. ------------------------------------------------------------------------------------------------------------

test('policy_url "javascript:alert(1)" is refused with the field named; no banner, no such link', async ({ page }) => {
  const errors = consoleOf(page, 'error');
  await page.goto(await servePage(page, '/e2e/h/policy.html', html({ config: config({ policy_url: 'javascript:alert(1)' }) })));
  const s = await ready(page);
  // The browser build names the field; the reason is `assent check`'s (and assent-core's tests').
  expect(s.error).toMatch(/: policy_url \(the reasons: `assent check`/);
  expect(s.categories).toEqual({ essential: true });
  expect(errors.some((e) => e.includes('policy_url'))).toBe(true);
  await expect(banner(page)).toHaveCount(0);
  await expect(page.locator('a[href^="javascript"]')).toHaveCount(0);
});

// 4. ------------------------------------------------------------------------------------------------------------

test('a <div id="assent-config"> before the real config is ignored, by the bootstrap and by the SDK', async ({ page }) => {
  const fake = JSON.stringify({ revision: 1, policy_url: '/x', endpoint: 'https://evil.example',
    categories: { analytics: {}, evil: { title: 'Evil' } } });
  const requests = [];
  page.on('request', (r) => requests.push(r.url()));
  await page.goto(await servePage(page, '/e2e/h/fake-config.html', html({
    before: `<div id="assent-config">${fake}</div>`,
    config: config({ consent_mode: { enabled: true }, categories: { analytics: {}, remarketing: {} } }),
  })));
  const s = await ready(page);
  expect(s.error).toBeUndefined();
  expect(Object.keys(s.categories).sort()).toEqual(['analytics', 'essential', 'remarketing']);
  // The fake has no Consent Mode: the default proves the bootstrap read the real one.
  expect(await consentDefaultFirst(page)).toBe('ok');
  await expect(banner(page)).toBeVisible();
  await action(banner(page), 'accept-all').click();
  expect(requests.some((u) => u.includes('evil.example'))).toBe(false);
});

// 5. and 10. -------------------------------------------------------------------------------------------------------

/** An un-gated gtag.js stand-in (loaded `async`, as in Consent Mode's advanced set-up): records what it saw. */
async function gtagStandin(page) {
  await page.route((u) => u.pathname === '/e2e/h/gtag/js', (route) => route.fulfill({
    status: 200, contentType: 'text/javascript',
    body: `window.google_tag_data = window.google_tag_data || {};
      window.__gtagSaw = (window.dataLayer || []).map((a) => Array.prototype.slice.call(a, 0, 2).join(' '));`,
  }));
}

for (const [name, text] of [
  ['a trailing comma', config({ consent_mode: { enabled: true } }).replace(/}$/, ',}')],
  ['a byte-order mark', `\uFEFF${config({ consent_mode: { enabled: true } })}`],
]) {
  test(`a config with ${name} and Consent Mode: an all-denied consent default is still first in dataLayer, before an async gtag.js`, async ({ page }) => {
    await gtagStandin(page);
    const errors = consoleOf(page, 'error');
    await page.goto(await servePage(page, '/e2e/h/broken.html', html({
      config: text, after: '<script async src="/e2e/h/gtag/js?id=G-HARD"></script>',
    })));
    const s = await ready(page);
    expect(s.error).toMatch(/invalid config/);
    expect(await consentDefaultFirst(page)).toBe('ok');
    await page.waitForFunction(() => window.__gtagSaw);
    expect((await page.evaluate(() => window.__gtagSaw))[0]).toBe('consent default');
    expect(errors.some((e) => e.includes('invalid config'))).toBe(true);
  });
}

test('synchronous bootstrap before an async gtag.js: the default comes first and nothing warns', async ({ page }) => {
  await gtagStandin(page);
  const warnings = consoleOf(page, 'warning');
  await page.goto(await servePage(page, '/e2e/h/order.html', html({
    config: config({ consent_mode: { enabled: true } }),
    after: '<script async src="/e2e/h/gtag/js?id=G-HARD"></script>',
  })));
  await ready(page);
  await page.waitForFunction(() => window.__gtagSaw);
  expect(await page.evaluate(() => window.__gtagSaw)).toEqual(['consent default']);
  expect(warnings.filter((w) => w.startsWith('Assent'))).toEqual([]);
});

test('a Google tag that ran before the bootstrap is warned about', async ({ page }) => {
  await gtagStandin(page);
  const warnings = consoleOf(page, 'warning');
  let release;
  const held = new Promise((r) => { release = r; });
  await page.route((u) => u.pathname === '/assent/assent.js', async (route) => { await held; await route.continue(); });
  const target = await servePage(page, '/e2e/h/late.html', html({
    before: '<script async src="/e2e/h/gtag/js?id=G-HARD"></script>',
    config: config({ consent_mode: { enabled: true } }),
  }));
  const navigation = page.goto(target);
  // The async tag runs while the parser waits for assent.js.
  await expect.poll(() => page.evaluate(() => Array.isArray(window.__gtagSaw)).catch(() => false)).toBe(true);
  expect(await page.evaluate(() => window.__gtagSaw)).toEqual([]);
  release();
  await navigation;
  await ready(page);
  expect(warnings.some((w) => w.includes('a Google tag came before assent.js'))).toBe(true);
  expect(await consentDefaultFirst(page)).toBe('ok');
});

test('a config placed after the bootstrap is warned about (and still read once the page is parsed)', async ({ page }) => {
  const warnings = consoleOf(page, 'warning');
  await page.goto(await servePage(page, '/e2e/h/config-after.html',
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>h</title>
<script src="/assent/assent.js"></script></head><body>
<script type="application/json" id="assent-config">${config()}</script></body></html>`));
  const s = await ready(page);
  expect(s.error).toBeUndefined();
  expect(warnings.some((w) => w.includes('no config before assent.js'))).toBe(true);
});

// 6. ------------------------------------------------------------------------------------------------------------

test('the wasm answering 404: assent.ready resolves with the all-denied state and nothing runs, even for a visitor who accepted all', async ({ page, trackerRequests }) => {
  await page.goto(url('/e2e/basic.html'));
  await ready(page);
  await action(banner(page), 'accept-all').click();
  // The last blocked script in document order: once it ran, no activated script is still being fetched (a late
  // one would otherwise land in trackerRequests after the reset below).
  await expect.poll(() => ran(page)).toContain('newsletter');

  await page.route('**/*.wasm', (route) => route.fulfill({ status: 404, contentType: 'text/plain', body: 'not found' }));
  trackerRequests.length = 0;
  await page.reload();
  // No module, so no window.assent.get(): the promise itself must settle.
  const s = await page.evaluate(() => window.assent.ready);
  expect(s).toEqual({ categories: { essential: true }, decided: false, error: 'not loaded' });
  await page.waitForLoadState('load');
  expect(await ran(page)).toEqual([]);
  expect(trackerRequests).toEqual([]);
  await expect(page.locator('script[data-assent-state]')).toHaveCount(0);
  await expect(page.locator('iframe[data-assent]')).not.toHaveAttribute('src', /.+/);
});

// 7. ------------------------------------------------------------------------------------------------------------

test('61 custom categories: a clear error, nothing silently dropped', async ({ page }) => {
  const categories = { analytics: {} };
  for (let i = 0; i < 61; i++) categories[`c${i}`] = { title: `C${i}` };
  await page.goto(await servePage(page, '/e2e/h/many.html', html({ config: config({ categories }) })));
  const s = await ready(page);
  expect(s.error).toMatch(/: categories \(the reasons: `assent check`/);
  expect(s.categories).toEqual({ essential: true });
});

// 8. ------------------------------------------------------------------------------------------------------------

const NONCE = 'e2e-hardening-n0nce';
const STRICT_DYNAMIC = `script-src 'nonce-${NONCE}' 'strict-dynamic' 'wasm-unsafe-eval'; object-src 'none'; base-uri 'none'`;

for (const activate of [true, false]) {
  test(`'strict-dynamic' CSP, activate_added_elements ${activate}: an injected essential script ${activate ? 'runs, without a nonce' : 'never runs'}`, async ({ page }) => {
    const extra = activate ? {} : { activate_added_elements: false };
    await page.goto(await servePage(page, `/e2e/h/dynamic-${activate}.html`, html({
      config: config(extra),
      bootstrap: `<script nonce="${NONCE}" src="/assent/assent.js"></script>`,
      body: `<script type="text/plain" data-assent="essential" nonce="${NONCE}">window.__boot = 1;</script>
<script type="text/plain" data-assent="analytics" nonce="${NONCE}">window.__analytics = 1;</script>
<div id="ugc"></div>`,
    }), { 'content-security-policy': STRICT_DYNAMIC }));
    await ready(page);
    await page.waitForFunction(() => window.__boot === 1);
    // Untrusted HTML rendered by the page's own script.
    await page.evaluate(() => {
      document.getElementById('ugc').innerHTML = '<script type="text/plain" data-assent="essential">window.__injected = 1;<\/script>';
    });
    // A choice rescans the whole page (synchronously): the element present at boot runs now.
    await page.evaluate(() => window.assent.acceptAll());
    await page.waitForFunction(() => window.__analytics === 1);
    if (activate) {
      await page.waitForFunction(() => window.__injected === 1);
      const nonces = await page.evaluate(() => [...document.scripts]
        .filter((s) => s.dataset.assentState === 'activated').map((s) => s.nonce));
      expect(nonces.sort()).toEqual(['', NONCE, NONCE]);
    } else {
      expect(await page.evaluate(() => window.__injected)).toBeUndefined();
      await expect(page.locator('#ugc script')).toHaveAttribute('type', 'text/plain');
      expect(await page.locator('#ugc script').getAttribute('data-assent-state')).toBeNull();
    }
  });
}

// 11. -----------------------------------------------------------------------------------------------------------

test('the retry queue sends only this site\'s records naming no other subject; junk entries are skipped', async ({ page }) => {
  await page.goto(url('/e2e/basic.html'));
  await ready(page);
  await page.route((u) => u.pathname === '/v1/consents', (route) => route.abort('connectionrefused'));
  await action(banner(page), 'accept-all').click();
  await expect.poll(() => page.evaluate(() => JSON.parse(localStorage.getItem('assent.queue') || '[]').length)).toBe(1);
  const live = await page.evaluate(() => {
    const [rec] = JSON.parse(localStorage.getItem('assent.queue'));
    const forged = { ...rec, subject: 'AAAAAAAAAAAAAAAAAAAAAA', decided_at: rec.decided_at + 1 };
    const otherSite = { ...rec, site: 'e2e-other', decided_at: rec.decided_at + 2 };
    const huge = { ...rec, decided_at: rec.decided_at + 3, pad: 'x'.repeat(9000) };
    const queue = [1, 'x', [rec], null, {}, forged, otherSite, huge, rec];
    localStorage.setItem('assent.queue', JSON.stringify(queue));
    return rec;
  });
  expect(live.subject).toMatch(/^[A-Za-z0-9_-]{22}$/);
  await page.unrouteAll();
  const posted = [];
  page.on('request', (r) => { if (r.method() === 'POST' && new URL(r.url()).pathname === '/v1/consents') posted.push(r.postDataJSON()); });
  await page.reload();
  await ready(page);
  // Once the record is stored, the queue is empty: nothing else in it was admissible.
  await expect.poll(() => page.evaluate(() => localStorage.getItem('assent.queue'))).toBeNull();
  expect(posted).toEqual([live]);
});
