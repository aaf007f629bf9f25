// Names and Role Provisioning Services 2.0: a service token by the OAuth 2
// client-credentials grant with a signed JWT assertion (RFC 7523, LTI Security
// Framework §4.1), then the context's membership, page by page (`Link:
// rel="next"`), and later only what changed (`rel="differences"`).
import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import type { Store } from '../../store/store.ts';
import { currentSigningKey } from './keys.ts';
import { getPlatform, type Platform } from './platforms.ts';
import { contextRoleOf, isTestUser, type ContextRole } from './roles.ts';
import { applyMembers, type ApplyResult, type MemberFact } from './roster.ts';
import { COURSE_ID_PARAMS, USER_ID_PARAMS, SIS_ID_PARAMS, customValue } from './identity.ts';
import { ltiDb, type LtiContextRow } from './tables.ts';

export const NRPS_SCOPE = 'https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly';
export const NRPS_MEDIA_TYPE = 'application/vnd.ims.lti-nrps.v2.membershipcontainer+json';
export const NRPS_CLAIM = 'https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice';
const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const HTTP_TIMEOUT_MS = 15_000;
const MAX_PAGES = 2000;

export class NrpsError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const tokens = new Map<string, { token: string; until: number }>();

/** A bearer token for the platform's services, cached until shortly before it expires. */
export async function serviceToken(store: Store, platform: Platform, scopes: string[], now: number): Promise<string> {
  if (!platform.tokenUrl) throw new NrpsError('no_token_url', 'the platform has no token endpoint registered; re-register it or add tokenUrl');
  const cacheKey = `${platform.id} ${scopes.join(' ')}`;
  const hit = tokens.get(cacheKey);
  if (hit && hit.until > now) return hit.token;
  const key = await currentSigningKey(store, now);
  const iat = Math.floor(now / 1000);
  const assertion = await new SignJWT({})
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT' })
    .setIssuer(platform.clientId)
    .setSubject(platform.clientId)
    .setAudience(platform.tokenAudience || platform.tokenUrl)
    .setIssuedAt(iat)
    .setExpirationTime(iat + 300)
    .setJti(randomUUID())
    .sign(key.key);
  const res = await fetch(platform.tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: assertion, scope: scopes.join(' ') }),
    signal: AbortSignal.timeout(HTTP_TIMEOUT_MS),
  });
  if (!res.ok) {
    let err = '';
    try {
      const body = (await res.json()) as { error?: string };
      if (typeof body.error === 'string') err = ` (${body.error.slice(0, 60)})`;
    } catch {
      /* not JSON */
    }
    throw new NrpsError('token_refused', `the platform refused a service token: HTTP ${res.status}${err}`);
  }
  const body = (await res.json()) as { access_token?: unknown; expires_in?: unknown };
  if (typeof body.access_token !== 'string' || !body.access_token) throw new NrpsError('token_malformed', 'the platform’s token response has no access_token');
  const ttl = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in * 1000 : 3_600_000;
  tokens.set(cacheKey, { token: body.access_token, until: now + ttl - Math.min(60_000, ttl / 2) });
  return body.access_token;
}

/** `Link: <u1>; rel="next", <u2>; rel="differences"` → {next: u1, differences: u2}. */
export function parseLinks(header: string | null): Record<string, string> {
  const out: Record<string, string> = {};
  if (!header) return out;
  for (const m of header.matchAll(/<([^>]*)>\s*((?:;\s*[^;,]+)*)/g)) {
    const rel = /;\s*rel\s*=\s*"?([^";]+)"?/i.exec(m[2] ?? '')?.[1];
    if (!rel) continue;
    for (const r of rel.trim().split(/\s+/)) out[r.toLowerCase()] ??= m[1]!;
  }
  return out;
}

interface NrpsMember {
  status?: string;
  user_id?: string;
  roles?: string[];
  lis_person_sourcedid?: string;
  given_name?: string;
  family_name?: string;
  message?: { [claim: string]: unknown }[];
}
interface NrpsContainer {
  id?: string;
  context?: { id?: string; title?: string };
  members?: NrpsMember[];
}

/** Every page of one membership URL; the bearer token only goes back to the same origin. */
async function fetchAll(url: string, token: string): Promise<{ members: NrpsMember[]; differences: string | null; title: string | null }> {
  const origin = new URL(url).origin;
  const members: NrpsMember[] = [];
  let differences: string | null = null;
  let title: string | null = null;
  const seen = new Set<string>();
  let next: string | undefined = url;
  while (next) {
    if (seen.has(next) || seen.size >= MAX_PAGES) throw new NrpsError('paging_loop', 'the platform’s membership pages do not end');
    seen.add(next);
    if (new URL(next).origin !== origin) throw new NrpsError('foreign_link', 'a membership page links to another site; not following it');
    const res = await fetch(next, { headers: { authorization: `Bearer ${token}`, accept: NRPS_MEDIA_TYPE }, signal: AbortSignal.timeout(HTTP_TIMEOUT_MS) });
    if (!res.ok) throw new NrpsError('memberships_refused', `the platform refused the membership request: HTTP ${res.status}`);
    const body = (await res.json()) as NrpsContainer;
    if (!Array.isArray(body.members)) throw new NrpsError('memberships_malformed', 'the membership response has no members array');
    members.push(...body.members);
    title ??= typeof body.context?.title === 'string' ? body.context.title : null;
    const links = parseLinks(res.headers.get('link'));
    if (links.differences) differences = links.differences;
    next = links.next;
  }
  return { members, differences, title };
}

