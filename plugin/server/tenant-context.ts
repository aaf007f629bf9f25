// What status and ingest need to know about a tenant, cached briefly so a busy
// ingest path does not read the tenant and its calendar on every batch.
import { weekdayCalendar, isSchoolDay, type Calendar } from '../../shared/calendar.ts';
import { localDay } from '../../shared/days.ts';
import { computeStatus, dayCountDelta, dayState, requiredEngagedSeconds, type ComputedStatus, type DayFacts } from '../../shared/status.ts';
import type { DayClassifier, Store, Tenant } from '../store/store.ts';

export interface TenantContext {
  tenant: Tenant;
  calendar: Calendar;
  classify: DayClassifier;
  today(now: number): number;
}

export function contextFor(tenant: Tenant, stored: Calendar | null): TenantContext {
  const calendar = stored ?? weekdayCalendar(tenant.policy.defaultDayMinutes);
  const policy = tenant.policy;
  const classify: DayClassifier = (_course, day, before: DayFacts, after: DayFacts) => {
    if (!isSchoolDay(calendar, day)) return { present: 0, partial: 0 };
    const need = requiredEngagedSeconds(calendar, day, policy);
    return dayCountDelta(dayState(before, need, policy), dayState(after, need, policy));
  };
  return { tenant, calendar, classify, today: (now) => localDay(now, tenant.timeZone) };
}

export class TenantContexts {
  private cache = new Map<string, { ctx: TenantContext; at: number }>();
  constructor(
    private readonly store: Store,
    private readonly ttlMs = 5000,
  ) {}

  async get(id: string, now = Date.now()): Promise<TenantContext | null> {
    const hit = this.cache.get(id);
    if (hit && now - hit.at < this.ttlMs) return hit.ctx;
    const tenant = await this.store.getTenant(id);
    if (!tenant) return null;
    const ctx = hit && hit.ctx.tenant.configVersion === tenant.configVersion ? hit.ctx : contextFor(tenant, await this.store.getCalendar(id));
    this.cache.set(id, { ctx, at: now });
    return ctx;
  }

  forget(id: string): void {
    this.cache.delete(id);
  }
}

/** What status needs of one student × course from the store: enrollment, running counts, today. */
export interface StatusRow {
  startDay: number | null;
  endDay: number | null;
  presentDays: number | null;
  partialDays: number | null;
  firstAt?: number | null;
  lastAt: number | null;
  lastDay: number | null;
  today: DayFacts | null;
}

/** One student's status in one course; the roster API and the dashboard both call this, so they agree. */
export function statusFor(ctx: TenantContext, today: number, r: StatusRow): ComputedStatus {
  return computeStatus({
    today,
    calendar: ctx.calendar,
    policy: ctx.tenant.policy,
    enrollment: { start: r.startDay, end: r.endDay },
    summary:
      r.lastDay === null
        ? null
        : {
            presentDays: r.presentDays ?? 0,
            partialDays: r.partialDays ?? 0,
            lastSeenDay: r.lastDay,
            lastSeenAt: r.lastAt,
            firstSeenDay: r.firstAt == null ? null : localDay(r.firstAt, ctx.tenant.timeZone),
          },
    todayFacts: r.today,
  });
}
