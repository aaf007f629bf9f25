// Verified memberships (from a launch or from Names and Role Provisioning
// Services) → the tenant's roster. Every member is kept in lti_members keyed by
// subject; those whose native id is known become people and enrollments with
// source 'lti'. Members who left: a teacher's enrollment is removed (it grants
// access), a student's ends the day before (their history stays, as with a
// OneRoster withdrawal).
import type { Enrollment, Person, Store } from '../../store/store.ts';
import type { ContextRole } from './roles.ts';
import type { Platform } from './platforms.ts';
import { isLmsId, knownPeople, mirrorSub, saveIdentity } from './identity.ts';
import { ltiDb } from './tables.ts';

export interface MemberFact {
  sub: string;
  role: ContextRole;
  active: boolean;
  sisId: string | null;
  /** Native id the platform stated for this member (a custom parameter), if any. */
  nativeId: string | null;
  givenName?: string | null;
  familyName?: string | null;
}

export interface ApplyResult {
  active: number;
  inactive: number;
  /** Members kept but not on the roster yet: their native id is not known. */
  pending: number;
  removed: number;
}

const chunk = <T>(xs: T[], n = 400): T[][] => Array.from({ length: Math.ceil(xs.length / n) }, (_, i) => xs.slice(i * n, i * n + n));

export async function applyMembers(
  store: Store,
  platform: Platform,
  ctx: { contextId: string; course: string; title?: string | null },
  members: MemberFact[],
  opts: { full: boolean; today: number; now: number },
): Promise<ApplyResult> {
  const db = ltiDb(store);
  const tenant = platform.tenant;
  const { now, today } = opts;

  // 1. native ids
  const { bySub, bySis } = await knownPeople(
    store,
    platform,
    members.map((m) => m.sub),
    members.flatMap((m) => (m.sisId ? [m.sisId] : [])),
  );
  const person = new Map<string, string>();
  for (const m of members) {
    let p: string | null = null;
    let via = '';
    if (m.nativeId && isLmsId(m.nativeId)) [p, via] = [m.nativeId, 'message'];
    else if (platform.nativeIds === 'sub' && isLmsId(m.sub)) [p, via] = [m.sub, 'sub'];
    else if (bySub.has(m.sub)) [p, via] = [bySub.get(m.sub)!, 'known'];
    else if (m.sisId && bySis.has(m.sisId)) [p, via] = [bySis.get(m.sisId)!, 'sis'];
    if (p === null) continue;
    person.set(m.sub, p);
    if (via !== 'known' && bySub.get(m.sub) !== p) await saveIdentity(store, platform, m.sub, p, via, now);
  }

  // 2. remember every member, resolved or not
  for (const part of chunk(members)) {
    await db
      .insertInto('lti_members')
      .values(part.map((m) => ({ tenant, platform: platform.id, context_id: ctx.contextId, sub: m.sub, role: m.role, active: m.active ? 1 : 0, sis_id: m.sisId, person: person.get(m.sub) ?? null, updated_at: now })))
      .onConflict((oc) =>
        oc.columns(['tenant', 'platform', 'context_id', 'sub']).doUpdateSet((eb) => ({
          role: eb.ref('excluded.role'),
          active: eb.ref('excluded.active'),
          sis_id: eb.ref('excluded.sis_id'),
          person: eb.ref('excluded.person'),
          updated_at: eb.ref('excluded.updated_at'),
        })),
      )
      .execute();
  }
  // A full membership lists everyone: whoever it leaves out has left.
  let gone: { person: string | null; role: string }[] = [];
  if (opts.full) {
    const listed = new Set(members.map((m) => m.sub));
    const rows = await db.selectFrom('lti_members').select(['sub', 'person', 'role']).where('tenant', '=', tenant).where('platform', '=', platform.id).where('context_id', '=', ctx.contextId).where('active', '=', 1).execute();
    const missing = rows.filter((r) => !listed.has(r.sub));
    for (const part of chunk(missing.map((r) => r.sub))) {
      await db.updateTable('lti_members').set({ active: 0, updated_at: now }).where('tenant', '=', tenant).where('platform', '=', platform.id).where('context_id', '=', ctx.contextId).where('sub', 'in', part).execute();
    }
    gone = missing;
  }

  // 3. roster
  const existing = await db.selectFrom('enrollments').select(['person', 'role', 'start_day', 'end_day']).where('tenant', '=', tenant).where('course', '=', ctx.course).execute();
  const enrolled = new Map(existing.map((e) => [`${e.role}\u0000${e.person}`, e]));
  const known = await db.selectFrom('lti_contexts').select('synced_at').where('tenant', '=', tenant).where('platform', '=', platform.id).where('context_id', '=', ctx.contextId).executeTakeFirst();
  // Once the course's whole roster has been seen, anyone new joined today; before that, we cannot know.
  const newcomersToday = (known?.synced_at ?? null) !== null;

  const active = members.filter((m) => m.active && person.has(m.sub));
  const people: Person[] = [];
  const enrollments: Enrollment[] = [];
  const ids = [...new Set(active.map((m) => person.get(m.sub)!))];
  const roles = new Map<string, string>();
  for (const part of chunk(ids)) {
    for (const r of await db.selectFrom('people').select(['id', 'role']).where('tenant', '=', tenant).where('id', 'in', part).execute()) roles.set(r.id, r.role);
  }
  const seen = new Set<string>();
  for (const m of active) {
    const id = person.get(m.sub)!;
    if (!seen.has(id)) {
      seen.add(id);
      people.push({
        id,
        sisId: null, // the SIS id is OneRoster's to set; LTI's lis ids are only used to join
        ltiSub: null,
        role: roles.get(id) ?? m.role,
        givenName: m.givenName?.slice(0, 100) || null,
        familyName: m.familyName?.slice(0, 100) || null,
        grade: null,
        school: null,
        groups: [],
      });
    }
    const prior = enrolled.get(`${m.role}\u0000${id}`);
    const startDay = prior ? (prior.start_day === null ? null : Number(prior.start_day)) : newcomersToday ? today : null;
    enrollments.push({ course: ctx.course, person: id, role: m.role, startDay, endDay: null });
  }
  const leaving = [
    ...members.filter((m) => !m.active && person.has(m.sub)).map((m) => ({ person: person.get(m.sub)!, role: m.role as string })),
    ...gone.filter((g): g is { person: string; role: string } => g.person !== null),
  ];
  await store.applyRoster(tenant, { schools: [], people, courses: [{ id: ctx.course, sisId: null, title: ctx.title?.slice(0, 200) || null, school: null }], enrollments, source: 'lti' }, now);

  // people.lti_sub for newcomers (the people rows exist only now).
  const unmirrored = new Set<string>();
  for (const part of chunk(ids)) {
    for (const r of await db.selectFrom('people').select('id').where('tenant', '=', tenant).where('id', 'in', part).where('lti_sub', 'is', null).execute()) unmirrored.add(r.id);
  }
  for (const m of active) if (unmirrored.has(person.get(m.sub)!)) await mirrorSub(store, tenant, m.sub, person.get(m.sub)!);

  let removed = 0;
  for (const l of leaving) {
    if (l.role === 'teacher') {
      const r = await db.deleteFrom('enrollments').where('tenant', '=', tenant).where('course', '=', ctx.course).where('role', '=', 'teacher').where('person', '=', l.person).executeTakeFirst();
      removed += Number(r.numDeletedRows);
    } else {
      const r = await db
        .updateTable('enrollments')
        .set({ end_day: today - 1, updated_at: now })
        .where('tenant', '=', tenant)
        .where('course', '=', ctx.course)
        .where('role', '=', 'student')
        .where('person', '=', l.person)
        .where((eb) => eb.or([eb('end_day', 'is', null), eb('end_day', '>', today - 1)]))
        .executeTakeFirst();
      removed += Number(r.numUpdatedRows);
    }
  }
  // Teaching ends with the role too (a teacher the platform now lists as a student no longer teaches here).
  for (const m of active) {
    if (m.role === 'student' && enrolled.has(`teacher\u0000${person.get(m.sub)!}`)) {
      await db.deleteFrom('enrollments').where('tenant', '=', tenant).where('course', '=', ctx.course).where('role', '=', 'teacher').where('person', '=', person.get(m.sub)!).where('source', '=', 'lti').execute();
    }
  }
  return { active: active.length, inactive: members.filter((m) => !m.active).length + gone.length, pending: members.filter((m) => m.active && !person.has(m.sub)).length, removed };
}

