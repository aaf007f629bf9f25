// The built extension in Chromium against the real plugin: practice Canvas
// roster pages (the fixture's structure, seeded people) served on a
// *.instructure.com name mapped to 127.0.0.1, so the manifest's own content
// script runs exactly as on Canvas; the teacher signs in through the options
// page. A small TCP relay in front of the plugin lets the tests take the
// plugin away and bring it back.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Flag, FlagList, RaiseFlagResult, RosterStatus } from '../../shared/api.ts';
import { seedDemoDistrict, type SeededDistrict } from '../../plugin/admin/seed.ts';
import { practicePages } from '../../extension/demo/practice-pages.ts';
import { startPracticeServer, type PracticeServer } from '../../extension/demo/server.ts';
import { startPlugin, type RunningPlugin } from '../support/plugin.ts';
import { fixtureHtml } from '../fixtures/rosters/helpers.ts';

const ROOT = resolve(import.meta.dirname, '..', '..');
const DIST = join(ROOT, 'dist', 'extension');
const LMS_HOST = 'school.instructure.com';
const SHOTS = join(ROOT, 'docs', 'screenshots');
/** The practice page shows 20 people at first, like a Canvas page of rows: the teacher and 19 students. */
const FIRST_PAGE = 19;
/** A school-day afternoon in the district's zone, so the seeded histories show every state at once. */
const NOW = Date.parse('2026-11-18T19:30:00Z');

