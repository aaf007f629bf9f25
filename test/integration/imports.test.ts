// OneRoster and calendar imports: row errors with line numbers, nothing written
// on rejection, idempotent re-import, and the calendar changing what counts.
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines, freshStore, type TestStore } from '../support/plugin.ts';
import { importOneRoster, parseUserIds } from '../../plugin/sources/oneroster.ts';
import { importCalendar } from '../../plugin/sources/calendar-import.ts';
import { ImportRejected } from '../../plugin/sources/csv-rows.ts';
import { createTenant } from '../../plugin/server/tenant-admin.ts';
import { dayFromIso } from '../../shared/days.ts';

const FIX = new URL('../fixtures/oneroster/', import.meta.url).pathname;
const rejected = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (e) {
    if (e instanceof ImportRejected) return e.errors;
    throw e;
  }
  throw new Error('the import was not rejected');
};

describe('parseUserIds', () => {
  it('reads the OneRoster {type:id} list', () => {
    expect([...parseUserIds('{Canvas:123},{LDAP: ab-c }')]).toEqual([['canvas', '123'], ['ldap', 'ab-c']]);
    expect(parseUserIds('').size).toBe(0);
  });
});

describe.each(engines())('imports on %s', (engine) => {
  let t: TestStore;
  beforeAll(async () => {
    t = await freshStore(engine);
    await createTenant(t.store, { id: 'riverside', name: 'Riverside', lmsKind: 'canvas', lmsOrigin: 'https://riverside.instructure.com', timeZone: 'America/Los_Angeles' }, Date.now());
  });
  afterAll(() => t.close());

  it('rejects a roster with bad rows, names each by file and line, and writes nothing', async () => {
    const errors = await rejected(importOneRoster(t.store, 'riverside', join(FIX, 'broken'), Date.now()));
    expect(errors).toEqual([
      { file: 'users.csv', line: 5, message: 'unknown role "pupil"' },
      { file: 'enrollments.csv', line: 4, message: 'userSourcedId "S-99" is not in users.csv' },
      { file: 'enrollments.csv', line: 6, message: 'beginDate is not a real date: 2026-13-45' },
    ]);
    expect(await t.store.tenantSummary('riverside', 0)).toMatchObject({ schools: 0, courses: 0, students: 0, enrollments: 0 });
  });

  it('imports a valid roster with LMS ids, school year and student groups, and leaves guardians out', async () => {
    const r = await importOneRoster(t.store, 'riverside', join(FIX, 'valid'), Date.now());
    expect(r.counts).toEqual({ schools: 3, people: 8, courses: 3, enrollments: 9 });
    expect(r.schoolYear).toEqual({ start: '2026-08-17', end: '2027-06-04' });
    expect(r.skipped).toEqual([{ file: 'users.csv', line: 10, reason: 'role guardian is not kept' }]);
    expect(await t.store.getPerson('riverside', '7001')).toMatchObject({ sisId: 'S-1', grade: '09', school: 'sch-east', groups: ['hispanic_or_latino', 'female'] });
    expect(await t.store.getCourse('riverside', '301')).toMatchObject({ sisId: 'C-ALG', title: 'Algebra I', school: 'sch-east' });
    expect(await t.store.teaches('riverside', '9101', '301')).toBe(true);
    const cal = await t.store.getCalendar('riverside');
    expect(cal).toMatchObject({ start: dayFromIso('2026-08-17'), end: dayFromIso('2027-06-04') });
  });

  it('ends a withdrawn (tobedeleted) enrollment the day before the import', async () => {
    const rows = await t.store.rosterRows('riverside', '303', 0);
    const s6 = rows.find((r) => r.user === '7006')!;
    expect(s6.endDay).not.toBeNull();
    expect(s6.endDay!).toBeLessThan(Date.now() / 86_400_000);
  });

  it('changes nothing when the same files are imported again', async () => {
    const before = await t.store.tenantSummary('riverside', 0);
    await importOneRoster(t.store, 'riverside', join(FIX, 'valid'), Date.now());
    expect(await t.store.tenantSummary('riverside', 0)).toEqual(before);
  });

  it('reports a file with a missing column or an unreadable row', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rl-or-'));
    cpSync(join(FIX, 'valid'), dir, { recursive: true });
    writeFileSync(join(dir, 'classes.csv'), 'sourcedId,title\nC-X,Broken\n');
    writeFileSync(join(dir, 'orgs.csv'), 'sourcedId,status,dateLastModified,name,type\nsch-east,,,"East High,school\n');
    const errors = await rejected(importOneRoster(t.store, 'riverside', dir, Date.now()));
    expect(errors.some((e) => e.file === 'classes.csv' && /missing column\(s\): schoolSourcedId/.test(e.message))).toBe(true);
    expect(errors.some((e) => e.file === 'orgs.csv' && /unreadable CSV/.test(e.message))).toBe(true);
  });

  it('imports a calendar, refusing bad rows with their lines, and writes nothing when refused', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rl-cal-'));
    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, 'date,minutes,note\n2026-11-26,0,Thanksgiving\n2026-11-31,0,\n2026-12-02,lots,\n2026-11-26,0,again\n');
    const errors = await rejected(importCalendar(t.store, 'riverside', bad, {}, Date.now()));
    expect(errors.map((e) => e.line)).toEqual([3, 4, 5]);
    expect((await t.store.getCalendar('riverside'))!.overrides.size).toBe(0);
    const good = join(dir, 'good.csv');
    writeFileSync(good, 'date,minutes,note\n2026-11-26,0,Thanksgiving\n2026-11-27,0,\n2026-12-02,240,early release\n2027-01-09,360,make-up Saturday\n');
    const r = await importCalendar(t.store, 'riverside', good, {}, Date.now());
    expect(r).toMatchObject({ days: 4, noSchoolDays: 2, start: '2026-08-17', end: '2027-06-04' });
    const cal = (await t.store.getCalendar('riverside'))!;
    expect(cal.overrides.get(dayFromIso('2027-01-09'))).toBe(360);
  });
});
