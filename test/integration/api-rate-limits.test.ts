// Per-credential rate limits: a person's budget and an ingest key's budget are
// separate and configurable, the answer is 429 with Retry-After and the usual
// error shape, and anonymous callers are limited by address.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPlugin, type RunningPlugin } from '../support/plugin.ts';
import { seedDemoDistrict } from '../../plugin/admin/seed.ts';

describe('rate limits', () => {
  let p: RunningPlugin;
  beforeAll(async () => {
    p = await startPlugin({ env: { RATE_LIMIT_PER_MINUTE: '3', INGEST_RATE_LIMIT_PER_MINUTE: '2' } });
    await seedDemoDistrict(p.store);
  });
  afterAll(() => p.close());

  const send = (token: string | null, path = '/api/v1/me', body?: unknown) =>
    fetch(`${p.url}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const batch = () => ({ signals: [{ id: `rl-${Math.random().toString(36).slice(2, 12)}`, course: '101', user: '5000', at: new Date().toISOString(), kind: 'heartbeat', activeMs: 1000 }] });

  it('gives an ingest key its own budget on /signals, answered with 429, Retry-After and the error shape', async () => {
    const key = await p.issue({ tenant: 'demo', role: 'ingest' });
    const codes: number[] = [];
    let last: Response | null = null;
    for (let i = 0; i < 3; i++) {
      last = await send(key, '/api/v1/signals', batch());
      codes.push(last.status);
    }
    expect(codes).toEqual([200, 200, 429]);
    expect(Number(last!.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(Number(last!.headers.get('retry-after'))).toBeLessThanOrEqual(60);
    expect(await last!.json()).toMatchObject({ error: 'rate_limited', message: expect.stringMatching(/retry in \d+ s/) });
  });

  it('counts every route of a credential against its budget, and one credential never spends another\'s', async () => {
    const a = await p.issue({ tenant: 'demo', role: 'staff', schools: ['sch-north'] });
    const b = await p.issue({ tenant: 'demo', role: 'staff', schools: ['sch-north'] });
    expect((await send(a, '/api/v1/me')).status).toBe(200);
    expect((await send(a, '/api/v1/flags')).status).toBe(200);
    expect((await send(a, '/api/v1/courses/101/status')).status).toBe(200);
    const over = [await send(a, '/api/v1/me'), await send(a, '/api/v1/flags')].map((r) => r.status);
    expect(over).toEqual([429, 429]);
    expect((await send(b, '/api/v1/flags')).status).toBe(200);
  });

  it('limits anonymous callers by address, before telling them to sign in', async () => {
    const codes: number[] = [];
    for (let i = 0; i < 4; i++) codes.push((await send(null)).status);
    expect(codes).toEqual([401, 401, 401, 429]);
  });

  it('leaves health checks unlimited', async () => {
    for (let i = 0; i < 5; i++) expect((await fetch(`${p.url}/healthz`)).status).toBe(200);
  });
});
