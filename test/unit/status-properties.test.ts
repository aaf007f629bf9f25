// Property-based checks of the absence-rate arithmetic against exact integer
// arithmetic: the tier of every rate, monotonicity in absences, the bounds.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { computeStatus } from '../../shared/status.ts';
import { DEFAULT_POLICY, TIERS, type Policy, type Tier } from '../../shared/policy.ts';
import { countSchoolDays, weekdayCalendar } from '../../shared/calendar.ts';
import { dayFromIso } from '../../shared/days.ts';

const today = dayFromIso('2027-03-15');
const cal = weekdayCalendar(360);

/** Weights and boundaries in hundredths, so the exact answer is integer arithmetic. */
const scenario = fc
  .record({
    back: fc.integer({ min: 1, max: 250 }),
    weight: fc.integer({ min: 0, max: 100 }),
    atRisk: fc.integer({ min: 0, max: 40 }),
    moderate: fc.integer({ min: 0, max: 40 }),
    severe: fc.integer({ min: 0, max: 40 }),
    presentShare: fc.double({ min: 0, max: 1, noNaN: true }),
    partialShare: fc.double({ min: 0, max: 1, noNaN: true }),
  })
  .map((r) => {
    const [a, m, s] = [r.atRisk, r.moderate, r.severe].sort((x, y) => x - y) as [number, number, number];
    const enrolled = countSchoolDays(cal, today - r.back, today - 1);
    const present = Math.floor(enrolled * r.presentShare);
    const partial = Math.floor((enrolled - present) * r.partialShare);
    return { ...r, atRisk: a, moderate: m, severe: s, enrolled, present, partial };
  });

function run(x: { back: number; weight: number; atRisk: number; moderate: number; severe: number; present: number; partial: number }) {
  const policy: Policy = { ...DEFAULT_POLICY, partialAbsenceWeight: x.weight / 100, tiers: { atRisk: x.atRisk / 100, moderate: x.moderate / 100, severe: x.severe / 100 } };
  return computeStatus({
    today,
    calendar: cal,
    policy,
    enrollment: { start: today - x.back, end: null },
    summary: { presentDays: x.present, partialDays: x.partial, lastSeenDay: today - 1, lastSeenAt: 0 },
    todayFacts: null,
  });
}

/** The tier by exact arithmetic: rate ≥ p% ⇔ 100·(100·absent + weight·partial) ≥ 100·p·enrolled. */
function exactTier(x: { weight: number; atRisk: number; moderate: number; severe: number; present: number; partial: number; enrolled: number }): Tier {
  const absences100 = 100 * (x.enrolled - x.present - x.partial) + x.weight * x.partial;
  // With nothing enrolled the rate is 0, which is at or above only a 0 % boundary.
  const atLeast = (p: number) => (x.enrolled === 0 ? p === 0 : 100 * absences100 >= 100 * p * x.enrolled);
  if (atLeast(x.severe)) return 'severe_chronic';
  if (atLeast(x.moderate)) return 'moderate_chronic';
  if (atLeast(x.atRisk)) return 'at_risk';
  return 'satisfactory';
}

describe('absence rate', () => {
  it('falls in the tier exact arithmetic gives, boundaries included', () => {
    fc.assert(
      fc.property(scenario, (x) => {
        expect(run(x).tier).toBe(exactTier(x));
      }),
      { numRuns: 3000 },
    );
  });

  it('lands exactly on every boundary the counts allow', () => {
    // Searching small cases systematically: every (enrolled, absent, partial, weight) whose rate is exactly 5, 10 or 20 %.
    for (const back of [7, 14, 21, 28, 31, 35]) {
      const enrolled = countSchoolDays(cal, today - back, today - 1);
      for (let partial = 0; partial <= enrolled; partial++) {
        for (const weight of [0, 10, 20, 25, 30, 40, 50, 60, 70, 75, 80, 90, 100]) {
          for (let absent = 0; absent + partial <= enrolled; absent++) {
            const x = { back, weight, atRisk: 5, moderate: 10, severe: 20, present: enrolled - absent - partial, partial, enrolled };
            expect(run(x).tier).toBe(exactTier(x));
          }
        }
      }
    }
  });

  it('stays within 0 and 1 and its day counts add up', () => {
    fc.assert(
      fc.property(scenario, fc.integer({ min: -3, max: 3 }), (x, noise) => {
        // Stored counts can run ahead of the window (activity outside it); status clamps them.
        const s = run({ ...x, present: x.present + noise, partial: x.partial + noise });
        expect(s.absenceRate).toBeGreaterThanOrEqual(0);
        expect(s.absenceRate).toBeLessThanOrEqual(1);
        expect(s.daysPresent + s.daysPartial + s.daysAbsent).toBe(s.daysEnrolled);
        expect(s.daysAbsent).toBeGreaterThanOrEqual(0);
      }),
      { numRuns: 1000 },
    );
  });

  it('never falls, nor its tier, when a present day becomes partial or absent, or a partial day absent', () => {
    const rank = (t: Tier) => TIERS.indexOf(t);
    fc.assert(
      fc.property(scenario, fc.constantFrom('present→partial', 'present→absent', 'partial→absent'), (x, move) => {
        const before = run(x);
        const after =
          move === 'present→partial'
            ? x.present > 0 ? run({ ...x, present: x.present - 1, partial: x.partial + 1 }) : before
            : move === 'present→absent'
              ? x.present > 0 ? run({ ...x, present: x.present - 1 }) : before
              : x.partial > 0 ? run({ ...x, partial: x.partial - 1 }) : before;
        expect(after.absenceRate).toBeGreaterThanOrEqual(before.absenceRate);
        expect(rank(after.tier)).toBeGreaterThanOrEqual(rank(before.tier));
        if (move === 'present→absent' && x.present > 0) expect(after.absenceRate).toBeGreaterThan(before.absenceRate);
      }),
      { numRuns: 1000 },
    );
  });
});
