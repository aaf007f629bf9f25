// The LTI launch in real Chromium: the LMS (the platform emulator) starts a
// third-party login, the browser follows the redirects and the auto-posted
// id_token, and the tool's page pairs the browser extension by postMessage
// (plugin/sources/lti/PAIRING.md). With the built extension loaded, the
// extension then shows badges on the LMS roster page with no pasted credential.
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPlugin, type RunningPlugin } from '../support/plugin.ts';
import { registerPlatformManually } from '../../plugin/sources/lti/platforms.ts';
import { DEFAULT_POLICY } from '../../shared/policy.ts';
import { Platform, ROLE } from '../integration/lti-platform.ts';

const ROOT = resolve(import.meta.dirname, '..', '..');
const EXTENSION = join(ROOT, 'dist', 'extension');
/** The extension's pairing listener exists once some built file of dist/extension handles 'rosterlens:pair'. */
function hasPairingListener(dir: string): boolean {
  if (!existsSync(join(dir, 'manifest.json'))) return false;
  const stack = [dir];
  while (stack.length) {
    const d = stack.pop()!;
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) stack.push(p);
      else if (/\.(m?js|json)$/.test(e.name) && readFileSync(p, 'utf8').includes('rosterlens:pair')) return true;
    }
  }
  return false;
}
const extensionReady = hasPairingListener(EXTENSION);
const LMS_HOST = 'emu.instructure.com';

