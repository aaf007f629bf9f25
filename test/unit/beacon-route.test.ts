// The beacon's server side inside the real plugin app (embedded store, no
// network): text/plain batches with the key in ?k=, CORS for the LMS origin,
// only the kinds a page may claim, and the script served with its caching.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPlugin, type RunningPlugin } from '../support/plugin.ts';
import { MODULES } from '../../plugin/server/modules.ts';
import { beaconDeps, beaconModule, beaconRoutes } from '../../plugin/sources/beacon.ts';
import { createTenant } from '../../plugin/server/tenant-admin.ts';

const LMS = 'https://district.instructure.com';
const at = (offsetMs = 0) => new Date(Date.now() + offsetMs).toISOString();

describe('beacon route in the plugin app', () => {
  let plugin: RunningPlugin;
  let key: string;
  let ingestKey: string;
  let dir: string;
  const script = 'console.log("beacon v1")';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rl-beacon-'));
    writeFileSync(join(dir, 'beacon.js'), script);
    plugin = await startPlugin({
      listen: false,
      modules: [...MODULES.filter((m) => m !== beaconModule), (app, services) => beaconRoutes(app, beaconDeps(services), { scriptFile: join(dir, 'beacon.js'), perAddressPerMinute: 50 })],
    });
    await createTenant(plugin.store, { id: 'dist', name: 'District', lmsKind: 'canvas', lmsOrigin: LMS, timeZone: 'America/New_York' }, Date.now());
    key = await plugin.issue({ tenant: 'dist', role: 'beacon' });
    ingestKey = await plugin.issue({ tenant: 'dist', role: 'ingest' });
  });
  afterAll(async () => {
    await plugin?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const post = (body: unknown, opts: { k?: string; origin?: string | null; type?: string } = {}) =>
    plugin.app.inject({
      method: 'POST',
      url: `/api/v1/beacon?k=${encodeURIComponent(opts.k ?? key)}`,
      headers: { 'content-type': opts.type ?? 'text/plain;charset=UTF-8', ...(opts.origin === null ? {} : { origin: opts.origin ?? LMS }) },
      payload: typeof body === 'string' ? body : JSON.stringify(body),
    });
  const sig = (id: string, kind = 'heartbeat', extra: Record<string, unknown> = {}) => ({ id, user: '5001', course: '4242', at: at(), kind, ...(kind === 'heartbeat' ? { activeMs: 60_000 } : {}), ...extra });

  it('takes a text/plain JSON batch with the key in the query, acknowledges it, and lets the LMS page read the answer', async () => {
    const r = await post({ signals: [sig('beacon-test-0001', 'login'), sig('beacon-test-0002', 'page_view'), sig('beacon-test-0003')], sentAt: at() });
    expect(r.statusCode).toBe(200);
    expect(r.json().acknowledged).toEqual(['beacon-test-0001', 'beacon-test-0002', 'beacon-test-0003']);
    expect(r.headers['access-control-allow-origin']).toBe(LMS);
    expect(r.headers['access-control-expose-headers']).toMatch(/retry-after/i);
    expect(r.headers['set-cookie']).toBeUndefined();
  });

  it('the same ids sent again (a retry, or sendBeacon then fetch) are acknowledged and counted once', async () => {
    const batch = { signals: [sig('beacon-dup-0001'), sig('beacon-dup-0002')] };
    expect((await post(batch)).json().acknowledged).toHaveLength(2);
    expect((await post(batch)).json().acknowledged).toHaveLength(2);
    await plugin.drain();
    // 3 signals from the test above plus these 2, each once.
    const summary = await plugin.store.tenantSummary('dist', (await plugin.app.services.tenantContext('dist')).today(Date.now()));
    expect(summary.signalsToday).toBe(5);
  });

  it('refuses kinds a page cannot honestly claim', async () => {
    for (const kind of ['submission', 'live_session', 'check_in', 'discussion_post']) {
      const r = await post({ signals: [sig(`beacon-kind-${kind}`, kind)] });
      expect(r.statusCode, kind).toBe(400);
      expect(r.json().error).toBe('kind_not_allowed');
    }
    expect((await post({ signals: [sig('beacon-src-0001', 'page_view', { source: 'lti' })] })).statusCode).toBe(400);
  });

  it('refuses malformed bodies with the shared schema', async () => {
    expect((await post('{not json')).statusCode).toBe(400);
    expect((await post({ signals: [] })).statusCode).toBe(400);
    expect((await post({ signals: [sig('short')] })).statusCode).toBe(400);
    expect((await post({ signals: [sig('beacon-big-0001', 'heartbeat', { activeMs: 16 * 60_000 })] })).statusCode).toBe(400);
    expect((await post({ signals: [sig('beacon-extra-0001', 'page_view', { name: 'Ava Garcia' })] })).statusCode).toBe(400);
  });

  it('refuses unknown keys, keys of other roles, and pages of another origin', async () => {
    const unknown = await post({ signals: [sig('beacon-key-0001')] }, { k: 'rl_aaaaaaaaaaaa.' + 'A'.repeat(43) });
    expect(unknown.statusCode).toBe(401);
    expect(unknown.headers['access-control-allow-origin']).toBe(LMS);
    expect((await post({ signals: [sig('beacon-key-0002')] }, { k: ingestKey })).statusCode).toBe(401);
    const other = await post({ signals: [sig('beacon-origin-0001')] }, { origin: 'https://evil.example.com' });
    expect(other.statusCode).toBe(403);
    expect(other.json().error).toBe('origin_not_allowed');
  });

  it('needs no bearer token and answers a preflight if a browser ever sends one', async () => {
    const r = await plugin.app.inject({ method: 'OPTIONS', url: `/api/v1/beacon?k=${key}`, headers: { origin: LMS, 'access-control-request-method': 'POST' } });
    expect(r.statusCode).toBe(204);
    expect(r.headers['access-control-allow-methods']).toBe('POST');
    expect(r.headers['access-control-allow-origin']).toBe(LMS);
  });

  it('serves the script at a short-cached stable URL and a long-cached versioned URL', async () => {
    const stable = await plugin.app.inject({ method: 'GET', url: '/beacon.js' });
    expect(stable.statusCode).toBe(200);
    expect(stable.body).toBe(script);
    expect(stable.headers['content-type']).toMatch(/^text\/javascript/);
    expect(stable.headers['cache-control']).toMatch(/max-age=300/);
    expect(stable.headers['cross-origin-resource-policy']).toBe('cross-origin');
    const versioned = String(stable.headers['content-location']);
    expect(versioned).toMatch(/^\/beacon\/[0-9a-f]{12}\.js$/);
    const v = await plugin.app.inject({ method: 'GET', url: versioned });
    expect(v.body).toBe(script);
    expect(v.headers['cache-control']).toContain('immutable');
    const again = await plugin.app.inject({ method: 'GET', url: '/beacon.js', headers: { 'if-none-match': String(stable.headers.etag) } });
    expect(again.statusCode).toBe(304);
  });

  it('limits one address generously, and the limit answer carries Retry-After the page can read', async () => {
    let last = await post({ signals: [sig('beacon-rate-0000')] });
    for (let i = 1; i < 60 && last.statusCode !== 429; i++) last = await post({ signals: [sig(`beacon-rate-${String(i).padStart(4, '0')}`)] });
    expect(last.statusCode).toBe(429);
    expect(Number(last.headers['retry-after'])).toBeGreaterThan(0);
    expect(last.headers['access-control-allow-origin']).toBe(LMS);
  });
});
