// The LTI 1.3 tool's routes: OIDC login initiation, launch, the tool's JWKS,
// Dynamic Registration, and a Canvas JSON configuration for manual installs.
// Registered from plugin/server/modules.ts.
import cookie from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { App, Services } from '../../server/app.ts';
import { issueCredential } from '../../server/credentials.ts';
import { principalOf } from '../../server/principal.ts';
import { audit } from '../../server/audit.ts';
import { localDay } from '../../../shared/days.ts';
import type { Store } from '../../store/store.ts';
import { toolJwks } from './keys.ts';
import { LtiRefusal, LOGIN_TTL_MS, launchSignalId, startLogin, stateCookieName, verifyLaunch, type LoginParams, type VerifiedLaunch } from './launch.ts';
import { COURSE_ID_PARAMS, SIS_ID_PARAMS, USER_ID_PARAMS, customValue, resolveCourse, resolvePerson } from './identity.ts';
import { applyMembers, applyPendingFor } from './roster.ts';
import { contextRoleOf, isTestUser } from './roles.ts';
import { getPlatform } from './platforms.ts';
import { NRPS_SCOPE, NrpsError, syncContext } from './nrps.ts';
import { RegistrationError, completeRegistration, customParametersFor } from './registration.ts';
import { noRolePage, refusalPage, registrationDonePage, registrationErrorPage, studentPage, teacherPage } from './pages.ts';
import { staffGrant } from './staff.ts';
import { ltiDb } from './tables.ts';

/** A teacher's launch credential lasts this long. */
export const TEACHER_CREDENTIAL_TTL_MS = 30 * 86_400_000;
/** A staff member's launch credential (for the dashboard session) lasts this long. */
export const STAFF_CREDENTIAL_TTL_MS = 12 * 3_600_000;
/** A launch refreshes its course's roster if it was synced longer ago than this. */
export const LAUNCH_REFRESH_AFTER_MS = 15 * 60_000;
/** The periodic refresh syncs courses not synced for this long. */
export const SCHEDULED_REFRESH_AFTER_MS = 6 * 3_600_000;

type Log = { warn: (o: object, m: string) => void; info: (o: object, m: string) => void; error: (o: object, m: string) => void };

declare module 'fastify' {
  interface FastifyInstance {
    lti?: LtiTool;
  }
}

/** Dev and tests: the platform's endpoints may be http:// when this server itself runs on localhost or RL_LTI_ALLOW_HTTP=1. */
export function allowHttpFor(publicUrl: string): boolean {
  if (process.env.RL_LTI_ALLOW_HTTP === '1') return true;
  const host = new URL(publicUrl).hostname;
  return host === '127.0.0.1' || host === 'localhost' || host === '[::1]';
}

export function toolUrls(publicUrl: string) {
  const base = publicUrl.replace(/\/$/, '');
  return { publicUrl: base, loginUrl: `${base}/lti/login`, launchUrl: `${base}/lti/launch`, jwksUrl: `${base}/lti/jwks` };
}

/**
 * Brings the roster of every LTI course not synced for `maxAgeMs` up to date.
 * The server runs this periodically (the LTI module starts a timer; a
 * deployment with several servers may run it from one scheduler instead).
 */
export async function refreshLtiRosters(store: Store, opts: { now: number; maxAgeMs?: number; log?: Log; limit?: number }): Promise<{ synced: number; failed: number }> {
  const cutoff = opts.now - (opts.maxAgeMs ?? SCHEDULED_REFRESH_AFTER_MS);
  const rows = await ltiDb(store)
    .selectFrom('lti_contexts')
    .selectAll()
    .where('memberships_url', 'is not', null)
    .where((eb) => eb.or([eb('synced_at', 'is', null), eb('synced_at', '<', cutoff)]))
    .orderBy('synced_at')
    .limit(opts.limit ?? 500)
    .execute();
  let synced = 0;
  let failed = 0;
  const tz = new Map<string, string>();
  for (const r of rows) {
    const platform = await getPlatform(store, r.platform);
    if (!platform) continue;
    if (!tz.has(r.tenant)) tz.set(r.tenant, (await store.getTenant(r.tenant))?.timeZone ?? 'UTC');
    try {
      await syncContext(store, platform, r, { now: opts.now, today: localDay(opts.now, tz.get(r.tenant)!) });
      synced++;
    } catch (e) {
      failed++;
      opts.log?.warn({ lti: { nrps: e instanceof NrpsError ? e.code : 'error', platform: platform.id, tenant: r.tenant } }, 'LTI roster refresh failed');
    }
  }
  return { synced, failed };
}

