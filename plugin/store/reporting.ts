// Reporting queries for the attendance dashboard: the flag queue, enrolled
// students with their running counts, and activity by course and day. Plain
// Kysely over SqlStore.db so SQLite and PostgreSQL run the same statements;
// status itself is computed by the shared pure functions, not in SQL.
//
// Scope: `schools: null` means every school (an admin); otherwise only
// students whose school (the roster's, else their course's) is listed.
import { sql, type Expression, type Kysely, type SqlBool } from 'kysely';
import type { Database } from './schema.ts';
import type { DashboardTables } from './migrations-dashboard.ts';
import type { SqlStore } from './sql-store.ts';
import type { DayFacts } from '../../shared/status.ts';

export type DashDb = Kysely<Database & DashboardTables>;

export function dashDb(store: SqlStore): DashDb {
  return store.db as unknown as DashDb;
}

const CHUNK = 400;
function* chunks<T>(items: T[], size = CHUNK): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}

const never = sql<SqlBool>`1 = 0`;

/** `%` and `_` typed by a user match themselves. */
export function likePattern(term: string): string {
  return `%${term.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

// ---- queue ----

export interface QueueFilter {
  school?: string;
  grade?: string;
  course?: string;
  reason?: string;
  /** a state, 'active' (not resolved) or 'all' */
  state: string;
  /** a label, or null for unassigned; undefined for anyone */
  assignee?: string | null;
  createdBefore?: number;
  createdAfter?: number;
  q?: string;
  sort: 'oldest' | 'newest' | 'updated' | 'student' | 'school' | 'state';
  limit: number;
  offset: number;
}

export interface QueueDbRow {
  id: string;
  student: string;
  school: string | null;
  reason: string;
  state: string;
  outcome: string | null;
  assignee: string | null;
  created_at: number;
  updated_at: number;
  given_name: string | null;
  family_name: string | null;
  grade: string | null;
  sis_id: string | null;
  school_name: string | null;
}

export async function queueQuery(store: SqlStore, tenant: string, f: QueueFilter, schools: string[] | null): Promise<{ rows: QueueDbRow[]; total: number }> {
  const db = dashDb(store);
  let q = db
    .selectFrom('flags as f')
    .leftJoin('people as p', (j) => j.onRef('p.tenant', '=', 'f.tenant').onRef('p.id', '=', 'f.student'))
    .leftJoin('schools as s', (j) => j.onRef('s.tenant', '=', 'f.tenant').onRef('s.id', '=', 'f.school'))
    .where('f.tenant', '=', tenant);
  if (schools) q = schools.length ? q.where('f.school', 'in', schools) : q.where(never);
  if (f.school) q = q.where('f.school', '=', f.school);
  if (f.grade) q = q.where('p.grade', '=', f.grade);
  if (f.reason) q = q.where('f.reason', '=', f.reason);
  if (f.state === 'active') q = q.where('f.state', '<>', 'resolved');
  else if (f.state !== 'all') q = q.where('f.state', '=', f.state);
  if (f.assignee === null) q = q.where('f.assignee', 'is', null);
  else if (f.assignee !== undefined) q = q.where('f.assignee', '=', f.assignee);
  if (f.createdBefore !== undefined) q = q.where('f.created_at', '<=', f.createdBefore);
  if (f.createdAfter !== undefined) q = q.where('f.created_at', '>=', f.createdAfter);
  if (f.course) {
    const course = f.course;
    q = q.where('f.id', 'in', (eb) => eb.selectFrom('flag_raisers').select('flag').where('flag_raisers.tenant', '=', tenant).where('flag_raisers.course', '=', course));
  }
  const term = f.q?.trim();
  if (term) {
    const pattern = likePattern(term);
    q = q.where((eb) => {
      const given = sql<string>`COALESCE(${eb.ref('p.given_name')}, '')`;
      const family = sql<string>`COALESCE(${eb.ref('p.family_name')}, '')`;
      const like = (e: Expression<string>) => sql<SqlBool>`lower(${e}) LIKE ${pattern} ESCAPE '\\'`;
      return eb.or([
        eb('f.student', '=', term),
        eb('p.sis_id', '=', term),
        like(sql<string>`${given} || ' ' || ${family}`),
        like(sql<string>`${family} || ', ' || ${given}`),
      ]);
    });
  }
  const total = Number((await q.select((eb) => eb.fn.countAll().as('n')).executeTakeFirst())?.n ?? 0);
  let page = q.select([
    'f.id',
    'f.student',
    'f.school',
    'f.reason',
    'f.state',
    'f.outcome',
    'f.assignee',
    'f.created_at',
    'f.updated_at',
    'p.given_name',
    'p.family_name',
    'p.grade',
    'p.sis_id',
    's.name as school_name',
  ]);
  switch (f.sort) {
    case 'oldest':
      page = page.orderBy('f.created_at', 'asc');
      break;
    case 'newest':
      page = page.orderBy('f.created_at', 'desc');
      break;
    case 'updated':
      page = page.orderBy('f.updated_at', 'desc');
      break;
    case 'student':
      page = page.orderBy(sql`COALESCE(p.family_name, f.student)`).orderBy(sql`COALESCE(p.given_name, '')`);
      break;
    case 'school':
      page = page.orderBy(sql`COALESCE(s.name, f.school, '')`).orderBy('f.created_at', 'asc');
      break;
    case 'state':
      page = page.orderBy(sql`CASE f.state WHEN 'open' THEN 0 WHEN 'assigned' THEN 1 WHEN 'contacted' THEN 2 ELSE 3 END`).orderBy('f.created_at', 'asc');
      break;
  }
  const rows = await page.orderBy('f.id').limit(f.limit).offset(f.offset).execute();
  return {
    rows: rows.map((r) => ({ ...r, created_at: Number(r.created_at), updated_at: Number(r.updated_at) })),
    total,
  };
}

export interface FlagDetails {
  raisers: Map<string, { course: string; teacher: string; at: number }[]>;
  events: Map<string, { seq: number; at: number; actor: string; kind: string; note: string | null; method: string | null; result: string | null; outcome: string | null; assignee: string | null; course: string | null }[]>;
}

export async function flagDetails(store: SqlStore, tenant: string, ids: string[]): Promise<FlagDetails> {
  const db = dashDb(store);
  const out: FlagDetails = { raisers: new Map(), events: new Map() };
  for (const part of chunks(ids)) {
    const raisers = await db.selectFrom('flag_raisers').select(['flag', 'course', 'teacher', 'at']).where('tenant', '=', tenant).where('flag', 'in', part).orderBy('at').execute();
    for (const r of raisers) {
      const list = out.raisers.get(r.flag) ?? [];
      list.push({ course: r.course, teacher: r.teacher, at: Number(r.at) });
      out.raisers.set(r.flag, list);
    }
    const events = await db.selectFrom('flag_events').selectAll().where('tenant', '=', tenant).where('flag', 'in', part).orderBy('flag').orderBy('seq').execute();
    for (const e of events) {
      const list = out.events.get(e.flag) ?? [];
      list.push({ seq: e.seq, at: Number(e.at), actor: e.actor, kind: e.kind, note: e.note, method: e.method, result: e.result, outcome: e.outcome, assignee: e.assignee, course: e.course });
      out.events.set(e.flag, list);
    }
  }
  return out;
}

/** Flag ids of one student, newest first; the caller checks visibility. */
export async function flagIdsOfStudent(store: SqlStore, tenant: string, student: string): Promise<string[]> {
  const rows = await dashDb(store).selectFrom('flags').select('id').where('tenant', '=', tenant).where('student', '=', student).orderBy('created_at', 'desc').execute();
  return rows.map((r) => r.id);
}

/** Active (unresolved) flags per student, within scope. */
export async function activeFlagStudents(store: SqlStore, tenant: string, schools: string[] | null): Promise<Map<string, number>> {
  let q = dashDb(store).selectFrom('flags').select(['student', (eb) => eb.fn.countAll().as('n')]).where('tenant', '=', tenant).where('state', '<>', 'resolved');
  if (schools) q = schools.length ? q.where('school', 'in', schools) : q.where(never);
  const rows = await q.groupBy('student').execute();
  return new Map(rows.map((r) => [r.student, Number(r.n)]));
}

// ---- enrolled students ----

export interface EnrollmentFilter {
  schools: string[] | null;
  school?: string;
  course?: string;
  grade?: string;
  student?: string;
}

export interface EnrollmentStatusRow {
  course: string;
  courseTitle: string | null;
  courseSchool: string | null;
  student: string;
  sisId: string | null;
  givenName: string | null;
  familyName: string | null;
  grade: string | null;
  /** The student's school: the roster's, else the course's. */
  school: string | null;
  groups: string[];
  startDay: number | null;
  endDay: number | null;
  presentDays: number | null;
  partialDays: number | null;
  firstAt: number | null;
  lastAt: number | null;
  lastDay: number | null;
  today: DayFacts | null;
}

/** Every student enrollment in scope with its running counts and today's facts. */
export async function enrollmentRows(store: SqlStore, tenant: string, f: EnrollmentFilter, today: number): Promise<EnrollmentStatusRow[]> {
  const db = dashDb(store);
  let q = db
    .selectFrom('enrollments as e')
    .leftJoin('courses as c', (j) => j.onRef('c.tenant', '=', 'e.tenant').onRef('c.id', '=', 'e.course'))
    .leftJoin('people as p', (j) => j.onRef('p.tenant', '=', 'e.tenant').onRef('p.id', '=', 'e.person'))
    .leftJoin('summaries as s', (j) => j.onRef('s.tenant', '=', 'e.tenant').onRef('s.course', '=', 'e.course').onRef('s.user', '=', 'e.person'))
    .leftJoin('rollups as r', (j) => j.onRef('r.tenant', '=', 'e.tenant').onRef('r.course', '=', 'e.course').onRef('r.user', '=', 'e.person').on('r.day', '=', today))
    .where('e.tenant', '=', tenant)
    .where('e.role', '=', 'student');
  const schoolOf = sql<string | null>`COALESCE(p.school, c.school)`;
  if (f.schools) q = f.schools.length ? q.where(schoolOf, 'in', f.schools) : q.where(never);
  if (f.school) q = q.where(schoolOf, '=', f.school);
  if (f.course) q = q.where('e.course', '=', f.course);
  if (f.grade) q = q.where('p.grade', '=', f.grade);
  if (f.student) q = q.where('e.person', '=', f.student);
  const rows = await q
    .select([
      'e.course',
      'c.title',
      'c.school as course_school',
      'e.person',
      'p.sis_id',
      'p.given_name',
      'p.family_name',
      'p.grade',
      schoolOf.as('school'),
      'p.groups',
      'e.start_day',
      'e.end_day',
      's.present_days',
      's.partial_days',
      's.first_at',
      's.last_at',
      's.last_day',
      'r.engaged_s',
      'r.signals',
      'r.submissions',
      'r.live',
      'r.check_ins',
    ])
    .orderBy('e.person')
    .orderBy('e.course')
    .execute();
  const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  return rows.map((r) => ({
    course: r.course,
    courseTitle: r.title ?? null,
    courseSchool: r.course_school ?? null,
    student: r.person,
    sisId: r.sis_id ?? null,
    givenName: r.given_name ?? null,
    familyName: r.family_name ?? null,
    grade: r.grade ?? null,
    school: r.school ?? null,
    groups: r.groups ? (JSON.parse(r.groups) as string[]) : [],
    startDay: num(r.start_day),
    endDay: num(r.end_day),
    presentDays: num(r.present_days),
    partialDays: num(r.partial_days),
    firstAt: num(r.first_at),
    lastAt: num(r.last_at),
    lastDay: num(r.last_day),
    today:
      r.signals === null || r.signals === undefined
        ? null
        : { engagedSeconds: Number(r.engaged_s ?? 0), signals: Number(r.signals), submissions: Number(r.submissions ?? 0), liveSessions: Number(r.live ?? 0), checkIns: Number(r.check_ins ?? 0) },
  }));
}

// ---- activity by course and day ----

export interface ActivityRow {
  course: string;
  school: string | null;
  day: number;
  /** student-course-days with any signal */
  active: number;
  /** … that were present under the policy */
  present: number;
  engagedSeconds: number;
}

/**
 * Students' activity per course and day in [from, to], from the course_days
 * aggregate the ingest drain keeps (teachers excluded; present and partial
 * under the policy in force when the signals were folded, recomputed on a
 * policy or calendar change). `required` and `loggedInRule` are kept for the
 * callers' sake: the aggregate already applied them.
 */
export async function activityByCourseDay(
  store: SqlStore,
  tenant: string,
  f: { schools: string[] | null; school?: string; /** Only these courses: lets the store seek by its key. */ courses?: string[] },
  from: number,
  to: number,
  _required?: (day: number) => number,
  _loggedInRule?: boolean,
): Promise<ActivityRow[]> {
  const db = dashDb(store);
  const out: ActivityRow[] = [];
  const run = async (courses: string[] | null) => {
    let q = db
      .selectFrom('course_days as d')
      .leftJoin('courses as c', (j) => j.onRef('c.tenant', '=', 'd.tenant').onRef('c.id', '=', 'd.course'))
      .select(['d.course', 'd.day', 'c.school', 'd.active', 'd.present', 'd.engaged_s'])
      .where('d.tenant', '=', tenant)
      .where('d.day', '>=', from)
      .where('d.day', '<=', to)
      .where('d.active', '>', 0);
    if (courses) q = q.where('d.course', 'in', courses);
    if (f.schools) q = f.schools.length ? q.where('c.school', 'in', f.schools) : q.where(never);
    if (f.school) q = q.where('c.school', '=', f.school);
    for (const r of await q.execute()) {
      out.push({ course: r.course, school: r.school ?? null, day: Number(r.day), active: Number(r.active), present: Number(r.present), engagedSeconds: Number(r.engaged_s) });
    }
  };
  if (f.courses) for (const part of chunks([...new Set(f.courses)].sort())) await run(part);
  else await run(null);
  return out;
}

// ---- reference data ----

export async function schoolsOf(store: SqlStore, tenant: string, schools: string[] | null): Promise<{ id: string; name: string }[]> {
  let q = dashDb(store).selectFrom('schools').select(['id', 'name']).where('tenant', '=', tenant);
  if (schools) q = schools.length ? q.where('id', 'in', schools) : q.where(never);
  return q.orderBy('name').execute();
}

export async function coursesOf(store: SqlStore, tenant: string, schools: string[] | null): Promise<{ id: string; title: string | null; school: string | null }[]> {
  let q = dashDb(store).selectFrom('courses').select(['id', 'title', 'school']).where('tenant', '=', tenant);
  if (schools) q = schools.length ? q.where('school', 'in', schools) : q.where(never);
  return q.orderBy('title').orderBy('id').execute();
}

export async function courseTitles(store: SqlStore, tenant: string, ids: string[]): Promise<Map<string, string | null>> {
  const out = new Map<string, string | null>();
  for (const part of chunks([...new Set(ids)])) {
    const rows = await dashDb(store).selectFrom('courses').select(['id', 'title']).where('tenant', '=', tenant).where('id', 'in', part).execute();
    for (const r of rows) out.set(r.id, r.title);
  }
  return out;
}

/** Grades and student groups present among students in scope. */
export async function gradesAndGroups(store: SqlStore, tenant: string, schools: string[] | null): Promise<{ grades: string[]; groups: string[] }> {
  let q = dashDb(store).selectFrom('people').select(['grade', 'groups']).distinct().where('tenant', '=', tenant).where('role', '=', 'student');
  if (schools) q = schools.length ? q.where('school', 'in', schools) : q.where(never);
  const rows = await q.execute();
  const grades = new Set<string>();
  const groups = new Set<string>();
  for (const r of rows) {
    if (r.grade) grades.add(r.grade);
    if (r.groups) for (const g of JSON.parse(r.groups) as string[]) groups.add(g);
  }
  const byNumber = (a: string, b: string) => (Number(a) - Number(b)) || a.localeCompare(b);
  return { grades: [...grades].sort(byNumber), groups: [...groups].sort() };
}

/** Labels of live staff and admin credentials whose schools overlap the scope: who a case can go to. */
export async function staffLabels(store: SqlStore, tenant: string, schools: string[] | null, now: number): Promise<string[]> {
  const rows = await dashDb(store)
    .selectFrom('credentials')
    .select(['label', 'role', 'schools'])
    .where('tenant', '=', tenant)
    .where('role', 'in', ['staff', 'admin'])
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', now)
    .execute();
  const labels = new Set<string>();
  for (const r of rows) {
    const theirs = JSON.parse(r.schools) as string[];
    if (r.role === 'admin' || !schools || theirs.some((s) => schools.includes(s))) labels.add(r.label);
  }
  return [...labels].sort((a, b) => a.localeCompare(b));
}
