// `cargo xtask bench web` (npm run bench): Assent vs vanilla-cookieconsent 3.x on the same realistic page, served
// by the same real `assent serve`, measured interleaved over fresh headless Chromium contexts.
//
//   node bench/bench.mjs [--runs N] [--update-docs]
//
// Metrics per library (median, min, max over N runs each):
//   - time to banner: navigation start → first animation frame in which the banner is laid out, visible and not
//     transparent (both libraries honour prefers-reduced-motion, which is emulated, so no fade-in is timed);
//   - consent asset bytes: gzip -9 of every consent asset body (Assent: /assent/*, VCC: its JS + CSS), and the
//     bytes actually transferred (as served by assent serve);
//   - requests for consent assets;
//   - CLS (layout-shift entries without recent input) until 1 s after the banner shows;
//   - longest main-thread task (RunTask on the page's renderer main thread, from a Chromium trace) until then;
//   - returning visitor (stored "accept all"): navigation start → the first allowed script runs.
// --update-docs rewrites the table between the bench markers in docs/compare.md.
import { chromium } from '@playwright/test';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { createRequire } from 'node:module';
import { startServer, wwwDir, chromiumPath, REPO, E2E_DIR } from '../support/server.mjs';
import { CHROMIUM_ARGS } from '../playwright.config.mjs';

const require = createRequire(import.meta.url);
const args = process.argv.slice(2);
const RUNS = args.includes('--runs') ? Number(args[args.indexOf('--runs') + 1]) : 20;
if (!Number.isInteger(RUNS) || RUNS < 1) throw new Error('--runs needs a positive integer');
const UPDATE_DOCS = args.includes('--update-docs');
if (RUNS < 15) console.warn(`note: ${RUNS} runs; the published table uses at least 15`);

const HERE = path.join(E2E_DIR, 'bench', 'page');
const VCC_DIR = path.dirname(require.resolve('vanilla-cookieconsent/dist/cookieconsent.umd.js'));
const VCC_VERSION = JSON.parse(fs.readFileSync(path.join(VCC_DIR, '..', 'package.json'), 'utf8')).version;

const CATEGORIES = {
  analytics: { title: 'Analytics', description: 'Helps us understand how the site is used, so we can improve it.' },
  remarketing: { title: 'Remarketing', description: 'Lets us and our advertising partners show you relevant ads on other sites.' },
  marketing_email: { title: 'Marketing email', description: 'Lets us send you news and offers by email.' },
};

const TRACKERS = [['analytics', 'ga', '_ga'], ['remarketing', 'ads', 'IDE']];

function oursPage(template) {
  const config = {
    site: 'bench.northwind', revision: 1, policy_url: '/bench/privacy.html', endpoint: '/',
    categories: {
      analytics: { cookies: ['_ga', '_ga_*', '_gid'] },
      remarketing: { cookies: ['IDE'] },
      marketing_email: {},
    },
  };
  const head = [
    `<script type="application/json" id="assent-config">${JSON.stringify(config)}</script>`,
    '<script src="/assent/assent.js" defer></script>',
    ...TRACKERS.map(([cat, name, cookie]) => `<script type="text/plain" data-assent="${cat}" src="/bench/standin.js?name=${name}&amp;cookie=${cookie}"></script>`),
  ].join('\n');
  return template.replace('{{CONSENT_HEAD}}', head).replace('{{CONSENT_BODY}}', '').replace('{{REOPEN}}', 'data-assent-open');
}

