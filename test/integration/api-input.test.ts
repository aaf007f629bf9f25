// Bad input gets a clear error and loses nothing: malformed requests, oversized
// batches, unknown ids, clock skew, duplicate deliveries, hostile notes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines, startPlugin, type RunningPlugin } from '../support/plugin.ts';
import { seedDemoDistrict, type SeededDistrict } from '../../plugin/admin/seed.ts';

describe.each(engines())('ingest and flags with bad input on %s', (engine) => {
  let p: RunningPlugin;
  let d: SeededDistrict;
  let ingest = '';
  let teacher = '';
  let staff = '';
  let student = '';
  const post = async (token: string, path: string, body: unknown, raw?: string) => {
    const res = await fetch(`${p.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: raw ?? JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null };
  };
  const get = async (token: string, path: string) => {
    const res = await fetch(`${p.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
    return { status: res.status, headers: res.headers, body: await res.json() };
  };
  const status = async (user: string) => {
    await p.drain();
    const r = await get(teacher, '/api/v1/courses/101/status');
    return r.body.students.find((s: { user: string }) => s.user === user);
  };
  const uid = () => `t-${Math.random().toString(36).slice(2, 12)}`;

  beforeAll(async () => {
    p = await startPlugin({ engine });
    d = await seedDemoDistrict(p.store);
    ingest = await p.issue({ tenant: 'demo', role: 'ingest' });
    teacher = await p.issue({ tenant: 'demo', role: 'teacher', person: '9001', label: 'Maria Rivera' });
    staff = await p.issue({ tenant: 'demo', role: 'staff', schools: ['sch-north'], label: 'North office' });
    student = d.stories.neverLoggedIn.find((s) => d.courses[0]!.students.includes(s))!;
  });
  afterAll(() => p.close());

  it('a retried delivery counts once', async () => {
    const before = await status(student);
    expect(before.neverLoggedIn).toBe(true);
    const batch = { signals: [{ id: `${uid()}-hb`, course: '101', user: student, at: new Date().toISOString(), kind: 'heartbeat', activeMs: 60_000 }] };
    const first = await post(ingest, '/api/v1/signals', batch);
    const again = await post(ingest, '/api/v1/signals', batch);
    expect(first.status).toBe(200);
    expect(again.status).toBe(200);
    expect(first.body.acknowledged).toEqual([batch.signals[0]!.id]);
    expect(again.body.acknowledged).toEqual([batch.signals[0]!.id]);
    const after = await status(student);
    expect(after.neverLoggedIn).toBe(false);
    expect(after.today.engagedMinutes).toBe(1);
  });

  it('the same id twice in one batch counts once', async () => {
    const s = d.stories.neverLoggedIn.filter((x) => d.courses[0]!.students.includes(x))[1]!;
    const sig = { id: `${uid()}-dup`, course: '101', user: s, at: new Date().toISOString(), kind: 'heartbeat', activeMs: 120_000 };
    const r = await post(ingest, '/api/v1/signals', { signals: [sig, sig] });
    expect(r.body.accepted).toBe(1);
    expect((await status(s)).today.engagedMinutes).toBe(2);
  });

  it('concurrent deliveries of one batch count once', async () => {
    const s = d.stories.neverLoggedIn.filter((x) => d.courses[0]!.students.includes(x))[2]!;
    const batch = { signals: [{ id: `${uid()}-conc`, course: '101', user: s, at: new Date().toISOString(), kind: 'heartbeat', activeMs: 180_000 }] };
    const all = await Promise.all(Array.from({ length: 6 }, () => post(ingest, '/api/v1/signals', batch)));
    expect(all.every((r) => r.status === 200)).toBe(true);
    expect((await status(s)).today.engagedMinutes).toBe(3);
  });

  it('refuses signals too far in the future and too old, and stores the rest', async () => {
    const now = Date.now();
    const ok = { id: `${uid()}-ok`, course: '101', user: student, at: new Date(now - 60_000).toISOString(), kind: 'page_view' };
    const future = { id: `${uid()}-fut`, course: '101', user: student, at: new Date(now + 3_600_000).toISOString(), kind: 'page_view' };
    const old = { id: `${uid()}-old`, course: '101', user: student, at: new Date(now - 30 * 86_400_000).toISOString(), kind: 'page_view' };
    const r = await post(ingest, '/api/v1/signals', { signals: [ok, future, old] });
    expect(r.status).toBe(200);
    expect(r.body.acknowledged).toEqual([ok.id]);
    expect(r.body.rejected).toEqual([
      { index: 1, id: future.id, reason: 'in_future' },
      { index: 2, id: old.id, reason: 'too_old' },
    ]);
  });

  it("corrects a device clock that is hours off, using the batch's sentAt", async () => {
    const s = d.stories.neverLoggedIn.filter((x) => d.courses[0]!.students.includes(x))[3] ?? d.courses[0]!.students[3]!;
    const skew = 5 * 3_600_000; // the laptop thinks it is five hours later
    const deviceNow = Date.now() + skew;
    const r = await post(ingest, '/api/v1/signals', { sentAt: new Date(deviceNow).toISOString(), signals: [{ id: `${uid()}-skew`, course: '101', user: s, at: new Date(deviceNow - 60_000).toISOString(), kind: 'submission' }] });
    expect(r.body.rejected).toEqual([]);
    expect(Math.abs(r.body.clockOffsetMs + skew)).toBeLessThan(10_000);
    const st = await status(s);
    expect(Math.abs(Date.parse(st.lastSeenAt) - (Date.now() - 60_000))).toBeLessThan(15_000);
  });

  it('refuses malformed requests whole, with a clear message', async () => {
    const bad = await post(ingest, '/api/v1/signals', null, '{"signals": [');
    expect(bad.status).toBe(400);
    const wrongType = await post(ingest, '/api/v1/signals', { signals: [{ id: 'abcdefgh', user: 5, at: 'yesterday', kind: 'heartbeat' }] });
    expect(wrongType.status).toBe(400);
    expect(wrongType.body.error).toBe('invalid_request');
    expect(wrongType.body.details.length).toBeGreaterThan(0);
    const unknownField = await post(ingest, '/api/v1/signals', { signals: [{ id: 'abcdefgh', user: '5', at: new Date().toISOString(), kind: 'heartbeat', name: 'Ava' }] });
    expect(unknownField.status).toBe(400);
    const unknownKind = await post(ingest, '/api/v1/signals', { signals: [{ id: 'abcdefgh', user: '5', at: new Date().toISOString(), kind: 'teleported' }] });
    expect(unknownKind.status).toBe(400);
  });

  it('refuses a batch over 1,000 signals and a body over the byte limit', async () => {
    const signals = Array.from({ length: 1001 }, (_, i) => ({ id: `over-${i}-aaaaaaaa`, user: student, at: new Date().toISOString(), kind: 'heartbeat' }));
    const many = await post(ingest, '/api/v1/signals', { signals });
    expect(many.status).toBe(400);
    expect(many.body.message).toMatch(/1000/);
    const huge = await post(ingest, '/api/v1/signals', null, JSON.stringify({ signals: [{ id: 'abcdefghij', user: 'x'.repeat(2_000_000), at: new Date().toISOString(), kind: 'heartbeat' }] }));
    expect(huge.status).toBe(413);
    expect(huge.body.error).toBe('payload_too_large');
  });

  it('keeps signals for courses and users not in the roster, and reports them', async () => {
    const r = await post(ingest, '/api/v1/signals', { signals: [{ id: `${uid()}-unk`, course: 'not-imported-yet', user: 'new-student-77', at: new Date().toISOString(), kind: 'login' }] });
    expect(r.body.accepted).toBe(1);
    await p.drain();
    const t = await p.store.getTenant('demo');
    const summary = await p.store.tenantSummary('demo', Math.floor(Date.now() / 86_400_000));
    expect(t).not.toBeNull();
    expect(summary.unknownCourses.sample).toContain('not-imported-yet');
    expect(summary.unknownUsers.sample).toContain('new-student-77');
  });

  it('stores a hostile note verbatim and returns it as JSON text', async () => {
    const note = `<script>alert("x")</script><img src=x onerror=alert(1)> ' OR 1=1; --`;
    const r = await post(teacher, '/api/v1/flags', { course: '101', student, reason: 'not_engaging', note });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^application\/json/);
    expect(r.body.flag.history[0].note).toBe(note);
    const back = await get(staff, `/api/v1/flags/${r.body.flag.id}`);
    expect(back.body.history[0].note).toBe(note);
  });

  it('caps note length', async () => {
    const r = await post(teacher, '/api/v1/flags', { course: '101', student, reason: 'other', note: 'x'.repeat(2001) });
    expect(r.status).toBe(400);
  });

  it('answers unknown ids with 404 and their own code', async () => {
    expect((await post(teacher, '/api/v1/flags', { course: 'nope', student, reason: 'other' })).body.error).toBe('unknown_course');
    expect((await post(teacher, '/api/v1/flags', { course: '101', student: 'not-a-student', reason: 'other' })).body.error).toBe('unknown_student');
    expect((await get(staff, '/api/v1/flags/f_doesnotexist')).status).toBe(404);
    expect((await post(staff, '/api/v1/flags/f_doesnotexist/actions', { action: 'note', note: 'hi' })).status).toBe(404);
  });

  it('a second teacher joins the open flag instead of duplicating it, and a retried raise is idempotent', async () => {
    const s = d.courses[0]!.students[5]!;
    const colleague = await p.issue({ tenant: 'demo', role: 'staff', schools: ['sch-north'], label: 'Counselor' });
    const first = await post(teacher, '/api/v1/flags', { course: '101', student: s, reason: 'frequently_absent', note: 'missed a week', clientRequestId: `${uid()}-req` });
    const joined = await post(colleague, '/api/v1/flags', { course: '101', student: s, reason: 'frequently_absent', note: 'same in my class' });
    expect(joined.body.joined).toBe(true);
    expect(joined.body.flag.id).toBe(first.body.flag.id);
    expect(joined.body.flag.history.map((e: { kind: string }) => e.kind)).toEqual(['raised', 'joined']);
    const req = `${uid()}-offline`;
    const a = await post(teacher, '/api/v1/flags', { course: '101', student: s, reason: 'technology_access', clientRequestId: req });
    const b = await post(teacher, '/api/v1/flags', { course: '101', student: s, reason: 'technology_access', clientRequestId: req });
    expect(b.body.flag.id).toBe(a.body.flag.id);
    expect(b.body.flag.history).toHaveLength(1);
  });

  it('moves a flag through its states, refuses moves that make no sense, and keeps the history', async () => {
    const s = d.courses[0]!.students[6]!;
    const f = (await post(teacher, '/api/v1/flags', { course: '101', student: s, reason: 'never_logged_in' })).body.flag;
    const act = (body: unknown) => post(staff, `/api/v1/flags/${f.id}/actions`, body);
    expect((await act({ action: 'reopen' })).status).toBe(409);
    expect((await act({ action: 'assign' })).body.state).toBe('assigned');
    expect((await act({ action: 'contact', method: 'phone', result: 'left_message', note: 'voicemail' })).body.state).toBe('contacted');
    const resolved = await act({ action: 'resolve', outcome: 'needs_device_or_internet', note: 'hotspot on loan' });
    expect(resolved.body.state).toBe('resolved');
    expect(resolved.body.outcome).toBe('needs_device_or_internet');
    expect((await act({ action: 'resolve', outcome: 'other' })).status).toBe(409);
    expect((await act({ action: 'contact', method: 'email', result: 'reached' })).status).toBe(409);
    const reopened = await act({ action: 'reopen', note: 'device broke again' });
    expect(reopened.body.state).toBe('assigned');
    expect(reopened.body.outcome).toBeNull();
    expect(reopened.body.history.map((e: { kind: string }) => e.kind)).toEqual(['raised', 'assign', 'contact', 'resolve', 'reopen']);
    expect(reopened.body.history[2]).toMatchObject({ method: 'phone', result: 'left_message', note: 'voicemail', actor: 'North office' });
  });

  it('writes every status read and flag change to the audit log', async () => {
    const since = Date.now() - 1;
    await get(teacher, '/api/v1/courses/101/status');
    const f = (await post(teacher, '/api/v1/flags', { course: '101', student: d.courses[0]!.students[7]!, reason: 'wellbeing' })).body.flag;
    await post(staff, `/api/v1/flags/${f.id}/actions`, { action: 'assign' });
    const entries = [];
    for await (const e of p.store.readAudit('demo', since, Date.now() + 1)) entries.push(e);
    expect(entries.map((e) => e.action)).toEqual(expect.arrayContaining(['status.read', 'flag.raise', 'flag.assign']));
    const read = entries.find((e) => e.action === 'status.read')!;
    expect(read.actor).toContain('Maria Rivera');
    expect(read.target).toBe('course:101');
  });
});

describe('rate limits', () => {
  it('answer 429 with Retry-After once a credential is over its limit', async () => {
    const p = await startPlugin({ env: { RATE_LIMIT_PER_MINUTE: '3' } });
    try {
      await seedDemoDistrict(p.store);
      const t = await p.issue({ tenant: 'demo', role: 'teacher', person: '9001' });
      const codes: number[] = [];
      let retryAfter: string | null = null;
      for (let i = 0; i < 5; i++) {
        const r = await fetch(`${p.url}/api/v1/me`, { headers: { authorization: `Bearer ${t}` } });
        codes.push(r.status);
        if (r.status === 429) retryAfter = r.headers.get('retry-after');
      }
      expect(codes).toEqual([200, 200, 200, 429, 429]);
      expect(Number(retryAfter)).toBeGreaterThan(0);
      // Another credential has its own budget.
      const other = await p.issue({ tenant: 'demo', role: 'teacher', person: '9002' });
      expect((await fetch(`${p.url}/api/v1/me`, { headers: { authorization: `Bearer ${other}` } })).status).toBe(200);
    } finally {
      await p.close();
    }
  });
});
