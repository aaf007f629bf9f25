// The extension's small copies of shared values, its origin handling, the
// pairing checks and the store package's manifest.
import { describe, expect, it } from 'vitest';
import { API_PREFIX } from '../../shared/api.ts';
import { FLAG_STATES } from '../../shared/flags.ts';
import { HEADLINE_LABELS } from '../../shared/status.ts';
import { HEADLINES as API_HEADLINES } from '../../shared/api.ts';
import { API_PREFIX as EXT_PREFIX } from '../../extension/lib/api-prefix.ts';
import { FLAG_STATE_TEXT, HEADLINES, HEADLINE_TEXT } from '../../extension/lib/labels.ts';
import { isBuiltInHost, matchPattern, toOrigin } from '../../extension/lib/origins.ts';
import { handlePair } from '../../extension/background/pairing.ts';
import { storeManifest } from '../../extension/package-zip.ts';

describe('copies of shared values', () => {
  it('equal the shared contract', () => {
    expect(EXT_PREFIX).toBe(API_PREFIX);
    expect(HEADLINE_TEXT).toEqual(HEADLINE_LABELS);
    expect([...HEADLINES]).toEqual([...API_HEADLINES]);
    expect(Object.keys(FLAG_STATE_TEXT)).toEqual([...FLAG_STATES]);
  });
});

describe('origins typed by a teacher', () => {
  it('normalise to origins and port-less match patterns', () => {
    expect(toOrigin('moodle.district.org')).toBe('https://moodle.district.org');
    expect(toOrigin(' https://moodle.district.org/some/path ')).toBe('https://moodle.district.org');
    expect(toOrigin('http://127.0.0.1:5173')).toBe('http://127.0.0.1:5173');
    expect(toOrigin('ftp://x.org')).toBeNull();
    expect(toOrigin('https://user:pw@x.org')).toBeNull();
    expect(toOrigin('')).toBeNull();
    expect(matchPattern('https://lms.example:8443')).toBe('https://lms.example/*');
    expect(matchPattern('https://rl.example', '/lti/launch*')).toBe('https://rl.example/lti/launch*');
    expect(isBuiltInHost('https://district.instructure.com')).toBe(true);
    expect(isBuiltInHost('https://instructure.com.evil.org')).toBe(false);
  });
});

describe('pairing from an LTI launch page', () => {
  const token = `rl_abcdefghij12.${'A'.repeat(43)}`;
  const sender = (url: string) => ({ url, id: 'ext' });
  const signedIn: string[] = [];
  const signIn = async (url: string, t: string) => {
    signedIn.push(`${url} ${t}`);
    return { ok: true };
  };

  it('accepts the configured plugin origin’s launch page and signs in there', async () => {
    const r = await handlePair({ token, pluginUrl: 'https://rl.district.org', pageOrigin: 'https://rl.district.org' }, sender('https://rl.district.org/lti/launch?x=1'), signIn, async () => 'https://rl.district.org');
    expect(r).toEqual({ ok: true });
    expect(signedIn.at(-1)).toBe(`https://rl.district.org ${token}`);
  });

  it('adopts the page origin when none is configured', async () => {
    expect(await handlePair({ token, pluginUrl: 'http://127.0.0.1:4000', pageOrigin: 'http://127.0.0.1:4000' }, sender('http://127.0.0.1:4000/lti/launch'), signIn, async () => null)).toEqual({ ok: true });
  });

  it('refuses another origin, a pluginUrl that is not the page, other paths and malformed tokens', async () => {
    const cfg = async () => 'https://rl.district.org';
    expect((await handlePair({ token, pluginUrl: 'https://evil.org', pageOrigin: 'https://evil.org' }, sender('https://evil.org/lti/launch'), signIn, cfg)).ok).toBe(false);
    expect((await handlePair({ token, pluginUrl: 'https://evil.org', pageOrigin: 'https://rl.district.org' }, sender('https://rl.district.org/lti/launch'), signIn, cfg)).ok).toBe(false);
    expect((await handlePair({ token, pluginUrl: 'https://rl.district.org', pageOrigin: 'https://rl.district.org' }, sender('https://rl.district.org/dashboard/'), signIn, cfg)).ok).toBe(false);
    expect((await handlePair({ token: 'rl_short.x', pluginUrl: 'https://rl.district.org', pageOrigin: 'https://rl.district.org' }, sender('https://rl.district.org/lti/launch'), signIn, cfg)).ok).toBe(false);
    // The page cannot claim an origin the browser did not report.
    expect((await handlePair({ token, pluginUrl: 'https://rl.district.org', pageOrigin: 'https://rl.district.org' }, sender('https://other.org/lti/launch'), signIn, cfg)).ok).toBe(false);
  });
});

describe('store package manifest', () => {
  it('drops the loopback hosts and the loopback-only content script, and keeps the rest', () => {
    const m = storeManifest({
      host_permissions: ['*://*.instructure.com/*', 'http://127.0.0.1/*', 'http://localhost/*'],
      content_scripts: [
        { matches: ['*://*.instructure.com/*'], js: ['roster.js'] },
        { matches: ['http://127.0.0.1/lti/launch*', 'http://localhost/lti/launch*'], js: ['pair.js'] },
      ],
    });
    expect(m.host_permissions).toEqual(['*://*.instructure.com/*']);
    expect(m.content_scripts).toEqual([{ matches: ['*://*.instructure.com/*'], js: ['roster.js'] }]);
  });
});
