// The attendance dashboard: its JSON API under /api/v1/dashboard, its sign-in,
// its notifications and the built Preact app at /dashboard. Register with
// MODULES.push(dashboardModule).
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyReply, FastifyRequest } from 'fastify';
import cookie from '@fastify/cookie';
import fastifyStatic from '@fastify/static';
import { ErrorBody, Flag, FlagActionBody, FlagParams } from '../../shared/api.ts';
import {
  BulkAssignBody,
  BulkAssignResult,
  CaseView,
  DASHBOARD_API,
  DashMeta,
  DashSession,
  ListParams,
  ListQuery,
  NotifySettings,
  NotifySettingsBody,
  NotifyTestBody,
  NotifyTestResult,
  Ok,
  Picture,
  PictureQuery,
  QueueQuery,
  QueueResult,
  SignInBody,
  StudentParams,
} from '../../shared/dashboard-api.ts';
import { isoFromDay } from '../../shared/days.ts';
import { FLAG_REASON_LABELS, FLAG_OUTCOME_LABELS } from '../../shared/flags.ts';
import type { App, Services } from '../server/app.ts';
import { audit } from '../server/audit.ts';
import { HttpError, forbidden, notFound } from '../server/errors.ts';
import { actOnFlag, canSeeFlag, flagScope, getVisibleFlag } from '../server/flag-service.ts';
import { toFlag } from '../server/flag-views.ts';
import { SqlStore } from '../store/sql-store.ts';
import { coursesOf, enrollmentRows, flagIdsOfStudent, gradesAndGroups, queueQuery, schoolsOf, staffLabels } from '../store/reporting.ts';
import { toCsv, type Cell } from './csv.ts';
import { caseCourses, chronicList, neverLoggedInList, notSeenList, personName, picture, queueRows } from './views.ts';
import {
  clearSessionCookie,
  createDashboardSession,
  dashAuthenticate,
  endDashboardSession,
  principalFromToken,
  principalFromHandoff,
  assertSameOrigin,
  schoolScope,
  type DashPrincipal,
} from './session.ts';
import { notifyFlagRaised, runDueDigests, saveNotify, loadNotify, sendTest, settingsView } from './notify.ts';

export { createDashboardSession, createDashboardHandoff } from './session.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Skips the core API's bearer-only check; the dashboard authenticates its routes itself. */
    public?: boolean;
  }
}

const here = dirname(fileURLToPath(import.meta.url));
export const DASHBOARD_DIST = resolve(process.env.DASHBOARD_DIST || join(here, '..', '..', 'dist', 'dashboard'));
const DAY_MS = 86_400_000;
const DIGEST_CHECK_MS = 5 * 60_000;
const PICTURE_CACHE_MS = 5 * 60_000;

/** The dashboard page's policy: our own scripts, styles and API only. */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody };
const tags = ['dashboard'];

