// One person, three names: the LTI subject (`sub`), the LMS's native user id
// (what the roster page and the beacon see, and the key of `people`), and the
// SIS id (OneRoster `sourcedId`, `people.sis_id`). This module keeps the
// subject → native id mapping per tenant and issuer, and the LTI context →
// native course id mapping, so signals, rosters and badges agree.
import type { Store } from '../../store/store.ts';
import type { Platform } from './platforms.ts';
import { ltiDb } from './tables.ts';

/** Printable, ≤ 64 characters: the shape every LMS id must have to be used as a key (shared/signal.ts LmsId). */
export const isLmsId = (v: unknown): v is string => typeof v === 'string' && /^[\x21-\x7E]{1,64}$/.test(v);

/** Custom parameters RosterLens registers (or an admin sets in a manual configuration) carrying native ids. */
export const USER_ID_PARAMS = ['canvas_user_id', 'rl_user_id'] as const;
export const COURSE_ID_PARAMS = ['canvas_course_id', 'rl_course_id'] as const;
export const SIS_ID_PARAMS = ['rl_person_sis_id', 'canvas_user_sis_id'] as const;

/** A custom value the platform substituted; `$Canvas.user.id` left as is means the platform did not know it. */
export function customValue(custom: Record<string, unknown> | undefined, names: readonly string[]): string | null {
  if (!custom) return null;
  for (const n of names) {
    const v = custom[n];
    const s = typeof v === 'number' ? String(v) : v;
    if (typeof s === 'string' && s && !s.startsWith('$') && isLmsId(s)) return s;
  }
  return null;
}

export interface SubjectFacts {
  sub: string;
  /** Native id from a custom parameter, signed by the platform. */
  nativeId?: string | null;
  /** SIS id (`lis.person_sourcedid`, NRPS `lis_person_sourcedid`). */
  sisId?: string | null;
}

export type Resolution = { person: string; via: 'custom' | 'sub' | 'known' | 'sis' } | { person: null; via: null };

/**
 * The native id of an LTI subject, best evidence first: a custom parameter
 * the platform substituted; the subject itself where it is the native id
 * (Moodle); a mapping learned earlier; the SIS id joined to a OneRoster import.
 * Learned mappings are saved. Returns null when nothing proves who this is.
 */
export async function resolvePerson(store: Store, platform: Platform, f: SubjectFacts, now: number): Promise<Resolution> {
  const db = ltiDb(store);
  const tenant = platform.tenant;
  const known = await db.selectFrom('lti_identities').select(['person', 'via']).where('tenant', '=', tenant).where('issuer', '=', platform.issuer).where('sub', '=', f.sub).executeTakeFirst();
  let person: string | null = null;
  let via: 'custom' | 'sub' | 'known' | 'sis' | null = null;
  if (f.nativeId && isLmsId(f.nativeId)) [person, via] = [f.nativeId, 'custom'];
  else if (platform.nativeIds === 'sub' && isLmsId(f.sub)) [person, via] = [f.sub, 'sub'];
  else if (known) [person, via] = [known.person, 'known'];
  else if (f.sisId) {
    const p = await db.selectFrom('people').select('id').where('tenant', '=', tenant).where('sis_id', '=', f.sisId).executeTakeFirst();
    if (p) [person, via] = [p.id, 'sis'];
  }
  if (person === null || via === null) return { person: null, via: null };
  if (!known || known.person !== person) await saveIdentity(store, platform, f.sub, person, via === 'known' ? 'known' : via, now);
  return { person, via };
}

/** Records sub → person. The platform's signed word is authoritative: an older mapping of either side is replaced. */
export async function saveIdentity(store: Store, platform: Platform, sub: string, person: string, via: string, now: number): Promise<void> {
  const db = ltiDb(store);
  const tenant = platform.tenant;
  await db.transaction().execute(async (trx) => {
    await trx.deleteFrom('lti_identities').where('tenant', '=', tenant).where('issuer', '=', platform.issuer).where((eb) => eb.or([eb('sub', '=', sub), eb('person', '=', person)])).execute();
    await trx.insertInto('lti_identities').values({ tenant, issuer: platform.issuer, sub, person, via, updated_at: now }).execute();
    // Memberships that waited for this subject's native id can now join the roster.
    await trx.updateTable('lti_members').set({ person }).where('tenant', '=', tenant).where('platform', '=', platform.id).where('sub', '=', sub).execute();
  });
  await mirrorSub(store, tenant, sub, person);
}

