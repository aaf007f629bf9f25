// School calendar import: a CSV of the days that differ from an ordinary
// weekday (holidays at 0 minutes, short days, make-up Saturdays), plus the
// school year's bounds. One bad row rejects the file; nothing is written.
import { dayFromIso, isoFromDay } from '../../shared/days.ts';
import type { Calendar } from '../../shared/calendar.ts';
import type { Store } from '../store/store.ts';
import { ImportRejected, csvErrorToRowError, readCsv, type RowError } from './csv-rows.ts';

export interface CalendarImportOptions {
  start?: string;
  end?: string;
  defaultMinutes?: number;
}

export interface CalendarImportResult {
  days: number;
  noSchoolDays: number;
  start: string | null;
  end: string | null;
  defaultMinutes: number;
}

export async function importCalendar(store: Store, tenant: string, file: string, opts: CalendarImportOptions, now: number): Promise<CalendarImportResult> {
  const t = await store.getTenant(tenant);
  if (!t) throw new Error(`no tenant ${tenant}`);
  const errors: RowError[] = [];
  const name = file.split('/').pop() ?? file;
  const existing = await store.getCalendar(tenant);
  const parseBound = (v: string | undefined, flag: string): number | null => {
    if (!v) return null;
    try {
      return dayFromIso(v);
    } catch (e) {
      errors.push({ file: flag, line: 0, message: (e as Error).message });
      return null;
    }
  };
  const start = parseBound(opts.start, '--start') ?? existing?.start ?? null;
  const end = parseBound(opts.end, '--end') ?? existing?.end ?? null;
  if (start !== null && end !== null && end < start) errors.push({ file: '--end', line: 0, message: 'the school year ends before it starts' });
  const defaultMinutes = opts.defaultMinutes ?? existing?.defaultMinutes ?? t.policy.defaultDayMinutes;
  if (!Number.isInteger(defaultMinutes) || defaultMinutes < 1 || defaultMinutes > 1440) errors.push({ file: '--default-minutes', line: 0, message: 'must be a whole number of minutes from 1 to 1440' });

  const overrides = new Map<number, number>();
  let header = false;
  try {
    for await (const r of readCsv(file)) {
      const v = r.values;
      if (!header) {
        if (!('date' in v) || !('minutes' in v)) {
          errors.push({ file: name, line: 1, message: 'the header must have columns date,minutes (and optionally note)' });
          break;
        }
        header = true;
      }
      let day: number;
      try {
        day = dayFromIso(v.date ?? '');
      } catch (e) {
        errors.push({ file: name, line: r.line, message: (e as Error).message });
        continue;
      }
      const minutes = Number(v.minutes);
      if (v.minutes === '' || !Number.isInteger(minutes) || minutes < 0 || minutes > 1440) {
        errors.push({ file: name, line: r.line, message: `minutes must be a whole number from 0 (no school) to 1440, got ${JSON.stringify((v.minutes ?? '').slice(0, 20))}` });
        continue;
      }
      if (overrides.has(day)) {
        errors.push({ file: name, line: r.line, message: `${isoFromDay(day)} is listed twice` });
        continue;
      }
      if ((start !== null && day < start) || (end !== null && day > end)) {
        errors.push({ file: name, line: r.line, message: `${isoFromDay(day)} is outside the school year` });
        continue;
      }
      overrides.set(day, minutes);
    }
  } catch (e) {
    errors.push(csvErrorToRowError(name, e));
  }
  if (errors.length) throw new ImportRejected(errors);
  const cal: Calendar = { start, end, defaultMinutes, overrides };
  await store.setCalendar(tenant, cal, now);
  return {
    days: overrides.size,
    noSchoolDays: [...overrides.values()].filter((m) => m === 0).length,
    start: start === null ? null : isoFromDay(start),
    end: end === null ? null : isoFromDay(end),
    defaultMinutes,
  };
}
