// Content scripts for hosts the manifest does not name: a district's own LMS
// domain (the roster script) and the plugin's LTI launch page (the pairing
// script). Each runs only where the teacher granted the host, asked for on a
// user gesture from the options page; nothing probes other sites.
import browser from 'webextension-polyfill';
import { isBuiltInHost, matchPattern } from '../lib/origins.ts';
import { lmsDomains, pluginUrl } from './settings.ts';

const ROSTER_ID = 'rosterlens-roster';
const PAIR_ID = 'rosterlens-pair';
/** Where crxjs writes the pairing script (extension/content/pair.iife.ts → .js). */
const PAIR_FILE = 'extension/content/pair.iife.js';

/** The built files of the manifest's content scripts: the roster one first, the pairing one second. */
function builtScripts(): { roster: string[]; pair: string[] } {
  const cs = browser.runtime.getManifest().content_scripts ?? [];
  const find = (needle: string) => cs.find((c) => c.js?.some((j) => j.includes(needle)))?.js ?? [];
  // The store package declares no static pairing script (its loopback matches are dropped), so the built file is named here too.
  const pair = find('pair');
  return { roster: find('roster'), pair: pair.length ? pair : [PAIR_FILE] };
}

async function granted(pattern: string): Promise<boolean> {
  try {
    return await browser.permissions.contains({ origins: [pattern] });
  } catch {
    return false;
  }
}

export async function syncContentScripts(): Promise<{ roster: string[]; pair: string[] }> {
  const { roster, pair } = builtScripts();
  const domains = await lmsDomains();
  const rosterMatches: string[] = [];
  for (const origin of new Set([...domains.mine, ...domains.managed])) {
    if (isBuiltInHost(origin)) continue;
    const p = matchPattern(origin);
    if (await granted(p)) rosterMatches.push(p);
  }
  const pairMatches: string[] = [];
  const plugin = (await pluginUrl()).url;
  if (plugin && (await granted(matchPattern(plugin)))) pairMatches.push(matchPattern(plugin, '/lti/launch*'));

  const existing = (await browser.scripting.getRegisteredContentScripts()).map((s) => s.id);
  const ours = existing.filter((id) => id === ROSTER_ID || id === PAIR_ID);
  if (ours.length) await browser.scripting.unregisterContentScripts({ ids: ours });
  const wanted = [];
  if (rosterMatches.length && roster.length) wanted.push({ id: ROSTER_ID, matches: rosterMatches, js: roster, runAt: 'document_idle' as const, persistAcrossSessions: true });
  if (pairMatches.length && pair.length) wanted.push({ id: PAIR_ID, matches: pairMatches, js: pair, runAt: 'document_idle' as const, persistAcrossSessions: true });
  if (wanted.length) await browser.scripting.registerContentScripts(wanted);
  return { roster: rosterMatches, pair: pairMatches };
}