/** people.lti_sub mirrors the mapping where no other person holds that subject (it is unique per tenant). */
export async function mirrorSub(store: Store, tenant: string, sub: string, person: string): Promise<void> {
  const db = ltiDb(store);
  const clash = await db.selectFrom('people').select('id').where('tenant', '=', tenant).where('lti_sub', '=', sub).where('id', '<>', person).executeTakeFirst();
  if (!clash) await db.updateTable('people').set({ lti_sub: sub }).where('tenant', '=', tenant).where('id', '=', person).where((eb) => eb.or([eb('lti_sub', 'is', null), eb('lti_sub', '<>', sub)])).execute();
}

/** Native ids of many subjects at once (NRPS pages): known mappings, then SIS ids. */
export async function knownPeople(store: Store, platform: Platform, subs: string[], sisIds: string[]): Promise<{ bySub: Map<string, string>; bySis: Map<string, string> }> {
  const db = ltiDb(store);
  const bySub = new Map<string, string>();
  const bySis = new Map<string, string>();
  for (let i = 0; i < subs.length; i += 500) {
    const part = subs.slice(i, i + 500);
    const rows = await db.selectFrom('lti_identities').select(['sub', 'person']).where('tenant', '=', platform.tenant).where('issuer', '=', platform.issuer).where('sub', 'in', part).execute();
    for (const r of rows) bySub.set(r.sub, r.person);
  }
  for (let i = 0; i < sisIds.length; i += 500) {
    const part = sisIds.slice(i, i + 500);
    const rows = await db.selectFrom('people').select(['sis_id', 'id']).where('tenant', '=', platform.tenant).where('sis_id', 'in', part).execute();
    for (const r of rows) if (r.sis_id) bySis.set(r.sis_id, r.id);
  }
  return { bySub, bySis };
}

export interface ContextFacts {
  contextId: string;
  nativeId?: string | null;
  membershipsUrl?: string | null;
  resourceLink?: string | null;
}

/**
 * The native course id of an LTI context: a custom parameter (Canvas
 * `$Canvas.course.id`), else a mapping learned earlier, else the context id
 * itself (Moodle's context id is the course id). Saves what it learns, and
 * where the context's roster service is.
 */
export async function resolveCourse(store: Store, platform: Platform, f: ContextFacts, now: number): Promise<{ course: string; via: string } | null> {
  const db = ltiDb(store);
  const tenant = platform.tenant;
  const known = await db.selectFrom('lti_contexts').selectAll().where('tenant', '=', tenant).where('platform', '=', platform.id).where('context_id', '=', f.contextId).executeTakeFirst();
  let course: string | null = null;
  let via = '';
  if (f.nativeId && isLmsId(f.nativeId)) [course, via] = [f.nativeId, 'custom'];
  else if (known) [course, via] = [known.course, known.via];
  else if (isLmsId(f.contextId)) [course, via] = [f.contextId, 'context'];
  if (course === null) return null;
  const row = {
    course,
    via,
    memberships_url: f.membershipsUrl ?? known?.memberships_url ?? null,
    resource_link: f.resourceLink ?? known?.resource_link ?? null,
    updated_at: now,
  };
  if (known) {
    await db.updateTable('lti_contexts').set(row).where('tenant', '=', tenant).where('platform', '=', platform.id).where('context_id', '=', f.contextId).execute();
  } else {
    await db
      .insertInto('lti_contexts')
      .values({ tenant, platform: platform.id, context_id: f.contextId, ...row, differences_url: null, synced_at: null, sync_error: null })
      .onConflict((oc) => oc.columns(['tenant', 'platform', 'context_id']).doUpdateSet(row))
      .execute();
  }
  return { course, via };
}
