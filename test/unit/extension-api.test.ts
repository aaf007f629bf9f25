// The extension's API client against the real plugin: a credential the plugin
// refuses comes back as "not signed in" with the reason (expired, revoked,
// unknown), so the page can say which; a missing plugin is "unreachable".
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from '../../extension/background/api.ts';
import type { ProblemInfo } from '../../extension/lib/messages.ts';
import type { Me } from '../../shared/api.ts';
import { seedDemoDistrict } from '../../plugin/admin/seed.ts';
import { credentialIdOf } from '../../plugin/server/credentials.ts';
import { startPlugin, type RunningPlugin } from '../support/plugin.ts';

describe('the API client reads why the plugin refused a credential', () => {
  let plugin: RunningPlugin;
  let clock = Date.parse('2026-11-18T19:30:00Z');
  beforeAll(async () => {
    plugin = await startPlugin({ engine: 'sqlite', now: () => clock, env: { CREDENTIAL_CACHE_SECONDS: '0' } });
    await seedDemoDistrict(plugin.store, { tenant: 'demo', now: clock });
  });
  afterAll(async () => {
    await plugin?.close();
  });

  it('a good credential reads /me', async () => {
    const token = await plugin.issue({ tenant: 'demo', role: 'teacher', person: '9001', label: 'Maria Rivera' });
    const r = await call<Me>(plugin.url, token, '/me');
    expect(r.ok && r.value.person).toBe('9001');
  });

  it('expired, revoked, unknown and malformed each come back as not signed in, with the reason', async () => {
    const expiring = await plugin.issue({ tenant: 'demo', role: 'teacher', person: '9001', ttlMs: 60_000 });
    const revoked = await plugin.issue({ tenant: 'demo', role: 'teacher', person: '9001' });
    await plugin.store.revokeCredential(credentialIdOf(revoked)!, clock);
    clock += 120_000;
    const unknown = `rl_${'a'.repeat(12)}.${'b'.repeat(43)}`;
    const seen: Record<string, ProblemInfo | null> = {};
    for (const [name, token] of [['expired', expiring], ['revoked', revoked], ['unknown', unknown], ['malformed', 'not-a-credential']] as const) {
      const r = await call<Me>(plugin.url, token, '/courses/101/status');
      seen[name] = r.ok ? null : r.error;
      expect(r.ok || r.status).toBe(401);
    }
    expect(seen.expired).toMatchObject({ problem: 'not_signed_in', reason: 'credential_expired' });
    expect(seen.revoked).toMatchObject({ problem: 'not_signed_in', reason: 'credential_revoked' });
    expect(seen.unknown).toMatchObject({ problem: 'not_signed_in', reason: 'credential_unknown' });
    expect(seen.malformed).toMatchObject({ problem: 'not_signed_in', reason: 'credential_unknown' });
  });

  it('a plugin that is not there is "unreachable", and retryable', async () => {
    const r = await call<Me>('http://127.0.0.1:9', 'rl_x', '/me');
    expect(r).toMatchObject({ ok: false, retryable: true, error: { problem: 'unreachable' } });
  });
});

