// xAPI 1.0.3 statement receiver for LMS event streams (Moodle's xAPI log store
// and other systems that post statements to an LRS). It is not a full LRS: it
// takes statements in, turns the ones that show a student's presence into
// signals, and keeps nothing else — statements cannot be read back.
//
// Shapes follow xAPI-vle/moodle-logstore_xapi (src/loader/lrs.php: HTTP Basic
// with the "LRS auth key"/"LRS auth secret", `X-Experience-API-Version: 1.0.3`,
// anything but 200 is a failure; src/transformer/utils/get_user.php: actor
// `account.name` = Moodle user id, `account.homePage` = the site;
// src/transformer/utils/get_verb.php: the 2025 edlm-lms login/logout verbs).
// Everything goes through `services.ingest`, so clock checks, dedupe,
// durability and rate limits are the core's.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { App, Services } from '../server/app.ts';
import { credentialIdOf, verifyToken } from '../server/credentials.ts';
import { HttpError } from '../server/errors.ts';
import { principalOf, type Principal } from '../server/principal.ts';
import { SIGNAL_LIMITS, type SignalIn, type SignalKind, type SignalSource } from '../../shared/signal.ts';

// ---------------------------------------------------------------------------
// Helpers shared by the event-stream sources (xAPI here, Caliper in caliper.ts).

/** A signal mapped from one event, or why the event gives none. */
export type Mapped =
  | { ok: true; signal: SignalIn }
  /** The event is well formed but says nothing about a student's own presence (e.g. a grade given by a teacher). */
  | { ok: false; ignored: true; reason: string }
  /** The event cannot be turned into a signal (no LMS user id, bad time…). */
  | { ok: false; ignored: false; reason: string };

export interface EventOutcome {
  /** Events turned into signals and durably acknowledged (repeats included: they count once in status). */
  accepted: number;
  /** Events refused by the core's clock rules (too old, in the future); retrying will not help. */
  rejected: { index: number; reason: string }[];
  /** Events that could not be mapped to a signal. */
  unmapped: { index: number; reason: string }[];
  /** Events that are valid but carry no presence (administrative or system actions). */
  ignored: number;
}

const LMS_ID = /^[\x21-\x7E]{1,64}$/;
const SIGNAL_ID = /^[A-Za-z0-9._:~-]{8,128}$/;

