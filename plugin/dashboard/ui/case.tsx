// The case view: who the student is, how every course looks today and over
// the year, and each flag with its full history and the moves staff can make.
import { useEffect, useState } from 'preact/hooks';
import type { CaseView as CaseData, DashMeta, DashSession } from '../../../shared/dashboard-api.ts';
import type { Flag, FlagActionBody, FlagEvent } from '../../../shared/api.ts';
import { CONTACT_METHODS, CONTACT_RESULTS, FLAG_OUTCOMES, NOTE_MAX_LENGTH } from '../../../shared/flags.ts';
import { api, ApiError } from './api.ts';
import { day, headlineLabel, METHOD_LABELS, outcomeLabel, pct, reasonLabel, RESULT_LABELS, TODAY_LABELS, when } from './format.ts';
import { announce, ErrorBox, Field, navigate, StateBadge, TierBadge, useLoad } from './ui.tsx';

export function FlagRedirect({ flagId }: { flagId: string }) {
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api<Flag>('GET', `/flags/${encodeURIComponent(flagId)}`).then(
      (f) => navigate(`#/case/${encodeURIComponent(f.student)}?flag=${encodeURIComponent(f.id)}`, true),
      (e) => setError(e instanceof ApiError ? e.message : 'Could not open the flag.'),
    );
  }, [flagId]);
  return error ? <ErrorBox error={error} /> : <p class="loading">Opening the case…</p>;
}

function describe(e: FlagEvent, titles: Map<string, string>): string {
  const course = e.course ? (titles.get(e.course) ?? `course ${e.course}`) : null;
  switch (e.kind) {
    case 'raised':
      return `raised the flag${course ? ` in ${course}` : ''}`;
    case 'joined':
      return `joined the flag${course ? ` from ${course}` : ''}`;
    case 'assign':
      return `assigned it to ${e.assignee ?? 'someone'}`;
    case 'contact':
      return `logged contact: ${METHOD_LABELS[e.method!] ?? e.method} — ${RESULT_LABELS[e.result!] ?? e.result}`;
    case 'resolve':
      return `resolved it: ${outcomeLabel(e.outcome)}`;
    case 'reopen':
      return 'reopened it';
    default:
      return 'added a note';
  }
}

function History({ events, titles }: { events: FlagEvent[]; titles: Map<string, string> }) {
  return (
    <ol class="history">
      {events.map((e, i) => (
        <li key={i} class={`ev ev-${e.kind}`}>
          <div class="ev-line">
            <time dateTime={e.at}>{when(e.at)}</time> <strong>{e.actor}</strong> {describe(e, titles)}
          </div>
          {/* Notes are text from people: Preact renders them as text, never as HTML. */}
          {e.note && <p class="note">{e.note}</p>}
        </li>
      ))}
    </ol>
  );
}

