// The IAB GPP CMP API (`window.__gpp`, section 7 `usnat`) on the regions page (`eu`, `us_states`, `default`): the
// bootstrap's stub and `__gppLocator` frame on every visit (a region offers GPP), the real API (`assent_gpp`) only
// for a visitor in a region with `gpp`. The GPP string is decoded here, independently of assent-core.
import { test, expect, ready } from '../support/fixtures.mjs';
import { startServer, makeWww } from '../support/server.mjs';

let server;
test.beforeAll(async () => {
  server = await startServer({
    www: makeWww(),
    env: { ASSENT_REGION_HEADER: 'x-e2e-country', ASSENT_SUBDIVISION_HEADER: 'x-e2e-subdivision' },
  });
});
test.afterAll(async () => { await server?.stop(); });

async function visitFrom(context, country, subdivision) {
  const h = { 'x-e2e-country': country };
  if (subdivision) h['x-e2e-subdivision'] = subdivision;
  await context.setExtraHTTPHeaders(h);
}

/** Base64url → bit string ("0101…"). */
function bits(text) {
  const abc = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  return [...text].map((c) => abc.indexOf(c).toString(2).padStart(6, '0')).join('');
}
const int = (b, at, n) => parseInt(b.slice(at, at + n), 2);

/** The usnat fields this suite checks, read from a GPP string by their bit offsets in the specification. */
function decodeUsnat(gpp) {
  const [header, section, ...rest] = gpp.split('~');
  expect(rest).toEqual([]);
  const h = bits(header);
  expect([int(h, 0, 6), int(h, 6, 6)]).toEqual([3, 1]); // header type 3, version 1
  const [core, gpc] = section.split('.');
  const c = bits(core);
  const g = bits(gpc);
  return {
    version: int(c, 0, 6),
    saleOptOutNotice: int(c, 6 + 2 * 1, 2),
    saleOptOut: int(c, 6 + 2 * 6, 2),
    sharingOptOut: int(c, 6 + 2 * 7, 2),
    targetedAdvertisingOptOut: int(c, 6 + 2 * 8, 2),
    gpcSubsection: int(g, 0, 2),
    gpc: g[2] === '1',
  };
}

/** `__gpp(command, cb, parameter)` → the callback's `[data, success]`. */
function gpp(page, command, parameter) {
  return page.evaluate(([c, p]) => new Promise((r) => window.__gpp(c, (d, ok) => r([d, ok]), p)), [command, parameter]);
}

async function loaded(page) {
  await page.waitForFunction(() => new Promise((r) => window.__gpp && window.__gpp('ping', (d) => r(d.cmpStatus === 'loaded'))), null, { timeout: 15_000 });
}

test('a California visitor: ping answers ready with a usnat string that says what the decision is, and a change reaches the listeners', async ({ page, context }) => {
  await visitFrom(context, 'US', 'CA');
  await page.goto(`${server.origin}/e2e/regions.html`);
  const s = await ready(page);
  expect(s.region).toBe('us_states');
  await loaded(page);
  const [ping, ok] = await gpp(page, 'ping');
  expect(ok).toBe(true);
  expect(ping).toMatchObject({
    gppVersion: '1.1', cmpStatus: 'loaded', signalStatus: 'ready', supportedAPIs: ['7:usnat'],
    sectionList: [7], applicableSections: [7],
  });
  // Opt-out region, no choice yet: remarketing (sale_or_share) is granted → "did not opt out" (2).
  expect(decodeUsnat(ping.gppString)).toEqual({
    version: 2, saleOptOutNotice: 1, saleOptOut: 2, sharingOptOut: 2, targetedAdvertisingOptOut: 2, gpcSubsection: 1, gpc: false,
  });
  expect(ping.parsedSections.usnat[0].SaleOptOut).toBe(2);
  expect(await gpp(page, 'hasSection', 'usnat')).toEqual([true, true]);
  expect(await gpp(page, 'getField', 'usnat.SaleOptOut')).toEqual([2, true]);

  await page.evaluate(() => {
    window.__events = [];
    window.__gpp('addEventListener', (e) => window.__events.push(e));
  });
  await page.evaluate(() => window.assent.rejectAll());
  await expect.poll(() => page.evaluate(() => window.__events.map((e) => e.eventName))).toContain('sectionChange');
  const change = await page.evaluate(() => window.__events.find((e) => e.eventName === 'sectionChange'));
  expect(change.data).toBe('usnat');
  expect(decodeUsnat(change.pingData.gppString).saleOptOut).toBe(1);
  expect(await gpp(page, 'getField', 'usnat.SaleOptOut')).toEqual([1, true]);
});

