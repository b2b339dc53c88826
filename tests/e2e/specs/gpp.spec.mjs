// The IAB GPP CMP API 1.1 (`window.__gpp`, section 7 `usnat`) on the regions pages (`eu`, `us_states`, `default`):
// the bootstrap's stub and `__gppLocator` frame on every visit (a region offers GPP), the real API (`assent_gpp`)
// only for a visitor in a region with `gpp`. Every answer is checked against the CMP API's shapes (and the IAB
// reference library's where the text is silent), and every GPP string is decoded here by the usnat
// specification's bit layout, independently of assent-core.
import { test, expect, ready, emulateGpc, prefs, action } from '../support/fixtures.mjs';
import { regionServer, visitFrom } from '../support/regions.mjs';

const server = regionServer(test);

/** Base64url → bit string ("0101…"). */
function bits(text) {
  const abc = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  return [...text].map((c) => abc.indexOf(c).toString(2).padStart(6, '0')).join('');
}
const int = (b, at, n) => parseInt(b.slice(at, at + n), 2);
const ints = (b, at, count) => Array.from({ length: count }, (_, i) => int(b, at + 2 * i, 2));

/**
 * A GPP string holding one usnat (version 2) section → that section as the CMP API represents it: an array of
 * segment objects, the core segment then the GPC subsection, with the specification's field names.
 */
function decodeUsnat(gpp) {
  const [header, section, ...rest] = gpp.split('~');
  expect(rest).toEqual([]);
  const h = bits(header);
  // Header: type 3, version 1, section ids as a Fibonacci range: one entry, a single id, 7 (Fibonacci "01011").
  expect([int(h, 0, 6), int(h, 6, 6), int(h, 12, 12), h[24], h.slice(25, 30)]).toEqual([3, 1, 1, '0', '01011']);
  const [core, gpc, ...more] = section.split('.');
  expect(more).toEqual([]);
  const c = bits(core);
  const two = (i) => int(c, 6 + 2 * i, 2);
  const g = bits(gpc);
  return [
    {
      Version: int(c, 0, 6),
      SharingNotice: two(0),
      SaleOptOutNotice: two(1),
      SharingOptOutNotice: two(2),
      TargetedAdvertisingOptOutNotice: two(3),
      SensitiveDataProcessingOptOutNotice: two(4),
      SensitiveDataLimitUseNotice: two(5),
      SaleOptOut: two(6),
      SharingOptOut: two(7),
      TargetedAdvertisingOptOut: two(8),
      SensitiveDataProcessing: ints(c, 24, 16),
      KnownChildSensitiveDataConsents: ints(c, 56, 3),
      PersonalDataConsents: int(c, 62, 2),
      MspaCoveredTransaction: int(c, 64, 2),
      MspaOptOutOptionMode: int(c, 66, 2),
      MspaServiceProviderMode: int(c, 68, 2),
    },
    { SubsectionType: int(g, 0, 2), Gpc: g[2] === '1' },
  ];
}

/** `__gpp(command, cb, parameter)` → the callback's `[data, success]`. */
function gpp(page, command, parameter) {
  return page.evaluate(([c, p]) => new Promise((r) => window.__gpp(c, (d, ok) => r([d, ok]), p)), [command, parameter]);
}

/**
 * Waits until `__gpp` answers ping with `cmpStatus: "loaded"`. The predicate must return the answer itself:
 * `waitForFunction` takes any truthy value, a pending Promise included, as done (it does not await it). Both the
 * stub and the real API call the ping callback synchronously.
 */
async function loaded(page) {
  await page.waitForFunction(() => {
    let status;
    if (typeof window.__gpp === 'function') window.__gpp('ping', (d) => { status = d && d.cmpStatus; });
    return status === 'loaded';
  }, null, { timeout: 15_000 });
}

/** Adds a listener that keeps every event (with its `success`) in `window[name]`; returns the listener id. */
function listen(page, name) {
  return page.evaluate((n) => {
    window[n] = [];
    window.__gpp('addEventListener', (e, ok) => window[n].push({ ...e, ok }));
    return window[n][0].listenerId;
  }, name);
}

const PING_KEYS = ['applicableSections', 'cmpDisplayStatus', 'cmpId', 'cmpStatus', 'gppString', 'gppVersion',
  'parsedSections', 'sectionList', 'signalStatus', 'supportedAPIs'];

