// Caliper 1.2 endpoint that also takes Canvas Live Events (Caliper 1.1 and
// Canvas's own format). Shapes follow instructure/canvas-lms
// doc/api/data_services/json/{caliper,canvas}/event-types/*.json: Caliper
// envelopes `{sensor, sendTime, dataVersion, data[]}` with actors like
// `urn:instructure:canvas:user:21070000000000123` (global id = shard × 10^13 +
// local id; the roster shows the local id), and Canvas format
// `{metadata: {event_name, user_id, context_type, context_id, event_time, job_id?, real_user_id?…}, body}`.
//
// Canvas Data Services can sign each event as a JWT ("Sign Payload"); this
// endpoint does NOT verify those signatures and refuses signed payloads (415):
// turn "Sign Payload" off and authenticate with the credential instead.
import type { FastifyRequest } from 'fastify';
import type { App, Services } from '../server/app.ts';
import { HttpError } from '../server/errors.ts';
import { SIGNAL_LIMITS, type SignalKind } from '../../shared/signal.ts';
import {
  canvasLocalId,
  courseFromUrl,
  eventRateKey,
  ingestMapped,
  ingestPrincipal,
  isLmsId,
  isRecord,
  parseTime,
  signalOf,
  stableHash,
  str,
  type EventOutcome,
  type Mapped,
} from './xapi.ts';

export const CALIPER_VERSIONS = {
  'http://purl.imsglobal.org/ctx/caliper/v1p2': '1.2',
  'http://purl.imsglobal.org/ctx/caliper/v1p1': '1.1',
} as const;

