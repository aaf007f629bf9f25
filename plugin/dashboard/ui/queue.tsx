// The outreach queue: every flag of the caller's schools, filtered, sorted,
// searched and paged, with bulk assignment.
import { useEffect, useState } from 'preact/hooks';
import type { BulkAssignResult, DashMeta, DashSession, QueueResult, QueueRow } from '../../../shared/dashboard-api.ts';
import { FLAG_REASONS } from '../../../shared/flags.ts';
import { api, ApiError, qs } from './api.ts';
import { ago, reasonLabel, stateLabel, METHOD_LABELS, RESULT_LABELS, outcomeLabel } from './format.ts';
import { announce, ErrorBox, Field, Pager, Select, setParams, SortHeader, StateBadge, useLoad, type Route } from './ui.tsx';

const PAGE = 50;

function lastActivity(r: QueueRow): string {
  const e = r.lastEvent;
  if (!e) return '';
  const what =
    e.kind === 'contact'
      ? `${METHOD_LABELS[e.method!] ?? 'Contact'}: ${RESULT_LABELS[e.result!] ?? ''}`
      : e.kind === 'resolve'
        ? `Resolved: ${outcomeLabel(e.outcome)}`
        : e.kind === 'assign'
          ? `Assigned to ${e.assignee ?? ''}`
          : e.kind === 'raised'
            ? 'Raised'
            : e.kind === 'joined'
              ? 'Another teacher joined'
              : e.kind === 'reopen'
                ? 'Reopened'
                : 'Note';
  return `${what} · ${e.actor} · ${ago(e.at)}`;
}

