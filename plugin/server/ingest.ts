// Turns a validated batch into an acknowledged one: corrects the sender's
// clock, refuses what is too far in the future or too old, reports per signal,
// and keeps the rest durably in the inbox.
import { localDay } from '../../shared/days.ts';
import type { IngestResult, SignalBatch, SignalRejection } from '../../shared/signal.ts';
import type { IngestItem, Store } from '../store/store.ts';
import { HttpError } from './errors.ts';
import type { TenantContext } from './tenant-context.ts';

export interface IngestLimits {
  maxFutureSkewMs: number;
  maxSignalAgeMs: number;
}

/** Below this, a difference between clocks is network latency, not a wrong clock. */
const CLOCK_TOLERANCE_MS = 2000;

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * Epoch ms of an instant the schema's pattern admitted, or NaN when it names no
 * real time. Date.parse alone rolls 2026-02-30 over to March 2 and 24:00 to the next day.
 */
export function parseInstant(s: string): number {
  const ms = Date.parse(s);
  if (Number.isNaN(ms)) return ms;
  const y = Number(s.slice(0, 4));
  const mo = Number(s.slice(5, 7));
  const d = Number(s.slice(8, 10));
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  const days = mo === 2 && leap ? 29 : DAYS_IN_MONTH[mo - 1];
  if (days === undefined || d < 1 || d > days || Number(s.slice(11, 13)) > 23 || Number(s.slice(14, 16)) > 59 || Number(s.slice(17, 19)) > 59) return Number.NaN;
  return ms;
}

export function clockOffset(sentAt: string | undefined, now: number): number {
  if (!sentAt) return 0;
  const sent = parseInstant(sentAt);
  if (Number.isNaN(sent)) throw new HttpError(400, 'invalid_request', 'the body is not valid: /sentAt is not a real date');
  const offset = now - sent;
  return Math.abs(offset) < CLOCK_TOLERANCE_MS ? 0 : offset;
}

export async function ingestBatch(
  store: Store,
  ctx: TenantContext,
  batch: SignalBatch,
  now: number,
  limits: IngestLimits,
): Promise<IngestResult> {
  const offset = clockOffset(batch.sentAt, now);
  const items: IngestItem[] = [];
  const rejected: SignalRejection[] = [];
  const tz = ctx.tenant.timeZone;
  batch.signals.forEach((s, index) => {
    const parsed = parseInstant(s.at);
    // The schema checked the shape; a shape-valid impossible date (2026-13-45) is refused here.
    if (Number.isNaN(parsed)) throw new HttpError(400, 'invalid_request', `the body is not valid: /signals/${index}/at is not a real date`);
    const at = parsed + offset;
    if (at > now + limits.maxFutureSkewMs) return void rejected.push({ index, id: s.id, reason: 'in_future' });
    if (at < now - limits.maxSignalAgeMs) return void rejected.push({ index, id: s.id, reason: 'too_old' });
    items.push({ id: s.id, course: s.course ?? '', user: s.user, day: localDay(at, tz), at, kind: s.kind, activeMs: s.activeMs ?? 0 });
  });
  // Acknowledged once durably in the inbox; the drainer dedupes and folds it into rollups.
  if (items.length) await store.appendInbox(ctx.tenant.id, items, now);
  const acknowledged = [...new Set(items.map((i) => i.id))];
  return { acknowledged, accepted: acknowledged.length, rejected, clockOffsetMs: offset };
}
