// Days are integers (days since 1970-01-01) inside the system and ISO dates
// (YYYY-MM-DD) at its edges. A school day is the tenant's local date.

const MS_PER_DAY = 86_400_000;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

export function dayFromIso(iso: string): number {
  const m = ISO_DATE.exec(iso);
  if (!m) throw new RangeError(`not a date (YYYY-MM-DD): ${JSON.stringify(iso)}`);
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const ms = Date.UTC(y, mo - 1, d);
  const back = new Date(ms);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) {
    throw new RangeError(`no such date: ${iso}`);
  }
  return Math.floor(ms / MS_PER_DAY);
}

export function isoFromDay(day: number): string {
  return new Date(day * MS_PER_DAY).toISOString().slice(0, 10);
}

/** 0 = Sunday … 6 = Saturday. 1970-01-01 was a Thursday. */
export function weekdayOf(day: number): number {
  return (((day + 4) % 7) + 7) % 7;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    formatters.set(timeZone, f);
  }
  return f;
}

/** Throws for a time zone the runtime does not know, so a tenant can't be created with one. */
export function assertTimeZone(timeZone: string): void {
  formatterFor(timeZone);
}

// Offsets only change on quarter-hour boundaries in every real zone, so one
// Intl call per zone and quarter hour serves every signal in it. Ingest calls
// this for each signal; Intl alone would cost several microseconds a call.
const QUARTER_HOUR = 15 * 60 * 1000;
const offsetCache = new Map<string, Map<number, number>>();

function localDayUncached(epochMs: number, timeZone: string): number {
  return dayFromIso(formatterFor(timeZone).format(new Date(epochMs)));
}

export function localDay(epochMs: number, timeZone: string): number {
  const bucket = Math.floor(epochMs / QUARTER_HOUR);
  let zone = offsetCache.get(timeZone);
  if (!zone) {
    zone = new Map();
    offsetCache.set(timeZone, zone);
  }
  let offsetDays = zone.get(bucket);
  const start = bucket * QUARTER_HOUR;
  if (offsetDays === undefined) {
    // Store the local midnight that precedes the bucket start, as ms; the day of
    // any instant in the bucket follows by adding elapsed time.
    const dayAtStart = localDayUncached(start, timeZone);
    const dayAtEnd = localDayUncached(start + QUARTER_HOUR - 1, timeZone);
    offsetDays = dayAtStart === dayAtEnd ? dayAtStart : Number.NaN;
    if (zone.size > 50_000) zone.clear();
    zone.set(bucket, offsetDays);
  }
  // A bucket that straddles local midnight (zones with odd offsets) is answered exactly.
  return Number.isNaN(offsetDays) ? localDayUncached(epochMs, timeZone) : offsetDays;
}
