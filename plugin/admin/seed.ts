// A sample district for the demo, the end-to-end tests and the benchmarks:
// two schools, three courses and students whose histories cover every status.
import { DEFAULT_POLICY } from '../../shared/policy.ts';
import { localDay } from '../../shared/days.ts';
import { isSchoolDay, previousSchoolDay, weekdayCalendar } from '../../shared/calendar.ts';
import type { Enrollment, IngestItem, LmsKind, Person, Store } from '../store/store.ts';
import { contextFor } from '../server/tenant-context.ts';

export interface SeedOptions {
  tenant?: string;
  lmsKind?: LmsKind;
  lmsOrigin?: string;
  timeZone?: string;
  now?: number;
  /** School days of history before today. */
  days?: number;
}

export interface SeededDistrict {
  tenant: string;
  schools: { id: string; name: string }[];
  courses: { id: string; school: string; teacher: string; students: string[] }[];
  /** Students by the story their history tells. */
  stories: Record<'present' | 'partial' | 'absentToday' | 'notSeen' | 'chronic' | 'neverLoggedIn', string[]>;
}

const FIRST = ['Ava', 'Ben', 'Chloe', 'Diego', 'Emma', 'Farah', 'Gabe', 'Hana', 'Isaac', 'Jada', 'Kai', 'Lena', 'Malik', 'Nora', 'Omar', 'Priya', 'Quinn', 'Rosa', 'Sam', 'Tess', 'Uma', 'Victor', 'Wren', 'Xavi', 'Yara', 'Zane', 'Amir', 'Bella', 'Cole', 'Dana', 'Eli', 'Fern'];
const LAST = ['Garcia', 'Nguyen', 'Smith', 'Okafor', 'Kim', 'Haddad', 'Lopez', 'Brown', 'Patel', 'Rossi', 'Silva', 'Cohen'];

