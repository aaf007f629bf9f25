// The dashboard's views, computed from the reporting queries with the shared
// status functions, so the dashboard, the extension and the server agree.
import { countSchoolDays, isSchoolDay } from '../../shared/calendar.ts';
import { isoFromDay, weekdayOf } from '../../shared/days.ts';
import { requiredEngagedSeconds, type ComputedStatus } from '../../shared/status.ts';
import { tierFor, type Tier } from '../../shared/policy.ts';
import type { ChronicRow, GroupStat, NeverLoggedInRow, NotSeenRow, Picture, TrendWeek, BrightSpot, QueueRow, CaseCourse } from '../../shared/dashboard-api.ts';
import type { FlagEvent } from '../../shared/api.ts';
import { statusFor, type TenantContext } from '../server/tenant-context.ts';
import type { SqlStore } from '../store/sql-store.ts';
import { toFlagEvent } from '../server/flag-views.ts';
import { activeFlagStudents, activityByCourseDay, courseTitles, enrollmentRows, flagDetails, schoolsOf, type EnrollmentStatusRow, type QueueDbRow } from '../store/reporting.ts';

const DAY_MS = 86_400_000;
const round4 = (x: number) => Math.round(x * 10000) / 10000;

export function personName(given: string | null, family: string | null): string | null {
  const n = [given, family].filter((x) => x && x.trim()).join(' ').trim();
  return n || null;
}

/** The same computation the teacher's roster uses (first-seen fallback included), so both show one status. */
export function statusOf(ctx: TenantContext, today: number, r: EnrollmentStatusRow): ComputedStatus {
  return statusFor(ctx, today, r);
}

const ended = (r: EnrollmentStatusRow, today: number) => r.endDay !== null && r.endDay < today;
const notStarted = (r: EnrollmentStatusRow, today: number) => r.startDay !== null && r.startDay > today;

// ---- queue ----

export async function queueRows(store: SqlStore, tenant: string, rows: QueueDbRow[], now: number): Promise<QueueRow[]> {
  const details = await flagDetails(store, tenant, rows.map((r) => r.id));
  const titles = await courseTitles(store, tenant, [...details.raisers.values()].flat().map((r) => r.course));
  return rows.map((r) => {
    const raisers = details.raisers.get(r.id) ?? [];
    const events = details.events.get(r.id) ?? [];
    const last = events[events.length - 1];
    const courses = [...new Set(raisers.map((x) => x.course))];
    return {
      flagId: r.id,
      student: r.student,
      studentName: personName(r.given_name, r.family_name),
      sisId: r.sis_id,
      grade: r.grade,
      school: r.school,
      schoolName: r.school_name,
      reason: r.reason as QueueRow['reason'],
      state: r.state as QueueRow['state'],
      outcome: r.outcome as QueueRow['outcome'],
      assignee: r.assignee,
      courses: courses.map((c) => ({ id: c, name: titles.get(c) ?? c })),
      raisedBy: [...new Set(raisers.map((x) => x.teacher))],
      createdAt: new Date(r.created_at).toISOString(),
      updatedAt: new Date(r.updated_at).toISOString(),
      ageDays: Math.max(0, Math.floor((now - r.created_at) / DAY_MS)),
      contacts: events.filter((e) => e.kind === 'contact').length,
      lastEvent: last ? (toFlagEvent(last) as FlagEvent) : null,
    };
  });
}

// ---- case ----

export function caseCourses(ctx: TenantContext, today: number, rows: EnrollmentStatusRow[]): CaseCourse[] {
  return rows.map((r) => {
    const s = statusOf(ctx, today, r);
    return {
      id: r.course,
      title: r.courseTitle,
      school: r.courseSchool,
      headline: s.headline,
      todayState: s.todayState,
      todayEngagedMinutes: s.todayEngagedMinutes,
      neverLoggedIn: s.neverLoggedIn,
      lastSeenAt: s.lastSeenAt === null ? null : new Date(s.lastSeenAt).toISOString(),
      schoolDaysSinceSeen: s.schoolDaysSinceSeen,
      daysEnrolled: s.daysEnrolled,
      daysPresent: s.daysPresent,
      daysPartial: s.daysPartial,
      daysAbsent: s.daysAbsent,
      absenceRate: round4(s.absenceRate),
      tier: s.tier,
    };
  });
}

// ---- per-student aggregation (lists and picture) ----

interface StudentAgg {
  student: string;
  sisId: string | null;
  name: string | null;
  familyName: string | null;
  grade: string | null;
  school: string | null;
  groups: string[];
  courses: number;
  neverLoggedIn: boolean;
  lastDay: number | null;
  lastAt: number | null;
  schoolDaysSinceSeen: number | null;
  daysEnrolled: number;
  enrolledDaysTotal: number;
  absences: number;
  attended: number;
  absenceRate: number;
  tier: Tier;
  worstCourse: string | null;
  worstCourseRate: number | null;
}

