// `npm run demo` as a newcomer uses it, in Chromium with the built extension:
// the practice roster is on a host the manifest does not name (localhost), so
// the roster script runs there only after the teacher adds that address in the
// options page — the same optional-host + runtime-registration path a
// district's own Moodle takes. Then the popup lists the teacher's flags.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RaiseFlagResult, RosterStatus } from '../../shared/api.ts';
import { startDemo, type RunningDemo } from '../../extension/demo/demo.ts';

const ROOT = resolve(import.meta.dirname, '..', '..');
const DIST = join(ROOT, 'dist', 'extension');

async function until<T>(get: () => T | undefined | null | false | Promise<T | undefined | null | false>): Promise<T> {
  for (;;) {
    const v = await get();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('the demo, with the extension set up through its options page', () => {
  let demo: RunningDemo;
  let browser: Browser;
  let extensionId: string;
  let dir: string;

  const api = async <T,>(path: string, init: { method?: string; body?: unknown } = {}) => {
    const r = await fetch(`${demo.pluginUrl}/api/v1${path}`, { method: init.method ?? 'GET', headers: { authorization: `Bearer ${demo.teacherToken}`, ...(init.body ? { 'content-type': 'application/json' } : {}) }, body: init.body ? JSON.stringify(init.body) : undefined });
    return (await r.json()) as T;
  };
  const options = async (): Promise<Page> => {
    const page = await browser.newPage();
    await page.goto(`chrome-extension://${extensionId}/extension/options/index.html`);
    await page.waitForSelector('#plugin');
    return page;
  };
  const registered = (page: Page) =>
    page.evaluate(async () => (await (globalThis as unknown as { chrome: { scripting: { getRegisteredContentScripts(): Promise<{ id: string; matches?: string[] }[]> } } }).chrome.scripting.getRegisteredContentScripts()).map((s) => ({ id: s.id, matches: s.matches })));

  beforeAll(async () => {
    if (!existsSync(join(DIST, 'manifest.json'))) throw new Error('dist/extension is missing: run `npm run build` first');
    dir = mkdtempSync(join(tmpdir(), 'rl-demo-e2e-'));
    demo = await startDemo({ dataDir: join(dir, 'data'), pluginPort: 0, lmsPort: 0, lmsHost: 'localhost' });
    browser = await puppeteer.launch({
      executablePath: '/usr/bin/chromium',
      headless: true,
      userDataDir: join(dir, 'profile'),
      enableExtensions: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', `--disable-extensions-except=${DIST}`, `--load-extension=${DIST}`],
    });
    const sw = await browser.waitForTarget((t) => t.type() === 'service_worker' && t.url().startsWith('chrome-extension://'));
    extensionId = new URL(sw.url()).host;
  });

  afterAll(async () => {
    await browser?.close();
    await demo?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('before sign-in and before the address is added nothing is registered for the practice host', async () => {
    const page = await options();
    expect(await page.$eval('[data-signed-in]', (el) => (el as HTMLElement).dataset.signedIn)).toBe('no');
    expect(await registered(page)).toEqual([]);
    await page.close();
  });

  it('signing in and adding the LMS address registers the roster script, and the practice page gets badges matching the plugin', async () => {
    const page = await options();
    await page.type('#plugin', demo.pluginUrl);
    await page.type('#token', demo.teacherToken);
    await page.click('#sign-in');
    expect(await until(() => page.$eval('[data-msg]', (el) => `${(el as HTMLElement).dataset.msg}: ${el.textContent}`).catch(() => null))).toMatch(/^ok: Signed in as Maria Rivera/);
    await page.type('#domain', demo.lmsUrl);
    await page.click('#add-domain');
    expect(await until(() => page.$eval('[data-msg]', (el) => (el.textContent?.includes('will show badges') ? el.textContent : null)).catch(() => null))).toContain(demo.lmsUrl);
    const scripts = await until(async () => {
      const s = await registered(page);
      return s.some((x) => x.id === 'rosterlens-roster') && s;
    });
    // A pattern for the practice host only (and the pairing script for the plugin's launch page), nothing broader.
    expect(scripts.find((s) => s.id === 'rosterlens-roster')!.matches).toEqual(['http://localhost/*']);
    expect(await page.$eval('[data-region="domains"]', (el) => el.textContent)).toContain(demo.lmsUrl);
    await page.close();

    const roster = await browser.newPage();
    await roster.setViewport({ width: 1280, height: 900 });
    await roster.goto(demo.rosterUrl);
    await until(() => roster.evaluate(() => document.querySelectorAll('[data-rosterlens-badge]').length >= 19));
    const status = await api<RosterStatus>('/courses/101/status');
    const headline = new Map(status.students.map((s) => [s.user, s.headline]));
    const states = await roster.evaluate(() => [...document.querySelectorAll<HTMLElement>('[data-rosterlens-badge]')].map((b) => [b.dataset.user!, b.dataset.state!] as const));
    expect(states).toHaveLength(19);
    for (const [user, state] of states) expect(state).toBe(headline.get(user));
    // The demo's afternoon clock shows every state the seeded stories tell.
    expect(new Set(states.map(([, s]) => s))).toEqual(new Set(['present_today', 'partial_today', 'absent_today', 'not_seen', 'chronic', 'never_logged_in']));
    // Each badge has words and an accessible name that says whose it is.
    const first = await roster.evaluate(() => {
      const b = document.querySelector<HTMLElement>('[data-rosterlens-badge]')!.shadowRoot!.querySelector('button')!;
      return { text: b.textContent, label: b.getAttribute('aria-label') };
    });
    expect(first.text!.length).toBeGreaterThan(3);
    expect(first.label).toMatch(/^\S.+: .+RosterLens details$/);
    await roster.close();
  });

  it('the toolbar popup on a roster tab shows that course’s summary, as the plugin counts it', async () => {
    const roster = await browser.newPage();
    await roster.goto(demo.rosterUrl);
    await until(() => roster.evaluate(() => document.querySelectorAll('[data-rosterlens-badge]').length >= 19));
    await roster.bringToFront();
    const sw = await browser.waitForTarget((t) => t.type() === 'service_worker' && t.url().startsWith(`chrome-extension://${extensionId}/`));
    // What a click on the toolbar button does.
    await (await sw.worker())!.evaluate(() => (globalThis as unknown as { chrome: { action: { openPopup(): Promise<void> } } }).chrome.action.openPopup());
    const target = await browser.waitForTarget((t) => t.url() === `chrome-extension://${extensionId}/extension/popup/index.html`);
    const popup = (await target.asPage())!;
    const rows = await until(() => popup.$$eval('[data-region="course-summary"] tr', (trs) => (trs.length ? trs.map((tr) => [...tr.children].map((td) => td.textContent)) : null)).catch(() => null));
    const status = await api<RosterStatus>('/courses/101/status');
    const labels: Record<string, string> = { never_logged_in: 'Never logged in', not_seen: 'Not seen', chronic: 'Chronically absent', absent_today: 'Not seen today', partial_today: 'Partial today', present_today: 'Present today' };
    const expected = Object.entries(labels).filter(([h]) => (status.counts[h as keyof typeof status.counts] ?? 0) > 0).map(([h, l]) => [l, String(status.counts[h as keyof typeof status.counts])]);
    expect(rows).toEqual([...expected, ['Flagged', String(status.counts.flagged ?? 0)]]);
    await until(() => popup.$('[data-region="my-flags"], main p.meta:last-child'));
    await popup.screenshot({ path: join(ROOT, 'docs', 'screenshots', 'extension-popup.png'), fullPage: true });
    await popup.close();
    await roster.close();
  });

  it('the popup lists the flags this teacher raised, with their state', async () => {
    const student = demo.district.stories.notSeen.find((s) => demo.district.courses[0]!.students.includes(s))!;
    const raised = await api<RaiseFlagResult>('/flags', { method: 'POST', body: { course: '101', student, reason: 'frequently_absent', note: 'from the demo test' } });
    expect(raised.flag.state).toBe('open');
    const popup = await browser.newPage();
    await popup.goto(`chrome-extension://${extensionId}/extension/popup/index.html`);
    const rows = await until(() => popup.$$eval('[data-region="my-flags"] tr', (trs) => (trs.length ? trs.map((tr) => tr.textContent) : null)).catch(() => null));
    expect(rows).toEqual([`Student ${student}Frequently absentOpen`]);
    // Opened as a tab rather than from the toolbar, the current tab is no roster: it says so instead of a blank.
    expect(await popup.$eval('main', (m) => m.textContent)).toContain('Open a course roster in your LMS');
    await popup.close();

    // The attendance office resolves it: the teacher sees the outcome, not just the flag disappearing.
    const resolved = await fetch(`${demo.pluginUrl}/api/v1/flags/${raised.flag.id}/actions`, { method: 'POST', headers: { authorization: `Bearer ${demo.staffToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ action: 'resolve', outcome: 'needs_device_or_internet', note: 'Hotspot lent' }) });
    expect(resolved.status).toBe(200);
    const again = await browser.newPage();
    await again.goto(`chrome-extension://${extensionId}/extension/popup/index.html`);
    const done = await until(() => again.$$eval('[data-region="my-resolved"] tr', (trs) => (trs.length ? trs.map((tr) => tr.textContent) : null)).catch(() => null));
    expect(done).toEqual([`Student ${student}Frequently absentNeeds device or internet`]);
    expect(await again.$eval('main', (m) => m.textContent)).toContain('None open.');
    await again.close();
  });

  it('a person on the LMS page whom the plugin does not know is marked "Not in RosterLens", and the popover says why', async () => {
    const roster = await browser.newPage();
    await roster.goto(demo.rosterUrl);
    await until(() => roster.evaluate(() => document.querySelectorAll('[data-rosterlens-badge]').length >= 19));
    // A row the LMS shows (e.g. a student added in the LMS today, before the district's next roster import).
    await roster.evaluate(() => {
      const tr = document.querySelector('tr.StudentEnrollment')!.cloneNode(true) as HTMLElement;
      tr.id = 'user_77777';
      for (const b of tr.querySelectorAll('[data-rosterlens-badge]')) b.remove();
      tr.removeAttribute('data-rosterlens-row');
      for (const a of tr.querySelectorAll('a[href*="/users/"]')) a.setAttribute('href', '/courses/101/users/77777');
      tr.querySelector('a.roster_user_name')!.textContent = 'New Student';
      document.querySelector('tbody.collectionViewItems')!.appendChild(tr);
    });
    const state = await until(() => roster.evaluate(() => document.querySelector<HTMLElement>('tr#user_77777 [data-rosterlens-badge]')?.dataset.state));
    expect(state).toBe('unknown');
    expect(await roster.evaluate(() => document.querySelector('tr#user_77777 [data-rosterlens-badge]')!.shadowRoot!.textContent)).toContain('Not in RosterLens');
    await roster.evaluate(() => document.querySelector('tr#user_77777 [data-rosterlens-badge]')!.shadowRoot!.querySelector('button')!.click());
    const text = await until(() => roster.evaluate(() => document.querySelector('[data-rosterlens-ui="popover"]')?.shadowRoot?.querySelector('[data-problem="unknown_student"]')?.textContent));
    expect(text).toContain('does not know this person as a student of this course');
    // No flag form for someone the plugin cannot flag.
    expect(await roster.evaluate(() => !!document.querySelector('[data-rosterlens-ui="popover"]')!.shadowRoot!.querySelector('form'))).toBe(false);
    await roster.close();
  });

  it('with the plugin gone, the roster shows the saved status marked out of date and says the plugin cannot be reached', async () => {
    const status = await api<RosterStatus>('/courses/101/status');
    await demo.app.close();
    const roster = await browser.newPage();
    await roster.setViewport({ width: 1280, height: 700 });
    await roster.goto(demo.rosterUrl);
    const summary = await until(() => roster.evaluate(() => {
      const root = document.querySelector('[data-rosterlens-ui="summary"]')?.shadowRoot;
      return root?.querySelector('[data-problem="unreachable"]') ? root.textContent : null;
    }));
    expect(summary).toContain('cannot be reached right now');
    expect(summary).toContain('may be out of date');
    expect(summary).toContain(`Never logged in: ${status.counts.never_logged_in}`);
    // Badges from the saved copy, marked as such for screen readers too.
    await until(() => roster.evaluate(() => document.querySelectorAll('[data-rosterlens-badge]').length >= 19));
    const label = await roster.evaluate(() => document.querySelector('[data-rosterlens-badge]')!.shadowRoot!.querySelector('button')!.getAttribute('aria-label'));
    expect(label).toContain('saved status, may be out of date');
    await roster.screenshot({ path: join(ROOT, 'docs', 'screenshots', 'extension-unreachable.png'), clip: { x: 0, y: 0, width: 1280, height: 420 } });
    await roster.close();
  });
});
