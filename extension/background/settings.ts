// Where the plugin is and who is signed in. A district's managed settings
// (storage.managed, see managed-schema.json) win over what the teacher typed:
// a force-installed extension cannot be pointed at another server.
import browser from 'webextension-polyfill';
import type { Me } from '../../shared/api.ts';
import { toOrigin } from '../lib/origins.ts';
import { kvDelete, kvGet, kvSet } from './db.ts';

export interface Managed {
  pluginUrl: string | null;
  lmsDomains: string[];
}

export async function managed(): Promise<Managed> {
  try {
    const m = (await browser.storage.managed.get(['pluginUrl', 'lmsDomains'])) as { pluginUrl?: unknown; lmsDomains?: unknown };
    const pluginUrl = typeof m.pluginUrl === 'string' ? toOrigin(m.pluginUrl) : null;
    const lmsDomains = Array.isArray(m.lmsDomains) ? m.lmsDomains.map((d) => (typeof d === 'string' ? toOrigin(d) : null)).filter((d): d is string => !!d) : [];
    return { pluginUrl, lmsDomains };
  } catch {
    // No policy for this browser: managed storage is simply empty.
    return { pluginUrl: null, lmsDomains: [] };
  }
}

export interface Session {
  pluginUrl: string;
  token: string;
  me: Me | null;
}

export async function pluginUrl(): Promise<{ url: string | null; managed: boolean }> {
  const m = await managed();
  if (m.pluginUrl) return { url: m.pluginUrl, managed: true };
  return { url: (await kvGet<string>('pluginUrl')) ?? null, managed: false };
}

export async function session(): Promise<Session | null> {
  const { url } = await pluginUrl();
  const token = await kvGet<string>('token');
  // A credential belongs to the server it was issued by; a changed plugin URL signs the teacher out.
  if (!url || !token || (await kvGet<string>('tokenFor')) !== url) return null;
  return { pluginUrl: url, token, me: (await kvGet<Me>('me')) ?? null };
}

export async function saveSession(url: string, token: string, me: Me): Promise<void> {
  await kvSet('pluginUrl', url);
  await kvSet('token', token);
  await kvSet('tokenFor', url);
  await kvSet('me', me);
}

export async function clearSession(): Promise<void> {
  await kvDelete('token');
  await kvDelete('tokenFor');
  await kvDelete('me');
}

export async function lmsDomains(): Promise<{ mine: string[]; managed: string[] }> {
  return { mine: (await kvGet<string[]>('lmsDomains')) ?? [], managed: (await managed()).lmsDomains };
}

export async function setLmsDomains(list: string[]): Promise<void> {
  await kvSet('lmsDomains', [...new Set(list)]);
}

/** The cache and the outbox are per person and server, so a shared computer never mixes two teachers. */
export function identityOf(s: Session): string {
  return `${s.pluginUrl}|${s.me?.tenant ?? '?'}|${s.me?.person ?? s.me?.label ?? '?'}`;
}