function FlagCard({ flag, meta, session, onChanged, focus, titles }: { flag: Flag; meta: DashMeta; session: DashSession; onChanged: (f: Flag) => void; focus: boolean; titles: Map<string, string> }) {
  const id = flag.id;
  const [assignTo, setAssignTo] = useState('');
  const [method, setMethod] = useState<string>('phone');
  const [result, setResult] = useState<string>('reached');
  const [contactNote, setContactNote] = useState('');
  const [outcome, setOutcome] = useState<string>('reached');
  const [resolveNote, setResolveNote] = useState('');
  const [note, setNote] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const act = async (body: FlagActionBody, done: string, reset?: () => void) => {
    setBusy(true);
    setError(null);
    try {
      const f = await api<Flag>('POST', `/flags/${encodeURIComponent(id)}/actions`, body);
      reset?.();
      onChanged(f);
      announce(done);
    } catch (e) {
      setError(e instanceof ApiError ? e.message : 'That did not work.');
    } finally {
      setBusy(false);
    }
  };
  const resolved = flag.state === 'resolved';
  const staffOthers = meta.staff.filter((s) => s !== session.label);
  return (
    <article class={`flag-card${focus ? ' focus' : ''}`} aria-labelledby={`flag-${id}-title`} data-flag={id}>
      <header>
        <h3 id={`flag-${id}-title`}>{reasonLabel(flag.reason)}</h3>
        <StateBadge state={flag.state} />
        {flag.outcome && <span class="outcome">{outcomeLabel(flag.outcome)}</span>}
        <span class="muted">
          Raised {when(flag.createdAt)} · {flag.raisedBy.length} teacher{flag.raisedBy.length === 1 ? '' : 's'} · Assigned to{' '}
          <strong class="assignee">{flag.assignee ?? 'nobody yet'}</strong>
        </span>
      </header>
      <div class="flag-body">
        <section aria-label="History" class="flag-history">
          <h4>History</h4>
          <History events={flag.history} titles={titles} />
        </section>
        <section aria-label="Actions" class="flag-actions">
          <h4>Actions</h4>
          <ErrorBox error={error} />
          {!resolved && (
            <>
              <div class="action-row">
                <button type="button" disabled={busy || flag.assignee === session.label} onClick={() => act({ action: 'assign', assignee: 'me' }, 'Assigned to you.')}>
                  Assign to me
                </button>
                <form
                  class="inline"
                  onSubmit={(e) => {
                    e.preventDefault();
                    if (assignTo) void act({ action: 'assign', assignee: assignTo }, `Assigned to ${assignTo}.`, () => setAssignTo(''));
                  }}
                >
                  <label for={`assign-${id}`} class="sr-only">
                    Assign to someone else
                  </label>
                  <input id={`assign-${id}`} list={`staff-${id}`} placeholder="Assign to…" value={assignTo} onInput={(e) => setAssignTo(e.currentTarget.value)} maxLength={200} />
                  <datalist id={`staff-${id}`}>
                    {staffOthers.map((s) => (
                      <option value={s} key={s} />
                    ))}
                  </datalist>
                  <button type="submit" disabled={busy || !assignTo.trim()}>
                    Assign
                  </button>
                </form>
              </div>
              <form
                class="action-form"
                aria-label="Log a contact attempt"
                onSubmit={(e) => {
                  e.preventDefault();
                  void act({ action: 'contact', method: method as never, result: result as never, ...(contactNote.trim() ? { note: contactNote } : {}) }, 'Contact logged.', () => setContactNote(''));
                }}
              >
                <h5>Log a contact attempt</h5>
                <div class="row">
                  <Field id={`method-${id}`} label="Method">
                    <select id={`method-${id}`} value={method} onChange={(e) => setMethod(e.currentTarget.value)}>
                      {CONTACT_METHODS.map((m) => (
                        <option value={m} key={m}>
                          {METHOD_LABELS[m]}
                        </option>
                      ))}
                    </select>
                  </Field>
                  <Field id={`result-${id}`} label="Result">
                    <select id={`result-${id}`} value={result} onChange={(e) => setResult(e.currentTarget.value)}>
                      {CONTACT_RESULTS.map((r) => (
                        <option value={r} key={r}>
                          {RESULT_LABELS[r]}
                        </option>
                      ))}
                    </select>
                  </Field>
                </div>
                <Field id={`cnote-${id}`} label="Note (optional)" wide>
                  <textarea id={`cnote-${id}`} rows={2} maxLength={NOTE_MAX_LENGTH} value={contactNote} onInput={(e) => setContactNote(e.currentTarget.value)} />
                </Field>
                <button type="submit" class="primary" disabled={busy}>
                  Log contact
                </button>
              </form>
              <form
                class="action-form"
                aria-label="Resolve"
                onSubmit={(e) => {
                  e.preventDefault();
                  void act({ action: 'resolve', outcome: outcome as never, ...(resolveNote.trim() ? { note: resolveNote } : {}) }, 'Case resolved.', () => setResolveNote(''));
                }}
              >
                <h5>Resolve</h5>
                <Field id={`outcome-${id}`} label="Outcome">
                  <select id={`outcome-${id}`} value={outcome} onChange={(e) => setOutcome(e.currentTarget.value)}>
                    {FLAG_OUTCOMES.map((o) => (
                      <option value={o} key={o}>
                        {outcomeLabel(o)}
                      </option>
                    ))}
                  </select>
                </Field>
                <Field id={`rnote-${id}`} label="Note (optional)" wide>
                  <textarea id={`rnote-${id}`} rows={2} maxLength={NOTE_MAX_LENGTH} value={resolveNote} onInput={(e) => setResolveNote(e.currentTarget.value)} />
                </Field>
                <button type="submit" class="primary" disabled={busy}>
                  Resolve
                </button>
              </form>
            </>
          )}
          {resolved && (
            <div class="action-row">
              <button type="button" disabled={busy} onClick={() => act({ action: 'reopen' }, 'Case reopened.')}>
                Reopen
              </button>
            </div>
          )}
          <form
            class="action-form"
            aria-label="Add a note"
            onSubmit={(e) => {
              e.preventDefault();
              if (note.trim()) void act({ action: 'note', note }, 'Note added.', () => setNote(''));
            }}
          >
            <Field id={`note-${id}`} label="Add a note" wide>
              <textarea id={`note-${id}`} rows={2} maxLength={NOTE_MAX_LENGTH} value={note} onInput={(e) => setNote(e.currentTarget.value)} />
            </Field>
            <button type="submit" disabled={busy || !note.trim()}>
              Add note
            </button>
          </form>
        </section>
      </div>
    </article>
  );
}

