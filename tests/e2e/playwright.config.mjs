// Playwright configuration: the system Chromium (no browser download), headless, with the flags DEVELOPERS.md lists
// for running as root on a closed network. `*.assent.test` resolves to 127.0.0.1 for the parent-domain cookie tests.
import { defineConfig } from '@playwright/test';
import { chromiumPath } from './support/server.mjs';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--host-resolver-rules=MAP *.assent.test 127.0.0.1',
];

export default defineConfig({
  testDir: './specs',
  globalSetup: './support/global-setup.mjs',
  fullyParallel: true,
  workers: process.env.E2E_WORKERS ? Number(process.env.E2E_WORKERS) : 4,
  retries: 0,
  forbidOnly: true,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: [['list'], ['./support/skip-report.mjs']],
  outputDir: './test-results',
  use: {
    browserName: 'chromium',
    headless: true,
    launchOptions: { executablePath: chromiumPath(), args: CHROMIUM_ARGS },
    viewport: { width: 1280, height: 800 },
    locale: 'en-US',
    trace: 'retain-on-failure',
  },
});
