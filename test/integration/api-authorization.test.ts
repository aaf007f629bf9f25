// The authorization matrix: every read and write route × every kind of caller,
// on both stores. A caller who may not see something gets the refusal and no data.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines, startPlugin, type RunningPlugin } from '../support/plugin.ts';
import { seedDemoDistrict, type SeededDistrict } from '../../plugin/admin/seed.ts';

type Caller = 'teacherOfCourse' | 'teacherOfOther' | 'staffOfSchool' | 'staffOfOther' | 'admin' | 'ingest' | 'none' | 'expired' | 'revoked' | 'malformed';
const CALLERS: Caller[] = ['teacherOfCourse', 'teacherOfOther', 'staffOfSchool', 'staffOfOther', 'admin', 'ingest', 'none', 'expired', 'revoked', 'malformed'];

describe.each(engines())('authorization on %s', (engine) => {
  let p: RunningPlugin;
  let d: SeededDistrict;
  const token: Partial<Record<Caller, string>> = {};
  let flagId = '';
  let student = '';

  beforeAll(async () => {
    p = await startPlugin({ engine });
    d = await seedDemoDistrict(p.store);
    // Course 101 (school sch-north, teacher 9001); course 201 (sch-south, teacher 9003).
    token.teacherOfCourse = await p.issue({ tenant: 'demo', role: 'teacher', person: '9001', label: 'Maria Rivera' });
    token.teacherOfOther = await p.issue({ tenant: 'demo', role: 'teacher', person: '9003', label: 'Aisha Johnson' });
    token.staffOfSchool = await p.issue({ tenant: 'demo', role: 'staff', schools: ['sch-north'], label: 'North office' });
    token.staffOfOther = await p.issue({ tenant: 'demo', role: 'staff', schools: ['sch-south'], label: 'South office' });
    token.admin = await p.issue({ tenant: 'demo', role: 'admin', label: 'District admin' });
    token.ingest = await p.issue({ tenant: 'demo', role: 'ingest', label: 'LRS' });
    token.expired = await p.issue({ tenant: 'demo', role: 'admin', ttlMs: -1000 });
    const revoked = await p.issue({ tenant: 'demo', role: 'admin' });
    await p.store.revokeCredential(revoked.slice(3, 15), Date.now());
    token.revoked = revoked;
    token.malformed = 'rl_nothing.like-a-token';
    student = d.courses[0]!.students[0]!;
    const raised = await call('teacherOfCourse', 'POST', '/api/v1/flags', { course: '101', student, reason: 'wellbeing', note: 'seed' });
    flagId = raised.body.flag.id;
  });
  afterAll(() => p.close());

  async function call(who: Caller, method: string, path: string, body?: unknown) {
    const headers: Record<string, string> = {};
    if (who !== 'none') headers.authorization = `Bearer ${token[who]}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${p.url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null, text };
  }

  const expectations: { route: string; run: (who: Caller) => Promise<{ status: number; body: any; text: string }>; allowed: Partial<Record<Caller, number>>; denied: number }[] = [
    { route: 'GET /courses/101/status', run: (w) => call(w, 'GET', '/api/v1/courses/101/status'), allowed: { teacherOfCourse: 200, staffOfSchool: 200, admin: 200 }, denied: 403 },
    { route: 'GET /flags', run: (w) => call(w, 'GET', '/api/v1/flags?state=active'), allowed: { teacherOfCourse: 200, teacherOfOther: 200, staffOfSchool: 200, staffOfOther: 200, admin: 200 }, denied: 403 },
    { route: 'POST /flags/:id/actions assign', run: (w) => call(w, 'POST', `/api/v1/flags/${flagId}/actions`, { action: 'assign', assignee: `by ${w}` }), // Teachers never move flags, so they are refused before the flag is looked up.
      allowed: { staffOfSchool: 200, admin: 200, teacherOfCourse: 403, teacherOfOther: 403 }, denied: 404 },
    { route: 'GET /flags/:id', run: (w) => call(w, 'GET', `/api/v1/flags/${flagId}`), allowed: { teacherOfCourse: 200, staffOfSchool: 200, admin: 200 }, denied: 404 },
    { route: 'POST /flags (course 101)', run: (w) => call(w, 'POST', '/api/v1/flags', { course: '101', student, reason: 'other', note: `by ${w}` }), allowed: { teacherOfCourse: 200, staffOfSchool: 200, admin: 200 }, denied: 403 },
    { route: 'POST /flags/:id/actions note', run: (w) => call(w, 'POST', `/api/v1/flags/${flagId}/actions`, { action: 'note', note: `from ${w}` }), allowed: { teacherOfCourse: 200, staffOfSchool: 200, admin: 200 }, denied: 404 },
    { route: 'POST /signals', run: (w) => call(w, 'POST', '/api/v1/signals', { signals: [{ id: `authz-${w}-${Math.random().toString(36).slice(2)}`, course: '101', user: student, at: new Date().toISOString(), kind: 'page_view' }] }), allowed: { ingest: 200, admin: 200 }, denied: 403 },
    { route: 'GET /me', run: (w) => call(w, 'GET', '/api/v1/me'), allowed: { teacherOfCourse: 200, teacherOfOther: 200, staffOfSchool: 200, staffOfOther: 200, admin: 200, ingest: 200 }, denied: 403 },
  ];

  for (const e of expectations) {
    for (const who of CALLERS) {
      const unauthenticated = who === 'none' || who === 'expired' || who === 'revoked' || who === 'malformed';
      // A signal-sending key is not a person: every person route refuses it with 403.
      const want = e.allowed[who] ?? (unauthenticated ? 401 : who === 'ingest' ? 403 : e.denied);
      it(`${e.route} as ${who} → ${want}`, async () => {
        const r = await e.run(who);
        expect(r.status).toBe(want);
        if (want >= 400) {
          expect(r.body.error).toEqual(expect.any(String));
          expect(r.body.message).toEqual(expect.any(String));
          // A refusal carries no student data.
          expect(r.text).not.toContain('"students"');
          expect(r.text).not.toContain('"history"');
        }
        if (who === 'expired') expect(r.body.error).toBe('credential_expired');
        if (who === 'revoked') expect(r.body.error).toBe('credential_revoked');
        if (who === 'none') expect(r.body.error).toBe('not_signed_in');
      });
    }
  }

  it('a teacher of another course is told so, plainly', async () => {
    const r = await call('teacherOfOther', 'GET', '/api/v1/courses/101/status');
    expect(r.body.error).toBe('not_course_teacher');
  });

  it('an unknown course is 404 with its own code', async () => {
    const r = await call('admin', 'GET', '/api/v1/courses/no-such-course/status');
    expect(r.status).toBe(404);
    expect(r.body.error).toBe('unknown_course');
  });

  it('lists only what each caller may see', async () => {
    const north = await call('staffOfSchool', 'GET', '/api/v1/flags');
    const south = await call('staffOfOther', 'GET', '/api/v1/flags');
    const otherTeacher = await call('teacherOfOther', 'GET', '/api/v1/flags');
    expect(north.body.flags.map((f: { id: string }) => f.id)).toContain(flagId);
    expect(south.body.flags).toEqual([]);
    expect(otherTeacher.body.flags).toEqual([]);
    expect(north.body.flags.every((f: { school: string }) => f.school === 'sch-north')).toBe(true);
  });

  it('teachers may only add notes; staff move flags', async () => {
    const t = await call('teacherOfCourse', 'POST', `/api/v1/flags/${flagId}/actions`, { action: 'assign' });
    expect(t.status).toBe(403);
    expect(t.body.error).toBe('staff_only');
    const s = await call('staffOfSchool', 'POST', `/api/v1/flags/${flagId}/actions`, { action: 'assign' });
    expect(s.status).toBe(200);
    expect(s.body.state).toBe('assigned');
    expect(s.body.assignee).toBe('North office');
  });

  it('an anonymous caller is refused before the body is read', async () => {
    const r = await fetch(`${p.url}/api/v1/flags`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"not":"valid' });
    expect(r.status).toBe(401);
  });
});
