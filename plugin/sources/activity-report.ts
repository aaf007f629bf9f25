// LMS login/activity report import: for districts whose LMS can export who
// was active when (a Canvas "Last user access" report, an activity export
// reshaped to the columns below) but can run no script and send no events.
//
// Columns (header row required, any order, extra columns ignored):
//   user_id    the LMS user id, as on the roster page (aliases: "user id", userid)
//   timestamp  ISO 8601 with a zone (2025-03-04T09:15:00-05:00), or
//              "YYYY-MM-DD HH:MM[:SS]" in the tenant's time zone
//              (aliases: time, event_time, "last access at", last_access_at)
//   course_id  optional; empty when the activity was not in a course (alias: "course id", courseid)
//   event      optional, default page_view: a signal kind (login, logout,
//              page_view, submission, discussion_post, live_session,
//              check_in) or a common LMS word for one (logged_in,
//              viewed, submitted, posted, attended…) (alias: kind)
//
// One bad row rejects the file and nothing is written. Rows may be older than
// the live ingest age limit (that is the point of a report). Each row's signal
// id is a hash of (user, course, time, kind), so importing the same or an
// overlapping report twice counts each activity once.
import { createHash } from 'node:crypto';
import type { SignalKind } from '../../shared/signal.ts';
import { localDay } from '../../shared/days.ts';
import type { IngestItem, Store } from '../store/store.ts';
import { contextFor } from '../server/tenant-context.ts';
import { ImportRejected, csvErrorToRowError, readCsv, type RowError } from './csv-rows.ts';

export interface ActivityImportOptions {
  /** Rows stamped further than this into the future are errors (default 5 minutes). */
  maxFutureSkewMs?: number;
  onProgress?: (bytes: number, total: number) => void;
}

export interface ActivityImportResult {
  rows: number;
  /** Signals new to the store. */
  stored: number;
  /** Rows the store already had (an earlier import of the same activity, or a repeated row). */
  duplicates: number;
  byKind: Partial<Record<SignalKind, number>>;
  /** Distinct user ids in the file that are not on the roster (their signals are kept, but show nowhere until they are). */
  unknownUsers: number;
  first: string | null;
  last: string | null;
}

const MAX_ERRORS = 200;
const LMS_ID = /^[\x21-\x7E]{1,64}$/;

const COLUMNS: Record<'user' | 'course' | 'time' | 'event', string[]> = {
  user: ['user_id', 'user id', 'userid', 'canvas_user_id', 'canvas user id'],
  course: ['course_id', 'course id', 'courseid', 'canvas_course_id'],
  time: ['timestamp', 'time', 'event_time', 'last access at', 'last_access_at', 'last_access'],
  event: ['event', 'kind', 'event_type', 'action'],
};

const EVENT_WORDS: Record<string, SignalKind> = {
  login: 'login',
  logged_in: 'login',
  loggedin: 'login',
  'logged in': 'login',
  'user logged in': 'login',
  logout: 'logout',
  logged_out: 'logout',
  loggedout: 'logout',
  'logged out': 'logout',
  page_view: 'page_view',
  view: 'page_view',
  viewed: 'page_view',
  access: 'page_view',
  accessed: 'page_view',
  asset_accessed: 'page_view',
  last_access: 'page_view',
  heartbeat: 'heartbeat',
  submission: 'submission',
  submit: 'submission',
  submitted: 'submission',
  submission_created: 'submission',
  quiz_submitted: 'submission',
  completed: 'submission',
  discussion_post: 'discussion_post',
  post: 'discussion_post',
  posted: 'discussion_post',
  reply: 'discussion_post',
  replied: 'discussion_post',
  comment: 'discussion_post',
  commented: 'discussion_post',
  discussion_entry_created: 'discussion_post',
  live_session: 'live_session',
  attended: 'live_session',
  joined: 'live_session',
  check_in: 'check_in',
};

const ZONED = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?\s*(Z|UTC|[+-]\d{2}:?\d{2})$/i;
const LOCAL = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?$/;

/** Offset (ms) of a time zone from UTC at an instant. */
function zoneOffset(ms: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' }).formatToParts(new Date(ms));
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value);
  return Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second')) - Math.floor(ms / 1000) * 1000;
}

/** Epoch ms of a report timestamp, or an error message. */
export function parseReportTime(raw: string, timeZone: string): number | string {
  const v = raw.trim();
  if (ZONED.test(v)) {
    const ms = Date.parse(v.replace(' ', 'T').replace(/\s*UTC$/i, 'Z').replace(/\s+(?=[+-]\d)/, ''));
    return Number.isNaN(ms) ? `not a valid date-time: ${JSON.stringify(v.slice(0, 40))}` : ms;
  }
  const m = LOCAL.exec(v);
  if (!m) return `timestamp must be ISO 8601 with a zone or "YYYY-MM-DD HH:MM[:SS]" in the district's time zone, got ${JSON.stringify(v.slice(0, 40))}`;
  const [y, mo, d, h, mi, s] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i] ?? 0)) as [number, number, number, number, number, number];
  const guess = Date.UTC(y, mo - 1, d, h, mi, s);
  const back = new Date(guess);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) return `no such date-time: ${JSON.stringify(v)}`;
  const first = guess - zoneOffset(guess, timeZone);
  return guess - zoneOffset(first, timeZone);
}