test('a California visitor: ping answers a PingReturn whose string, parsedSections, getSection and getField all say the same decision', async ({ page, context }) => {
  await visitFrom(context, 'US', 'CA');
  await page.goto(`${server.origin}/e2e/regions.html`);
  const s = await ready(page);
  expect(s.region).toBe('us_states');
  await loaded(page);
  const [ping, ok] = await gpp(page, 'ping');
  expect(ok).toBe(true);
  expect(Object.keys(ping).sort()).toEqual(PING_KEYS);
  expect(ping).toMatchObject({
    gppVersion: '1.1', cmpStatus: 'loaded', signalStatus: 'ready', supportedAPIs: ['7:usnat'],
    cmpId: 1, sectionList: [7], applicableSections: [7],
    // Opt-out region, no choice yet: the notice is on screen.
    cmpDisplayStatus: 'visible',
  });
  const usnat = decodeUsnat(ping.gppString);
  // No choice yet in an opt-out region: remarketing (sale_or_share) is granted → "did not opt out" (2).
  expect(usnat[0]).toMatchObject({
    Version: 2, SaleOptOutNotice: 1, SaleOptOut: 2, SharingOptOut: 2, TargetedAdvertisingOptOut: 2,
    MspaCoveredTransaction: 2, MspaOptOutOptionMode: 0, MspaServiceProviderMode: 0,
  });
  expect(usnat[1]).toEqual({ SubsectionType: 1, Gpc: false });
  expect(ping.parsedSections).toEqual({ usnat });
  expect(await gpp(page, 'getSection', 'usnat')).toEqual([usnat, true]);
  expect(await gpp(page, 'hasSection', 'usnat')).toEqual([true, true]);
  expect(await gpp(page, 'getField', 'usnat.SaleOptOut')).toEqual([2, true]);
  expect(await gpp(page, 'getField', 'usnat.SensitiveDataProcessing')).toEqual([usnat[0].SensitiveDataProcessing, true]);
  expect(await gpp(page, 'getField', 'usnat.Gpc')).toEqual([false, true]);
});

test('what is not there is null and unsuccessful, as the reference library answers; a callback that is not a function throws', async ({ page, context }) => {
  await visitFrom(context, 'US', 'CA');
  await page.goto(`${server.origin}/e2e/regions.html`);
  await loaded(page);
  expect(await gpp(page, 'getField', 'usnat.NoSuchField')).toEqual([null, false]);
  expect(await gpp(page, 'getField', 'tcfeuv2.Version')).toEqual([null, false]);
  expect(await gpp(page, 'getField', 'usnat')).toEqual([null, false]);
  expect(await gpp(page, 'getField')).toEqual([null, false]);
  expect(await gpp(page, 'getSection', 'uspv1')).toEqual([null, false]);
  expect(await gpp(page, 'getSection')).toEqual([null, false]);
  // hasSection takes the API prefix: another section, or the id, is "no" (successfully answered).
  expect(await gpp(page, 'hasSection', 'uspv1')).toEqual([false, true]);
  expect(await gpp(page, 'hasSection', '7')).toEqual([false, true]);
  expect(await gpp(page, 'hasSection')).toEqual([null, false]);
  // getGPPData was removed in 1.1.
  expect(await gpp(page, 'getGPPData')).toEqual([null, false]);
  expect(await page.evaluate(() => new Promise((r) => window.__gpp(42, (d, ok) => r([d, ok]))))).toEqual([null, false]);
  const thrown = await page.evaluate(() => { try { window.__gpp('ping', 'not a function'); return null; } catch (e) { return String(e.message); } });
  expect(thrown).toContain('invalid callback function');
  // The version argument is accepted and changes nothing.
  expect(await page.evaluate(() => new Promise((r) => window.__gpp('getField', (d, ok) => r([d, ok]), 'usnat.SaleOptOut', '1.1')))).toEqual([2, true]);
});

