// The picture behind the queue: counts and rates by school, grade and student
// group, the weekly trend of attendance and engagement, and the bright spots.
// Every number in the chart is also in a table.
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { BrightSpot, DashMeta, GroupStat, Picture, TrendWeek } from '../../../shared/dashboard-api.ts';
import { api, qs } from './api.ts';
import { day, pct } from './format.ts';
import { ErrorBox, Select, setParams, useLoad, type Route } from './ui.tsx';

const ATTENDANCE = '#1d5fa8';
const ENGAGEMENT = '#b35900';

function TrendChart({ weeks }: { weeks: TrendWeek[] }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const xs = weeks.map((w) => Date.parse(`${w.weekStart}T12:00:00Z`) / 1000);
    const data: uPlot.AlignedData = [xs, weeks.map((w) => (w.attendanceRate === null ? null : w.attendanceRate * 100)), weeks.map((w) => (w.engagementRate === null ? null : w.engagementRate * 100))];
    const width = () => Math.max(320, el.clientWidth);
    const plot = new uPlot(
      {
        width: width(),
        height: 260,
        scales: { x: { time: true }, y: { range: [0, 100] } },
        axes: [
          { stroke: '#333', grid: { stroke: '#e3e6ea' }, values: (_u, vals) => vals.map((v) => new Date(v * 1000).toLocaleDateString(undefined, { month: 'short', day: 'numeric' })) },
          { stroke: '#333', grid: { stroke: '#e3e6ea' }, values: (_u, vals) => vals.map((v) => `${v}%`), size: 48 },
        ],
        series: [
          { label: 'Week of', value: (_u, v) => (v == null ? '—' : new Date(v * 1000).toLocaleDateString(undefined, { month: 'short', day: 'numeric' })) },
          { label: 'Attendance', stroke: ATTENDANCE, width: 2.5, points: { size: 7, fill: ATTENDANCE }, value: (_u, v) => (v == null ? '—' : `${v.toFixed(1)}%`) },
          { label: 'Engagement (any activity)', stroke: ENGAGEMENT, width: 2.5, dash: [6, 4], points: { size: 7, fill: ENGAGEMENT }, value: (_u, v) => (v == null ? '—' : `${v.toFixed(1)}%`) },
        ],
      },
      data,
      el,
    );
    const ro = new ResizeObserver(() => plot.setSize({ width: width(), height: 260 }));
    ro.observe(el);
    return () => {
      ro.disconnect();
      plot.destroy();
    };
  }, [weeks]);
  return <div ref={box} class="chart" role="img" aria-label="Weekly attendance and engagement rates; the same numbers are in the table below." />;
}

