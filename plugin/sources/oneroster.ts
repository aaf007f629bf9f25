// OneRoster 1.1 CSV import: orgs, users, classes, enrollments, academicSessions
// (and demographics when present). Every row is validated; one bad row rejects
// the whole import and nothing is written. Re-importing the same files changes nothing.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { dayFromIso, isoFromDay, localDay } from '../../shared/days.ts';
import { weekdayCalendar } from '../../shared/calendar.ts';
import type { Course, Enrollment, Person, RosterCounts, School, Store } from '../store/store.ts';
import { ImportRejected, csvErrorToRowError, readCsv, type CsvRow, type RowError } from './csv-rows.ts';

export interface RosterImportResult {
  counts: RosterCounts;
  skipped: { file: string; line: number; reason: string }[];
  schoolYear: { start: string; end: string } | null;
}

const REQUIRED = ['orgs.csv', 'users.csv', 'classes.csv', 'enrollments.csv'] as const;
const USER_ROLES = new Set(['student', 'teacher', 'administrator', 'aide', 'guardian', 'parent', 'relative', 'proctor']);
const TEACHING_ROLES = new Set(['teacher', 'aide', 'administrator', 'proctor']);
const ISO = /^\d{4}-\d{2}-\d{2}$/;
/** Demographic columns that become student groups; birth dates, birthplaces and the rest are not kept. */
const GROUP_COLUMNS: Record<string, string> = {
  americanIndianOrAlaskaNative: 'american_indian_or_alaska_native',
  asian: 'asian',
  blackOrAfricanAmerican: 'black_or_african_american',
  nativeHawaiianOrOtherPacificIslander: 'native_hawaiian_or_pacific_islander',
  white: 'white',
  demographicRaceTwoOrMoreRaces: 'two_or_more_races',
  hispanicOrLatinoEthnicity: 'hispanic_or_latino',
};

type Progress = (file: string, bytes: number, total: number) => void;

/** `{Canvas:123},{LDAP:abc}` → Map(canvas → 123, ldap → abc). */
export function parseUserIds(raw: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of (raw ?? '').matchAll(/\{\s*([^:{}]+?)\s*:\s*([^{}]+?)\s*\}/g)) out.set(m[1]!.toLowerCase(), m[2]!);
  return out;
}

