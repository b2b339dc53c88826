// The site owners' dashboard (/admin/) on its own real `assent serve`, seeded through the public API with a
// history this file computes its expectations from: no data without a session, a wrong token refused, the
// overview's numbers, erasure from the UI (checked through the admin API), a cross-origin write refused, axe on
// every view in light and dark, and every view by keyboard alone.
import { test, expect, axe } from '../support/fixtures.mjs';
import { startServer, makeWww } from '../support/server.mjs';

const SITE = 'croo.io';
const TOKEN = 'dashboard-e2e-admin-token-0123456789';
const NOTICE = 'a'.repeat(64);

// 30 choices: every 5th rejects all (every 10th of those with GPC, every 15th with DNT), two in five accept all,
// the rest grant analytics only. Signals only on rejections, so "honour GPC/DNT" changes no choice.
const HISTORY = Array.from({ length: 30 }, (_, i) => {
  const kind = i % 5 === 0 ? 'reject' : i % 5 <= 2 ? 'accept' : 'custom';
  const on = kind === 'accept';
  return {
    kind,
    gpc: i % 10 === 0,
    dnt: i % 15 === 0,
    categories: { analytics: on || kind === 'custom', remarketing: on, marketing_email: on },
  };
});
const count = (f) => HISTORY.filter(f).length;
const pct = (n) => `${((n * 100) / HISTORY.length).toFixed(1)} %`;

let server;
let subjects = [];
let firstRecord;

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  server = await startServer({ www: makeWww(), adminToken: TOKEN });
  for (const h of HISTORY) {
    const r = await fetch(`${server.origin}/v1/consents`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        site: SITE, revision: 1, categories: h.categories, signals: { dnt: h.dnt, gpc: h.gpc },
        language: 'en', method: h.kind === 'custom' ? 'preferences' : 'banner', notice_hash: NOTICE,
        sdk_version: '0.1.0',
      }),
    });
    expect(r.status, await r.clone().text()).toBe(201);
    const body = await r.json();
    subjects.push(body.subject);
    firstRecord ??= body.id;
  }
});

test.afterAll(async () => {
  await server?.stop();
});

async function signIn(page) {
  await page.goto(`${server.origin}/admin/signin`);
  await page.getByLabel('Admin token').fill(TOKEN);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(`${server.origin}/admin/`);
}

async function adminJson(path) {
  const r = await fetch(`${server.origin}${path}`, { headers: { Authorization: `Bearer ${TOKEN}` } });
  expect(r.status).toBe(200);
  return r.json();
}

test('no data without a session, and a wrong token gets none', async ({ page, context }) => {
  for (const path of ['/admin/', '/admin/records', `/admin/subject?id=${subjects[0]}`, '/admin/email', '/admin/keys']) {
    const response = await page.goto(`${server.origin}${path}`);
    await expect(page, path).toHaveURL(`${server.origin}/admin/signin`);
    expect(response.status()).toBe(200);
    await expect(page.locator('body')).not.toContainText(SITE);
  }
  await page.getByLabel('Admin token').fill('not-the-admin-token-at-all');
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.url().endsWith('/v1/admin/session')),
    page.getByRole('button', { name: 'Sign in' }).click(),
  ]);
  expect(response.status()).toBe(401);
  await expect(page.getByRole('alert')).toContainText('not the admin token');
  expect((await context.cookies()).map((c) => c.name)).not.toContain('assent_admin');
  const api = await page.request.get(`${server.origin}/v1/admin/stats/timeseries?site=${SITE}`);
  expect(api.status()).toBe(401);
});

