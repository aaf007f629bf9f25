// The dashboard API end to end against the real plugin on both engines:
// sign-in and its cookie, CSRF, expiry and sign-out; the queue and its
// filters; bulk assign; the case view; the lists and their CSV exports; the
// picture; and, throughout, that staff of one school never see another's students.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines } from '../support/plugin.ts';
import { call, dashWorld, parseCsv, raise, signIn, type DashClient, type DashWorld } from './dashboard-support.ts';
import { createDashboardHandoff } from '../../plugin/dashboard/routes.ts';
import { principalOf } from '../../plugin/server/principal.ts';
import type { Services } from '../../plugin/server/app.ts';

const D = '/api/v1/dashboard';

describe.each(engines())('dashboard API (%s)', (engine) => {
  let w: DashWorld;
  let base: string;
  let north: DashClient;
  let south: DashClient;
  let admin: DashClient;
  let northFlag: { id: string; student: string };
  let southFlag: { id: string; student: string };
  let northStudent: string;
  let southStudent: string;

  beforeAll(async () => {
    w = await dashWorld(engine);
    base = w.plugin.url;
    northStudent = w.district.courses.find((c) => c.id === '101')!.students[2]!;
    southStudent = w.district.courses.find((c) => c.id === '201')!.students[3]!;
    northFlag = await raise(base, w.tokens.teacherNorth, '101', northStudent, 'not_engaging', 'Has not opened the last three assignments.');
    w.clock.now += 60_000;
    southFlag = await raise(base, w.tokens.teacherSouth, '201', southStudent, 'technology_access', '<script>alert(1)</script> asked about a hotspot');
    north = await signIn(base, w.tokens.north);
    south = await signIn(base, w.tokens.south);
    admin = await signIn(base, w.tokens.admin);
  });
  afterAll(async () => {
    await w?.plugin.close();
  });

  describe('sign-in', () => {
    it('sets an HttpOnly, SameSite=Strict session cookie, Secure only over https', async () => {
      expect(north.setCookie).toMatch(/^rl_dash=s_/);
      expect(north.setCookie).toMatch(/HttpOnly/i);
      expect(north.setCookie).toMatch(/SameSite=Strict/i);
      expect(north.setCookie).not.toMatch(/Secure/i);
      const r = await call(base, 'POST', `${D}/session`, { body: { token: w.tokens.north }, headers: { 'x-forwarded-proto': 'https' } });
      expect(r.status).toBe(200);
      const c = r.headers.get('set-cookie')!;
      expect(c).toMatch(/^__Host-rl_dash=s_/);
      expect(c).toMatch(/; Secure/i);
      expect(c).toMatch(/Path=\//);
    });

    it('tells the signed-in person who they are and which schools they work', async () => {
      const r = await north.get(`${D}/session`);
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ role: 'staff', label: 'Pat North', allSchools: false, via: 'token' });
      expect(r.body.schools).toEqual([{ id: 'sch-north', name: 'North High School' }]);
      expect(r.body.csrfToken).toBe(north.csrf);
      const a = await admin.get(`${D}/session`);
      expect(a.body.allSchools).toBe(true);
      expect(a.body.schools.map((s: { id: string }) => s.id).sort()).toEqual(['sch-north', 'sch-south']);
    });

    it('refuses teachers with a message pointing them to the extension', async () => {
      const r = await call(base, 'POST', `${D}/session`, { body: { token: w.tokens.teacherNorth } });
      expect(r.status).toBe(403);
      expect(r.body.error).toBe('teacher_use_extension');
      expect(r.body.message).toMatch(/extension/);
      const b = await call(base, 'GET', `${D}/queue`, { token: w.tokens.teacherNorth });
      expect(b.status).toBe(403);
      expect(b.body.error).toBe('teacher_use_extension');
    });

    it('refuses ingest keys, unknown and malformed credentials', async () => {
      expect((await call(base, 'POST', `${D}/session`, { body: { token: w.tokens.ingest } })).status).toBe(403);
      const unknown = await call(base, 'POST', `${D}/session`, { body: { token: w.tokens.north.slice(0, -3) + 'AAA' } });
      expect(unknown.status).toBe(401);
      const bad = await call(base, 'POST', `${D}/session`, { body: { token: 'hello' } });
      expect(bad.status).toBe(401);
      expect(bad.body.message).toMatch(/rl_/);
    });

    it('refuses a sign-in posted from another site', async () => {
      const r = await call(base, 'POST', `${D}/session`, { body: { token: w.tokens.north }, headers: { origin: 'https://evil.example' } });
      expect(r.status).toBe(403);
      expect(r.headers.get('set-cookie')).toBeNull();
    });

    it('needs a session or a credential for every endpoint', async () => {
      for (const path of ['/session', '/meta', '/queue', `/students/${northStudent}`, '/lists/never-logged-in', '/lists/chronic?format=csv', '/picture', `/flags/${northFlag.id}`]) {
        const r = await call(base, 'GET', `${D}${path}`);
        expect(r.status, path).toBe(401);
      }
      const forged = await call(base, 'GET', `${D}/queue`, { cookie: 'rl_dash=s_AAAAAAAAAAAAAAAA.' + 'A'.repeat(43) });
      expect(forged.status).toBe(401);
    });
  });

  describe('the page', () => {
    it('is served under a strict content security policy', async () => {
      const r = await call(base, 'GET', '/dashboard');
      expect(r.status).toBe(302);
      expect(r.headers.get('location')).toBe('/dashboard/');
      const page = await call(base, 'GET', '/dashboard/');
      // 200 once built (npm run build), 503 with instructions before.
      expect([200, 503]).toContain(page.status);
      expect(page.headers.get('content-type')).toMatch(/^text\/html/);
      const csp = page.headers.get('content-security-policy')!;
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain('unsafe');
      expect(page.headers.get('x-frame-options')).toBe('DENY');
      const api = await north.get(`${D}/queue`);
      expect(api.headers.get('cache-control')).toBe('no-store');
    });
  });

  describe('CSRF', () => {
    it('refuses a state-changing request made with the cookie but without the token', async () => {
      const r = await call(base, 'POST', `${D}/flags/${northFlag.id}/actions`, { cookie: north.cookie, body: { action: 'note', note: 'x' } });
      expect(r.status).toBe(403);
      expect(r.body.error).toBe('csrf');
      const wrong = await call(base, 'POST', `${D}/flags/${northFlag.id}/actions`, { cookie: north.cookie, csrf: south.csrf, body: { action: 'note', note: 'x' } });
      expect(wrong.status).toBe(403);
    });

    it('refuses a cross-origin request even with the token', async () => {
      const r = await call(base, 'POST', `${D}/flags/${northFlag.id}/actions`, { cookie: north.cookie, csrf: north.csrf, body: { action: 'note', note: 'x' }, headers: { origin: 'https://evil.example' } });
      expect(r.status).toBe(403);
      expect(r.body.error).toBe('cross_origin');
    });

    it('accepts it with the token, and bearer callers need none', async () => {
      const r = await north.post(`${D}/flags/${northFlag.id}/actions`, { action: 'note', note: 'Called the office to confirm the phone number.' });
      expect(r.status).toBe(200);
      const b = await call(base, 'POST', `${D}/flags/${northFlag.id}/actions`, { token: w.tokens.north, body: { action: 'note', note: 'Scripted note' } });
      expect(b.status).toBe(200);
    });
  });

  describe('queue', () => {
    it('shows each school its own flags and never another school’s', async () => {
      const n = await north.get(`${D}/queue`);
      expect(n.status).toBe(200);
      const nIds = n.body.rows.map((r: { flagId: string }) => r.flagId);
      expect(nIds).toContain(northFlag.id);
      expect(nIds).not.toContain(southFlag.id);
      expect(n.body.rows.every((r: { school: string }) => r.school === 'sch-north')).toBe(true);
      const s = await south.get(`${D}/queue`);
      const sIds = s.body.rows.map((r: { flagId: string }) => r.flagId);
      expect(sIds).toContain(southFlag.id);
      expect(sIds).not.toContain(northFlag.id);
      const a = await admin.get(`${D}/queue`);
      expect(a.body.rows.map((r: { flagId: string }) => r.flagId)).toEqual(expect.arrayContaining([northFlag.id, southFlag.id]));
    });

    it('carries what a clerk needs on each row', async () => {
      const n = await north.get(`${D}/queue`);
      const row = n.body.rows.find((r: { flagId: string }) => r.flagId === northFlag.id);
      const person = await w.plugin.store.getPerson(w.district.tenant, northStudent);
      expect(row).toMatchObject({
        student: northStudent,
        studentName: `${person!.givenName} ${person!.familyName}`,
        sisId: `S${northStudent}`,
        grade: person!.grade,
        schoolName: 'North High School',
        reason: 'not_engaging',
        state: 'open',
        assignee: null,
        courses: [{ id: '101', name: 'Algebra I (Period 2)' }],
        raisedBy: ['9001'],
        ageDays: 0,
        contacts: 0,
      });
    });

    it('refuses a filter for a school that is not yours', async () => {
      const r = await north.get(`${D}/queue?school=sch-south`);
      expect(r.status).toBe(403);
      const l = await north.get(`${D}/lists/never-logged-in?school=sch-south&format=csv`);
      expect(l.status).toBe(403);
    });

    it('filters by school, grade, course, reason, state, assignee and age, and searches by name or id', async () => {
      const person = await w.plugin.store.getPerson(w.district.tenant, northStudent);
      const ids = async (q: string) => (await admin.get(`${D}/queue?${q}`)).body.rows.map((r: { flagId: string }) => r.flagId) as string[];
      expect(await ids('school=sch-north')).toEqual([northFlag.id]);
      expect(await ids(`grade=${person!.grade}`)).toContain(northFlag.id);
      expect(await ids('grade=7')).toEqual([southFlag.id]);
      expect(await ids('course=201')).toEqual([southFlag.id]);
      expect(await ids('reason=technology_access')).toEqual([southFlag.id]);
      expect(await ids('state=resolved')).toEqual([]);
      expect(await ids('assignee=none')).toEqual(expect.arrayContaining([northFlag.id, southFlag.id]));
      expect(await ids('minAgeDays=1')).toEqual([]);
      expect(await ids('maxAgeDays=0')).toHaveLength(2);
      expect(await ids(`q=${encodeURIComponent(person!.givenName!.toLowerCase())}`)).toContain(northFlag.id);
      expect(await ids(`q=${encodeURIComponent(`${person!.familyName}, ${person!.givenName}`)}`)).toContain(northFlag.id);
      expect(await ids(`q=${northStudent}`)).toEqual([northFlag.id]);
      expect(await ids(`q=S${southStudent}`)).toEqual([southFlag.id]);
      expect(await ids('q=%25')).toEqual([]);
      // Search never reaches past the caller's schools.
      expect((await north.get(`${D}/queue?q=${southStudent}`)).body.rows).toEqual([]);
    });

    it('sorts and pages', async () => {
      const all = await admin.get(`${D}/queue?sort=newest&state=all`);
      expect(all.body.rows[0].flagId).toBe(southFlag.id);
      const oldest = await admin.get(`${D}/queue?sort=oldest&state=all`);
      expect(oldest.body.rows[0].flagId).toBe(northFlag.id);
      const page = await admin.get(`${D}/queue?sort=oldest&state=all&limit=1&offset=1`);
      expect(page.body).toMatchObject({ total: 2, limit: 1, offset: 1 });
      expect(page.body.rows.map((r: { flagId: string }) => r.flagId)).toEqual([southFlag.id]);
      for (const sort of ['updated', 'student', 'school', 'state']) expect((await admin.get(`${D}/queue?sort=${sort}`)).status).toBe(200);
    });

    it('bulk-assigns what the caller may see and reports the rest as not found', async () => {
      const r = await north.post(`${D}/queue/assign`, { flagIds: [northFlag.id, southFlag.id, 'f_nope'], assignee: 'me' });
      expect(r.status).toBe(200);
      expect(r.body.results).toEqual([
        { flagId: northFlag.id, ok: true, state: 'assigned', error: null },
        { flagId: southFlag.id, ok: false, state: null, error: 'no such flag' },
        { flagId: 'f_nope', ok: false, state: null, error: 'no such flag' },
      ]);
      const mine = await north.get(`${D}/queue?assignee=me`);
      expect(mine.body.rows.map((x: { flagId: string }) => x.flagId)).toEqual([northFlag.id]);
      expect(mine.body.rows[0].assignee).toBe('Pat North');
      // South's flag is untouched.
      expect((await south.get(`${D}/flags/${southFlag.id}`)).body.state).toBe('open');
    });
  });

  describe('case view', () => {
    it('shows the student, every course with its status, and the flags with history', async () => {
      const r = await north.get(`${D}/students/${northStudent}`);
      expect(r.status).toBe(200);
      const person = await w.plugin.store.getPerson(w.district.tenant, northStudent);
      expect(r.body.student).toEqual({ id: northStudent, sisId: `S${northStudent}`, name: `${person!.givenName} ${person!.familyName}`, grade: person!.grade, school: 'sch-north', schoolName: 'North High School' });
      expect(r.body.courses.map((c: { id: string }) => c.id)).toEqual(['101']);
      expect(r.body.courses[0]).toMatchObject({ title: 'Algebra I (Period 2)', neverLoggedIn: false });
      expect(r.body.courses[0].daysEnrolled).toBeGreaterThan(20);
      // The same status the teacher's roster shows, computed by the same function.
      const roster = await call(base, 'GET', '/api/v1/courses/101/status', { token: w.tokens.teacherNorth });
      const row = roster.body.students.find((s: { user: string }) => s.user === northStudent);
      expect(r.body.courses[0]).toMatchObject({ headline: row.headline, absenceRate: row.absenceRate, tier: row.tier, daysPresent: row.daysPresent, schoolDaysSinceSeen: row.schoolDaysSinceSeen });
      expect(r.body.flags).toHaveLength(1);
      expect(r.body.flags[0].history.map((h: { kind: string }) => h.kind)).toEqual(['raised', 'note', 'note', 'assign']);
    });

    it('is not found for a student of another school, and for unknown ids', async () => {
      expect((await north.get(`${D}/students/${southStudent}`)).status).toBe(404);
      expect((await south.get(`${D}/students/${northStudent}`)).status).toBe(404);
      expect((await north.get(`${D}/students/nobody`)).status).toBe(404);
      expect((await north.get(`${D}/flags/${southFlag.id}`)).status).toBe(404);
      expect((await admin.get(`${D}/students/${southStudent}`)).status).toBe(200);
    });

    it('works a case: contact, resolve, reopen; state and history read back', async () => {
      const act = (body: unknown) => north.post(`${D}/flags/${northFlag.id}/actions`, body);
      expect((await act({ action: 'contact', method: 'phone', result: 'left_message', note: 'Voicemail.' })).body.state).toBe('contacted');
      expect((await act({ action: 'resolve', outcome: 'needs_device_or_internet', note: 'Hotspot requested.' })).body).toMatchObject({ state: 'resolved', outcome: 'needs_device_or_internet' });
      const again = await act({ action: 'resolve', outcome: 'reached' });
      expect(again.status).toBe(409);
      expect((await act({ action: 'reopen', note: 'Still not logging in.' })).body.state).toBe('assigned');
      expect((await act({ action: 'resolve', outcome: 're_engaged' })).body.state).toBe('resolved');
      const f = (await north.get(`${D}/flags/${northFlag.id}`)).body;
      expect(f.history.map((h: { kind: string }) => h.kind)).toEqual(['raised', 'note', 'note', 'assign', 'contact', 'resolve', 'reopen', 'resolve']);
      expect(f.history[4]).toMatchObject({ actor: 'Pat North', method: 'phone', result: 'left_message', note: 'Voicemail.' });
      // The teacher sees the outcome through the core API.
      const t = await call(base, 'GET', `/api/v1/flags/${northFlag.id}`, { token: w.tokens.teacherNorth });
      expect(t.body).toMatchObject({ state: 'resolved', outcome: 're_engaged' });
      const done = await north.get(`${D}/queue?state=resolved`);
      expect(done.body.rows.map((x: { flagId: string }) => x.flagId)).toEqual([northFlag.id]);
      expect(done.body.rows[0].contacts).toBe(1);
    });
  });

  describe('lists', () => {
    const storyStudents = (story: 'neverLoggedIn' | 'notSeen' | 'chronic', school: string) =>
      new Set(w.district.courses.filter((c) => c.school === school).flatMap((c) => c.students).filter((s) => w.district.stories[story].includes(s)));

    it('never logged in: per school and course, only the caller’s schools', async () => {
      const r = await north.get(`${D}/lists/never-logged-in`);
      expect(r.status).toBe(200);
      const got = new Set(r.body.rows.map((x: { student: string }) => x.student));
      expect(got).toEqual(storyStudents('neverLoggedIn', 'sch-north'));
      expect(r.body.rows.every((x: { school: string }) => x.school === 'sch-north')).toBe(true);
      expect(new Set(r.body.rows.map((x: { course: string }) => x.course))).toEqual(new Set(['101', '102']));
      const one = await north.get(`${D}/lists/never-logged-in?course=102`);
      expect(one.body.rows.every((x: { course: string }) => x.course === '102')).toBe(true);
      const s = await south.get(`${D}/lists/never-logged-in`);
      expect(new Set(s.body.rows.map((x: { student: string }) => x.student))).toEqual(storyStudents('neverLoggedIn', 'sch-south'));
    });

    it('exports the same rows as CSV', async () => {
      const r = await north.get(`${D}/lists/never-logged-in?format=csv`);
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toMatch(/^text\/csv/);
      expect(r.headers.get('content-disposition')).toMatch(/^attachment; filename="never-logged-in-\d{4}-\d{2}-\d{2}\.csv"$/);
      expect(r.text.startsWith('\uFEFF')).toBe(true);
      const rows = parseCsv(r.text);
      expect(rows[0]).toEqual(['School', 'Course', 'Course ID', 'Student', 'Student ID', 'SIS ID', 'Grade', 'Enrolled since', 'School days enrolled']);
      const json = (await north.get(`${D}/lists/never-logged-in`)).body.rows;
      expect(rows.slice(1).map((x) => x[4])).toEqual(json.map((x: { student: string }) => x.student));
      expect(rows.slice(1).every((x) => x[0] === 'North High School')).toBe(true);
    });

    it('not seen for N school days, across every course', async () => {
      const r = await north.get(`${D}/lists/not-seen?days=3`);
      expect(r.status).toBe(200);
      const got = new Set(r.body.rows.map((x: { student: string }) => x.student));
      for (const s of storyStudents('notSeen', 'sch-north')) expect(got).toContain(s);
      expect(r.body.rows.every((x: { schoolDaysSinceSeen: number }) => x.schoolDaysSinceSeen >= 3)).toBe(true);
      expect(r.body.rows.every((x: { school: string }) => x.school === 'sch-north')).toBe(true);
      // Never-seen students are a list of their own unless asked for.
      for (const s of storyStudents('neverLoggedIn', 'sch-north')) expect(got).not.toContain(s);
      const withNever = await north.get(`${D}/lists/not-seen?days=3&includeNever=true`);
      expect(withNever.body.rows.length).toBe(r.body.rows.length + storyStudents('neverLoggedIn', 'sch-north').size);
      const csv = parseCsv((await north.get(`${D}/lists/not-seen?days=3&format=csv`)).text);
      expect(csv.length - 1).toBe(r.body.rows.length);
    });

    it('chronically absent by tier', async () => {
      const r = await north.get(`${D}/lists/chronic`);
      expect(r.status).toBe(200);
      const got = new Set(r.body.rows.map((x: { student: string }) => x.student));
      for (const s of storyStudents('chronic', 'sch-north')) expect(got).toContain(s);
      expect(r.body.rows.every((x: { tier: string; absenceRate: number }) => (x.tier === 'moderate_chronic' || x.tier === 'severe_chronic') && x.absenceRate >= 0.1)).toBe(true);
      const severe = await north.get(`${D}/lists/chronic?tier=severe_chronic`);
      expect(severe.body.rows.every((x: { tier: string }) => x.tier === 'severe_chronic')).toBe(true);
      const csv = parseCsv((await north.get(`${D}/lists/chronic?format=csv`)).text);
      expect(csv[0]![7]).toBe('Tier');
      expect(csv.slice(1).every((x) => x[0] === 'North High School')).toBe(true);
      const southIds = new Set(w.district.courses.find((c) => c.id === '201')!.students);
      for (const x of csv.slice(1)) expect(southIds.has(x[2]!)).toBe(false);
    });
  });

  describe('picture', () => {
    it('counts by school, grade and group within the caller’s schools', async () => {
      const r = await north.get(`${D}/picture`);
      expect(r.status).toBe(200);
      const p = r.body;
      expect(p.bySchool.map((s: { key: string }) => s.key)).toEqual(['sch-north']);
      expect(p.totals.students).toBe(60);
      expect(p.byGrade.map((g: { key: string }) => g.key)).toEqual(['9', '10', '11', '12']);
      expect(p.byGrade.reduce((n: number, g: { students: number }) => n + g.students, 0)).toBe(60);
      expect(p.totals.neverLoggedIn).toBe(storyStudentsCount('neverLoggedIn', 'sch-north'));
      expect(p.totals.attendanceRate).toBeGreaterThan(0.5);
      expect(p.totals.attendanceRate).toBeLessThan(1);
      for (const g of p.byGroup) expect(g.students).toBeGreaterThan(0);
      expect(p.weeks).toHaveLength(8);
      const withDays = p.weeks.filter((x: { studentDays: number }) => x.studentDays > 0);
      expect(withDays.length).toBeGreaterThanOrEqual(5);
      for (const x of withDays) {
        expect(x.engagementRate).toBeGreaterThan(0);
        expect(x.engagementRate).toBeLessThanOrEqual(1);
        expect(x.attendanceRate).toBeLessThanOrEqual(x.engagementRate + 1e-9);
      }
      expect(p.brightSpots.highest.length).toBeGreaterThan(0);
      expect(p.brightSpots.highest.every((s: { school: string | null }) => s.school === 'sch-north')).toBe(true);
      const a = await admin.get(`${D}/picture`);
      expect(a.body.bySchool.map((s: { key: string }) => s.key).sort()).toEqual(['sch-north', 'sch-south']);
      expect(a.body.totals.students).toBe(85);
      expect((await admin.get(`${D}/picture?school=sch-south`)).body.totals.students).toBe(25);
      expect((await north.get(`${D}/picture?school=sch-south`)).status).toBe(403);
    });

    const storyStudentsCount = (story: 'neverLoggedIn', school: string) =>
      w.district.courses.filter((c) => c.school === school).flatMap((c) => c.students).filter((s) => w.district.stories[story].includes(s)).length;
  });

  describe('meta and audit', () => {
    it('offers filters from the caller’s schools only', async () => {
      const m = (await north.get(`${D}/meta`)).body;
      expect(m.schools).toEqual([{ id: 'sch-north', name: 'North High School' }]);
      expect(m.courses.map((c: { id: string }) => c.id).sort()).toEqual(['101', '102']);
      expect(m.grades).toEqual(['9', '10', '11', '12']);
      expect(m.staff).toContain('Pat North');
      expect(m.staff).toContain('Dana Admin');
      expect(m.staff).not.toContain('Sam South');
    });

    it('writes every read of student data to the audit log, without names', async () => {
      const entries = [];
      for await (const e of w.plugin.store.readAudit(w.district.tenant, 0, Date.now() + 86_400_000)) entries.push(e);
      const actions = new Set(entries.map((e) => e.action));
      for (const a of ['dashboard.sign_in', 'dashboard.queue.read', 'dashboard.case.read', 'dashboard.list.read', 'dashboard.list.export', 'dashboard.picture.read', 'flag.assign', 'flag.contact', 'flag.resolve', 'flag.reopen'])
        expect(actions, a).toContain(a);
      const person = await w.plugin.store.getPerson(w.district.tenant, northStudent);
      const all = JSON.stringify(entries);
      expect(all).not.toContain(person!.familyName!);
      expect(entries.find((e) => e.action === 'dashboard.case.read' && e.target === `student:${northStudent}`)?.actor).toMatch(/^staff:Pat North/);
    });
  });

  describe('one-time sign-in links (LTI hand-off)', () => {
    const services = () => ({ store: w.plugin.store, config: w.plugin.config, now: () => w.clock.now }) as unknown as Services;
    const principal = async (token: string) => principalOf((await w.plugin.store.getCredential(token.slice(3, 15)))!);

    it('trades a code for a first-party session once', async () => {
      const link = await createDashboardHandoff(services(), await principal(w.tokens.north), 'lti');
      expect(link.url).toMatch(new RegExp(`^${base}/dashboard/#signin=[A-Za-z0-9_-]{43}$`));
      const code = link.url.split('#signin=')[1]!;
      const r = await call(base, 'POST', `${D}/session`, { body: { code } });
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ label: 'Pat North', via: 'lti' });
      const cookie = r.headers.get('set-cookie')!;
      expect(cookie).toMatch(/HttpOnly/i);
      const q = await call(base, 'GET', `${D}/queue`, { cookie: cookie.split(';')[0] });
      expect(q.status).toBe(200);
      const again = await call(base, 'POST', `${D}/session`, { body: { code } });
      expect(again.status).toBe(401);
      expect(again.body.error).toBe('code_invalid');
    });

    it('expires, and is never issued to a teacher', async () => {
      const link = await createDashboardHandoff(services(), await principal(w.tokens.south));
      const saved = w.clock.now;
      w.clock.now += 3 * 60_000;
      try {
        const r = await call(base, 'POST', `${D}/session`, { body: { code: link.url.split('#signin=')[1] } });
        expect(r.status).toBe(401);
      } finally {
        w.clock.now = saved;
      }
      await expect(createDashboardHandoff(services(), await principal(w.tokens.teacherNorth))).rejects.toThrow(/extension/);
    });
  });

  describe('session lifetime', () => {
    it('signs out: the cookie is cleared and the session is gone', async () => {
      const c = await signIn(base, w.tokens.south);
      const r = await c.del(`${D}/session`);
      expect(r.status).toBe(200);
      expect(r.headers.get('set-cookie')).toMatch(/rl_dash=;/);
      expect((await c.get(`${D}/queue`)).status).toBe(401);
    });

    it('ends after a long idle and when the credential is revoked', async () => {
      const c = await signIn(base, w.tokens.south);
      expect((await c.get(`${D}/session`)).status).toBe(200);
      const saved = w.clock.now;
      w.clock.now = saved + 3 * 3_600_000;
      try {
        const r = await c.get(`${D}/session`);
        expect(r.status).toBe(401);
        expect(r.body.error).toBe('session_expired');
      } finally {
        w.clock.now = saved;
      }
      const token = await w.plugin.issue({ tenant: w.district.tenant, role: 'staff', label: 'Temp', schools: ['sch-south'] });
      const t = await signIn(base, token);
      expect((await t.get(`${D}/queue`)).status).toBe(200);
      await w.plugin.store.revokeCredential(token.slice(3, 15), Date.now());
      expect((await t.get(`${D}/queue`)).status).toBe(401);
    });
  });
});
