// The status rules of shared/status.ts and shared/policy.ts, case by case.
import { describe, expect, it } from 'vitest';
import { computeStatus, dayState, requiredEngagedSeconds, type DayFacts, type StatusInput } from '../../shared/status.ts';
import { DEFAULT_POLICY, LOGGED_IN_POLICY, tierFor, type Policy } from '../../shared/policy.ts';
import { weekdayCalendar, type Calendar } from '../../shared/calendar.ts';
import { dayFromIso } from '../../shared/days.ts';

const facts = (f: Partial<DayFacts>): DayFacts => ({ engagedSeconds: 0, signals: 1, submissions: 0, liveSessions: 0, checkIns: 0, ...f });
const MON = dayFromIso('2026-11-23');
const cal: Calendar = weekdayCalendar(360);

describe('a day under engaged_half_day', () => {
  const need = requiredEngagedSeconds(cal, MON, DEFAULT_POLICY);
  it('needs half the instructional day', () => expect(need).toBe(180 * 60));
  it('is present at exactly half, partial one second short', () => {
    expect(dayState(facts({ engagedSeconds: need }), need, DEFAULT_POLICY)).toBe('present');
    expect(dayState(facts({ engagedSeconds: need - 1 }), need, DEFAULT_POLICY)).toBe('partial');
  });
  it('is present with a submission, a live session or a check-in, however short', () => {
    expect(dayState(facts({ submissions: 1 }), need, DEFAULT_POLICY)).toBe('present');
    expect(dayState(facts({ liveSessions: 1 }), need, DEFAULT_POLICY)).toBe('present');
    expect(dayState(facts({ checkIns: 1 }), need, DEFAULT_POLICY)).toBe('present');
  });
  it('is absent with no signal at all', () => expect(dayState(facts({ signals: 0 }), need, DEFAULT_POLICY)).toBe('absent'));
  it('uses courseMinutes when courses are periods', () => {
    expect(requiredEngagedSeconds(cal, MON, { ...DEFAULT_POLICY, courseMinutes: 50 })).toBe(25 * 60);
  });
  it('follows a short day in the calendar', () => {
    const short: Calendar = { ...cal, overrides: new Map([[MON, 240]]) };
    expect(requiredEngagedSeconds(short, MON, DEFAULT_POLICY)).toBe(120 * 60);
  });
});

describe('a day under logged_in', () => {
  it('is present on any signal, absent on none', () => {
    expect(dayState(facts({ engagedSeconds: 1 }), 99_999, LOGGED_IN_POLICY)).toBe('present');
    expect(dayState(facts({ signals: 0 }), 0, LOGGED_IN_POLICY)).toBe('absent');
  });
});

describe('tiers at their boundaries', () => {
  it.each([
    [0, 'satisfactory'],
    [0.0499, 'satisfactory'],
    [0.05, 'at_risk'],
    [0.0999, 'at_risk'],
    [0.1, 'moderate_chronic'],
    [0.1999, 'moderate_chronic'],
    [0.2, 'severe_chronic'],
    [1, 'severe_chronic'],
  ] as const)('rate %s is %s', (rate, tier) => expect(tierFor(rate, DEFAULT_POLICY)).toBe(tier));
  it('follow a district policy', () => {
    const p: Policy = { ...DEFAULT_POLICY, tiers: { atRisk: 0.08, moderate: 0.15, severe: 0.3 } };
    expect(tierFor(0.1, p)).toBe('at_risk');
    expect(tierFor(0.29, p)).toBe('moderate_chronic');
  });
});

