// `cargo xtask bench web` (npm run bench): Assent vs vanilla-cookieconsent 3.x on the same realistic page, served
// by the same real `assent serve`, measured interleaved over fresh headless Chromium contexts.
//
//   node bench/bench.mjs [--runs N] [--update-docs]
//
// Both pages drive Google Consent Mode v2 and load their script the way each recommends for that: Assent's
// bootstrap with a plain <script> (no defer) right after its inline config, so its Consent Mode default precedes
// any tag; vanilla-cookieconsent (VCC) with its documented Consent Mode recipe — an inline `gtag('consent',
// 'default', …)`, its script loaded synchronously too, `CookieConsent.run` on DOMContentLoaded with `onConsent` /
// `onChange` calling `gtag('consent', 'update', …)`.
//
// Metrics per library (median, min, max over N runs each):
//   - time to banner: navigation start → first animation frame in which the banner is laid out, visible and not
//     transparent (both libraries honour prefers-reduced-motion, which is emulated, so no fade-in is timed);
//   - consent asset bytes: gzip -9 of every consent asset body (Assent: /assent/*, VCC: its JS + CSS), and the
//     bytes actually transferred (as served by assent serve);
//   - requests for consent assets;
//   - CLS (layout-shift entries without recent input) until 1 s after the banner shows;
//   - longest main-thread task (RunTask on the page's renderer main thread, from a Chromium trace) until then;
//   - returning visitor (stored "accept all"), cold cache: a fresh context holding only the stored cookies loads
//     the page — consent asset bytes (gzip -9, transferred), requests, and navigation start → the first allowed
//     script runs;
//   - returning visitor, warm cache: the same context loads the page again (its HTTP cache now holds the assets;
//     assent serve sends both libraries' files with Last-Modified and `Cache-Control: no-cache`, so the browser
//     revalidates each) — bytes transferred
//     and time to the first allowed script.
// Next to the measured bytes, the gzip sizes of Assent's download sets from www/dist/size.json (`cargo xtask
// dist`: returning_visit, first_visit) are set against VCC's measured gzip bytes (VCC loads the same two files on
// every visit).
// --update-docs rewrites the table between the bench markers in docs/compare.md and README.md.
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
    consent_mode: { enabled: true },
    categories: {
      analytics: { cookies: ['_ga', '_ga_*', '_gid'] },
      remarketing: { cookies: ['IDE'] },
      marketing_email: {},
    },
  };
  const head = [
    `<script type="application/json" id="assent-config">${JSON.stringify(config)}</script>`,
    '<script src="/assent/assent.js"></script>',
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
    onConsent: '__FN__benchGtagUpdate',
    onChange: '__FN__benchGtagUpdate',
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
  // The config object has RegExp and function values, so it is written as JavaScript, inline like Assent's inline
  // config.
  const js = JSON.stringify(run, (k, v) => (v instanceof RegExp ? `__RE__${v.source}` : v), 0)
    .replace(/"__RE__([^"]*)"/g, (_, s) => `/${s.replace(/\\\\/g, '\\')}/`)
    .replace(/"__FN__([A-Za-z]+)"/g, '$1');
  // VCC's Google Consent Mode recipe: the default before any tag, an update from its callbacks.
  const consentMode = `window.dataLayer = window.dataLayer || []; function gtag() { dataLayer.push(arguments); }
gtag('consent', 'default', { ad_storage: 'denied', ad_user_data: 'denied', ad_personalization: 'denied', analytics_storage: 'denied', functionality_storage: 'denied', personalization_storage: 'denied', security_storage: 'granted', wait_for_update: 500 });
function benchGtagUpdate() { var ads = CookieConsent.acceptedCategory('remarketing') ? 'granted' : 'denied';
  gtag('consent', 'update', { analytics_storage: CookieConsent.acceptedCategory('analytics') ? 'granted' : 'denied', ad_storage: ads, ad_user_data: ads, ad_personalization: ads }); }`;
  const head = [
    `<link rel="stylesheet" href="/assent/vcc/cookieconsent.css">`,
    `<script>${consentMode}</script>`,
    '<script src="/assent/vcc/cookieconsent.umd.js"></script>',
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
  fs.mkdirSync(b, { recursive: true });
  // VCC's files sit next to Assent's, under /assent/vcc/: both libraries are then served with the same headers
  // (`Cache-Control: no-cache`, revalidated on a warm visit).
  fs.mkdirSync(path.join(dir, 'dist', 'vcc'), { recursive: true });
  const template = fs.readFileSync(path.join(HERE, 'template.html'), 'utf8');
  fs.writeFileSync(path.join(b, 'ours.html'), oursPage(template));
  fs.writeFileSync(path.join(b, 'vcc.html'), vccPage(template));
  fs.writeFileSync(path.join(b, 'privacy.html'), '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Privacy</title></head><body><h1>Privacy policy</h1></body></html>\n');
  fs.copyFileSync(path.join(HERE, 'site.css'), path.join(b, 'site.css'));
  fs.copyFileSync(path.join(HERE, 'standin.js'), path.join(b, 'standin.js'));
  for (const f of ['cookieconsent.umd.js', 'cookieconsent.css']) fs.copyFileSync(path.join(VCC_DIR, f), path.join(dir, 'dist', 'vcc', f));
  return dir;
}