export function CaseView({ student, meta, session, focusFlag }: { student: string; meta: DashMeta; session: DashSession; focusFlag: string | null }) {
  const { data, error, setData } = useCase(student);
  if (error) return <ErrorBox error={error} />;
  if (!data) return <p class="loading">Loading the case…</p>;
  const s = data.student;
  const flags = [...data.flags].sort((a, b) => Number(a.state === 'resolved') - Number(b.state === 'resolved') || b.createdAt.localeCompare(a.createdAt));
  const titles = new Map([...meta.courses.map((c) => [c.id, c.title] as const), ...data.courses.map((c) => [c.id, c.title ?? c.id] as const)]);
  const replace = (f: Flag) => setData({ ...data, flags: data.flags.map((x) => (x.id === f.id ? f : x)) });
  return (
    <section aria-labelledby="case-title" class="case">
      <p class="crumbs">
        <a href="#/queue">← Queue</a>
      </p>
      <div class="view-head">
        <h1 id="case-title">{s.name ?? `Student ${s.id}`}</h1>
        <dl class="facts">
          <div>
            <dt>LMS id</dt>
            <dd>{s.id}</dd>
          </div>
          <div>
            <dt>SIS id</dt>
            <dd>{s.sisId ?? '—'}</dd>
          </div>
          <div>
            <dt>Grade</dt>
            <dd>{s.grade ?? '—'}</dd>
          </div>
          <div>
            <dt>School</dt>
            <dd>{s.schoolName ?? '—'}</dd>
          </div>
        </dl>
      </div>

      <h2>Flags</h2>
      {flags.length === 0 && <p class="empty">No flags for this student.</p>}
      {flags.map((f) => (
        <FlagCard key={f.id} flag={f} meta={meta} session={session} onChanged={replace} focus={f.id === focusFlag} titles={titles} />
      ))}

      <h2>Courses</h2>
      <div class="table-wrap">
        <table class="data">
          <thead>
            <tr>
              <th scope="col">Course</th>
              <th scope="col">Status</th>
              <th scope="col">Today ({day(data.today)})</th>
              <th scope="col">Last seen</th>
              <th scope="col" class="num">School days since</th>
              <th scope="col" class="num">Present</th>
              <th scope="col" class="num">Partial</th>
              <th scope="col" class="num">Absent</th>
              <th scope="col" class="num">Absence rate</th>
              <th scope="col">Tier</th>
            </tr>
          </thead>
          <tbody>
            {data.courses.map((c) => (
              <tr key={c.id}>
                <th scope="row">{c.title ?? c.id}</th>
                <td>
                  <span class={`headline h-${c.headline}`}>{headlineLabel(c.headline)}</span>
                </td>
                <td>
                  {TODAY_LABELS[c.todayState] ?? c.todayState}
                  {c.todayEngagedMinutes > 0 && <span class="muted"> · {c.todayEngagedMinutes} min</span>}
                </td>
                <td>{c.neverLoggedIn ? 'Never' : when(c.lastSeenAt)}</td>
                <td class="num">{c.schoolDaysSinceSeen ?? '—'}</td>
                <td class="num">{c.daysPresent}</td>
                <td class="num">{c.daysPartial}</td>
                <td class="num">{c.daysAbsent}</td>
                <td class="num">{pct(c.absenceRate)}</td>
                <td>
                  <TierBadge tier={c.tier} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {data.courses.length === 0 && <p class="empty">No current enrollments in the imported roster.</p>}
      </div>
    </section>
  );
}

function useCase(student: string) {
  const { data, error } = useLoad(() => api<CaseData>('GET', `/students/${encodeURIComponent(student)}`), [student]);
  const [local, setLocal] = useState<CaseData | null>(null);
  useEffect(() => setLocal(data), [data]);
  return { data: local, error, setData: setLocal };
}