/** One NRPS member → what the roster needs; null for members RosterLens does not track. */
function factOf(m: NrpsMember, priorRole: ContextRole | undefined): MemberFact | null {
  if (typeof m.user_id !== 'string' || !m.user_id) return null;
  const roles = Array.isArray(m.roles) ? m.roles.filter((r): r is string => typeof r === 'string') : [];
  if (isTestUser(roles)) return null;
  const status = (m.status ?? 'Active').toLowerCase();
  const role = contextRoleOf(roles);
  // The `message` section (requested with ?rlid=) carries each member's custom parameters: the native id.
  let nativeId: string | null = null;
  let sisFromCustom: string | null = null;
  for (const msg of Array.isArray(m.message) ? m.message : []) {
    const custom = msg['https://purl.imsglobal.org/spec/lti/claim/custom'] as Record<string, unknown> | undefined;
    nativeId ??= customValue(custom, USER_ID_PARAMS);
    sisFromCustom ??= customValue(custom, SIS_ID_PARAMS);
  }
  const sisId = typeof m.lis_person_sourcedid === 'string' && m.lis_person_sourcedid ? m.lis_person_sourcedid : sisFromCustom;
  const active = status === 'active' && role !== null;
  const effective = role ?? priorRole;
  if (!effective) return null; // never a teacher or learner here: nothing to add or remove
  return { sub: m.user_id, role: effective, active, sisId, nativeId, givenName: m.given_name ?? null, familyName: m.family_name ?? null };
}

export interface SyncResult extends ApplyResult {
  course: string;
  mode: 'full' | 'differences';
  fetched: number;
}

/**
 * Brings one context's roster up to date: only the differences when the
 * platform gave a differences link last time, else the whole membership.
 */
export async function syncContext(store: Store, platform: Platform, ctx: LtiContextRow, opts: { now: number; today: number; full?: boolean }): Promise<SyncResult> {
  const db = ltiDb(store);
  if (!ctx.memberships_url) throw new NrpsError('no_memberships_url', 'the platform did not offer a roster service for this course (no namesroleservice claim in a launch)');
  const where = (q: any) => q.where('tenant', '=', ctx.tenant).where('platform', '=', ctx.platform).where('context_id', '=', ctx.context_id);
  try {
    const token = await serviceToken(store, platform, [NRPS_SCOPE], opts.now);
    const mode: 'full' | 'differences' = ctx.differences_url && !opts.full ? 'differences' : 'full';
    let url = mode === 'differences' ? ctx.differences_url! : ctx.memberships_url;
    // Ask for the message section (each member's custom parameters: the native ids) where the platform needs it.
    if (ctx.resource_link && platform.nativeIds === 'custom') {
      const u = new URL(url);
      if (!u.searchParams.has('rlid')) u.searchParams.set('rlid', ctx.resource_link);
      url = u.toString();
    }
    const page = await fetchAll(url, token);
    const prior = new Map<string, ContextRole>();
    const rows = await db.selectFrom('lti_members').select(['sub', 'role']).where('tenant', '=', ctx.tenant).where('platform', '=', ctx.platform).where('context_id', '=', ctx.context_id).execute();
    for (const r of rows) prior.set(r.sub, r.role === 'teacher' ? 'teacher' : 'student');
    const facts = page.members.map((m) => factOf(m, typeof m.user_id === 'string' ? prior.get(m.user_id) : undefined)).filter((f): f is MemberFact => f !== null);
    const applied = await applyMembers(store, platform, { contextId: ctx.context_id, course: ctx.course, title: page.title }, facts, { full: mode === 'full', today: opts.today, now: opts.now });
    await where(db.updateTable('lti_contexts').set({ synced_at: opts.now, sync_error: null, differences_url: page.differences, updated_at: opts.now })).execute();
    return { ...applied, course: ctx.course, mode, fetched: page.members.length };
  } catch (e) {
    const message = e instanceof NrpsError ? e.message : `could not reach the platform: ${(e as Error).name}`;
    await where(db.updateTable('lti_contexts').set({ sync_error: message.slice(0, 300), updated_at: opts.now })).execute();
    throw e instanceof NrpsError ? e : new NrpsError('unreachable', message);
  }
}

/** Sync one course by its native id (admin tools, tests). */
export async function syncCourse(store: Store, tenant: string, course: string, opts: { now: number; today: number; full?: boolean }): Promise<SyncResult[]> {
  const rows = await ltiDb(store).selectFrom('lti_contexts').selectAll().where('tenant', '=', tenant).where('course', '=', course).execute();
  const out: SyncResult[] = [];
  for (const r of rows) {
    const p = await getPlatform(store, r.platform);
    if (p) out.push(await syncContext(store, p, r, opts));
  }
  return out;
}

export { COURSE_ID_PARAMS };