test('a choice reaches the listeners in the CMP API order: signalStatus "not ready", the display, sectionChange, then "ready"', async ({ page, context }) => {
  await visitFrom(context, 'US', 'CA');
  await page.goto(`${server.origin}/e2e/regions.html`);
  await ready(page);
  await loaded(page);
  const id = await listen(page, '__events');
  await page.evaluate(() => window.assent.rejectAll());
  await expect.poll(() => page.evaluate(() => window.__events.length)).toBe(5);
  const events = await page.evaluate(() => window.__events);
  expect(events.map((e) => [e.eventName, e.data, e.listenerId, e.ok, e.pingData.signalStatus, e.pingData.cmpDisplayStatus])).toEqual([
    ['listenerRegistered', true, id, true, 'ready', 'visible'],
    ['signalStatus', 'not ready', id, true, 'not ready', 'visible'],
    ['cmpDisplayStatus', 'hidden', id, true, 'not ready', 'hidden'],
    ['sectionChange', 'usnat', id, true, 'not ready', 'hidden'],
    ['signalStatus', 'ready', id, true, 'ready', 'hidden'],
  ]);
  expect(typeof id).toBe('number');
  for (const e of events) expect(Object.keys(e.pingData).sort()).toEqual(PING_KEYS);
  // Until the section changes, pingData carries the old string; from sectionChange on, the new one.
  const saleOptOut = events.map((e) => decodeUsnat(e.pingData.gppString)[0].SaleOptOut);
  expect(saleOptOut).toEqual([2, 2, 2, 1, 1]);
  expect(await gpp(page, 'getField', 'usnat.SaleOptOut')).toEqual([1, true]);
});

test('the preferences reopened after a choice: cmpDisplayStatus "visible", closed without a choice "hidden" (no signalStatus); a choice made in them keeps the CMP API order', async ({ page, context }) => {
  await visitFrom(context, 'US', 'CA');
  await page.goto(`${server.origin}/e2e/regions.html`);
  await ready(page);
  await loaded(page);
  await page.evaluate(() => window.assent.rejectAll());
  await expect.poll(async () => (await gpp(page, 'ping'))[0].cmpDisplayStatus).toBe('hidden');
  const seen = async () => (await page.evaluate(() => window.__events)).slice(1).map((e) => [e.eventName, e.data, e.pingData.cmpDisplayStatus]);
  await listen(page, '__events');
  await page.evaluate(() => window.assent.show());
  await expect(prefs(page)).toBeVisible();
  await expect.poll(seen).toEqual([['cmpDisplayStatus', 'visible', 'visible']]);
  expect((await gpp(page, 'ping'))[0].cmpDisplayStatus).toBe('visible');
  await page.keyboard.press('Escape');
  await expect(prefs(page)).toHaveCount(0);
  await expect.poll(seen).toEqual([['cmpDisplayStatus', 'visible', 'visible'], ['cmpDisplayStatus', 'hidden', 'hidden']]);

  // A returning visit: the interface part comes only with the preferences, and still tells the GPP part.
  await page.reload();
  await ready(page);
  await loaded(page);
  await listen(page, '__events');
  await page.evaluate(() => window.assent.show());
  await expect(prefs(page)).toBeVisible();
  await expect.poll(seen).toEqual([['cmpDisplayStatus', 'visible', 'visible']]);
  await action(prefs(page), 'accept-all').click();
  await expect.poll(async () => (await seen()).length).toBe(5);
  expect(await seen()).toEqual([
    ['cmpDisplayStatus', 'visible', 'visible'],
    ['signalStatus', 'not ready', 'visible'],
    ['cmpDisplayStatus', 'hidden', 'hidden'],
    ['sectionChange', 'usnat', 'hidden'],
    ['signalStatus', 'ready', 'hidden'],
  ]);
});

test('removeEventListener answers a listenerRemoved event (data false for an id it does not know), and a removed listener hears nothing more', async ({ page, context }) => {
  await visitFrom(context, 'US', 'CA');
  await page.goto(`${server.origin}/e2e/regions.html`);
  await ready(page);
  await loaded(page);
  const kept = await listen(page, '__kept');
  const gone = await listen(page, '__gone');
  expect(gone).not.toBe(kept);
  const [removed, ok] = await gpp(page, 'removeEventListener', gone);
  expect(ok).toBe(true);
  expect(removed).toMatchObject({ eventName: 'listenerRemoved', listenerId: gone, data: true });
  expect(Object.keys(removed.pingData).sort()).toEqual(PING_KEYS);
  const [again, okAgain] = await gpp(page, 'removeEventListener', gone);
  expect([again.eventName, again.listenerId, again.data, okAgain]).toEqual(['listenerRemoved', gone, false, true]);
  const [unknown] = await gpp(page, 'removeEventListener', 'no such id');
  expect(unknown.data).toBe(false);
  await page.evaluate(() => window.assent.rejectAll());
  await expect.poll(() => page.evaluate(() => window.__kept.map((e) => e.eventName))).toContain('sectionChange');
  expect(await page.evaluate(() => window.__gone.map((e) => e.eventName))).toEqual(['listenerRegistered']);
});

