// The class summary above the roster: counts per state (click to filter),
// the state of the connection said in words, and the bulk never-logged-in action.
import { useState } from 'preact/hooks';
import type { StudentStatus } from '../../../shared/api.ts';
import { HEADLINES, HEADLINE_TEXT } from '../../lib/labels.ts';
import type { CachedStatus, ProblemInfo, RaiseReply } from '../../lib/messages.ts';
import type { FilterKey } from './filter.ts';

export interface SummaryProps {
  data: CachedStatus | null;
  problem: ProblemInfo | null;
  refreshing: boolean;
  filter: FilterKey | null;
  /** Names of the rows on the page, by LMS user id (they never leave the page). */
  names: Map<string, string>;
  notice: string | null;
  onFilter(key: FilterKey | null): void;
  onOpenOptions(): void;
  onBulkNeverLoggedIn(students: string[]): Promise<RaiseReply[]>;
  onRetry(): void;
}

const PROBLEM_TEXT: Record<ProblemInfo['problem'], string> = {
  not_configured: 'RosterLens is not set up in this browser yet.',
  not_signed_in: 'RosterLens is not signed in (or the credential expired or was revoked).',
  unreachable: 'The RosterLens plugin cannot be reached right now.',
  not_course_teacher: 'You are not a teacher of this course in RosterLens, so it shows no student status here.',
  unknown_course: 'RosterLens does not know this course yet. Ask your district admin to import its roster.',
  unknown_student: 'RosterLens does not know this student.',
  rate_limited: 'RosterLens is busy; it will try again shortly.',
  server_error: 'The RosterLens plugin had a problem answering.',
};

const REFUSAL_TEXT: Record<NonNullable<ProblemInfo['reason']>, string> = {
  credential_expired: 'Your RosterLens credential has expired. Ask your district admin for a new one and paste it in the RosterLens options.',
  credential_revoked: 'Your RosterLens credential was withdrawn by the district. Ask your district admin for a new one.',
  credential_unknown: 'RosterLens does not recognise the saved credential. Paste the one your district admin issued in the RosterLens options.',
};

export function problemText(p: ProblemInfo): string {
  return (p.problem === 'not_signed_in' && p.reason && REFUSAL_TEXT[p.reason]) || PROBLEM_TEXT[p.problem];
}

/** The time of day, with the date too when it is not today (a saved copy can be days old). */
const time = (ms: number) => {
  const d = new Date(ms);
  const t = d.toLocaleTimeString([], { hour: 'numeric', minute: '2-digit' });
  return d.toDateString() === new Date().toDateString() ? t : `${d.toLocaleDateString([], { month: 'short', day: 'numeric' })}, ${t}`;
};

function needsNeverFlag(s: StudentStatus): boolean {
  return s.neverLoggedIn && !(s.flag && s.flag.state !== 'resolved' && s.flag.reason === 'never_logged_in');
}

export function Summary(p: SummaryProps) {
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<string | null>(null);
  const status = p.data?.status ?? null;

  if (!status) {
    if (!p.problem) return <div class="panel" role="status" aria-live="polite"><span class="title">RosterLens</span> <span class="meta">Loading student status…</span></div>;
    const signIn = p.problem.problem === 'not_signed_in' || p.problem.problem === 'not_configured';
    return (
      <div class="panel problem" role="alert" data-problem={p.problem.problem} data-reason={p.problem.reason}>
        <span class="title">RosterLens</span> {problemText(p.problem)}{' '}
        {signIn && <button class="btn" onClick={p.onOpenOptions}>Open RosterLens options</button>}
        {(p.problem.problem === 'unreachable' || p.problem.problem === 'server_error' || p.problem.problem === 'rate_limited') && <button class="btn" onClick={p.onRetry}>Try again</button>}
      </div>
    );
  }

  // When the plugin computed it (its clock), falling back to when this browser received it.
  const asOf = Date.parse(status.generatedAt) || p.data!.fetchedAt;
  const never = status.students.filter(needsNeverFlag);
  const chips: { key: FilterKey; label: string; n: number }[] = HEADLINES.filter((h) => (status.counts[h] ?? 0) > 0).map((h) => ({ key: h, label: HEADLINE_TEXT[h], n: status.counts[h] ?? 0 }));
  if ((status.counts.flagged ?? 0) > 0) chips.push({ key: 'flagged', label: 'Flagged', n: status.counts.flagged ?? 0 });

  const bulk = async () => {
    setBusy(true);
    const replies = await p.onBulkNeverLoggedIn(never.map((s) => s.user));
    setBusy(false);
    setConfirming(false);
    const made = replies.filter((r) => r.ok && 'result' in r).length;
    const queued = replies.filter((r) => r.ok && 'queued' in r).length;
    const failed = replies.length - made - queued;
    setResult([made && `${made} flagged`, queued && `${queued} saved to send when the plugin is reachable`, failed && `${failed} could not be flagged`].filter(Boolean).join(', ') + '.');
  };

  return (
    <div class="panel" data-state={p.data?.stale ? 'stale' : 'fresh'}>
      <div class="row" role="group" aria-label="RosterLens class summary: show only students in one state">
        <span class="title">RosterLens</span>
        {chips.map((c) => (
          <button key={c.key} class={`chip ${c.key === 'flagged' ? 'unknown' : c.key}`} aria-pressed={p.filter === c.key ? 'true' : 'false'} data-filter={c.key} onClick={() => p.onFilter(p.filter === c.key ? null : c.key)}>
            {c.label}: <b>{c.n}</b>
          </button>
        ))}
        {p.filter && <button class="btn" onClick={() => p.onFilter(null)}>Show everyone</button>}
        {never.length > 0 && !confirming && <button class="btn" data-action="bulk-never" onClick={() => { setResult(null); setConfirming(true); }}>Flag all {never.length} never logged in…</button>}
      </div>
      <div class="meta" role="status" aria-live="polite">
        {status.students.length} students in this course · {status.schoolDay ? 'school day' : 'no school today'} · {p.data!.stale ? <b>saved status from {time(asOf)}, may be out of date</b> : <>updated {time(asOf)}</>}
        {p.refreshing && ' · checking for updates…'}
        {p.problem && <> · <span data-problem={p.problem.problem}>{problemText(p.problem)}</span> <button class="btn" onClick={p.onRetry}>Try again</button></>}
      </div>
      {p.notice && <div class="ok" role="status">{p.notice}</div>}
      {result && <div class="ok" role="status">{result}</div>}
      {confirming && (
        <div class="warn" role="dialog" aria-label="Confirm flagging every never-logged-in student" data-dialog="bulk-never">
          <p>Flag these {never.length} students for outreach with the reason “Never logged in”?</p>
          <ol class="dialog">
            {never.map((s) => <li key={s.user}>{p.names.get(s.user) ?? `Student ${s.user} (not loaded on this page yet)`}</li>)}
          </ol>
          <div class="row">
            <button class="btn primary" disabled={busy} data-action="confirm-bulk" onClick={bulk}>{busy ? 'Flagging…' : `Flag ${never.length} students`}</button>
            <button class="btn" disabled={busy} onClick={() => setConfirming(false)}>Cancel</button>
          </div>
        </div>
      )}
    </div>
  );
}
