// The lists a school works through: never logged in (per school and course),
// not seen in any course for N school days, chronically absent by tier. Each
// one exports as CSV with the same filters.
import type { ChronicRow, DashMeta, ListResult, NeverLoggedInRow, NotSeenRow } from '../../../shared/dashboard-api.ts';
import { api, csvUrl, qs } from './api.ts';
import { day, pct, TIER_LABELS, TIERS, when } from './format.ts';
import { ErrorBox, Field, navigate, Select, setParams, TierBadge, useLoad, type Route } from './ui.tsx';

const LISTS = [
  { key: 'never-logged-in', label: 'Never logged in' },
  { key: 'not-seen', label: 'Not seen' },
  { key: 'chronic', label: 'Chronically absent' },
] as const;

function StudentCell({ r }: { r: { student: string; name: string | null; sisId: string | null } }) {
  return (
    <th scope="row">
      <a href={`#/case/${encodeURIComponent(r.student)}`}>{r.name ?? `Student ${r.student}`}</a>
      <div class="muted">{r.sisId ?? r.student}</div>
    </th>
  );
}

export function ListsView({ meta, route }: { meta: DashMeta; route: Route }) {
  const list = (LISTS.find((l) => l.key === route.path[1])?.key ?? 'never-logged-in') as (typeof LISTS)[number]['key'];
  const p = route.params;
  const f = {
    school: p.get('school') ?? '',
    course: list === 'never-logged-in' ? (p.get('course') ?? '') : '',
    grade: p.get('grade') ?? '',
    days: list === 'not-seen' ? (p.get('days') ?? String(meta.notSeenAlertDays)) : '',
    includeNever: list === 'not-seen' && p.get('includeNever') === 'true' ? 'true' : '',
    tier: list === 'chronic' ? (p.get('tier') ?? '') : '',
  };
  const query = { school: f.school, course: f.course, grade: f.grade, days: f.days, includeNever: f.includeNever, tier: f.tier };
  const { data, error, loading } = useLoad(() => api<ListResult>('GET', `/lists/${list}${qs(query)}`), [list, p.toString()]);
  const set = (k: string, v: string) => setParams(route, { [k]: v });
  const title = LISTS.find((l) => l.key === list)!.label;
  return (
    <section aria-labelledby="lists-title">
      <div class="view-head">
        <h1 id="lists-title">Lists</h1>
        <p class="sub">Students to reach, as of {day(meta.today)}</p>
      </div>
      <nav class="tabs" aria-label="Lists">
        {LISTS.map((l) => (
          <a key={l.key} href={`#/lists/${l.key}${f.school ? `?school=${encodeURIComponent(f.school)}` : ''}`} aria-current={l.key === list ? 'page' : undefined}>
            {l.label}
          </a>
        ))}
      </nav>
      <form class="filters" aria-label={`Filter: ${title}`} onSubmit={(e) => e.preventDefault()}>
        {meta.schools.length > 1 && <Select id="l-school" label="School" value={f.school} onChange={(v) => set('school', v)} options={meta.schools.map((s) => ({ value: s.id, label: s.name }))} any="All schools" />}
        {list === 'never-logged-in' && (
          <Select id="l-course" label="Course" value={f.course} onChange={(v) => set('course', v)} options={meta.courses.filter((c) => !f.school || c.school === f.school).map((c) => ({ value: c.id, label: c.title }))} any="All courses" />
        )}
        <Select id="l-grade" label="Grade" value={f.grade} onChange={(v) => set('grade', v)} options={meta.grades.map((g) => ({ value: g, label: g }))} any="Any" />
        {list === 'not-seen' && (
          <>
            <Field id="l-days" label="School days without a sign of life">
              <input id="l-days" type="number" min={1} max={180} value={f.days} onChange={(e) => set('days', e.currentTarget.value)} />
            </Field>
            <div class="field check">
              <input id="l-never" type="checkbox" checked={f.includeNever === 'true'} onChange={(e) => set('includeNever', e.currentTarget.checked ? 'true' : '')} />
              <label for="l-never">Include never logged in</label>
            </div>
          </>
        )}
        {list === 'chronic' && <Select id="l-tier" label="Tier" value={f.tier} onChange={(v) => set('tier', v)} options={TIERS.map((t) => ({ value: t, label: TIER_LABELS[t] }))} any="Moderate and severe" />}
        <div class="field actions">
          <a class="button" href={csvUrl(`/lists/${list}`, query)} download>
            Export CSV
          </a>
        </div>
      </form>
      <ErrorBox error={error} />
      <h2 class="count">
        {title}: {data ? `${data.total} ${list === 'never-logged-in' ? 'enrollment' : 'student'}${data.total === 1 ? '' : 's'}` : '…'}
      </h2>
      <div class="table-wrap">
        <table class="data" aria-busy={loading}>
          {list === 'never-logged-in' && (
            <>
              <thead>
                <tr>
                  <th scope="col">Student</th>
                  <th scope="col">Grade</th>
                  <th scope="col">School</th>
                  <th scope="col">Course</th>
                  <th scope="col">Enrolled since</th>
                  <th scope="col" class="num">School days enrolled</th>
                </tr>
              </thead>
              <tbody>
                {((data?.rows ?? []) as NeverLoggedInRow[]).map((r) => (
                  <tr key={`${r.course}/${r.student}`}>
                    <StudentCell r={r} />
                    <td>{r.grade ?? '—'}</td>
                    <td>{r.schoolName ?? '—'}</td>
                    <td>{r.courseTitle ?? r.course}</td>
                    <td>{day(r.enrolledSince)}</td>
                    <td class="num">{r.schoolDaysEnrolled}</td>
                  </tr>
                ))}
              </tbody>
            </>
          )}
          {list === 'not-seen' && (
            <>
              <thead>
                <tr>
                  <th scope="col">Student</th>
                  <th scope="col">Grade</th>
                  <th scope="col">School</th>
                  <th scope="col">Last seen</th>
                  <th scope="col" class="num">School days since</th>
                  <th scope="col" class="num">Courses</th>
                </tr>
              </thead>
              <tbody>
                {((data?.rows ?? []) as NotSeenRow[]).map((r) => (
                  <tr key={r.student}>
                    <StudentCell r={r} />
                    <td>{r.grade ?? '—'}</td>
                    <td>{r.schoolName ?? '—'}</td>
                    <td>{r.lastSeenAt ? when(r.lastSeenAt) : 'Never'}</td>
                    <td class="num">{r.schoolDaysSinceSeen ?? '—'}</td>
                    <td class="num">{r.courses}</td>
                  </tr>
                ))}
              </tbody>
            </>
          )}
          {list === 'chronic' && (
            <>
              <thead>
                <tr>
                  <th scope="col">Student</th>
                  <th scope="col">Grade</th>
                  <th scope="col">School</th>
                  <th scope="col" class="num">Absence rate</th>
                  <th scope="col">Tier</th>
                  <th scope="col" class="num">School days enrolled</th>
                  <th scope="col">Most-missed course</th>
                </tr>
              </thead>
              <tbody>
                {((data?.rows ?? []) as ChronicRow[]).map((r) => (
                  <tr key={r.student}>
                    <StudentCell r={r} />
                    <td>{r.grade ?? '—'}</td>
                    <td>{r.schoolName ?? '—'}</td>
                    <td class="num">{pct(r.absenceRate)}</td>
                    <td>
                      <TierBadge tier={r.tier} />
                    </td>
                    <td class="num">{r.daysEnrolled}</td>
                    <td>
                      {r.worstCourse ?? '—'}
                      {r.worstCourseRate !== null && <span class="muted"> · {pct(r.worstCourseRate)}</span>}
                    </td>
                  </tr>
                ))}
              </tbody>
            </>
          )}
        </table>
        {!loading && data && data.rows.length === 0 && <p class="empty">Nobody on this list. </p>}
      </div>
    </section>
  );
}

export const goToList = (k: string) => navigate(`#/lists/${k}`);