test('a child frame finds __gppLocator and its __gppCall messages (object and JSON string) come back as __gppReturn with their callId', async ({ page, context }) => {
  await visitFrom(context, 'US', 'CA');
  await page.goto(`${server.origin}/e2e/regions.html`);
  await loaded(page);
  const answers = await page.evaluate(() => new Promise((resolve) => {
    window.addEventListener('message', (e) => { if (e.data && e.data.childGot) resolve(e.data.childGot); });
    const f = document.createElement('iframe');
    f.srcdoc = `<script>
      let target = null;
      for (let w = window.parent; ; w = w.parent) { if (w.frames.__gppLocator) { target = w; break; } if (w === w.parent) break; }
      const got = {};
      window.addEventListener('message', (e) => {
        const raw = e.data, d = typeof raw === 'string' ? JSON.parse(raw) : raw;
        if (!d || !d.__gppReturn) return;
        got[d.__gppReturn.callId] = { ...d.__gppReturn, asString: typeof raw === 'string' };
        if (Object.keys(got).length === 2) window.parent.postMessage({ childGot: got }, '*');
      });
      target.postMessage({ __gppCall: { command: 'ping', version: '1.1', callId: 'ping-1' } }, '*');
      target.postMessage(JSON.stringify({ __gppCall: { command: 'getField', parameter: 'usnat.SaleOptOut', version: '1.1', callId: 7 } }), '*');
    <\/script>`;
    document.body.appendChild(f);
  }));
  expect(answers['ping-1']).toMatchObject({ callId: 'ping-1', success: true, asString: false });
  expect(answers['ping-1'].returnValue).toMatchObject({ cmpStatus: 'loaded', signalStatus: 'ready', applicableSections: [7] });
  expect(decodeUsnat(answers['ping-1'].returnValue.gppString)[0].SaleOptOut).toBe(2);
  expect(answers['7']).toEqual({ callId: 7, returnValue: 2, success: true, asString: true });
});

test('a California visitor with GPC: Gpc is 1 and the sale, sharing and targeted-advertising opt-outs are 1', async ({ page, context }) => {
  await emulateGpc(context);
  await visitFrom(context, 'US', 'CA');
  await page.goto(`${server.origin}/e2e/regions.html`);
  const s = await ready(page);
  expect(s.gpc_honored).toBe(true);
  await loaded(page);
  const [ping] = await gpp(page, 'ping');
  const usnat = decodeUsnat(ping.gppString);
  expect(usnat[0]).toMatchObject({ SaleOptOut: 1, SharingOptOut: 1, TargetedAdvertisingOptOut: 1 });
  expect(usnat[1]).toEqual({ SubsectionType: 1, Gpc: true });
  expect(await gpp(page, 'getSection', 'usnat')).toEqual([usnat, true]);
  expect(await gpp(page, 'getField', 'usnat.Gpc')).toEqual([true, true]);
  expect(await gpp(page, 'getField', 'usnat.SharingOptOut')).toEqual([1, true]);
});

test('a region under the MSPA (covered transaction, opt-out option mode): the MSPA fields read back from getField and the string', async ({ page, context }) => {
  await visitFrom(context, 'US', 'CA');
  await page.goto(`${server.origin}/e2e/regions-mspa.html`);
  await ready(page);
  await loaded(page);
  const [ping] = await gpp(page, 'ping');
  expect(decodeUsnat(ping.gppString)[0]).toMatchObject({ MspaCoveredTransaction: 1, MspaOptOutOptionMode: 1, MspaServiceProviderMode: 2 });
  expect(await gpp(page, 'getField', 'usnat.MspaCoveredTransaction')).toEqual([1, true]);
  expect(await gpp(page, 'getField', 'usnat.MspaOptOutOptionMode')).toEqual([1, true]);
  expect(await gpp(page, 'getField', 'usnat.MspaServiceProviderMode')).toEqual([2, true]);
});

