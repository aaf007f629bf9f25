// Status through computeStatus with whole-day counts: every tier boundary hit
// exactly, both presets, partial weighting, the counted window (enrollment,
// weekends, holidays, today) and which headline wins when several apply.
import { describe, expect, it } from 'vitest';
import { computeStatus, type DayFacts, type Headline, type StatusInput } from '../../shared/status.ts';
import { DEFAULT_POLICY, LOGGED_IN_POLICY, type Policy } from '../../shared/policy.ts';
import { weekdayCalendar, type Calendar } from '../../shared/calendar.ts';
import { dayFromIso } from '../../shared/days.ts';

const MON = dayFromIso('2026-11-23'); // today in most cases below
const cal: Calendar = weekdayCalendar(360);
const facts = (f: Partial<DayFacts>): DayFacts => ({ engagedSeconds: 0, signals: 1, submissions: 0, liveSessions: 0, checkIns: 0, ...f });

/** Enrollment starting `back` calendar days before today; `present`/`partial` are completed days. */
function status(o: { back: number; present: number; partial?: number; policy?: Policy; calendar?: Calendar; lastSeen?: number | null; today?: number; todayFacts?: DayFacts | null; start?: number | null; end?: number | null }) {
  const today = o.today ?? MON;
  const input: StatusInput = {
    today,
    calendar: o.calendar ?? cal,
    policy: o.policy ?? DEFAULT_POLICY,
    enrollment: { start: o.start === undefined ? today - o.back : o.start, end: o.end ?? null },
    summary: o.lastSeen === null ? null : { presentDays: o.present, partialDays: o.partial ?? 0, lastSeenDay: o.lastSeen ?? today - 3, lastSeenAt: 0 },
    todayFacts: o.todayFacts ?? null,
  };
  return computeStatus(input);
}

describe('the counted window', () => {
  it('holds 20 school days in four weeks before a Monday', () => expect(status({ back: 28, present: 20 }).daysEnrolled).toBe(20));
  it('holds 40 school days in eight weeks and 21 from a Friday start', () => {
    expect(status({ back: 56, present: 40 }).daysEnrolled).toBe(40);
    expect(status({ back: 31, present: 21 }).daysEnrolled).toBe(21);
  });
});

describe('tier boundaries, hit exactly with whole days', () => {
  // Forty school days: each absent day is 2.5 %.
  it.each([
    [0, 0, 'satisfactory'],
    [1, 0.025, 'satisfactory'],
    [2, 0.05, 'at_risk'],
    [3, 0.075, 'at_risk'],
    [4, 0.1, 'moderate_chronic'],
    [7, 0.175, 'moderate_chronic'],
    [8, 0.2, 'severe_chronic'],
    [40, 1, 'severe_chronic'],
  ] as const)('%i absent days of 40 → rate %s, %s', (absent, rate, tier) => {
    const s = status({ back: 56, present: 40 - absent });
    expect(s.daysAbsent).toBe(absent);
    expect(s.absenceRate).toBe(rate);
    expect(s.tier).toBe(tier);
  });

  it('reaches each boundary with partial days at the default weight of one half', () => {
    // 20 days: two partial days = one absence = 5 %; four = 10 %; eight = 20 %.
    expect(status({ back: 28, present: 18, partial: 2 }).tier).toBe('at_risk');
    expect(status({ back: 28, present: 19, partial: 1 }).tier).toBe('satisfactory');
    expect(status({ back: 28, present: 16, partial: 4 }).tier).toBe('moderate_chronic');
    expect(status({ back: 28, present: 17, partial: 3 }).tier).toBe('at_risk');
    expect(status({ back: 28, present: 12, partial: 8 }).tier).toBe('severe_chronic');
    expect(status({ back: 28, present: 13, partial: 7 }).tier).toBe('moderate_chronic');
  });

  it('puts a rate exactly on a boundary in the higher tier even when the weight is not a binary fraction', () => {
    // 7 × 0.3 = 2.1 absences over 21 days is exactly 10 %; binary floating point makes it 9.999…%.
    const s = status({ back: 31, present: 14, partial: 7, policy: { ...DEFAULT_POLICY, partialAbsenceWeight: 0.3 } });
    expect(s.daysEnrolled).toBe(21);
    expect(s.absenceRate).toBe(0.1);
    expect(s.tier).toBe('moderate_chronic');
    const t = status({ back: 31, present: 18, partial: 3, policy: { ...DEFAULT_POLICY, partialAbsenceWeight: 0.7 } });
    expect(t.tier).toBe('moderate_chronic');
  });

  it('weighs partial days as nothing at weight 0 and as a full absence at weight 1', () => {
    expect(status({ back: 28, present: 10, partial: 10, policy: { ...DEFAULT_POLICY, partialAbsenceWeight: 0 } }).absenceRate).toBe(0);
    expect(status({ back: 28, present: 10, partial: 10, policy: { ...DEFAULT_POLICY, partialAbsenceWeight: 1 } }).absenceRate).toBe(0.5);
  });

  it('has no rate and no tier trouble with no completed day yet', () => {
    const s = status({ back: 0, present: 0, lastSeen: null });
    expect(s.daysEnrolled).toBe(0);
    expect(s.absenceRate).toBe(0);
    expect(s.tier).toBe('satisfactory');
  });
});

