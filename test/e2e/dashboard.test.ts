// The attendance dashboard in real Chromium against the real running plugin:
// a signal arrives, a teacher raises a flag through the API, it shows in the
// queue of the student's school and not another's, staff assign, log a call
// and resolve it in the UI, and the state and history read back as done. CSV
// exports download with the right rows; a hostile note renders as text.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import puppeteer, { type Browser, type BrowserContext, type Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemoDistrict, type SeededDistrict } from '../../plugin/admin/seed.ts';
import { startPlugin, type RunningPlugin } from '../support/plugin.ts';
import { parseCsv } from '../integration/dashboard-support.ts';
import { createDashboardHandoff } from '../../plugin/dashboard/routes.ts';
import { principalOf } from '../../plugin/server/principal.ts';
import type { Services } from '../../plugin/server/app.ts';

const ROOT = resolve(import.meta.dirname, '..', '..');
const SHOTS = join(ROOT, 'docs', 'screenshots');
const HOSTILE = `<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2"> mum says "call after 5"`;

async function until<T>(get: () => T | undefined | false | Promise<T | undefined | false>): Promise<T> {
  for (;;) {
    const v = await get();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('attendance dashboard in Chromium', () => {
  let plugin: RunningPlugin;
  let district: SeededDistrict;
  let browser: Browser;
  let profile: string;
  let downloads: string;
  let north: Page;
  let southCtx: BrowserContext;
  let tokens: Record<'north' | 'south' | 'teacher' | 'teacher2' | 'teacherSouth' | 'ingest', string>;
  let student: string;
  let studentName: string;
  let flagId: string;
  const problems: string[] = [];

  const api = async (method: string, path: string, token: string, body?: unknown) => {
    const res = await fetch(`${plugin.url}${path}`, { method, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
    return { status: res.status, body: await res.json() };
  };

  const watch = (page: Page, who: string) => {
    page.on('pageerror', (e) => problems.push(`${who} page error: ${(e as Error).message}`));
    page.on('console', (m) => {
      if (m.type() === 'error' && !/Failed to load resource: the server responded with a status of 40[14]/.test(m.text())) problems.push(`${who} console: ${m.text()}`);
    });
  };

  const signInUi = async (page: Page, token: string) => {
    await page.goto(`${plugin.url}/dashboard/`, { waitUntil: 'networkidle0' });
    await page.waitForSelector('#token');
    await page.type('#token', token);
    await page.click('button[type=submit]');
    await page.waitForSelector('table.queue');
  };

  const queueNames = (page: Page) => page.$$eval('table.queue tbody a.student', (as) => as.map((a) => a.textContent ?? ''));

  beforeAll(async () => {
    execFileSync(process.execPath, [join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--config', join(ROOT, 'plugin', 'dashboard', 'vite.target.ts'), '--logLevel', 'warn'], { cwd: ROOT, stdio: 'pipe' });
    plugin = await startPlugin();
    district = await seedDemoDistrict(plugin.store);
    const tenant = district.tenant;
    tokens = {
      north: await plugin.issue({ tenant, role: 'staff', label: 'Pat North', schools: ['sch-north'] }),
      south: await plugin.issue({ tenant, role: 'staff', label: 'Sam South', schools: ['sch-south'] }),
      teacher: await plugin.issue({ tenant, role: 'teacher', label: 'Maria Rivera', person: '9001' }),
      teacher2: await plugin.issue({ tenant, role: 'teacher', label: 'James Chen', person: '9002' }),
      teacherSouth: await plugin.issue({ tenant, role: 'teacher', label: 'Aisha Johnson', person: '9003' }),
      ingest: await plugin.issue({ tenant, role: 'ingest', label: 'lms-feed' }),
    };
    await plugin.issue({ tenant, role: 'staff', label: 'Lee Okafor', schools: ['sch-north'] });
    profile = mkdtempSync(join(tmpdir(), 'rl-chromium-'));
    downloads = mkdtempSync(join(tmpdir(), 'rl-downloads-'));
    mkdirSync(SHOTS, { recursive: true });
    browser = await puppeteer.launch({
      executablePath: '/usr/bin/chromium',
      headless: true,
      userDataDir: profile,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      defaultViewport: { width: 1440, height: 900 },
    });
  });

  afterAll(async () => {
    await browser?.close();
    await plugin?.close();
    for (const d of [profile, downloads]) if (d) rmSync(d, { recursive: true, force: true });
  });

  it('a signal arrives and the teacher raises a flag through the API', async () => {
    const course = district.courses.find((c) => c.id === '101')!;
    student = course.students.find((s) => district.stories.neverLoggedIn.includes(s))!;
    const person = (await plugin.store.getPerson(district.tenant, student))!;
    studentName = `${person.givenName} ${person.familyName}`;
    const at = new Date().toISOString();
    const ingest = await api('POST', '/api/v1/signals', tokens.ingest, { signals: [{ id: `e2e-${student}-login`, course: '101', user: student, at, kind: 'login' }] });
    expect(ingest.status).toBe(200);
    expect(ingest.body.acknowledged).toEqual([`e2e-${student}-login`]);
    // The teacher's roster shows the student's first sign of life.
    const row = await until(async () => {
      const r = await api('GET', '/api/v1/courses/101/status', tokens.teacher);
      const s = r.body.students?.find((x: { user: string }) => x.user === student);
      return s?.lastSeenAt ? s : undefined;
    });
    expect(row.neverLoggedIn).toBe(false);
    const raised = await api('POST', '/api/v1/flags', tokens.teacher, { course: '101', student, reason: 'not_engaging', note: HOSTILE });
    expect(raised.status).toBe(200);
    flagId = raised.body.flag.id;

    // A realistic queue around it: more flags in both schools, some already worked.
    const more: [string, string, string, string][] = [
      [tokens.teacher, '101', district.stories.notSeen.find((s) => course.students.includes(s))!, 'frequently_absent'],
      [tokens.teacher, '101', district.stories.chronic.find((s) => course.students.includes(s))!, 'frequently_absent'],
      [tokens.teacher2, '102', district.courses[1]!.students[7]!, 'never_logged_in'],
      [tokens.teacher2, '102', district.courses[1]!.students[5]!, 'technology_access'],
      [tokens.teacher2, '102', district.courses[1]!.students[6]!, 'wellbeing'],
      [tokens.teacherSouth, '201', district.courses[2]!.students[7]!, 'never_logged_in'],
      [tokens.teacherSouth, '201', district.courses[2]!.students[5]!, 'not_engaging'],
    ];
    const ids: string[] = [];
    for (const [t, c, s, reason] of more) ids.push((await api('POST', '/api/v1/flags', t, { course: c, student: s, reason })).body.flag.id);
    await api('POST', `/api/v1/flags/${ids[1]}/actions`, tokens.north, { action: 'assign', assignee: 'Lee Okafor' });
    await api('POST', `/api/v1/flags/${ids[3]}/actions`, tokens.north, { action: 'contact', method: 'email', result: 'left_message' });
  });

  it('shows the flag in the queue of the student’s school and not another’s', async () => {
    north = await browser.newPage();
    watch(north, 'north');
    const cdp = await north.createCDPSession();
    await cdp.send('Browser.setDownloadBehavior', { behavior: 'allow', downloadPath: downloads });
    await signInUi(north, tokens.north);
    await north.waitForFunction((name) => [...document.querySelectorAll('table.queue a.student')].some((a) => a.textContent === name), {}, studentName);
    const names = await queueNames(north);
    expect(names).toContain(studentName);
    expect(await north.$eval('.who', (e) => e.textContent)).toContain('North High School');
    await north.screenshot({ path: join(SHOTS, 'dashboard-queue.png') });

    southCtx = await browser.createBrowserContext();
    const south = await southCtx.newPage();
    watch(south, 'south');
    await signInUi(south, tokens.south);
    await south.waitForFunction(() => document.querySelectorAll('table.queue tbody tr').length >= 2);
    const southNames = await queueNames(south);
    expect(southNames).not.toContain(studentName);
    const southIds = new Set(district.courses.find((c) => c.id === '201')!.students);
    const southRows = await south.$$eval('table.queue tbody tr .muted', (els) => els.map((e) => e.textContent ?? ''));
    expect(southRows.some((t) => [...southIds].some((id) => t === `S${id}`))).toBe(true);
    // Searching for the north student's id finds nothing for south staff.
    await south.type('#q', student);
    await south.keyboard.press('Enter');
    await south.waitForSelector('p.empty');
    expect(await queueNames(south)).toEqual([]);
    await south.close();
  });

  it('a teacher is told to use the extension', async () => {
    const ctx = await browser.createBrowserContext();
    const page = await ctx.newPage();
    await page.goto(`${plugin.url}/dashboard/`, { waitUntil: 'networkidle0' });
    await page.type('#token', tokens.teacher);
    await page.click('button[type=submit]');
    const msg = await page.waitForSelector('[role=alert]');
    expect(await msg!.evaluate((e) => e.textContent)).toMatch(/extension/);
    await ctx.close();
  });

  it('a one-time link from an LTI launch opens a signed-in dashboard in a new tab', async () => {
    const services = { store: plugin.store, config: plugin.config, now: Date.now } as unknown as Services;
    const cred = (await plugin.store.getCredential(tokens.south.slice(3, 15)))!;
    const link = await createDashboardHandoff(services, principalOf(cred), 'lti');
    const ctx = await browser.createBrowserContext();
    const page = await ctx.newPage();
    watch(page, 'handoff');
    await page.goto(link.url, { waitUntil: 'networkidle0' });
    await page.waitForSelector('table.queue');
    expect(await page.$eval('.who', (e) => e.textContent)).toContain('South Middle School');
    // The code left the address bar and the history.
    expect(await page.evaluate(() => location.hash)).toBe('#/queue');
    // Used once: the same link no longer signs anyone in.
    const other = await (await browser.createBrowserContext()).newPage();
    await other.goto(link.url, { waitUntil: 'networkidle0' });
    const msg = await other.waitForSelector('[role=alert]');
    expect(await msg!.evaluate((e) => e.textContent)).toMatch(/expired or was already used/);
    await ctx.close();
  });

  it('staff open the case: the hostile note shows as text', async () => {
    await north.click(`a.student[href*="flag=${flagId}"]`);
    await north.waitForSelector(`article[data-flag="${flagId}"]`);
    expect(await north.$eval('#case-title', (e) => e.textContent)).toBe(studentName);
    const notes = await north.$$eval(`article[data-flag="${flagId}"] .note`, (els) => els.map((e) => ({ text: e.textContent, children: e.children.length })));
    expect(notes[0]).toEqual({ text: HOSTILE, children: 0 });
    expect(await north.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(await north.$$eval('main script, main img', (els) => els.length)).toBe(0);
    // Every course with its status.
    const courses = await north.$$eval('section.case table.data tbody th', (els) => els.map((e) => e.textContent));
    expect(courses).toEqual(['Algebra I (Period 2)']);
  });

  it('staff assign, log a call and resolve; state and history read back as done', async () => {
    const card = `article[data-flag="${flagId}"]`;
    const state = () => north.$eval(`${card} header .badge`, (e) => e.textContent);
    await north.click(`${card} .action-row button`); // Assign to me
    await north.waitForFunction((c) => document.querySelector(`${c} .assignee`)?.textContent === 'Pat North', {}, card);
    expect(await state()).toBe('Assigned');

    await north.select(`#method-${flagId}`, 'phone');
    await north.select(`#result-${flagId}`, 'reached');
    await north.type(`#cnote-${flagId}`, 'Spoke with grandmother; no laptop at home.');
    await north.click(`${card} form[aria-label="Log a contact attempt"] button[type=submit]`);
    await north.waitForFunction((c) => document.querySelector(`${c} header .badge`)?.textContent === 'Contacted', {}, card);
    await north.screenshot({ path: join(SHOTS, 'dashboard-case.png'), fullPage: true });

    await north.select(`#outcome-${flagId}`, 'needs_device_or_internet');
    await north.type(`#rnote-${flagId}`, 'Chromebook and hotspot issued.');
    await north.click(`${card} form[aria-label="Resolve"] button[type=submit]`);
    await north.waitForFunction((c) => document.querySelector(`${c} header .badge`)?.textContent === 'Resolved', {}, card);
    expect(await north.$eval(`${card} .outcome`, (e) => e.textContent)).toBe('Needs device or internet');
    const history = await north.$$eval(`${card} .history li .ev-line`, (els) => els.map((e) => e.textContent ?? ''));
    expect(history).toHaveLength(4);
    expect(history[2]).toContain('Phone call — Reached');

    const f = await api('GET', `/api/v1/flags/${flagId}`, tokens.north);
    expect(f.body).toMatchObject({ state: 'resolved', outcome: 'needs_device_or_internet', assignee: 'Pat North' });
    expect(f.body.history.map((h: { kind: string }) => h.kind)).toEqual(['raised', 'assign', 'contact', 'resolve']);
    expect(f.body.history[2]).toMatchObject({ actor: 'Pat North', method: 'phone', result: 'reached', note: 'Spoke with grandmother; no laptop at home.' });
    expect(f.body.history[0].note).toBe(HOSTILE);
    // The teacher who raised it sees the outcome.
    const t = await api('GET', `/api/v1/flags/${flagId}`, tokens.teacher);
    expect(t.body).toMatchObject({ state: 'resolved', outcome: 'needs_device_or_internet' });

    // The link in a notification e-mail opens the same case.
    await north.goto(`${plugin.url}/dashboard/#/picture`, { waitUntil: 'networkidle0' });
    await north.waitForSelector('#pic-title');
    await north.goto(`${plugin.url}/dashboard/#/flag/${flagId}`, { waitUntil: 'networkidle0' });
    await north.waitForSelector(`article[data-flag="${flagId}"].focus`);
    expect(await north.$eval('#case-title', (e) => e.textContent)).toBe(studentName);
    expect(await north.evaluate(() => location.hash)).toBe(`#/case/${student}?flag=${flagId}`);

    // And the queue reads it back as resolved.
    await north.goto(`${plugin.url}/dashboard/#/queue?state=resolved`, { waitUntil: 'networkidle0' });
    await north.waitForFunction((name) => [...document.querySelectorAll('table.queue a.student')].some((a) => a.textContent === name), {}, studentName);
    expect(await queueNames(north)).toEqual([studentName]);
  });

  it('bulk-assigns from the queue', async () => {
    await north.goto(`${plugin.url}/dashboard/#/queue?assignee=none`, { waitUntil: 'networkidle0' });
    // The hash change keeps the page; wait until the table shows the unassigned cases.
    await north.waitForFunction(() => {
      const rows = [...document.querySelectorAll('table.queue tbody tr')];
      return rows.length >= 2 && rows.every((r) => r.children[6]?.textContent === 'Unassigned');
    });
    const before = await north.$$eval('table.queue tbody tr', (rows) => rows.length);
    await north.click('table.queue thead input[type=checkbox]');
    await north.waitForSelector('.bulkbar');
    await north.select('#bulk-to', 'Lee Okafor');
    await north.click('.bulkbar button.primary');
    await north.waitForFunction((n) => document.querySelector('.announcer')?.textContent === `Assigned ${n} cases to Lee Okafor.`, {}, before);
    await north.waitForSelector('p.empty');
    const assigned = await api('GET', '/api/v1/dashboard/queue?assignee=Lee%20Okafor', tokens.north);
    expect(assigned.body.total).toBe(before + 1); // plus the one assigned to Lee earlier
    expect(assigned.body.rows.every((r: { school: string; state: string }) => r.school === 'sch-north' && r.state === 'assigned')).toBe(true);
  });

  const download = async (page: Page, name: RegExp): Promise<string[][]> => {
    for (const f of readdirSync(downloads)) rmSync(join(downloads, f));
    await page.click('a.button[download]');
    const file = await until(() => readdirSync(downloads).find((f) => name.test(f) && !f.endsWith('.crdownload')));
    return parseCsv(readFileSync(join(downloads, file), 'utf8'));
  };

  it('exports the lists as CSV with the right rows', async () => {
    const northStudents = new Set(district.courses.filter((c) => c.school === 'sch-north').flatMap((c) => c.students));

    await north.goto(`${plugin.url}/dashboard/#/lists/never-logged-in`, { waitUntil: 'networkidle0' });
    await north.waitForFunction(() => /^Never logged in: \d+ enrollments?$/.test(document.querySelector('h2.count')?.textContent ?? ''));
    const shown = await north.$$eval('table.data tbody th .muted', (els) => els.map((e) => (e.textContent ?? '').replace(/^S/, '')));
    await north.screenshot({ path: join(SHOTS, 'dashboard-lists.png') });
    const never = await download(north, /^never-logged-in-.*\.csv$/);
    expect(never[0]!.slice(0, 5)).toEqual(['School', 'Course', 'Course ID', 'Student', 'Student ID']);
    const ids = never.slice(1).map((r) => r[4]!);
    expect(ids).toEqual(shown);
    expect(new Set(ids)).toEqual(new Set(district.stories.neverLoggedIn.filter((s) => northStudents.has(s) && s !== student)));
    expect(ids).not.toContain(student); // the signal that arrived took them off this list

    await north.click('nav.tabs a[href^="#/lists/not-seen"]');
    await north.waitForSelector('#l-days');
    await north.waitForSelector('table.data tbody tr');
    const notSeen = await download(north, /^not-seen-.*\.csv$/);
    for (const s of district.stories.notSeen.filter((x) => northStudents.has(x))) expect(notSeen.map((r) => r[2])).toContain(s);
    expect(notSeen.slice(1).every((r) => r[0] === 'North High School' && northStudents.has(r[2]!))).toBe(true);

    await north.click('nav.tabs a[href^="#/lists/chronic"]');
    await north.waitForSelector('#l-tier');
    await north.waitForSelector('table.data tbody tr');
    const chronic = await download(north, /^chronic-.*\.csv$/);
    for (const s of district.stories.chronic.filter((x) => northStudents.has(x))) expect(chronic.map((r) => r[2])).toContain(s);
    expect(chronic.slice(1).every((r) => northStudents.has(r[2]!))).toBe(true);
  });

  it('draws the picture with a chart and the same numbers as tables', async () => {
    await north.goto(`${plugin.url}/dashboard/#/picture`, { waitUntil: 'networkidle0' });
    await north.waitForSelector('.chart canvas');
    await north.waitForSelector('.trend-table table tbody tr');
    const schools = await north.$$eval('table caption', (els) => els.map((e) => e.textContent));
    expect(schools).toEqual(expect.arrayContaining(['By school', 'By grade']));
    const bySchool = await north.$$eval('section.picture table.data', (tables) => {
      const t = tables.find((x) => x.querySelector('caption')?.textContent === 'By school')!;
      return [...t.querySelectorAll('tbody th')].map((th) => th.textContent);
    });
    expect(bySchool).toEqual(['North High School']);
    const weeks = await north.$$eval('.trend-table tbody tr', (rows) => rows.length);
    expect(weeks).toBe(8);
    await north.screenshot({ path: join(SHOTS, 'dashboard-picture.png'), fullPage: true });
  });

  it('signs out, and ran under the strict CSP without errors', async () => {
    const res = await fetch(`${plugin.url}/dashboard/`);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    await north.click('.who button');
    await north.waitForSelector('#token');
    const r = await north.evaluate(() => fetch('/api/v1/dashboard/queue').then((x) => x.status));
    expect(r).toBe(401);
    expect(problems).toEqual([]);
    expect(existsSync(join(SHOTS, 'dashboard-queue.png'))).toBe(true);
  });
});
