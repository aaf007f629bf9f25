// The presence beacon in real Chromium against the real running plugin. The
// LMS pages (test/fixtures/lms-pages) are served from another origin under a
// strict CSP that allows only the plugin origin, the way a district's Canvas
// would after allowing the plugin. Heartbeats every 2 s and a 3 s idle
// timeout (script attributes) keep the test short; the arithmetic is the same
// as with the defaults (60 s, 120 s).
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RosterStatus } from '../../shared/api.ts';
import type { SignalBatch, SignalIn } from '../../shared/signal.ts';
import { startPlugin, type RunningPlugin } from '../support/plugin.ts';
import { MODULES } from '../../plugin/server/modules.ts';
import { beaconDeps, beaconModule, beaconRoutes } from '../../plugin/sources/beacon.ts';
import { createTenant } from '../../plugin/server/tenant-admin.ts';

const ROOT = resolve(import.meta.dirname, '..', '..');
const FIXTURES = join(ROOT, 'test', 'fixtures', 'lms-pages');
const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const BEAT_S = 2;
const IDLE_S = 3;
const COURSE = '4242';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until<T>(what: string, get: () => T | undefined | false | Promise<T | undefined | false>, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await get();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

interface Received {
  at: number;
  via: string;
  signals: SignalIn[];
}

describe('presence beacon in Chromium against the running plugin', () => {
  let plugin: RunningPlugin;
  let lms: Server;
  let lmsOrigin: string;
  let browser: Browser;
  let profile: string;
  let teacherToken: string;
  let key = '';
  let signalsBefore = 0;
  const received: Received[] = [];
  const requests: { method: string; contentType: string | undefined; cookie: boolean; origin: string | undefined }[] = [];
  const problems: string[] = [];

  /** Every signal the plugin received for this user (a signal sent twice appears twice). */
  const of = (user: string) => received.flatMap((r) => r.signals.filter((s) => s.user === user));
  const unique = (xs: SignalIn[]) => [...new Map(xs.map((s) => [s.id, s])).values()];
  const engagedMs = (user: string) => unique(of(user)).reduce((a, s) => a + (s.kind === 'heartbeat' ? (s.activeMs ?? 0) : 0), 0);

  const open = async (user: string, opts: { beat?: number; window?: boolean } = {}): Promise<Page> => {
    const page = await browser.newPage(opts.window ? { type: 'window' } : undefined);
    page.on('pageerror', (e) => problems.push(`page error: ${(e as Error).message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console: ${m.text()}`);
    });
    await page.goto(`${lmsOrigin}/courses/${COURSE}/modules?as=${user}&beat=${opts.beat ?? BEAT_S}`, { waitUntil: 'load' });
    await page.waitForFunction(() => (window as { __rosterlens?: number }).__rosterlens === 1);
    return page;
  };
  /** A student reading: the mouse moves every 250 ms. */
  const use = async (page: Page, ms: number) => {
    const end = Date.now() + ms;
    for (let i = 0; Date.now() < end; i++) {
      await page.mouse.move(100 + (i % 40) * 5, 200 + (i % 7) * 10);
      await sleep(250);
    }
  };
  const queued = (page: Page) =>
    page.evaluate(
      () =>
        new Promise<string[]>((ok, no) => {
          const r = indexedDB.open('rosterlens-beacon');
          r.onerror = () => no(r.error);
          r.onsuccess = () => {
            const g = r.result.transaction('q').objectStore('q').getAllKeys();
            g.onsuccess = () => {
              r.result.close();
              ok(g.result as string[]);
            };
          };
        }),
    );

  beforeAll(async () => {
    execFileSync(process.execPath, [join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--mode', 'beacon', '--logLevel', 'warn'], { cwd: ROOT, stdio: 'pipe' });

    // The LMS: another origin (localhost, not 127.0.0.1) with a strict CSP.
    lms = createServer();
    await new Promise<void>((r) => lms.listen(0, '127.0.0.1', r));
    lmsOrigin = `http://localhost:${(lms.address() as { port: number }).port}`;

    plugin = await startPlugin({
      modules: [
        ...MODULES.filter((m) => m !== beaconModule), // registered below, instrumented
        async (app, services) => {
          const deps = beaconDeps(services);
          app.addHook('onRequest', async (req) => {
            if (req.url.startsWith('/api/v1/beacon')) requests.push({ method: req.method, contentType: req.headers['content-type'], cookie: !!req.headers.cookie, origin: req.headers.origin });
          });
          await beaconRoutes(app, {
            ...deps,
            ingest: async (tenant, batch: SignalBatch, source) => {
              received.push({ at: Date.now(), via: 'ingest', signals: batch.signals });
              return deps.ingest(tenant, batch, source);
            },
          });
        },
      ],
    });

    lms.on('request', (req, res) => {
      const url = new URL(req.url ?? '/', lmsOrigin);
      if (url.pathname === '/favicon.ico') return void res.writeHead(204).end();
      if (url.pathname === '/logout') return void res.writeHead(200, { 'content-type': 'text/html' }).end('<!DOCTYPE html><p>You are signed out.</p>');
      if (!url.pathname.startsWith(`/courses/${COURSE}`)) return void res.writeHead(404).end();
      const nonce = randomBytes(12).toString('base64');
      const html = readFileSync(join(FIXTURES, 'canvas-course.html'), 'utf8')
        .replaceAll('{{PLUGIN}}', plugin.url)
        .replaceAll('{{KEY}}', key)
        .replaceAll('{{NONCE}}', nonce)
        .replaceAll('{{IDLE}}', String(IDLE_S))
        .replaceAll('{{BEAT}}', url.searchParams.get('beat') ?? String(BEAT_S))
        .replaceAll('"current_user_id":"5001"', `"current_user_id":"${url.searchParams.get('as') ?? '5001'}"`);
      res.writeHead(200, {
        'content-type': 'text/html; charset=utf-8',
        'content-security-policy': `default-src 'self'; script-src 'nonce-${nonce}' ${plugin.url}; connect-src ${plugin.url}; style-src 'self' 'unsafe-inline'; img-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'`,
      });
      res.end(html);
    });

    const now = Date.now();
    await createTenant(plugin.store, { id: 'e2e', name: 'E2E District', lmsKind: 'canvas', lmsOrigin, timeZone: 'America/New_York' }, now);
    const students = ['5001', '5002', '5003', '5004', '5005'];
    await plugin.store.applyRoster(
      'e2e',
      {
        source: 'oneroster',
        schools: [{ id: 'sch-1', name: 'North High' }],
        courses: [{ id: COURSE, sisId: null, title: 'Algebra I', school: 'sch-1' }],
        people: [
          { id: '9001', sisId: null, ltiSub: null, role: 'teacher', givenName: null, familyName: null, grade: null, school: 'sch-1', groups: [] },
          ...students.map((id) => ({ id, sisId: null, ltiSub: null, role: 'student', givenName: null, familyName: null, grade: '9', school: 'sch-1', groups: [] })),
        ],
        enrollments: [{ course: COURSE, person: '9001', role: 'teacher' as const, startDay: null, endDay: null }, ...students.map((person) => ({ course: COURSE, person, role: 'student' as const, startDay: null, endDay: null }))],
      },
      now,
    );
    key = await plugin.issue({ tenant: 'e2e', role: 'beacon', label: 'lms theme' });
    teacherToken = await plugin.issue({ tenant: 'e2e', role: 'teacher', person: '9001' });
    signalsBefore = (await plugin.store.tenantSummary('e2e', (await plugin.app.services.tenantContext('e2e')).today(now))).signalsToday;

    profile = mkdtempSync(join(tmpdir(), 'rl-beacon-chromium-'));
    browser = await puppeteer.launch({ executablePath: '/usr/bin/chromium', headless: true, args: FLAGS, userDataDir: profile });
  });

  afterAll(async () => {
    await browser?.close();
    lms?.close();
    await plugin?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  it('an active visible tab sends a login, a page view and heartbeats of engaged time, as simple text/plain requests without cookies', async () => {
    const page = await open('5001');
    const t0 = Date.now();
    await use(page, 7_000);
    const beats = await until('heartbeats', () => {
      const b = of('5001').filter((s) => s.kind === 'heartbeat');
      return b.length >= 2 && b;
    });
    const kinds = new Set(of('5001').map((s) => s.kind));
    expect(kinds.has('login') && kinds.has('page_view')).toBe(true);
    expect(of('5001').every((s) => s.course === COURSE)).toBe(true);
    for (const b of beats) expect(b.activeMs).toBeGreaterThan(0);
    // Engaged time never exceeds the wall time that passed.
    expect(engagedMs('5001')).toBeLessThanOrEqual(Date.now() - t0 + 1000);
    const posts = requests.filter((r) => r.method === 'POST');
    expect(posts.length).toBeGreaterThan(0);
    expect(posts.every((r) => /^text\/plain/.test(r.contentType ?? '') && !r.cookie && r.origin === lmsOrigin)).toBe(true);
    expect(requests.some((r) => r.method === 'OPTIONS')).toBe(false); // no CORS preflight
    expect(await page.evaluate(() => document.cookie)).toBe('');
    await page.close();
  });

  it('an idle tab stops sending, and a hidden tab stops counting', async () => {
    const page = await open('5005');
    await use(page, 3_000);
    // Idle: after the idle timeout and one more beat, nothing new arrives.
    await sleep((IDLE_S + 2 * BEAT_S) * 1000);
    const settled = of('5005').length;
    const requestsSettled = requests.length;
    await sleep(3 * BEAT_S * 1000);
    expect(of('5005').length).toBe(settled);
    expect(requests.length).toBe(requestsSettled);
    const idleEngaged = engagedMs('5005');
    expect(idleEngaged).toBeLessThanOrEqual((3 + IDLE_S + 1) * 1000);

    // Hidden: another tab in front; the page reports what it had and then counts nothing.
    await use(page, 2_000);
    const other = await browser.newPage();
    await other.bringToFront();
    await until('the page to be hidden', () => page.evaluate(() => document.visibilityState === 'hidden'));
    await sleep(500);
    const atHide = engagedMs('5005');
    await sleep((IDLE_S + 2 * BEAT_S) * 1000);
    expect(engagedMs('5005')).toBe(atHide);
    await other.close();
    await page.close();
  });

  it('offline for a while, then back: every queued signal is delivered and counted exactly once', async () => {
    const page = await open('5001');
    await use(page, 2_500);
    await until('first delivery', () => of('5001').length > 0);
    await page.setOfflineMode(true);
    const sentBefore = new Set(of('5001').map((s) => s.id));
    await use(page, 8_000);
    const waiting = (await queued(page)).filter((id) => !sentBefore.has(id));
    expect(waiting.length).toBeGreaterThanOrEqual(2); // heartbeats kept in IndexedDB while offline
    expect(of('5001').filter((s) => !sentBefore.has(s.id))).toEqual([]); // nothing got through
    await page.setOfflineMode(false);
    await until('the queue to drain', async () => (await queued(page)).length === 0);
    const got = new Set(of('5001').map((s) => s.id));
    for (const id of waiting) expect(got.has(id)).toBe(true);
    await page.close();
  });

  it('closing the tab delivers what it had (sendBeacon on page hide)', async () => {
    // A 60 s heartbeat: nothing would be sent before the close.
    const page = await open('5003', { beat: 60 });
    await use(page, 4_000);
    expect(of('5003')).toEqual([]);
    await page.close({ runBeforeUnload: false });
    await until('the beacon from the closed tab', () => of('5003').some((s) => s.kind === 'heartbeat'));
    expect(of('5003').some((s) => s.kind === 'page_view')).toBe(true);
    expect(engagedMs('5003')).toBeGreaterThanOrEqual(3_500);
    expect(engagedMs('5003')).toBeLessThanOrEqual(4_000 + IDLE_S * 1000 + 1000);
  });

  it("clicking the LMS's log-out link sends a logout as the page goes", async () => {
    const page = await open('5003', { beat: 60 });
    await use(page, 1_500);
    await Promise.all([page.waitForNavigation(), page.click('#global_nav_logout_link')]);
    await until('the logout signal', () => of('5003').some((s) => s.kind === 'logout'));
    await page.close();
  });

  it('two visible tabs of one student are not double-counted', async () => {
    // Two windows side by side: both visible, as on a student's screen.
    const a = await open('5004', { window: true });
    const b = await open('5004', { window: true });
    const visible = await Promise.all([a, b].map((p) => p.evaluate(() => document.visibilityState)));
    expect(visible).toEqual(['visible', 'visible']); // both on screen, as in two windows
    const t0 = Date.now();
    // The student alternates between the tabs every half second for 8 s.
    for (let i = 0; Date.now() - t0 < 8_000; i++) {
      await (i % 2 ? b : a).mouse.move(100 + i, 200);
      await sleep(500);
    }
    const wall = Date.now() - t0;
    await sleep((IDLE_S + 2 * BEAT_S) * 1000);
    await a.close();
    await b.close();
    await sleep(1000);
    const total = engagedMs('5004');
    // One student's time: the active span plus one idle window at most, never two tabs' worth (≈ 2 × wall).
    expect(total).toBeGreaterThanOrEqual(wall - 2000);
    expect(total).toBeLessThanOrEqual(wall + IDLE_S * 1000 + 1000);
  });

  it("the student's day in the plugin shows the engaged minutes simulated (±5 s measured, so 90 s reads as 1 minute)", async () => {
    const SIMULATED_MS = 90_000;
    const page = await open('5002');
    await use(page, SIMULATED_MS);
    // Hide at once so the idle window adds nothing.
    const other = await browser.newPage();
    await other.bringToFront();
    await until('the last heartbeat', async () => {
      await sleep(BEAT_S * 1000);
      return engagedMs('5002') >= SIMULATED_MS - 5_000 && (await queued(page)).length === 0;
    }, 30_000);
    const measured = engagedMs('5002');
    expect(Math.abs(measured - SIMULATED_MS)).toBeLessThanOrEqual(5_000);

    await plugin.drain();
    const res = await fetch(`${plugin.url}/api/v1/courses/${COURSE}/status`, { headers: { authorization: `Bearer ${teacherToken}` } });
    expect(res.status).toBe(200);
    const status = (await res.json()) as RosterStatus;
    const row = status.students.find((s) => s.user === '5002')!;
    expect(row.today.engagedMinutes).toBe(Math.floor(SIMULATED_MS / 60_000));
    expect(row.neverLoggedIn).toBe(false);
    expect(status.students.find((s) => s.user === '5001')!.today.engagedMinutes).toBe(Math.floor(engagedMs('5001') / 60_000));

    // Exactly once across the whole run: the store counted each signal id once, however often it was sent.
    const ids = new Set(received.flatMap((r) => r.signals.map((s) => s.id)));
    const sends = received.reduce((a, r) => a + r.signals.length, 0);
    const summary = await plugin.store.tenantSummary('e2e', (await plugin.app.services.tenantContext('e2e')).today(Date.now()));
    expect(summary.signalsToday - signalsBefore).toBe(ids.size);
    expect(sends).toBeGreaterThanOrEqual(ids.size);
    await other.close();
    await page.close();
    expect(problems).toEqual([]);
  }, 150_000);
});