const CANVAS_EXT = 'com.instructure.canvas';
const UUID_URN = /^urn:uuid:([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i;

// ---------------------------------------------------------------------------
// Caliper events.

/** Caliper action → kind; a few event types refine it. Unknown actions by a person are presence (page_view). */
const ACTIONS: Record<string, SignalKind | 'ignore'> = {
  LoggedIn: 'login',
  LoggedOut: 'logout',
  TimedOut: 'logout',
  Submitted: 'submission',
  Completed: 'submission',
  Posted: 'discussion_post',
  Commented: 'discussion_post',
  Replied: 'discussion_post',
  Graded: 'ignore', // a teacher's or the system's act on the student's work
};
const IGNORED_TYPES = new Set(['GradeEvent']);

function entityId(v: unknown): string | null {
  if (typeof v === 'string') return v;
  return isRecord(v) ? str(v.id) : null;
}

function canvasExt(v: unknown): Record<string, unknown> {
  if (!isRecord(v) || !isRecord(v.extensions)) return {};
  const e = v.extensions[CANVAS_EXT];
  return isRecord(e) ? e : {};
}

/** An LMS user id from a Caliper actor IRI: Canvas urns give the local id; other IRIs their last segment. */
export function userFromIri(iri: string): string | null {
  const canvas = /^urn:instructure:canvas:user:(\d+)$/.exec(iri);
  if (canvas) return canvasLocalId(canvas[1]);
  if (iri.length > 2048) return null;
  let last: string | undefined;
  if (/^urn:/i.test(iri)) last = iri.split(':').pop();
  else {
    try {
      const u = new URL(iri);
      last = u.pathname.split('/').filter(Boolean).pop();
    } catch {
      return null;
    }
  }
  return last && isLmsId(last) ? last : null;
}

/** A course id from a Caliper group/organization IRI (Canvas course urn, or a CourseOffering's last segment). */
function courseFromIri(iri: string | null, type: unknown): string | null {
  if (!iri) return null;
  const canvas = /^urn:instructure:canvas:course:(\d+)$/.exec(iri);
  if (canvas) return canvasLocalId(canvas[1]);
  if (/^urn:instructure:canvas:/.test(iri)) return null; // a Canvas group or account, not a course
  const fromUrl = courseFromUrl(iri);
  if (fromUrl) return fromUrl;
  if (type === 'CourseOffering') return userFromIri(iri); // same last-segment rule
  return null;
}

function caliperCourse(ev: Record<string, unknown>): string | null {
  const group = isRecord(ev.group) ? ev.group : null;
  if (group) {
    const c = courseFromIri(entityId(group), group.type);
    if (c) return c;
    // A CourseSection points at its CourseOffering.
    const parent = isRecord(group.subOrganizationOf) ? group.subOrganizationOf : null;
    const p = parent ? courseFromIri(entityId(parent), parent.type) : null;
    if (p) return p;
  }
  const m = isRecord(ev.membership) ? ev.membership : null;
  const org = m && isRecord(m.organization) ? m.organization : null;
  const o = org ? courseFromIri(entityId(org), org.type) : null;
  if (o) return o;
  return courseFromUrl(canvasExt(ev).request_url);
}

export function mapCaliperEvent(ev: unknown): Mapped {
  if (!isRecord(ev)) return { ok: false, ignored: false, reason: 'not an event object' };
  const type = str(ev.type);
  const action = str(ev.action);
  if (!type || !action) return { ok: false, ignored: false, reason: 'an event needs a type and an action' };
  const at = parseTime(ev.eventTime);
  if (!at) return { ok: false, ignored: false, reason: 'eventTime is missing or not an ISO 8601 date-time' };
  const actorIri = entityId(ev.actor);
  if (!actorIri) return { ok: false, ignored: false, reason: 'an event needs an actor' };
  const actorType = isRecord(ev.actor) ? ev.actor.type : null;
  if (actorType !== undefined && actorType !== null && actorType !== 'Person') return { ok: false, ignored: true, reason: 'the actor is not a person' };
  if (IGNORED_TYPES.has(type)) return { ok: false, ignored: true, reason: 'not an action of the actor' };
  let kind = ACTIONS[action] ?? 'page_view';
  if (kind === 'ignore') return { ok: false, ignored: true, reason: 'not an action of the actor' };
  if (type === 'SessionEvent' && action !== 'LoggedIn' && action !== 'LoggedOut' && action !== 'TimedOut') kind = 'page_view';
  const user = userFromIri(actorIri);
  if (!user) return { ok: false, ignored: false, reason: 'no LMS user id in the actor' };
  const real = canvasExt(ev).real_user_id ?? canvasExt(ev.actor).real_user_id;
  if (real !== undefined && real !== null && canvasLocalId(real) !== user) return { ok: false, ignored: true, reason: 'done by someone acting as the user' };
  const idm = UUID_URN.exec(str(ev.id) ?? '');
  const id = idm ? `caliper:${idm[1]!.toLowerCase()}` : `caliper:h:${stableHash(ev)}`;
  return signalOf(id, user, caliperCourse(ev), at, kind, 'caliper');
}

// ---------------------------------------------------------------------------
// Canvas format (`{metadata, body}`).

const CANVAS_EVENTS: Record<string, SignalKind | 'ignore'> = {
  logged_in: 'login',
  logged_out: 'logout',
  asset_accessed: 'page_view',
  submission_created: 'submission',
  quiz_submitted: 'submission',
  plagiarism_resubmit: 'submission',
  discussion_entry_created: 'discussion_post',
  discussion_entry_submitted: 'discussion_post',
  discussion_topic_created: 'discussion_post',
  // Done to a student by others, or bookkeeping.
  grade_change: 'ignore',
  grade_override: 'ignore',
  course_grade_change: 'ignore',
  final_grade_custom_status: 'ignore',
  submission_updated: 'ignore', // mostly grading and comments on a submission
  enrollment_created: 'ignore',
  enrollment_updated: 'ignore',
  enrollment_state_created: 'ignore',
  enrollment_state_updated: 'ignore',
  group_membership_created: 'ignore',
  group_membership_updated: 'ignore',
  course_progress: 'ignore',
  course_completed: 'ignore',
  user_account_association_created: 'ignore',
  learning_outcome_result_created: 'ignore',
  learning_outcome_result_updated: 'ignore',
};

export function isCanvasFormat(v: unknown): v is { metadata: Record<string, unknown>; body?: unknown } {
  return isRecord(v) && isRecord(v.metadata) && typeof v.metadata.event_name === 'string';
}

export function mapCanvasEvent(ev: unknown): Mapped {
  if (!isCanvasFormat(ev)) return { ok: false, ignored: false, reason: 'not a Canvas live event' };
  const md = ev.metadata;
  const body = isRecord(ev.body) ? ev.body : {};
  const name = str(md.event_name)!;
  const at = parseTime(md.event_time);
  if (!at) return { ok: false, ignored: false, reason: 'metadata.event_time is missing or not an ISO 8601 date-time' };
  const k = CANVAS_EVENTS[name] ?? 'page_view';
  if (k === 'ignore') return { ok: false, ignored: true, reason: 'not an action of the user' };
  if (md.job_id !== undefined && md.job_id !== null) return { ok: false, ignored: true, reason: 'made by a system job' };
  // Submissions can come from tools (grade passback) with no request user: the body names the student.
  const rawUser = k === 'submission' ? (body.user_id ?? md.user_id) : (md.user_id ?? (k === 'discussion_post' ? body.user_id : undefined));
  const user = canvasLocalId(rawUser);
  if (!user) return { ok: false, ignored: false, reason: 'no Canvas user id' };
  if (md.real_user_id !== undefined && md.real_user_id !== null && canvasLocalId(md.real_user_id) !== user) return { ok: false, ignored: true, reason: 'done by someone acting as the user' };
  let course: string | null = null;
  if (md.context_type === 'Course') course = canvasLocalId(md.context_id);
  else if (md.context_type === undefined || md.context_type === null) course = courseFromUrl(md.url);
  return signalOf(`canvas:${stableHash(ev)}`, user, course, at, k, 'caliper');
}

// ---------------------------------------------------------------------------
// Routes.

const NOT_JSON = Symbol('not json');

export interface CaliperResult extends EventOutcome {
  format: 'caliper' | 'canvas';
  received: number;
}

function looksLikeJwt(v: unknown): boolean {
  const s = Buffer.isBuffer(v) ? v.subarray(0, 200).toString('latin1') : typeof v === 'string' ? v.slice(0, 200) : '';
  return /^\s*"?eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*/.test(s);
}

async function handle(services: Services, req: FastifyRequest): Promise<CaliperResult> {
  const p = req.principal!;
  const body = req.body;
  const ct = String(req.headers['content-type'] ?? '').toLowerCase();
  const jsonType = /^application\/([a-z0-9.+-]*\+)?json\b/.test(ct);
  if (!jsonType || body === NOT_JSON || typeof body === 'string') {
    if (looksLikeJwt((req as FastifyRequest & { rawBodyPeek?: unknown }).rawBodyPeek ?? body)) {
      throw new HttpError(415, 'signed_payload_unsupported', 'this endpoint does not verify Canvas signed (JWT) payloads; turn "Sign Payload" off in the Data Services subscription and authenticate with the credential in the URL');
    }
    throw new HttpError(415, 'not_json', 'send the events as JSON (Content-Type: application/json)');
  }
  if (isCanvasFormat(body)) {
    const outcome = await ingestMapped(services, p.tenant, [mapCanvasEvent(body)]);
    return { format: 'canvas', received: 1, ...outcome };
  }
  if (!isRecord(body)) throw new HttpError(400, 'invalid_envelope', 'send a Caliper envelope {sensor, sendTime, dataVersion, data[]} or a Canvas live event {metadata, body}');
  const missing = ['sensor', 'sendTime', 'dataVersion'].filter((k) => typeof body[k] !== 'string' || (body[k] as string).length === 0 || (body[k] as string).length > 2048);
  if (missing.length || !Array.isArray(body.data)) throw new HttpError(400, 'invalid_envelope', `the Caliper envelope needs ${[...missing, ...(Array.isArray(body.data) ? [] : ['data[]'])].join(', ')}`);
  if (parseTime(body.sendTime) === null) throw new HttpError(400, 'invalid_envelope', 'sendTime must be an ISO 8601 date-time');
  if (!(body.dataVersion as string in CALIPER_VERSIONS)) {
    throw new HttpError(422, 'unsupported_data_version', `dataVersion ${JSON.stringify((body.dataVersion as string).slice(0, 100))} is not supported; send ${Object.keys(CALIPER_VERSIONS).join(' or ')}`);
  }
  const data = body.data as unknown[];
  if (data.length > SIGNAL_LIMITS.maxBatch) throw new HttpError(400, 'too_many_events', `send at most ${SIGNAL_LIMITS.maxBatch} events per envelope`);
  // A Caliper envelope may carry entities ("describes") as well as events; only events (with an action) are signals.
  const mapped = data.map((ev) => (isRecord(ev) && ev.action === undefined && ev.eventTime === undefined ? ({ ok: false, ignored: true, reason: 'an entity, not an event' } as Mapped) : mapCaliperEvent(ev)));
  const outcome = await ingestMapped(services, p.tenant, mapped);
  return { format: 'caliper', received: data.length, ...outcome };
}

function logOutcome(req: FastifyRequest, r: CaliperResult): void {
  if (r.unmapped.length) req.log.info({ caliper: { format: r.format, unmapped: r.unmapped.length, reasons: [...new Set(r.unmapped.map((u) => u.reason))].slice(0, 5) } }, 'events without a signal');
}

export async function caliperModule(app: App, services: Services): Promise<void> {
  await app.register(async (scope) => {
    // Anything that is not JSON reaches the handler (for a clear 415), read within the core's body limit.
    scope.addContentTypeParser('*', { parseAs: 'buffer' }, (req, body, done) => {
      (req as FastifyRequest & { rawBodyPeek?: unknown }).rawBodyPeek = (body as Buffer).subarray(0, 200);
      done(null, NOT_JSON);
    });
    const rateLimit = { keyGenerator: eventRateKey };

    scope.post(
      '/caliper',
      {
        schema: { summary: 'Caliper 1.2 / 1.1 envelope or Canvas live event (Bearer ingest credential)', tags: ['event streams'] },
        config: { ingest: true, rateLimit },
        onRequest: async (req) => {
          await ingestPrincipal(services, req, { basic: false });
        },
      },
      async (req) => {
        const r = await handle(services, req);
        logOutcome(req, r);
        return r;
      },
    );

    // Canvas Data Services' HTTPS delivery sends no Authorization header, so the credential can be part of the URL.
    scope.post(
      '/caliper/:credential',
      {
        schema: { summary: 'The same, with the ingest credential in the URL (Canvas Data Services HTTPS delivery)', tags: ['event streams'], security: [] },
        config: { ingest: true, rateLimit },
        onRequest: async (req) => {
          const t = (req.params as { credential?: string }).credential ?? '';
          await ingestPrincipal(services, req, { basic: false, token: t });
        },
      },
      async (req) => {
        const r = await handle(services, req);
        logOutcome(req, r);
        return r;
      },
    );
  });
}
