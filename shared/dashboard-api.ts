// The attendance dashboard's HTTP contract (under /api/v1/dashboard). The same
// schemas validate requests on the server and type the dashboard UI. Every
// endpoint takes the dashboard's session cookie or a bearer credential.
import { Type, type Static, type TSchema } from 'typebox';
import { Flag, FlagEvent, IsoDate, IsoDateTime } from './api.ts';
import { FLAG_OUTCOMES, FLAG_REASONS, FLAG_STATES, NOTE_MAX_LENGTH } from './flags.ts';
import { TIERS } from './policy.ts';

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const Ref = Type.String({ minLength: 1, maxLength: 64 });

export const DASHBOARD_API = '/api/v1/dashboard';
/** Header that carries the session's CSRF token on every state-changing request made with the cookie. */
export const CSRF_HEADER = 'x-rl-csrf';

// ---- session ----

export const SignInBody = Type.Union([
  Type.Object({ token: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false }),
  Type.Object({ code: Type.String({ minLength: 20, maxLength: 100, pattern: '^[A-Za-z0-9_-]+$', description: 'a one-time code from an LTI launch' }) }, { additionalProperties: false }),
]);
export type SignInBody = Static<typeof SignInBody>;

export const NamedRef = Type.Object({ id: Type.String(), name: Type.String() });
export type NamedRef = Static<typeof NamedRef>;

export const DashSession = Type.Object({
  tenant: Type.String(),
  tenantName: Type.String(),
  role: Type.Enum(['staff', 'admin'] as const),
  label: Type.String(),
  schools: Type.Array(NamedRef, { description: 'the schools this person works; every school for an admin' }),
  allSchools: Type.Boolean(),
  csrfToken: Type.String({ description: `send it back in the ${CSRF_HEADER} header on POST/PUT/DELETE` }),
  expiresAt: IsoDateTime,
  via: Type.Enum(['token', 'lti', 'bearer'] as const),
});
export type DashSession = Static<typeof DashSession>;

export const DashMeta = Type.Object({
  today: IsoDate,
  notSeenAlertDays: Type.Integer(),
  schools: Type.Array(NamedRef),
  courses: Type.Array(Type.Object({ id: Type.String(), title: Type.String(), school: Nullable(Type.String()) })),
  grades: Type.Array(Type.String()),
  groups: Type.Array(Type.String()),
  staff: Type.Array(Type.String(), { description: 'labels of staff who may be assigned cases' }),
});
export type DashMeta = Static<typeof DashMeta>;

// ---- queue ----

export const QUEUE_SORTS = ['oldest', 'newest', 'updated', 'student', 'school', 'state'] as const;
export type QueueSort = (typeof QUEUE_SORTS)[number];

export const QueueQuery = Type.Object(
  {
    school: Type.Optional(Ref),
    grade: Type.Optional(Type.String({ minLength: 1, maxLength: 16 })),
    course: Type.Optional(Ref),
    reason: Type.Optional(Type.Enum(FLAG_REASONS)),
    state: Type.Optional(Type.Union([Type.Enum(FLAG_STATES), Type.Enum(['active', 'all'] as const)], { default: 'active' })),
    assignee: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: '"me", "none" (unassigned) or a staff label' })),
    minAgeDays: Type.Optional(Type.Integer({ minimum: 0, maximum: 3650, description: 'raised at least this many days ago' })),
    maxAgeDays: Type.Optional(Type.Integer({ minimum: 0, maximum: 3650, description: 'raised at most this many days ago' })),
    q: Type.Optional(Type.String({ maxLength: 100, description: 'student name, LMS id or SIS id' })),
    sort: Type.Optional(Type.Enum(QUEUE_SORTS, { default: 'oldest' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
    offset: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
  },
  { additionalProperties: false },
);
export type QueueQuery = Static<typeof QueueQuery>;

export const QueueRow = Type.Object({
  flagId: Type.String(),
  student: Type.String(),
  studentName: Nullable(Type.String()),
  sisId: Nullable(Type.String()),
  grade: Nullable(Type.String()),
  school: Nullable(Type.String()),
  schoolName: Nullable(Type.String()),
  reason: Type.Enum(FLAG_REASONS),
  state: Type.Enum(FLAG_STATES),
  outcome: Nullable(Type.Enum(FLAG_OUTCOMES)),
  assignee: Nullable(Type.String()),
  courses: Type.Array(NamedRef),
  raisedBy: Type.Array(Type.String()),
  createdAt: IsoDateTime,
  updatedAt: IsoDateTime,
  ageDays: Type.Integer(),
  contacts: Type.Integer({ description: 'contact attempts logged' }),
  lastEvent: Nullable(FlagEvent),
});
export type QueueRow = Static<typeof QueueRow>;

export const QueueResult = Type.Object({ rows: Type.Array(QueueRow), total: Type.Integer(), limit: Type.Integer(), offset: Type.Integer() });
export type QueueResult = Static<typeof QueueResult>;

export const BulkAssignBody = Type.Object(
  {
    flagIds: Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { minItems: 1, maxItems: 200 }),
    assignee: Type.String({ minLength: 1, maxLength: 200, description: '"me" or a staff label' }),
    note: Type.Optional(Type.String({ maxLength: NOTE_MAX_LENGTH })),
  },
  { additionalProperties: false },
);
export type BulkAssignBody = Static<typeof BulkAssignBody>;