test('a US region that shows nothing before a choice: cmpDisplayStatus is hidden from the start and no display event fires', async ({ page, context }) => {
  await visitFrom(context, 'US', 'CA');
  await page.addInitScript(() => {
    window.__early = [];
    const wait = setInterval(() => {
      if (typeof window.__gpp !== 'function') return;
      clearInterval(wait);
      window.__gpp('addEventListener', (e) => window.__early.push([e.eventName, e.data]));
    }, 0);
  });
  await page.goto(`${server.origin}/e2e/regions-us-silent.html`);
  const s = await ready(page);
  expect([s.region, s.decided]).toEqual(['us_states', false]);
  await loaded(page);
  const [ping] = await gpp(page, 'ping');
  expect([ping.cmpDisplayStatus, ping.signalStatus]).toEqual(['hidden', 'ready']);
  await expect.poll(() => page.evaluate(() => window.__early.at(-1))).toEqual(['signalStatus', 'ready']);
  expect(await page.evaluate(() => window.__early.map((e) => e[0]))).toEqual(['listenerRegistered', 'cmpStatus', 'signalStatus']);
});

test('before the API is loaded the stub answers generic commands at once, as the CMP API requires; its listener hears the API load; other commands wait for it', async ({ page, context }) => {
  await visitFrom(context, 'US', 'CA');
  let release;
  const held = new Promise((r) => { release = r; });
  await page.route('**/assent_gpp_bg.wasm', async (route) => { await held; await route.continue(); });
  await page.goto(`${server.origin}/e2e/regions.html`);
  await page.waitForFunction(() => typeof window.__gpp === 'function');
  const [stubPing] = await gpp(page, 'ping');
  expect(stubPing).toMatchObject({ cmpStatus: 'stub', signalStatus: 'not ready', applicableSections: [-1], cmpId: 0 });
  await page.evaluate(() => {
    window.__field = null;
    window.__other = null;
    window.__early = [];
    window.__gpp('getField', (v, ok) => { window.__field = [v, ok]; }, 'usnat.SaleOptOut');
    window.__gpp('notACommand', (v, ok) => { window.__other = [v, ok]; });
    window.__gpp('addEventListener', (e) => window.__early.push([e.eventName, e.listenerId, e.data, e.pingData.cmpStatus, e.pingData.signalStatus]));
  });
  // Generic commands: answered by the stub itself ("may be null while the CMP is not loaded").
  expect(await page.evaluate(() => window.__field)).toEqual([null, true]);
  expect(await page.evaluate(() => window.__early)).toEqual([['listenerRegistered', 1, true, 'stub', 'not ready']]);
  expect(await page.evaluate(() => window.__other)).toBeNull();
  release();
  await expect.poll(() => page.evaluate(() => window.__early.length)).toBe(4);
  expect(await page.evaluate(() => window.__early)).toEqual([
    ['listenerRegistered', 1, true, 'stub', 'not ready'],
    ['cmpStatus', 1, 'loaded', 'loaded', 'not ready'],
    ['cmpDisplayStatus', 1, 'visible', 'loaded', 'not ready'],
    ['signalStatus', 1, 'ready', 'loaded', 'ready'],
  ]);
  // The queued command is answered by the real API, which does not know it.
  expect(await page.evaluate(() => window.__other)).toEqual([null, false]);
  expect(await gpp(page, 'getField', 'usnat.SaleOptOut')).toEqual([2, true]);
});

