// The presence beacon's server side: serves the built script, and takes the
// batches it sends from LMS pages. A page can only speak for its own visit,
// so only login, page_view, heartbeat and logout are accepted here; the beacon
// key is public (it sits in the LMS theme), so it names a tenant but grants
// nothing else. Register with `MODULES.push(beaconModule)`.
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type, type Static } from 'typebox';
import { IngestResult, SignalBatch, type SignalKind } from '../../shared/signal.ts';
import { ErrorBody } from '../../shared/api.ts';
import type { App, Services } from '../server/app.ts';
import { verifyToken } from '../server/credentials.ts';
import { HttpError, badRequest } from '../server/errors.ts';

export interface BeaconDeps {
  /** The tenant and LMS origin a beacon key belongs to, or null if it is unknown, revoked, expired or not a beacon key. */
  resolveBeaconKey(key: string): Promise<{ tenant: string; lmsOrigin: string } | null>;
  ingest(tenant: string, batch: SignalBatch, source: 'beacon'): Promise<IngestResult>;
}

export interface BeaconOptions {
  /** The built script (default dist/beacon/beacon.js). */
  scriptFile?: string;
  /** Requests per minute from one address. A school's whole network may share one, so this is generous. */
  perAddressPerMinute?: number;
}

export const BEACON_PATH = '/api/v1/beacon';
/** What a page can honestly claim about its own visit. Submissions and the rest come from the LMS itself. */
export const BEACON_KINDS: readonly SignalKind[] = ['login', 'page_view', 'heartbeat', 'logout'];
/** A beacon batch is at most a few hundred small signals. */
const BODY_LIMIT = 128 * 1024;
/** The stable URL is re-checked often so a new release spreads within minutes; the versioned one never changes. */
const STABLE_CACHE = 'public, max-age=300, stale-while-revalidate=86400';
const VERSIONED_CACHE = 'public, max-age=31536000, immutable';

const BeaconQuery = Type.Object({ k: Type.String({ minLength: 1, maxLength: 200 }) });
type BeaconQuery = Static<typeof BeaconQuery>;
const VersionParams = Type.Object({ version: Type.String({ pattern: '^[0-9a-f]{12}$' }) });

interface Script {
  body: Buffer;
  version: string;
  mtimeMs: number;
}

/** The built script, re-read when the file changes (a rebuild while the server runs). */
function scriptLoader(file: string) {
  let cached: Script | null = null;
  let checkedAt = 0;
  return (): Script | null => {
    const t = Date.now();
    if (cached && t - checkedAt < 5000) return cached;
    checkedAt = t;
    try {
      const st = statSync(file);
      if (!cached || cached.mtimeMs !== st.mtimeMs) {
        const body = readFileSync(file);
        cached = { body, version: createHash('sha256').update(body).digest('hex').slice(0, 12), mtimeMs: st.mtimeMs };
      }
    } catch {
      cached = null;
    }
    return cached;
  };
}

