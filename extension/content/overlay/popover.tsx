// The detail popover of one student: attendance facts, the open flag with
// its history, and the flag / add-to-flag form.
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Flag, StudentStatus } from '../../../shared/api.ts';
import { FLAG_REASONS, FLAG_REASON_LABELS, NOTE_MAX_LENGTH, type FlagReason } from '../../../shared/flags.ts';
import { FLAG_STATE_TEXT, TIER_TEXT } from '../../lib/labels.ts';
import type { ProblemInfo, RaiseReply } from '../../lib/messages.ts';
import { badgeText } from './badge.ts';
import { problemText } from './summary.tsx';

export interface PopoverProps {
  name: string;
  user: string;
  status: StudentStatus | null;
  stale: boolean;
  top: number;
  left: number;
  onClose(): void;
  onRaise(reason: FlagReason, note: string): Promise<RaiseReply>;
  loadFlag(id: string): Promise<{ ok: true; flag: Flag } | { ok: false; error: ProblemInfo }>;
}

export function suggestedReason(s: StudentStatus | null): FlagReason {
  switch (s?.headline) {
    case 'never_logged_in':
      return 'never_logged_in';
    case 'not_seen':
    case 'chronic':
    case 'absent_today':
      return 'frequently_absent';
    case 'partial_today':
      return 'not_engaging';
    default:
      return 'other';
  }
}

const when = (iso: string | null) => (iso ? new Date(iso).toLocaleString([], { dateStyle: 'medium', timeStyle: 'short' }) : 'never');
const EVENT_TEXT: Record<string, string> = { raised: 'raised', joined: 'joined', assign: 'assigned', contact: 'logged contact', note: 'added a note', resolve: 'resolved', reopen: 'reopened' };

function History({ flag }: { flag: Flag }) {
  return (
    <ol data-region="flag-history">
      {flag.history.map((e, i) => (
        <li key={i}>
          {when(e.at)}: {e.actor} {EVENT_TEXT[e.kind] ?? e.kind}
          {e.method ? ` (${e.method.replace('_', ' ')}${e.result ? `, ${e.result.replace('_', ' ')}` : ''})` : ''}
          {e.note ? <> — “{e.note}”</> : null}
        </li>
      ))}
    </ol>
  );
}