test("a page's own IAB stub stays in charge until load: its listener keeps its id and hears the API load", async ({ page, context }) => {
  await visitFrom(context, 'US', 'CA');
  // The IAB's example stub (CMP API 1.1), reduced to what a page would call before the CMP loads.
  await page.addInitScript(() => {
    window.__fromStub = [];
    const stub = function (cmd, cb, par) {
      stub.queue = stub.queue || [];
      if (cmd === 'addEventListener') {
        stub.events = stub.events || [];
        stub.lastId = (stub.lastId || 0) + 1;
        stub.events.push({ id: stub.lastId, callback: cb, parameter: par });
        cb({ eventName: 'listenerRegistered', listenerId: stub.lastId, data: true, pingData: { cmpStatus: 'stub' } }, true);
      } else if (cmd === 'ping') {
        cb({ gppVersion: '1.1', cmpStatus: 'stub', cmpDisplayStatus: 'hidden', signalStatus: 'not ready', supportedAPIs: [],
          cmpId: 0, sectionList: [], applicableSections: [-1], gppString: '', parsedSections: {} }, true);
      } else stub.queue.push([].slice.apply(arguments));
    };
    window.__gpp = stub;
    window.__gpp('addEventListener', (e) => window.__fromStub.push([e.eventName, e.data, e.listenerId]));
    window.__gpp('hasSection', (d, ok) => { window.__stubQueued = [d, ok]; }, 'usnat');
  });
  await page.goto(`${server.origin}/e2e/regions.html`);
  await ready(page);
  await loaded(page);
  await expect.poll(() => page.evaluate(() => window.__fromStub.at(-1))).toEqual(['signalStatus', 'ready', 1]);
  expect(await page.evaluate(() => window.__fromStub.map((e) => e[0]))).toEqual(['listenerRegistered', 'cmpStatus', 'cmpDisplayStatus', 'signalStatus']);
  expect(await page.evaluate(() => window.__stubQueued)).toEqual([true, true]);
  const [removed] = await gpp(page, 'removeEventListener', 1);
  expect(removed.data).toBe(true);
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

test('for an EU visitor the stub turns into "no section applies": loaded, ready, [-1]; its listener hears it; a queued call is answered', async ({ page, context }) => {
  await visitFrom(context, 'DE');
  // Held back: the calls below reach the stub before the engine can know the region.
  let release;
  const held = new Promise((r) => { release = r; });
  await page.route(/\/v1\/region$/, async (route) => { await held; await route.continue(); });
  await page.goto(`${server.origin}/e2e/regions.html`);
  await page.evaluate(() => {
    window.__events = [];
    window.__other = null;
    window.__gpp('addEventListener', (v, ok) => { window.__events.push([v.eventName, v.listenerId, v.data, v.pingData.cmpStatus, v.pingData.applicableSections, ok]); });
    window.__gpp('notACommand', (v, ok) => { window.__other = [v, ok]; });
  });
  const [stub] = await gpp(page, 'ping');
  expect([stub.cmpStatus, stub.signalStatus]).toEqual(['stub', 'not ready']);
  expect(await page.evaluate(() => window.__events)).toEqual([['listenerRegistered', 1, true, 'stub', [-1], true]]);
  expect(await page.evaluate(() => window.__other)).toBeNull();
  release();
  const s = await ready(page);
  expect(s.region).toBe('eu');
  await expect.poll(() => page.evaluate(() => window.__events.length)).toBe(4);
  expect(await page.evaluate(() => window.__events)).toEqual([
    ['listenerRegistered', 1, true, 'stub', [-1], true],
    ['cmpStatus', 1, 'loaded', 'loaded', [-1], true],
    ['cmpDisplayStatus', 1, 'visible', 'loaded', [-1], true], // the EU banner is up
    ['signalStatus', 1, 'ready', 'loaded', [-1], true],
  ]);
  expect(await page.evaluate(() => window.__other)).toEqual([null, false]);
  const [p, ok] = await gpp(page, 'ping');
  expect(ok).toBe(true);
  expect(p).toMatchObject({ cmpStatus: 'loaded', signalStatus: 'ready', cmpDisplayStatus: 'visible', cmpId: 1,
    applicableSections: [-1], sectionList: [], gppString: '', parsedSections: {} });
  expect(await gpp(page, 'hasSection', 'usnat')).toEqual([false, true]);
  expect(await gpp(page, 'getSection', 'usnat')).toEqual([null, false]);
  expect(await gpp(page, 'getField', 'usnat.SaleOptOut')).toEqual([null, false]);
  const [removed] = await gpp(page, 'removeEventListener', 1);
  expect([removed.eventName, removed.listenerId, removed.data]).toEqual(['listenerRemoved', 1, true]);
  // After a choice the banner is gone; reopening the preferences and closing them is heard too.
  const shown = await page.evaluate(() => {
    window.__shown = [];
    window.__gpp('addEventListener', (v) => { if (v.eventName === 'cmpDisplayStatus') window.__shown.push(v.data); });
    window.assent.rejectAll();
    return window.__shown.slice();
  });
  expect(shown).toEqual(['hidden']);
  expect((await gpp(page, 'ping'))[0].cmpDisplayStatus).toBe('hidden');
  await page.evaluate(() => window.assent.show());
  await expect(prefs(page)).toBeVisible();
  expect((await gpp(page, 'ping'))[0].cmpDisplayStatus).toBe('visible');
  await page.keyboard.press('Escape');
  await expect(prefs(page)).toHaveCount(0);
  expect(await page.evaluate(() => window.__shown)).toEqual(['hidden', 'visible', 'hidden']);
});

/**
 * `regions.html` served with its config changed by `change(config)` and, right after the bootstrap's script tag, an
 * inline script that listens to the stub at once (before any module can load): every event as `[eventName, data,
 * pingData.cmpStatus, pingData.signalStatus]` in `window.__heard`, and a call the stub queues in `window.__queued`.
 */
async function regionsPageWith(page, change = () => {}) {
  const listen = `<script>window.__heard = []; window.__queued = null;
window.__gpp('addEventListener', function (e) { window.__heard.push([e.eventName, e.data, e.pingData.cmpStatus, e.pingData.signalStatus]); });
window.__gpp('notACommand', function (v, ok) { window.__queued = [v, ok]; });</script>`;
  await page.route((u) => u.pathname === '/e2e/regions.html', async (route) => {
    const body = await (await route.fetch()).text();
    const re = /(<script type="application\/json" id="assent-config">)([\s\S]*?)(<\/script>)/;
    const config = JSON.parse(body.match(re)[2]);
    change(config);
    const bootstrap = /(<script[^>]*src="[^"]*\/assent\.js"[^>]*><\/script>)/;
    expect(body).toMatch(bootstrap);
    const html = body.replace(re, (_, a, _c, b) => a + JSON.stringify(config) + b).replace(bootstrap, (t) => t + listen);
    await route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: html });
  });
}