function GroupTable({ caption, rows, notSeenDays, first }: { caption: string; rows: GroupStat[]; notSeenDays: number; first: string }) {
  return (
    <div class="table-wrap">
      <table class="data compact">
        <caption>{caption}</caption>
        <thead>
          <tr>
            <th scope="col">{first}</th>
            <th scope="col" class="num">Students</th>
            <th scope="col" class="num">Attendance</th>
            <th scope="col" class="num">Never logged in</th>
            <th scope="col" class="num">Not seen {notSeenDays}+ days</th>
            <th scope="col" class="num">At risk</th>
            <th scope="col" class="num">Chronic</th>
            <th scope="col" class="num">Chronic rate</th>
            <th scope="col" class="num">Open flags</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.key}>
              <th scope="row">{r.label}</th>
              <td class="num">{r.students}</td>
              <td class="num">{pct(r.attendanceRate)}</td>
              <td class="num">{r.neverLoggedIn}</td>
              <td class="num">{r.notSeen}</td>
              <td class="num">{r.atRisk}</td>
              <td class="num">{r.chronic}</td>
              <td class="num">{pct(r.chronicRate)}</td>
              <td class="num">{r.openFlags}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Spots({ title, spots, change, none }: { title: string; spots: BrightSpot[]; change: boolean; none: string }) {
  return (
    <div class="spots">
      <h3>{title}</h3>
      {spots.length === 0 ? (
        <p class="empty">{none}</p>
      ) : (
        <ol>
          {spots.map((s) => (
            <li key={`${s.kind}/${s.id}`}>
              <span class="spot-kind">{s.kind === 'school' ? 'School' : 'Course'}</span> <strong>{s.label}</strong>
              <span class="spot-num">
                {pct(s.engagementRate, 0)} engaged
                {change && s.change !== null && <> · <span class="up">▲ {(s.change * 100).toFixed(1)} pts</span></>}
              </span>
            </li>
          ))}
        </ol>
      )}
    </div>
  );
}

export function PictureView({ meta, route }: { meta: DashMeta; route: Route }) {
  const school = route.params.get('school') ?? '';
  const weeks = route.params.get('weeks') ?? '8';
  const { data, error, loading } = useLoad(() => api<Picture>('GET', `/picture${qs({ school, weeks })}`), [school, weeks]);
  const t = data?.totals;
  return (
    <section aria-labelledby="pic-title" class="picture">
      <div class="view-head">
        <h1 id="pic-title">The picture</h1>
        <p class="sub">{data ? `As of ${day(data.today)}` : ' '}</p>
      </div>
      <form class="filters" aria-label="Filter the picture" onSubmit={(e) => e.preventDefault()}>
        {meta.schools.length > 1 && <Select id="p-school" label="School" value={school} onChange={(v) => setParams(route, { school: v })} options={meta.schools.map((s) => ({ value: s.id, label: s.name }))} any="All schools" />}
        <Select id="p-weeks" label="Trend over" value={weeks} onChange={(v) => setParams(route, { weeks: v })} options={['4', '8', '12', '26'].map((w) => ({ value: w, label: `${w} weeks` }))} />
      </form>
      <ErrorBox error={error} />
      {loading && !data && <p class="loading">Loading…</p>}
      {data && t && (
        <>
          <ul class="cards" aria-label="Totals">
            <li>
              <span class="card-num">{t.students}</span>
              <span class="card-label">students</span>
            </li>
            <li>
              <span class="card-num">{pct(t.attendanceRate)}</span>
              <span class="card-label">attendance to date</span>
            </li>
            <li class="warn">
              <a href="#/lists/never-logged-in">
                <span class="card-num">{t.neverLoggedIn}</span>
                <span class="card-label">never logged in</span>
              </a>
            </li>
            <li class="warn">
              <a href="#/lists/not-seen">
                <span class="card-num">{t.notSeen}</span>
                <span class="card-label">not seen {data.notSeenDays}+ school days</span>
              </a>
            </li>
            <li class="warn">
              <a href="#/lists/chronic">
                <span class="card-num">{t.chronic}</span>
                <span class="card-label">chronically absent ({pct(t.chronicRate, 0)})</span>
              </a>
            </li>
            <li>
              <a href="#/queue">
                <span class="card-num">{t.openFlags}</span>
                <span class="card-label">open flags</span>
              </a>
            </li>
          </ul>

          <div class="grid-2">
            <section aria-labelledby="trend-title" class="panel">
              <h2 id="trend-title">Weekly trend</h2>
              <TrendChart weeks={data.weeks} />
              <details class="trend-table" open>
                <summary>Weekly numbers</summary>
                <table class="data compact">
                  <thead>
                    <tr>
                      <th scope="col">Week of</th>
                      <th scope="col" class="num">Attendance</th>
                      <th scope="col" class="num">Engagement</th>
                      <th scope="col" class="num">Avg. engaged min/day</th>
                      <th scope="col" class="num">Student-days</th>
                    </tr>
                  </thead>
                  <tbody>
                    {data.weeks.map((w) => (
                      <tr key={w.weekStart}>
                        <th scope="row">{day(w.weekStart)}</th>
                        <td class="num">{pct(w.attendanceRate)}</td>
                        <td class="num">{pct(w.engagementRate)}</td>
                        <td class="num">{w.avgEngagedMinutes ?? '—'}</td>
                        <td class="num">{w.studentDays}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </details>
            </section>
            <section aria-labelledby="spots-title" class="panel">
              <h2 id="spots-title">Bright spots</h2>
              <p class="hint">Latest week, share of student-days with any activity.</p>
              <Spots title="Highest engagement" spots={data.brightSpots.highest} change={false} none="Not enough activity yet to compare." />
              <Spots title="Most improved since the week before" spots={data.brightSpots.improved} change none="No school or course rose on the week before." />
            </section>
          </div>

          <h2>By school, grade and student group</h2>
          <GroupTable caption="By school" first="School" rows={data.bySchool} notSeenDays={data.notSeenDays} />
          <GroupTable caption="By grade" first="Grade" rows={data.byGrade} notSeenDays={data.notSeenDays} />
          {data.byGroup.length > 0 && <GroupTable caption="By student group (a student can be in several)" first="Group" rows={data.byGroup} notSeenDays={data.notSeenDays} />}
        </>
      )}
    </section>
  );
}
