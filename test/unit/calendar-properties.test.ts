// Property-based checks of the calendar, rate and local-day arithmetic against brute force.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { countSchoolDays, isSchoolDay, type Calendar } from '../../shared/calendar.ts';
import { computeStatus } from '../../shared/status.ts';
import { DEFAULT_POLICY } from '../../shared/policy.ts';
import { dayFromIso, isoFromDay, localDay, weekdayOf } from '../../shared/days.ts';

const BASE = dayFromIso('2026-08-01');
const calendarArb: fc.Arbitrary<Calendar> = fc
  .record({
    start: fc.option(fc.integer({ min: 0, max: 60 }), { nil: null }),
    length: fc.integer({ min: 0, max: 300 }),
    bounded: fc.boolean(),
    overrides: fc.array(fc.tuple(fc.integer({ min: -10, max: 400 }), fc.constantFrom(0, 0, 120, 360)), { maxLength: 30 }),
    defaultMinutes: fc.constantFrom(360, 420),
  })
  .map(({ start, length, bounded, overrides, defaultMinutes }) => ({
    start: start === null ? null : BASE + start,
    end: start === null || !bounded ? null : BASE + start + length,
    overrides: new Map(overrides.map(([d, m]) => [BASE + d, m])),
    defaultMinutes,
  }));

const brute = (cal: Calendar, from: number, to: number) => {
  let n = 0;
  for (let d = from; d <= to; d++) if (isSchoolDay(cal, d)) n++;
  return n;
};

describe('calendar arithmetic', () => {
  it('countSchoolDays equals counting day by day', () => {
    fc.assert(
      fc.property(calendarArb, fc.integer({ min: -20, max: 420 }), fc.integer({ min: -20, max: 420 }), (cal, a, b) => {
        expect(countSchoolDays(cal, BASE + a, BASE + b)).toBe(brute(cal, BASE + a, BASE + b));
      }),
      { numRuns: 400 },
    );
  });

  it('is additive over a split range', () => {
    fc.assert(
      fc.property(calendarArb, fc.integer({ min: 0, max: 200 }), fc.integer({ min: 0, max: 200 }), fc.integer({ min: 0, max: 200 }), (cal, a, len1, len2) => {
        const from = BASE + a;
        const mid = from + len1;
        const to = mid + len2;
        expect(countSchoolDays(cal, from, to)).toBe(countSchoolDays(cal, from, mid) + countSchoolDays(cal, mid + 1, to));
      }),
    );
  });

  it('weekends are never school days unless the calendar says so', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 365 }), (d) => {
        const cal: Calendar = { start: null, end: null, overrides: new Map(), defaultMinutes: 360 };
        const wd = weekdayOf(BASE + d);
        expect(isSchoolDay(cal, BASE + d)).toBe(wd !== 0 && wd !== 6);
      }),
    );
  });
});

describe('absence rate arithmetic', () => {
  const today = dayFromIso('2026-12-14');
  const start = dayFromIso('2026-09-01');
  const cal: Calendar = { start: null, end: null, overrides: new Map(), defaultMinutes: 360 };
  const enrolled = countSchoolDays(cal, start, today - 1);

  it('stays between 0 and 1 and its tier matches it', () => {
    fc.assert(
      fc.property(fc.integer({ min: -5, max: enrolled + 20 }), fc.integer({ min: -5, max: enrolled + 20 }), (present, partial) => {
        const s = computeStatus({ today, calendar: cal, policy: DEFAULT_POLICY, enrollment: { start, end: null }, summary: { presentDays: present, partialDays: partial, lastSeenDay: today - 1, lastSeenAt: 0 }, todayFacts: null });
        expect(s.absenceRate).toBeGreaterThanOrEqual(0);
        expect(s.absenceRate).toBeLessThanOrEqual(1);
        expect(s.daysPresent + s.daysPartial + s.daysAbsent).toBe(s.daysEnrolled);
      }),
    );
  });

  it('rises as present days fall', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: enrolled }), (present) => {
        const rate = (p: number) => computeStatus({ today, calendar: cal, policy: DEFAULT_POLICY, enrollment: { start, end: null }, summary: { presentDays: p, partialDays: 0, lastSeenDay: today - 1, lastSeenAt: 0 }, todayFacts: null }).absenceRate;
        expect(rate(present - 1)).toBeGreaterThan(rate(present));
      }),
    );
  });
});

describe('localDay', () => {
  const bruteDay = (ms: number, tz: string) => dayFromIso(new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(ms)));
  it.each(['America/New_York', 'America/Los_Angeles', 'Pacific/Honolulu', 'Asia/Kathmandu', 'Australia/Lord_Howe', 'Pacific/Chatham', 'Europe/London', 'UTC'])(
    'matches Intl in %s, across DST changes',
    (tz) => {
      fc.assert(
        fc.property(fc.integer({ min: Date.UTC(2026, 0, 1), max: Date.UTC(2027, 11, 31) }), (ms) => {
          expect(isoFromDay(localDay(ms, tz))).toBe(isoFromDay(bruteDay(ms, tz)));
        }),
        { numRuns: 2000 },
      );
    },
  );
  it('is right on both sides of a local midnight', () => {
    // 2026-11-24 00:00 in New York is 05:00 UTC.
    const midnight = Date.UTC(2026, 10, 24, 5, 0, 0);
    expect(isoFromDay(localDay(midnight - 1, 'America/New_York'))).toBe('2026-11-23');
    expect(isoFromDay(localDay(midnight, 'America/New_York'))).toBe('2026-11-24');
  });
});

describe('dates at the edges', () => {
  it('refuses impossible dates', () => {
    expect(() => dayFromIso('2026-02-30')).toThrow(/no such date/);
    expect(() => dayFromIso('26-1-1')).toThrow(/YYYY-MM-DD/);
  });
  it('round-trips every day', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 40_000 }), (d) => {
        expect(dayFromIso(isoFromDay(d))).toBe(d);
      }),
    );
  });
});