function vccPage(template) {
  const run = {
    hideFromBots: false,
    revision: 1,
    cookie: { name: 'cc_cookie' },
    guiOptions: { consentModal: { layout: 'box', position: 'bottom right' } },
    categories: {
      necessary: { enabled: true, readOnly: true },
      analytics: { autoClear: { cookies: [{ name: /^_ga/ }, { name: '_gid' }] } },
      remarketing: { autoClear: { cookies: [{ name: 'IDE' }] } },
      marketing_email: {},
    },
    language: {
      default: 'en',
      translations: {
        en: {
          consentModal: {
            title: 'We value your privacy',
            description: 'We use essential cookies to make this site work. With your consent we would also use cookies to measure audience and personalise advertising. You can accept, reject, or choose by purpose, and change your mind at any time.',
            acceptAllBtn: 'Accept all', acceptNecessaryBtn: 'Reject all', showPreferencesBtn: 'Preferences',
            footer: '<a href="/bench/privacy.html">Privacy policy</a>',
          },
          preferencesModal: {
            title: 'Privacy preferences', acceptAllBtn: 'Accept all', acceptNecessaryBtn: 'Reject all',
            savePreferencesBtn: 'Save choices', closeIconLabel: 'Close',
            sections: [
              { title: 'Essential', description: 'Needed for the site to work: security, load balancing, remembering this choice.', linkedCategory: 'necessary' },
              ...Object.entries(CATEGORIES).map(([k, v]) => ({ title: v.title, description: v.description, linkedCategory: k })),
            ],
          },
        },
      },
    },
  };
  // The config object has RegExp values, so it is written as JavaScript, inline like Assent's inline config.
  const js = JSON.stringify(run, (k, v) => (v instanceof RegExp ? `__RE__${v.source}` : v), 0)
    .replace(/"__RE__([^"]*)"/g, (_, s) => `/${s.replace(/\\\\/g, '\\')}/`);
  const head = [
    `<link rel="stylesheet" href="/bench/vendor/cookieconsent.css">`,
    '<script src="/bench/vendor/cookieconsent.umd.js" defer></script>',
    `<script>addEventListener('DOMContentLoaded', function () { CookieConsent.run(${js}); });</script>`,
    ...TRACKERS.map(([cat, name, cookie]) => `<script type="text/plain" data-category="${cat}" src="/bench/standin.js?name=${name}&amp;cookie=${cookie}"></script>`),
  ].join('\n');
  return template.replace('{{CONSENT_HEAD}}', head).replace('{{CONSENT_BODY}}', '').replace('{{REOPEN}}', 'data-cc="show-preferencesModal"');
}

function makeBenchWww() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'assent-bench-www-'));
  const dist = path.join(wwwDir(), 'dist');
  if (!fs.existsSync(path.join(dist, 'assent.js'))) throw new Error(`${dist}/assent.js missing: run cargo xtask dist`);
  fs.cpSync(dist, path.join(dir, 'dist'), { recursive: true });
  const b = path.join(dir, 'bench');
  fs.mkdirSync(path.join(b, 'vendor'), { recursive: true });
  const template = fs.readFileSync(path.join(HERE, 'template.html'), 'utf8');
  fs.writeFileSync(path.join(b, 'ours.html'), oursPage(template));
  fs.writeFileSync(path.join(b, 'vcc.html'), vccPage(template));
  fs.writeFileSync(path.join(b, 'privacy.html'), '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Privacy</title></head><body><h1>Privacy policy</h1></body></html>\n');
  fs.copyFileSync(path.join(HERE, 'site.css'), path.join(b, 'site.css'));
  fs.copyFileSync(path.join(HERE, 'standin.js'), path.join(b, 'standin.js'));
  for (const f of ['cookieconsent.umd.js', 'cookieconsent.css']) fs.copyFileSync(path.join(VCC_DIR, f), path.join(b, 'vendor', f));
  return dir;
}

const LIBS = {
  ours: { label: 'Assent', page: '/bench/ours.html', banner: '[data-assent-ui="banner"]', accept: '[data-assent-ui="banner"] [data-assent-action="accept-all"]', asset: (p) => p.startsWith('/assent/') },
  vcc: { label: `vanilla-cookieconsent ${VCC_VERSION}`, page: '/bench/vcc.html', banner: '#cc-main .cm', accept: '#cc-main .cm [data-role="all"]', asset: (p) => p.startsWith('/bench/vendor/cookieconsent') },
};

// Runs in the page before anything else: banner visibility per frame, layout shifts.
function instrument(selector) {
  const b = (window.__bench = { bannerAt: null, cls: 0 });
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) if (!e.hadRecentInput) b.cls += e.value;
    }).observe({ type: 'layout-shift', buffered: true });
  } catch (e) {}
  const check = () => {
    if (b.bannerAt !== null) return;
    const el = document.querySelector(selector);
    if (el && el.getClientRects().length) {
      const cs = getComputedStyle(el);
      if (cs.visibility !== 'hidden' && cs.display !== 'none' && parseFloat(cs.opacity) > 0 && !el.closest('[hidden]')) {
        b.bannerAt = performance.now();
        return;
      }
    }
    requestAnimationFrame(check);
  };
  requestAnimationFrame(check);
}