function pick(values: Record<string, string>, names: string[]): string | undefined {
  for (const n of names) if (n in values) return values[n];
  return undefined;
}

function rowId(tenant: string, user: string, course: string, at: number, kind: SignalKind): string {
  return `import:${createHash('sha256').update(`${tenant}\u0000${user}\u0000${course}\u0000${at}\u0000${kind}`).digest('base64url').slice(0, 32)}`;
}

/**
 * Imports an activity report CSV into signals. Throws ImportRejected (with
 * every row error, up to 200) when any row is wrong; nothing is written then.
 */
export async function importActivityReport(store: Store, tenant: string, file: string, now: number, opts: ActivityImportOptions = {}): Promise<ActivityImportResult> {
  const t = await store.getTenant(tenant);
  if (!t) throw new Error(`no tenant ${tenant}`);
  const name = file.split('/').pop() ?? file;
  const maxFuture = opts.maxFutureSkewMs ?? 5 * 60_000;
  const errors: RowError[] = [];
  const err = (line: number, message: string) => {
    if (errors.length < MAX_ERRORS) errors.push({ file: name, line, message });
  };
  const items = new Map<string, IngestItem>();
  let rows = 0;
  let repeated = 0;
  let checkedHeader = false;
  let first: number | null = null;
  let last: number | null = null;
  try {
    for await (const r of readCsv(file, opts.onProgress)) {
      const lower: Record<string, string> = {};
      for (const [k, v] of Object.entries(r.values)) lower[k.toLowerCase()] = v;
      if (!checkedHeader) {
        checkedHeader = true;
        const missing = [pick(lower, COLUMNS.user) === undefined ? 'user_id' : null, pick(lower, COLUMNS.time) === undefined ? 'timestamp' : null].filter(Boolean);
        if (missing.length) {
          err(1, `the header must have columns user_id and timestamp (and optionally course_id, event); missing ${missing.join(', ')}`);
          break;
        }
      }
      rows++;
      const user = (pick(lower, COLUMNS.user) ?? '').trim();
      const course = (pick(lower, COLUMNS.course) ?? '').trim();
      const rawTime = pick(lower, COLUMNS.time) ?? '';
      const rawEvent = (pick(lower, COLUMNS.event) ?? '').trim().toLowerCase();
      let bad = false;
      if (!LMS_ID.test(user)) {
        err(r.line, user === '' ? 'user_id is empty' : 'user_id must be 1–64 printable characters without spaces');
        bad = true;
      }
      if (course !== '' && !LMS_ID.test(course)) {
        err(r.line, 'course_id must be 1–64 printable characters without spaces (or empty)');
        bad = true;
      }
      const kind: SignalKind | undefined = rawEvent === '' ? 'page_view' : EVENT_WORDS[rawEvent];
      if (!kind) {
        err(r.line, `unknown event ${JSON.stringify(rawEvent.slice(0, 30))}; use login, logout, page_view, submission, discussion_post, live_session or check_in`);
        bad = true;
      }
      const at = parseReportTime(rawTime, t.timeZone);
      if (typeof at === 'string') {
        err(r.line, at);
        bad = true;
      } else if (at > now + maxFuture) {
        err(r.line, 'timestamp is in the future');
        bad = true;
      } else if (at < Date.UTC(2000, 0, 1)) {
        err(r.line, 'timestamp is before 2000');
        bad = true;
      }
      if (bad || typeof at === 'string' || !kind) continue;
      const id = rowId(tenant, user, course, at, kind);
      if (items.has(id)) {
        repeated++;
        continue;
      }
      items.set(id, { id, course, user, day: localDay(at, t.timeZone), at, kind, activeMs: 0 });
      first = first === null ? at : Math.min(first, at);
      last = last === null ? at : Math.max(last, at);
    }
  } catch (e) {
    errors.push(csvErrorToRowError(name, e));
  }
  if (!checkedHeader && errors.length === 0) err(1, 'the file is empty; it needs a header row user_id,timestamp[,course_id,event] and at least one row');
  if (errors.length) throw new ImportRejected(errors);

  const users = [...new Set([...items.values()].map((i) => i.user))];
  let unknownUsers = 0;
  for (const u of users) if (!(await store.getPerson(tenant, u))) unknownUsers++;

  const ctx = contextFor(t, await store.getCalendar(tenant));
  const all = [...items.values()];
  let stored = 0;
  let duplicates = repeated;
  const byKind: Partial<Record<SignalKind, number>> = {};
  for (let i = 0; i < all.length; i += 2000) {
    const chunk = all.slice(i, i + 2000);
    const r = await store.ingest(tenant, chunk, now, ctx.classify);
    stored += r.stored.size;
    duplicates += r.duplicates.size;
    for (const it of chunk) if (r.stored.has(it.id)) byKind[it.kind] = (byKind[it.kind] ?? 0) + 1;
  }
  return {
    rows,
    stored,
    duplicates,
    byKind,
    unknownUsers,
    first: first === null ? null : new Date(first).toISOString(),
    last: last === null ? null : new Date(last).toISOString(),
  };
}
