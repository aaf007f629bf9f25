// The flag state machine through the API on both stores, who may make each
// move, what concurrent moves do, and the audit entry every read of student
// data and every flag change leaves (and that refusals leave none).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines, startPlugin, type RunningPlugin } from '../support/plugin.ts';
import { seedDemoDistrict, type SeededDistrict } from '../../plugin/admin/seed.ts';
import type { AuditEntry } from '../../plugin/store/store.ts';

describe.each(engines())('flags and the audit log on %s', (engine) => {
  let p: RunningPlugin;
  let d: SeededDistrict;
  let teacher = '';
  let otherTeacher = '';
  let staff = '';
  let staff2 = '';
  let nextStudent = 10;
  const req = async (token: string, method: string, path: string, body?: unknown) => {
    const res = await fetch(`${p.url}${path}`, { method, headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as any };
  };
  const raise = async (reason = 'not_engaging') => (await req(teacher, 'POST', '/api/v1/flags', { course: '101', student: d.courses[0]!.students[nextStudent++]!, reason })).body.flag;
  const act = (token: string, id: string, body: unknown) => req(token, 'POST', `/api/v1/flags/${id}/actions`, body);
  let mark = 0;
  /** Audit entries written since the last call. */
  const auditSince = async () => {
    const from = mark;
    mark = Date.now() + 1;
    await new Promise((r) => setTimeout(r, 2));
    const out: AuditEntry[] = [];
    for await (const e of p.store.readAudit('demo', from, mark)) out.push(e);
    return out;
  };

  beforeAll(async () => {
    p = await startPlugin({ engine });
    d = await seedDemoDistrict(p.store);
    teacher = await p.issue({ tenant: 'demo', role: 'teacher', person: '9001', label: 'Maria Rivera' });
    otherTeacher = await p.issue({ tenant: 'demo', role: 'teacher', person: '9003', label: 'Aisha Johnson' });
    staff = await p.issue({ tenant: 'demo', role: 'staff', schools: ['sch-north'], label: 'North office' });
    staff2 = await p.issue({ tenant: 'demo', role: 'staff', schools: ['sch-north'], label: 'Counselor Lee' });
    await auditSince();
  });
  afterAll(() => p.close());

  it('a teacher may add notes to a flag of their student, and make no other move', async () => {
    const f = await raise();
    for (const body of [{ action: 'assign' }, { action: 'contact', method: 'phone', result: 'reached' }, { action: 'resolve', outcome: 'reached' }, { action: 'reopen' }]) {
      const r = await act(teacher, f.id, body);
      expect(r.status, body.action).toBe(403);
      expect(r.body.error).toBe('staff_only');
    }
    const n = await act(teacher, f.id, { action: 'note', note: 'Called home, no answer' });
    expect(n.status).toBe(200);
    expect(n.body.state).toBe('open');
    expect(n.body.history.at(-1)).toMatchObject({ kind: 'note', note: 'Called home, no answer', actor: 'Maria Rivera' });
    // A teacher who doesn't teach the student doesn't learn the flag exists.
    expect((await act(otherTeacher, f.id, { action: 'note', note: 'hi' })).status).toBe(404);
  });

  it('walks open → assigned → contacted → resolved → reopened, with who and how at every step', async () => {
    const f = await raise();
    const a = await act(staff, f.id, { action: 'assign', assignee: 'Counselor Lee', note: 'yours' });
    expect(a.body).toMatchObject({ state: 'assigned', assignee: 'Counselor Lee' });
    const c = await act(staff2, f.id, { action: 'contact', method: 'home_visit', result: 'reached', note: 'Family needs a hotspot' });
    expect(c.body).toMatchObject({ state: 'contacted', assignee: 'Counselor Lee' });
    // Reassigning a contacted case keeps its progress.
    const re = await act(staff, f.id, { action: 'assign' });
    expect(re.body).toMatchObject({ state: 'contacted', assignee: 'North office' });
    const r = await act(staff2, f.id, { action: 'resolve', outcome: 'needs_device_or_internet' });
    expect(r.body).toMatchObject({ state: 'resolved', outcome: 'needs_device_or_internet' });
    expect((await act(staff, f.id, { action: 'assign' })).status).toBe(409);
    expect((await act(staff, f.id, { action: 'contact', method: 'email', result: 'no_answer' })).status).toBe(409);
    expect((await act(staff, f.id, { action: 'resolve', outcome: 'other' })).status).toBe(409);
    const o = await act(staff, f.id, { action: 'reopen', note: 'hotspot broke' });
    expect(o.body).toMatchObject({ state: 'assigned', outcome: null, assignee: 'North office' });
    expect((await act(staff, f.id, { action: 'reopen' })).status).toBe(409);
    expect(o.body.history.map((e: any) => [e.kind, e.actor])).toEqual([
      ['raised', 'Maria Rivera'],
      ['assign', 'North office'],
      ['contact', 'Counselor Lee'],
      ['assign', 'North office'],
      ['resolve', 'Counselor Lee'],
      ['reopen', 'North office'],
    ]);
    expect(o.body.history[2]).toMatchObject({ method: 'home_visit', result: 'reached', note: 'Family needs a hotspot' });
    expect(o.body.history[4]).toMatchObject({ outcome: 'needs_device_or_internet' });
  });

  it('contacting an unassigned flag assigns it to whoever made contact; reopening an unassigned flag opens it', async () => {
    const f = await raise();
    const c = await act(staff, f.id, { action: 'contact', method: 'phone', result: 'left_message' });
    expect(c.body).toMatchObject({ state: 'contacted', assignee: 'North office' });
    const g = await raise();
    await act(staff, g.id, { action: 'resolve', outcome: 'moved_or_transferred' });
    expect((await act(staff, g.id, { action: 'reopen' })).body).toMatchObject({ state: 'open', assignee: null });
  });

  it('applies concurrent moves one after another: two contacts both land; of two resolves one wins', async () => {
    const f = await raise();
    const [a, b] = await Promise.all([
      act(staff, f.id, { action: 'contact', method: 'phone', result: 'no_answer' }),
      act(staff2, f.id, { action: 'contact', method: 'email', result: 'left_message' }),
    ]);
    expect([a.status, b.status]).toEqual([200, 200]);
    const after = await req(staff, 'GET', `/api/v1/flags/${f.id}`);
    expect(after.body.history.filter((e: any) => e.kind === 'contact')).toHaveLength(2);
    const [x, y] = await Promise.all([act(staff, f.id, { action: 'resolve', outcome: 'reached' }), act(staff2, f.id, { action: 'resolve', outcome: 'referred' })]);
    expect([x.status, y.status].sort()).toEqual([200, 409]);
    const final = await req(staff, 'GET', `/api/v1/flags/${f.id}`);
    expect(final.body.history.filter((e: any) => e.kind === 'resolve')).toHaveLength(1);
  });

  it('writes one audit entry for every read of student data and every flag change, naming students by id only', async () => {
    await auditSince();
    const student = d.courses[0]!.students[nextStudent]!;
    await req(teacher, 'GET', '/api/v1/courses/101/status');
    const raised = await req(teacher, 'POST', '/api/v1/flags', { course: '101', student, reason: 'wellbeing', note: 'Ava said she is scared' });
    const id = raised.body.flag.id;
    await req(staff, 'POST', '/api/v1/flags', { course: '101', student, reason: 'wellbeing' });
    await req(staff, 'GET', '/api/v1/flags?state=active');
    await req(staff, 'GET', `/api/v1/flags/${id}`);
    await act(teacher, id, { action: 'note', note: 'more' });
    await act(staff, id, { action: 'assign' });
    await act(staff, id, { action: 'contact', method: 'phone', result: 'reached' });
    await act(staff, id, { action: 'resolve', outcome: 'referred' });
    await act(staff, id, { action: 'reopen' });
    const entries = await auditSince();
    // Entries written within one millisecond have no order between them; compare as sets.
    const sorted = (rows: string[][]) => rows.map((r) => r.join(' ')).sort();
    expect(sorted(entries.map((e) => [e.action, e.target]))).toEqual(sorted([
      ['status.read', 'course:101'],
      ['flag.raise', `flag:${id}`],
      ['flag.join', `flag:${id}`],
      ['flag.list', 'flags'],
      ['flag.read', `flag:${id}`],
      ['flag.note', `flag:${id}`],
      ['flag.assign', `flag:${id}`],
      ['flag.contact', `flag:${id}`],
      ['flag.resolve', `flag:${id}`],
      ['flag.reopen', `flag:${id}`],
    ]));
    const by = (action: string) => entries.find((e) => e.action === action)!;
    expect(by('status.read').actor).toMatch(/^teacher:Maria Rivera \([a-z0-9]{12}\)$/);
    expect(by('flag.join').actor).toMatch(/^staff:North office/);
    expect(JSON.parse(by('flag.raise').detail!)).toEqual({ student, reason: 'wellbeing' });
    // Notes are student data of their own; the audit log records that a change happened, not what it said.
    expect(JSON.stringify(entries)).not.toContain('scared');
  });

  it('writes no change entry for a refused or impossible move, nor a read entry for a refused read', async () => {
    const f = await raise();
    await auditSince();
    await act(teacher, f.id, { action: 'resolve', outcome: 'reached' }); // 403
    await act(staff, f.id, { action: 'reopen' }); // 409
    await act(otherTeacher, f.id, { action: 'note', note: 'x' }); // 404
    await req(otherTeacher, 'GET', '/api/v1/courses/101/status'); // 403
    await req(otherTeacher, 'GET', `/api/v1/flags/${f.id}`); // 404
    await req(staff, 'POST', '/api/v1/flags', { course: '101', student: 'nobody', reason: 'other' }); // 404
    expect(await auditSince()).toEqual([]);
  });

  it('does not write a second raise entry for a replayed raise', async () => {
    const student = d.courses[0]!.students[nextStudent++]!;
    const body = { course: '101', student, reason: 'technology_access', clientRequestId: `replay-${engine}-0001` };
    await auditSince();
    const a = await req(teacher, 'POST', '/api/v1/flags', body);
    const b = await req(teacher, 'POST', '/api/v1/flags', body);
    expect(b.body.flag.id).toBe(a.body.flag.id);
    expect((await auditSince()).map((e) => e.action)).toEqual(['flag.raise']);
  });
});