test("the overview's numbers match the seeded history", async ({ page, context }) => {
  await signIn(page);
  const cookie = (await context.cookies()).find((c) => c.name === 'assent_admin');
  expect(cookie.httpOnly).toBe(true);
  expect(cookie.sameSite).toBe('Strict');
  await page.goto(`${server.origin}/admin/?site=${SITE}`);
  await expect(page.locator('#total-records')).toHaveText(String(HISTORY.length));
  await expect(page.locator('#total-accept')).toHaveText(pct(count((h) => h.kind === 'accept')));
  await expect(page.locator('#total-reject')).toHaveText(pct(count((h) => h.kind === 'reject')));
  await expect(page.locator('#total-custom')).toHaveText(pct(count((h) => h.kind === 'custom')));
  await expect(page.locator('#total-gpc')).toHaveText(pct(count((h) => h.gpc)));
  await expect(page.locator('#total-dnt')).toHaveText(pct(count((h) => h.dnt)));
  // The grant-rate chart's table: analytics granted by every acceptance and every custom choice.
  const grants = page.locator('#chart-grants table');
  await expect(grants.locator('tr', { hasText: 'analytics' }).locator('td')).toHaveText([
    pct(count((h) => h.categories.analytics)),
  ]);
  await expect(page.locator('#revision-1 td').nth(2)).toHaveText(String(HISTORY.length));
  // Every chart is an SVG with a title, its values as <title>s, and no inline style anywhere.
  expect(await page.locator('figure.chart svg[role="img"]').count()).toBe(4);
  expect(await page.locator('[style]').count()).toBe(0);
  expect(await page.locator('script').count()).toBe(0);
});