/** One row per student over their current enrollments. */
export function aggregateStudents(ctx: TenantContext, today: number, rows: EnrollmentStatusRow[]): StudentAgg[] {
  const policy = ctx.tenant.policy;
  const by = new Map<string, StudentAgg>();
  for (const r of rows) {
    if (ended(r, today) || notStarted(r, today)) continue;
    const s = statusOf(ctx, today, r);
    let a = by.get(r.student);
    if (!a) {
      a = {
        student: r.student,
        sisId: r.sisId,
        name: personName(r.givenName, r.familyName),
        familyName: r.familyName,
        grade: r.grade,
        school: r.school,
        groups: r.groups,
        courses: 0,
        neverLoggedIn: true,
        lastDay: null,
        lastAt: null,
        schoolDaysSinceSeen: null,
        daysEnrolled: 0,
        enrolledDaysTotal: 0,
        absences: 0,
        attended: 0,
        absenceRate: 0,
        tier: 'satisfactory',
        worstCourse: null,
        worstCourseRate: null,
      };
      by.set(r.student, a);
    }
    a.courses++;
    if (!s.neverLoggedIn) a.neverLoggedIn = false;
    if (r.lastDay !== null && (a.lastDay === null || r.lastDay > a.lastDay)) a.lastDay = r.lastDay;
    if (r.lastAt !== null && (a.lastAt === null || r.lastAt > a.lastAt)) a.lastAt = r.lastAt;
    a.daysEnrolled = Math.max(a.daysEnrolled, s.daysEnrolled);
    a.enrolledDaysTotal += s.daysEnrolled;
    a.absences += s.daysAbsent + s.daysPartial * policy.partialAbsenceWeight;
    a.attended += s.daysPresent + s.daysPartial * (1 - policy.partialAbsenceWeight);
    if (s.daysEnrolled > 0 && (a.worstCourseRate === null || s.absenceRate > a.worstCourseRate)) {
      a.worstCourseRate = round4(s.absenceRate);
      a.worstCourse = r.courseTitle ?? r.course;
    }
  }
  for (const a of by.values()) {
    a.absenceRate = a.enrolledDaysTotal > 0 ? round4(a.absences / a.enrolledDaysTotal) : 0;
    a.tier = tierFor(a.absenceRate, policy);
    a.schoolDaysSinceSeen = a.lastDay === null ? null : a.lastDay >= today ? 0 : countSchoolDays(ctx.calendar, a.lastDay + 1, today - 1);
  }
  return [...by.values()];
}

const byName = (a: { familyName?: string | null; name: string | null; student: string }, b: typeof a) =>
  (a.familyName ?? a.name ?? a.student).localeCompare(b.familyName ?? b.name ?? b.student) || a.student.localeCompare(b.student);

type SchoolNames = Map<string, string>;

export function neverLoggedInList(ctx: TenantContext, today: number, rows: EnrollmentStatusRow[], schoolNames: SchoolNames): NeverLoggedInRow[] {
  const out: (NeverLoggedInRow & { familyName: string | null })[] = [];
  for (const r of rows) {
    if (ended(r, today) || notStarted(r, today)) continue;
    const s = statusOf(ctx, today, r);
    if (!s.neverLoggedIn) continue;
    out.push({
      student: r.student,
      sisId: r.sisId,
      name: personName(r.givenName, r.familyName),
      familyName: r.familyName,
      grade: r.grade,
      school: r.school,
      schoolName: r.school ? (schoolNames.get(r.school) ?? r.school) : null,
      course: r.course,
      courseTitle: r.courseTitle,
      enrolledSince: r.startDay === null ? null : isoFromDay(r.startDay),
      schoolDaysEnrolled: s.daysEnrolled,
    });
  }
  out.sort((a, b) => (a.schoolName ?? '').localeCompare(b.schoolName ?? '') || (a.courseTitle ?? a.course).localeCompare(b.courseTitle ?? b.course) || byName(a, b));
  return out.map(({ familyName: _f, ...r }) => r);
}

export function notSeenList(ctx: TenantContext, today: number, rows: EnrollmentStatusRow[], days: number, includeNever: boolean, schoolNames: SchoolNames): NotSeenRow[] {
  return aggregateStudents(ctx, today, rows)
    .filter((a) => (a.schoolDaysSinceSeen === null ? includeNever : a.schoolDaysSinceSeen >= days))
    .sort((a, b) => (b.schoolDaysSinceSeen ?? Infinity) - (a.schoolDaysSinceSeen ?? Infinity) || byName(a, b))
    .map((a) => ({
      student: a.student,
      sisId: a.sisId,
      name: a.name,
      grade: a.grade,
      school: a.school,
      schoolName: a.school ? (schoolNames.get(a.school) ?? a.school) : null,
      lastSeenAt: a.lastAt === null ? null : new Date(a.lastAt).toISOString(),
      schoolDaysSinceSeen: a.schoolDaysSinceSeen,
      courses: a.courses,
    }));
}