export function QueueView({ meta, session, route }: { meta: DashMeta; session: DashSession; route: Route }) {
  const p = route.params;
  const f = {
    school: p.get('school') ?? '',
    grade: p.get('grade') ?? '',
    course: p.get('course') ?? '',
    reason: p.get('reason') ?? '',
    state: p.get('state') ?? 'active',
    assignee: p.get('assignee') ?? '',
    minAgeDays: p.get('minAgeDays') ?? '',
    q: p.get('q') ?? '',
    sort: p.get('sort') ?? 'oldest',
    offset: Number(p.get('offset') ?? 0),
  };
  const key = p.toString();
  const { data, error, loading, reload } = useLoad(() => api<QueueResult>('GET', `/queue${qs({ ...f, limit: PAGE })}`), [key]);
  const [search, setSearch] = useState(f.q);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [bulkTo, setBulkTo] = useState('me');
  const [bulkError, setBulkError] = useState<string | null>(null);
  useEffect(() => setSelected(new Set()), [key]);
  const set = (k: string, v: string) => setParams(route, { [k]: v, offset: undefined });

  const rows = data?.rows ?? [];
  const allSelected = rows.length > 0 && rows.every((r) => selected.has(r.flagId));
  const toggle = (id: string) => {
    const s = new Set(selected);
    if (s.has(id)) s.delete(id);
    else s.add(id);
    setSelected(s);
  };
  const bulkAssign = async () => {
    setBulkError(null);
    try {
      const r = await api<BulkAssignResult>('POST', '/queue/assign', { flagIds: [...selected], assignee: bulkTo });
      const ok = r.results.filter((x) => x.ok).length;
      const failed = r.results.filter((x) => !x.ok);
      announce(`Assigned ${ok} case${ok === 1 ? '' : 's'} to ${bulkTo === 'me' ? 'you' : bulkTo}.${failed.length ? ` ${failed.length} could not be assigned.` : ''}`);
      if (failed.length) setBulkError(`${failed.length} could not be assigned: ${failed.map((x) => x.error).join('; ')}`);
      setSelected(new Set());
      reload();
    } catch (e) {
      setBulkError(e instanceof ApiError ? e.message : 'Assigning failed.');
    }
  };

  const schoolOptions = meta.schools.map((s) => ({ value: s.id, label: s.name }));
  const courseOptions = meta.courses.filter((c) => !f.school || c.school === f.school).map((c) => ({ value: c.id, label: c.title }));
  return (
    <section aria-labelledby="queue-title">
      <div class="view-head">
        <h1 id="queue-title">Outreach queue</h1>
        <p class="sub">{data ? `${data.total} case${data.total === 1 ? '' : 's'}` : ' '}</p>
      </div>
      <form
        class="filters"
        role="search"
        aria-label="Filter the queue"
        onSubmit={(e) => {
          e.preventDefault();
          set('q', search.trim());
        }}
      >
        <Field id="q" label="Search student">
          <input id="q" type="search" placeholder="Name, LMS or SIS id" value={search} onInput={(e) => setSearch(e.currentTarget.value)} />
        </Field>
        {meta.schools.length > 1 && <Select id="f-school" label="School" value={f.school} onChange={(v) => set('school', v)} options={schoolOptions} any="All schools" />}
        <Select id="f-grade" label="Grade" value={f.grade} onChange={(v) => set('grade', v)} options={meta.grades.map((g) => ({ value: g, label: g }))} any="Any" />
        <Select id="f-course" label="Course" value={f.course} onChange={(v) => set('course', v)} options={courseOptions} any="Any course" />
        <Select id="f-reason" label="Reason" value={f.reason} onChange={(v) => set('reason', v)} options={FLAG_REASONS.map((r) => ({ value: r, label: reasonLabel(r) }))} any="Any reason" />
        <Select
          id="f-state"
          label="State"
          value={f.state}
          onChange={(v) => set('state', v)}
          options={[
            { value: 'active', label: 'Not resolved' },
            { value: 'open', label: 'Open' },
            { value: 'assigned', label: 'Assigned' },
            { value: 'contacted', label: 'Contacted' },
            { value: 'resolved', label: 'Resolved' },
            { value: 'all', label: 'All' },
          ]}
        />
        <Select
          id="f-assignee"
          label="Assignee"
          value={f.assignee}
          onChange={(v) => set('assignee', v)}
          options={[{ value: 'me', label: 'Me' }, { value: 'none', label: 'Unassigned' }, ...meta.staff.filter((s) => s !== session.label).map((s) => ({ value: s, label: s }))]}
          any="Anyone"
        />
        <Select
          id="f-age"
          label="Age"
          value={f.minAgeDays}
          onChange={(v) => set('minAgeDays', v)}
          options={[
            { value: '1', label: 'Older than 1 day' },
            { value: '3', label: 'Older than 3 days' },
            { value: '7', label: 'Older than a week' },
            { value: '14', label: 'Older than 2 weeks' },
          ]}
          any="Any age"
        />
        <div class="field actions">
          <button type="submit">Search</button>
          {p.toString() && (
            <button type="button" class="ghost" onClick={() => { setSearch(''); setParams(route, Object.fromEntries([...p.keys()].map((k) => [k, undefined]))); }}>
              Clear
            </button>
          )}
        </div>
      </form>

      {selected.size > 0 && (
        <div class="bulkbar" role="region" aria-label="Bulk actions">
          <strong>{selected.size} selected</strong>
          <label for="bulk-to">Assign to</label>
          <select id="bulk-to" value={bulkTo} onChange={(e) => setBulkTo(e.currentTarget.value)}>
            <option value="me">Me ({session.label})</option>
            {meta.staff.filter((s) => s !== session.label).map((s) => (
              <option value={s} key={s}>
                {s}
              </option>
            ))}
          </select>
          <button type="button" class="primary" onClick={bulkAssign}>
            Assign
          </button>
          <button type="button" class="ghost" onClick={() => setSelected(new Set())}>
            Clear selection
          </button>
        </div>
      )}
      <ErrorBox error={bulkError} />
      <ErrorBox error={error} />

      <div class="table-wrap">
        <table class="data queue" aria-busy={loading}>
          <caption class="sr-only">Flags, {stateLabel(f.state)} first by the chosen order</caption>
          <thead>
            <tr>
              <th scope="col" class="check">
                <input type="checkbox" aria-label="Select all on this page" checked={allSelected} onChange={() => setSelected(allSelected ? new Set() : new Set(rows.map((r) => r.flagId)))} />
              </th>
              <SortHeader label="Student" sortKey="student" current={f.sort} onSort={(k) => set('sort', k)} />
              <th scope="col">Grade</th>
              <SortHeader label="School" sortKey="school" current={f.sort} onSort={(k) => set('sort', k)} />
              <th scope="col">Reason</th>
              <SortHeader label="State" sortKey="state" current={f.sort} onSort={(k) => set('sort', k)} />
              <th scope="col">Assignee</th>
              <th scope="col">Raised by</th>
              <SortHeader label="Age" sortKey="oldest" toggle="newest" direction="descending" current={f.sort} onSort={(k) => set('sort', k)} />
              <th scope="col" class="num">Contacts</th>
              <SortHeader label="Last activity" sortKey="updated" direction="descending" current={f.sort} onSort={(k) => set('sort', k)} />
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.flagId} class={selected.has(r.flagId) ? 'selected' : undefined}>
                <td class="check">
                  <input type="checkbox" aria-label={`Select ${r.studentName ?? r.student}`} checked={selected.has(r.flagId)} onChange={() => toggle(r.flagId)} />
                </td>
                <td>
                  <a href={`#/case/${encodeURIComponent(r.student)}?flag=${encodeURIComponent(r.flagId)}`} class="student">
                    {r.studentName ?? `Student ${r.student}`}
                  </a>
                  <div class="muted">
                    {r.sisId ?? r.student}
                  </div>
                </td>
                <td>{r.grade ?? '—'}</td>
                <td>{r.schoolName ?? r.school ?? '—'}</td>
                <td>{reasonLabel(r.reason)}</td>
                <td>
                  <StateBadge state={r.state} />
                  {r.outcome && <div class="muted">{outcomeLabel(r.outcome)}</div>}
                </td>
                <td>{r.assignee ?? <span class="muted">Unassigned</span>}</td>
                <td>
                  {r.courses.map((c) => c.name).join(', ')}
                  <div class="muted">{r.raisedBy.length} teacher{r.raisedBy.length === 1 ? '' : 's'}</div>
                </td>
                <td class="num">{r.ageDays === 0 ? 'today' : `${r.ageDays} d`}</td>
                <td class="num">{r.contacts}</td>
                <td class="last">{lastActivity(r)}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {!loading && data && rows.length === 0 && <p class="empty">No cases match these filters.</p>}
      </div>
      {data && <Pager total={data.total} limit={PAGE} offset={f.offset} onPage={(o) => setParams(route, { offset: o || undefined })} />}
    </section>
  );
}
