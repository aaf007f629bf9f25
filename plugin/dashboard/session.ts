// Dashboard sign-in: server-side sessions kept in the store, a cookie that is
// HttpOnly, SameSite=Strict and Secure over https, and a per-session CSRF token
// that every state-changing request made with the cookie must echo in a header.
// Bearer credentials work on every dashboard endpoint too, for scripts.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../server/app.ts';
import { HttpError, forbidden } from '../server/errors.ts';
import { principalOf, type Principal } from '../server/principal.ts';
import { verifyToken } from '../server/credentials.ts';
import type { SqlStore } from '../store/sql-store.ts';
import { dashDb } from '../store/reporting.ts';
import { CSRF_HEADER } from '../../shared/dashboard-api.ts';

/** A session lives at most this long, and never past its credential. */
export const SESSION_MAX_MS = 12 * 3_600_000;
/** … and ends after this long without a request. */
export const SESSION_IDLE_MS = 2 * 3_600_000;
const TOUCH_EVERY_MS = 60_000;

export const COOKIE_PLAIN = 'rl_dash';
/** Over https the cookie is `__Host-` prefixed: Secure, Path=/, no Domain — the browser enforces it. */
export const COOKIE_SECURE = '__Host-rl_dash';
const SESSION_COOKIE = /^s_([A-Za-z0-9_-]{16})\.([A-Za-z0-9_-]{43})$/;

export interface DashPrincipal extends Principal {
  via: 'token' | 'lti' | 'bearer';
  sessionId: string | null;
  csrf: string | null;
  sessionExpiresAt: number | null;
}

