// Builds a district-year store for the roster benchmark without going through
// ingest (which would take hours): enrollments, summaries and daily rollups
// written directly, in key order, as the drain would have left them.
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { join } from 'node:path';
import { openStore } from '../../plugin/store/open.ts';
import { issueCredential } from '../../plugin/server/credentials.ts';
import { DEFAULT_POLICY } from '../../shared/policy.ts';
import { localDay } from '../../shared/days.ts';
import { isSchoolDay, weekdayCalendar } from '../../shared/calendar.ts';

export interface DistrictShape {
  students: number;
  coursesPerStudent: number;
  classSize: number;
  lectureSize: number;
  days: number;
}

export interface District {
  tenant: string;
  teacherToken: string;
  smallCourse: string;
  lectureCourse: string;
  rollups: number;
  enrollments: number;
  buildSeconds: number;
}

const TENANT = 'district';
const TZ = 'America/Chicago';

function schoolDays(days: number, now: number): number[] {
  const cal = weekdayCalendar(360);
  const out: number[] = [];
  for (let d = localDay(now, TZ); out.length < days; d--) if (isSchoolDay(cal, d)) out.unshift(d);
  return out;
}

/** Student s's courses: one section of each of `coursesPerStudent` course slots; the first `lectureSize` students also share one lecture. */
function enrollmentsOf(shape: DistrictShape): [string, string][] {
  const pairs: [string, string][] = [];
  for (let s = 0; s < shape.students; s++) {
    for (let k = 0; k < shape.coursesPerStudent; k++) pairs.push([`c${k}-${Math.floor(s / shape.classSize)}`, `s${s}`]);
    if (s < shape.lectureSize) pairs.push(['lecture-1', `s${s}`]);
  }
  return pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
}

// Deterministic "was active that day": about nine days in ten.
const active = (user: string, course: string, day: number) => ((user.length * 7919 + Number(user.slice(1)) * 31 + course.length * 104_729 + day * 613) % 10) !== 0;