export function chronicList(ctx: TenantContext, today: number, rows: EnrollmentStatusRow[], tier: Tier | undefined, schoolNames: SchoolNames): ChronicRow[] {
  return aggregateStudents(ctx, today, rows)
    .filter((a) => a.daysEnrolled > 0 && (tier ? a.tier === tier : a.tier === 'moderate_chronic' || a.tier === 'severe_chronic'))
    .sort((a, b) => b.absenceRate - a.absenceRate || byName(a, b))
    .map((a) => ({
      student: a.student,
      sisId: a.sisId,
      name: a.name,
      grade: a.grade,
      school: a.school,
      schoolName: a.school ? (schoolNames.get(a.school) ?? a.school) : null,
      daysEnrolled: a.daysEnrolled,
      absenceRate: a.absenceRate,
      tier: a.tier,
      worstCourse: a.worstCourse,
      worstCourseRate: a.worstCourseRate,
    }));
}

// ---- picture ----

const GROUP_LABELS: Record<string, string> = { ell: 'English learners', iep: 'Students with an IEP', '504': 'Section 504', frl: 'Free/reduced lunch', homeless: 'Experiencing homelessness', foster: 'Foster care' };

function groupStat(key: string, label: string, students: StudentAgg[], notSeenDays: number, flags: Map<string, number>): GroupStat {
  let never = 0, notSeen = 0, atRisk = 0, chronic = 0, attended = 0, enrolled = 0, openFlags = 0;
  for (const a of students) {
    if (a.neverLoggedIn) never++;
    else if ((a.schoolDaysSinceSeen ?? 0) >= notSeenDays) notSeen++;
    if (a.tier === 'at_risk') atRisk++;
    if (a.daysEnrolled > 0 && (a.tier === 'moderate_chronic' || a.tier === 'severe_chronic')) chronic++;
    attended += a.attended;
    enrolled += a.enrolledDaysTotal;
    openFlags += flags.get(a.student) ?? 0;
  }
  return {
    key,
    label,
    students: students.length,
    neverLoggedIn: never,
    notSeen,
    atRisk,
    chronic,
    chronicRate: students.length ? round4(chronic / students.length) : 0,
    attendanceRate: enrolled ? round4(attended / enrolled) : 0,
    openFlags,
  };
}

function groupBy<T>(items: T[], key: (t: T) => string[]): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const it of items) for (const k of key(it)) m.set(k, [...(m.get(k) ?? []), it]);
  return m;
}

/** Monday of the week holding `day`. */
export function weekStartOf(day: number): number {
  return day - ((weekdayOf(day) + 6) % 7);
}