test('a call made to the stub before the API is loaded gets its callback from the real API', async ({ page, context }) => {
  await visitFrom(context, 'US', 'CA');
  let release;
  const held = new Promise((r) => { release = r; });
  await page.route('**/assent_gpp_bg.wasm', async (route) => { await held; await route.continue(); });
  await page.goto(`${server.origin}/e2e/regions.html`);
  await page.waitForFunction(() => typeof window.__gpp === 'function');
  const [stubPing] = await gpp(page, 'ping');
  expect(stubPing).toMatchObject({ cmpStatus: 'stub', signalStatus: 'not ready' });
  await page.evaluate(() => {
    window.__queued = null;
    window.__gpp('getField', (v, ok) => { window.__queued = [v, ok]; }, 'usnat.SaleOptOut');
  });
  expect(await page.evaluate(() => window.__queued)).toBeNull();
  release();
  await expect.poll(() => page.evaluate(() => window.__queued)).toEqual([2, true]);
});

test('an EU visitor downloads no GPP part; the locator frame is there for frames that look for it', async ({ page, context }) => {
  await visitFrom(context, 'DE');
  const gppFiles = [];
  page.on('request', (r) => { if (new URL(r.url()).pathname.includes('assent_gpp')) gppFiles.push(r.url()); });
  await page.goto(`${server.origin}/e2e/regions.html`);
  const s = await ready(page);
  expect(s.region).toBe('eu');
  await expect(page.locator('iframe[name="__gppLocator"]')).toHaveCount(1);
  await page.waitForLoadState('networkidle');
  expect(gppFiles).toEqual([]);
});

test('for an EU visitor the stub turns into "no section applies": ready, [-1], and a call queued before load is answered', async ({ page, context }) => {
  await visitFrom(context, 'DE');
  // Held back: the call below reaches the stub before the engine can know the region.
  let release;
  const held = new Promise((r) => { release = r; });
  await page.route(/\/v1\/region$/, async (route) => { await held; await route.continue(); });
  await page.goto(`${server.origin}/e2e/regions.html`);
  await page.evaluate(() => {
    window.__early = null;
    window.__gpp('addEventListener', (v, ok) => { window.__early = [v.eventName, v.pingData.applicableSections, ok]; });
  });
  const [stub] = await gpp(page, 'ping');
  expect([stub.cmpStatus, stub.signalStatus]).toEqual(['stub', 'not ready']);
  expect(await page.evaluate(() => window.__early)).toBeNull();
  release();
  const s = await ready(page);
  expect(s.region).toBe('eu');
  await expect.poll(() => page.evaluate(() => window.__early)).toEqual(['listenerRegistered', [-1], true]);
  const [p, ok] = await gpp(page, 'ping');
  expect(ok).toBe(true);
  expect(p).toMatchObject({ cmpStatus: 'loaded', signalStatus: 'ready', applicableSections: [-1], sectionList: [], gppString: '' });
  expect(p.cmpDisplayStatus).toBe('visible'); // the EU banner is up
  expect(await gpp(page, 'hasSection', 'usnat')).toEqual([false, true]);
  expect(await gpp(page, 'getField', 'usnat.SaleOptOut')).toEqual([null, true]);
});
