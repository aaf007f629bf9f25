// The roster status of one course: every enrolled student's status, computed
// by the shared pure functions, plus the counts the class summary shows.
import { isoFromDay } from '../../shared/days.ts';
import { isSchoolDay } from '../../shared/calendar.ts';
import type { RosterStatus, StudentStatus } from '../../shared/api.ts';
import type { FlagRecord, Store } from '../store/store.ts';
import { statusFor, type TenantContext } from './tenant-context.ts';
import { toFlagBrief } from './flag-views.ts';

/** A resolved flag stays on the roster this long so the teacher sees its outcome. */
export const RESOLVED_VISIBLE_MS = 14 * 86_400_000;

export async function rosterStatus(store: Store, ctx: TenantContext, course: string, now: number): Promise<RosterStatus> {
  const today = ctx.today(now);
  const rows = await store.rosterRows(ctx.tenant.id, course, today);
  const flags = await store.recentFlagsOf(ctx.tenant.id, rows.map((r) => r.user), now - RESOLVED_VISIBLE_MS);
  const flagOf = new Map<string, FlagRecord>();
  for (const f of flags) {
    const prev = flagOf.get(f.student);
    // An active flag outranks a resolved one; among equals the newest wins.
    const rank = (x: FlagRecord) => (x.state === 'resolved' ? 0 : 1);
    if (!prev || rank(f) > rank(prev) || (rank(f) === rank(prev) && f.updatedAt > prev.updatedAt)) flagOf.set(f.student, f);
  }
  const counts: Record<string, number> = { flagged: 0 };
  const students: StudentStatus[] = rows.map((r) => {
    const s = statusFor(ctx, today, r);
    const flag = flagOf.get(r.user);
    counts[s.headline] = (counts[s.headline] ?? 0) + 1;
    if (flag && flag.state !== 'resolved') counts.flagged! += 1;
    return {
      user: r.user,
      headline: s.headline,
      today: { date: isoFromDay(today), state: s.todayState, engagedMinutes: s.todayEngagedMinutes, submitted: s.todaySubmitted, liveSession: s.todayLive },
      neverLoggedIn: s.neverLoggedIn,
      lastSeenAt: s.lastSeenAt === null ? null : new Date(s.lastSeenAt).toISOString(),
      schoolDaysSinceSeen: s.schoolDaysSinceSeen,
      daysEnrolled: s.daysEnrolled,
      daysPresent: s.daysPresent,
      daysPartial: s.daysPartial,
      daysAbsent: s.daysAbsent,
      absenceRate: Math.round(s.absenceRate * 10000) / 10000,
      tier: s.tier,
      flag: flag ? toFlagBrief(flag) : null,
    };
  });
  students.sort((a, b) => (a.user < b.user ? -1 : a.user > b.user ? 1 : 0));
  return {
    course,
    today: isoFromDay(today),
    schoolDay: isSchoolDay(ctx.calendar, today),
    generatedAt: new Date(now).toISOString(),
    rule: ctx.tenant.policy.rule,
    notSeenAlertDays: ctx.tenant.policy.notSeenAlertDays,
    counts,
    students,
  };
}
