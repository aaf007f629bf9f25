// More bad input through HTTP on both stores: wrong JSON types are refused,
// not coerced; unknown fields; bad queries and ids; anonymous callers are
// refused before any validation; a clientRequestId can't fetch another flag;
// one tenant's callers never reach another tenant's data; a credential
// expires or is revoked mid-session; the ingest clock limits hold to the millisecond.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines, startPlugin, type RunningPlugin } from '../support/plugin.ts';
import { seedDemoDistrict, type SeededDistrict } from '../../plugin/admin/seed.ts';

type Res = { status: number; headers: Headers; body: any; text: string };
function client(p: RunningPlugin) {
  return async (token: string | null, method: string, path: string, body?: unknown, opts: { raw?: string; type?: string } = {}): Promise<Res> => {
    const headers: Record<string, string> = {};
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined || opts.raw !== undefined) headers['content-type'] = opts.type ?? 'application/json';
    const res = await fetch(`${p.url}${path}`, { method, headers, body: opts.raw ?? (body === undefined ? undefined : JSON.stringify(body)) });
    const text = await res.text();
    let parsed: unknown = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = text;
    }
    return { status: res.status, headers: res.headers, body: parsed, text };
  };
}

// Monday 2026-11-23, 10:00 in New York: a fixed clock makes every limit exact.
const T = Date.UTC(2026, 10, 23, 15, 0, 0);

