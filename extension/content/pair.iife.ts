// Runs only on the plugin's LTI launch page (see plugin/sources/lti/PAIRING.md):
// takes the credential the page offers and hands it to the service worker,
// which checks where it came from before keeping it. The token never touches
// page-visible storage.
import browser from 'webextension-polyfill';

const TOKEN = /^rl_[a-z0-9]{12}\.[A-Za-z0-9_-]{43}$/;
const origin = location.origin;
let state: 'idle' | 'busy' | 'done' = 'idle';

window.addEventListener('message', (e: MessageEvent) => {
  if (e.source !== window || e.origin !== origin || state !== 'idle') return;
  const d = e.data as { type?: unknown; version?: unknown; token?: unknown; pluginUrl?: unknown; expiresAt?: unknown } | null;
  if (!d || d.type !== 'rosterlens:pair' || d.version !== 1) return;
  const reply = (ok: boolean, error?: string) => window.postMessage({ type: 'rosterlens:paired', ok, ...(error ? { error } : {}) }, origin);
  if (typeof d.token !== 'string' || !TOKEN.test(d.token) || typeof d.pluginUrl !== 'string' || typeof d.expiresAt !== 'string' || Number.isNaN(Date.parse(d.expiresAt))) {
    reply(false, 'malformed pairing message');
    state = 'done';
    return;
  }
  state = 'busy';
  browser.runtime
    .sendMessage({ type: 'pair', token: d.token, pluginUrl: d.pluginUrl, pageOrigin: origin })
    .then((r) => {
      const res = r as { ok: boolean; error?: string };
      reply(res.ok, res.ok ? undefined : res.error);
    })
    .catch(() => reply(false, 'the extension could not store the credential'))
    .finally(() => {
      state = 'done';
    });
});

window.postMessage({ type: 'rosterlens:hello' }, origin);
