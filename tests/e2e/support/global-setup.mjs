// Playwright global setup: one real `assent serve` for the whole run, on a free 127.0.0.1 port, with a temp SQLite
// database, a temp keys directory and an admin token. Workers find it through the E2E_* environment variables.
import fs from 'node:fs';
import { startServer } from './server.mjs';

export default async function globalSetup() {
  const server = await startServer();
  process.env.E2E_ORIGIN = server.origin;
  process.env.E2E_PORT = String(server.port);
  process.env.E2E_WWW = server.www;
  process.env.E2E_DB = server.db;
  process.env.E2E_KEYS = server.keys;
  process.env.E2E_STATE = server.state;
  process.env.E2E_ADMIN_TOKEN = server.adminToken;
  process.env.E2E_SERVER_PID = String(server.pid);
  console.log(`[e2e] assent serve on ${server.origin} (www ${server.www}, db ${server.db})`);
  return async () => {
    await server.stop();
    if (process.env.E2E_KEEP_TEMP !== '1') {
      for (const d of [server.www, server.state]) fs.rmSync(d, { recursive: true, force: true });
    } else {
      console.log(`[e2e] server log:\n${server.log()}`);
    }
  };
}