export async function importOneRoster(store: Store, tenant: string, dir: string, now: number, onProgress?: Progress): Promise<RosterImportResult> {
  const t = await store.getTenant(tenant);
  if (!t) throw new Error(`no tenant ${tenant}`);
  const errors: RowError[] = [];
  const skipped: RosterImportResult['skipped'] = [];
  for (const f of REQUIRED) if (!existsSync(join(dir, f))) errors.push({ file: f, line: 0, message: `missing required file ${f}` });
  if (errors.length) throw new ImportRejected(errors);

  const rows = async (file: string, required: string[], each: (r: CsvRow, err: (m: string) => void) => void) => {
    const path = join(dir, file);
    if (!existsSync(path)) return;
    let headerChecked = false;
    try {
      for await (const r of readCsv(path, (b, tot) => onProgress?.(file, b, tot))) {
        if (!headerChecked) {
          const missing = required.filter((c) => !(c in r.values));
          if (missing.length) {
            errors.push({ file, line: 1, message: `missing column(s): ${missing.join(', ')}` });
            return;
          }
          headerChecked = true;
        }
        each(r, (m) => errors.push({ file, line: r.line, message: m }));
        if (errors.length > 1000) return;
      }
    } catch (e) {
      errors.push(csvErrorToRowError(file, e));
    }
  };
  const isDeleted = (v: Record<string, string>) => (v.status ?? '').toLowerCase() === 'tobedeleted';
  const dateOrNull = (v: string | undefined, err: (m: string) => void, col: string): number | null => {
    if (!v) return null;
    if (!ISO.test(v)) return err(`${col} must be YYYY-MM-DD, got ${JSON.stringify(v.slice(0, 40))}`), null;
    try {
      return dayFromIso(v);
    } catch {
      return err(`${col} is not a real date: ${v}`), null;
    }
  };

  // orgs
  const schools = new Map<string, School>();
  await rows('orgs.csv', ['sourcedId', 'name', 'type'], ({ values: v }, err) => {
    if (!v.sourcedId) return err('sourcedId is empty');
    if (schools.has(v.sourcedId)) return err(`duplicate sourcedId ${v.sourcedId}`);
    if (!v.name) return err('name is empty');
    // Districts and other org levels are kept as schools too: staff may be scoped to any of them.
    schools.set(v.sourcedId, { id: v.sourcedId, name: v.name.slice(0, 200) });
  });

  // academicSessions (optional): the school year bounds the calendar.
  let yearStart: number | null = null;
  let yearEnd: number | null = null;
  await rows('academicSessions.csv', ['sourcedId', 'type', 'startDate', 'endDate'], ({ values: v }, err) => {
    const s = dateOrNull(v.startDate, err, 'startDate');
    const e = dateOrNull(v.endDate, err, 'endDate');
    if (s !== null && e !== null && e < s) return err('endDate is before startDate');
    if (v.type === 'schoolYear' && s !== null && e !== null) {
      yearStart = yearStart === null ? s : Math.min(yearStart, s);
      yearEnd = yearEnd === null ? e : Math.max(yearEnd, e);
    }
  });

  // demographics (optional): only the groups used for reporting are kept.
  const groupsBySis = new Map<string, string[]>();
  await rows('demographics.csv', ['sourcedId'], ({ values: v }, err) => {
    if (!v.sourcedId) return err('sourcedId is empty');
    const groups: string[] = [];
    for (const [col, group] of Object.entries(GROUP_COLUMNS)) if ((v[col] ?? '').toLowerCase() === 'true') groups.push(group);
    if (v.sex === 'male' || v.sex === 'female') groups.push(v.sex);
    groupsBySis.set(v.sourcedId, groups);
  });

  // users
  const people = new Map<string, Person>(); // by sourcedId
  const lmsIds = new Set<string>();
  const skippedUsers = new Set<string>();
  await rows('users.csv', ['sourcedId', 'role', 'givenName', 'familyName'], ({ line, values: v }, err) => {
    if (!v.sourcedId) return err('sourcedId is empty');
    if (people.has(v.sourcedId)) return err(`duplicate sourcedId ${v.sourcedId}`);
    const role = (v.role ?? '').toLowerCase();
    if (!USER_ROLES.has(role)) return err(`unknown role ${JSON.stringify(v.role)}`);
    // Keep only the people the job needs: guardians and relatives are never stored.
    if (role !== 'student' && !TEACHING_ROLES.has(role)) return void (skippedUsers.add(v.sourcedId), skipped).push({ file: 'users.csv', line, reason: `role ${role} is not kept` });
    const ids = parseUserIds(v.userIds);
    const lmsId = v['metadata.lmsId'] || ids.get(t.lmsKind) || ids.get('lms') || v.sourcedId;
    if (lmsId.length > 64 || !/^[\x21-\x7E]+$/.test(lmsId)) return err(`LMS id ${JSON.stringify(lmsId.slice(0, 70))} is not a printable id of at most 64 characters`);
    if (lmsIds.has(lmsId)) return err(`LMS id ${lmsId} is used by two users`);
    lmsIds.add(lmsId);
    const orgs = (v.orgSourcedIds ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    const school = orgs.find((o) => schools.has(o)) ?? null;
    if (orgs.length && !school) return err(`orgSourcedIds ${v.orgSourcedIds} names no org in orgs.csv`);
    const extra = (v['metadata.groups'] ?? '').split(/[;,]/).map((g) => g.trim().toLowerCase()).filter(Boolean);
    people.set(v.sourcedId, {
      id: lmsId,
      sisId: v.sourcedId,
      ltiSub: null,
      role,
      givenName: v.givenName?.slice(0, 100) || null,
      familyName: v.familyName?.slice(0, 100) || null,
      grade: (v.grades ?? '').split(',')[0]?.trim() || null,
      school,
      groups: [...(groupsBySis.get(v.sourcedId) ?? []), ...extra],
    });
  });

  // classes
  const courses = new Map<string, Course>();
  const courseIds = new Set<string>();
  await rows('classes.csv', ['sourcedId', 'title', 'schoolSourcedId'], ({ values: v }, err) => {
    if (!v.sourcedId) return err('sourcedId is empty');
    if (courses.has(v.sourcedId)) return err(`duplicate sourcedId ${v.sourcedId}`);
    if (!schools.has(v.schoolSourcedId ?? '')) return err(`schoolSourcedId ${JSON.stringify(v.schoolSourcedId)} is not in orgs.csv`);
    const lmsId = v['metadata.lmsId'] || v.sourcedId;
    if (lmsId.length > 64 || !/^[\x21-\x7E]+$/.test(lmsId)) return err(`LMS course id ${JSON.stringify(lmsId.slice(0, 70))} is not a printable id of at most 64 characters`);
    if (courseIds.has(lmsId)) return err(`LMS course id ${lmsId} is used by two classes`);
    courseIds.add(lmsId);
    courses.set(v.sourcedId, { id: lmsId, sisId: v.sourcedId, title: v.title?.slice(0, 200) || null, school: v.schoolSourcedId! });
  });

  // enrollments
  const enrollments = new Map<string, Enrollment>();
  const importDay = localDay(now, t.timeZone);
  await rows('enrollments.csv', ['sourcedId', 'classSourcedId', 'userSourcedId', 'role'], ({ line, values: v }, err) => {
    const course = courses.get(v.classSourcedId ?? '');
    const person = people.get(v.userSourcedId ?? '');
    if (!course) return err(`classSourcedId ${JSON.stringify(v.classSourcedId)} is not in classes.csv`);
    if (!person && skippedUsers.has(v.userSourcedId ?? '')) return void skipped.push({ file: 'enrollments.csv', line, reason: 'user is not kept' });
    if (!person) return err(`userSourcedId ${JSON.stringify(v.userSourcedId)} is not in users.csv`);
    const role = (v.role ?? '').toLowerCase();
    let kind: 'student' | 'teacher';
    if (role === 'student') kind = 'student';
    else if (TEACHING_ROLES.has(role)) kind = 'teacher';
    else if (USER_ROLES.has(role)) return void skipped.push({ file: 'enrollments.csv', line, reason: `role ${role} is not tracked` });
    else return err(`unknown role ${JSON.stringify(v.role)}`);
    let start = dateOrNull(v.beginDate, err, 'beginDate');
    let end = dateOrNull(v.endDate, err, 'endDate');
    if (start !== null && end !== null && end < start) return err('endDate is before beginDate');
    // A withdrawn enrollment ends the day before the import that withdrew it.
    if (isDeleted(v)) end = end === null ? importDay - 1 : Math.min(end, importDay - 1);
    if (start === null && yearStart !== null) start = yearStart;
    enrollments.set(`${course.id}\u0000${kind}\u0000${person.id}`, { course: course.id, person: person.id, role: kind, startDay: start, endDay: end });
  });

  if (errors.length) throw new ImportRejected(errors);
  const counts = await store.applyRoster(
    tenant,
    { schools: [...schools.values()], people: [...people.values()], courses: [...courses.values()], enrollments: [...enrollments.values()], source: 'oneroster' },
    now,
  );
  if (yearStart !== null && yearEnd !== null) {
    const cal = await store.getCalendar(tenant);
    // The school year bounds a calendar that has none; an imported calendar's own bounds win.
    if (!cal) await store.setCalendar(tenant, weekdayCalendar(t.policy.defaultDayMinutes, yearStart, yearEnd), now);
    else if (cal.start === null && cal.end === null) await store.setCalendar(tenant, { ...cal, start: yearStart, end: yearEnd }, now);
  }
  return { counts, skipped, schoolYear: yearStart !== null && yearEnd !== null ? { start: isoFromDay(yearStart), end: isoFromDay(yearEnd) } : null };
}

