// Roster status per course: the cached copy answers at once, the plugin's
// answer replaces it. A copy older than STALE_MS is shown marked as stale.
import type { RosterStatus } from '../../shared/api.ts';
import type { CachedStatus, StatusReply } from '../lib/messages.ts';
import { call } from './api.ts';
import { db } from './db.ts';
import { identityOf, type Session } from './settings.ts';

export const STALE_MS = 10 * 60_000;
/** Old copies are dropped rather than shown: a week-old status misleads more than it helps. */
const MAX_AGE_MS = 7 * 86_400_000;

const keyOf = (s: Session, course: string) => `${identityOf(s)}|${course}`;

export async function cachedStatus(s: Session, course: string, now = Date.now()): Promise<CachedStatus | null> {
  const row = await (await db()).get('statuses', keyOf(s, course));
  if (!row || now - row.fetchedAt > MAX_AGE_MS) return null;
  return { status: row.status, fetchedAt: row.fetchedAt, stale: now - row.fetchedAt > STALE_MS };
}

export async function fetchStatus(s: Session, course: string): Promise<StatusReply> {
  const r = await call<RosterStatus>(s.pluginUrl, s.token, `/courses/${encodeURIComponent(course)}/status`);
  const d = await db();
  if (r.ok) {
    const fetchedAt = Date.now();
    await d.put('statuses', { key: keyOf(s, course), status: r.value, fetchedAt });
    return { ok: true, data: { status: r.value, fetchedAt, stale: false }, source: 'network' };
  }
  // A refusal is final: no cached copy of a course the teacher may no longer read stays around.
  if (r.error.problem === 'not_course_teacher' || r.error.problem === 'unknown_course' || r.error.problem === 'not_signed_in') {
    await d.delete('statuses', keyOf(s, course));
    return { ok: false, error: r.error, cached: null };
  }
  const cached = await cachedStatus(s, course);
  return { ok: false, error: r.error, cached: cached ? { ...cached, stale: true } : null };
}

export async function clearStatuses(): Promise<void> {
  await (await db()).clear('statuses');
}
