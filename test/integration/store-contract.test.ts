// The store contract, the same on both engines: the fold is idempotent and
// crash-safe, rebuilds agree with the incremental counts, flags don't duplicate.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines, freshStore, type TestStore } from '../support/plugin.ts';
import { contextFor } from '../../plugin/server/tenant-context.ts';
import { DEFAULT_POLICY } from '../../shared/policy.ts';
import { dayFromIso } from '../../shared/days.ts';
import type { DayClassifier, IngestItem, RosterChanges } from '../../plugin/store/store.ts';

const MON = dayFromIso('2026-11-16');
const at = (day: number, hour: number) => day * 86_400_000 + hour * 3_600_000;

describe.each(engines())('store on %s', (engine) => {
  let t: TestStore;
  let classify: DayClassifier;
  beforeAll(async () => {
    t = await freshStore(engine);
    const tenant = await t.store.createTenant({ id: 'd1', name: 'D1', lmsKind: 'moodle', lmsOrigin: 'https://moodle.d1.org', timeZone: 'UTC', policy: DEFAULT_POLICY }, Date.now());
    classify = contextFor(tenant, null).classify;
    const roster: RosterChanges = {
      schools: [{ id: 'sch', name: 'School' }],
      people: [
        { id: 't1', sisId: 'T1', ltiSub: null, role: 'teacher', givenName: 'T', familyName: 'One', grade: null, school: 'sch', groups: [] },
        { id: 's1', sisId: 'S1', ltiSub: null, role: 'student', givenName: 'S', familyName: 'One', grade: '9', school: 'sch', groups: ['ell'] },
        { id: 's2', sisId: 'S2', ltiSub: null, role: 'student', givenName: 'S', familyName: 'Two', grade: '9', school: 'sch', groups: [] },
      ],
      courses: [{ id: 'c1', sisId: 'C1', title: 'Course', school: 'sch' }],
      enrollments: [
        { course: 'c1', person: 't1', role: 'teacher', startDay: MON - 7, endDay: null },
        { course: 'c1', person: 's1', role: 'student', startDay: MON - 7, endDay: null },
        { course: 'c1', person: 's2', role: 'student', startDay: MON - 7, endDay: null },
      ],
      source: 'oneroster',
    };
    await t.store.applyRoster('d1', roster, Date.now());
    await t.store.applyRoster('d1', roster, Date.now());
  });
  afterAll(() => t.close());

  const item = (id: string, user: string, day: number, hour: number, kind: IngestItem['kind'], activeMs = 0): IngestItem => ({ id, course: 'c1', user, day, at: at(day, hour), kind, activeMs });

  it('applies a roster twice with the same result', async () => {
    const s = await t.store.tenantSummary('d1', MON);
    expect(s).toMatchObject({ schools: 1, courses: 1, students: 2, teachers: 1, enrollments: 3 });
  });

  it('moves a day from partial to present as engaged time adds up, once per signal id', async () => {
    const need = 180 * 60 * 1000;
    await t.store.ingest('d1', [item('a1', 's1', MON, 9, 'heartbeat', need / 2)], Date.now(), classify);
    let rows = await t.store.rosterRows('d1', 'c1', MON + 1);
    expect(rows.find((r) => r.user === 's1')).toMatchObject({ presentDays: 0, partialDays: 1, lastDay: MON });
    await t.store.ingest('d1', [item('a1', 's1', MON, 9, 'heartbeat', need / 2), item('a2', 's1', MON, 10, 'heartbeat', need / 2)], Date.now(), classify);
    rows = await t.store.rosterRows('d1', 'c1', MON + 1);
    expect(rows.find((r) => r.user === 's1')).toMatchObject({ presentDays: 1, partialDays: 0 });
    rows = await t.store.rosterRows('d1', 'c1', MON);
    expect(rows.find((r) => r.user === 's1')!.today).toMatchObject({ engagedSeconds: 180 * 60, signals: 2 });
  });

  it('folds inbox batches once, even when a drain runs again over the same batches', async () => {
    const items = [item('b1', 's2', MON + 1, 9, 'submission'), item('b2', 's2', MON + 1, 9, 'page_view')];
    await t.store.appendInbox('d1', items, Date.now());
    await t.store.appendInbox('d1', items, Date.now()); // a retried delivery
    expect(await t.store.inboxTenants(10)).toEqual(['d1']);
    const r = await t.store.drainInbox(new Map([['d1', classify]]), 10_000);
    expect(r).toMatchObject({ batches: 2, signals: 4, stored: 2, duplicates: 2 });
    expect(await t.store.inboxTenants(10)).toEqual([]);
    // A crash after folding but before removal means the same items are folded again: dedupe absorbs it.
    const again = await t.store.ingest('d1', items, Date.now(), classify);
    expect(again.stored.size).toBe(0);
    const rows = await t.store.rosterRows('d1', 'c1', MON + 1);
    expect(rows.find((x) => x.user === 's2')!.today).toMatchObject({ signals: 2, submissions: 1 });
  });

  it('ignores weekends for day counts but still records the activity', async () => {
    const sat = MON + 5;
    await t.store.ingest('d1', [item('w1', 's2', sat, 10, 'submission')], Date.now(), classify);
    const rows = await t.store.rosterRows('d1', 'c1', sat);
    const s2 = rows.find((x) => x.user === 's2')!;
    expect(s2.today?.submissions).toBe(1);
    expect(s2.presentDays).toBe(1); // Tuesday only
    expect(s2.lastDay).toBe(sat);
  });

  it('rebuilds the same counts it kept incrementally', async () => {
    const before = await t.store.rosterRows('d1', 'c1', MON + 7);
    await t.store.rebuildSummaries('d1', classify);
    const after = await t.store.rosterRows('d1', 'c1', MON + 7);
    expect(after).toEqual(before);
  });

  it('recounts under a new policy', async () => {
    const loggedIn = contextFor({ ...(await t.store.getTenant('d1'))!, policy: { ...DEFAULT_POLICY, rule: 'logged_in' } }, null).classify;
    await t.store.rebuildSummaries('d1', loggedIn);
    const rows = await t.store.rosterRows('d1', 'c1', MON + 7);
    expect(rows.find((x) => x.user === 's1')).toMatchObject({ presentDays: 1, partialDays: 0 });
    await t.store.rebuildSummaries('d1', classify);
  });

  it('keeps one open flag per student and reason when two raises race', async () => {
    const raise = (newId: string, teacher: string) =>
      t.store.raiseFlag('d1', { newId, student: 's1', school: 'sch', reason: 'wellbeing', course: 'c1', teacher, actor: teacher, note: null, at: Date.now(), clientRequestId: null });
    const [a, b] = await Promise.all([raise('f_race_a', 't1'), raise('f_race_b', 't2')]);
    expect(a.flag.id).toBe(b.flag.id);
    expect([a.joined, b.joined].sort()).toEqual([false, true]);
    const f = (await t.store.getFlag('d1', a.flag.id))!;
    expect(f.events.map((e) => e.kind).sort()).toEqual(['joined', 'raised']);
    expect(f.raisers.map((r) => r.teacher).sort()).toEqual(['t1', 't2']);
  });

  it('applies a flag update only at the version it was read at', async () => {
    const f = (await t.store.raiseFlag('d1', { newId: 'f_cas', student: 's2', school: 'sch', reason: 'other', course: 'c1', teacher: 't1', actor: 't1', note: null, at: Date.now(), clientRequestId: null })).flag;
    const upd = (v: number) => t.store.updateFlag('d1', f.id, v, { state: 'assigned', outcome: null, assignee: 'x', event: { at: Date.now(), actor: 'x', kind: 'assign', note: null, method: null, result: null, outcome: null, assignee: 'x', course: null } });
    expect(await upd(f.version)).toBe(true);
    expect(await upd(f.version)).toBe(false);
    expect((await t.store.getFlag('d1', f.id))!.events).toHaveLength(2);
  });

  it('reads the audit log back in order, within a time range', async () => {
    const base = Date.now();
    await t.store.appendAudit([1, 2, 3].map((i) => ({ tenant: 'd1', at: base + i, actor: 'a', action: `act${i}`, target: 't', detail: null })));
    const got = [];
    for await (const e of t.store.readAudit('d1', base + 2, base + 10)) got.push(e.action);
    expect(got).toEqual(['act2', 'act3']);
  });

  it('forgets dedupe ids only after the acceptance window, and never those of imported rows', async () => {
    await t.store.ingest('d1', [{ ...item('import:row-1', 's1', MON + 2, 9, 'login') }], Date.now(), classify);
    const removed = await t.store.pruneSeen(0);
    expect(removed).toBe(0);
    const all = await t.store.pruneSeen(Date.now() + 1);
    expect(all).toBeGreaterThan(0);
    const again = await t.store.ingest('d1', [{ ...item('import:row-1', 's1', MON + 2, 9, 'login') }], Date.now(), classify);
    expect(again.stored.size).toBe(0);
    const live = await t.store.ingest('d1', [item('a1', 's1', MON, 9, 'heartbeat', 1000)], Date.now(), classify);
    expect(live.stored.size).toBe(1);
  });
});