async function until<T>(get: () => T | undefined | null | false | Promise<T | undefined | null | false>): Promise<T> {
  for (;;) {
    const v = await get();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A TCP relay to the plugin: 'up' forwards, 'down' refuses, 'lose-replies' forwards requests but drops the answers. */
class Relay {
  mode: 'up' | 'down' | 'lose-replies' = 'up';
  port = 0;
  private server: Server | null = null;
  private sockets = new Set<Socket>();
  constructor(private target: number) {}
  async start() {
    this.server = createServer((client) => {
      this.sockets.add(client);
      client.on('close', () => this.sockets.delete(client));
      if (this.mode === 'down') return client.destroy();
      const upstream = connect(this.target, '127.0.0.1');
      const lose = this.mode === 'lose-replies';
      client.pipe(upstream);
      upstream.on('data', (d) => (lose ? client.destroy() : client.write(d)));
      upstream.on('end', () => client.end());
      upstream.on('error', () => client.destroy());
      client.on('error', () => upstream.destroy());
      client.on('close', () => upstream.destroy());
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as { port: number }).port;
  }
  /** Switching drops open keep-alive connections so the next request sees the new mode. */
  set(mode: Relay['mode']) {
    this.mode = mode;
    for (const s of this.sockets) s.destroy();
  }
  async stop() {
    this.set('down');
    await new Promise((r) => this.server?.close(r));
  }
}

describe('teacher extension in Chromium against the running plugin', () => {
  let plugin: RunningPlugin;
  let district: SeededDistrict;
  let pages: PracticeServer;
  let relay: Relay;
  let browser: Browser;
  let extensionId: string;
  let profile: string;
  const tokens: Record<string, string> = {};
  let lmsOrigin = '';

  const api = async <T,>(token: string, path: string, init: { method?: string; body?: unknown } = {}) => {
    const r = await fetch(`${plugin.url}/api/v1${path}`, { method: init.method ?? 'GET', headers: { authorization: `Bearer ${token}`, ...(init.body ? { 'content-type': 'application/json' } : {}) }, body: init.body ? JSON.stringify(init.body) : undefined });
    return { status: r.status, body: (await r.json()) as T };
  };

  const signIn = async (token: string) => {
    const page = await browser.newPage();
    await page.goto(`chrome-extension://${extensionId}/extension/options/index.html`);
    await page.waitForSelector('#plugin');
    await page.$eval('#plugin', (el) => ((el as HTMLInputElement).value = ''));
    await page.type('#plugin', `http://127.0.0.1:${relay.port}`);
    await page.type('#token', token);
    await page.click('#sign-in');
    const msg = await until(() => page.$eval('[data-msg]', (el) => `${(el as HTMLElement).dataset.msg}: ${el.textContent}`).catch(() => null));
    expect(msg).toMatch(/^ok: Signed in as/);
    await page.close();
  };

  const openRoster = async (course: string): Promise<Page> => {
    const page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 900 });
    await page.goto(`${lmsOrigin}/courses/${course}/users`);
    return page;
  };
  const summaryText = (page: Page) => page.evaluate(() => document.querySelector('[data-rosterlens-ui="summary"]')?.shadowRoot?.textContent ?? '');
  const badgeStates = (page: Page) =>
    page.evaluate(() => Object.fromEntries([...document.querySelectorAll<HTMLElement>('[data-rosterlens-badge]')].map((b) => [b.dataset.user!, b.dataset.state!])));
  const waitBadges = (page: Page, n: number) => until(() => page.evaluate((k) => document.querySelectorAll('[data-rosterlens-badge]').length >= k, n));
  const clickBadge = (page: Page, user: string) =>
    page.evaluate((u) => document.querySelector<HTMLElement>(`[data-rosterlens-badge][data-user="${u}"]`)!.shadowRoot!.querySelector('button')!.click(), user);
  /** The popover is open with its form, and has moved focus to its heading (an effect after paint); typing before that could lose keys to the move. */
  const popoverReady = (page: Page, form: 'raise' | 'join') =>
    until(() => page.evaluate((f) => {
      const root = document.querySelector('[data-rosterlens-ui="popover"]')?.shadowRoot;
      return !!root?.querySelector(`form[data-form="${f}"]`) && root.activeElement?.id === 'rl-pop-title';
    }, form));
  const inPopover = <T,>(page: Page, fn: (root: ShadowRoot) => T) =>
    page.evaluate(`(${fn.toString()})(document.querySelector('[data-rosterlens-ui="popover"]').shadowRoot)`) as Promise<T>;

  beforeAll(async () => {
    if (!existsSync(join(DIST, 'manifest.json'))) throw new Error('dist/extension is missing: run `npm run build` first');
    plugin = await startPlugin({ engine: 'sqlite', now: () => NOW });
    district = await seedDemoDistrict(plugin.store, { tenant: 'demo', now: NOW });
    await plugin.drain();
    tokens.t9001 = await plugin.issue({ tenant: 'demo', role: 'teacher', person: '9001', label: 'Maria Rivera' });
    tokens.t9002 = await plugin.issue({ tenant: 'demo', role: 'teacher', person: '9002', label: 'James Chen' });
    tokens.staff = await plugin.issue({ tenant: 'demo', role: 'staff', label: 'Attendance Office', schools: ['sch-north'] });
    relay = new Relay(Number(new URL(plugin.url).port));
    await relay.start();
    const served = await practicePages(plugin.store, district);
    // Moodle's participants page from the fixture: a course this plugin has never heard of.
    served.set('/user/index.php', fixtureHtml('moodle'));
    pages = await startPracticeServer(served);
    lmsOrigin = `http://${LMS_HOST}:${pages.port}`;
    profile = mkdtempSync(join(tmpdir(), 'rl-ext-e2e-'));
    browser = await puppeteer.launch({
      executablePath: '/usr/bin/chromium',
      headless: true,
      userDataDir: profile,
      enableExtensions: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', `--host-resolver-rules=MAP ${LMS_HOST} 127.0.0.1`, `--disable-extensions-except=${DIST}`, `--load-extension=${DIST}`],
    });
    const sw = await browser.waitForTarget((t) => t.type() === 'service_worker' && t.url().startsWith('chrome-extension://'));
    extensionId = new URL(sw.url()).host;
    await signIn(tokens.t9001!);
  });

  afterAll(async () => {
    await browser?.close();
    await pages?.close();
    await relay?.stop();
    await plugin?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  it('badges and the class summary match the statuses the plugin computed', async () => {
    const page = await openRoster('101');
    await waitBadges(page, FIRST_PAGE);
    const { body: status } = await api<RosterStatus>(tokens.t9001!, '/courses/101/status');
    const byUser = new Map(status.students.map((s) => [s.user, s.headline]));
    const states = await badgeStates(page);
    expect(Object.keys(states)).toHaveLength(FIRST_PAGE);
    for (const [user, state] of Object.entries(states)) expect(state).toBe(byUser.get(user));
    // The teacher's own row carries no badge.
    expect(await page.$('tr#user_9001 [data-rosterlens-badge]')).toBeNull();
    const text = await summaryText(page);
    for (const [h, label] of [['never_logged_in', 'Never logged in'], ['not_seen', 'Not seen'], ['chronic', 'Chronically absent']] as const) {
      expect(text).toContain(`${label}: ${status.counts[h]}`);
    }
    expect(text).toContain(`${status.students.length} students in this course`);
    // Filtering to one state hides every other row of the LMS table.
    await page.evaluate(() => document.querySelector('[data-rosterlens-ui="summary"]')!.shadowRoot!.querySelector<HTMLElement>('[data-filter="never_logged_in"]')!.click());
    const visible = await page.evaluate(() => [...document.querySelectorAll<HTMLElement>('tr.rosterUser')].filter((r) => r.offsetParent !== null).map((r) => r.id.slice(5)));
    expect(visible.length).toBeGreaterThan(0);
    for (const u of visible) expect(byUser.get(u)).toBe('never_logged_in');
    await page.close();
  });

  it('the page’s own layout and scripts keep working, and rows it loads or re-renders later get badges', async () => {
    const page = await openRoster('101');
    await waitBadges(page, FIRST_PAGE);
    const cells = await page.evaluate(() => [...document.querySelectorAll('tr.rosterUser')].map((r) => r.children.length));
    expect(new Set(cells)).toEqual(new Set([5]));
    const fits = await page.evaluate(() => document.querySelector('table.roster')!.getBoundingClientRect().right <= document.documentElement.clientWidth);
    expect(fits).toBe(true);
    // The page's "Load more" (its own script) still works, and the new rows are badged.
    await page.click('#load-more');
    expect(await page.evaluate(() => (window as unknown as { practicePage: { loads: number } }).practicePage.loads)).toBe(1);
    expect(await page.$eval('#loaded-count', (el) => el.textContent)).toBe('33');
    await waitBadges(page, 32);
    expect(Object.keys(await badgeStates(page))).toHaveLength(32);
    // The page re-renders a row from its template; the badge comes back.
    const id = district.courses[0]!.students[3]!;
    await page.evaluate((u) => (window as unknown as { practicePage: { rerender(id: string): void } }).practicePage.rerender(u), id);
    await until(() => page.$(`tr#user_${id} [data-rosterlens-badge]`));
    // The page's own link still navigates where it did.
    expect(await page.$eval(`tr#user_${id} a.roster_user_name`, (a) => a.getAttribute('href'))).toBe(`/courses/101/users/${id}`);
    await page.close();
  });

  it('raising a flag from the roster creates it in the plugin', async () => {
    const student = district.stories.partial.find((s) => district.courses[0]!.students.slice(0, FIRST_PAGE).includes(s))!;
    const page = await openRoster('101');
    await waitBadges(page, FIRST_PAGE);
    await clickBadge(page, student);
    await popoverReady(page, 'raise');
    await inPopover(page, (root) => {
      const sel = root.querySelector('select')!;
      sel.value = 'not_engaging';
      sel.dispatchEvent(new Event('change', { bubbles: true }));
    });
    const ta = await page.evaluateHandle(() => document.querySelector('[data-rosterlens-ui="popover"]')!.shadowRoot!.querySelector('textarea')!);
    await ta.asElement()!.type('Logs in but leaves after a few minutes');
    await page.screenshot({ path: join(SHOTS, 'extension-overlay.png') });
    await inPopover(page, (root) => root.querySelector<HTMLButtonElement>('button[type="submit"]')!.click());
    const outcome = await until(() => inPopover(page, (root) => root.querySelector('[data-outcome]')?.textContent ?? null));
    expect(outcome).toContain('Flag raised');
    const { body } = await api<FlagList>(tokens.t9001!, `/flags?student=${student}`);
    expect(body.flags).toHaveLength(1);
    expect(body.flags[0]).toMatchObject({ reason: 'not_engaging', state: 'open', raisedBy: ['9001'], courses: ['101'] });
    expect(body.flags[0]!.history[0]).toMatchObject({ kind: 'raised', note: 'Logs in but leaves after a few minutes' });
    // The badge now says so.
    await until(() => page.evaluate((u) => document.querySelector(`[data-rosterlens-badge][data-user="${u}"]`)!.shadowRoot!.textContent!.includes('Flag open'), student));
    await page.close();
  });

  it('a colleague’s flag shows on the badge and in the popover, and the teacher can add to it', async () => {
    const student = district.stories.chronic.find((s) => district.courses[0]!.students.slice(0, FIRST_PAGE).includes(s))!;
    const raised = await api<RaiseFlagResult>(tokens.staff!, '/flags', { method: 'POST', body: { course: '101', student, reason: 'frequently_absent', note: 'Counselor noticed too' } });
    expect(raised.status).toBe(200);
    const page = await openRoster('101');
    await waitBadges(page, FIRST_PAGE);
    await until(() => page.evaluate((u) => document.querySelector(`[data-rosterlens-badge][data-user="${u}"]`)?.shadowRoot?.textContent?.includes('Flag open'), student));
    await clickBadge(page, student);
    const flagText = await until(() => inPopover(page, (root) => (root.querySelector('[data-region="flag-history"]') ? root.querySelector('[data-region="flag"]')!.textContent : null)));
    expect(flagText).toContain('Frequently absent — Open');
    expect(flagText).toContain('Attendance Office');
    expect(flagText).toContain('Counselor noticed too');
    await inPopover(page, (root) => root.querySelector<HTMLButtonElement>('form[data-form="join"] button[type="submit"]')!.click());
    expect(await until(() => inPopover(page, (root) => root.querySelector('[data-outcome]')?.textContent ?? null))).toContain('Added to the open flag');
    const { body } = await api<Flag>(tokens.t9001!, `/flags/${raised.body.flag.id}`);
    expect(body.raisedBy).toContain('9001');
    expect(body.history.map((e) => e.kind)).toEqual(['raised', 'joined']);
    await page.close();
  });

  it('a flag raised while the plugin is unreachable is delivered later exactly once', async () => {
    const student = district.stories.absentToday.find((s) => district.courses[0]!.students.slice(0, FIRST_PAGE).includes(s))!;
    const page = await openRoster('101');
    await waitBadges(page, FIRST_PAGE);
    // The request reaches the plugin but the answer is lost: the hardest case for "exactly once".
    relay.set('lose-replies');
    await clickBadge(page, student);
    await popoverReady(page, 'raise');
    const ta = await page.evaluateHandle(() => document.querySelector('[data-rosterlens-ui="popover"]')!.shadowRoot!.querySelector('textarea')!);
    await ta.asElement()!.type('Raised offline');
    await inPopover(page, (root) => root.querySelector<HTMLButtonElement>('button[type="submit"]')!.click());
    expect(await until(() => inPopover(page, (root) => root.querySelector('[data-outcome]')?.textContent ?? null))).toContain('will be sent once it is back');
    relay.set('down');
    await page.close();
    // Back online: the next roster visit reaches the plugin, which prompts delivery of the outbox.
    relay.set('up');
    const again = await openRoster('101');
    await waitBadges(again, FIRST_PAGE);
    // Wait for the outbox to empty (the options page asks the service worker only), then read the plugin once:
    // polling the plugin with the teacher's credential would spend the rate budget the extension's delivery needs.
    await until(async () => (await queued()) === 0);
    // Delivered, not given up on: the retry with the same clientRequestId was accepted as the same flag.
    expect(await failedDeliveries()).toEqual([]);
    const { body } = await api<FlagList>(tokens.t9001!, `/flags?student=${student}`);
    expect(body.flags).toHaveLength(1);
    expect(body.flags[0]!.history.filter((e) => e.note === 'Raised offline')).toHaveLength(1);
    expect(body.flags[0]!.history).toHaveLength(1);
    await again.close();
  });

  async function failedDeliveries(): Promise<unknown[]> {
    const page = await browser.newPage();
    await page.goto(`chrome-extension://${extensionId}/extension/options/index.html`);
    const f = await page.evaluate(async () => ((await (globalThis as unknown as { chrome: { runtime: { sendMessage(m: unknown): Promise<{ state: { failed: unknown[] } }> } } }).chrome.runtime.sendMessage({ type: 'state' })).state.failed));
    await page.close();
    return f;
  }

  async function queued(): Promise<number> {
    const page = await browser.newPage();
    await page.goto(`chrome-extension://${extensionId}/extension/options/index.html`);
    const n = await page.evaluate(async () => ((await (globalThis as unknown as { chrome: { runtime: { sendMessage(m: unknown): Promise<{ state: { queued: number } }> } } }).chrome.runtime.sendMessage({ type: 'state' })).state.queued));
    await page.close();
    return n;
  }

  it('the popup lists the flags this teacher raised, with their state', async () => {
    const page = await browser.newPage();
    await page.goto(`chrome-extension://${extensionId}/extension/popup/index.html`);
    const text = await until(() => page.$eval('[data-region="my-flags"]', (el) => el.textContent).catch(() => null));
    expect(text).toContain('Not engaging');
    expect(text).toContain('Frequently absent');
    expect(text).toContain('Open');
    await page.close();
  });

  it('a district’s own LMS domain, added on the options page, gets the roster script registered at run time', async () => {
    const own = `http://127.0.0.1:${pages.port}`;
    const before = await browser.newPage();
    await before.goto(`${own}/courses/101/users`);
    // Not enabled yet: nothing runs on this host.
    await before.waitForSelector('table.roster');
    expect(await before.$('[data-rosterlens-ui]')).toBeNull();
    await before.close();
    const options = await browser.newPage();
    await options.goto(`chrome-extension://${extensionId}/extension/options/index.html`);
    await options.waitForSelector('#domain');
    await options.type('#domain', own);
    await options.click('#add-domain');
    expect(await until(() => options.$eval('[data-msg]', (el) => el.textContent).catch(() => null))).toContain('will show badges');
    await options.close();
    const page = await browser.newPage();
    await page.goto(`${own}/courses/101/users`);
    await waitBadges(page, FIRST_PAGE);
    await page.close();
    // Moodle's page on the same host: the adapter finds the course, the plugin does not know it, and the page says so.
    const moodle = await browser.newPage();
    await moodle.goto(`${own}/user/index.php?id=42`);
    const text = await until(() => moodle.evaluate(() => document.querySelector('[data-rosterlens-ui="summary"]')?.shadowRoot?.querySelector('[data-problem="unknown_course"]')?.textContent ?? null));
    expect(text).toContain('does not know this course');
    expect(await moodle.$('[data-rosterlens-badge]')).toBeNull();
    await moodle.close();
  });

  it('a teacher of another course sees "not a teacher of this course" and no student data', async () => {
    await signIn(tokens.t9002!);
    const page = await openRoster('101');
    const text = await until(() => page.evaluate(() => document.querySelector('[data-rosterlens-ui="summary"]')?.shadowRoot?.querySelector('[data-problem="not_course_teacher"]')?.textContent ?? null));
    expect(text).toContain('not a teacher of this course');
    expect(await page.$('[data-rosterlens-badge]')).toBeNull();
    expect(await summaryText(page)).not.toMatch(/Never logged in: \d/);
    mkdirSync(SHOTS, { recursive: true });
    mkdirSync(join(ROOT, 'test', '.tmp'), { recursive: true });
    await page.screenshot({ path: join(ROOT, 'test', '.tmp', 'extension-not-teacher.png'), clip: { x: 0, y: 0, width: 1280, height: 300 } });
    // Their own course works.
    const own = await openRoster('102');
    await waitBadges(own, FIRST_PAGE);
    await page.close();
    await own.close();
    await signIn(tokens.t9001!);
  });
});
