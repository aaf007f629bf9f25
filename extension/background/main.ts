// The service worker: the only part of the extension that talks to the
// plugin. It answers the content script, the options page and the popup.
import browser, { type Runtime } from 'webextension-polyfill';
import type { Flag, FlagList, Me } from '../../shared/api.ts';
import { CONTENT_ALLOWED, type ProblemInfo, type RaiseReply, type Request, type SignInState } from '../lib/messages.ts';
import { toOrigin } from '../lib/origins.ts';
import { call } from './api.ts';
import { failed, flush, queuedCount, raise } from './outbox.ts';
import { syncContentScripts } from './registration.ts';
import { clearSession, lmsDomains, managed, pluginUrl, saveSession, session, setLmsDomains } from './settings.ts';
import { cachedStatus, clearStatuses, fetchStatus } from './statuses.ts';
import { handlePair } from './pairing.ts';

const FLUSH_ALARM = 'rosterlens-flush';

const notSignedIn = async (): Promise<ProblemInfo> =>
  (await pluginUrl()).url
    ? { problem: 'not_signed_in', message: 'RosterLens is not signed in. Paste the credential from your district in the extension options.' }
    : { problem: 'not_configured', message: 'RosterLens is not set up yet. Enter your district’s RosterLens address in the extension options.' };

async function state(): Promise<SignInState> {
  const s = await session();
  const url = await pluginUrl();
  const d = await lmsDomains();
  return { pluginUrl: url.url, managedPluginUrl: url.managed, me: s?.me ?? null, lmsDomains: d.mine, managedLmsDomains: d.managed, queued: await queuedCount(), failed: await failed() };
}

async function scheduleFlush() {
  if ((await queuedCount()) > 0) await browser.alarms.create(FLUSH_ALARM, { periodInMinutes: 1 });
  else await browser.alarms.clear(FLUSH_ALARM);
}

async function flushNow() {
  const s = await session();
  if (s) await flush(s);
  await scheduleFlush();
}

async function signIn(rawUrl: string, token: string) {
  const url = (await managed()).pluginUrl ?? toOrigin(rawUrl);
  if (!url) return { ok: false as const, error: { problem: 'not_configured' as const, message: 'That is not a web address.' }, state: await state() };
  const r = await call<Me>(url, token.trim(), '/me');
  if (!r.ok) return { ok: false as const, error: r.error, state: await state() };
  if (r.value.role !== 'teacher' && r.value.role !== 'staff' && r.value.role !== 'admin') {
    return { ok: false as const, error: { problem: 'not_signed_in' as const, message: 'This credential is not a teacher’s or staff member’s.' }, state: await state() };
  }
  await clearStatuses();
  await saveSession(url, token.trim(), r.value);
  await syncContentScripts();
  void flushNow();
  return { ok: true as const, state: await state() };
}

async function handle(msg: Request, sender: Runtime.MessageSender): Promise<unknown> {
  const fromExtensionPage = !!sender.url?.startsWith(browser.runtime.getURL(''));
  if (sender.id !== browser.runtime.id) throw new Error('unknown sender');
  if (!fromExtensionPage && !CONTENT_ALLOWED.has(msg.type)) throw new Error('not allowed from a web page');

  switch (msg.type) {
    case 'state':
      return { ok: true, state: await state() };
    case 'signIn':
      return signIn(msg.pluginUrl, msg.token);
    case 'signOut':
      await clearSession();
      await clearStatuses();
      return { ok: true, state: await state() };
    case 'setDomains': {
      await setLmsDomains(msg.lmsDomains.map(toOrigin).filter((o): o is string => !!o));
      await syncContentScripts();
      return { ok: true, state: await state() };
    }
    case 'openOptions':
      await browser.runtime.openOptionsPage();
      return { ok: true };
    case 'pair':
      return handlePair(msg, sender, signIn, async () => (await pluginUrl()).url);
    case 'flush':
      await flushNow();
      return { ok: true };
  }

  const s = await session();
  if (!s) {
    const error = await notSignedIn();
    if (msg.type === 'status') return { ok: false, error, cached: null };
    if (msg.type === 'raiseMany') return { results: msg.students.map(() => ({ ok: false, error })) };
    return { ok: false, error };
  }

  switch (msg.type) {
    case 'status': {
      if (msg.mode === 'cache') {
        const c = await cachedStatus(s, msg.course);
        return c ? { ok: true, data: c, source: 'cache' } : { ok: false, error: { problem: 'unreachable', message: 'no cached copy' }, cached: null };
      }
      const r = await fetchStatus(s, msg.course);
      // The plugin answered: a good moment to deliver what waited for it.
      if (r.ok) void flushNow();
      return r;
    }
    case 'raise': {
      const r = await raise(s, msg.body);
      await scheduleFlush();
      return r;
    }
    case 'raiseMany': {
      const results: RaiseReply[] = [];
      for (const student of msg.students) results.push(await raise(s, { course: msg.course, student, reason: msg.reason, ...(msg.note ? { note: msg.note } : {}) }));
      await scheduleFlush();
      return { results };
    }
    case 'flag': {
      const r = await call<Flag>(s.pluginUrl, s.token, `/flags/${encodeURIComponent(msg.flagId)}`);
      return r.ok ? { ok: true, flag: r.value } : { ok: false, error: r.error };
    }
    case 'addNote': {
      const r = await call<Flag>(s.pluginUrl, s.token, `/flags/${encodeURIComponent(msg.flagId)}/actions`, { method: 'POST', body: { action: 'note', note: msg.note } });
      return r.ok ? { ok: true, flag: r.value } : { ok: false, error: r.error };
    }
    case 'myFlags': {
      const r = await call<FlagList>(s.pluginUrl, s.token, '/flags?raisedBy=me&state=active&limit=100');
      if (!r.ok) return { ok: false, error: r.error };
      // The outcomes too, so a teacher sees what came of a flag after it left the active list.
      const done = await call<FlagList>(s.pluginUrl, s.token, '/flags?raisedBy=me&state=resolved&limit=10');
      return { ok: true, list: r.value, resolved: done.ok ? done.value : { flags: [], total: 0 } };
    }
  }
}

browser.runtime.onMessage.addListener((msg: unknown, sender: Runtime.MessageSender) => {
  if (!msg || typeof msg !== 'object' || typeof (msg as { type?: unknown }).type !== 'string') return undefined;
  return handle(msg as Request, sender).catch((e: unknown) => ({ ok: false, error: { problem: 'server_error', message: e instanceof Error ? e.message : String(e) } }));
});

browser.alarms.onAlarm.addListener((a) => {
  if (a.name === FLUSH_ALARM) void flushNow();
});
browser.runtime.onInstalled.addListener(() => void syncContentScripts().then(flushNow));
browser.runtime.onStartup.addListener(() => void syncContentScripts().then(flushNow));
browser.permissions.onAdded.addListener(() => void syncContentScripts());
browser.permissions.onRemoved.addListener(() => void syncContentScripts());
browser.storage.onChanged.addListener((_c, area) => {
  if (area === 'managed') void syncContentScripts();
});