describe('computeStatus', () => {
  const base = (over: Partial<StatusInput>): StatusInput => ({
    today: MON,
    calendar: cal,
    policy: DEFAULT_POLICY,
    enrollment: { start: dayFromIso('2026-11-02'), end: null },
    summary: null,
    todayFacts: null,
    ...over,
  });

  it('counts completed school days from the enrollment start, not today or weekends', () => {
    // 2026-11-02 (Mon) … 2026-11-20 (Fri): three school weeks.
    const s = computeStatus(base({ summary: { presentDays: 15, partialDays: 0, lastSeenDay: MON - 3, lastSeenAt: 0 } }));
    expect(s.daysEnrolled).toBe(15);
    expect(s.daysAbsent).toBe(0);
    expect(s.absenceRate).toBe(0);
  });

  it('never counts days before enrollment as absences', () => {
    const s = computeStatus(base({ enrollment: { start: dayFromIso('2026-11-19'), end: null }, summary: { presentDays: 0, partialDays: 0, lastSeenDay: null as never, lastSeenAt: null } }));
    expect(s.daysEnrolled).toBe(2);
    expect(s.daysAbsent).toBe(2);
  });

  it('never counts holidays as absences', () => {
    const holiday: Calendar = { ...cal, overrides: new Map([[dayFromIso('2026-11-20'), 0]]) };
    const s = computeStatus(base({ calendar: holiday, summary: { presentDays: 14, partialDays: 0, lastSeenDay: MON - 4, lastSeenAt: 0 } }));
    expect(s.daysEnrolled).toBe(14);
    expect(s.daysAbsent).toBe(0);
  });

  it('weighs partial days by the policy', () => {
    const s = computeStatus(base({ summary: { presentDays: 11, partialDays: 4, lastSeenDay: MON - 3, lastSeenAt: 0 } }));
    expect(s.daysAbsent).toBe(0);
    expect(s.absenceRate).toBeCloseTo((4 * 0.5) / 15, 10);
    const strict = computeStatus(base({ policy: { ...DEFAULT_POLICY, partialAbsenceWeight: 1 }, summary: { presentDays: 11, partialDays: 4, lastSeenDay: MON - 3, lastSeenAt: 0 } }));
    expect(strict.absenceRate).toBeCloseTo(4 / 15, 10);
  });

  it("takes today's share out of the running counts", () => {
    const s = computeStatus(base({ summary: { presentDays: 16, partialDays: 0, lastSeenDay: MON, lastSeenAt: 0 }, todayFacts: facts({ engagedSeconds: 4 * 3600 }) }));
    expect(s.todayState).toBe('present');
    expect(s.daysPresent).toBe(15);
    expect(s.daysEnrolled).toBe(15);
    expect(s.headline).toBe('present_today');
  });

  it('calls out never logged in before anything else', () => {
    const s = computeStatus(base({}));
    expect(s.neverLoggedIn).toBe(true);
    expect(s.headline).toBe('never_logged_in');
    expect(s.schoolDaysSinceSeen).toBeNull();
  });

  it('counts school days since last seen, skipping the weekend', () => {
    // Last seen Wednesday 18th; Thursday and Friday missed; Monday is today.
    const s = computeStatus(base({ summary: { presentDays: 13, partialDays: 0, lastSeenDay: dayFromIso('2026-11-18'), lastSeenAt: 0 } }));
    expect(s.schoolDaysSinceSeen).toBe(2);
    expect(s.headline).not.toBe('not_seen');
    const longer = computeStatus(base({ summary: { presentDays: 12, partialDays: 0, lastSeenDay: dayFromIso('2026-11-17'), lastSeenAt: 0 } }));
    expect(longer.schoolDaysSinceSeen).toBe(3);
    expect(longer.headline).toBe('not_seen');
  });

  it('puts chronic absence above today', () => {
    // The summary counts today as well: 12 past days plus today.
    const s = computeStatus(base({ summary: { presentDays: 13, partialDays: 0, lastSeenDay: MON, lastSeenAt: 0 }, todayFacts: facts({ submissions: 1 }) }));
    expect(s.absenceRate).toBeCloseTo(3 / 15, 10);
    expect(s.tier).toBe('severe_chronic');
    expect(s.headline).toBe('chronic');
  });

  it('reports a weekend as no school, not an absence', () => {
    const s = computeStatus(base({ today: dayFromIso('2026-11-22'), summary: { presentDays: 14, partialDays: 0, lastSeenDay: dayFromIso('2026-11-20'), lastSeenAt: 0 } }));
    expect(s.todayState).toBe('not_school_day');
    expect(s.headline).toBe('no_school_today');
  });

  it('stops counting at the enrollment end', () => {
    const s = computeStatus(base({ enrollment: { start: dayFromIso('2026-11-02'), end: dayFromIso('2026-11-13') }, summary: { presentDays: 10, partialDays: 0, lastSeenDay: dayFromIso('2026-11-13'), lastSeenAt: 0 } }));
    expect(s.daysEnrolled).toBe(10);
    expect(s.todayState).toBe('not_enrolled');
    expect(s.headline).toBe('not_enrolled');
  });
});
