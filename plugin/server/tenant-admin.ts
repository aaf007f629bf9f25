// Changes to a tenant's configuration. Policy and calendar decide which days
// count as present, so changing either recomputes every student's day counts.
import { assertTimeZone } from '../../shared/days.ts';
import { DEFAULT_POLICY, validatePolicyOrder, type Policy } from '../../shared/policy.ts';
import { LMS_KINDS, type LmsKind, type Store, type Tenant } from '../store/store.ts';
import { contextFor } from './tenant-context.ts';

export interface NewTenantInput {
  id: string;
  name: string;
  lmsKind: string;
  lmsOrigin: string;
  timeZone: string;
}

export function validateTenantInput(t: NewTenantInput): string[] {
  const problems: string[] = [];
  if (!/^[a-z0-9][a-z0-9-]{1,39}$/.test(t.id)) problems.push('id: 2–40 lower-case letters, digits or dashes');
  if (!t.name.trim()) problems.push('name: required');
  if (!LMS_KINDS.includes(t.lmsKind as LmsKind)) problems.push(`lms: one of ${LMS_KINDS.join(', ')}`);
  try {
    const u = new URL(t.lmsOrigin);
    if (u.origin !== t.lmsOrigin.replace(/\/$/, '')) problems.push('origin: just scheme, host and port, e.g. https://district.instructure.com');
  } catch {
    problems.push('origin: not a URL');
  }
  try {
    assertTimeZone(t.timeZone);
  } catch {
    problems.push(`tz: unknown time zone ${JSON.stringify(t.timeZone)} (use an IANA name such as America/Chicago)`);
  }
  return problems;
}

export async function createTenant(store: Store, t: NewTenantInput, now: number): Promise<Tenant> {
  const problems = validateTenantInput(t);
  if (problems.length) throw new Error(`cannot create tenant:\n  ${problems.join('\n  ')}`);
  if (await store.getTenant(t.id)) throw new Error(`tenant ${t.id} already exists`);
  return store.createTenant({ id: t.id, name: t.name.trim(), lmsKind: t.lmsKind as LmsKind, lmsOrigin: new URL(t.lmsOrigin).origin, timeZone: t.timeZone, policy: DEFAULT_POLICY }, now);
}

/** Recomputes present/partial day counts under the tenant's current policy and calendar. */
export async function rebuildStatus(store: Store, tenantId: string): Promise<number> {
  const tenant = await store.getTenant(tenantId);
  if (!tenant) throw new Error(`no tenant ${tenantId}`);
  const ctx = contextFor(tenant, await store.getCalendar(tenantId));
  return store.rebuildSummaries(tenantId, ctx.classify);
}

export async function updatePolicy(store: Store, tenantId: string, change: Partial<Policy>): Promise<Policy> {
  const tenant = await store.getTenant(tenantId);
  if (!tenant) throw new Error(`no tenant ${tenantId}`);
  const next: Policy = { ...tenant.policy, ...change, tiers: { ...tenant.policy.tiers, ...(change.tiers ?? {}) } };
  const problem = validatePolicyOrder(next);
  if (problem) throw new Error(problem);
  await store.setPolicy(tenantId, next);
  await rebuildStatus(store, tenantId);
  return next;
}
