// The HTTP API contract. These schemas validate requests on the server,
// generate /openapi.json, and give the extension and dashboard their types.
import { Type, type Static, type TSchema } from 'typebox';
import { LmsId } from './signal.ts';
import {
  CONTACT_METHODS,
  CONTACT_RESULTS,
  FLAG_EVENT_KINDS,
  FLAG_OUTCOMES,
  FLAG_REASONS,
  FLAG_STATES,
  NOTE_MAX_LENGTH,
} from './flags.ts';
import { TIERS } from './policy.ts';

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);

export const API_PREFIX = '/api/v1';

export const ErrorBody = Type.Object({
  error: Type.String({ description: 'machine-readable code' }),
  message: Type.String({ description: 'what went wrong, for a person' }),
  details: Type.Optional(Type.Array(Type.Object({ path: Type.String(), message: Type.String() }))),
});
export type ErrorBody = Static<typeof ErrorBody>;

export const IsoDate = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' });
export const IsoDateTime = Type.String({ format: 'date-time' });

export const Role = Type.Enum(['teacher', 'staff', 'admin', 'ingest'] as const);
export type Role = Static<typeof Role>;

export const Me = Type.Object({
  tenant: Type.String(),
  tenantName: Type.String(),
  lmsKind: Type.String(),
  lmsOrigin: Type.String(),
  role: Role,
  label: Type.String(),
  person: Nullable(Type.String()),
  schools: Type.Array(Type.String()),
  expiresAt: IsoDateTime,
});
export type Me = Static<typeof Me>;

export const Note = Type.String({ maxLength: NOTE_MAX_LENGTH });

export const FlagEvent = Type.Object({
  at: IsoDateTime,
  actor: Type.String(),
  kind: Type.Enum(FLAG_EVENT_KINDS),
  note: Nullable(Type.String()),
  method: Nullable(Type.Enum(CONTACT_METHODS)),
  result: Nullable(Type.Enum(CONTACT_RESULTS)),
  outcome: Nullable(Type.Enum(FLAG_OUTCOMES)),
  assignee: Nullable(Type.String()),
  course: Nullable(Type.String()),
});
export type FlagEvent = Static<typeof FlagEvent>;

export const Flag = Type.Object({
  id: Type.String(),
  student: Type.String({ description: 'the LMS user id' }),
  school: Nullable(Type.String()),
  reason: Type.Enum(FLAG_REASONS),
  state: Type.Enum(FLAG_STATES),
  outcome: Nullable(Type.Enum(FLAG_OUTCOMES)),
  assignee: Nullable(Type.String()),
  courses: Type.Array(Type.String(), { description: 'courses whose teachers raised or joined it' }),
  raisedBy: Type.Array(Type.String()),
  createdAt: IsoDateTime,
  updatedAt: IsoDateTime,
  history: Type.Array(FlagEvent),
});
export type Flag = Static<typeof Flag>;

export const FlagBrief = Type.Object({
  id: Type.String(),
  reason: Type.Enum(FLAG_REASONS),
  state: Type.Enum(FLAG_STATES),
  assignee: Nullable(Type.String()),
  raisedBy: Type.Array(Type.String()),
  createdAt: IsoDateTime,
  updatedAt: IsoDateTime,
  lastEvent: Nullable(FlagEvent),
});
export type FlagBrief = Static<typeof FlagBrief>;

export const RaiseFlag = Type.Object(
  {
    course: LmsId,
    student: LmsId,
    reason: Type.Enum(FLAG_REASONS),
    note: Type.Optional(Note),
    /** Lets an offline client retry a raise without creating it twice. */
    clientRequestId: Type.Optional(Type.String({ minLength: 8, maxLength: 128, pattern: '^[A-Za-z0-9._:~-]+$' })),
  },
  { additionalProperties: false },
);
export type RaiseFlag = Static<typeof RaiseFlag>;

export const RaiseFlagResult = Type.Object({ flag: Flag, joined: Type.Boolean({ description: 'true when an open flag existed and this joined it' }) });
export type RaiseFlagResult = Static<typeof RaiseFlagResult>;

