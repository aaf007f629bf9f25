// The toolbar popup: the summary of the course in the current tab, and the
// flags this teacher raised with their state.
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import browser from 'webextension-polyfill';
import type { Flag } from '../../shared/api.ts';
import { FLAG_OUTCOME_LABELS, FLAG_REASON_LABELS } from '../../shared/flags.ts';
import { FLAG_STATE_TEXT, HEADLINES, HEADLINE_TEXT } from '../lib/labels.ts';
import type { Reply, Request, SignInState, StatusReply } from '../lib/messages.ts';
import { adapterFor } from '../content/lms/index.ts';

const ask = <R extends Request>(req: R) => browser.runtime.sendMessage(req) as Promise<Reply<R['type']>>;

async function currentCourse(): Promise<string | null> {
  // Host permissions let the popup read the URL of an LMS tab without the "tabs" permission.
  const [tab] = await browser.tabs.query({ active: true, currentWindow: true });
  if (!tab?.url) return null;
  const url = new URL(tab.url);
  return adapterFor(url)?.courseId(url, document.implementation.createHTMLDocument('')) ?? null;
}

function Popup() {
  const [state, setState] = useState<SignInState | null>(null);
  const [course, setCourse] = useState<string | null>(null);
  const [status, setStatus] = useState<StatusReply | null>(null);
  const [flags, setFlags] = useState<Flag[] | null>(null);
  const [resolved, setResolved] = useState<Flag[]>([]);
  const [flagsError, setFlagsError] = useState<string | null>(null);

  useEffect(() => {
    void (async () => {
      const s = await ask({ type: 'state' });
      setState(s.state);
      if (!s.state.me) return;
      const c = await currentCourse();
      setCourse(c);
      if (c) {
        const cached = await ask({ type: 'status', course: c, mode: 'cache' });
        if (cached.ok) setStatus(cached);
        setStatus(await ask({ type: 'status', course: c, mode: 'network' }));
      }
      const mine = await ask({ type: 'myFlags' });
      if (mine.ok) {
        setFlags(mine.list.flags);
        setResolved(mine.resolved.flags);
      }
      else setFlagsError(mine.error.message);
    })();
  }, []);

  if (!state) return <main><p>Loading…</p></main>;
  if (!state.me)
    return (
      <main>
        <h1>RosterLens</h1>
        <p class="problem" data-problem={state.pluginUrl ? 'not_signed_in' : 'not_configured'}>{state.pluginUrl ? 'Not signed in.' : 'Not set up yet.'}</p>
        <button class="primary" onClick={() => void browser.runtime.openOptionsPage()}>Open options</button>
      </main>
    );

  const data = status?.ok ? status.data : status && !status.ok ? status.cached : null;
  return (
    <main>
      <h1>RosterLens</h1>
      <p class="meta">{state.me.label} · {state.me.tenantName}</p>
      {state.queued > 0 && <p class="problem">{state.queued} flag(s) waiting to be sent. <button onClick={() => void ask({ type: 'flush' })}>Send now</button></p>}
      <h2>This course</h2>
      {!course ? (
        <p class="meta">Open a course roster in your LMS to see its summary.</p>
      ) : status && !status.ok && !data ? (
        <p class="problem" data-problem={status.error.problem}>{status.error.message}</p>
      ) : data ? (
        <table data-region="course-summary">
          <tbody>
            {HEADLINES.filter((h) => (data.status.counts[h] ?? 0) > 0).map((h) => <tr key={h}><td>{HEADLINE_TEXT[h]}</td><td>{data.status.counts[h]}</td></tr>)}
            <tr><td>Flagged</td><td>{data.status.counts.flagged ?? 0}</td></tr>
          </tbody>
        </table>
      ) : (
        <p class="meta">Loading…</p>
      )}
      {data?.stale && <p class="meta">Saved status; may be out of date.</p>}
      <h2>Flags you raised</h2>
      {flagsError ? <p class="problem">{flagsError}</p> : !flags ? <p class="meta">Loading…</p> : flags.length === 0 ? <p class="meta">None open.</p> : (
        <table data-region="my-flags">
          <tbody>
            {flags.map((f) => (
              <tr key={f.id}><td>Student {f.student}</td><td>{FLAG_REASON_LABELS[f.reason]}</td><td>{FLAG_STATE_TEXT[f.state]}{f.assignee ? ` · ${f.assignee}` : ''}</td></tr>
            ))}
          </tbody>
        </table>
      )}
      {resolved.length > 0 && (
        <>
          <h2>Recently resolved</h2>
          <table data-region="my-resolved">
            <tbody>
              {resolved.map((f) => (
                <tr key={f.id}><td>Student {f.student}</td><td>{FLAG_REASON_LABELS[f.reason]}</td><td>{f.outcome ? FLAG_OUTCOME_LABELS[f.outcome] : FLAG_STATE_TEXT[f.state]}</td></tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </main>
  );
}

render(<Popup />, document.getElementById('app')!);
