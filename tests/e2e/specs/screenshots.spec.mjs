// The README's screenshots (docs/img/banner.png, docs/img/preferences.png) of the Croo example in headless
// Chromium. The test suite compares, it never writes: `cargo xtask docs` regenerates them (it runs this spec with
// ASSENT_UPDATE_SCREENSHOTS=1, refused under CI) together with docs/img/screenshots.json, the positions of the key
// elements at that time.
//
// The comparison is robust to the fonts of the machine, which change glyphs but not the layout: the same image
// size, every key element within POSITION_TOLERANCE px of where it was, and the image averaged over a coarse grid
// of cells within a colour tolerance (text covers little of a cell; a moved, recoloured or missing banner does
// not). A failure means docs/img is stale: rerun `cargo xtask docs` and review the images.
import fs from 'node:fs';
import path from 'node:path';
import { test, expect, url, banner, prefs, action, ready } from '../support/fixtures.mjs';
import { execFileSync } from 'node:child_process';
import { REPO, startServer, makeWww } from '../support/server.mjs';

const OUT = path.join(REPO, 'docs', 'img');
const LAYOUT = path.join(OUT, 'screenshots.json');
const UPDATE = process.env.ASSENT_UPDATE_SCREENSHOTS === '1';
const VIEWPORT = { width: 1280, height: 800 };
const POSITION_TOLERANCE = 24;
const GRID = { cols: 16, rows: 10 };
// Mean absolute difference per channel (0–255): any one cell, and all cells on average.
const CELL_TOLERANCE = 48;
const MEAN_TOLERANCE = 6;

/** Bounding boxes (rounded) of the shot's key elements. */
async function boxes(page, locators) {
  const out = {};
  for (const [name, locator] of Object.entries(locators)) {
    const b = await locator.boundingBox();
    expect(b, `${name} is on the screen`).not.toBeNull();
    out[name] = { x: Math.round(b.x), y: Math.round(b.y), width: Math.round(b.width), height: Math.round(b.height) };
  }
  return out;
}

/** Width and height from a PNG's IHDR chunk. */
function pngSize(buffer) {
  expect(buffer.subarray(1, 4).toString('latin1')).toBe('PNG');
  return { width: buffer.readUInt32BE(16), height: buffer.readUInt32BE(20) };
}

/** The PNG averaged over GRID cells: [[r, g, b], …] row by row, decoded by the browser. */
async function grid(page, buffer) {
  return page.evaluate(async ({ b64, cols, rows }) => {
    const img = new Image();
    img.src = `data:image/png;base64,${b64}`;
    await img.decode();
    const canvas = document.createElement('canvas');
    canvas.width = img.naturalWidth;
    canvas.height = img.naturalHeight;
    const ctx = canvas.getContext('2d');
    ctx.drawImage(img, 0, 0);
    const { data, width, height } = ctx.getImageData(0, 0, canvas.width, canvas.height);
    const cells = [];
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        const [x0, x1] = [Math.floor((c * width) / cols), Math.floor(((c + 1) * width) / cols)];
        const [y0, y1] = [Math.floor((r * height) / rows), Math.floor(((r + 1) * height) / rows)];
        const sum = [0, 0, 0];
        for (let y = y0; y < y1; y++) {
          for (let x = x0; x < x1; x++) {
            const i = (y * width + x) * 4;
            sum[0] += data[i]; sum[1] += data[i + 1]; sum[2] += data[i + 2];
          }
        }
        const n = (x1 - x0) * (y1 - y0);
        cells.push(sum.map((s) => s / n));
      }
    }
    return cells;
  }, { b64: buffer.toString('base64'), ...GRID });
}

async function compare(scratch, name, png, layout, expected) {
  const committed = fs.readFileSync(path.join(OUT, name));
  expect(pngSize(png), `${name}: image size`).toEqual(pngSize(committed));
  for (const [el, want] of Object.entries(expected)) {
    const got = layout[el];
    expect(got, `${name}: ${el} is in the shot`).toBeTruthy();
    for (const k of ['x', 'y', 'width', 'height']) {
      expect(Math.abs(got[k] - want[k]), `${name}: ${el}.${k} was ${want[k]}, is ${got[k]}`)
        .toBeLessThanOrEqual(POSITION_TOLERANCE);
    }
  }
  const [now, then] = [await grid(scratch, png), await grid(scratch, committed)];
  const diffs = now.map((cell, i) => cell.reduce((d, v, ch) => d + Math.abs(v - then[i][ch]), 0) / 3);
  const worst = Math.max(...diffs);
  const mean = diffs.reduce((a, b) => a + b, 0) / diffs.length;
  const cell = diffs.indexOf(worst);
  expect(worst, `${name}: cell ${cell % GRID.cols},${Math.floor(cell / GRID.cols)} differs by ${worst.toFixed(1)}`)
    .toBeLessThanOrEqual(CELL_TOLERANCE);
  expect(mean, `${name}: mean difference ${mean.toFixed(2)}`).toBeLessThanOrEqual(MEAN_TOLERANCE);
}