export const FlagActionBody = Type.Union([
  Type.Object({ action: Type.Literal('assign'), assignee: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })), note: Type.Optional(Note) }, { additionalProperties: false }),
  Type.Object({ action: Type.Literal('contact'), method: Type.Enum(CONTACT_METHODS), result: Type.Enum(CONTACT_RESULTS), note: Type.Optional(Note) }, { additionalProperties: false }),
  Type.Object({ action: Type.Literal('note'), note: Type.String({ minLength: 1, maxLength: NOTE_MAX_LENGTH }) }, { additionalProperties: false }),
  Type.Object({ action: Type.Literal('resolve'), outcome: Type.Enum(FLAG_OUTCOMES), note: Type.Optional(Note) }, { additionalProperties: false }),
  Type.Object({ action: Type.Literal('reopen'), note: Type.Optional(Note) }, { additionalProperties: false }),
]);
export type FlagActionBody = Static<typeof FlagActionBody>;

export const FlagListQuery = Type.Object(
  {
    school: Type.Optional(Type.String({ maxLength: 64 })),
    course: Type.Optional(Type.String({ maxLength: 64 })),
    student: Type.Optional(Type.String({ maxLength: 64 })),
    state: Type.Optional(Type.Union([Type.Enum(FLAG_STATES), Type.Literal('active')], { description: 'active = not resolved' })),
    reason: Type.Optional(Type.Enum(FLAG_REASONS)),
    assignee: Type.Optional(Type.String({ maxLength: 200 })),
    raisedBy: Type.Optional(Type.String({ maxLength: 200 })),
    olderThanDays: Type.Optional(Type.Integer({ minimum: 0, maximum: 3650 })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
    offset: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
  },
  { additionalProperties: false },
);
export type FlagListQuery = Static<typeof FlagListQuery>;

export const FlagList = Type.Object({ flags: Type.Array(Flag), total: Type.Integer() });
export type FlagList = Static<typeof FlagList>;

export const HEADLINES = ['never_logged_in', 'not_seen', 'chronic', 'absent_today', 'partial_today', 'present_today', 'no_school_today', 'not_enrolled'] as const;

/** One roster row's status: what a badge and its detail view need, and no names. */
export const StudentStatus = Type.Object({
  user: Type.String({ description: 'the LMS user id, as on the roster page' }),
  headline: Type.Enum(HEADLINES),
  today: Type.Object({
    date: IsoDate,
    state: Type.Enum(['present', 'partial', 'absent', 'not_school_day', 'not_enrolled'] as const),
    engagedMinutes: Type.Integer(),
    submitted: Type.Boolean(),
    liveSession: Type.Boolean(),
  }),
  neverLoggedIn: Type.Boolean(),
  lastSeenAt: Nullable(IsoDateTime),
  schoolDaysSinceSeen: Nullable(Type.Integer()),
  daysEnrolled: Type.Integer(),
  daysPresent: Type.Integer(),
  daysPartial: Type.Integer(),
  daysAbsent: Type.Integer(),
  absenceRate: Type.Number(),
  tier: Type.Enum(TIERS),
  flag: Nullable(FlagBrief),
});
export type StudentStatus = Static<typeof StudentStatus>;

export const RosterStatus = Type.Object({
  course: Type.String(),
  today: IsoDate,
  schoolDay: Type.Boolean(),
  generatedAt: IsoDateTime,
  rule: Type.Enum(['engaged_half_day', 'logged_in'] as const),
  notSeenAlertDays: Type.Integer(),
  counts: Type.Record(Type.String(), Type.Integer(), { description: 'students per headline, plus "flagged"' }),
  students: Type.Array(StudentStatus),
});
export type RosterStatus = Static<typeof RosterStatus>;

export const CourseParams = Type.Object({ courseId: LmsId });
export const FlagParams = Type.Object({ flagId: Type.String({ minLength: 1, maxLength: 64 }) });

export const Health = Type.Object({ ok: Type.Boolean(), store: Type.String(), version: Type.String() });
