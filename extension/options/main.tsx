// Options: where the plugin is, the credential the district issued, and the
// district's own LMS domains. Host access is asked for here, on the click
// itself, because browsers grant optional hosts only on a user gesture.
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import browser from 'webextension-polyfill';
import type { ProblemInfo, Request, SignInState } from '../lib/messages.ts';
import { isBuiltInHost, matchPattern, toOrigin } from '../lib/origins.ts';

type StateReply = { ok: true; state: SignInState } | { ok: false; error: ProblemInfo; state: SignInState };
const ask = (req: Request) => browser.runtime.sendMessage(req) as Promise<StateReply>;

/** Starts the permission request synchronously inside the click, as browsers require. */
function requestHosts(origins: string[]): Promise<boolean> {
  const wanted = origins.filter((o) => !isBuiltInHost(o)).map((o) => matchPattern(o));
  if (!wanted.length) return Promise.resolve(true);
  return browser.permissions.request({ origins: wanted });
}

function Options() {
  const [state, setState] = useState<SignInState | null>(null);
  const [url, setUrl] = useState('');
  const [token, setToken] = useState('');
  const [domain, setDomain] = useState('');
  const [granted, setGranted] = useState<Record<string, boolean>>({});
  const [msg, setMsg] = useState<{ kind: 'ok' | 'problem'; text: string } | null>(null);

  const refreshGrants = async (s: SignInState) => {
    const g: Record<string, boolean> = {};
    for (const d of [...s.lmsDomains, ...s.managedLmsDomains]) g[d] = isBuiltInHost(d) || (await browser.permissions.contains({ origins: [matchPattern(d)] }));
    setGranted(g);
  };
  const take = (r: StateReply) => {
    setState(r.state);
    if (r.state.pluginUrl) setUrl(r.state.pluginUrl);
    void refreshGrants(r.state);
    return r;
  };
  useEffect(() => void ask({ type: 'state' }).then(take), []);

  const signIn = (e: Event) => {
    e.preventDefault();
    const origin = toOrigin(url);
    if (!origin) return setMsg({ kind: 'problem', text: 'Enter the RosterLens address your district gave you, e.g. https://rosterlens.district.org' });
    if (!token.trim()) return setMsg({ kind: 'problem', text: 'Paste the credential your district admin issued.' });
    const permission = requestHosts([origin]);
    void permission.then(async (ok) => {
      if (!ok) return setMsg({ kind: 'problem', text: `RosterLens needs permission to talk to ${origin}.` });
      const r = take(await ask({ type: 'signIn', pluginUrl: origin, token }));
      setToken('');
      setMsg(r.ok ? { kind: 'ok', text: `Signed in as ${r.state.me?.label} (${r.state.me?.role}, ${r.state.me?.tenantName}).` } : { kind: 'problem', text: r.error.message });
    });
  };

  const addDomain = (e: Event) => {
    e.preventDefault();
    const origin = toOrigin(domain);
    if (!origin) return setMsg({ kind: 'problem', text: 'Enter a domain such as moodle.district.org' });
    const permission = requestHosts([origin]);
    void permission.then(async (ok) => {
      if (!ok) return setMsg({ kind: 'problem', text: `Permission for ${origin} was not granted; RosterLens will not run there.` });
      take(await ask({ type: 'setDomains', lmsDomains: [...(state?.lmsDomains ?? []), origin] }));
      setDomain('');
      setMsg({ kind: 'ok', text: `RosterLens will show badges on roster pages of ${origin}. Reload any open roster tab.` });
    });
  };

  const allow = (origin: string) => {
    void requestHosts([origin]).then(async (ok) => {
      if (ok) take(await ask({ type: 'setDomains', lmsDomains: state?.lmsDomains ?? [] }));
    });
  };

  const remove = async (origin: string) => {
    if (!isBuiltInHost(origin)) await browser.permissions.remove({ origins: [matchPattern(origin)] }).catch(() => false);
    take(await ask({ type: 'setDomains', lmsDomains: (state?.lmsDomains ?? []).filter((d) => d !== origin) }));
  };

  if (!state) return <main><p>Loading…</p></main>;
  return (
    <main>
      <h1>RosterLens</h1>
      <p class="meta">Attendance and engagement badges on your LMS roster. Your district runs the RosterLens plugin; this extension only talks to it.</p>
      {msg && <p class={msg.kind} role="status" data-msg={msg.kind}>{msg.text}</p>}

      <h2>Sign in</h2>
      {state.me ? (
        <p data-signed-in="yes">Signed in as <b>{state.me.label}</b> ({state.me.role}) at {state.me.tenantName} · credential expires {new Date(state.me.expiresAt).toLocaleDateString()}{' '}
          <button onClick={async () => take(await ask({ type: 'signOut' }))}>Sign out</button></p>
      ) : (
        <p class="meta" data-signed-in="no">Not signed in.</p>
      )}
      <form onSubmit={signIn}>
        <label for="plugin">RosterLens address</label>
        <input id="plugin" type="url" value={url} disabled={state.managedPluginUrl} placeholder="https://rosterlens.district.org" onInput={(e) => setUrl((e.currentTarget as HTMLInputElement).value)} />
        {state.managedPluginUrl && <p class="meta">Set by your district.</p>}
        <label for="token">Credential</label>
        <input id="token" type="password" autocomplete="off" value={token} placeholder="rl_…" onInput={(e) => setToken((e.currentTarget as HTMLInputElement).value)} />
        <p class="meta">Your district admin issues it. Opening RosterLens from your course’s LTI link signs you in without pasting.</p>
        <button class="primary" type="submit" id="sign-in">Sign in</button>
      </form>

      <h2>Your LMS</h2>
      <p class="meta">Canvas (*.instructure.com), Schoology (*.schoology.com) and Google Classroom work without setup. If your district runs its own LMS (for example Moodle), add its address; your browser will ask you to allow RosterLens on that site only.</p>
      <ul data-region="domains">
        {state.managedLmsDomains.map((d) => <li key={d}>{d} <span class="meta">(set by your district)</span> {!granted[d] && <button onClick={() => allow(d)}>Allow</button>}</li>)}
        {state.lmsDomains.map((d) => <li key={d}>{d} {granted[d] ? <span class="meta">allowed</span> : <button onClick={() => allow(d)}>Allow</button>} <button onClick={() => void remove(d)}>Remove</button></li>)}
      </ul>
      <form onSubmit={addDomain}>
        <label for="domain">Add an LMS address</label>
        <input id="domain" type="text" value={domain} placeholder="moodle.district.org" onInput={(e) => setDomain((e.currentTarget as HTMLInputElement).value)} />
        <button type="submit" id="add-domain">Add and allow</button>
      </form>

      {(state.queued > 0 || state.failed.length > 0) && (
        <>
          <h2>Flags waiting</h2>
          {state.queued > 0 && <p>{state.queued} flag(s) saved in this browser will be sent when the plugin is reachable.</p>}
          {state.failed.length > 0 && <ul>{state.failed.map((f) => <li key={f.clientRequestId}>Student {f.body.student} in course {f.body.course}: {f.error}</li>)}</ul>}
        </>
      )}
    </main>
  );
}

render(<Options />, document.getElementById('app')!);