export const BulkAssignResult = Type.Object({
  results: Type.Array(Type.Object({ flagId: Type.String(), ok: Type.Boolean(), state: Nullable(Type.Enum(FLAG_STATES)), error: Nullable(Type.String()) })),
});
export type BulkAssignResult = Static<typeof BulkAssignResult>;

// ---- case view ----

export const StudentParams = Type.Object({ studentId: Ref });

export const CaseCourse = Type.Object({
  id: Type.String(),
  title: Nullable(Type.String()),
  school: Nullable(Type.String()),
  headline: Type.String(),
  todayState: Type.String(),
  todayEngagedMinutes: Type.Integer(),
  neverLoggedIn: Type.Boolean(),
  lastSeenAt: Nullable(IsoDateTime),
  schoolDaysSinceSeen: Nullable(Type.Integer()),
  daysEnrolled: Type.Integer(),
  daysPresent: Type.Integer(),
  daysPartial: Type.Integer(),
  daysAbsent: Type.Integer(),
  absenceRate: Type.Number(),
  tier: Type.Enum(TIERS),
});
export type CaseCourse = Static<typeof CaseCourse>;

export const CaseView = Type.Object({
  student: Type.Object({
    id: Type.String(),
    sisId: Nullable(Type.String()),
    name: Nullable(Type.String()),
    grade: Nullable(Type.String()),
    school: Nullable(Type.String()),
    schoolName: Nullable(Type.String()),
  }),
  today: IsoDate,
  courses: Type.Array(CaseCourse),
  flags: Type.Array(Flag),
});
export type CaseView = Static<typeof CaseView>;

// ---- lists ----

export const ListQuery = Type.Object(
  {
    school: Type.Optional(Ref),
    course: Type.Optional(Ref),
    grade: Type.Optional(Type.String({ minLength: 1, maxLength: 16 })),
    days: Type.Optional(Type.Integer({ minimum: 1, maximum: 180, description: 'not seen: school days without a signal in any course (default: the policy’s alert days)' })),
    includeNever: Type.Optional(Type.Boolean({ description: 'not seen: also list students never seen at all' })),
    tier: Type.Optional(Type.Enum(TIERS, { description: 'chronic: only this tier (default: moderate and severe)' })),
    format: Type.Optional(Type.Enum(['json', 'csv'] as const, { default: 'json' })),
  },
  { additionalProperties: false },
);
export type ListQuery = Static<typeof ListQuery>;

export const LIST_KINDS = ['never-logged-in', 'not-seen', 'chronic'] as const;
export type ListKind = (typeof LIST_KINDS)[number];
export const ListParams = Type.Object({ list: Type.Enum(LIST_KINDS) });

export const StudentCols = {
  student: Type.String(),
  sisId: Nullable(Type.String()),
  name: Nullable(Type.String()),
  grade: Nullable(Type.String()),
  school: Nullable(Type.String()),
  schoolName: Nullable(Type.String()),
};

export const NeverLoggedInRow = Type.Object({
  ...StudentCols,
  course: Type.String(),
  courseTitle: Nullable(Type.String()),
  enrolledSince: Nullable(IsoDate),
  schoolDaysEnrolled: Type.Integer(),
});
export type NeverLoggedInRow = Static<typeof NeverLoggedInRow>;

export const NotSeenRow = Type.Object({
  ...StudentCols,
  lastSeenAt: Nullable(IsoDateTime),
  schoolDaysSinceSeen: Nullable(Type.Integer({ description: 'null: never seen' })),
  courses: Type.Integer(),
});
export type NotSeenRow = Static<typeof NotSeenRow>;

export const ChronicRow = Type.Object({
  ...StudentCols,
  daysEnrolled: Type.Integer(),
  absenceRate: Type.Number(),
  tier: Type.Enum(TIERS),
  worstCourse: Nullable(Type.String()),
  worstCourseRate: Nullable(Type.Number()),
});
export type ChronicRow = Static<typeof ChronicRow>;

export const ListResult = Type.Object({
  list: Type.Enum(LIST_KINDS),
  today: IsoDate,
  days: Nullable(Type.Integer()),
  total: Type.Integer(),
  rows: Type.Array(Type.Union([NeverLoggedInRow, NotSeenRow, ChronicRow])),
});
export type ListResult = Static<typeof ListResult>;

