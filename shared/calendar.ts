// School calendar arithmetic. A calendar is the school year's bounds plus the
// days that differ from "weekdays are school days": holidays (0 minutes) and
// make-up or short days (their minutes).
import { weekdayOf } from './days.ts';

export interface Calendar {
  /** First and last day of the school year (inclusive); null = unbounded. */
  start: number | null;
  end: number | null;
  /** Day -> instructional minutes, overriding the weekday default (0 = no school). */
  overrides: ReadonlyMap<number, number>;
  /** Minutes of an ordinary weekday. */
  defaultMinutes: number;
}

export function weekdayCalendar(defaultMinutes: number, start: number | null = null, end: number | null = null): Calendar {
  return { start, end, overrides: new Map(), defaultMinutes };
}

export function instructionalMinutes(cal: Calendar, day: number): number {
  if (cal.start !== null && day < cal.start) return 0;
  if (cal.end !== null && day > cal.end) return 0;
  const o = cal.overrides.get(day);
  if (o !== undefined) return o;
  const wd = weekdayOf(day);
  return wd === 0 || wd === 6 ? 0 : cal.defaultMinutes;
}

export function isSchoolDay(cal: Calendar, day: number): boolean {
  return instructionalMinutes(cal, day) > 0;
}

/** School days in [from, to], inclusive; 0 when the range is empty. */
export function countSchoolDays(cal: Calendar, from: number, to: number): number {
  let lo = from;
  let hi = to;
  if (cal.start !== null) lo = Math.max(lo, cal.start);
  if (cal.end !== null) hi = Math.min(hi, cal.end);
  if (hi < lo) return 0;
  // Whole weeks hold five weekdays; only the remainder and the overrides need a look.
  const span = hi - lo + 1;
  const weeks = Math.floor(span / 7);
  let n = cal.defaultMinutes > 0 ? weeks * 5 : 0;
  for (let d = lo + weeks * 7; d <= hi; d++) {
    const wd = weekdayOf(d);
    if (wd !== 0 && wd !== 6 && cal.defaultMinutes > 0) n++;
  }
  for (const [day, minutes] of cal.overrides) {
    if (day < lo || day > hi) continue;
    const wd = weekdayOf(day);
    const byDefault = wd !== 0 && wd !== 6 && cal.defaultMinutes > 0;
    if (byDefault && minutes === 0) n--;
    else if (!byDefault && minutes > 0) n++;
  }
  return n;
}

/** The most recent school day strictly before `day`, or null if none within a year. */
export function previousSchoolDay(cal: Calendar, day: number): number | null {
  for (let d = day - 1; d >= day - 366; d--) if (isSchoolDay(cal, d)) return d;
  return null;
}