for (const [what, setUp] of [
  ['an invalid config', (page) => regionsPageWith(page, (c) => { c.regions.us_states = { mode: 'opt-in', show: 'notice' }; })],
  ['the engine not loading', async (page) => {
    await regionsPageWith(page);
    await page.route(/assent_(full|web)_regions_bg\.wasm$/, (r) => r.fulfill({ status: 404, body: 'gone' }));
  }],
  ['the GPP part not loading', async (page) => {
    await regionsPageWith(page);
    await page.route(/assent_gpp_bg\.wasm$/, (r) => r.fulfill({ status: 404, body: 'gone' }));
  }],
]) {
  test(`${what} on a GPP site: the stub says cmpStatus "error" (never ready), its listener hears it, a queued call is unsuccessful`, async ({ page, context }) => {
    await visitFrom(context, 'US', 'CA');
    const errors = [];
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    await setUp(page);
    await page.goto(`${server.origin}/e2e/regions.html`);
    await expect.poll(() => page.evaluate(() => window.__heard.length), { timeout: 15_000 }).toBe(2);
    expect(await page.evaluate(() => window.__heard)).toEqual([
      ['listenerRegistered', true, 'stub', 'not ready'],
      ['cmpStatus', 'error', 'error', 'not ready'],
    ]);
    expect(await page.evaluate(() => window.__queued)).toEqual([null, false]);
    const [ping, ok] = await gpp(page, 'ping');
    expect(ok).toBe(true);
    expect(ping).toMatchObject({ cmpStatus: 'error', signalStatus: 'not ready', applicableSections: [-1], gppString: '' });
    expect(await gpp(page, 'getField', 'usnat.SaleOptOut')).toEqual([null, false]);
    expect(await gpp(page, 'hasSection', 'usnat')).toEqual([null, false]);
    expect(errors.some((e) => e.startsWith('Assent: '))).toBe(true);
    if (what !== 'the GPP part not loading') {
      // Assent itself failed: everything optional stays blocked.
      const s = await page.evaluate(() => window.assent.ready);
      expect(s.categories).toEqual({ essential: true });
      expect(s.error).toBeTruthy();
    }
  });
}
