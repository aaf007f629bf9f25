// The ingest path's pure parts: which instants are real, and when a sender's
// clock is corrected.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { clockOffset, parseInstant } from '../../plugin/server/ingest.ts';

describe('parseInstant', () => {
  it.each([
    ['2026-11-23T14:05:09Z', Date.UTC(2026, 10, 23, 14, 5, 9)],
    ['2026-11-23T14:05:09.120Z', Date.UTC(2026, 10, 23, 14, 5, 9, 120)],
    ['2026-11-23T09:05:09-05:00', Date.UTC(2026, 10, 23, 14, 5, 9)],
    ['2028-02-29T00:00:00Z', Date.UTC(2028, 1, 29)],
    ['2000-02-29T23:59:59+05:45', Date.UTC(2000, 1, 29, 18, 14, 59)],
  ] as const)('reads %s', (s, ms) => expect(parseInstant(s)).toBe(ms));

  it.each(['2026-02-29T00:00:00Z', '1900-02-29T00:00:00Z', '2026-04-31T00:00:00Z', '2026-00-10T00:00:00Z', '2026-11-00T00:00:00Z', '2026-11-23T24:00:00Z', '2026-11-23T23:60:00Z', '2026-11-23T23:59:60Z', '2026-13-01T00:00:00Z'])(
    'refuses %s',
    (s) => expect(parseInstant(s)).toBeNaN(),
  );

  it('agrees with the calendar for every real day of four centuries', () => {
    fc.assert(
      fc.property(fc.integer({ min: Date.UTC(1900, 0, 1), max: Date.UTC(2300, 0, 1) }), (ms) => {
        const iso = new Date(ms).toISOString();
        expect(parseInstant(iso)).toBe(ms);
      }),
    );
  });
});

describe('clockOffset', () => {
  const now = Date.UTC(2026, 10, 23, 15);
  it('is zero without sentAt and within two seconds either way', () => {
    expect(clockOffset(undefined, now)).toBe(0);
    expect(clockOffset(new Date(now - 1999).toISOString(), now)).toBe(0);
    expect(clockOffset(new Date(now + 1999).toISOString(), now)).toBe(0);
  });
  it('is the whole difference from two seconds on', () => {
    expect(clockOffset(new Date(now - 2000).toISOString(), now)).toBe(2000);
    expect(clockOffset(new Date(now + 3_600_000).toISOString(), now)).toBe(-3_600_000);
  });
  it('refuses a sentAt that is no real time', () => {
    expect(() => clockOffset('2026-02-30T00:00:00Z', now)).toThrow(/sentAt/);
  });
});