describe('the two presence presets, today', () => {
  const today = (f: DayFacts, policy: Policy) => status({ back: 28, present: 21, lastSeen: MON, todayFacts: f, policy }).todayState;
  it('engaged_half_day: three hours of a six-hour day, a submission or a live session', () => {
    expect(today(facts({ engagedSeconds: 3 * 3600 }), DEFAULT_POLICY)).toBe('present');
    expect(today(facts({ engagedSeconds: 3 * 3600 - 1 }), DEFAULT_POLICY)).toBe('partial');
    expect(today(facts({ engagedSeconds: 60, submissions: 1 }), DEFAULT_POLICY)).toBe('present');
    expect(today(facts({ liveSessions: 1 }), DEFAULT_POLICY)).toBe('present');
    expect(today(facts({ signals: 0 }), DEFAULT_POLICY)).toBe('absent');
  });
  it('logged_in: any signal at all', () => {
    expect(today(facts({ engagedSeconds: 0 }), LOGGED_IN_POLICY)).toBe('present');
    expect(today(facts({ signals: 0 }), LOGGED_IN_POLICY)).toBe('absent');
  });
  it('engaged_half_day follows a short day in the calendar', () => {
    const short: Calendar = { ...cal, overrides: new Map([[MON, 120]]) };
    const s = status({ back: 28, present: 21, lastSeen: MON, todayFacts: facts({ engagedSeconds: 3600 }), calendar: short });
    expect(s.todayState).toBe('present');
  });
});

describe('days that are never absences', () => {
  it('days before the enrollment started', () => {
    // Started Thursday 19th: Thursday and Friday are the only counted days.
    const s = status({ back: 4, present: 0, lastSeen: null });
    expect(s.daysEnrolled).toBe(2);
    expect(status({ back: 4, present: 2, lastSeen: MON - 3 }).absenceRate).toBe(0);
  });
  it('weekends', () => {
    // Enrolled since Saturday 21st: nothing counted yet.
    expect(status({ back: 2, present: 0, lastSeen: null }).daysEnrolled).toBe(0);
  });
  it('holidays, and a make-up Saturday counts', () => {
    const holidays: Calendar = { ...cal, overrides: new Map([[MON - 3, 0], [MON - 4, 0], [MON - 2, 360]]) };
    const s = status({ back: 7, present: 4, calendar: holidays });
    // Mon 16 … Fri 20 minus Thu and Fri, plus Saturday 21: four days.
    expect(s.daysEnrolled).toBe(4);
    expect(s.daysAbsent).toBe(0);
  });
  it('days after the school year ends', () => {
    const year: Calendar = { ...cal, end: MON - 10 };
    expect(status({ back: 28, present: 0, calendar: year, lastSeen: null }).daysEnrolled).toBe(15);
  });
  it('days after the enrollment ended', () => {
    const s = status({ back: 28, present: 5, end: MON - 22 });
    expect(s.daysEnrolled).toBe(5);
    expect(s.todayState).toBe('not_enrolled');
  });
});

describe('today is reported on its own, never counted', () => {
  it('a present today does not count as a present completed day', () => {
    // The stored running count includes today's present day.
    const s = status({ back: 28, present: 21, lastSeen: MON, todayFacts: facts({ submissions: 1 }) });
    expect(s.daysEnrolled).toBe(20);
    expect(s.daysPresent).toBe(20);
    expect(s.todayState).toBe('present');
  });
  it('a partial today does not count as a partial completed day', () => {
    const s = status({ back: 28, present: 20, partial: 1, lastSeen: MON, todayFacts: facts({ engagedSeconds: 60 }) });
    expect(s.daysPartial).toBe(0);
    expect(s.absenceRate).toBe(0);
    expect(s.todayState).toBe('partial');
  });
  it('no activity yet today is not an absence (yet)', () => {
    const s = status({ back: 28, present: 20, lastSeen: MON - 3 });
    expect(s.todayState).toBe('absent');
    expect(s.daysAbsent).toBe(0);
    expect(s.headline).toBe('absent_today');
  });
});