/** Per-server LTI state: roster refreshes started by launches, so they are debounced and can be awaited. */
export class LtiTool {
  private running = new Map<string, Promise<void>>();
  constructor(
    private readonly services: Services,
    private readonly log: Log,
  ) {}

  /** Starts a roster refresh of this context in the background unless one is running or it is fresh. */
  refreshSoon(tenant: string, platformId: string, contextId: string): void {
    const key = `${tenant}\u0000${platformId}\u0000${contextId}`;
    if (this.running.has(key)) return;
    const run = (async () => {
      const { store } = this.services;
      const now = this.services.now();
      const row = await ltiDb(store).selectFrom('lti_contexts').selectAll().where('tenant', '=', tenant).where('platform', '=', platformId).where('context_id', '=', contextId).executeTakeFirst();
      if (!row?.memberships_url) return;
      if (row.synced_at !== null && Number(row.synced_at) > now - LAUNCH_REFRESH_AFTER_MS) return;
      const platform = await getPlatform(store, platformId);
      if (!platform) return;
      const ctx = await this.services.tenantContext(tenant);
      await syncContext(store, platform, row, { now, today: ctx.today(now) });
    })()
      .catch((e) => this.log.warn({ lti: { nrps: e instanceof NrpsError ? e.code : 'error', platform: platformId } }, 'LTI roster refresh after launch failed'))
      .finally(() => this.running.delete(key));
    this.running.set(key, run);
  }

  /** Resolves when no refresh started here is running (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.running.size) await Promise.allSettled([...this.running.values()]);
  }
}

function formOrQuery(req: FastifyRequest): Record<string, string | undefined> {
  const src = (req.method === 'POST' ? req.body : req.query) as Record<string, unknown> | undefined;
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(src ?? {})) if (typeof v === 'string') out[k] = v;
  return out;
}

function frameAncestorsOf(lmsOrigin: string | null, issuer: string | null): string[] {
  const out = new Set<string>();
  for (const u of [lmsOrigin, issuer]) {
    try {
      if (u) out.add(new URL(u).origin);
    } catch {
      /* not a URL */
    }
  }
  return [...out];
}

/** The dashboard's sign-in hooks (plugin/dashboard/session.ts); absent if the dashboard is not installed. */
type Principal = ReturnType<typeof principalOf>;
interface DashboardHooks {
  createDashboardSession?: (services: Services, principal: Principal, reply: FastifyReply, via: 'lti') => Promise<unknown>;
  createDashboardHandoff?: (services: Services, principal: Principal, via: 'lti') => Promise<{ url: string; expiresAt: number }>;
}
async function dashboardHooks(): Promise<DashboardHooks> {
  try {
    return (await import('../../dashboard/session.ts')) as DashboardHooks;
  } catch {
    return {};
  }
}

