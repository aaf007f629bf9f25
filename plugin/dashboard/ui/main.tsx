// The attendance dashboard: sign-in, then the queue, case view, lists, the
// picture and (for admins) notification settings. Hash routes keep every view
// linkable and the server's routing trivial.
import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { DashMeta, DashSession } from '../../../shared/dashboard-api.ts';
import { api, ApiError, setCsrf, whenSignedOut } from './api.ts';
import { announce, Announcer, useRoute, navigate, type Route } from './ui.tsx';
import { QueueView } from './queue.tsx';
import { CaseView, FlagRedirect } from './case.tsx';
import { ListsView } from './lists.tsx';
import { PictureView } from './picture.tsx';
import { SettingsView } from './settings.tsx';
import './styles.css';

function SignIn({ onSignedIn, initialError }: { onSignedIn: (s: DashSession) => void; initialError: string | null }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | null>(initialError);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const s = await api<DashSession>('POST', '/session', { token: token.trim() });
      setToken('');
      onSignedIn(s);
    } catch (err) {
      setError(err instanceof ApiError ? err.message : 'Sign-in failed.');
    } finally {
      setBusy(false);
    }
  };
  return (
    <main id="main" class="signin">
      <form class="signin-card" onSubmit={submit} aria-labelledby="signin-title">
        <h1 id="signin-title">RosterLens attendance</h1>
        <p>Sign in with the attendance-staff or admin credential your district admin gave you. It starts with <code>rl_</code>.</p>
        <label for="token">Credential</label>
        <input id="token" name="token" type="password" autoFocus autocomplete="off" spellcheck={false} required value={token} onInput={(e) => setToken(e.currentTarget.value)} aria-describedby="signin-help" aria-invalid={error ? true : undefined} />
        {error && (
          <p class="error" role="alert" id="signin-error">
            {error}
          </p>
        )}
        <button type="submit" class="primary" disabled={busy || !token.trim()}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        <p class="hint" id="signin-help">
          Teachers: the status of your students and the outcome of your flags are in the RosterLens extension on your LMS roster page.
        </p>
      </form>
    </main>
  );
}

function Shell({ session, meta, route, onSignOut }: { session: DashSession; meta: DashMeta | null; route: Route; onSignOut: () => void }) {
  const main = useRef<HTMLElement>(null);
  const first = useRef(true);
  useEffect(() => {
    // Move focus to the new view so keyboard and screen-reader users land on it.
    if (first.current) first.current = false;
    else main.current?.focus();
  }, [route.path.join('/')]);
  const section = route.path[0] ?? 'queue';
  const tab = (href: string, label: string, key: string) => (
    <a href={href} aria-current={section === key ? 'page' : undefined}>
      {label}
    </a>
  );
  let view;
  if (!meta) view = <p class="loading">Loading…</p>;
  else if (section === 'case' && route.path[1]) view = <CaseView student={route.path[1]} meta={meta} session={session} focusFlag={route.params.get('flag')} />;
  else if (section === 'flag' && route.path[1]) view = <FlagRedirect flagId={route.path[1]} />;
  else if (section === 'lists') view = <ListsView meta={meta} route={route} />;
  else if (section === 'picture') view = <PictureView meta={meta} route={route} />;
  else if (section === 'settings' && session.role === 'admin') view = <SettingsView meta={meta} />;
  else view = <QueueView meta={meta} session={session} route={route} />;
  return (
    <>
      <a class="skip" href="#main" onClick={(e) => { e.preventDefault(); main.current?.focus(); }}>
        Skip to content
      </a>
      <header class="topbar">
        <div class="brand">
          <span class="logo" aria-hidden="true">◉</span> RosterLens <span class="tenant">{session.tenantName}</span>
        </div>
        <nav aria-label="Dashboard">
          {tab('#/queue', 'Queue', 'queue')}
          {tab('#/lists/never-logged-in', 'Lists', 'lists')}
          {tab('#/picture', 'Picture', 'picture')}
          {session.role === 'admin' && tab('#/settings', 'Settings', 'settings')}
        </nav>
        <div class="who">
          <span>
            {session.label} · {session.role === 'admin' ? 'District admin' : 'Attendance staff'}
            <span class="schools"> · {session.allSchools ? 'All schools' : session.schools.map((s) => s.name).join(', ')}</span>
          </span>
          <button type="button" class="ghost" onClick={onSignOut}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" ref={main} tabIndex={-1}>
        {view}
      </main>
    </>
  );
}

function App() {
  const [session, setSession] = useState<DashSession | null | 'loading'>('loading');
  const [meta, setMeta] = useState<DashMeta | null>(null);
  const [signInError, setSignInError] = useState<string | null>(null);
  const route = useRoute();

  const signedIn = (s: DashSession) => {
    setCsrf(s.csrfToken);
    setSession(s);
    api<DashMeta>('GET', '/meta').then(setMeta, () => undefined);
    if (!location.hash || location.hash === '#' || location.hash === '#/') navigate('#/queue');
  };
  useEffect(() => {
    whenSignedOut(() => {
      setSession(null);
      setMeta(null);
      announce('Your session has ended. Sign in again.');
    });
    // A one-time link from an LTI launch: trade the code (kept out of history) for a session.
    const handoff = /^#signin=([A-Za-z0-9_-]+)$/.exec(location.hash);
    if (handoff) {
      history.replaceState(null, '', `${location.pathname}#/queue`);
      api<DashSession>('POST', '/session', { code: handoff[1] }).then(signedIn, (e: unknown) => {
        setSignInError(e instanceof ApiError ? e.message : 'That sign-in link did not work.');
        setSession(null);
      });
      return;
    }
    api<DashSession>('GET', '/session').then(signedIn, () => setSession(null));
  }, []);
  const signOut = async () => {
    try {
      await api('DELETE', '/session');
    } finally {
      setCsrf('');
      setSession(null);
      setMeta(null);
    }
  };
  return (
    <>
      {session === 'loading' ? <p class="loading">Loading…</p> : session ? <Shell session={session} meta={meta} route={route} onSignOut={signOut} /> : <SignIn onSignedIn={signedIn} initialError={signInError} />}
      <Announcer />
    </>
  );
}

render(<App />, document.getElementById('app')!);