export function Popover(p: PopoverProps) {
  const s = p.status;
  const [reason, setReason] = useState<FlagReason>(suggestedReason(s));
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<{ kind: 'ok' | 'warn' | 'problem'; text: string } | null>(null);
  const [flag, setFlag] = useState<Flag | null>(null);
  const [flagError, setFlagError] = useState<string | null>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  const active = s?.flag && s.flag.state !== 'resolved' ? s.flag : null;

  useEffect(() => heading.current?.focus(), [p.user]);
  useEffect(() => {
    setFlag(null);
    setFlagError(null);
    if (active) void p.loadFlag(active.id).then((r) => (r.ok ? setFlag(r.flag) : setFlagError(problemText(r.error))));
  }, [active?.id, active?.updatedAt]);

  const submit = async (e: Event) => {
    e.preventDefault();
    // What the form holds at the click, not the last rendered state: the last keystroke's update may not have rendered yet.
    const form = new FormData(e.currentTarget as HTMLFormElement);
    const picked = form.get('reason');
    const chosen = active ? active.reason : FLAG_REASONS.includes(picked as FlagReason) ? (picked as FlagReason) : reason;
    const typed = typeof form.get('note') === 'string' ? (form.get('note') as string) : note;
    setBusy(true);
    const r = await p.onRaise(chosen, typed.trim());
    setBusy(false);
    if (!r.ok) setOutcome({ kind: 'problem', text: problemText(r.error) });
    else if ('queued' in r) setOutcome({ kind: 'warn', text: 'Saved. The plugin is unreachable; the flag will be sent once it is back.' });
    else setOutcome({ kind: 'ok', text: r.result.joined ? 'Added to the open flag a colleague raised.' : 'Flag raised. The attendance team will see it.' });
    if (r.ok) setNote('');
  };

  const b = badgeText(s);
  return (
    <div class="pop" role="dialog" aria-modal="false" aria-labelledby="rl-pop-title" style={{ top: `${p.top}px`, left: `${p.left}px` }} data-user={p.user}
      onKeyDown={(e) => { if (e.key === 'Escape') p.onClose(); }}>
      <div class="row" style={{ justifyContent: 'space-between' }}>
        <h2 id="rl-pop-title" tabIndex={-1} ref={heading}>{p.name || `Student ${p.user}`}</h2>
        <button class="btn" onClick={p.onClose} aria-label="Close RosterLens details">✕</button>
      </div>
      {!s ? (
        <p class="warn" data-problem="unknown_student">RosterLens does not know this person as a student of this course, so it has no status for them. If they are a student, the district’s roster import may be behind.</p>
      ) : (
        <>
          <p><span class={`chip ${b.cls}`}>{b.label}</span>{p.stale && <span class="meta"> (saved status, may be out of date)</span>}</p>
          <dl>
            <dt>Last seen</dt><dd>{s.neverLoggedIn ? 'Never logged in' : when(s.lastSeenAt)}</dd>
            <dt>Engaged today</dt><dd>{s.today.engagedMinutes} min{s.today.submitted ? ' · submitted work' : ''}{s.today.liveSession ? ' · live session' : ''}</dd>
            <dt>School days since seen</dt><dd>{s.schoolDaysSinceSeen ?? '—'}</dd>
            <dt>Days absent</dt><dd>{s.daysAbsent} of {s.daysEnrolled} days enrolled{s.daysPartial ? ` (and ${s.daysPartial} partial)` : ''}</dd>
            <dt>Absence</dt><dd>{Math.round(s.absenceRate * 1000) / 10}% · {TIER_TEXT[s.tier]}</dd>
          </dl>
          {active ? (
            <section data-region="flag">
              <h3>Flag: {FLAG_REASON_LABELS[active.reason]} — {FLAG_STATE_TEXT[active.state]}</h3>
              <p class="meta">Raised by {active.raisedBy.join(', ') || 'a colleague'} on {when(active.createdAt)}{active.assignee ? ` · assigned to ${active.assignee}` : ''}</p>
              {flag ? <History flag={flag} /> : flagError ? <p class="meta">{flagError}</p> : <p class="meta">Loading history…</p>}
            </section>
          ) : s.flag ? (
            <p class="meta">Last flag ({FLAG_REASON_LABELS[s.flag.reason]}) was resolved {when(s.flag.updatedAt)}.</p>
          ) : null}
          <form onSubmit={submit} data-form={active ? 'join' : 'raise'}>
            <h3>{active ? 'Add to this flag' : 'Flag for outreach'}</h3>
            {!active && (
              <label>Reason
                <select name="reason" value={reason} onChange={(e) => setReason((e.currentTarget as HTMLSelectElement).value as FlagReason)}>
                  {FLAG_REASONS.map((r) => <option key={r} value={r}>{FLAG_REASON_LABELS[r]}</option>)}
                </select>
              </label>
            )}
            <label>Note for the attendance team (optional)
              <textarea name="note" maxLength={NOTE_MAX_LENGTH} value={note} onInput={(e) => setNote((e.currentTarget as HTMLTextAreaElement).value)} />
            </label>
            <div class="row" style={{ marginTop: '6px' }}>
              <button class="btn primary" type="submit" disabled={busy}>{busy ? 'Sending…' : active ? 'Add my flag' : 'Flag student'}</button>
            </div>
          </form>
          {outcome && <p class={outcome.kind} role="status" data-outcome={outcome.kind}>{outcome.text}</p>}
        </>
      )}
    </div>
  );
}