test('erasing a subject from the UI removes it from the store', async ({ page }) => {
  await signIn(page);
  const subject = subjects[1];
  expect((await adminJson(`/v1/admin/subjects/${subject}`)).records).toHaveLength(1);
  await page.getByRole('link', { name: 'Subject' }).click();
  await page.getByLabel('Subject id').fill(subject);
  await page.getByRole('button', { name: 'Look up' }).click();
  await expect(page.locator('table.records tbody tr')).toHaveCount(1);
  await page.getByRole('link', { name: /Erase this subject/ }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Erase a subject');
  await page.getByRole('button', { name: 'Erase 1 records' }).click();
  await expect(page.locator('#erased')).toHaveText(`Erased 1 consent records of subject ${subject}.`);
  expect((await adminJson(`/v1/admin/subjects/${subject}`)).records).toHaveLength(0);
  subjects = subjects.filter((s) => s !== subject);
});

test('a cross-origin state-changing request is refused', async ({ page, context }) => {
  await signIn(page);
  const subject = subjects[2];
  await page.goto(`${server.origin}/admin/subject/erase?id=${subject}`);
  const csrf = await page.locator('input[name="csrf"]').first().getAttribute('value');
  // With the session cookie and the right CSRF token, but from another origin: 403.
  const r = await context.request.post(`${server.origin}/admin/subject/erase`, {
    headers: { Origin: 'http://evil.example', 'Sec-Fetch-Site': 'cross-site' },
    form: { csrf, id: subject },
  });
  expect(r.status()).toBe(403);
  expect((await r.json()).error.code).toBe('cross_origin');
  // A real form on another origin (localhost is another site than 127.0.0.1) posting to the dashboard.
  await page.goto(`http://localhost:${server.port}/`);
  const [response] = await Promise.all([
    page.waitForResponse((res) => res.url().endsWith('/admin/subject/erase')),
    page.evaluate(({ action, csrf, id }) => {
      const f = document.createElement('form');
      f.method = 'post';
      f.action = action;
      for (const [k, v] of Object.entries({ csrf, id })) {
        const i = document.createElement('input');
        i.type = 'hidden';
        i.name = k;
        i.value = v;
        f.append(i);
      }
      document.body.append(f);
      f.submit();
    }, { action: `${server.origin}/admin/subject/erase`, csrf, id: subject }),
  ]);
  expect(response.status()).toBe(403);
  expect((await adminJson(`/v1/admin/subjects/${subject}`)).records).toHaveLength(1);
});

for (const colorScheme of ['light', 'dark']) {
  test(`axe finds no violations on any view (${colorScheme})`, async ({ browser }) => {
    // Seven views through axe: 35–42 s on a loaded two-core machine, too near the 60 s default.
    test.slow();
    const context = await browser.newContext({ colorScheme });
    const page = await context.newPage();
    const views = [
      '/admin/signin',
      '/admin/',
      '/admin/records',
      `/admin/records/${firstRecord}`,
      `/admin/subject?id=${subjects[3]}`,
      `/admin/subject/erase?id=${subjects[3]}`,
      '/admin/email',
      '/admin/keys',
    ];
    await page.goto(`${server.origin}${views[0]}`);
    expect(await axe(page, 'html'), views[0]).toEqual([]);
    await signIn(page);
    for (const path of views.slice(1)) {
      await page.goto(`${server.origin}${path}`);
      // Open the charts' data tables so they are checked too.
      await page.evaluate(() => document.querySelectorAll('details').forEach((d) => { d.open = true; }));
      expect(await axe(page, 'html'), path).toEqual([]);
    }
    await context.close();
  });
}

/** Tabs until the focused element matches `test` (at most 40 presses). */
async function tabTo(page, description, predicate, arg) {
  // The previous Enter may have started a navigation: tab through the page it leads to.
  await page.waitForLoadState('load');
  for (let i = 0; i < 40; i++) {
    await page.keyboard.press('Tab');
    const reached = await page.evaluate(predicate, arg).catch(async (e) => {
      if (!/context was destroyed|navigat/i.test(String(e))) throw e;
      await page.waitForLoadState('load');
      return false;
    });
    if (reached) return;
  }
  throw new Error(`never reached ${description} with Tab`);
}

test('every view works by keyboard alone', async ({ page }) => {
  // About a hundred Tab presses, each checked: 38–60 s and more on a loaded two-core machine (no step is timed).
  test.slow();
  await page.goto(`${server.origin}/admin/signin`);
  await tabTo(page, 'the token field', () => document.activeElement?.id === 'token');
  await page.keyboard.type(TOKEN);
  await Promise.all([page.waitForURL(`${server.origin}/admin/`), page.keyboard.press('Enter')]);
  // Change the bucket and submit the overview's form.
  await tabTo(page, 'the bucket select', () => document.activeElement?.id === 'bucket');
  await page.keyboard.press('ArrowDown');
  await tabTo(page, 'Show', () => document.activeElement?.textContent === 'Show');
  await Promise.all([page.waitForURL(/bucket=week/), page.keyboard.press('Enter')]);
  for (const [label, heading] of [['Records', 'Records'], ['E-mail', 'E-mail'], ['Keys', 'Keys'], ['Subject', 'Subject'], ['Overview', 'Overview']]) {
    await tabTo(page, `the ${label} link`, (l) => document.activeElement?.tagName === 'A' && document.activeElement.textContent === l, label);
    await page.keyboard.press('Enter');
    await expect(page.getByRole('heading', { level: 1 })).toHaveText(heading);
  }
  // Records: open one record.
  await page.goto(`${server.origin}/admin/records`);
  await tabTo(page, 'a record link', () => document.activeElement?.textContent?.startsWith('Open'));
  await page.keyboard.press('Enter');
  await expect(page.locator('#token-verdict')).toContainText('valid');
  // Subject: look up and erase, then sign out.
  await page.goto(`${server.origin}/admin/subject`);
  await tabTo(page, 'the subject field', () => document.activeElement?.id === 'id');
  await page.keyboard.type(subjects[4]);
  await Promise.all([page.waitForURL(/subject\?id=/), page.keyboard.press('Enter')]);
  await tabTo(page, 'the erase link', () => document.activeElement?.textContent?.startsWith('Erase this subject'));
  await page.keyboard.press('Enter');
  await tabTo(page, 'the erase button', () => document.activeElement?.textContent?.startsWith('Erase 1'));
  await page.keyboard.press('Enter');
  await expect(page.locator('#erased')).toContainText('Erased 1 consent records');
  await tabTo(page, 'Sign out', () => document.activeElement?.textContent === 'Sign out');
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(`${server.origin}/admin/signin`);
  await page.goto(`${server.origin}/admin/`);
  await expect(page).toHaveURL(`${server.origin}/admin/signin`);
});