const LIBS = {
  ours: { label: 'Assent', page: '/bench/ours.html', banner: '[data-assent-ui="banner"]', accept: '[data-assent-ui="banner"] [data-assent-action="accept-all"]', asset: (p) => p.startsWith('/assent/') && !p.startsWith('/assent/vcc/') },
  vcc: { label: `vanilla-cookieconsent ${VCC_VERSION}`, page: '/bench/vcc.html', banner: '#cc-main .cm', accept: '#cc-main .cm [data-role="all"]', asset: (p) => p.startsWith('/assent/vcc/') },
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
  const { gzip, transferred } = await assetBytes(assets);
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

// Transferred bytes of the consent asset `requests`, and the gzip -9 size of their bodies (`bodies`: not on a warm
// visit, whose 304 / cached responses carry none).
async function assetBytes(requests, bodies = true) {
  let gzip = 0, transferred = 0;
  for (const req of requests) {
    if (bodies) {
      const body = await (await req.response()).body();
      gzip += zlib.gzipSync(body, { level: 9 }).length;
    }
    const s = await req.sizes();
    transferred += s.responseBodySize + s.responseHeadersSize;
  }
  return { gzip, transferred };
}

// A returning visitor: a fresh context with the stored choice loads the page (cold cache), then loads it again
// (warm cache). Returns both.
async function returningVisit(browser, origin, lib, storageState) {
  const ctx = await browser.newContext({ reducedMotion: 'reduce', locale: 'en-US', storageState });
  const page = await ctx.newPage();
  const visit = async (cold) => {
    const assets = [];
    const onFinished = (req) => { if (lib.asset(new URL(req.url()).pathname)) assets.push(req); };
    page.on('requestfinished', onFinished);
    await page.goto(origin + lib.page);
    await page.waitForFunction(() => (window.__standins || []).length >= 1, null, { timeout: 20_000 });
    const firstScript = await page.evaluate(() => window.__standins[0].at);
    if (await page.locator(lib.banner).isVisible()) throw new Error(`${lib.label}: banner shown to a returning visitor`);
    page.off('requestfinished', onFinished);
    return { firstScript, assetRequests: assets.length, ...(await assetBytes(assets, cold)) };
  };
  const cold = await visit(true);
  const warm = await visit(false);
  await ctx.close();
  return { cold, warm };
}

// The gzip bytes of Assent's download sets, as `cargo xtask dist` measured them.
function distSets() {
  const file = path.join(wwwDir(), 'dist', 'size.json');
  const report = JSON.parse(fs.readFileSync(file, 'utf8'));
  const set = (name) => {
    const s = report.sets.find((x) => x.name === name);
    if (!s) throw new Error(`${file} has no set ${name}`);
    return s;
  };
  return { returning_visit: set('returning_visit'), first_visit: set('first_visit') };
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const n = s.length; return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2; };
const stats = (xs) => ({ median: median(xs), min: Math.min(...xs), max: Math.max(...xs) });

async function main() {
  const sets = distSets();
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
    ['First visit: time to banner (ms)', 'timeToBanner', 1],
    ['First visit: consent assets, gzip -9 (bytes)', 'gzip', 0],
    ['First visit: consent assets, transferred as served (bytes)', 'transferred', 0],
    ['First visit: requests for consent assets', 'assetRequests', 0],
    ['First visit: all requests of the page', 'requests', 0],
    ['First visit: CLS', 'cls', 3],
    ['First visit: longest main-thread task (ms)', 'longestTask', 1],
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
  const returningRows = [
    ['Returning visitor, cold cache: consent assets, gzip -9 (bytes)', 'cold', 'gzip', 0],
    ['Returning visitor, cold cache: consent assets, transferred (bytes)', 'cold', 'transferred', 0],
    ['Returning visitor, cold cache: requests for consent assets', 'cold', 'assetRequests', 0],
    ['Returning visitor, cold cache: first allowed script runs (ms)', 'cold', 'firstScript', 1],
    ['Returning visitor, warm cache: consent assets, transferred (bytes)', 'warm', 'transferred', 0],
    ['Returning visitor, warm cache: first allowed script runs (ms)', 'warm', 'firstScript', 1],
  ];
  summary.returning = {};
  for (const [label, cache, key, d] of returningRows) {
    const a = stats(returning.ours.map((r) => r[cache][key]));
    const b = stats(returning.vcc.map((r) => r[cache][key]));
    summary.returning[`${cache}_${key}`] = { ours: a, vcc: b, ratio: b.median ? a.median / b.median : null };
    lines.push(`| ${label} | ${cell(a, d)} | ${cell(b, d)} | ${ratio(a.median, b.median)} |`);
  }
  // VCC downloads the same two files on every visit: its measured first-visit gzip is its set on both.
  const vccGzip = summary.gzip.vcc.median;
  summary.sets = {};
  for (const [label, name] of [['returning visit', 'returning_visit'], ['first visit', 'first_visit']]) {
    const set = sets[name];
    summary.sets[name] = { ours: set.gzip, files: set.files, vcc: vccGzip, ratio: set.gzip / vccGzip };
    lines.push(`| Download set, ${label} (size.json: ${set.files.join(' + ')}), gzip -9 (bytes) | ${set.gzip} | ${fmt(vccGzip, 0)} | ${ratio(set.gzip, vccGzip)} |`);
  }
  const chromium_version = (await import('node:child_process'))
    .execFileSync(chromiumPath(), ['--version'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
  const build = /[\\/]release[\\/]/.test(server.bin) ? 'release' : 'debug';
  const table = lines.join('\n');
  const note = `Measured by \`cargo xtask bench web\` on ${new Date().toISOString().slice(0, 10)}: ${chromium_version}, headless, `
    + `${os.cpus().length} × ${os.cpus()[0]?.model?.trim() || 'CPU'}, both pages served by \`assent serve\` (${build} build) on 127.0.0.1 without compression; `
    + `prefers-reduced-motion emulated (both libraries then skip their fade-in); load average at the end ${os.loadavg().map((l) => l.toFixed(1)).join(' / ')} (1 / 5 / 15 min).`;
  console.log('\n' + table + '\n\n' + note);
  fs.mkdirSync(path.join(E2E_DIR, 'test-results'), { recursive: true });
  fs.writeFileSync(path.join(E2E_DIR, 'test-results', 'bench-web.json'), JSON.stringify({ runs: RUNS, summary, results, returning }, null, 2));

  if (UPDATE_DOCS) {
    // The same table in docs/compare.md and in README's "How it compares".
    for (const doc of [path.join(REPO, 'docs', 'compare.md'), path.join(REPO, 'README.md')]) {
      const text = fs.readFileSync(doc, 'utf8');
      const start = '<!-- bench:web:start -->', end = '<!-- bench:web:end -->';
      const i = text.indexOf(start), j = text.indexOf(end);
      if (i < 0 || j < 0) throw new Error(`${doc} has no ${start} … ${end} block`);
      fs.writeFileSync(doc, text.slice(0, i + start.length) + '\n' + table + '\n\n' + note + '\n' + text.slice(j));
      console.log(`updated ${doc}`);
    }
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
