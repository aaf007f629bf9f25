// More of the store contract on both engines: tenants and their versions,
// rosters read back identically after a second apply, signal dedupe (within a
// batch, across batches, across concurrent calls and drains, per tenant), the
// incremental counts against a brute-force count, flags (join, replay, races,
// filters and scopes), credentials, the audit log's paging, the tenant summary.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { engines, freshStore, type TestStore } from '../support/plugin.ts';
import { contextFor } from '../../plugin/server/tenant-context.ts';
import { DEFAULT_POLICY, type Policy } from '../../shared/policy.ts';
import { dayFromIso } from '../../shared/days.ts';
import { isSchoolDay, weekdayCalendar } from '../../shared/calendar.ts';
import { dayState, requiredEngagedSeconds, NO_ACTIVITY, type DayFacts } from '../../shared/status.ts';
import type { DayClassifier, IngestItem, RaiseInput, RosterChanges, Store } from '../../plugin/store/store.ts';
import type { SignalKind as SignalKindLike } from '../../shared/signal.ts';

const MON = dayFromIso('2026-11-16');
const at = (day: number, hour: number) => day * 86_400_000 + hour * 3_600_000;

function roster(courses: string[], students: string[], teacher = 't1', start: number | null = MON - 7): RosterChanges {
  return {
    schools: [{ id: 'sch-a', name: 'A' }, { id: 'sch-b', name: 'B' }],
    people: [
      { id: teacher, sisId: null, ltiSub: null, role: 'teacher', givenName: 'T', familyName: 'T', grade: null, school: 'sch-a', groups: [] },
      ...students.map((s, i) => ({ id: s, sisId: `SIS-${s}`, ltiSub: null, role: 'student', givenName: 'G', familyName: 'F', grade: '9', school: i % 2 ? 'sch-b' : 'sch-a', groups: i % 3 ? [] : ['ell'] })),
    ],
    courses: courses.map((c, i) => ({ id: c, sisId: `C-${c}`, title: `Course ${c}`, school: i % 2 ? 'sch-b' : 'sch-a' })),
    enrollments: courses.flatMap((c) => [
      { course: c, person: teacher, role: 'teacher' as const, startDay: start, endDay: null },
      ...students.map((s) => ({ course: c, person: s, role: 'student' as const, startDay: start, endDay: null })),
    ]),
    source: 'oneroster',
  };
}