async function until<T>(get: () => T | undefined | null | false | Promise<T | undefined | null | false>): Promise<T> {
  for (;;) {
    const v = await get();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('LTI launch pairs the extension in Chromium', () => {
  let plugin: RunningPlugin;
  let lms: Platform;
  let profile: string;
  const browsers: Browser[] = [];
  const T = { sub: 'aa11-teacher', nativeId: '501' };

  const launchBrowser = async (withExtension: boolean) => {
    const args = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', `--host-resolver-rules=MAP ${LMS_HOST} 127.0.0.1`];
    if (withExtension) args.push(`--disable-extensions-except=${EXTENSION}`, `--load-extension=${EXTENSION}`);
    const b = await puppeteer.launch({ executablePath: '/usr/bin/chromium', headless: true, userDataDir: mkdtempSync(join(profile, 'p-')), args, ...(withExtension ? { enableExtensions: true } : {}) });
    browsers.push(b);
    return b;
  };
  const openLaunch = async (page: Page) => {
    await page.goto(lms.browserLaunchUrl(`${plugin.url}/lti/login`, { user: T.sub, context: 'ctx-a', roles: [ROLE.instructor] }));
    await until(() => page.url().startsWith(`${plugin.url}/lti/launch`) && page.$('#pair-status'));
  };

  beforeAll(async () => {
    profile = mkdtempSync(join(tmpdir(), 'rl-lti-e2e-'));
    plugin = await startPlugin({ engine: 'sqlite', env: { RL_LTI_ROSTER_REFRESH_MINUTES: '0' } });
    lms = await new Platform({ product: 'canvas' }).start();
    const lmsOrigin = `http://${LMS_HOST}:${new URL(lms.url).port}`;
    await plugin.store.createTenant({ id: 'emu', name: 'Emu', lmsKind: 'canvas', lmsOrigin, timeZone: 'UTC', policy: DEFAULT_POLICY }, Date.now());
    await registerPlatformManually(plugin.store, { tenant: 'emu', issuer: lms.issuer, clientId: lms.clientId, authUrl: `${lms.url}/auth`, jwksUrl: `${lms.url}/jwks`, tokenUrl: `${lms.url}/token`, deploymentIds: [lms.deploymentId], product: 'canvas', allowHttp: true });
    lms.customParams = { canvas_user_id: '$Canvas.user.id', canvas_course_id: '$Canvas.course.id' };
    lms.toolJwksUrl = `${plugin.url}/lti/jwks`;
    lms.addUser(T);
    lms.addUser({ sub: 'aa11-s1', nativeId: '601', givenName: 'Ana', familyName: 'Diaz' });
    lms.addUser({ sub: 'aa11-s2', nativeId: '602', givenName: 'Ben', familyName: 'Okafor' });
    lms.addCourse('ctx-a', '1001', 'Algebra I');
    lms.setMember('ctx-a', { sub: T.sub, roles: [ROLE.instructor] });
    lms.setMember('ctx-a', { sub: 'aa11-s1', roles: [ROLE.learner] });
    lms.setMember('ctx-a', { sub: 'aa11-s2', roles: [ROLE.learner] });
  });
  afterAll(async () => {
    for (const b of browsers) await b.close();
    await plugin?.app.lti?.idle();
    await plugin?.close();
    await lms?.stop();
    rmSync(profile, { recursive: true, force: true });
  });

  it('the launch page posts the documented pairing message to its own origin and shows the acknowledgement', async () => {
    const browser = await launchBrowser(false);
    const page = await browser.newPage();
    // Stand in for the extension's content script, exactly as PAIRING.md asks it to behave.
    await page.evaluateOnNewDocument((pluginOrigin: string) => {
      const w = window as unknown as { __pairs: unknown[] };
      w.__pairs = [];
      window.addEventListener('message', (e) => {
        if (e.source !== window || e.origin !== pluginOrigin) return;
        const d = e.data as { type?: string };
        if (d?.type !== 'rosterlens:pair') return;
        w.__pairs.push(d);
        if (w.__pairs.length === 1) window.postMessage({ type: 'rosterlens:paired', ok: true }, pluginOrigin);
      });
    }, plugin.url);
    await openLaunch(page);
    const state = await until(() => page.$eval('#pair-status', (el) => ((el as HTMLElement).dataset.state === 'paired' ? el.textContent : null)));
    expect(state).toContain('extension is signed in');
    const pairs = (await page.evaluate(() => (window as unknown as { __pairs: Record<string, unknown>[] }).__pairs)) as Record<string, unknown>[];
    expect(pairs[0]).toMatchObject({ type: 'rosterlens:pair', version: 1, pluginUrl: plugin.url, tenant: 'emu', courses: ['1001'] });
    const token = String(pairs[0]!.token);
    expect(token).toMatch(/^rl_[a-z0-9]{12}\.[A-Za-z0-9_-]{43}$/);
    // The credential is real and scoped: it reads the launched course through the API.
    const status = await fetch(`${plugin.url}/api/v1/courses/1001/status`, { headers: { authorization: `Bearer ${token}` } });
    expect(status.status).toBe(200);
  });

  it('with the built extension loaded, the launch pairs it and the roster page shows badges without a pasted credential', async () => {
    // Never skipped: a missing or stale build is a failure that says what to run.
    expect(extensionReady, 'dist/extension has no pairing listener: run `npm run build` first').toBe(true);
    // Verified roster first, so the badges have students to show.
    await plugin.app.lti?.idle();
    const browser = await launchBrowser(true);
    const page = await browser.newPage();
    await openLaunch(page);
    await until(() => page.$eval('#pair-status', (el) => (el as HTMLElement).dataset.state === 'paired'));
    await plugin.app.lti?.idle();
    const roster = await browser.newPage();
    await roster.goto(`http://${LMS_HOST}:${new URL(lms.url).port}/courses/1001/users`);
    // A badge appears in each student's row (the extension marks what it inserted with a rosterlens attribute or class).
    for (const uid of ['601', '602']) {
      await until(() => roster.evaluate((id) => {
        const row = document.querySelector(`tr#user_${id}`);
        return !!row && !!row.querySelector('[data-rosterlens], [data-rosterlens-badge], .rosterlens-badge, rosterlens-badge, [class*="rosterlens"]');
      }, uid));
    }
  });
});
