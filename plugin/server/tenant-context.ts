// What status and ingest need to know about a tenant, cached briefly so a busy
// ingest path does not read the tenant and its calendar on every batch.
import { weekdayCalendar, isSchoolDay, type Calendar } from '../../shared/calendar.ts';
import { localDay } from '../../shared/days.ts';
import { dayCountDelta, dayState, requiredEngagedSeconds, type DayFacts } from '../../shared/status.ts';
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
