// The plugin's HTTP server: validation from the shared schemas, one error
// shape, JSON logs without student data, per-credential rate limits.
import Fastify, { type FastifyInstance, type FastifyRequest, type FastifySchemaValidationError } from 'fastify';
import swagger from '@fastify/swagger';
import rateLimit from '@fastify/rate-limit';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Compile } from 'typebox/compile';
import type { TSchema } from 'typebox';
import { API_PREFIX, CourseParams, ErrorBody, FlagActionBody, FlagList, FlagListQuery, FlagParams, Flag, Health, Me, RaiseFlag, RaiseFlagResult, RosterStatus } from '../../shared/api.ts';
import { IngestResult, SignalBatch } from '../../shared/signal.ts';
import type { Store } from '../store/store.ts';
import type { Config } from './config.ts';
import { credentialIdOf, verifyToken } from './credentials.ts';
import { HttpError, forbidden, notFound } from './errors.ts';
import { ingestBatch } from './ingest.ts';
import { IngestDrainer, ProcessDrainer, type Drainer } from './ingest-drainer.ts';
import { SqlStore } from '../store/sql-store.ts';
import { canReadCourse, isPerson, principalOf, type Principal } from './principal.ts';
import { rosterStatus } from './roster-status.ts';
import { TenantContexts, type TenantContext } from './tenant-context.ts';
import { FlagHooks, actOnFlag, getVisibleFlag, listFlags, raiseFlag } from './flag-service.ts';
import { toFlag } from './flag-views.ts';
import { audit } from './audit.ts';
import type { Credential } from '../store/store.ts';

export const VERSION = '0.1.0';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
  interface FastifyInstance {
    services: Services;
  }
}

export interface AppDeps {
  store: Store;
  config: Config;
  now?: () => number;
  /** Extra route modules (beacon, event streams, LTI, dashboard) registered with the same services. */
  modules?: ((app: App, services: Services) => Promise<void>)[];
}

export type App = FastifyInstance<any, any, any, any, TypeBoxTypeProvider>;

export interface Services {
  store: Store;
  config: Config;
  now: () => number;
  tenants: TenantContexts;
  /** Resolves a bearer token to a principal, or throws 401. */
  authenticate(req: FastifyRequest): Promise<Principal>;
  /** Validates clocks and ages, keeps the batch durably, and returns the acknowledgement. */
  ingest(tenant: string, batch: SignalBatch): Promise<IngestResult>;
  /** Resolves once every acknowledged signal is folded into status (tests, shutdown). */
  ingestIdle(): Promise<void>;
  drainer: Drainer;
  tenantContext(tenant: string): Promise<TenantContext>;
  /** Flag events for modules to listen to (e.g. `services.flagHooks.onRaised(...)`). */
  flagHooks: FlagHooks;
}

/**
 * JSON bodies are checked as sent. The server's Ajv coerces types (query
 * strings need it), which in a body would take 101 for "101", null for "" and
 * a lone object for an array; these routes compile their schemas strictly instead.
 */
export function strictValidator({ schema }: { schema: unknown }) {
  const check = Compile(schema as TSchema);
  const validate = ((data: unknown) => {
    if (check.Check(data)) return true;
    const all = [...check.Errors(data)];
    const named = all.filter((e) => e.keyword !== 'boolean');
    validate.errors = (named.length ? named : all).slice(0, 20) as unknown as FastifySchemaValidationError[];
    return false;
  }) as ((data: unknown) => boolean) & { errors?: FastifySchemaValidationError[] | null };
  return validate;
}

const errorResponses = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody, 413: ErrorBody, 429: ErrorBody };

