// The regions specs' server and visitors: `assent serve` reading the visitor's place from two request headers, as
// behind a CDN (`--region-header x-e2e-country --subdivision-header x-e2e-subdivision`), and a context whose every
// request carries them.
import { startServer, makeWww } from './server.mjs';

/** Starts one such server for the spec file (beforeAll/afterAll); its fields are there once the tests run. */
export function regionServer(test) {
  const handle = {};
  test.beforeAll(async () => {
    const s = await startServer({
      www: makeWww(),
      env: { ASSENT_REGION_HEADER: 'x-e2e-country', ASSENT_SUBDIVISION_HEADER: 'x-e2e-subdivision' },
    });
    Object.assign(handle, { origin: s.origin, adminToken: s.adminToken, stop: () => s.stop() });
  });
  test.afterAll(async () => { await handle.stop?.(); });
  return handle;
}

/** Every request of the context comes from `country` (and `subdivision`, e.g. "CA"). */
export async function visitFrom(context, country, subdivision) {
  const h = { 'x-e2e-country': country };
  if (subdivision) h['x-e2e-subdivision'] = subdivision;
  await context.setExtraHTTPHeaders(h);
}
