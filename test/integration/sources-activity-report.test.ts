// Activity-report CSV import on both engines: rows become signals (older
// than the live age limit too), a re-import counts each activity once, a bad
// file is rejected with every row's line number and writes nothing, and the
// roster status reflects what was imported.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines, startPlugin, type RunningPlugin } from '../support/plugin.ts';
import { seedDemoDistrict } from '../../plugin/admin/seed.ts';
import { localDay } from '../../shared/days.ts';
import { importActivityReport, parseReportTime } from '../../plugin/sources/activity-report.ts';
import { ImportRejected } from '../../plugin/sources/csv-rows.ts';

const NOW = Date.parse('2026-03-11T15:00:00.000Z'); // a Wednesday, 10:00 in New York
const TZ = 'America/New_York';

describe('report timestamps', () => {
  it('reads zoned ISO times and local times in the district zone across daylight saving', () => {
    expect(parseReportTime('2026-03-11T09:30:00-04:00', TZ)).toBe(Date.parse('2026-03-11T13:30:00Z'));
    expect(parseReportTime('2026-03-11 09:30', TZ)).toBe(Date.parse('2026-03-11T13:30:00Z')); // EDT
    expect(parseReportTime('2026-03-06 09:30:15', TZ)).toBe(Date.parse('2026-03-06T14:30:15Z')); // EST
    expect(parseReportTime('2026-03-11 13:30:00 UTC', TZ)).toBe(Date.parse('2026-03-11T13:30:00Z'));
    expect(parseReportTime('2026-02-30 09:30', TZ)).toMatch(/no such date-time/);
    expect(parseReportTime('11/03/2026 9:30', TZ)).toMatch(/ISO 8601/);
  });
});

describe.each(engines())('activity report import (%s)', (engine) => {
  let plugin: RunningPlugin;
  let teacher: string;
  let dir: string;
  const today = localDay(NOW, TZ);
  const file = (name: string, text: string) => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };
  const status = async () => {
    const r = await fetch(`${plugin.url}/api/v1/courses/101/status`, { headers: { authorization: `Bearer ${teacher}` } });
    expect(r.status).toBe(200);
    return (await r.json()) as { students: { user: string; headline: string; neverLoggedIn: boolean; lastSeenAt: string | null; today: { state: string; submitted: boolean } }[] };
  };
  const rows = async () => Object.fromEntries((await plugin.store.rosterRows('demo', '101', today)).map((r) => [r.user, r]));

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rl-activity-'));
    plugin = await startPlugin({ engine, now: () => NOW });
    await seedDemoDistrict(plugin.store, { now: NOW });
    teacher = await plugin.issue({ tenant: 'demo', role: 'teacher', person: '9001' });
  });
  afterAll(async () => {
    await plugin?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('rejects a bad file with every row error and line number, writing nothing', async () => {
    const before = await rows();
    const bad = file(
      'bad.csv',
      [
        'user_id,course_id,timestamp,event',
        '5007,101,2026-03-11T09:00:00-04:00,login', // fine, but the file is rejected
        ',101,2026-03-11T09:00:00-04:00,login',
        '5007,101,yesterday,login',
        '5007,101,2026-03-11 09:00,teleported',
        '5007,10 1,2026-03-11 09:00,login',
        '5007,101,2026-03-12T09:00:00-04:00,login',
      ].join('\n'),
    );
    const e = await importActivityReport(plugin.store, 'demo', bad, NOW).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ImportRejected);
    const errors = (e as ImportRejected).errors;
    expect(errors.map((x) => x.line)).toEqual([3, 4, 5, 6, 7]);
    expect(errors[0]!.message).toMatch(/user_id is empty/);
    expect(errors[1]!.message).toMatch(/timestamp/);
    expect(errors[2]!.message).toMatch(/unknown event/);
    expect(errors[3]!.message).toMatch(/course_id/);
    expect(errors[4]!.message).toMatch(/future/);
    expect(errors.every((x) => x.file === 'bad.csv')).toBe(true);
    expect(await rows()).toEqual(before);

    const header = await importActivityReport(plugin.store, 'demo', file('header.csv', 'student,when\n5007,2026-03-11T09:00:00Z\n'), NOW).catch((x: unknown) => x);
    expect((header as ImportRejected).errors).toEqual([{ file: 'header.csv', line: 1, message: expect.stringMatching(/user_id and timestamp/) }]);
    const broken = await importActivityReport(plugin.store, 'demo', file('broken.csv', 'user_id,timestamp\n5007,"2026-03-11T09:00:00Z\n'), NOW).catch((x: unknown) => x);
    expect(broken).toBeInstanceOf(ImportRejected);
    expect((broken as ImportRejected).errors[0]!.message).toMatch(/unreadable CSV/);
    const empty = await importActivityReport(plugin.store, 'demo', file('empty.csv', ''), NOW).catch((x: unknown) => x);
    expect(empty).toBeInstanceOf(ImportRejected);
    expect(await rows()).toEqual(before);
  });

  it('imports a report (including rows older than the live age limit) and the roster shows it', async () => {
    const report = file(
      'canvas-activity.csv',
      [
        'user_id,course_id,timestamp,event,user name',
        '5007,101,2026-01-12T08:05:00-05:00,login,Hana Smith', // two months ago: older than MAX_SIGNAL_AGE_DAYS
        '5007,101,2026-01-12T08:06:00-05:00,viewed,Hana Smith',
        '5004,101,2026-03-11 08:10,logged_in,Emma Okafor',
        '5004,101,2026-03-11 09:40,submitted,Emma Okafor',
        '5004,,2026-03-11 09:41,,Emma Okafor',
        '5004,101,2026-03-11 09:40,submitted,Emma Okafor', // the same row twice
        '9999,101,2026-03-11 09:00,login,Not On The Roster',
      ].join('\n'),
    );
    const r = await importActivityReport(plugin.store, 'demo', report, NOW);
    expect(r).toMatchObject({ rows: 7, stored: 6, duplicates: 1, unknownUsers: 1, byKind: { login: 3, page_view: 2, submission: 1 } });
    expect(r.first).toBe('2026-01-12T13:05:00.000Z');
    await plugin.drain();
    const s = await status();
    const hana = s.students.find((x) => x.user === '5007')!; // never logged in, in the seed
    expect(hana.neverLoggedIn).toBe(false);
    expect(hana.lastSeenAt).toBe('2026-01-12T13:06:00.000Z');
    const emma = s.students.find((x) => x.user === '5004')!; // absent today in the seed
    expect(emma.today.submitted).toBe(true);
    expect(emma.headline).toBe('present_today');
  });

  it('counts each activity once when the same or an overlapping report is imported again', async () => {
    const before = await rows();
    const again = file(
      'again.csv',
      ['User ID,Course ID,Timestamp,Event', '5004,101,2026-03-11T09:40:00-04:00,submission', '5004,101,2026-03-11 08:10,login'].join('\n'),
    );
    const r = await importActivityReport(plugin.store, 'demo', again, NOW);
    expect(r).toMatchObject({ rows: 2, stored: 0, duplicates: 2 });
    expect(await rows()).toEqual(before);
  });

  it('reads a Canvas "Last user access" style header', async () => {
    const lastAccess = file('last_user_access.csv', ['user id,user sis id,user name,last access at,last ip', '5014,S5014,Omar Patel,2026-03-11T09:55:00-04:00,93.184.216.34'].join('\n'));
    const r = await importActivityReport(plugin.store, 'demo', lastAccess, NOW);
    expect(r).toMatchObject({ rows: 1, stored: 1, byKind: { page_view: 1 } });
  });
});