/** Deterministic pseudo-random numbers so a seeded district is the same every run. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

export async function seedDemoDistrict(store: Store, opts: SeedOptions = {}): Promise<SeededDistrict> {
  const tenantId = opts.tenant ?? 'demo';
  const now = opts.now ?? Date.now();
  const tz = opts.timeZone ?? 'America/New_York';
  const tenant =
    (await store.getTenant(tenantId)) ??
    (await store.createTenant({ id: tenantId, name: 'Demo Unified School District', lmsKind: opts.lmsKind ?? 'canvas', lmsOrigin: opts.lmsOrigin ?? 'https://demo.instructure.com', timeZone: tz, policy: DEFAULT_POLICY }, now));
  const today = localDay(now, tz);
  const historyDays = opts.days ?? 30;
  const cal = weekdayCalendar(DEFAULT_POLICY.defaultDayMinutes);
  // Enrollment starts `historyDays` school days ago.
  let start = today;
  for (let i = 0; i < historyDays; i++) start = previousSchoolDay(cal, start) ?? start - 1;

  const schools = [
    { id: 'sch-north', name: 'North High School' },
    { id: 'sch-south', name: 'South Middle School' },
  ];
  const courses = [
    { id: '101', school: 'sch-north', teacher: '9001', title: 'Algebra I (Period 2)', size: 32 },
    { id: '102', school: 'sch-north', teacher: '9002', title: 'Biology (Period 4)', size: 28 },
    { id: '201', school: 'sch-south', teacher: '9003', title: 'English 7', size: 25 },
  ];
  const people: Person[] = courses.map((c, i) => ({ id: c.teacher, sisId: `T${c.teacher}`, ltiSub: null, role: 'teacher', givenName: ['Maria', 'James', 'Aisha'][i]!, familyName: ['Rivera', 'Chen', 'Johnson'][i]!, grade: null, school: c.school, groups: [] }));
  const enrollments: Enrollment[] = courses.map((c) => ({ course: c.id, person: c.teacher, role: 'teacher', startDay: start, endDay: null }));
  const seeded: SeededDistrict['courses'] = [];
  const stories: SeededDistrict['stories'] = { present: [], partial: [], absentToday: [], notSeen: [], chronic: [], neverLoggedIn: [] };
  const storyOrder: (keyof SeededDistrict['stories'])[] = ['present', 'present', 'present', 'partial', 'absentToday', 'notSeen', 'chronic', 'neverLoggedIn', 'present', 'present'];
  const plan = new Map<string, keyof SeededDistrict['stories']>();
  let n = 0;
  for (const c of courses) {
    const students: string[] = [];
    for (let i = 0; i < c.size; i++, n++) {
      const id = String(5000 + n);
      const random = rng(n + 7);
      people.push({
        id,
        sisId: `S${id}`,
        ltiSub: null,
        role: 'student',
        givenName: FIRST[n % FIRST.length]!,
        // Stepping by 7 through 12 names gives every name in turn, so a class looks like a class.
        familyName: LAST[(n * 7 + 3) % LAST.length]!,
        grade: c.school === 'sch-north' ? String(9 + (n % 4)) : '7',
        school: c.school,
        groups: [random() < 0.2 ? 'ell' : null, random() < 0.12 ? 'iep' : null].filter((g): g is string => g !== null),
      });
      enrollments.push({ course: c.id, person: id, role: 'student', startDay: start, endDay: null });
      students.push(id);
      const story = storyOrder[i % storyOrder.length]!;
      plan.set(`${c.id}/${id}`, story);
      stories[story].push(id);
    }
    seeded.push({ id: c.id, school: c.school, teacher: c.teacher, students });
  }
  await store.applyRoster(tenantId, { schools, people, courses: courses.map((c) => ({ id: c.id, sisId: `C${c.id}`, title: c.title, school: c.school })), enrollments, source: 'oneroster' }, now);

  // Signals: each story's pattern over the school days since enrollment start.
  const items: IngestItem[] = [];
  const dayStartUtc = (day: number) => day * 86_400_000 + 13 * 3_600_000; // 08:00–09:00 in US zones
  for (const [key, story] of plan) {
    const [course, user] = key.split('/') as [string, string];
    const random = rng(Number(user));
    for (let day = start; day <= today; day++) {
      if (!isSchoolDay(cal, day)) continue;
      const isToday = day === today;
      let minutes = 0;
      let submit = false;
      switch (story) {
        case 'present': minutes = random() < 0.97 ? 200 + Math.floor(random() * 60) : 0; submit = random() < 0.3; break;
        case 'partial': minutes = random() < 0.95 ? (isToday ? 45 : 200) : 0; break;
        case 'absentToday': minutes = isToday ? 0 : random() < 0.95 ? 210 : 0; break;
        case 'notSeen': minutes = day < today - 7 && random() < 0.95 ? 190 : 0; break;
        case 'chronic': minutes = random() < 0.72 ? 200 : 0; break;
        case 'neverLoggedIn': minutes = 0; break;
      }
      if (isToday && now < dayStartUtc(day)) minutes = 0;
      if (!minutes) continue;
      let at = dayStartUtc(day);
      items.push({ id: `seed-${tenantId}-${user}-${course}-${day}-login`, course, user, day, at, kind: 'login', activeMs: 0 });
      for (let m = 0; m < minutes; m += 5) {
        at += 5 * 60_000;
        if (isToday && at > now) break;
        items.push({ id: `seed-${tenantId}-${user}-${course}-${day}-${m}`, course, user, day, at, kind: 'heartbeat', activeMs: 5 * 60_000 });
      }
      if (submit) items.push({ id: `seed-${tenantId}-${user}-${course}-${day}-sub`, course, user, day, at, kind: 'submission', activeMs: 0 });
    }
  }
  const ctx = contextFor(tenant, await store.getCalendar(tenantId));
  for (let i = 0; i < items.length; i += 2000) await store.ingest(tenantId, items.slice(i, i + 2000), now, ctx.classify);
  return { tenant: tenantId, schools, courses: seeded, stories };
}
