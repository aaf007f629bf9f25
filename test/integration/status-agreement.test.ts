// The teacher's roster and the attendance dashboard compute status through one
// function; this pins the case the two copies once disagreed on: an enrollment
// with no start date (a first LTI sync), counted from the first day seen.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines, startPlugin, type RunningPlugin } from '../support/plugin.ts';
import { seedDemoDistrict } from '../../plugin/admin/seed.ts';

describe.each(engines())('roster and dashboard agree on %s', (engine) => {
  let p: RunningPlugin;
  let student = '';
  beforeAll(async () => {
    p = await startPlugin({ engine });
    const d = await seedDemoDistrict(p.store);
    student = d.stories.chronic.find((s) => d.courses[0]!.students.includes(s))!;
    // The same student, now enrolled with no known start (and no school-year bound in the calendar).
    await p.store.applyRoster('demo', { schools: [], people: [], courses: [], enrollments: [{ course: '101', person: student, role: 'student', startDay: null, endDay: null }], source: 'lti' }, Date.now());
  });
  afterAll(() => p.close());

  it('gives the same days enrolled, absent and tier for an enrollment with no start', async () => {
    const teacher = await p.issue({ tenant: 'demo', role: 'teacher', person: '9001' });
    const staff = await p.issue({ tenant: 'demo', role: 'staff', schools: ['sch-north'] });
    const roster = await (await fetch(`${p.url}/api/v1/courses/101/status`, { headers: { authorization: `Bearer ${teacher}` } })).json();
    const row = roster.students.find((s: { user: string }) => s.user === student);
    const caseView = await (await fetch(`${p.url}/api/v1/dashboard/students/${student}`, { headers: { authorization: `Bearer ${staff}` } })).json();
    const course = caseView.courses.find((c: { id: string }) => c.id === '101');
    // Counted from the first day seen: a real school-year-sized number, not zero and not "since 1970".
    expect(row.daysEnrolled).toBeGreaterThan(20);
    expect(row.daysEnrolled).toBeLessThan(40);
    expect(course).toMatchObject({ daysEnrolled: row.daysEnrolled, daysAbsent: row.daysAbsent, tier: row.tier, headline: row.headline });
  });
});
