// Starts the real `assent serve` on a free 127.0.0.1 port with a temp SQLite database and keys directory.
// Used by the Playwright global setup, by tests that need a second server, and by the web benchmark.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderPages } from './pages.mjs';

export const E2E_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const REPO = path.resolve(E2E_DIR, '..', '..');

/** The `assent` binary: $ASSENT_BIN, else the debug build in $CARGO_TARGET_DIR (or target/). */
export function assentBin() {
  if (process.env.ASSENT_BIN) return process.env.ASSENT_BIN;
  const target = process.env.CARGO_TARGET_DIR || path.join(REPO, 'target');
  return path.join(path.isAbsolute(target) ? target : path.join(REPO, target), 'debug', 'assent');
}

/** The www directory to serve: $ASSENT_WWW, else the repository's www/. */
export function wwwDir() {
  return process.env.ASSENT_WWW || path.join(REPO, 'www');
}

export function chromiumPath() {
  return process.env.CHROMIUM_PATH || '/usr/bin/chromium';
}

export async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/**
 * A temp copy of www/ (including the built dist/) with the e2e fixtures (fixtures/: trackers, CSS, privacy page)
 * and the pages rendered from pages/ (support/pages.mjs) added under /e2e/.
 * The server discovers every site config from the inline `assent-config` blocks of the pages it serves, so the
 * fixtures must be inside the served tree.
 */
export function makeWww({ extra = [] } = {}) {
  const src = wwwDir();
  if (!fs.existsSync(path.join(src, 'dist'))) {
    throw new Error(`${src}/dist does not exist: build the browser SDK first (cargo xtask dist)`);
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'assent-e2e-www-'));
  fs.cpSync(src, dir, { recursive: true, dereference: true });
  fs.cpSync(path.join(E2E_DIR, 'fixtures'), path.join(dir, 'e2e'), { recursive: true });
  for (const [file, html] of renderPages()) fs.writeFileSync(path.join(dir, 'e2e', file), html);
  for (const [rel, text] of extra) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  }
  return dir;
}

/**
 * Start `assent serve`. Returns { url, port, origin, www, db, keys, adminToken, log(), stop() }.
 * `port` may be given (to restart on the same port, e.g. "server comes back").
 */
export async function startServer({ www, port, adminToken = 'e2e-admin-token-0123456789', env = {} } = {}) {
  const bin = assentBin();
  if (!fs.existsSync(bin)) throw new Error(`assent binary not found at ${bin} (set ASSENT_BIN)`);
  www = www || makeWww();
  port = port || (await freePort());
  const state = fs.mkdtempSync(path.join(os.tmpdir(), 'assent-e2e-state-'));
  const db = path.join(state, 'assent.db');
  const keys = path.join(state, 'keys');
  fs.mkdirSync(keys);
  return spawnServer({ bin, www, port, db, keys, state, adminToken, env });
}

/** Start another server process on the same database and keys (e.g. after a stop). */
export async function restartServer(prev, { port = prev.port } = {}) {
  return spawnServer({ ...prev, port });
}

async function spawnServer({ bin, www, port, db, keys, state, adminToken, env }) {
  const args = ['serve', '--listen', `127.0.0.1:${port}`, '--db', `sqlite:${db}`, '--www', www, '--keys', keys];
  const child = spawn(bin, args, {
    env: { ...process.env, ASSENT_ADMIN_TOKEN: adminToken, ASSENT_LOG: process.env.ASSENT_LOG || 'warn',
    // The whole suite posts from 127.0.0.1: lift the per-client rate limit so it never throttles a test.
    ASSENT_RATE_LIMIT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  let exited = null;
  child.on('exit', (code, signal) => (exited = { code, signal }));

  const origin = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (exited) throw new Error(`assent serve exited early (${JSON.stringify(exited)}):\n${output}`);
    try {
      const r = await fetch(`${origin}/.well-known/assent-keys.json`);
      if (r.ok) break;
    } catch {}
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`assent serve did not answer on ${origin} within 30 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const server = {
    bin, www, port, db, keys, state, adminToken, env, origin, url: origin + '/',
    pid: child.pid,
    log: () => output,
    async stop() {
      if (exited) return;
      const done = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await done;
      clearTimeout(t);
    },
  };
  return server;
}