export async function buildApp(deps: AppDeps): Promise<App> {
  const { store, config } = deps;
  const now = deps.now ?? Date.now;
  const app = Fastify({
    bodyLimit: config.ingestMaxBytes,
    trustProxy: true,
    logger: {
      level: config.logLevel,
      redact: ['req.headers.authorization', 'req.headers.cookie'],
      // Log the route pattern, never the URL: URLs and query strings can carry student ids.
      serializers: {
        req: (req: FastifyRequest) => ({ method: req.method, route: req.routeOptions?.url ?? 'unmatched', reqId: req.id }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
    },
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true, allErrors: false } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  const tenants = new TenantContexts(store);
  const credCache = new Map<string, { cred: Credential | null; at: number }>();
  const lookupCredential = async (id: string) => {
    const t = now();
    const hit = credCache.get(id);
    if (hit && t - hit.at < config.credentialCacheMs) return hit.cred;
    const cred = await store.getCredential(id);
    if (credCache.size > 100_000) credCache.clear();
    credCache.set(id, { cred, at: t });
    return cred;
  };

  const onDrainError = (err: Error) => app.log.error({ err: { type: err.name, message: err.message } }, 'ingest drain failed; batches stay in the inbox and are retried');
  // Folding runs in a low-priority process beside the server; a store opened some other way folds in-process.
  const drainer: Drainer =
    store instanceof SqlStore && store.dataDir
      ? new ProcessDrainer({ dataDir: store.dataDir }, onDrainError)
      : store instanceof SqlStore && store.databaseUrl
        ? new ProcessDrainer({ databaseUrl: store.databaseUrl }, onDrainError)
        : new IngestDrainer(store, tenants, onDrainError);
  const services: Services = {
    store,
    config,
    now,
    tenants,
    drainer,
    ingestIdle: () => drainer.idle(),
    async authenticate(req) {
      if (req.principal) return req.principal;
      const header = req.headers.authorization;
      if (!header || !header.startsWith('Bearer ')) throw new HttpError(401, 'not_signed_in', 'sign in: send Authorization: Bearer <credential>', { 'www-authenticate': 'Bearer' });
      const v = await verifyToken(store, header.slice(7).trim(), now(), lookupCredential);
      if (!v.ok) {
        const message = { malformed: 'the credential is not well formed', unknown: 'the credential is not recognised', revoked: 'the credential was revoked', expired: 'the credential has expired' }[v.reason];
        throw new HttpError(401, `credential_${v.reason}`, message, { 'www-authenticate': 'Bearer error="invalid_token"' });
      }
      req.principal = principalOf(v.credential);
      return req.principal;
    },
    async tenantContext(tenant) {
      const ctx = await tenants.get(tenant, now());
      if (!ctx) throw notFound('unknown_tenant', 'no such tenant');
      return ctx;
    },
    async ingest(tenant, batch) {
      const ctx = await services.tenantContext(tenant);
      const result = await ingestBatch(store, ctx, batch, now(), config);
      if (result.accepted) drainer.kick();
      return result;
    },
    flagHooks: new FlagHooks((err) => app.log.error({ err: { type: (err as Error)?.name, message: (err as Error)?.message } }, 'flag hook failed')),
  };

  app.setErrorHandler((err: any, req, reply) => {
    if (err instanceof HttpError) {
      for (const [k, v] of Object.entries(err.headers)) reply.header(k, v);
      return reply.status(err.statusCode).send({ error: err.code, message: err.message });
    }
    if (err.validation) {
      return reply.status(400).send({
        error: 'invalid_request',
        message: `the ${err.validationContext ?? 'request'} is not valid: ${err.validation[0]?.instancePath || '/'} ${err.validation[0]?.message ?? ''}`.trim(),
        details: err.validation.slice(0, 20).map((v: any) => ({ path: v.instancePath || '/', message: v.message ?? 'invalid' })),
      });
    }
    if (err.statusCode === 413 || err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return reply.status(413).send({ error: 'payload_too_large', message: `the body is larger than ${config.ingestMaxBytes} bytes; send smaller batches` });
    if (err.statusCode === 429) return reply.status(429).send({ error: 'rate_limited', message: err.message });
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
      return reply.status(err.statusCode).send({ error: String(err.code ?? 'bad_request').toLowerCase(), message: err.message });
    }
    req.log.error({ err: { type: err.name, message: err.message, stack: err.stack } }, 'request failed');
    return reply.status(500).send({ error: 'internal', message: 'something went wrong on the server; nothing was changed by this request' });
  });
  app.setNotFoundHandler((req, reply) => reply.status(404).send({ error: 'not_found', message: `no route ${req.method} ${req.routeOptions?.url ?? ''}`.trim() }));

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'RosterLens plugin API', version: VERSION, description: 'Signals in, status out, outreach flags. Authenticate with `Authorization: Bearer <credential>`.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });

  await app.register(rateLimit, {
    max: (req) => (req.routeOptions?.config as { ingest?: boolean } | undefined)?.ingest ? config.ingestRateLimitPerMinute : config.rateLimitPerMinute,
    timeWindow: 60_000,
    keyGenerator: (req) => {
      const h = req.headers.authorization;
      const id = h?.startsWith('Bearer ') ? credentialIdOf(h.slice(7).trim()) : null;
      if (id) return `cred:${id}`;
      // A dashboard session (its public id part only), so an office behind one address isn't one budget.
      const session = /(?:^|;\s*)(?:__Host-)?rl_dash=s_([A-Za-z0-9_-]{16})\./.exec(req.headers.cookie ?? '')?.[1];
      return session ? `session:${session}` : `ip:${req.ip}`;
    },
    errorResponseBuilder: (_req, ctx) => ({ statusCode: 429, error: 'rate_limited', message: `too many requests; retry in ${Math.ceil(ctx.ttl / 1000)} s` }),
  });

  // Authenticate before the body is parsed or validated, so an anonymous caller learns nothing about the API's shapes;
  // and after the rate limit (a route's onRequest), so callers without a valid credential are limited too.
  app.addHook('preParsing', async (req) => {
    const cfg = req.routeOptions?.config as { public?: boolean } | undefined;
    if (req.url.startsWith(API_PREFIX) && req.routeOptions?.url && !cfg?.public) await services.authenticate(req);
  });

  app.get('/healthz', { schema: { hide: true, response: { 200: Health } }, config: { rateLimit: false } }, async () => ({ ok: true, store: store.engine, version: VERSION }));
  app.get('/openapi.json', { schema: { hide: true }, config: { rateLimit: false } }, async () => app.swagger());

  const needPerson = async (req: FastifyRequest) => {
    const p = await services.authenticate(req);
    if (!isPerson(p)) throw forbidden('forbidden', 'this credential is for sending signals, not reading them');
    return p;
  };

  app.get(`${API_PREFIX}/me`, { schema: { summary: 'Who this credential is', tags: ['auth'], response: { 200: Me, ...errorResponses } } }, async (req) => {
    const p = await services.authenticate(req);
    const ctx = await services.tenantContext(p.tenant);
    const cred = (await lookupCredential(p.credentialId))!;
    return {
      tenant: p.tenant,
      tenantName: ctx.tenant.name,
      lmsKind: ctx.tenant.lmsKind,
      lmsOrigin: ctx.tenant.lmsOrigin,
      role: p.role === 'beacon' ? 'ingest' : p.role,
      label: p.label,
      person: p.person,
      schools: p.schools,
      expiresAt: new Date(cred.expiresAt).toISOString(),
    };
  });

  app.post(
    `${API_PREFIX}/signals`,
    {
      schema: { summary: 'Ingest a batch of signals (server-to-server sources)', tags: ['signals'], body: SignalBatch, response: { 200: IngestResult, ...errorResponses } },
      config: { ingest: true },
      validatorCompiler: strictValidator,
    },
    async (req) => {
      const p = await services.authenticate(req);
      if (p.role !== 'ingest' && p.role !== 'admin') throw forbidden('forbidden', 'only an ingest key can send signals');
      return services.ingest(p.tenant, req.body);
    },
  );

  app.get(
    `${API_PREFIX}/courses/:courseId/status`,
    { schema: { summary: "Every student's status in one course, keyed by LMS user id", tags: ['status'], params: CourseParams, response: { 200: RosterStatus, ...errorResponses } } },
    async (req) => {
      const p = await needPerson(req);
      const course = await store.getCourse(p.tenant, req.params.courseId);
      if (!course) throw notFound('unknown_course', 'the plugin does not know this course; ask the district admin to import the roster');
      if (!(await canReadCourse(store, p, course))) throw forbidden('not_course_teacher', 'you can see status only for courses you teach (or, for staff, courses of your schools)');
      const ctx = await services.tenantContext(p.tenant);
      const t = now();
      const status = await rosterStatus(store, ctx, course.id, t);
      await audit(store, p, 'status.read', `course:${course.id}`, { students: status.students.length }, t);
      return status;
    },
  );

  app.post(
    `${API_PREFIX}/flags`,
    { schema: { summary: 'Raise a flag for outreach, or join the open flag of the same student and reason', tags: ['flags'], body: RaiseFlag, response: { 200: RaiseFlagResult, ...errorResponses } }, validatorCompiler: strictValidator },
    async (req) => {
      const p = await needPerson(req);
      const t = now();
      const r = await raiseFlag(store, p, req.body, t, services.flagHooks);
      if (!r.replayed) await audit(store, p, r.joined ? 'flag.join' : 'flag.raise', `flag:${r.flag.id}`, { student: r.flag.student, reason: r.flag.reason }, t);
      return { flag: toFlag(r.flag), joined: r.joined };
    },
  );

  app.get(
    `${API_PREFIX}/flags`,
    { schema: { summary: 'List flags the caller may see', tags: ['flags'], querystring: FlagListQuery, response: { 200: FlagList, ...errorResponses } } },
    async (req) => {
      const p = await needPerson(req);
      const t = now();
      const r = await listFlags(store, p, req.query, t);
      await audit(store, p, 'flag.list', 'flags', { returned: r.flags.length }, t);
      return { flags: r.flags.map(toFlag), total: r.total };
    },
  );

  app.get(
    `${API_PREFIX}/flags/:flagId`,
    { schema: { summary: 'One flag with its history', tags: ['flags'], params: FlagParams, response: { 200: Flag, ...errorResponses } } },
    async (req) => {
      const p = await needPerson(req);
      const t = now();
      const f = await getVisibleFlag(store, p, req.params.flagId);
      await audit(store, p, 'flag.read', `flag:${f.id}`, null, t);
      return toFlag(f);
    },
  );

  app.post(
    `${API_PREFIX}/flags/:flagId/actions`,
    { schema: { summary: 'Assign, log contact, note, resolve or reopen a flag', tags: ['flags'], params: FlagParams, body: FlagActionBody, response: { 200: Flag, ...errorResponses } }, validatorCompiler: strictValidator },
    async (req) => {
      const p = await needPerson(req);
      const t = now();
      const f = await actOnFlag(store, p, req.params.flagId, req.body, t);
      await audit(store, p, `flag.${req.body.action}`, `flag:${f.id}`, { state: f.state }, t);
      return toFlag(f);
    },
  );

  for (const m of deps.modules ?? []) await m(app, services);
  drainer.start();
  app.addHook('onClose', async () => {
    await drainer.stop();
  });
  app.decorate('services', services);
  await app.ready();
  return app;
}