describe('school days since last seen', () => {
  it.each([
    ['today', 0, 0],
    ['Friday, over the weekend', 3, 0],
    ['Thursday', 4, 1],
    ['Wednesday', 5, 2],
    ['two Fridays ago', 10, 5],
  ] as const)('last seen %s → %i', (_label, back, days) => {
    expect(status({ back: 28, present: 10, lastSeen: MON - back }).schoolDaysSinceSeen).toBe(days);
  });
  it('skips holidays', () => {
    const holidays: Calendar = { ...cal, overrides: new Map([[MON - 3, 0], [MON - 4, 0]]) };
    expect(status({ back: 28, present: 10, lastSeen: MON - 5, calendar: holidays }).schoolDaysSinceSeen).toBe(0);
  });
  it('is null for a student never seen', () => expect(status({ back: 28, present: 0, lastSeen: null }).schoolDaysSinceSeen).toBeNull());
});

describe('when neither the enrollment nor the calendar says when school started', () => {
  it('counts from the first day the student was seen, not from the beginning of time', () => {
    const s = computeStatus({
      today: MON,
      calendar: cal,
      policy: DEFAULT_POLICY,
      enrollment: { start: null, end: null },
      summary: { presentDays: 9, partialDays: 0, lastSeenDay: MON - 3, lastSeenAt: 0, firstSeenDay: MON - 14 },
      todayFacts: null,
    });
    expect(s.daysEnrolled).toBe(10);
    expect(s.daysAbsent).toBe(1);
    expect(s.tier).toBe('moderate_chronic');
  });
  it('counts nothing for a student never seen, and the school year start when the calendar has one', () => {
    const never = computeStatus({ today: MON, calendar: cal, policy: DEFAULT_POLICY, enrollment: { start: null, end: null }, summary: null, todayFacts: null });
    expect(never.daysEnrolled).toBe(0);
    expect(never.headline).toBe('never_logged_in');
    const year = computeStatus({ today: MON, calendar: { ...cal, start: MON - 28 }, policy: DEFAULT_POLICY, enrollment: { start: null, end: null }, summary: null, todayFacts: null });
    expect(year.daysEnrolled).toBe(20);
  });
});

describe('headline precedence', () => {
  // Each row sets up conditions for the named headline and every one below it.
  const rows: [Headline, Parameters<typeof status>[0]][] = [
    ['not_enrolled', { back: 28, present: 0, lastSeen: null, end: MON - 1 }],
    ['not_enrolled', { back: -3, present: 0, lastSeen: null }], // starts on Thursday
    ['never_logged_in', { back: 28, present: 0, lastSeen: null, todayFacts: null }],
    ['not_seen', { back: 28, present: 5, lastSeen: MON - 7 }], // 3 school days unseen and chronic
    ['chronic', { back: 28, present: 16, lastSeen: MON, todayFacts: facts({ submissions: 1 }) }],
    ['chronic', { back: 28, present: 15, lastSeen: MON + 4, today: MON + 5, start: MON - 28 }], // a Saturday, but chronic first
    ['no_school_today', { back: 33, present: 25, lastSeen: MON + 4, today: MON + 5 }],
    ['present_today', { back: 28, present: 21, lastSeen: MON, todayFacts: facts({ liveSessions: 1 }) }],
    ['partial_today', { back: 28, present: 20, partial: 1, lastSeen: MON, todayFacts: facts({ engagedSeconds: 600 }) }],
    ['absent_today', { back: 28, present: 20, lastSeen: MON - 3 }],
  ];
  it.each(rows)('%s', (headline, o) => expect(status(o).headline).toBe(headline));

  it('not seen wins over chronic, and chronic over today', () => {
    const s = status({ back: 28, present: 5, lastSeen: MON - 7 });
    expect(s.tier).toBe('severe_chronic');
    expect(s.schoolDaysSinceSeen).toBe(4);
    expect(s.headline).toBe('not_seen');
  });
  it('follows the policy for how many unseen days call a student out', () => {
    expect(status({ back: 28, present: 20, lastSeen: MON - 7, policy: { ...DEFAULT_POLICY, notSeenAlertDays: 5 } }).headline).toBe('absent_today');
    expect(status({ back: 28, present: 20, lastSeen: MON - 7, policy: { ...DEFAULT_POLICY, notSeenAlertDays: 4 } }).headline).toBe('not_seen');
  });
});