export async function beaconRoutes(app: FastifyInstance, deps: BeaconDeps, opts: BeaconOptions = {}): Promise<void> {
  const loadScript = scriptLoader(opts.scriptFile ?? fileURLToPath(new URL('../../dist/beacon/beacon.js', import.meta.url)));

  const sendScript = (reply: FastifyReply, req: FastifyRequest, s: Script, cache: string) => {
    const etag = `"${s.version}"`;
    reply
      .header('content-type', 'text/javascript; charset=utf-8')
      .header('cache-control', cache)
      .header('etag', etag)
      .header('x-content-type-options', 'nosniff')
      // Loaded cross-origin by every LMS page, including pages that isolate themselves (COEP).
      .header('cross-origin-resource-policy', 'cross-origin')
      .header('access-control-allow-origin', '*')
      .header('content-location', `/beacon/${s.version}.js`);
    if (req.headers['if-none-match'] === etag) return reply.status(304).send();
    return reply.send(s.body);
  };
  const missing = () => new HttpError(503, 'beacon_not_built', 'the beacon script is not built on this server; run `npm run build`', { 'retry-after': '300' });

  app.get('/beacon.js', { schema: { hide: true }, config: { public: true, rateLimit: false } }, async (req, reply) => {
    const s = loadScript();
    if (!s) throw missing();
    return sendScript(reply, req, s, STABLE_CACHE);
  });
  app.get<{ Params: Static<typeof VersionParams> }>(
    '/beacon/:version.js',
    { schema: { hide: true, params: VersionParams }, config: { public: true, rateLimit: false } },
    async (req, reply) => {
      const s = loadScript();
      if (!s) throw missing();
      // Only the current build is kept; an old version number gets the current script, briefly cached.
      return sendScript(reply, req, s, req.params.version === s.version ? VERSIONED_CACHE : STABLE_CACHE);
    },
  );

  // Its own scope: text/plain bodies are JSON here and nowhere else.
  await app.register(async (scope) => {
    scope.addContentTypeParser('text/plain', { parseAs: 'string', bodyLimit: BODY_LIMIT }, (_req, body, done) => {
      try {
        done(null, JSON.parse(body as string));
      } catch {
        done(badRequest('invalid_json', 'the body is not JSON'), undefined);
      }
    });
    // Every answer, refusals included, must be readable by the page or its retry logic is blind.
    scope.addHook('onSend', async (req, reply, payload) => {
      const origin = req.headers.origin;
      if (origin) reply.header('access-control-allow-origin', origin).header('vary', 'Origin');
      reply.header('access-control-expose-headers', 'Retry-After').header('cache-control', 'no-store');
      return payload;
    });

    const limit = { max: opts.perAddressPerMinute ?? 20_000, timeWindow: 60_000, keyGenerator: (req: FastifyRequest) => `beacon:${req.ip}` };

    scope.options(BEACON_PATH, { schema: { hide: true }, config: { public: true, rateLimit: limit } }, async (_req, reply) => {
      // The beacon sends simple requests, so browsers should never ask; answer anyway for clients that add headers.
      return reply.status(204).header('access-control-allow-methods', 'POST').header('access-control-allow-headers', 'content-type').header('access-control-max-age', '86400').send();
    });

    scope.post<{ Querystring: BeaconQuery; Body: SignalBatch }>(
      BEACON_PATH,
      {
        bodyLimit: BODY_LIMIT,
        schema: {
          summary: 'Signals from the presence beacon (text/plain JSON body; the public beacon key in ?k=)',
          tags: ['signals'],
          security: [],
          querystring: BeaconQuery,
          body: SignalBatch,
          response: { 200: IngestResult, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 413: ErrorBody, 429: ErrorBody },
        },
        config: { public: true, rateLimit: limit },
      },
      async (req) => {
        const who = await deps.resolveBeaconKey(req.query.k);
        if (!who) throw new HttpError(401, 'beacon_key_unknown', 'the beacon key is not recognised, was revoked or has expired; ask the district admin for the current one');
        const origin = req.headers.origin;
        // Browsers always send Origin on a cross-origin POST; a page elsewhere may not use this tenant's key.
        if (origin && origin !== who.lmsOrigin) throw new HttpError(403, 'origin_not_allowed', "the beacon key belongs to another LMS; check the tenant's LMS origin");
        const bad = req.body.signals.findIndex((s) => !BEACON_KINDS.includes(s.kind) || (s.source !== undefined && s.source !== 'beacon'));
        if (bad >= 0) throw badRequest('kind_not_allowed', `signal ${bad}: a page may send only ${BEACON_KINDS.join(', ')}`);
        return deps.ingest(who.tenant, { ...req.body, signals: req.body.signals.map((s) => ({ ...s, source: 'beacon' as const })) }, 'beacon');
      },
    );
  });
}

/** How long a resolved key is trusted before it is looked up again (the server's credential cache does the same). */
const KEY_CACHE_MS = 15_000;

/** The deps from the plugin's services: a beacon key is a credential of role `beacon`. */
export function beaconDeps(services: Services): BeaconDeps {
  const cache = new Map<string, { v: { tenant: string; lmsOrigin: string } | null; at: number }>();
  return {
    async resolveBeaconKey(key) {
      const t = services.now();
      const hit = cache.get(key);
      if (hit && t - hit.at < KEY_CACHE_MS) return hit.v;
      const v = await verifyToken(services.store, key, t);
      let out: { tenant: string; lmsOrigin: string } | null = null;
      if (v.ok && v.credential.role === 'beacon') {
        const tenant = await services.store.getTenant(v.credential.tenant);
        if (tenant) out = { tenant: tenant.id, lmsOrigin: tenant.lmsOrigin.replace(/\/+$/, '') };
      }
      if (cache.size > 10_000) cache.clear();
      cache.set(key, { v: out, at: t });
      return out;
    },
    // The core ingest keeps no per-signal source yet; the route has already stamped `source: 'beacon'` on each signal.
    ingest: (tenant, batch) => services.ingest(tenant, batch),
  };
}

/** For `MODULES.push(beaconModule)` in plugin/server/modules.ts. */
export async function beaconModule(app: App, services: Services): Promise<void> {
  await beaconRoutes(app, beaconDeps(services));
}
