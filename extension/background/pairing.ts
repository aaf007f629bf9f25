// Pairing from an LTI launch (plugin/sources/lti/PAIRING.md): the launch page
// on the plugin's own origin hands the content script a credential, which is
// accepted only from the configured plugin origin (or, with none configured
// yet, from the page's own origin, which then becomes the plugin URL).
import type { Runtime } from 'webextension-polyfill';

export const PAIR_TOKEN = /^rl_[a-z0-9]{12}\.[A-Za-z0-9_-]{43}$/;

type SignIn = (url: string, token: string) => Promise<{ ok: boolean; error?: { message: string } }>;

export async function handlePair(
  msg: { token: string; pluginUrl: string; pageOrigin: string },
  sender: Runtime.MessageSender,
  signIn: SignIn,
  configured: () => Promise<string | null>,
): Promise<{ ok: true } | { ok: false; error: string }> {
  let page: URL;
  try {
    page = new URL(sender.url ?? '');
  } catch {
    return { ok: false, error: 'unknown page' };
  }
  // The sender's URL comes from the browser, not from the page: it is the check that counts.
  if (!page.pathname.startsWith('/lti/launch')) return { ok: false, error: 'not a launch page' };
  if (page.origin !== msg.pageOrigin) return { ok: false, error: 'origin mismatch' };
  let claimed: string;
  try {
    claimed = new URL(msg.pluginUrl).origin;
  } catch {
    return { ok: false, error: 'bad pluginUrl' };
  }
  if (claimed !== page.origin) return { ok: false, error: 'pluginUrl is not this page’s origin' };
  const mine = await configured();
  if (mine && mine !== page.origin) return { ok: false, error: 'this is not the RosterLens server the extension is set up for' };
  if (!PAIR_TOKEN.test(msg.token)) return { ok: false, error: 'malformed credential' };
  const r = await signIn(page.origin, msg.token);
  return r.ok ? { ok: true } : { ok: false, error: r.error?.message ?? 'sign-in failed' };
}
