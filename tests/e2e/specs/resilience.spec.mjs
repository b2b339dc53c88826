// Slow WebAssembly and an unreachable consent server.
import {
  test, expect, url, banner, action, ready, state, ran, cookieNames, trackerCookies, exportRecords,
} from '../support/fixtures.mjs';
import { startServer, restartServer, makeWww } from '../support/server.mjs';

/** Holds every .wasm response until the test calls `release()`: the page is observed while the module is
 * certainly still on its way (a condition, not a timer). */
async function heldWasm(page) {
  let requested = 0;
  let release;
  const held = new Promise((r) => { release = r; });
  await page.route('**/*.wasm', async (route) => {
    requested++;
    await held;
    await route.continue();
  });
  return { requested: () => requested, release };
}

test('slow WASM (held until released): nothing non-essential runs while it loads; then the banner comes', async ({ page, context, trackerRequests }) => {
  const wasm = await heldWasm(page);
  await page.goto(url('/e2e/basic.html'), { waitUntil: 'domcontentloaded' });
  await expect.poll(wasm.requested).toBe(1);
  // The module is held: whatever the page does now, it does without the SDK.
  await page.waitForLoadState('load');
  expect(await ran(page)).toEqual([]);
  expect(trackerRequests).toEqual([]);
  expect(await cookieNames(context)).toEqual([]);
  await expect(page.locator('iframe[data-assent="remarketing"]')).not.toHaveAttribute('src', /.+/);
  wasm.release();
  const s = await ready(page);
  expect(s.decided).toBe(false);
  await expect(banner(page)).toBeVisible();
  expect(await ran(page)).toEqual([]);
});

test('slow WASM for a returning visitor who rejected: still nothing runs, before or after', async ({ page, context, trackerRequests }) => {
  await page.goto(url('/e2e/basic.html'));
  await ready(page);
  await action(banner(page), 'reject-all').click();
  await expect(banner(page)).toBeHidden();

  const wasm = await heldWasm(page);
  await page.reload({ waitUntil: 'domcontentloaded' });
  await expect.poll(wasm.requested).toBe(1);
  await page.waitForLoadState('load');
  expect(await ran(page)).toEqual([]);
  expect(trackerRequests).toEqual([]);
  wasm.release();
  expect((await ready(page)).decided).toBe(true);
  await page.waitForLoadState('networkidle');
  expect(await ran(page)).toEqual([]);
  expect((await trackerCookies(context)).map((c) => c.name)).toEqual([]);
});

test('server down: the choice is applied locally and recorded once the server is back', async ({ page, context }) => {
  const own = await startServer({ www: makeWww() });
  let back = null;
  try {
    await page.goto(`${own.origin}/e2e/basic.html`);
    await ready(page);
    await own.stop();

    await action(banner(page), 'accept-all').click();
    await expect(banner(page)).toBeHidden();
    const s = await state(page);
    expect(s.decided).toBe(true);
    expect(s.method).toBe('banner');
    expect(s.categories).toEqual({ essential: true, analytics: true, remarketing: true, marketing_email: true, functional: true });
    const names = await cookieNames(context);
    expect(names).toContain('assent');
    expect(names).not.toContain('assent_token');

    back = await restartServer(own);
    await page.reload();
    await ready(page);
    await expect(banner(page)).toBeHidden();
    await expect.poll(() => ran(page)).toContain('analytics-1');
    await expect.poll(() => cookieNames(context), { timeout: 15_000 }).toContain('assent_token');
    const r = await fetch(`${back.origin}/v1/admin/records`, { headers: { authorization: `Bearer ${back.adminToken}` } });
    expect(r.ok).toBe(true);
    const records = (await r.text()).split('\n').filter(Boolean).map((l) => JSON.parse(l));
    const mine = records.filter((x) => JSON.stringify(x).includes('e2e-basic'));
    expect(mine.length, 'the queued record reached the server').toBe(1);
    expect(mine[0].purposes ?? mine[0].categories).toBeTruthy();
  } finally {
    if (back) await back.stop();
    await own.stop();
  }
});