test('screenshots: docs/img matches the banner and preferences dialog as they render now', async ({ page, context }) => {
  if (UPDATE && process.env.CI && !['0', 'false'].includes(process.env.CI.toLowerCase())) {
    throw new Error('ASSENT_UPDATE_SCREENSHOTS is refused under CI: CI compares docs/img, it never writes it');
  }
  await page.setViewportSize(VIEWPORT);
  await page.emulateMedia({ colorScheme: 'light', reducedMotion: 'reduce' });
  await page.goto(url('/examples/croo/'));
  await ready(page);
  await expect(banner(page)).toBeVisible();
  const shots = {
    'banner.png': {
      png: await page.screenshot(),
      layout: await boxes(page, {
        banner: banner(page),
        'accept-all': action(banner(page), 'accept-all'),
        'reject-all': action(banner(page), 'reject-all'),
        preferences: action(banner(page), 'preferences'),
      }),
    },
  };
  await action(banner(page), 'preferences').click();
  await expect(prefs(page)).toBeVisible();
  shots['preferences.png'] = {
    png: await page.screenshot(),
    layout: await boxes(page, { dialog: prefs(page), save: action(prefs(page), 'save') }),
  };

  if (UPDATE) {
    fs.mkdirSync(OUT, { recursive: true });
    const layout = { viewport: VIEWPORT, tolerance_px: POSITION_TOLERANCE, shots: {} };
    for (const [name, shot] of Object.entries(shots)) {
      fs.writeFileSync(path.join(OUT, name), shot.png);
      layout.shots[name] = shot.layout;
    }
    fs.writeFileSync(LAYOUT, `${JSON.stringify(layout, null, 2)}\n`);
    console.log(`[docs] wrote ${Object.keys(shots).join(', ')} and screenshots.json to ${OUT}`);
    return;
  }
  expect(fs.existsSync(LAYOUT), 'docs/img/screenshots.json exists (cargo xtask docs writes it)').toBe(true);
  const expected = JSON.parse(fs.readFileSync(LAYOUT, 'utf8'));
  expect(expected.viewport).toEqual(VIEWPORT);
  const scratch = await context.newPage();
  for (const [name, shot] of Object.entries(shots)) {
    await compare(scratch, name, shot.png, shot.layout, expected.shots[name]);
  }
});

// The dashboard's overview (docs/img/dashboard.png, README): its own server, a history written by
// `assent dashboard seed` as if it were noon on 1 December 2026, so the page is the same on any day.
const DASHBOARD_LAYOUT = path.join(OUT, 'dashboard.json');
const DASHBOARD_NOW = 1_796_126_400;

test('screenshots: docs/img/dashboard.png matches the dashboard overview as it renders now', async ({ browser }) => {
  if (UPDATE && process.env.CI && !['0', 'false'].includes(process.env.CI.toLowerCase())) {
    throw new Error('ASSENT_UPDATE_SCREENSHOTS is refused under CI: CI compares docs/img, it never writes it');
  }
  const token = 'screenshot-admin-token-0123456789';
  const server = await startServer({ www: makeWww(), adminToken: token });
  const context = await browser.newContext({ viewport: VIEWPORT, colorScheme: 'light' });
  try {
    execFileSync(server.bin, ['dashboard', 'seed', '--db', `sqlite:${server.db}`, '--keys', server.keys,
      '--www', server.www, '--days', '28', '--now', String(DASHBOARD_NOW)], { stdio: 'pipe' });
    const page = await context.newPage();
    await page.goto(`${server.origin}/admin/signin`);
    await page.getByLabel('Admin token').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.goto(`${server.origin}/admin/?site=connact.cloud&from=2026-11-04&to=2026-12-01&bucket=day`);
    await expect(page.locator('#total-records')).not.toHaveText('0');
    const png = await page.screenshot();
    const layout = await boxes(page, {
      summary: page.locator('dl.summary'),
      records: page.locator('#chart-records svg'),
    });
    if (UPDATE) {
      fs.writeFileSync(path.join(OUT, 'dashboard.png'), png);
      fs.writeFileSync(DASHBOARD_LAYOUT, `${JSON.stringify({ viewport: VIEWPORT, shots: { 'dashboard.png': layout } }, null, 2)}\n`);
      console.log(`[docs] wrote dashboard.png and dashboard.json to ${OUT}`);
      return;
    }
    const expected = JSON.parse(fs.readFileSync(DASHBOARD_LAYOUT, 'utf8'));
    await compare(await context.newPage(), 'dashboard.png', png, layout, expected.shots['dashboard.png']);
  } finally {
    await context.close();
    await server.stop();
  }
});
