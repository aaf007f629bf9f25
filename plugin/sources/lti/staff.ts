// Attendance staff who sign in to the dashboard by launching RosterLens from
// the LMS. The LMS cannot say which schools someone works for, so the district
// admin grants it once, by the person's LMS (native) user id.
import type { Store } from '../../store/store.ts';
import { ltiDb } from './tables.ts';

export interface StaffGrant {
  role: 'staff' | 'admin';
  schools: string[];
}

/** Admin function: this person's launches open a dashboard session with this role and these schools. */
export async function grantLtiStaff(store: Store, tenant: string, person: string, grant: StaffGrant, now = Date.now()): Promise<void> {
  if (!(await store.getTenant(tenant))) throw new Error(`no tenant ${tenant}`);
  const row = { role: grant.role, schools: JSON.stringify(grant.schools) };
  await ltiDb(store)
    .insertInto('lti_staff')
    .values({ tenant, person, ...row, created_at: now })
    .onConflict((oc) => oc.columns(['tenant', 'person']).doUpdateSet(row))
    .execute();
}

export async function revokeLtiStaff(store: Store, tenant: string, person: string): Promise<boolean> {
  const r = await ltiDb(store).deleteFrom('lti_staff').where('tenant', '=', tenant).where('person', '=', person).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

export async function staffGrant(store: Store, tenant: string, person: string): Promise<StaffGrant | null> {
  const r = await ltiDb(store).selectFrom('lti_staff').select(['role', 'schools']).where('tenant', '=', tenant).where('person', '=', person).executeTakeFirst();
  return r ? { role: r.role === 'admin' ? 'admin' : 'staff', schools: JSON.parse(r.schools) as string[] } : null;
}