/**
 * After a launch taught us a subject's native id: that subject's memberships
 * in every context of the platform join the roster.
 */
export async function applyPendingFor(store: Store, platform: Platform, sub: string, today: number, now: number): Promise<void> {
  const db = ltiDb(store);
  const rows = await db
    .selectFrom('lti_members as m')
    .innerJoin('lti_contexts as c', (j) => j.onRef('c.tenant', '=', 'm.tenant').onRef('c.platform', '=', 'm.platform').onRef('c.context_id', '=', 'm.context_id'))
    .select(['m.context_id', 'm.role', 'm.active', 'm.sis_id', 'm.person', 'c.course'])
    .where('m.tenant', '=', platform.tenant)
    .where('m.platform', '=', platform.id)
    .where('m.sub', '=', sub)
    .execute();
  for (const r of rows) {
    if (!r.person) continue;
    const have = await db.selectFrom('enrollments').select('person').where('tenant', '=', platform.tenant).where('course', '=', r.course).where('role', '=', r.role).where('person', '=', r.person).executeTakeFirst();
    if (have || !r.active) continue;
    await applyMembers(store, platform, { contextId: r.context_id, course: r.course }, [{ sub, role: r.role === 'teacher' ? 'teacher' : 'student', active: true, sisId: r.sis_id, nativeId: r.person }], { full: false, today, now });
  }
}
