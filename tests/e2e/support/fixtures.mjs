// Shared test fixtures and helpers for the e2e specs.
import { test as base, expect } from '@playwright/test';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { assentBin } from './server.mjs';

const require = createRequire(import.meta.url);
const AXE_SOURCE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export { expect };

/** The global server (started by global-setup.mjs). */
export const server = {
  get origin() { return process.env.E2E_ORIGIN; },
  get port() { return Number(process.env.E2E_PORT); },
  get adminToken() { return process.env.E2E_ADMIN_TOKEN; },
  get keysUrl() { return `${process.env.E2E_ORIGIN}/.well-known/assent-keys.json`; },
};

/** URL of a path on the global server; `host` swaps 127.0.0.1 for another name (mapped to 127.0.0.1). */
export function url(path, host) {
  const u = new URL(path, server.origin);
  if (host) u.hostname = host;
  return u.toString();
}

/** Cookies the consent SDK itself writes (the choice and token cookies); everything else is a tracker's. */
export function isConsentCookie(name, choiceCookie = 'assent') {
  return name === choiceCookie || name === `${choiceCookie}_token`;
}

export const test = base.extend({
  /** Every console error and page error of the page, for tests that assert there are none. */
  consoleErrors: async ({ page }, use) => {
    const errors = [];
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
    await use(errors);
  },
  /** Requests the page made to stand-in trackers (scripts, frames, beacons), in order. */
  trackerRequests: async ({ page }, use) => {
    const list = [];
    page.on('request', (r) => {
      const u = new URL(r.url());
      if (/\/(trackers|vendor)\/|\/examples\/[^/]+\/js\//.test(u.pathname)) list.push(u.pathname + u.search);
    });
    await use(list);
  },
  /** POSTs to /v1/consents with their responses: [{ body, status, response }]. */
  consentPosts: async ({ page }, use) => {
    const list = [];
    page.on('requestfinished', async (r) => {
      if (r.method() === 'POST' && new URL(r.url()).pathname.endsWith('/v1/consents')) {
        const res = await r.response();
        let json = null;
        try { json = await res.json(); } catch {}
        list.push({ body: r.postDataJSON(), status: res.status(), response: json });
      }
    });
    page.on('requestfailed', (r) => {
      if (r.method() === 'POST' && new URL(r.url()).pathname.endsWith('/v1/consents')) {
        list.push({ body: r.postDataJSON(), status: 0, failure: r.failure()?.errorText });
      }
    });
    await use(list);
  },
});

// ---------------------------------------------------------------------------------------------------------------

export const banner = (page) => page.locator('[data-assent-ui="banner"]');
export const prefs = (page) => page.locator('[data-assent-ui="preferences"]');
export const action = (scope, name) => scope.locator(`[data-assent-action="${name}"]`);
export const toggle = (scope, cat) => scope.locator(`[data-assent-category="${cat}"]`);

/**
 * The open preferences dialog's category texts as shown, in display order: each category's title, then its
 * description ('' when it has none) — the part of a record's `notice_hash` text that follows the intro.
 */
export async function preferencesTexts(page) {
  return page.evaluate(() => {
    const parts = [];
    for (const input of document.querySelectorAll('[data-assent-ui="preferences"] input[data-assent-category]')) {
      parts.push(input.parentElement.querySelector('span').textContent);
      const d = input.getAttribute('aria-describedby');
      parts.push(d ? document.getElementById(d).textContent : '');
    }
    return parts;
  });
}

/** Wait until the SDK has decided (window.assent.ready resolved) and return its state. */
export async function ready(page) {
  await page.waitForFunction(() => window.assent && window.assent.ready, null, { timeout: 15_000 });
  return page.evaluate(async () => { await window.assent.ready; return window.assent.get(); });
}

export async function state(page) {
  return page.evaluate(() => window.assent.get());
}

/** Names of the stand-in trackers that ran on this page load, in order. */
export async function ran(page) {
  return page.evaluate(() => (window.__standins || []).map((r) => r.name));
}

export async function cookieNames(context, url) {
  const list = url ? await context.cookies(url) : await context.cookies();
  return list.map((c) => c.name).sort();
}

/** Cookies that are not the SDK's own. */
export async function trackerCookies(context, choiceCookie = 'assent') {
  return (await context.cookies()).filter((c) => !isConsentCookie(c.name, choiceCookie));
}

export async function localStorageKeys(page) {
  return page.evaluate(() => Object.keys(localStorage).sort());
}

/** Resolves when the next assent:change event fires on document (call before the action, await after). */
export function nextChange(page) {
  return page.evaluate(() => new Promise((resolve) => {
    document.addEventListener('assent:change', () => resolve(window.assent.get()), { once: true });
  }));
}

/** Emulate Do Not Track: navigator.doNotTrack and the DNT request header. */
export async function emulateDnt(context, value = '1') {
  await context.addInitScript((v) => {
    Object.defineProperty(Navigator.prototype, 'doNotTrack', { get: () => v, configurable: true });
  }, value);
  if (value === '1') await context.setExtraHTTPHeaders({ DNT: '1' });
}

/** Emulate Global Privacy Control: navigator.globalPrivacyControl and the Sec-GPC request header. */
export async function emulateGpc(context, on = true) {
  await context.addInitScript((v) => {
    Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { get: () => v, configurable: true });
  }, on);
  if (on) await context.setExtraHTTPHeaders({ 'Sec-GPC': '1' });
}

/** axe-core on the elements matching `selector`, every rule and impact. Returns the violations. */
export async function axe(page, selector) {
  await page.evaluate(AXE_SOURCE);
  return page.evaluate(async (sel) => {
    const r = await window.axe.run({ include: [sel] }, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({
      id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ') + ' :: ' + n.failureSummary),
    }));
  }, selector);
}

// --- server side ------------------------------------------------------------------------------------------------

/** The admin JSONL export of the global server, parsed. */
export async function exportRecords(query = '') {
  const r = await fetch(`${server.origin}/v1/admin/records${query}`, {
    headers: { authorization: `Bearer ${server.adminToken}` },
  });
  if (!r.ok) throw new Error(`export: HTTP ${r.status} ${await r.text()}`);
  return (await r.text()).split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
}

/** Poll the export until `pred` finds records (or time out). */
export async function waitForRecords(pred, { timeout = 10_000 } = {}) {
  const end = Date.now() + timeout;
  for (;;) {
    const found = (await exportRecords()).filter(pred);
    if (found.length || Date.now() > end) return found;
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** `assent token verify TOKEN --keys URL`: resolves { code, stdout, stderr }. */
export function verifyToken(token, keys = server.keysUrl, extra = []) {
  return new Promise((resolve) => {
    execFile(assentBin(), ['token', 'verify', token, '--keys', keys, ...extra], { timeout: 20_000 },
      (err, stdout, stderr) => resolve({ code: err ? (err.code ?? 1) : 0, stdout, stderr }));
  });
}