export async function picture(store: SqlStore, ctx: TenantContext, now: number, scope: string[] | null, opts: { school?: string; weeks: number }): Promise<Picture> {
  const tenant = ctx.tenant.id;
  const policy = ctx.tenant.policy;
  const cal = ctx.calendar;
  const today = ctx.today(now);
  const rows = await enrollmentRows(store, tenant, { schools: scope, school: opts.school }, today);
  const students = aggregateStudents(ctx, today, rows);
  const flags = await activeFlagStudents(store, tenant, scope);
  const schools = await schoolsOf(store, tenant, scope);
  const schoolNames = new Map(schools.map((s) => [s.id, s.name]));
  const notSeenDays = policy.notSeenAlertDays;

  const bySchool = [...groupBy(students, (a) => [a.school ?? '']).entries()]
    .map(([k, list]) => groupStat(k, k ? (schoolNames.get(k) ?? k) : 'No school', list, notSeenDays, flags))
    .sort((a, b) => a.label.localeCompare(b.label));
  const byGrade = [...groupBy(students, (a) => [a.grade ?? '']).entries()]
    .map(([k, list]) => groupStat(k, k ? (/^\d+$/.test(k) ? `Grade ${k}` : k) : 'No grade', list, notSeenDays, flags))
    .sort((a, b) => (Number(a.key) - Number(b.key)) || a.key.localeCompare(b.key));
  const byGroup = [...groupBy(students, (a) => a.groups).entries()]
    .map(([k, list]) => groupStat(k, GROUP_LABELS[k] ?? k.toUpperCase(), list, notSeenDays, flags))
    .sort((a, b) => a.label.localeCompare(b.label));
  const totals = groupStat('all', 'All students', students, notSeenDays, flags);

  // Weekly trend through yesterday: today is still under way.
  const last = today - 1;
  const firstWeek = weekStartOf(last) - 7 * (opts.weeks - 1);
  const weekIndex = (day: number) => Math.floor((day - firstWeek) / 7);
  type Acc = { days: number; active: number; present: number; engaged: number };
  const blank = (): Acc => ({ days: 0, active: 0, present: 0, engaged: 0 });
  const weeks: Acc[] = Array.from({ length: opts.weeks }, blank);
  const courseWeeks = new Map<string, Acc[]>();
  const schoolWeeks = new Map<string, Acc[]>();
  const accFor = (m: Map<string, Acc[]>, k: string) => {
    let a = m.get(k);
    if (!a) m.set(k, (a = Array.from({ length: opts.weeks }, blank)));
    return a;
  };
  const courseInfo = new Map<string, { title: string; school: string | null }>();
  for (const r of rows) {
    courseInfo.set(r.course, { title: r.courseTitle ?? r.course, school: r.courseSchool });
    for (let w = 0; w < opts.weeks; w++) {
      const ws = firstWeek + 7 * w;
      const lo = Math.max(ws, r.startDay ?? ws);
      const hi = Math.min(ws + 6, last, r.endDay ?? last);
      if (hi < lo) continue;
      const n = countSchoolDays(cal, lo, hi);
      weeks[w]!.days += n;
      accFor(courseWeeks, r.course)[w]!.days += n;
      if (r.school) accFor(schoolWeeks, r.school)[w]!.days += n;
    }
  }
  if (last >= firstWeek) {
    // A school's picture reads only its students' courses; a district's reads every course anyway.
    const courses = scope === null && !opts.school ? undefined : [...courseInfo.keys()];
    const activity = await activityByCourseDay(store, tenant, { schools: scope, school: opts.school, courses }, firstWeek, last, (d) => requiredEngagedSeconds(cal, d, policy), policy.rule === 'logged_in');
    for (const a of activity) {
      if (!isSchoolDay(cal, a.day)) continue;
      const w = weekIndex(a.day);
      if (w < 0 || w >= opts.weeks) continue;
      // Partial days count toward attendance as the policy weighs them.
      const attended = a.present + (a.active - a.present) * (1 - policy.partialAbsenceWeight);
      for (const acc of [weeks[w]!, accFor(courseWeeks, a.course)[w]!, ...(a.school ? [accFor(schoolWeeks, a.school)[w]!] : [])]) {
        acc.active += a.active;
        acc.present += attended;
        acc.engaged += a.engagedSeconds;
      }
    }
  }
  const trend: TrendWeek[] = weeks.map((w, i) => ({
    weekStart: isoFromDay(firstWeek + 7 * i),
    studentDays: w.days,
    attendanceRate: w.days ? round4(Math.min(1, w.present / w.days)) : null,
    engagementRate: w.days ? round4(Math.min(1, w.active / w.days)) : null,
    avgEngagedMinutes: w.days ? Math.round((w.engaged / 60 / w.days) * 10) / 10 : null,
  }));

  // Bright spots: the latest week with school days against the one before it.
  let latest = -1;
  for (let i = weeks.length - 1; i >= 0; i--) if (weeks[i]!.days > 0) { latest = i; break; }
  let previous = -1;
  for (let i = latest - 1; i >= 0; i--) if (weeks[i]!.days > 0) { previous = i; break; }
  const MIN_DAYS = 10; // too few student-days say nothing
  const spots: BrightSpot[] = [];
  if (latest >= 0) {
    const consider = (kind: 'course' | 'school', id: string, acc: Acc[], label: string, school: string | null) => {
      const cur = acc[latest]!;
      if (cur.days < MIN_DAYS) return;
      const rate = round4(Math.min(1, cur.active / cur.days));
      const prev = previous >= 0 && acc[previous]!.days >= MIN_DAYS ? round4(Math.min(1, acc[previous]!.active / acc[previous]!.days)) : null;
      spots.push({ kind, id, label, school, engagementRate: rate, previousRate: prev, change: prev === null ? null : round4(rate - prev), studentDays: cur.days });
    };
    for (const [id, acc] of courseWeeks) consider('course', id, acc, courseInfo.get(id)?.title ?? id, courseInfo.get(id)?.school ?? null);
    for (const [id, acc] of schoolWeeks) consider('school', id, acc, schoolNames.get(id) ?? id, id);
  }
  const highest = [...spots.filter((s) => s.kind === 'school').sort((a, b) => b.engagementRate - a.engagementRate).slice(0, 3), ...spots.filter((s) => s.kind === 'course').sort((a, b) => b.engagementRate - a.engagementRate).slice(0, 5)];
  const improved = spots
    .filter((s) => s.change !== null && s.change > 0)
    .sort((a, b) => b.change! - a.change!)
    .slice(0, 5);

  return { today: isoFromDay(today), notSeenDays, totals, bySchool, byGrade, byGroup, weeks: trend, brightSpots: { highest, improved } };
}
