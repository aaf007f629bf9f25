// Status computation: pure functions from rollups, calendar, enrollment and
// policy. The server, the dashboard and the extension all call these, so they
// agree by construction.
import { countSchoolDays, instructionalMinutes, isSchoolDay, type Calendar } from './calendar.ts';
import { tierFor, type Policy, type Tier } from './policy.ts';

export type DayState = 'present' | 'partial' | 'absent';

/** What status needs from one student × course × day rollup. */
export interface DayFacts {
  engagedSeconds: number;
  signals: number;
  submissions: number;
  liveSessions: number;
  checkIns: number;
}

export const NO_ACTIVITY: DayFacts = { engagedSeconds: 0, signals: 0, submissions: 0, liveSessions: 0, checkIns: 0 };

export function requiredEngagedSeconds(cal: Calendar, day: number, policy: Policy): number {
  const minutes = policy.courseMinutes ?? instructionalMinutes(cal, day);
  return Math.ceil(minutes * 60 * policy.engagedFraction);
}

/** A day's state under the policy. Callers decide whether the day is a school day. */
export function dayState(f: DayFacts, requiredSeconds: number, policy: Policy): DayState {
  if (f.signals <= 0) return 'absent';
  // A verified check-in is the district's own attendance act; it counts under both rules.
  if (f.checkIns > 0) return 'present';
  if (policy.rule === 'logged_in') return 'present';
  if (f.submissions > 0 || f.liveSessions > 0) return 'present';
  if (f.engagedSeconds >= requiredSeconds) return 'present';
  return 'partial';
}

/** +1/-1 changes to a student's present/partial day counts when a day's facts change. */
export function dayCountDelta(before: DayState, after: DayState): { present: number; partial: number } {
  return {
    present: (after === 'present' ? 1 : 0) - (before === 'present' ? 1 : 0),
    partial: (after === 'partial' ? 1 : 0) - (before === 'partial' ? 1 : 0),
  };
}

export type TodayState = DayState | 'not_school_day' | 'not_enrolled';

export type Headline = 'never_logged_in' | 'not_seen' | 'chronic' | 'absent_today' | 'partial_today' | 'present_today' | 'no_school_today' | 'not_enrolled';

export interface StatusInput {
  today: number;
  calendar: Calendar;
  policy: Policy;
  enrollment: { start: number | null; end: number | null };
  /**
   * Running counts over every school day with activity, today included.
   * `firstSeenDay` (the local day of the first signal) bounds the days counted
   * when neither the enrollment nor the calendar says when school started.
   */
  summary: { presentDays: number; partialDays: number; lastSeenDay: number | null; lastSeenAt: number | null; firstSeenDay?: number | null } | null;
  todayFacts: DayFacts | null;
}

export interface ComputedStatus {
  todayState: TodayState;
  todayEngagedMinutes: number;
  todaySubmitted: boolean;
  todayLive: boolean;
  neverLoggedIn: boolean;
  lastSeenAt: number | null;
  lastSeenDay: number | null;
  schoolDaysSinceSeen: number | null;
  daysEnrolled: number;
  daysPresent: number;
  daysPartial: number;
  daysAbsent: number;
  absenceRate: number;
  tier: Tier;
  headline: Headline;
}

/**
 * Days counted are completed school days: from the enrollment start (or the
 * school year's) through yesterday, and through the enrollment end if sooner.
 * Today is reported on its own because it is still under way.
 */
export function computeStatus(input: StatusInput): ComputedStatus {
  const { today, calendar: cal, policy, enrollment, summary } = input;
  const facts = input.todayFacts ?? NO_ACTIVITY;
  const enrolledToday =
    (enrollment.start === null || enrollment.start <= today) && (enrollment.end === null || enrollment.end >= today);
  const schoolToday = isSchoolDay(cal, today);
  const todayDay = dayState(facts, requiredEngagedSeconds(cal, today, policy), policy);
  const todayState: TodayState = !enrolledToday ? 'not_enrolled' : !schoolToday ? 'not_school_day' : todayDay;

  const lastDay = enrollment.end === null ? today - 1 : Math.min(today - 1, enrollment.end);
  // With no enrollment start and no school-year start there is no first day to
  // count from; counting from the beginning of time would call every such
  // student chronically absent. Count from the first day they were seen instead.
  const firstDay = enrollment.start ?? (cal.start !== null ? cal.start : (summary?.firstSeenDay ?? today));
  const daysEnrolled = countSchoolDays(cal, firstDay, lastDay);

  // The summary counts today too; take today's share back out.
  const todayCounted = schoolToday && (input.todayFacts?.signals ?? 0) > 0;
  let daysPresent = (summary?.presentDays ?? 0) - (todayCounted && todayDay === 'present' ? 1 : 0);
  let daysPartial = (summary?.partialDays ?? 0) - (todayCounted && todayDay === 'partial' ? 1 : 0);
  // Activity outside the enrolled window can't make attendance exceed the days enrolled.
  daysPresent = Math.max(0, Math.min(daysPresent, daysEnrolled));
  daysPartial = Math.max(0, Math.min(daysPartial, daysEnrolled - daysPresent));
  const daysAbsent = daysEnrolled - daysPresent - daysPartial;
  const absences = daysAbsent + daysPartial * policy.partialAbsenceWeight;
  // Rounded so that a rate exactly on a tier boundary (7 partial days × 0.3 over
  // 21 days = 10%) is not pushed below it by binary floating point.
  const absenceRate = daysEnrolled > 0 ? Math.round((absences / daysEnrolled) * 1e12) / 1e12 : 0;
  const tier = tierFor(absenceRate, policy);

  const lastSeenDay = summary?.lastSeenDay ?? null;
  const neverLoggedIn = lastSeenDay === null;
  const schoolDaysSinceSeen =
    lastSeenDay === null ? null : lastSeenDay >= today ? 0 : countSchoolDays(cal, lastSeenDay + 1, today - 1);

  let headline: Headline;
  // Before the enrollment starts or after it ends the student is not in the
  // course: "never logged in" (enrolled, no signal ever) would be a false alarm.
  if (!enrolledToday) headline = 'not_enrolled';
  else if (neverLoggedIn) headline = 'never_logged_in';
  else if (schoolDaysSinceSeen !== null && schoolDaysSinceSeen >= policy.notSeenAlertDays) headline = 'not_seen';
  else if (tier === 'moderate_chronic' || tier === 'severe_chronic') headline = 'chronic';
  else if (todayState === 'not_school_day' || todayState === 'not_enrolled') headline = 'no_school_today';
  else headline = todayState === 'present' ? 'present_today' : todayState === 'partial' ? 'partial_today' : 'absent_today';

  return {
    todayState,
    todayEngagedMinutes: Math.floor(facts.engagedSeconds / 60),
    todaySubmitted: facts.submissions > 0,
    todayLive: facts.liveSessions > 0,
    neverLoggedIn,
    lastSeenAt: summary?.lastSeenAt ?? null,
    lastSeenDay,
    schoolDaysSinceSeen,
    daysEnrolled,
    daysPresent,
    daysPartial,
    daysAbsent,
    absenceRate,
    tier,
    headline,
  };
}

export const HEADLINE_LABELS: Record<Headline, string> = {
  never_logged_in: 'Never logged in',
  not_seen: 'Not seen',
  chronic: 'Chronically absent',
  // The day is not over, so "absent" would be premature until it is.
  absent_today: 'Not seen today',
  partial_today: 'Partial today',
  present_today: 'Present today',
  no_school_today: 'No school today',
  not_enrolled: 'Not enrolled',
};