declare module 'fastify' {
  interface FastifyRequest {
    dashPrincipal?: DashPrincipal;
  }
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function isHttps(req: FastifyRequest): boolean {
  return req.protocol === 'https';
}

function sqlStore(services: Services): SqlStore {
  return services.store as SqlStore;
}

export class SignInRefused extends HttpError {}

/** Who may use the dashboard: staff and admins. Teachers are pointed to the extension. */
export function assertDashboardRole(p: Pick<Principal, 'role'>): void {
  if (p.role === 'staff' || p.role === 'admin') return;
  if (p.role === 'teacher') {
    throw new SignInRefused(
      403,
      'teacher_use_extension',
      'This dashboard is for attendance staff and district admins. Teachers see their students’ status and the outcome of their flags in the RosterLens extension, on the roster page of your LMS.',
    );
  }
  throw new SignInRefused(403, 'not_a_person', 'This credential sends signals; it cannot sign in to the dashboard. Use an attendance-staff or admin credential.');
}

/**
 * Starts a dashboard session for a principal and sets its cookie on the reply.
 * The LTI sign-in calls this after a verified launch (pass via: 'lti'); the
 * principal must come from a stored credential so revoking it ends the session.
 */
export async function createDashboardSession(
  services: Services,
  principal: Principal,
  reply: FastifyReply,
  via: 'token' | 'lti' = 'token',
): Promise<{ sessionId: string; csrf: string; expiresAt: number }> {
  assertDashboardRole(principal);
  const now = services.now();
  const cred = await services.store.getCredential(principal.credentialId);
  if (!cred || cred.revokedAt !== null || cred.expiresAt <= now) throw new HttpError(401, 'credential_invalid', 'the credential is no longer valid');
  const db = dashDb(sqlStore(services));
  // Housekeeping: sessions that can no longer be used.
  await db.deleteFrom('dashboard_sessions').where((eb) => eb.or([eb('expires_at', '<=', now), eb('last_seen_at', '<=', now - SESSION_IDLE_MS)])).execute();
  const id = randomBytes(12).toString('base64url');
  const secret = randomBytes(32).toString('base64url');
  const csrf = randomBytes(32).toString('base64url');
  const expiresAt = Math.min(now + SESSION_MAX_MS, cred.expiresAt);
  await db
    .insertInto('dashboard_sessions')
    .values({
      id,
      tenant: principal.tenant,
      secret_hash: sha256(secret),
      csrf,
      credential: principal.credentialId,
      role: principal.role,
      label: principal.label,
      person: principal.person,
      schools: JSON.stringify(principal.schools),
      via,
      created_at: now,
      last_seen_at: now,
      expires_at: expiresAt,
    })
    .execute();
  const secure = isHttps(reply.request);
  reply.setCookie(secure ? COOKIE_SECURE : COOKIE_PLAIN, `s_${id}.${secret}`, {
    path: '/',
    httpOnly: true,
    sameSite: 'strict',
    secure,
    expires: new Date(expiresAt),
  });
  return { sessionId: id, csrf, expiresAt };
}

export function clearSessionCookie(reply: FastifyReply): void {
  const secure = isHttps(reply.request);
  reply.clearCookie(secure ? COOKIE_SECURE : COOKIE_PLAIN, { path: '/', httpOnly: true, sameSite: 'strict', secure });
}

export async function endDashboardSession(services: Services, sessionId: string): Promise<void> {
  await dashDb(sqlStore(services)).deleteFrom('dashboard_sessions').where('id', '=', sessionId).execute();
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Requests made with the cookie must come from our own pages. */
export function assertSameOrigin(req: FastifyRequest): void {
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== `${req.protocol}://${req.host}`) throw forbidden('cross_origin', 'this request came from another site');
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') throw forbidden('cross_origin', 'this request came from another site');
}

/**
 * The dashboard's authentication: a bearer credential if the request carries
 * one, else the session cookie (with its CSRF token on state-changing
 * requests). Only staff and admins pass.
 */
export async function dashAuthenticate(services: Services, req: FastifyRequest): Promise<DashPrincipal> {
  if (req.dashPrincipal) return req.dashPrincipal;
  if (req.headers.authorization) {
    const p = await services.authenticate(req);
    assertDashboardRole(p);
    req.dashPrincipal = { ...p, via: 'bearer', sessionId: null, csrf: null, sessionExpiresAt: null };
    return req.dashPrincipal;
  }
  const raw = req.cookies?.[COOKIE_SECURE] ?? req.cookies?.[COOKIE_PLAIN];
  const m = raw ? SESSION_COOKIE.exec(raw) : null;
  if (!m) throw new HttpError(401, 'not_signed_in', 'sign in to the dashboard');
  const now = services.now();
  const db = dashDb(sqlStore(services));
  const row = await db.selectFrom('dashboard_sessions').selectAll().where('id', '=', m[1]!).executeTakeFirst();
  if (!row || !sameSecret(sha256(m[2]!), row.secret_hash)) throw new HttpError(401, 'not_signed_in', 'sign in to the dashboard');
  if (Number(row.expires_at) <= now || Number(row.last_seen_at) + SESSION_IDLE_MS <= now) {
    await db.deleteFrom('dashboard_sessions').where('id', '=', row.id).execute();
    throw new HttpError(401, 'session_expired', 'your session has ended; sign in again');
  }
  // The credential behind the session still decides: revoked or expired ends it, narrowed schools narrow it.
  const v = await services.store.getCredential(row.credential);
  if (!v || v.revokedAt !== null || v.expiresAt <= now) {
    await db.deleteFrom('dashboard_sessions').where('id', '=', row.id).execute();
    throw new HttpError(401, 'session_expired', 'the credential behind this session is no longer valid; sign in again');
  }
  if (!SAFE_METHODS.has(req.method)) {
    assertSameOrigin(req);
    const sent = req.headers[CSRF_HEADER];
    if (typeof sent !== 'string' || !sameSecret(sent, row.csrf)) throw forbidden('csrf', 'the request is missing its CSRF token; reload the page');
  }
  if (now - Number(row.last_seen_at) >= TOUCH_EVERY_MS) await db.updateTable('dashboard_sessions').set({ last_seen_at: now }).where('id', '=', row.id).execute();
  const p = principalOf(v);
  assertDashboardRole(p);
  req.dashPrincipal = { ...p, via: row.via === 'lti' ? 'lti' : 'token', sessionId: row.id, csrf: row.csrf, sessionExpiresAt: Number(row.expires_at) };
  return req.dashPrincipal;
}

/** A one-time sign-in code lives this long. */
export const HANDOFF_TTL_MS = 2 * 60_000;

/**
 * A one-time link into the dashboard for a verified principal, for sign-ins
 * that happen where a cookie would be third-party (an LTI launch in an LMS
 * iframe): open the URL in a new top-level tab; the page trades the code
 * (kept in the URL fragment, so it never reaches a server log or a Referer)
 * for a first-party session. The code works once, for two minutes.
 */
export async function createDashboardHandoff(services: Services, principal: Principal, via: 'token' | 'lti' = 'lti'): Promise<{ url: string; expiresAt: number }> {
  assertDashboardRole(principal);
  const now = services.now();
  const code = randomBytes(32).toString('base64url');
  const db = dashDb(sqlStore(services));
  await db.deleteFrom('dashboard_handoffs').where('expires_at', '<=', now).execute();
  await db.insertInto('dashboard_handoffs').values({ code_hash: sha256(code), tenant: principal.tenant, credential: principal.credentialId, via, expires_at: now + HANDOFF_TTL_MS }).execute();
  return { url: `${services.config.publicUrl}/dashboard/#signin=${code}`, expiresAt: now + HANDOFF_TTL_MS };
}

/** Redeems a one-time code: its principal and how they signed in, or 401. */
export async function principalFromHandoff(services: Services, code: string): Promise<{ principal: Principal; via: 'token' | 'lti' }> {
  const now = services.now();
  const db = dashDb(sqlStore(services));
  const row = await db.deleteFrom('dashboard_handoffs').where('code_hash', '=', sha256(code)).returningAll().executeTakeFirst();
  if (!row || Number(row.expires_at) <= now) throw new HttpError(401, 'code_invalid', 'that sign-in link has expired or was already used; launch RosterLens from your LMS again');
  const cred = await services.store.getCredential(row.credential);
  if (!cred || cred.revokedAt !== null || cred.expiresAt <= now) throw new HttpError(401, 'credential_invalid', 'the credential is no longer valid');
  return { principal: principalOf(cred), via: row.via === 'lti' ? 'lti' : 'token' };
}

/** Verifies a pasted credential for sign-in. */
export async function principalFromToken(services: Services, token: string): Promise<Principal> {
  const v = await verifyToken(services.store, token.trim(), services.now());
  if (!v.ok) {
    const message = { malformed: 'that does not look like a RosterLens credential (it starts with rl_)', unknown: 'that credential is not recognised', revoked: 'that credential was revoked', expired: 'that credential has expired' }[v.reason];
    throw new HttpError(401, `credential_${v.reason}`, message);
  }
  return principalOf(v.credential);
}

/** null: every school (admin); else the staff member's schools. */
export function schoolScope(p: Principal): string[] | null {
  return p.role === 'admin' ? null : p.schools;
}