export function isLmsId(v: unknown): v is string {
  return typeof v === 'string' && LMS_ID.test(v) && v.length <= SIGNAL_LIMITS.maxRefLength;
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** JSON with sorted keys, so the same event always hashes the same however its sender orders fields. */
export function canonicalJson(v: unknown, depth = 0): string {
  if (depth > 64) return 'null';
  if (Array.isArray(v)) return `[${v.map((x) => canonicalJson(x, depth + 1)).join(',')}]`;
  if (isRecord(v)) {
    return `{${Object.keys(v)
      .sort()
      .filter((k) => v[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(v[k], depth + 1)}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

export function stableHash(v: unknown): string {
  return createHash('sha256').update(canonicalJson(v)).digest('base64url').slice(0, 32);
}

/** A UUID (version 8, "custom") made from a hash, so a statement without an id gets the same id on every retry. */
export function uuidFromHash(v: unknown): string {
  const h = createHash('sha256').update(canonicalJson(v)).digest('hex');
  const variant = ((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Parses an ISO 8601 date-time with a zone; null when it is not one. */
export function parseTime(v: unknown): string | null {
  if (typeof v !== 'string' || v.length > 40) return null;
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i.test(v)) return null;
  const ms = Date.parse(v);
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

/**
 * Canvas ids: a global id is shard × 10^13 + local id (e.g. 21070000000000123
 * is local id 123 on shard 2107); the roster page shows the local id. Also
 * accepts the `shard~local` form Canvas uses in URLs (412~17342 → 17342).
 */
export function canvasLocalId(v: unknown): string | null {
  const s = typeof v === 'number' && Number.isSafeInteger(v) ? String(v) : typeof v === 'string' ? v.trim() : null;
  if (!s) return null;
  const tilde = /^(\d{1,10})~(\d{1,13})$/.exec(s);
  if (tilde) return String(BigInt(tilde[2]!));
  if (!/^\d{1,30}$/.test(s)) return null;
  const n = BigInt(s);
  const local = n % 10_000_000_000_000n;
  return local === 0n ? null : String(local);
}

/** A course id from a course URL: Moodle `…/course/view.php?id=N`, Canvas `…/courses/N` (or `/courses/shard~N`). */
export function courseFromUrl(v: unknown): string | null {
  if (typeof v !== 'string' || v.length > 2048) return null;
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    return null;
  }
  if (/\/course\/view\.php$/.test(u.pathname)) {
    const id = u.searchParams.get('id');
    return id && /^\d{1,20}$/.test(id) ? id : null;
  }
  const m = /\/courses\/(\d{1,20}(?:~\d{1,13})?)(?:\/|$)/.exec(u.pathname);
  return m ? canvasLocalId(m[1]) : null;
}

/**
 * Feeds mapped signals to the core's ingest (one batch: callers keep events
 * ≤ SIGNAL_LIMITS.maxBatch) and reports per event, by the event's own index.
 */
export async function ingestMapped(services: Services, tenant: string, mapped: Mapped[], sentAt?: string): Promise<EventOutcome> {
  const signals: SignalIn[] = [];
  const indexOf: number[] = [];
  const out: EventOutcome = { accepted: 0, rejected: [], unmapped: [], ignored: 0 };
  mapped.forEach((m, index) => {
    if (m.ok) {
      signals.push(m.signal);
      indexOf.push(index);
    } else if (m.ignored) out.ignored++;
    else out.unmapped.push({ index, reason: m.reason });
  });
  if (signals.length === 0) return out;
  const result = await services.ingest(tenant, sentAt ? { signals, sentAt } : { signals });
  const rejectedAt = new Set<number>();
  for (const r of result.rejected) {
    rejectedAt.add(r.index);
    out.rejected.push({ index: indexOf[r.index]!, reason: r.reason });
  }
  out.accepted = signals.length - rejectedAt.size;
  return out;
}

/** Builds a signal after checking it against the shared limits (the event routes have no body schema to do it). */
export function signalOf(id: string, user: unknown, course: string | null, at: string, kind: SignalKind, source: SignalSource): Mapped {
  if (!SIGNAL_ID.test(id)) return { ok: false, ignored: false, reason: 'the event id is not usable' };
  if (!isLmsId(user)) return { ok: false, ignored: false, reason: 'no usable LMS user id' };
  return { ok: true, signal: { id, user, course: course !== null && isLmsId(course) ? course : null, at, kind, source } };
}

const unauthorizedBasic = (code: string, message: string) => new HttpError(401, code, message, { 'www-authenticate': 'Basic realm="RosterLens", charset="UTF-8"' });

/**
 * The ingest credential of an event-stream request: `Authorization: Bearer
 * rl_…`, HTTP Basic with key `rl_<id>` and secret `<the part after the dot>`
 * (Moodle's "LRS auth key"/"LRS auth secret"), or a token in the URL for
 * senders that cannot set headers (Canvas Data Services).
 */
export async function ingestPrincipal(services: Services, req: FastifyRequest, opts: { basic: boolean; token?: string }): Promise<Principal> {
  if (req.principal) return req.principal;
  const header = req.headers.authorization;
  const refuse = opts.basic ? unauthorizedBasic : (code: string, message: string) => new HttpError(401, code, message, { 'www-authenticate': 'Bearer' });
  let token: string | null = null;
  if (opts.token !== undefined) token = opts.token;
  else if (header?.startsWith('Bearer ')) token = header.slice(7).trim();
  else if (opts.basic && header?.startsWith('Basic ')) {
    const raw = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
    const colon = raw.indexOf(':');
    const user = colon < 0 ? raw : raw.slice(0, colon);
    const pass = colon < 0 ? '' : raw.slice(colon + 1);
    token = user.includes('.') && pass === '' ? user : `${user}.${pass}`;
  }
  if (!token) throw refuse('not_signed_in', opts.basic ? 'send the ingest credential: HTTP Basic with key rl_<id> and the secret after the dot, or Authorization: Bearer <credential>' : 'send Authorization: Bearer <ingest credential>');
  const v = await verifyToken(services.store, token, services.now());
  if (!v.ok) throw refuse(`credential_${v.reason}`, { malformed: 'the credential is not well formed', unknown: 'the credential is not recognised', revoked: 'the credential was revoked', expired: 'the credential has expired' }[v.reason]);
  const p = principalOf(v.credential);
  if (p.role !== 'ingest') throw new HttpError(403, 'forbidden', 'only an ingest credential can send events');
  req.principal = p;
  return p;
}

/** Rate-limit key for event routes: the credential id from Bearer, Basic or the URL, else the address. */
export function eventRateKey(req: FastifyRequest): string {
  const h = req.headers.authorization;
  let id: string | null = null;
  if (h?.startsWith('Bearer ')) id = credentialIdOf(h.slice(7).trim());
  else if (h?.startsWith('Basic ')) {
    const user = Buffer.from(h.slice(6).trim(), 'base64').toString('utf8').split(':')[0] ?? '';
    id = /^rl_([a-z0-9]{12})(\.|$)/.exec(user)?.[1] ?? null;
  } else {
    const t = (req.params as Record<string, unknown> | undefined)?.credential;
    id = typeof t === 'string' ? credentialIdOf(t) : null;
  }
  return id ? `cred:${id}` : `ip:${req.ip}`;
}

/** Constant-time string comparison (used for ids echoed back). */
export function sameString(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

// ---------------------------------------------------------------------------
// xAPI statements → signals.

export const XAPI_VERSION = '1.0.3';
const SUPPORTED_VERSION = /^1\.0(\.[0-3])?$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const VERBS: Record<string, SignalKind | 'ignore'> = {
  // Login: Moodle's logstore_xapi since 2025, and the older verb.
  'https://xapi.edlm/profiles/edlm-lms/concepts/verbs/login': 'login',
  'https://brindlewaye.com/xAPITerms/verbs/loggedin/': 'login',
  'https://brindlewaye.com/xAPITerms/verbs/loggedin': 'login',
  'https://w3id.org/xapi/adl/verbs/logged-in': 'login',
  'https://xapi.edlm/profiles/edlm-lms/concepts/verbs/logout': 'logout',
  'https://brindlewaye.com/xAPITerms/verbs/loggedout/': 'logout',
  'https://brindlewaye.com/xAPITerms/verbs/loggedout': 'logout',
  'https://w3id.org/xapi/adl/verbs/logged-out': 'logout',
  // Work handed in or finished.
  'http://activitystrea.ms/schema/1.0/submit': 'submission',
  'http://activitystrea.ms/submit': 'submission',
  'http://adlnet.gov/expapi/verbs/completed': 'submission',
  'http://activitystrea.ms/schema/1.0/complete': 'submission',
  'http://adlnet.gov/expapi/verbs/passed': 'submission',
  'http://adlnet.gov/expapi/verbs/failed': 'submission',
  // Posts.
  'http://adlnet.gov/expapi/verbs/commented': 'discussion_post',
  'http://id.tincanapi.com/verb/replied': 'discussion_post',
  'http://activitystrea.ms/schema/1.0/post': 'discussion_post',
  'http://activitystrea.ms/post': 'discussion_post',
  'http://adlnet.gov/expapi/verbs/shared': 'discussion_post',
  // Live sessions.
  'http://adlnet.gov/expapi/verbs/attended': 'live_session',
  'http://activitystrea.ms/schema/1.0/join': 'live_session',
  'http://activitystrea.ms/join': 'live_session',
  // Things done to the actor by someone else, or bookkeeping: no presence.
  'http://adlnet.gov/expapi/verbs/voided': 'ignore',
  'https://w3id.org/xapi/tla/verbs/scored': 'ignore',
  'https://w3id.org/xapi/tla/verbs/achieved': 'ignore',
  'https://w3id.org/xapi/tla/verbs/forfeited': 'ignore',
  'http://activitystrea.ms/schema/1.0/receive': 'ignore',
  'http://adlnet.gov/expapi/verbs/registered': 'ignore',
  'http://id.tincanapi.com/verb/unregistered': 'ignore',
  'https://xapi.edlm/profiles/edlm-lms/concepts/verbs/enrolled': 'ignore',
  'https://xapi.edlm/profiles/edlm-lms/concepts/verbs/unenrolled': 'ignore',
};
/** Moodle posts a new forum discussion as "create" of a discussion; other "create"s are ordinary activity. */
const CREATE_VERBS = new Set(['http://activitystrea.ms/create', 'http://activitystrea.ms/schema/1.0/create']);
const POST_TYPES = /discussion|forum|reply|comment|message|post/i;

export function verbKind(verbId: string, objectType: unknown): SignalKind | 'ignore' {
  const k = VERBS[verbId];
  if (k) return k;
  if (CREATE_VERBS.has(verbId) && typeof objectType === 'string' && POST_TYPES.test(objectType)) return 'discussion_post';
  return 'page_view'; // any other activity is presence
}

/** A structurally invalid statement: the whole request is refused, as an LRS would (400). */
class BadStatement extends Error {}

function activityIds(list: unknown): unknown[] {
  if (Array.isArray(list)) return list.slice(0, 50).map((a) => (isRecord(a) ? a.id : null));
  if (isRecord(list)) return [list.id];
  return [];
}

export function courseOfStatement(st: Record<string, unknown>): string | null {
  const obj = isRecord(st.object) ? st.object : {};
  const ctx = isRecord(st.context) ? st.context : {};
  const acts = isRecord(ctx.contextActivities) ? ctx.contextActivities : {};
  for (const id of [obj.id, ...activityIds(acts.parent), ...activityIds(acts.grouping), ...activityIds(acts.other)]) {
    const c = courseFromUrl(id);
    if (c) return c;
  }
  return null;
}

/** The statement's id (given, or derived from its content) and its mapping. Throws BadStatement when it is not an xAPI statement. */
export function mapStatement(st: unknown, at: { now: number }): { id: string; mapped: Mapped } {
  if (!isRecord(st)) throw new BadStatement('a statement must be a JSON object');
  if (st.id !== undefined && (typeof st.id !== 'string' || !UUID.test(st.id))) throw new BadStatement('a statement id must be a UUID');
  if (!isRecord(st.actor)) throw new BadStatement('a statement needs an actor');
  if (!isRecord(st.verb) || typeof st.verb.id !== 'string' || st.verb.id.length > 2048) throw new BadStatement('a statement needs a verb with an id');
  if (!isRecord(st.object)) throw new BadStatement('a statement needs an object');
  if (st.timestamp !== undefined && parseTime(st.timestamp) === null) throw new BadStatement('a statement timestamp must be an ISO 8601 date-time with a time zone');
  const { id: _id, stored: _stored, authority: _authority, ...content } = st;
  const id = typeof st.id === 'string' ? st.id.toLowerCase() : uuidFromHash(content);
  const actor = st.actor;
  if (actor.objectType === 'Group') return { id, mapped: { ok: false, ignored: false, reason: 'the actor is a group, not a person' } };
  const account = isRecord(actor.account) ? actor.account : null;
  if (!account || typeof account.name !== 'string') return { id, mapped: { ok: false, ignored: false, reason: 'the actor has no account.name (turn off "Identify users by email" in the xAPI log store)' } };
  const kind = verbKind(st.verb.id, isRecord(st.object.definition) ? st.object.definition.type : null);
  if (kind === 'ignore') return { id, mapped: { ok: false, ignored: true, reason: 'not an action of the actor' } };
  const time = st.timestamp === undefined ? new Date(at.now).toISOString() : parseTime(st.timestamp)!;
  return { id, mapped: signalOf(`xapi:${id}`, account.name, courseOfStatement(st), time, kind, 'xapi') };
}

function checkVersion(req: FastifyRequest): void {
  const v = req.headers['x-experience-api-version'];
  if (typeof v !== 'string' || v.trim() === '') throw new HttpError(400, 'xapi_version_missing', 'send the X-Experience-API-Version header (1.0.3)');
  if (!SUPPORTED_VERSION.test(v.trim())) throw new HttpError(400, 'xapi_version_unsupported', `xAPI version ${JSON.stringify(v.slice(0, 20))} is not supported; this receiver speaks ${XAPI_VERSION}`);
}

function outcomeHeaders(o: EventOutcome): Record<string, string> {
  return {
    'x-rosterlens-accepted': String(o.accepted),
    'x-rosterlens-rejected': String(o.rejected.length),
    'x-rosterlens-unmapped': String(o.unmapped.length),
    'x-rosterlens-ignored': String(o.ignored),
  };
}

async function receive(services: Services, req: FastifyRequest, statements: unknown[]): Promise<{ ids: string[]; outcome: EventOutcome }> {
  const p = await ingestPrincipal(services, req, { basic: true });
  const ids: string[] = [];
  const mapped: Mapped[] = [];
  const now = services.now();
  statements.forEach((st, i) => {
    try {
      const r = mapStatement(st, { now });
      ids.push(r.id);
      mapped.push(r.mapped);
    } catch (e) {
      if (e instanceof BadStatement) throw new HttpError(400, 'invalid_statement', `statement ${i}: ${e.message}; nothing in this request was stored`);
      throw e;
    }
  });
  const outcome = await ingestMapped(services, p.tenant, mapped);
  const unmappedCount = outcome.unmapped.length;
  if (unmappedCount) req.log.info({ xapi: { unmapped: unmappedCount, reasons: [...new Set(outcome.unmapped.map((u) => u.reason))].slice(0, 5) } }, 'xAPI statements without a signal');
  return { ids, outcome };
}

export async function xapiModule(app: App, services: Services): Promise<void> {
  await app.register(async (scope) => {
    scope.addHook('onSend', async (_req, reply, payload) => {
      reply.header('x-experience-api-version', XAPI_VERSION);
      return payload;
    });
    const rateLimit = { keyGenerator: eventRateKey };

    scope.get('/xapi/about', { schema: { summary: 'xAPI About resource', tags: ['event streams'] }, config: { rateLimit: false } }, async () => ({ version: [XAPI_VERSION] }));

    scope.post(
      '/xapi/statements',
      {
        schema: { summary: 'xAPI 1.0.3: store one statement or an array (a receiver, not a full LRS)', tags: ['event streams'] },
        config: { ingest: true, rateLimit },
        onRequest: async (req) => {
          await ingestPrincipal(services, req, { basic: true });
        },
        preValidation: async (req) => checkVersion(req),
      },
      async (req, reply) => {
        const body = req.body;
        const statements = Array.isArray(body) ? body : [body];
        if (statements.length > SIGNAL_LIMITS.maxBatch) throw new HttpError(400, 'too_many_statements', `send at most ${SIGNAL_LIMITS.maxBatch} statements per request`);
        if (statements.length === 0) return reply.status(200).send([]);
        const { ids, outcome } = await receive(services, req, statements);
        reply.headers(outcomeHeaders(outcome));
        // Moodle's log store treats anything but 200 as a failure, so 200 with the ids (as the spec's POST answers).
        return reply.status(200).send(ids);
      },
    );

    scope.put(
      '/xapi/statements',
      {
        schema: { summary: 'xAPI 1.0.3: store one statement with a given id', tags: ['event streams'] },
        config: { ingest: true, rateLimit },
        onRequest: async (req) => {
          await ingestPrincipal(services, req, { basic: true });
        },
        preValidation: async (req) => checkVersion(req),
      },
      async (req, reply) => {
        const q = req.query as Record<string, unknown>;
        const sid = q.statementId;
        if (typeof sid !== 'string' || !UUID.test(sid)) throw new HttpError(400, 'invalid_statement_id', 'PUT needs ?statementId=<UUID>');
        const st = req.body;
        if (!isRecord(st)) throw new HttpError(400, 'invalid_statement', 'PUT takes one statement object');
        if (st.id !== undefined && (typeof st.id !== 'string' || !sameString(st.id.toLowerCase(), sid.toLowerCase()))) throw new HttpError(400, 'statement_id_mismatch', 'the statement id differs from ?statementId');
        const { outcome } = await receive(services, req, [{ ...st, id: sid }]);
        reply.headers(outcomeHeaders(outcome));
        return reply.status(204).send();
      },
    );

    scope.get('/xapi/statements', { schema: { hide: true }, config: { rateLimit } }, async () => {
      throw new HttpError(405, 'not_an_lrs', 'RosterLens receives xAPI statements but does not keep them; it cannot return statements (it is not a full LRS)');
    });
  });
}