// ---- picture ----

export const PictureQuery = Type.Object(
  { school: Type.Optional(Ref), weeks: Type.Optional(Type.Integer({ minimum: 2, maximum: 26, default: 8 })) },
  { additionalProperties: false },
);
export type PictureQuery = Static<typeof PictureQuery>;

export const GroupStat = Type.Object({
  key: Type.String(),
  label: Type.String(),
  students: Type.Integer(),
  neverLoggedIn: Type.Integer(),
  notSeen: Type.Integer(),
  atRisk: Type.Integer(),
  chronic: Type.Integer({ description: 'moderate or severe chronic absence' }),
  chronicRate: Type.Number(),
  attendanceRate: Type.Number({ description: 'days attended / school days enrolled, partial days weighted by policy' }),
  openFlags: Type.Integer(),
});
export type GroupStat = Static<typeof GroupStat>;

export const TrendWeek = Type.Object({
  weekStart: IsoDate,
  studentDays: Type.Integer({ description: 'enrolled student × course × school days' }),
  attendanceRate: Nullable(Type.Number()),
  engagementRate: Nullable(Type.Number({ description: 'share of student-course-days with any activity' })),
  avgEngagedMinutes: Nullable(Type.Number()),
});
export type TrendWeek = Static<typeof TrendWeek>;

export const BrightSpot = Type.Object({
  kind: Type.Enum(['course', 'school'] as const),
  id: Type.String(),
  label: Type.String(),
  school: Nullable(Type.String()),
  engagementRate: Type.Number({ description: 'the latest complete week' }),
  previousRate: Nullable(Type.Number()),
  change: Nullable(Type.Number()),
  studentDays: Type.Integer(),
});
export type BrightSpot = Static<typeof BrightSpot>;

export const Picture = Type.Object({
  today: IsoDate,
  notSeenDays: Type.Integer(),
  totals: GroupStat,
  bySchool: Type.Array(GroupStat),
  byGrade: Type.Array(GroupStat),
  byGroup: Type.Array(GroupStat),
  weeks: Type.Array(TrendWeek),
  brightSpots: Type.Object({ highest: Type.Array(BrightSpot), improved: Type.Array(BrightSpot) }),
});
export type Picture = Static<typeof Picture>;

// ---- notifications (admin) ----

export const Recipient = Type.Object(
  {
    email: Type.String({ minLength: 3, maxLength: 254, pattern: '^[^\\s@<>",;]+@[^\\s@<>",;]+$' }),
    schools: Nullable(Type.Array(Ref, { maxItems: 500, description: 'null: every school' })),
  },
  { additionalProperties: false },
);
export type Recipient = Static<typeof Recipient>;

export const NotifySettings = Type.Object({
  webhookUrl: Nullable(Type.String()),
  webhookSecretSet: Type.Boolean(),
  smtpUrl: Nullable(Type.String({ description: 'password masked' })),
  mailFrom: Nullable(Type.String()),
  recipients: Type.Array(Recipient),
  onNewFlag: Type.Boolean(),
  digest: Type.Boolean(),
  digestHour: Type.Integer(),
  lastDigestDate: Nullable(IsoDate),
});
export type NotifySettings = Static<typeof NotifySettings>;

export const NotifySettingsBody = Type.Object(
  {
    webhookUrl: Type.Optional(Nullable(Type.String({ maxLength: 2000, pattern: '^https?://' }))),
    /** Omit to keep the current secret; null to remove it. */
    webhookSecret: Type.Optional(Nullable(Type.String({ minLength: 16, maxLength: 200 }))),
    smtpUrl: Type.Optional(Nullable(Type.String({ maxLength: 2000, pattern: '^smtps?://' }))),
    mailFrom: Type.Optional(Nullable(Type.String({ maxLength: 254 }))),
    recipients: Type.Optional(Type.Array(Recipient, { maxItems: 200 })),
    onNewFlag: Type.Optional(Type.Boolean()),
    digest: Type.Optional(Type.Boolean()),
    digestHour: Type.Optional(Type.Integer({ minimum: 0, maximum: 23 })),
  },
  { additionalProperties: false },
);
export type NotifySettingsBody = Static<typeof NotifySettingsBody>;

export const NotifyTestBody = Type.Object({ kind: Type.Enum(['email', 'webhook', 'digest'] as const) }, { additionalProperties: false });
export type NotifyTestBody = Static<typeof NotifyTestBody>;

export const NotifyTestResult = Type.Object({
  deliveries: Type.Array(Type.Object({ channel: Type.String(), target: Type.String(), ok: Type.Boolean(), error: Nullable(Type.String()) })),
});
export type NotifyTestResult = Static<typeof NotifyTestResult>;

export const Ok = Type.Object({ ok: Type.Boolean() });
