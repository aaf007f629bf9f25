// Calendar overrides and local days at the instants where they are easiest to
// get wrong: right at local midnight, at every DST change, in zones whose
// offsets are not whole hours, and in a (historic) zone off the quarter hour.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { countSchoolDays, previousSchoolDay, weekdayCalendar, type Calendar } from '../../shared/calendar.ts';
import { dayFromIso, isoFromDay, localDay, weekdayOf } from '../../shared/days.ts';

const BASE = dayFromIso('2026-08-03');

describe('calendar overrides', () => {
  const plain = weekdayCalendar(360);
  it('a holiday on a weekday in range takes exactly one day off; on a weekend it changes nothing', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 300 }), (a, len, h) => {
        const from = BASE + a;
        const to = from + len;
        const holiday = BASE + h;
        const cal: Calendar = { ...plain, overrides: new Map([[holiday, 0]]) };
        const wd = weekdayOf(holiday);
        const inRange = holiday >= from && holiday <= to;
        const expected = countSchoolDays(plain, from, to) - (inRange && wd !== 0 && wd !== 6 ? 1 : 0);
        expect(countSchoolDays(cal, from, to)).toBe(expected);
      }),
    );
  });

  it('a make-up day on a weekend in range adds exactly one; on a weekday it changes nothing', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 300 }), fc.integer({ min: 1, max: 600 }), (a, len, m, minutes) => {
        const from = BASE + a;
        const to = from + len;
        const makeUp = BASE + m;
        const cal: Calendar = { ...plain, overrides: new Map([[makeUp, minutes]]) };
        const wd = weekdayOf(makeUp);
        const inRange = makeUp >= from && makeUp <= to;
        expect(countSchoolDays(cal, from, to)).toBe(countSchoolDays(plain, from, to) + (inRange && (wd === 0 || wd === 6) ? 1 : 0));
      }),
    );
  });

  it('overrides outside the school year never count', () => {
    const year: Calendar = { start: BASE, end: BASE + 27, defaultMinutes: 360, overrides: new Map([[BASE - 2, 360], [BASE + 33, 360]]) };
    expect(countSchoolDays(year, BASE - 30, BASE + 60)).toBe(20);
  });

  it('a calendar of no ordinary school days counts only its make-up days', () => {
    const none: Calendar = { start: null, end: null, defaultMinutes: 0, overrides: new Map([[BASE + 1, 300], [BASE + 5, 300]]) };
    expect(countSchoolDays(none, BASE - 100, BASE + 100)).toBe(2);
  });

  it('previousSchoolDay is the latest school day before, skipping weekends and holidays', () => {
    fc.assert(
      fc.property(fc.integer({ min: 10, max: 300 }), fc.array(fc.integer({ min: 0, max: 300 }), { maxLength: 20 }), (d, hols) => {
        const cal: Calendar = { ...plain, overrides: new Map(hols.map((h) => [BASE + h, 0])) };
        const p = previousSchoolDay(cal, BASE + d);
        let want: number | null = null;
        for (let x = BASE + d - 1; x >= BASE + d - 366; x--) {
          if (countSchoolDays(cal, x, x) === 1) {
            want = x;
            break;
          }
        }
        expect(p).toBe(want);
      }),
    );
  });
});

// ---- local days ----

const fmt = new Map<string, Intl.DateTimeFormat>();
function bruteDay(ms: number, tz: string): number {
  let f = fmt.get(tz);
  if (!f) fmt.set(tz, (f = new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' })));
  return dayFromIso(f.format(new Date(ms)));
}
const fmtParts = new Map<string, Intl.DateTimeFormat>();
function bruteOffsetMinutes(ms: number, tz: string): number {
  let f = fmtParts.get(tz);
  if (!f) fmtParts.set(tz, (f = new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' })));
  const parts = f.formatToParts(new Date(ms));
  const get = (t: string) => Number(parts.find((p) => p.type === t)!.value);
  const local = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return Math.round((local - Math.floor(ms / 1000) * 1000) / 60_000);
}

/** The exact ms at which f changes between lo (value a) and hi (value b). */
function bisect(lo: number, hi: number, f: (ms: number) => number): number {
  const a = f(lo);
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (f(mid) === a) lo = mid;
    else hi = mid;
  }
  return hi;
}

/** Every instant in [from, to) at which the local day or the UTC offset changes. */
function boundaries(tz: string, from: number, to: number): number[] {
  const step = 3_600_000;
  const out: number[] = [];
  for (let t = from; t < to; t += step) {
    if (bruteDay(t, tz) !== bruteDay(t + step, tz)) out.push(bisect(t, t + step, (ms) => bruteDay(ms, tz)));
    if (bruteOffsetMinutes(t, tz) !== bruteOffsetMinutes(t + step, tz)) out.push(bisect(t, t + step, (ms) => bruteOffsetMinutes(ms, tz)));
  }
  return out;
}

describe('localDay at every local midnight and DST change', () => {
  const zones = ['America/New_York', 'Asia/Kathmandu', 'Australia/Lord_Howe', 'Pacific/Chatham', 'America/St_Johns'];
  it.each(zones)('%s, through 2026', (tz) => {
    const edges = boundaries(tz, Date.UTC(2026, 0, 1), Date.UTC(2027, 0, 1));
    // A midnight every day, plus the DST changes where the zone has them.
    expect(edges.length).toBeGreaterThanOrEqual(365);
    for (const e of edges) {
      for (const ms of [e - 60_001, e - 1, e, e + 1, e + 59_999]) {
        expect(isoFromDay(localDay(ms, tz)), `${tz} at ${new Date(ms).toISOString()}`).toBe(isoFromDay(bruteDay(ms, tz)));
      }
    }
  });

  it('matches Intl for random instants near DST changes', () => {
    const zone = fc.constantFrom('America/New_York', 'Australia/Lord_Howe', 'Europe/Dublin', 'America/Santiago');
    const changes: Record<string, number[]> = {};
    for (const tz of ['America/New_York', 'Australia/Lord_Howe', 'Europe/Dublin', 'America/Santiago']) {
      changes[tz] = boundaries(tz, Date.UTC(2026, 0, 1), Date.UTC(2027, 0, 1)).filter((e) => bruteOffsetMinutes(e - 1, tz) !== bruteOffsetMinutes(e, tz));
      expect(changes[tz]!.length, tz).toBeGreaterThanOrEqual(2);
    }
    fc.assert(
      fc.property(zone, fc.nat(), fc.integer({ min: -36 * 3_600_000, max: 36 * 3_600_000 }), (tz, i, delta) => {
        const list = changes[tz]!;
        const ms = list[i % list.length]! + delta;
        expect(localDay(ms, tz)).toBe(bruteDay(ms, tz));
      }),
      { numRuns: 2000 },
    );
  });

  it('answers exactly where a zone was off the quarter hour (Monrovia, UTC−0:44:30, until 1972)', () => {
    const tz = 'Africa/Monrovia';
    const edges = boundaries(tz, Date.UTC(1960, 0, 1), Date.UTC(1960, 0, 15));
    expect(edges.length).toBeGreaterThanOrEqual(14);
    for (const e of edges) for (const ms of [e - 1, e, e + 1]) expect(localDay(ms, tz)).toBe(bruteDay(ms, tz));
  });
});