describe.each(engines())('strict input on %s', (engine) => {
  let p: RunningPlugin;
  let d: SeededDistrict;
  let call: ReturnType<typeof client>;
  let teacher = '';
  let staff = '';
  let ingest = '';
  let admin = '';
  let flagId = '';
  let student = '';
  const clock = { now: T };

  beforeAll(async () => {
    p = await startPlugin({ engine, now: () => clock.now, env: { CREDENTIAL_CACHE_SECONDS: '0' } });
    d = await seedDemoDistrict(p.store, { now: T });
    await seedDemoDistrict(p.store, { tenant: 'other', now: T });
    call = client(p);
    teacher = await p.issue({ tenant: 'demo', role: 'teacher', person: '9001', label: 'Maria Rivera' });
    staff = await p.issue({ tenant: 'demo', role: 'staff', schools: ['sch-north'], label: 'North office' });
    ingest = await p.issue({ tenant: 'demo', role: 'ingest', label: 'LRS' });
    admin = await p.issue({ tenant: 'demo', role: 'admin', label: 'Admin' });
    student = d.courses[0]!.students[0]!;
    flagId = (await call(teacher, 'POST', '/api/v1/flags', { course: '101', student, reason: 'wellbeing' })).body.flag.id;
  });
  afterAll(() => p.close());

  const sig = (over: Record<string, unknown> = {}) => ({ id: `s-${Math.random().toString(36).slice(2, 12)}`, course: '101', user: student, at: new Date(T - 60_000).toISOString(), kind: 'page_view', ...over });

  describe('wrong JSON types are refused, never coerced', () => {
    const cases: [string, () => [string, string, unknown], string][] = [
      ['a course id as a number', () => [teacher, '/api/v1/flags', { course: 101, student, reason: 'other' }], '/course'],
      ['a student id as a number', () => [teacher, '/api/v1/flags', { course: '101', student: Number(student), reason: 'other' }], '/student'],
      ['a note as a number', () => [teacher, '/api/v1/flags', { course: '101', student, reason: 'other', note: 12345 }], '/note'],
      ['a note as null', () => [teacher, '/api/v1/flags', { course: '101', student, reason: 'other', note: null }], '/note'],
      ['a reason in an array', () => [teacher, '/api/v1/flags', { course: '101', student, reason: ['other'] }], '/reason'],
      ['a body that is an array', () => [teacher, '/api/v1/flags', [{ course: '101', student, reason: 'other' }]], '/'],
      ['one signal instead of a list', () => [ingest, '/api/v1/signals', { signals: sig() }], '/signals'],
      ['a user id as a number', () => [ingest, '/api/v1/signals', { signals: [sig({ user: 5000 })] }], '/signals/0/user'],
      ['engaged time as a string', () => [ingest, '/api/v1/signals', { signals: [sig({ activeMs: '60000' })] }], '/signals/0/activeMs'],
      ['engaged time as a fraction', () => [ingest, '/api/v1/signals', { signals: [sig({ activeMs: 1.5 })] }], '/signals/0/activeMs'],
      ['engaged time over 15 minutes', () => [ingest, '/api/v1/signals', { signals: [sig({ activeMs: 15 * 60_000 + 1 })] }], '/signals/0/activeMs'],
      ['a timestamp without a zone', () => [ingest, '/api/v1/signals', { signals: [sig({ at: '2026-11-23T09:00:00' })] }], '/signals/0/at'],
      ['an empty batch', () => [ingest, '/api/v1/signals', { signals: [] }], '/signals'],
      ['a too-short signal id', () => [ingest, '/api/v1/signals', { signals: [sig({ id: 'abc' })] }], '/signals/0/id'],
      ['a user id with a space', () => [ingest, '/api/v1/signals', { signals: [sig({ user: 'a b' })] }], '/signals/0/user'],
      ['an unknown source', () => [ingest, '/api/v1/signals', { signals: [sig({ source: 'carrier-pigeon' })] }], '/signals/0/source'],
      ['an action outcome as a number', () => [staff, `/api/v1/flags/${flagId}/actions`, { action: 'resolve', outcome: 1 }], '/'],
      ['a contact without its result', () => [staff, `/api/v1/flags/${flagId}/actions`, { action: 'contact', method: 'phone' }], '/'],
      ['an empty note action', () => [staff, `/api/v1/flags/${flagId}/actions`, { action: 'note', note: '' }], '/'],
      ['an unknown action', () => [staff, `/api/v1/flags/${flagId}/actions`, { action: 'delete' }], '/'],
    ];
    it.each(cases)('%s → 400', async (_name, make, path) => {
      const [token, url, body] = make();
      const r = await call(token, 'POST', url, body);
      expect(r.status).toBe(400);
      expect(r.body.error).toBe('invalid_request');
      expect(r.body.details.map((x: { path: string }) => x.path).some((x: string) => x.startsWith(path === '/' ? '' : path))).toBe(true);
    });
    it('a note action of only blanks and control characters → 400', async () => {
      const r = await call(staff, 'POST', `/api/v1/flags/${flagId}/actions`, { action: 'note', note: ' \u0007\n\t ' });
      expect(r.status).toBe(400);
      expect(r.body).toMatchObject({ error: 'invalid_request', message: expect.stringContaining('/note') });
    });
    it('wrote nothing while refusing them', async () => {
      const f = await call(staff, 'GET', `/api/v1/flags/${flagId}`);
      expect(f.body.history.map((e: { kind: string }) => e.kind)).toEqual(['raised']);
      const list = await call(staff, 'GET', `/api/v1/flags?student=${student}`);
      expect(list.body.total).toBe(1);
    });
  });

  it('refuses unknown fields in every body', async () => {
    expect((await call(teacher, 'POST', '/api/v1/flags', { course: '101', student, reason: 'other', studentName: 'Ava' })).status).toBe(400);
    expect((await call(staff, 'POST', `/api/v1/flags/${flagId}/actions`, { action: 'note', note: 'x', priority: 'high' })).status).toBe(400);
    expect((await call(ingest, 'POST', '/api/v1/signals', { signals: [sig()], tenant: 'other' })).status).toBe(400);
  });

  it('refuses malformed JSON and other media types on every write route', async () => {
    for (const [token, url] of [[teacher, '/api/v1/flags'], [ingest, '/api/v1/signals'], [staff, `/api/v1/flags/${flagId}/actions`]] as const) {
      expect((await call(token, 'POST', url, undefined, { raw: '{"a":' })).status).toBe(400);
      expect((await call(token, 'POST', url, undefined, { raw: '<signals/>', type: 'application/xml' })).status).toBe(415);
    }
  });

  it('refuses bad queries and ids', async () => {
    for (const q of ['state=lost', 'reason=bored', 'limit=0', 'limit=501', 'offset=-1', 'olderThanDays=x', 'colour=red', `course=${'x'.repeat(65)}`]) {
      const r = await call(staff, 'GET', `/api/v1/flags?${q}`);
      expect(r.status, q).toBe(400);
    }
    expect((await call(staff, 'GET', `/api/v1/flags/${'f'.repeat(65)}`)).status).toBe(400);
    expect((await call(teacher, 'GET', `/api/v1/courses/${'1'.repeat(65)}/status`)).status).toBe(400);
  });

  it('refuses an anonymous caller with 401 before looking at anything it sent', async () => {
    const anon = [
      ['POST', '/api/v1/flags', '{"course":'],
      ['POST', '/api/v1/signals', JSON.stringify({ signals: 'nope' })],
      ['POST', `/api/v1/flags/${flagId}/actions`, '[]'],
      ['GET', '/api/v1/flags?limit=0', undefined],
      ['GET', `/api/v1/flags/${'f'.repeat(65)}`, undefined],
      ['GET', `/api/v1/courses/${'1'.repeat(65)}/status`, undefined],
      ['GET', '/api/v1/me', undefined],
    ] as const;
    for (const [method, url, raw] of anon) {
      const r = await call(null, method, url, undefined, raw === undefined ? {} : { raw });
      expect(r.status, `${method} ${url}`).toBe(401);
      expect(r.headers.get('www-authenticate')).toBe('Bearer');
    }
  });

  it('does not let a clientRequestId fetch a flag raised for another student', async () => {
    const other = d.courses[0]!.students[1]!;
    const req = 'offline-raise-0001';
    const first = await call(teacher, 'POST', '/api/v1/flags', { course: '101', student: other, reason: 'not_engaging', clientRequestId: req });
    expect(first.status).toBe(200);
    const replay = await call(teacher, 'POST', '/api/v1/flags', { course: '101', student: other, reason: 'not_engaging', clientRequestId: req });
    expect(replay.body.flag.id).toBe(first.body.flag.id);
    // The same id sent by a teacher of another course, for their own student.
    const south = await p.issue({ tenant: 'demo', role: 'teacher', person: '9003', label: 'Aisha Johnson' });
    const reused = await call(south, 'POST', '/api/v1/flags', { course: '201', student: d.courses[2]!.students[0]!, reason: 'not_engaging', clientRequestId: req });
    expect(reused.status).toBe(409);
    expect(reused.body.error).toBe('client_request_reused');
    expect(reused.text).not.toContain(other);
  });

  describe('tenants are walled off', () => {
    let otherAdmin = '';
    let otherIngest = '';
    beforeAll(async () => {
      otherAdmin = await p.issue({ tenant: 'other', role: 'admin', label: 'Other admin' });
      otherIngest = await p.issue({ tenant: 'other', role: 'ingest', label: 'Other LRS' });
    });

    it("another tenant's admin can't read or act on this tenant's flag", async () => {
      expect((await call(otherAdmin, 'GET', `/api/v1/flags/${flagId}`)).status).toBe(404);
      expect((await call(otherAdmin, 'POST', `/api/v1/flags/${flagId}/actions`, { action: 'note', note: 'hi' })).status).toBe(404);
      const list = await call(otherAdmin, 'GET', '/api/v1/flags');
      expect(list.body.flags.map((f: { id: string }) => f.id)).not.toContain(flagId);
    });

    it("another tenant's course 101 is its own: its status shows its own students' activity, not this tenant's", async () => {
      const never = d.stories.neverLoggedIn.find((s) => d.courses[0]!.students.includes(s))!;
      const r = await call(otherIngest, 'POST', '/api/v1/signals', { signals: [sig({ user: never, kind: 'submission' })] });
      expect(r.body.accepted).toBe(1);
      await p.drain();
      const mine = (await call(admin, 'GET', '/api/v1/courses/101/status')).body.students.find((s: { user: string }) => s.user === never);
      const theirs = (await call(otherAdmin, 'GET', '/api/v1/courses/101/status')).body.students.find((s: { user: string }) => s.user === never);
      expect(mine.neverLoggedIn).toBe(true);
      expect(theirs.neverLoggedIn).toBe(false);
      expect(theirs.today.submitted).toBe(true);
    });

    it('/me names the tenant of the credential', async () => {
      expect((await call(otherAdmin, 'GET', '/api/v1/me')).body).toMatchObject({ tenant: 'other', role: 'admin', label: 'Other admin' });
      expect((await call(ingest, 'GET', '/api/v1/me')).body).toMatchObject({ tenant: 'demo', role: 'ingest', person: null });
    });
  });

  describe('ingest clock limits, to the millisecond', () => {
    it('accepts a signal exactly at the future skew limit and refuses one a millisecond past it', async () => {
      const edge = sig({ at: new Date(T + 300_000).toISOString() });
      const past = sig({ at: new Date(T + 300_001).toISOString() });
      const r = await call(ingest, 'POST', '/api/v1/signals', { signals: [edge, past] });
      expect(r.body.acknowledged).toEqual([edge.id]);
      expect(r.body.rejected).toEqual([{ index: 1, id: past.id, reason: 'in_future' }]);
    });

    it('accepts a signal exactly 14 days old and refuses one a millisecond older', async () => {
      const edge = sig({ at: new Date(T - 14 * 86_400_000).toISOString() });
      const older = sig({ at: new Date(T - 14 * 86_400_000 - 1).toISOString() });
      const r = await call(ingest, 'POST', '/api/v1/signals', { signals: [older, edge] });
      expect(r.body.acknowledged).toEqual([edge.id]);
      expect(r.body.rejected).toEqual([{ index: 0, id: older.id, reason: 'too_old' }]);
    });

    it('leaves clocks within two seconds alone, and moves every signal of a skewed batch by the same offset', async () => {
      const near = await call(ingest, 'POST', '/api/v1/signals', { sentAt: new Date(T - 1999).toISOString(), signals: [sig()] });
      expect(near.body.clockOffsetMs).toBe(0);
      // A device 15 days behind: without correction its signal would be too old to keep.
      const behind = 15 * 86_400_000;
      const never = d.stories.neverLoggedIn.filter((s) => d.courses[0]!.students.includes(s))[1]!;
      const late = sig({ at: new Date(T - behind - 60_000).toISOString(), user: never, kind: 'submission' });
      const r = await call(ingest, 'POST', '/api/v1/signals', { sentAt: new Date(T - behind).toISOString(), signals: [late] });
      expect(r.body).toMatchObject({ clockOffsetMs: behind, accepted: 1, rejected: [] });
      await p.drain();
      const st = (await call(teacher, 'GET', '/api/v1/courses/101/status')).body.students.find((s: { user: string }) => s.user === late.user);
      expect(st.lastSeenAt).toBe(new Date(T - 60_000).toISOString());
      expect(st.today.submitted).toBe(true);
    });

    it.each(['2026-02-30T10:00:00Z', '2026-13-01T10:00:00Z', '2026-11-23T24:00:00Z', '2026-11-23T10:60:00Z', '2026-11-23T10:00:60-05:00', '2025-02-29T10:00:00Z'])('refuses the shape-valid impossible time %s with 400', async (at) => {
      const r = await call(ingest, 'POST', '/api/v1/signals', { signals: [sig(), sig({ at })] });
      expect(r.status).toBe(400);
      expect(r.body.message).toContain('/signals/1/at');
    });

    it('accepts an instant with an offset, and refuses an impossible sentAt', async () => {
      const leap = await call(ingest, 'POST', '/api/v1/signals', { sentAt: new Date(T).toISOString(), signals: [sig({ at: '2026-11-23T09:59:00-05:00' })] });
      expect(leap.body).toMatchObject({ accepted: 1, rejected: [] });
      const bad = await call(ingest, 'POST', '/api/v1/signals', { sentAt: '2026-11-31T10:00:00Z', signals: [sig()] });
      expect(bad.status).toBe(400);
    });
  });

  describe('credentials that stop working mid-session', () => {
    it('expire at their expiry instant', async () => {
      const short = await p.issue({ tenant: 'demo', role: 'teacher', person: '9001', ttlMs: 10_000 });
      expect((await call(short, 'GET', '/api/v1/me')).status).toBe(200);
      clock.now = T + 9_999;
      expect((await call(short, 'GET', '/api/v1/me')).status).toBe(200);
      clock.now = T + 10_000;
      const r = await call(short, 'GET', '/api/v1/courses/101/status');
      clock.now = T;
      expect(r.status).toBe(401);
      expect(r.body.error).toBe('credential_expired');
    });

    it('stop at once when revoked (with the credential cache off)', async () => {
      const t = await p.issue({ tenant: 'demo', role: 'staff', schools: ['sch-north'] });
      expect((await call(t, 'GET', '/api/v1/flags')).status).toBe(200);
      await p.store.revokeCredential(t.slice(3, 15), T);
      const r = await call(t, 'GET', '/api/v1/flags');
      expect(r.status).toBe(401);
      expect(r.body.error).toBe('credential_revoked');
    });

    it('a right id with a wrong secret is unknown, not a hint', async () => {
      const t = await p.issue({ tenant: 'demo', role: 'admin' });
      const forged = `${t.slice(0, 16)}${'A'.repeat(43)}`;
      const r = await call(forged, 'GET', '/api/v1/me');
      expect(r.status).toBe(401);
      expect(r.body.error).toBe('credential_unknown');
    });
  });

  it('counts days from the first day seen when neither enrollment nor calendar says when school started', async () => {
    // A roster as a first LTI sync leaves it: no start dates, and no calendar imported.
    await p.store.applyRoster('demo', {
      schools: [],
      people: [{ id: 'lti-s1', sisId: null, ltiSub: null, role: 'student', givenName: null, familyName: null, grade: null, school: 'sch-north', groups: [] }],
      courses: [{ id: 'lti-c1', sisId: null, title: 'LTI course', school: 'sch-north' }],
      enrollments: [
        { course: 'lti-c1', person: '9001', role: 'teacher', startDay: null, endDay: null },
        { course: 'lti-c1', person: 'lti-s1', role: 'student', startDay: null, endDay: null },
      ],
      source: 'lti',
    }, T);
    await call(ingest, 'POST', '/api/v1/signals', { signals: [sig({ course: 'lti-c1', user: 'lti-s1', kind: 'submission', at: new Date(T - 3 * 86_400_000).toISOString() })] });
    await p.drain();
    const s = (await call(teacher, 'GET', '/api/v1/courses/lti-c1/status')).body.students[0];
    // First seen on Friday; today is Monday: one completed school day, present.
    expect(s).toMatchObject({ user: 'lti-s1', daysEnrolled: 1, daysPresent: 1, daysAbsent: 0, absenceRate: 0, tier: 'satisfactory', headline: 'absent_today' });
  });
});