describe.each(engines())('store contract (more) on %s', (engine) => {
  let t: TestStore;
  let store: Store;
  let tenantN = 0;
  const newTenant = async (policy: Policy = DEFAULT_POLICY) => {
    const id = `t${++tenantN}`;
    const tenant = await store.createTenant({ id, name: id, lmsKind: 'canvas', lmsOrigin: 'https://lms.example', timeZone: 'UTC', policy }, 1000);
    return { id, classify: contextFor(tenant, null).classify };
  };
  const item = (id: string, user: string, day: number, hour: number, kind: SignalKindLike, activeMs = 0, course = 'c1'): IngestItem => ({ id, course, user, day, at: at(day, hour), kind, activeMs });
  const row = async (tenant: string, course: string, user: string, today: number) => (await store.rosterRows(tenant, course, today)).find((r) => r.user === user)!;

  beforeAll(async () => {
    t = await freshStore(engine);
    store = t.store;
  });
  afterAll(() => t.close());

  describe('tenants', () => {
    it('are created, read back, listed, and a second tenant with the same id is refused', async () => {
      const { id } = await newTenant();
      const got = await store.getTenant(id);
      expect(got).toMatchObject({ id, lmsKind: 'canvas', timeZone: 'UTC', policy: DEFAULT_POLICY, configVersion: 1, createdAt: 1000 });
      expect((await store.listTenants()).map((x) => x.id)).toContain(id);
      await expect(store.createTenant({ id, name: 'again', lmsKind: 'moodle', lmsOrigin: 'https://x.example', timeZone: 'UTC', policy: DEFAULT_POLICY }, 2000)).rejects.toThrow();
      expect((await store.getTenant(id))!.name).toBe(id);
      expect(await store.getTenant('no-such-tenant')).toBeNull();
    });

    it('bump their config version on a policy or calendar change, and keep both', async () => {
      const { id } = await newTenant();
      await store.setPolicy(id, { ...DEFAULT_POLICY, rule: 'logged_in', notSeenAlertDays: 5 });
      expect(await store.getTenant(id)).toMatchObject({ configVersion: 2, policy: { rule: 'logged_in', notSeenAlertDays: 5 } });
      expect(await store.getCalendar(id)).toBeNull();
      const cal = { start: MON - 60, end: MON + 120, defaultMinutes: 330, overrides: new Map([[MON + 10, 0], [MON + 5, 240]]) };
      await store.setCalendar(id, cal, 5000);
      expect(await store.getCalendar(id)).toEqual(cal);
      expect((await store.getTenant(id))!.configVersion).toBe(3);
    });
  });

  describe('rosters', () => {
    it('read back the same rows after being applied twice, and take changes on a third apply', async () => {
      const { id } = await newTenant();
      const r = roster(['c1', 'c2'], ['s1', 's2', 's3']);
      await store.applyRoster(id, r, 1);
      const snap = async () => ({
        people: await Promise.all(['t1', 's1', 's2', 's3'].map((p) => store.getPerson(id, p))),
        courses: await Promise.all(['c1', 'c2'].map((c) => store.getCourse(id, c))),
        rows: await Promise.all(['c1', 'c2'].map((c) => store.rosterRows(id, c, MON))),
        summary: await store.tenantSummary(id, MON),
      });
      const first = await snap();
      await store.applyRoster(id, r, 2);
      const second = await snap();
      expect(second).toEqual(first);
      expect(second.summary).toMatchObject({ schools: 2, courses: 2, students: 3, teachers: 1, enrollments: 8 });
      expect(await store.coursesTaughtBy(id, 't1')).toEqual(expect.arrayContaining(['c1', 'c2']));
      expect(await store.isEnrolled(id, 's1', 'c1')).toBe(true);
      expect(await store.teaches(id, 's1', 'c1')).toBe(false);
      // An enrollment that ends, and a course title that changes.
      const changed = roster(['c1', 'c2'], ['s1', 's2', 's3']);
      changed.enrollments = changed.enrollments.map((e) => (e.person === 's3' && e.course === 'c1' ? { ...e, endDay: MON - 1 } : e));
      changed.courses[0] = { ...changed.courses[0]!, title: 'Renamed' };
      await store.applyRoster(id, changed, 3);
      expect((await store.getCourse(id, 'c1'))!.title).toBe('Renamed');
      expect((await row(id, 'c1', 's3', MON)).endDay).toBe(MON - 1);
      expect((await store.tenantSummary(id, MON)).enrollments).toBe(8);
    });

    it('keep tenants apart: the same ids in two tenants are two rosters', async () => {
      const a = await newTenant();
      const b = await newTenant();
      await store.applyRoster(a.id, roster(['c1'], ['s1']), 1);
      expect(await store.getCourse(b.id, 'c1')).toBeNull();
      expect(await store.isEnrolled(b.id, 's1', 'c1')).toBe(false);
      expect(await store.rosterRows(b.id, 'c1', MON)).toEqual([]);
    });
  });

  describe('signal dedupe', () => {
    it('counts an id repeated within one batch once', async () => {
      const { id, classify } = await newTenant();
      await store.applyRoster(id, roster(['c1'], ['s1']), 1);
      const r = await store.ingest(id, [item('x1', 's1', MON, 9, 'heartbeat', 60_000), item('x1', 's1', MON, 9, 'heartbeat', 60_000)], 1, classify);
      expect([...r.stored]).toEqual(['x1']);
      expect([...r.duplicates]).toEqual(['x1']);
      expect((await row(id, 'c1', 's1', MON)).today).toMatchObject({ signals: 1, engagedSeconds: 60 });
    });

    it('counts an id delivered again in a later batch once', async () => {
      const { id, classify } = await newTenant();
      await store.applyRoster(id, roster(['c1'], ['s1']), 1);
      await store.ingest(id, [item('y1', 's1', MON, 9, 'submission')], 1, classify);
      const again = await store.ingest(id, [item('y1', 's1', MON, 9, 'submission'), item('y2', 's1', MON, 10, 'page_view')], 2, classify);
      expect([...again.stored]).toEqual(['y2']);
      expect([...again.duplicates]).toEqual(['y1']);
      expect((await row(id, 'c1', 's1', MON)).today).toMatchObject({ signals: 2, submissions: 1 });
      expect((await row(id, 'c1', 's1', MON + 1)).presentDays).toBe(1);
    });

    it('counts ids sent by concurrent calls once', async () => {
      const { id, classify } = await newTenant();
      await store.applyRoster(id, roster(['c1'], ['s1', 's2']), 1);
      const ids = Array.from({ length: 40 }, (_, i) => `c-${i}`);
      const batches = Array.from({ length: 6 }, (_, k) => ids.filter((_, i) => (i + k) % 3 !== 0).map((sid, i) => item(sid, i % 2 ? 's1' : 's2', MON, 9, 'heartbeat', 30_000)));
      const results = await Promise.all(batches.map((b) => store.ingest(id, b, 1, classify)));
      const stored = results.flatMap((r) => [...r.stored]);
      expect(stored.sort()).toEqual([...new Set(batches.flat().map((i) => i.id))].sort());
      const rows = await store.rosterRows(id, 'c1', MON);
      const total = rows.reduce((n, r) => n + (r.today?.signals ?? 0), 0);
      expect(total).toBe(new Set(batches.flat().map((i) => i.id)).size);
    });

    it('folds the inbox once when two drains run at the same time over retried batches', async () => {
      const { id, classify } = await newTenant();
      await store.applyRoster(id, roster(['c1'], ['s1']), 1);
      const batch = Array.from({ length: 30 }, (_, i) => item(`d-${i}`, 's1', MON, 9, 'heartbeat', 60_000));
      await Promise.all([store.appendInbox(id, batch, 1), store.appendInbox(id, batch, 2), store.appendInbox(id, batch.slice(0, 10), 3)]);
      const classifiers = new Map<string, DayClassifier>([[id, classify]]);
      const [a, b] = await Promise.all([store.drainInbox(classifiers, 10_000), store.drainInbox(classifiers, 10_000)]);
      expect(a.stored + b.stored).toBe(30);
      // Whatever either drain left, a third takes; then nothing is waiting.
      await store.drainInbox(classifiers, 10_000);
      expect(await store.inboxTenants(100)).not.toContain(id);
      expect((await row(id, 'c1', 's1', MON)).today).toMatchObject({ signals: 30, engagedSeconds: 30 * 60 });
    });

    it('keeps dedupe per tenant: the same id in another tenant is another signal', async () => {
      const a = await newTenant();
      const b = await newTenant();
      for (const x of [a, b]) await store.applyRoster(x.id, roster(['c1'], ['s1']), 1);
      expect((await store.ingest(a.id, [item('shared-1', 's1', MON, 9, 'login')], 1, a.classify)).stored.size).toBe(1);
      expect((await store.ingest(b.id, [item('shared-1', 's1', MON, 9, 'login')], 1, b.classify)).stored.size).toBe(1);
      expect((await row(b.id, 'c1', 's1', MON)).today?.signals).toBe(1);
    });
  });

  describe('rollups and summaries', () => {
    const kinds: SignalKindLike[] = ['heartbeat', 'heartbeat', 'heartbeat', 'page_view', 'login', 'submission', 'live_session', 'logout', 'discussion_post'];
    const signalArb = fc.record({
      user: fc.constantFrom('s1', 's2', 's3'),
      day: fc.integer({ min: 0, max: 13 }),
      hour: fc.integer({ min: 7, max: 16 }),
      kind: fc.constantFrom(...kinds),
      minutes: fc.integer({ min: 0, max: 15 }),
    });

    it('match a brute-force count from the shared rules, however the signals are split into batches, and a rebuild agrees', async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(signalArb, { minLength: 1, maxLength: 60 }), fc.array(fc.integer({ min: 1, max: 20 }), { minLength: 1, maxLength: 8 }), async (signals, cuts) => {
          const { id, classify } = await newTenant();
          await store.applyRoster(id, roster(['c1'], ['s1', 's2', 's3'], 't1', MON - 7), 1);
          const items = signals.map((s, i) => item(`p-${i}`, s.user, MON + s.day, s.hour, s.kind, s.minutes * 60_000));
          // Some ids arrive twice: they must count once.
          const deliveries = [...items, ...items.filter((_, i) => i % 4 === 0)];
          let pos = 0;
          for (let k = 0; pos < deliveries.length; k++) {
            const n = cuts[k % cuts.length]!;
            await store.ingest(id, deliveries.slice(pos, pos + n), 1, classify);
            pos += n;
          }
          const today = MON + 20;
          // Brute force: facts per user and day, then the shared rules.
          const cal = weekdayCalendar(DEFAULT_POLICY.defaultDayMinutes);
          const per = new Map<string, DayFacts>();
          for (const it of items) {
            const key = `${it.user}|${it.day}`;
            const f = { ...(per.get(key) ?? NO_ACTIVITY) };
            f.signals += 1;
            f.engagedSeconds += it.activeMs / 1000;
            if (it.kind === 'submission') f.submissions += 1;
            if (it.kind === 'live_session') f.liveSessions += 1;
            per.set(key, f);
          }
          const want = new Map<string, { present: number; partial: number; lastDay: number }>();
          for (const [key, f] of per) {
            const [user, dayS] = key.split('|') as [string, string];
            const day = Number(dayS);
            const w = want.get(user) ?? { present: 0, partial: 0, lastDay: -1 };
            w.lastDay = Math.max(w.lastDay, day);
            if (isSchoolDay(cal, day)) {
              const st = dayState(f, requiredEngagedSeconds(cal, day, DEFAULT_POLICY), DEFAULT_POLICY);
              if (st === 'present') w.present++;
              if (st === 'partial') w.partial++;
            }
            want.set(user, w);
          }
          const byUser = (rows: Awaited<ReturnType<Store['rosterRows']>>) => [...rows].sort((x, y) => (x.user < y.user ? -1 : 1));
          const got = byUser(await store.rosterRows(id, 'c1', today));
          for (const r of got) {
            const w = want.get(r.user);
            if (!w) {
              expect(r.lastDay).toBeNull();
              continue;
            }
            expect({ user: r.user, present: r.presentDays, partial: r.partialDays, lastDay: r.lastDay }).toEqual({ user: r.user, present: w.present, partial: w.partial, lastDay: w.lastDay });
          }
          await store.rebuildSummaries(id, classify);
          expect(byUser(await store.rosterRows(id, 'c1', today))).toEqual(got);
        }),
        { numRuns: engine === 'postgres' ? 12 : 20 },
      );
    });

    it('report signals for courses and users the roster does not know, by id', async () => {
      const { id, classify } = await newTenant();
      await store.applyRoster(id, roster(['c1'], ['s1']), 1);
      await store.ingest(id, [item('u1', 's1', MON, 9, 'login'), item('u2', 'ghost-7', MON, 9, 'login'), item('u3', 's1', MON, 9, 'login', 0, 'not-yet-imported'), item('u4', 's1', MON, 9, 'login', 0, '')], 1, classify);
      const s = await store.tenantSummary(id, MON);
      expect(s.unknownCourses).toEqual({ count: 1, sample: ['not-yet-imported'] });
      expect(s.unknownUsers).toEqual({ count: 1, sample: ['ghost-7'] });
      expect(s.signalsToday).toBe(4);
      expect(s.activeStudentsToday).toBe(2);
    });
  });

  describe('flags', () => {
    let tenant = '';
    const raise = (over: Partial<RaiseInput> = {}) =>
      store.raiseFlag(tenant, { newId: `f_${Math.random().toString(36).slice(2, 12)}`, student: 's1', school: 'sch-a', reason: 'wellbeing', course: 'c1', teacher: 't1', actor: 'T One', note: null, at: 10_000, clientRequestId: null, ...over });
    beforeAll(async () => {
      tenant = (await newTenant()).id;
      await store.applyRoster(tenant, roster(['c1', 'c2'], ['s1', 's2', 's3', 's4']), 1);
    });

    it('joins the open flag of the same student and reason; another reason is another flag', async () => {
      const a = await raise({ student: 's2', note: 'first' });
      const b = await raise({ student: 's2', course: 'c2', teacher: 't2', actor: 'T Two', note: 'second' });
      const c = await raise({ student: 's2', reason: 'other' });
      expect(a).toMatchObject({ joined: false, replayed: false });
      expect(b).toMatchObject({ joined: true, replayed: false });
      expect(b.flag.id).toBe(a.flag.id);
      expect(b.flag.events.map((e) => [e.kind, e.note, e.course])).toEqual([['raised', 'first', 'c1'], ['joined', 'second', 'c2']]);
      expect(b.flag.raisers.map((r) => r.course).sort()).toEqual(['c1', 'c2']);
      expect(c.flag.id).not.toBe(a.flag.id);
    });

    it('raises a new flag once the old one is resolved', async () => {
      const a = await raise({ student: 's3' });
      expect(await store.updateFlag(tenant, a.flag.id, a.flag.version, { state: 'resolved', outcome: 'reached', assignee: null, event: { at: 11_000, actor: 'x', kind: 'resolve', note: null, method: null, result: null, outcome: 'reached', assignee: null, course: null } })).toBe(true);
      const b = await raise({ student: 's3' });
      expect(b.joined).toBe(false);
      expect(b.flag.id).not.toBe(a.flag.id);
    });

    it('replays a raise with a clientRequestId it has seen, changing nothing', async () => {
      const a = await raise({ student: 's4', reason: 'technology_access', clientRequestId: 'req-0001-abc' });
      const b = await raise({ student: 's4', reason: 'technology_access', clientRequestId: 'req-0001-abc', note: 'retry' });
      expect(b.replayed).toBe(true);
      expect(b.flag).toEqual(a.flag);
      expect((await store.getFlag(tenant, a.flag.id))!.events).toHaveLength(1);
    });

    it('makes one flag with one event when two raises with the same clientRequestId race', async () => {
      const [a, b] = await Promise.all([raise({ student: 's4', reason: 'not_engaging', clientRequestId: 'req-race-0001' }), raise({ student: 's4', reason: 'not_engaging', clientRequestId: 'req-race-0001' })]);
      expect(a.flag.id).toBe(b.flag.id);
      expect([a.replayed, b.replayed].sort()).toEqual([false, true]);
      expect((await store.getFlag(tenant, a.flag.id))!.events).toHaveLength(1);
    });

    it('does not show one tenant the flags of another', async () => {
      const a = await raise({ student: 's1', reason: 'frequently_absent' });
      const other = await newTenant();
      expect(await store.getFlag(other.id, a.flag.id)).toBeNull();
      expect((await store.listFlags(other.id, { limit: 100, offset: 0 }, {})).total).toBe(0);
      expect(await store.updateFlag(other.id, a.flag.id, a.flag.version, { state: 'assigned', outcome: null, assignee: 'x', event: { at: 1, actor: 'x', kind: 'assign', note: null, method: null, result: null, outcome: null, assignee: 'x', course: null } })).toBe(false);
    });

    it('lists by filter within the scope, with the total before paging', async () => {
      const { id } = await newTenant();
      tenant = id;
      await store.applyRoster(id, roster(['c1', 'c2'], ['s1', 's2', 's3', 's4']), 1);
      // s1, s3 are in sch-a; s2, s4 in sch-b.
      const f1 = await raise({ student: 's1', reason: 'wellbeing', at: 1000 });
      const f2 = await raise({ student: 's2', reason: 'other', course: 'c2', teacher: 't2', at: 2000, school: 'sch-b' });
      const f3 = await raise({ student: 's3', reason: 'other', at: 3000, school: 'sch-a' });
      await raise({ student: 's4', reason: 'wellbeing', at: 4000, school: 'sch-b' });
      await store.updateFlag(id, f3.flag.id, f3.flag.version, { state: 'resolved', outcome: 'other', assignee: 'Ann', event: { at: 5000, actor: 'Ann', kind: 'resolve', note: null, method: null, result: null, outcome: 'other', assignee: null, course: null } });
      const list = async (f: Partial<Parameters<Store['listFlags']>[1]>, scope = {}) => (await store.listFlags(id, { limit: 100, offset: 0, ...f }, scope)).flags.map((x) => x.student);
      expect(await list({})).toEqual(['s4', 's3', 's2', 's1']);
      expect(await list({ state: 'active' })).toEqual(['s4', 's2', 's1']);
      expect(await list({ state: 'resolved' })).toEqual(['s3']);
      expect(await list({ reason: 'other' })).toEqual(['s3', 's2']);
      expect(await list({ course: 'c2' })).toEqual(['s2']);
      expect(await list({ raisedBy: 't2' })).toEqual(['s2']);
      expect(await list({ assignee: 'Ann' })).toEqual(['s3']);
      expect(await list({ student: 's1' })).toEqual(['s1']);
      expect(await list({ createdBefore: 2500 })).toEqual(['s2', 's1']);
      expect(await list({ school: 'sch-b' })).toEqual(['s4', 's2']);
      expect(await list({}, { schools: ['sch-a'] })).toEqual(['s3', 's1']);
      expect(await list({}, { schools: [] })).toEqual([]);
      expect(await list({}, { studentCourses: [] })).toEqual([]);
      const paged = await store.listFlags(id, { limit: 2, offset: 1 }, {});
      expect(paged.total).toBe(4);
      expect(paged.flags.map((x) => x.id)).toEqual([f3.flag.id, f2.flag.id]);
      expect(f1.flag.id).toBeTruthy();
    });
  });

  describe('credentials', () => {
    it('are read back, revoked once, and listed per tenant', async () => {
      const { id } = await newTenant();
      const cred = { id: `cred${tenantN}aaaaaa`.slice(0, 12), tenant: id, role: 'staff' as const, label: 'Office', person: null, schools: ['sch-a'], courses: [], secretHash: 'ab'.repeat(32), createdAt: 1, expiresAt: 2, revokedAt: null };
      await store.insertCredential(cred);
      expect(await store.getCredential(cred.id)).toEqual(cred);
      expect(await store.revokeCredential(cred.id, 5)).toBe(true);
      expect(await store.revokeCredential(cred.id, 6)).toBe(false);
      expect((await store.getCredential(cred.id))!.revokedAt).toBe(5);
      expect((await store.listCredentials(id)).map((c) => c.id)).toEqual([cred.id]);
      expect(await store.getCredential('nonexistent1')).toBeNull();
    });
  });

  describe('audit log', () => {
    it('pages through more entries than one page, in order, for one tenant only', async () => {
      const a = await newTenant();
      const b = await newTenant();
      const entries = Array.from({ length: 2300 }, (_, i) => ({ tenant: a.id, at: 100_000 + i, actor: 'staff:x', action: 'status.read', target: `course:${i}`, detail: null }));
      await store.appendAudit(entries);
      await store.appendAudit([{ tenant: b.id, at: 100_500, actor: 'y', action: 'flag.raise', target: 'flag:f', detail: '{"a":1}' }]);
      const got: string[] = [];
      for await (const e of store.readAudit(a.id, 0, Number.MAX_SAFE_INTEGER)) got.push(e.target);
      expect(got).toHaveLength(2300);
      expect(got).toEqual(entries.map((e) => e.target));
      const other = [];
      for await (const e of store.readAudit(b.id, 0, Number.MAX_SAFE_INTEGER)) other.push(e);
      expect(other).toEqual([expect.objectContaining({ action: 'flag.raise', detail: '{"a":1}', at: 100_500 })]);
    });
  });
});