function longestTask(traceBuf) {
  const events = JSON.parse(traceBuf.toString('utf8')).traceEvents || [];
  const mains = new Set(events.filter((e) => e.name === 'thread_name' && e.args?.name === 'CrRendererMain').map((e) => `${e.pid}:${e.tid}`));
  // The renderer that parsed our page.
  const parse = events.find((e) => e.name === 'ParseHTML' && /\/bench\//.test(e.args?.beginData?.url || ''));
  const key = parse ? `${parse.pid}:${parse.tid}` : null;
  let max = 0;
  for (const e of events) {
    if (e.name !== 'RunTask' || e.ph !== 'X') continue;
    const k = `${e.pid}:${e.tid}`;
    if (key ? k !== key : !mains.has(k)) continue;
    max = Math.max(max, (e.dur || 0) / 1000);
  }
  return max;
}

async function firstVisit(browser, origin, lib) {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 }, reducedMotion: 'reduce', locale: 'en-US' });
  await ctx.addInitScript(instrument, lib.banner);
  const page = await ctx.newPage();
  const assets = [];
  let requests = 0;
  page.on('request', () => requests++);
  page.on('requestfinished', (req) => {
    const p = new URL(req.url()).pathname;
    if (lib.asset(p)) assets.push(req);
  });
  await browser.startTracing(page, { categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline'] });
  await page.goto(origin + lib.page);
  await page.waitForFunction(() => window.__bench.bannerAt !== null, null, { timeout: 20_000 });
  await page.waitForTimeout(1000);
  const trace = await browser.stopTracing();
  const m = await page.evaluate(() => ({ bannerAt: window.__bench.bannerAt, cls: window.__bench.cls, ran: (window.__standins || []).length }));
  if (m.ran !== 0) throw new Error(`${lib.label}: a tracker ran before consent`);
  let gzip = 0, transferred = 0;
  for (const req of assets) {
    const res = await req.response();
    const body = await res.body();
    gzip += zlib.gzipSync(body, { level: 9 }).length;
    const s = await req.sizes();
    transferred += s.responseBodySize + s.responseHeadersSize;
  }
  await ctx.close();
  return { timeToBanner: m.bannerAt, gzip, transferred, assetRequests: assets.length, requests, cls: m.cls, longestTask: longestTask(trace) };
}

async function acceptedState(browser, origin, lib) {
  const ctx = await browser.newContext({ reducedMotion: 'reduce', locale: 'en-US' });
  const page = await ctx.newPage();
  await page.goto(origin + lib.page);
  await page.locator(lib.accept).click();
  await page.waitForFunction(() => (window.__standins || []).length >= 2);
  await page.waitForTimeout(300);
  const state = await ctx.storageState();
  await ctx.close();
  return state;
}

async function returningVisit(browser, origin, lib, storageState) {
  const ctx = await browser.newContext({ reducedMotion: 'reduce', locale: 'en-US', storageState });
  const page = await ctx.newPage();
  await page.goto(origin + lib.page);
  await page.waitForFunction(() => (window.__standins || []).length >= 1, null, { timeout: 20_000 });
  const at = await page.evaluate(() => window.__standins[0].at);
  const bannerShown = await page.locator(lib.banner).isVisible();
  await ctx.close();
  if (bannerShown) throw new Error(`${lib.label}: banner shown to a returning visitor`);
  return at;
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const n = s.length; return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2; };
const stats = (xs) => ({ median: median(xs), min: Math.min(...xs), max: Math.max(...xs) });

async function main() {
  const www = makeBenchWww();
  const server = await startServer({ www });
  const browser = await chromium.launch({ executablePath: chromiumPath(), headless: true, args: CHROMIUM_ARGS });
  const results = { ours: [], vcc: [] };
  const returning = { ours: [], vcc: [] };
  try {
    // Warm-up (not measured): the server's file cache and Chromium's code caches of the browser process.
    for (const lib of Object.values(LIBS)) await firstVisit(browser, server.origin, lib);
    const states = { ours: await acceptedState(browser, server.origin, LIBS.ours), vcc: await acceptedState(browser, server.origin, LIBS.vcc) };
    for (let i = 0; i < RUNS; i++) {
      const order = i % 2 ? ['vcc', 'ours'] : ['ours', 'vcc'];
      for (const k of order) results[k].push(await firstVisit(browser, server.origin, LIBS[k]));
      for (const k of order) returning[k].push(await returningVisit(browser, server.origin, LIBS[k], states[k]));
      process.stdout.write(`\rrun ${i + 1}/${RUNS}`);
    }
    process.stdout.write('\n');
  } finally {
    await browser.close();
    await server.stop();
    fs.rmSync(www, { recursive: true, force: true });
    fs.rmSync(server.state, { recursive: true, force: true });
  }

  const rows = [
    ['Time to banner (ms)', 'timeToBanner', 1],
    ['Consent assets, gzip -9 (bytes)', 'gzip', 0],
    ['Consent assets, transferred as served (bytes)', 'transferred', 0],
    ['Requests for consent assets', 'assetRequests', 0],
    ['All requests of the page', 'requests', 0],
    ['CLS', 'cls', 3],
    ['Longest main-thread task (ms)', 'longestTask', 1],
  ];
  const fmt = (v, d) => (d ? v.toFixed(d) : String(Math.round(v)));
  const cell = (s, d) => (s.min === s.max ? fmt(s.median, d) : `${fmt(s.median, d)} (${fmt(s.min, d)}–${fmt(s.max, d)})`);
  const ratio = (a, b) => (b === 0 ? (a === 0 ? '1.00' : '∞') : (a / b).toFixed(2));
  const lines = [
    `| Metric (median (min–max), ${RUNS} fresh contexts each, interleaved) | Assent | ${LIBS.vcc.label} | Assent / VCC |`,
    '|---|---|---|---|',
  ];
  const summary = {};
  for (const [label, key, d] of rows) {
    const a = stats(results.ours.map((r) => r[key]));
    const b = stats(results.vcc.map((r) => r[key]));
    summary[key] = { ours: a, vcc: b, ratio: b.median ? a.median / b.median : null };
    lines.push(`| ${label} | ${cell(a, d)} | ${cell(b, d)} | ${ratio(a.median, b.median)} |`);
  }
  const ra = stats(returning.ours), rb = stats(returning.vcc);
  summary.returning = { ours: ra, vcc: rb, ratio: ra.median / rb.median };
  lines.push(`| Returning visitor: first allowed script runs (ms) | ${cell(ra, 1)} | ${cell(rb, 1)} | ${ratio(ra.median, rb.median)} |`);
  const chromium_version = (await import('node:child_process'))
    .execFileSync(chromiumPath(), ['--version'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
  const build = /[\\/]release[\\/]/.test(server.bin) ? 'release' : 'debug';
  const table = lines.join('\n');
  const note = `Measured by \`cargo xtask bench web\` on ${new Date().toISOString().slice(0, 10)}: ${chromium_version}, headless, `
    + `${os.cpus().length} × ${os.cpus()[0]?.model?.trim() || 'CPU'}, both pages served by \`assent serve\` (${build} build) on 127.0.0.1 without compression; `
    + 'prefers-reduced-motion emulated (both libraries then skip their fade-in).';
  console.log('\n' + table + '\n\n' + note);
  fs.mkdirSync(path.join(E2E_DIR, 'test-results'), { recursive: true });
  fs.writeFileSync(path.join(E2E_DIR, 'test-results', 'bench-web.json'), JSON.stringify({ runs: RUNS, summary, results, returning }, null, 2));

  if (UPDATE_DOCS) {
    const doc = path.join(REPO, 'docs', 'compare.md');
    const text = fs.readFileSync(doc, 'utf8');
    const start = '<!-- bench:web:start -->', end = '<!-- bench:web:end -->';
    const i = text.indexOf(start), j = text.indexOf(end);
    if (i < 0 || j < 0) throw new Error(`${doc} has no ${start} … ${end} block`);
    fs.writeFileSync(doc, text.slice(0, i + start.length) + '\n' + table + '\n\n' + note + '\n' + text.slice(j));
    console.log(`updated ${doc}`);
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