export async function dashboardModule(app: App, services: Services): Promise<void> {
  if (!(services.store instanceof SqlStore)) throw new Error('the dashboard needs the SQL store');
  const store = services.store;
  if (!app.hasRequestDecorator('cookies')) await app.register(cookie);

  const auth = (req: FastifyRequest) => dashAuthenticate(services, req);
  // Authenticate before the body is parsed or validated, as the core API does.
  const authed = { public: true } as const;
  const onRequest = async (req: FastifyRequest) => {
    await auth(req);
  };
  const needAdmin = (p: DashPrincipal) => {
    if (p.role !== 'admin') throw forbidden('admin_only', 'only a district admin can change notification settings');
  };
  const assertSchool = (p: DashPrincipal, school: string | undefined) => {
    const scope = schoolScope(p);
    if (school && scope && !scope.includes(school)) throw forbidden('not_your_school', 'you can see only the schools you work with');
  };

  app.addHook('onSend', async (req, reply, payload) => {
    const url = req.url;
    if (url.startsWith(`${DASHBOARD_API}/`) || url === DASHBOARD_API) {
      reply.header('cache-control', 'no-store');
      reply.header('x-content-type-options', 'nosniff');
    } else if (url === '/dashboard' || url.startsWith('/dashboard/')) {
      reply.header('content-security-policy', DASHBOARD_CSP);
      reply.header('x-content-type-options', 'nosniff');
      reply.header('referrer-policy', 'no-referrer');
      reply.header('x-frame-options', 'DENY');
      reply.header('cross-origin-opener-policy', 'same-origin');
    }
    return payload;
  });

  // The picture aggregates weeks of activity; a district-wide one takes seconds, so a
  // view is reused briefly (per server) by everyone with the same scope.
  const pictureCache = new Map<string, { at: number; picture: Picture }>();

  // ---- notifications ----
  services.flagHooks.onRaised((e) => notifyFlagRaised(services, e).then(() => undefined));
  const timer = setInterval(() => {
    runDueDigests(services, services.now()).catch((err: Error) => app.log.error({ err: { message: err.message } }, 'digest failed'));
  }, DIGEST_CHECK_MS);
  timer.unref();
  app.addHook('onClose', async () => clearInterval(timer));

  // ---- session ----

  const sessionView = async (p: DashPrincipal): Promise<DashSession> => {
    const ctx = await services.tenantContext(p.tenant);
    const cred = await store.getCredential(p.credentialId);
    return {
      tenant: p.tenant,
      tenantName: ctx.tenant.name,
      role: p.role as 'staff' | 'admin',
      label: p.label,
      schools: await schoolsOf(store, p.tenant, schoolScope(p)),
      allSchools: schoolScope(p) === null,
      csrfToken: p.csrf ?? '',
      expiresAt: new Date(p.sessionExpiresAt ?? cred?.expiresAt ?? services.now()).toISOString(),
      via: p.via,
    };
  };

  app.post(
    `${DASHBOARD_API}/session`,
    { schema: { summary: 'Sign in with a staff or admin credential, or a one-time code from an LTI launch; sets the session cookie', tags, body: SignInBody, response: { 200: DashSession, ...errors } }, config: authed },
    async (req, reply) => {
      assertSameOrigin(req);
      const body = req.body;
      const { principal, via } = 'code' in body ? await principalFromHandoff(services, body.code) : { principal: await principalFromToken(services, body.token), via: 'token' as const };
      const s = await createDashboardSession(services, principal, reply, via);
      const p: DashPrincipal = { ...principal, via, sessionId: s.sessionId, csrf: s.csrf, sessionExpiresAt: s.expiresAt };
      await audit(store, p, 'dashboard.sign_in', `session:${s.sessionId}`, null, services.now());
      return sessionView(p);
    },
  );

  app.get(`${DASHBOARD_API}/session`, { schema: { summary: 'The signed-in person and the CSRF token', tags, response: { 200: DashSession, ...errors } }, config: authed, onRequest }, async (req) => sessionView(await auth(req)));

  app.delete(`${DASHBOARD_API}/session`, { schema: { summary: 'Sign out', tags, response: { 200: Ok, ...errors } }, config: authed, onRequest }, async (req, reply) => {
    const p = await auth(req);
    if (p.sessionId) {
      await endDashboardSession(services, p.sessionId);
      await audit(store, p, 'dashboard.sign_out', `session:${p.sessionId}`, null, services.now());
    }
    clearSessionCookie(reply);
    return { ok: true };
  });

  app.get(`${DASHBOARD_API}/meta`, { schema: { summary: 'Schools, courses, grades and staff for the filters', tags, response: { 200: DashMeta, ...errors } }, config: authed, onRequest }, async (req) => {
    const p = await auth(req);
    const scope = schoolScope(p);
    const ctx = await services.tenantContext(p.tenant);
    const t = services.now();
    const { grades, groups } = await gradesAndGroups(store, p.tenant, scope);
    return {
      today: isoFromDay(ctx.today(t)),
      notSeenAlertDays: ctx.tenant.policy.notSeenAlertDays,
      schools: await schoolsOf(store, p.tenant, scope),
      courses: (await coursesOf(store, p.tenant, scope)).map((c) => ({ id: c.id, title: c.title ?? c.id, school: c.school })),
      grades,
      groups,
      staff: await staffLabels(store, p.tenant, scope, t),
    };
  });

  // ---- queue and cases ----

  app.get(`${DASHBOARD_API}/queue`, { schema: { summary: 'The outreach queue: flags of your schools, filtered, sorted and paged', tags, querystring: QueueQuery, response: { 200: QueueResult, ...errors } }, config: authed, onRequest }, async (req) => {
    const p = await auth(req);
    const q = req.query;
    assertSchool(p, q.school);
    const t = services.now();
    const scope = (await flagScope(store, p)).schools ?? null;
    const limit = q.limit ?? 50;
    const offset = q.offset ?? 0;
    const r = await queueQuery(
      store,
      p.tenant,
      {
        school: q.school,
        grade: q.grade,
        course: q.course,
        reason: q.reason,
        state: q.state ?? 'active',
        assignee: q.assignee === undefined ? undefined : q.assignee === 'none' ? null : q.assignee === 'me' ? p.label : q.assignee,
        createdBefore: q.minAgeDays === undefined ? undefined : t - q.minAgeDays * DAY_MS,
        createdAfter: q.maxAgeDays === undefined ? undefined : t - (q.maxAgeDays + 1) * DAY_MS + 1,
        q: q.q,
        sort: q.sort ?? 'oldest',
        limit,
        offset,
      },
      scope,
    );
    const rows = await queueRows(store, p.tenant, r.rows, t);
    await audit(store, p, 'dashboard.queue.read', 'flags', { returned: rows.length, total: r.total }, t);
    return { rows, total: r.total, limit, offset };
  });

  app.post(`${DASHBOARD_API}/queue/assign`, { schema: { summary: 'Assign many flags at once', tags, body: BulkAssignBody, response: { 200: BulkAssignResult, ...errors } }, config: authed, onRequest }, async (req) => {
    const p = await auth(req);
    const results: BulkAssignResult['results'] = [];
    for (const id of [...new Set(req.body.flagIds)]) {
      const t = services.now();
      try {
        const f = await actOnFlag(store, p, id, { action: 'assign', assignee: req.body.assignee, note: req.body.note }, t);
        await audit(store, p, 'flag.assign', `flag:${f.id}`, { state: f.state, bulk: true }, t);
        results.push({ flagId: id, ok: true, state: f.state as BulkAssignResult['results'][number]['state'], error: null });
      } catch (e) {
        if (!(e instanceof HttpError)) throw e;
        results.push({ flagId: id, ok: false, state: null, error: e.message });
      }
    }
    return { results };
  });

  app.get(`${DASHBOARD_API}/students/:studentId`, { schema: { summary: 'The case view: the student, every course with its status, and their flags with full history', tags, params: StudentParams, response: { 200: CaseView, ...errors } }, config: authed, onRequest }, async (req) => {
    const p = await auth(req);
    const id = req.params.studentId;
    const scope = schoolScope(p);
    const ctx = await services.tenantContext(p.tenant);
    const t = services.now();
    const today = ctx.today(t);
    const person = await store.getPerson(p.tenant, id);
    const rows = await enrollmentRows(store, p.tenant, { schools: scope, student: id }, today);
    const flags = [];
    for (const fid of await flagIdsOfStudent(store, p.tenant, id)) {
      const f = await store.getFlag(p.tenant, fid);
      if (f && (await canSeeFlag(store, p, f))) flags.push(f);
    }
    const school = person?.school ?? rows[0]?.school ?? flags[0]?.school ?? null;
    const visible = scope === null ? person !== null || rows.length > 0 || flags.length > 0 : (school !== null && scope.includes(school)) || rows.length > 0 || flags.length > 0;
    // A student outside the caller's schools is reported as missing, so ids reveal nothing.
    if (!visible || (person && person.role !== 'student' && !rows.length && !flags.length)) throw notFound('unknown_student', 'no such student in your schools');
    const schoolName = school ? ((await schoolsOf(store, p.tenant, [school]))[0]?.name ?? school) : null;
    await audit(store, p, 'dashboard.case.read', `student:${id}`, { courses: rows.length, flags: flags.length }, t);
    return {
      student: { id, sisId: person?.sisId ?? null, name: person ? personName(person.givenName, person.familyName) : null, grade: person?.grade ?? null, school, schoolName },
      today: isoFromDay(today),
      courses: caseCourses(ctx, today, rows),
      flags: flags.map(toFlag),
    };
  });

  app.get(`${DASHBOARD_API}/flags/:flagId`, { schema: { summary: 'One flag (links in notifications point here)', tags, params: FlagParams, response: { 200: Flag, ...errors } }, config: authed, onRequest }, async (req) => {
    const p = await auth(req);
    const t = services.now();
    const f = await getVisibleFlag(store, p, req.params.flagId);
    await audit(store, p, 'flag.read', `flag:${f.id}`, null, t);
    return toFlag(f);
  });

  app.post(`${DASHBOARD_API}/flags/:flagId/actions`, { schema: { summary: 'Assign, log contact, note, resolve or reopen', tags, params: FlagParams, body: FlagActionBody, response: { 200: Flag, ...errors } }, config: authed, onRequest }, async (req) => {
    const p = await auth(req);
    const t = services.now();
    const f = await actOnFlag(store, p, req.params.flagId, req.body, t);
    await audit(store, p, `flag.${req.body.action}`, `flag:${f.id}`, { state: f.state }, t);
    return toFlag(f);
  });

  // ---- lists ----

  app.get(`${DASHBOARD_API}/lists/:list`, { schema: { summary: 'Never logged in, not seen for N school days, chronically absent; ?format=csv to export', tags, params: ListParams, querystring: ListQuery }, config: authed, onRequest }, async (req, reply) => {
    const p = await auth(req);
    const q = req.query;
    assertSchool(p, q.school);
    const scope = schoolScope(p);
    const ctx = await services.tenantContext(p.tenant);
    const t = services.now();
    const today = ctx.today(t);
    const rows = await enrollmentRows(store, p.tenant, { schools: scope, school: q.school, course: q.course, grade: q.grade }, today);
    const names = new Map((await schoolsOf(store, p.tenant, scope)).map((s) => [s.id, s.name]));
    const list = req.params.list;
    const days = list === 'not-seen' ? (q.days ?? ctx.tenant.policy.notSeenAlertDays) : null;
    let header: string[];
    let data: Record<string, unknown>[];
    let cells: Cell[][];
    if (list === 'never-logged-in') {
      const r = neverLoggedInList(ctx, today, rows, names);
      data = r;
      header = ['School', 'Course', 'Course ID', 'Student', 'Student ID', 'SIS ID', 'Grade', 'Enrolled since', 'School days enrolled'];
      cells = r.map((x) => [x.schoolName, x.courseTitle, x.course, x.name, x.student, x.sisId, x.grade, x.enrolledSince, x.schoolDaysEnrolled]);
    } else if (list === 'not-seen') {
      const r = notSeenList(ctx, today, rows, days!, q.includeNever ?? false, names);
      data = r;
      header = ['School', 'Student', 'Student ID', 'SIS ID', 'Grade', 'Last seen', 'School days since seen', 'Courses'];
      cells = r.map((x) => [x.schoolName, x.name, x.student, x.sisId, x.grade, x.lastSeenAt, x.schoolDaysSinceSeen ?? 'never', x.courses]);
    } else {
      const r = chronicList(ctx, today, rows, q.tier, names);
      data = r;
      header = ['School', 'Student', 'Student ID', 'SIS ID', 'Grade', 'School days enrolled', 'Absence rate (%)', 'Tier', 'Most-missed course', 'Its absence rate (%)'];
      cells = r.map((x) => [x.schoolName, x.name, x.student, x.sisId, x.grade, x.daysEnrolled, pct(x.absenceRate), x.tier.replace('_', ' '), x.worstCourse, x.worstCourseRate === null ? null : pct(x.worstCourseRate)]);
    }
    const csv = q.format === 'csv';
    await audit(store, p, csv ? 'dashboard.list.export' : 'dashboard.list.read', `list:${list}`, { rows: data.length, school: q.school ?? null, course: q.course ?? null, grade: q.grade ?? null }, t);
    if (csv) {
      const filename = `${list}${q.school ? `-${q.school.replace(/[^A-Za-z0-9_-]/g, '')}` : ''}-${isoFromDay(today)}.csv`;
      return sendCsv(reply, filename, toCsv(header, cells));
    }
    return { list, today: isoFromDay(today), days, total: data.length, rows: data };
  });

  // ---- picture ----

  app.get(`${DASHBOARD_API}/picture`, { schema: { summary: 'Counts and rates by school, grade and student group; weekly trend; bright spots', tags, querystring: PictureQuery, response: { 200: Picture, ...errors } }, config: authed, onRequest }, async (req) => {
    const p = await auth(req);
    assertSchool(p, req.query.school);
    const ctx = await services.tenantContext(p.tenant);
    const t = services.now();
    const scope = schoolScope(p);
    const key = JSON.stringify([p.tenant, scope ? [...scope].sort() : null, req.query.school ?? null, req.query.weeks ?? 8, ctx.today(t), ctx.tenant.configVersion]);
    const hit = pictureCache.get(key);
    let r: Picture;
    if (hit && t - hit.at < PICTURE_CACHE_MS) r = hit.picture;
    else {
      r = await picture(store, ctx, t, scope, { school: req.query.school, weeks: req.query.weeks ?? 8 });
      if (pictureCache.size >= 200) pictureCache.delete(pictureCache.keys().next().value!);
      pictureCache.set(key, { at: t, picture: r });
    }
    await audit(store, p, 'dashboard.picture.read', 'picture', { school: req.query.school ?? null, students: r.totals.students }, t);
    return r;
  });

  // ---- notification settings (admin) ----

  app.get(`${DASHBOARD_API}/admin/notifications`, { schema: { summary: 'Notification settings', tags, response: { 200: NotifySettings, ...errors } }, config: authed, onRequest }, async (req) => {
    const p = await auth(req);
    needAdmin(p);
    return settingsView(await loadNotify(services, p.tenant));
  });

  app.put(`${DASHBOARD_API}/admin/notifications`, { schema: { summary: 'Change notification settings', tags, body: NotifySettingsBody, response: { 200: NotifySettings, ...errors } }, config: authed, onRequest }, async (req) => {
    const p = await auth(req);
    needAdmin(p);
    const row = await saveNotify(services, p.tenant, req.body);
    await audit(store, p, 'dashboard.notify.update', 'notify', { webhook: !!row.webhook_url, email: JSON.parse(row.recipients).length, digest: !!row.digest }, services.now());
    return settingsView(row);
  });

  app.post(`${DASHBOARD_API}/admin/notifications/test`, { schema: { summary: 'Send a test e-mail or webhook, or the digest now', tags, body: NotifyTestBody, response: { 200: NotifyTestResult, ...errors } }, config: authed, onRequest }, async (req) => {
    const p = await auth(req);
    needAdmin(p);
    const deliveries = await sendTest(services, p.tenant, req.body.kind);
    await audit(store, p, 'dashboard.notify.test', 'notify', { kind: req.body.kind }, services.now());
    return { deliveries };
  });

  // ---- the app ----

  app.get('/dashboard', { schema: { hide: true } }, async (_req, reply) => reply.redirect('/dashboard/', 302));
  if (existsSync(join(DASHBOARD_DIST, 'index.html'))) {
    await app.register(fastifyStatic, {
      root: DASHBOARD_DIST,
      prefix: '/dashboard/',
      decorateReply: false,
      index: ['index.html'],
      setHeaders: (res, path) => {
        res.setHeader('cache-control', /[\\/]assets[\\/]/.test(path) ? 'public, max-age=31536000, immutable' : 'no-cache');
      },
    });
  } else {
    app.get('/dashboard/', { schema: { hide: true } }, async (_req, reply) =>
      reply
        .status(503)
        .type('text/html; charset=utf-8')
        .send('<!doctype html><meta charset="utf-8"><title>RosterLens dashboard</title><p>The dashboard has not been built. Run <code>npm run build</code> (or <code>npx vite build --mode dashboard</code>) and restart the plugin.</p>'),
    );
  }
}

const pct = (x: number) => Math.round(x * 1000) / 10;

function sendCsv(reply: FastifyReply, filename: string, body: string) {
  return reply.header('content-type', 'text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${filename}"`).send(body);
}

// Labels are re-exported for scripts that render notifications or exports themselves.
export { FLAG_REASON_LABELS, FLAG_OUTCOME_LABELS };