export async function ltiModule(app: App, services: Services): Promise<void> {
  const { store } = services;
  ltiDb(store); // fails fast without the SQL store
  if (!app.hasRequestDecorator('cookies')) await app.register(cookie);
  const tool = new LtiTool(services, app.log);
  app.decorate('lti', tool);

  const minutes = Number(process.env.RL_LTI_ROSTER_REFRESH_MINUTES ?? 60);
  if (Number.isFinite(minutes) && minutes > 0) {
    let busy = false;
    const timer = setInterval(() => {
      if (busy) return;
      busy = true;
      refreshLtiRosters(store, { now: services.now(), log: app.log })
        .catch((e: Error) => app.log.error({ err: { type: e.name, message: e.message } }, 'LTI roster refresh failed'))
        .finally(() => (busy = false));
    }, minutes * 60_000);
    timer.unref();
    app.addHook('onClose', async () => clearInterval(timer));
  }
  app.addHook('onClose', async () => tool.idle());

  const refuse = (req: FastifyRequest, reply: FastifyReply, e: LtiRefusal, stage: string) => {
    // Logged with its code and the platform's registration id: no subject, no names, no token.
    req.log.warn({ lti: { stage, refusal: e.code, platform: e.platformId } }, `LTI ${stage} refused: ${e.code}`);
    return refusalPage(reply, e.code, e.userMessage, e.status);
  };

  await app.register(async (scope) => {
    if (!scope.hasContentTypeParser('application/x-www-form-urlencoded')) {
      scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 65_536 }, (_req, body, done) => {
        done(null, Object.fromEntries(new URLSearchParams(body as string)));
      });
    }
    const hidden = { schema: { hide: true } };

    // ---- the tool's public keys ----
    const jwks = async (_req: FastifyRequest, reply: FastifyReply) => {
      reply.header('cache-control', 'public, max-age=300');
      return toolJwks(store, services.now());
    };
    scope.get('/lti/jwks', { ...hidden, config: { rateLimit: false } }, jwks);
    scope.get('/.well-known/jwks.json', { ...hidden, config: { rateLimit: false } }, jwks);

    // ---- OIDC third-party login initiation (GET or POST) ----
    const login = async (req: FastifyRequest, reply: FastifyReply) => {
      try {
        const p = formOrQuery(req) as LoginParams;
        const now = services.now();
        const urls = toolUrls(services.config.publicUrl);
        const start = await startLogin(store, p, urls.launchUrl, now);
        const https = urls.publicUrl.startsWith('https:');
        // Cross-site form_post needs SameSite=None (hence Secure); plain-http dev setups fall back to Lax.
        reply.setCookie(start.cookieName, start.cookieValue, { path: '/lti', httpOnly: true, secure: https, sameSite: https ? 'none' : 'lax', maxAge: LOGIN_TTL_MS / 1000 });
        reply.header('cache-control', 'no-store');
        return reply.redirect(start.redirect, 302);
      } catch (e) {
        if (e instanceof LtiRefusal) return refuse(req, reply, e, 'login');
        throw e;
      }
    };
    scope.get('/lti/login', hidden, login);
    scope.post('/lti/login', hidden, login);

    // ---- launch ----
    scope.post('/lti/launch', hidden, async (req, reply) => {
      const now = services.now();
      const form = formOrQuery(req);
      let launch: VerifiedLaunch;
      try {
        launch = await verifyLaunch(store, { idToken: form.id_token, state: form.state, cookies: req.cookies ?? {} }, now);
      } catch (e) {
        if (e instanceof LtiRefusal) return refuse(req, reply, e, 'launch');
        throw e;
      }
      if (form.state) reply.clearCookie(stateCookieName(form.state), { path: '/lti' });
      try {
        return await afterLaunch(req, reply, launch, now);
      } catch (e) {
        if (e instanceof LtiRefusal) return refuse(req, reply, e, 'launch');
        throw e;
      }
    });

    // ---- Dynamic Registration ----
    scope.get<{ Params: { code: string }; Querystring: { openid_configuration?: string; registration_token?: string } }>('/lti/register/:code', hidden, async (req, reply) => {
      const now = services.now();
      const urls = toolUrls(services.config.publicUrl);
      let referrerOrigin: string | null = null;
      try {
        referrerOrigin = req.headers.referer ? new URL(req.headers.referer).origin : null;
      } catch {
        referrerOrigin = null;
      }
      try {
        const done = await completeRegistration(store, {
          code: req.params.code,
          openidConfiguration: req.query.openid_configuration,
          registrationToken: req.query.registration_token,
          referrerOrigin,
          allowHttp: allowHttpFor(urls.publicUrl),
          urls,
          now,
        });
        req.log.info({ lti: { registered: done.platform.id, tenant: done.platform.tenant, product: done.platform.product, tenantCreated: done.tenantCreated } }, 'LTI platform registered');
        return registrationDonePage(reply, { tenant: done.platform.tenant, tenantCreated: done.tenantCreated, product: done.platform.product });
      } catch (e) {
        const r = e instanceof RegistrationError ? e : new RegistrationError('platform_unreachable', 'RosterLens could not reach the LMS to register. Start the registration again from the LMS.', 502);
        if (!(e instanceof RegistrationError)) req.log.warn({ lti: { stage: 'registration', error: (e as Error).name } }, 'LTI registration failed');
        req.log.warn({ lti: { stage: 'registration', refusal: r.code } }, `LTI registration refused: ${r.code}`);
        return registrationErrorPage(reply, r.code, r.userMessage, r.status);
      }
    });

    // ---- Canvas manual configuration (Developer Keys › LTI Key › Paste JSON) ----
    scope.get('/lti/canvas.json', hidden, async () => {
      const urls = toolUrls(services.config.publicUrl);
      return {
        title: 'RosterLens',
        description: 'Attendance and engagement for remote learning',
        oidc_initiation_url: urls.loginUrl,
        target_link_uri: urls.launchUrl,
        public_jwk_url: urls.jwksUrl,
        scopes: [NRPS_SCOPE],
        extensions: [
          {
            platform: 'canvas.instructure.com',
            privacy_level: 'anonymous',
            settings: { placements: [{ placement: 'course_navigation', message_type: 'LtiResourceLinkRequest', target_link_uri: urls.launchUrl, text: 'RosterLens' }] },
          },
        ],
        custom_fields: customParametersFor('canvas', undefined),
      };
    });
  });

  const dashboard = await dashboardHooks();

  async function afterLaunch(req: FastifyRequest, reply: FastifyReply, l: VerifiedLaunch, now: number): Promise<FastifyReply> {
    const platform = l.platform;
    const ctx = await services.tenantContext(platform.tenant);
    const today = ctx.today(now);
    const ancestors = frameAncestorsOf(ctx.tenant.lmsOrigin, platform.issuer);
    const role = contextRoleOf(l.roles);
    const testUser = isTestUser(l.roles);

    const course = await resolveCourse(store, platform, { contextId: l.contextId, nativeId: customValue(l.custom, COURSE_ID_PARAMS), membershipsUrl: l.membershipsUrl, resourceLink: l.resourceLinkId }, now);
    if (!course) throw new LtiRefusal('course_id_unusable', 'The LMS did not send a usable course id (the context id is too long or not printable, and no course-id custom parameter). Ask your district’s RosterLens admin to check the registration’s custom parameters.', 400, platform.id);
    const who = testUser ? { person: null, via: null } : await resolvePerson(store, platform, { sub: l.sub, nativeId: customValue(l.custom, USER_ID_PARAMS), sisId: l.sisId ?? customValue(l.custom, SIS_ID_PARAMS) }, now);

    // The launch itself is a verified membership: the course and this person join the roster now.
    if (role && !testUser) {
      await applyMembers(store, platform, { contextId: l.contextId, course: course.course, title: l.contextTitle }, [{ sub: l.sub, role, active: true, sisId: l.sisId, nativeId: who.person }], { full: false, today, now });
      if (who.person && who.via !== 'known') await applyPendingFor(store, platform, l.sub, today, now);
    }
    tool.refreshSoon(platform.tenant, platform.id, l.contextId);

    // Attendance staff the district granted dashboard access (by native id) also get a dashboard session.
    let dashboardUrl: string | null = null;
    if (who.person) {
      const grant = await staffGrant(store, platform.tenant, who.person);
      if (grant) {
        if (dashboard.createDashboardSession || dashboard.createDashboardHandoff) {
          const issued = await issueCredential(store, { tenant: platform.tenant, role: grant.role, label: 'LTI launch (staff)', person: who.person, schools: grant.schools, ttlMs: STAFF_CREDENTIAL_TTL_MS }, now);
          const principal = principalOf(issued.credential);
          // The cookie works when the launch is a top-level page; inside an LMS iframe it is third-party and
          // browsers may drop it, so the page also links a one-time first-party sign-in (opens in a new tab).
          await dashboard.createDashboardSession?.(services, principal, reply, 'lti');
          dashboardUrl = dashboard.createDashboardHandoff ? (await dashboard.createDashboardHandoff(services, principal, 'lti')).url : '/dashboard';
          await audit(store, principal, 'lti.sign_in', `course:${course.course}`, { dashboard: true }, now);
        } else {
          req.log.warn({ lti: { stage: 'launch', missing: 'createDashboardSession' } }, 'LTI staff launch: the dashboard module is not installed; no dashboard session');
        }
      }
    }

    if (role === 'teacher') {
      const issued = await issueCredential(store, { tenant: platform.tenant, role: 'teacher', label: 'LTI launch (teacher)', person: who.person, courses: [course.course], ttlMs: TEACHER_CREDENTIAL_TTL_MS }, now);
      await audit(store, principalOf(issued.credential), 'lti.sign_in', `course:${course.course}`, { via: who.via ?? 'unresolved' }, now);
      req.log.info({ lti: { stage: 'launch', role: 'teacher', platform: platform.id, tenant: platform.tenant } }, 'LTI teacher signed in');
      return teacherPage(
        reply,
        {
          token: issued.token,
          pluginUrl: toolUrls(services.config.publicUrl).publicUrl,
          expiresAt: new Date(issued.credential.expiresAt).toISOString(),
          tenant: platform.tenant,
          lmsOrigin: ctx.tenant.lmsOrigin,
          courses: [course.course],
          courseTitle: l.contextTitle,
          dashboardUrl,
          note: who.person ? null : 'The LMS did not tell RosterLens your user id, so you are signed in for this course only.',
        },
        ancestors,
      );
    }
    if (role === 'student' && !testUser) {
      if (!who.person) {
        req.log.warn({ lti: { stage: 'launch', role: 'student', platform: platform.id, problem: 'native_id_unknown' } }, 'LTI student check-in not recorded: native user id unknown');
        return studentPage(reply, false, ancestors);
      }
      await services.ingest(platform.tenant, { signals: [{ id: launchSignalId(platform.issuer, l.nonce), user: who.person, course: course.course, at: new Date(now).toISOString(), kind: 'check_in', source: 'lti' }] });
      req.log.info({ lti: { stage: 'launch', role: 'student', platform: platform.id, tenant: platform.tenant } }, 'LTI student checked in');
      return studentPage(reply, true, ancestors);
    }
    return noRolePage(reply, ancestors, dashboardUrl);
  }
}