export async function buildDistrict(target: { dataDir: string; databaseUrl?: string }, shape: DistrictShape, now = Date.now()): Promise<District> {
  const started = performance.now();
  const store = await openStore(target);
  await store.createTenant({ id: TENANT, name: 'Bench District', lmsKind: 'canvas', lmsOrigin: 'https://district.instructure.com', timeZone: TZ, policy: DEFAULT_POLICY }, now);
  const { token } = await issueCredential(store, { tenant: TENANT, role: 'teacher', label: 'bench teacher', person: 't-bench', ttlMs: 86_400_000 }, now);
  await store.close();
  const days = schoolDays(shape.days, now);
  const pairs = enrollmentsOf(shape);
  const start = days[0]!;
  let rollups = 0;

  if (!target.databaseUrl) {
    const db = new BetterSqlite3(join(target.dataDir, 'rosterlens.sqlite'));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = OFF');
    db.pragma('cache_size = -1048576');
    const course = db.prepare('INSERT INTO courses (tenant, id, sis_id, title, school, updated_at) VALUES (?, ?, NULL, ?, ?, ?)');
    const enroll = db.prepare('INSERT INTO enrollments (tenant, course, person, role, start_day, end_day, source, updated_at) VALUES (?, ?, ?, ?, ?, NULL, ?, ?)');
    const summary = db.prepare('INSERT INTO summaries (tenant, course, user, present_days, partial_days, first_at, last_at, last_day) VALUES (?, ?, ?, ?, 0, ?, ?, ?)');
    const rollup = db.prepare('INSERT INTO rollups (tenant, course, user, day, engaged_s, signals, logins, page_views, heartbeats, submissions, posts, live, check_ins, logouts, first_at, last_at) VALUES (?, ?, ?, ?, ?, ?, 1, 3, ?, 0, 0, 0, 0, 0, ?, ?)');
    const courses = new Set(pairs.map((p) => p[0]));
    db.transaction(() => {
      for (const c of courses) {
        course.run(TENANT, c, c, `sch-${c.length % 40}`, now);
        enroll.run(TENANT, c, c === 'c0-0' || c === 'lecture-1' ? 't-bench' : `t-${c}`, 'teacher', start, 'oneroster', now);
      }
    })();
    const BATCH = 20_000;
    for (let i = 0; i < pairs.length; i += BATCH) {
      db.transaction(() => {
        for (const [c, u] of pairs.slice(i, i + BATCH)) {
          enroll.run(TENANT, c, u, 'student', start, 'oneroster', now);
          let present = 0;
          let last = start;
          for (const d of days) {
            if (!active(u, c, d)) continue;
            const at = d * 86_400_000 + 15 * 3_600_000;
            rollup.run(TENANT, c, u, d, 12_000, 40, 36, at, at + 3 * 3_600_000);
            present++;
            last = d;
            rollups++;
          }
          summary.run(TENANT, c, u, present, start * 86_400_000, last * 86_400_000 + 18 * 3_600_000, last);
        }
      })();
    }
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.exec('ANALYZE');
    db.close();
  } else {
    const client = new pg.Client({ connectionString: target.databaseUrl });
    await client.connect();
    await client.query('SET synchronous_commit = off');
    const courses = [...new Set(pairs.map((p) => p[0]))];
    await client.query(
      `INSERT INTO courses (tenant, id, sis_id, title, school, updated_at) SELECT $1, c, NULL, c, 'sch-' || (length(c) % 40), $2 FROM unnest($3::text[]) AS c`,
      [TENANT, now, courses],
    );
    await client.query(
      `INSERT INTO enrollments (tenant, course, person, role, start_day, end_day, source, updated_at)
       SELECT $1, c, CASE WHEN c IN ('c0-0', 'lecture-1') THEN 't-bench' ELSE 't-' || c END, 'teacher', $2, NULL, 'oneroster', $3 FROM unnest($4::text[]) AS c`,
      [TENANT, start, now, courses],
    );
    const dayList = `{${days.join(',')}}`;
    const BATCH = 50_000;
    for (let i = 0; i < pairs.length; i += BATCH) {
      const part = pairs.slice(i, i + BATCH);
      const cs = part.map((p) => p[0]);
      const us = part.map((p) => p[1]);
      await client.query(
        `INSERT INTO enrollments (tenant, course, person, role, start_day, end_day, source, updated_at)
         SELECT $1, c, u, 'student', $2, NULL, 'oneroster', $3 FROM unnest($4::text[], $5::text[]) AS t(c, u)`,
        [TENANT, start, now, cs, us],
      );
      // Same "active" rule as the SQLite branch, in SQL.
      const r = await client.query(
        `INSERT INTO rollups (tenant, course, "user", day, engaged_s, signals, logins, page_views, heartbeats, submissions, posts, live, check_ins, logouts, first_at, last_at)
         SELECT $1, c, u, d, 12000, 40, 1, 3, 36, 0, 0, 0, 0, 0, d::bigint * 86400000 + 54000000, d::bigint * 86400000 + 64800000
         FROM unnest($2::text[], $3::text[]) AS t(c, u), unnest($4::int[]) AS d
         WHERE (length(u) * 7919 + substr(u, 2)::bigint * 31 + length(c) * 104729 + d::bigint * 613) % 10 <> 0`,
        [TENANT, cs, us, dayList],
      );
      rollups += r.rowCount ?? 0;
      await client.query(
        `INSERT INTO summaries (tenant, course, "user", present_days, partial_days, first_at, last_at, last_day)
         SELECT $1, course, "user", count(*), 0, min(first_at), max(last_at), max(day) FROM rollups
         WHERE tenant = $1 AND (course, "user") IN (SELECT * FROM unnest($2::text[], $3::text[])) GROUP BY course, "user"`,
        [TENANT, cs, us],
      );
    }
    await client.query('VACUUM ANALYZE');
    await client.end();
  }
  return { tenant: TENANT, teacherToken: token, smallCourse: 'c0-0', lectureCourse: 'lecture-1', rollups, enrollments: pairs.length, buildSeconds: Math.round(performance.now() - started) / 1000 };
}
