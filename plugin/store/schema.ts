// Table shapes as Kysely sees them. Every primary key leads with the tenant so
// a deployment can distribute by tenant without a schema change. Times are
// epoch milliseconds, days are days since 1970-01-01 in the tenant's zone.


export interface TenantRow {
  id: string;
  name: string;
  lms_kind: string;
  lms_origin: string;
  time_zone: string;
  policy: string; // JSON Policy
  config_version: number;
  summary_version: number;
  created_at: number;
}

export interface SchoolRow {
  tenant: string;
  id: string;
  name: string;
}

export interface PersonRow {
  tenant: string;
  id: string; // the LMS's native user id
  sis_id: string | null;
  lti_sub: string | null;
  role: string; // student | teacher | administrator | aide | guardian | ...
  given_name: string | null;
  family_name: string | null;
  grade: string | null;
  school: string | null;
  groups: string | null; // JSON string[]
  updated_at: number;
}

export interface CourseRow {
  tenant: string;
  id: string; // the LMS's native course (section) id
  sis_id: string | null;
  title: string | null;
  school: string | null;
  updated_at: number;
}

export interface EnrollmentRow {
  tenant: string;
  course: string;
  person: string;
  role: string; // student | teacher
  start_day: number | null;
  end_day: number | null;
  source: string; // oneroster | lti
  updated_at: number;
}

export interface CalendarRow {
  tenant: string;
  start_day: number | null;
  end_day: number | null;
  default_minutes: number;
  overrides: string; // JSON [day, minutes][]
  updated_at: number;
}

export interface CredentialRow {
  id: string;
  tenant: string;
  role: string;
  label: string;
  person: string | null;
  schools: string; // JSON string[]
  courses: string; // JSON string[] (credentials scoped by an LTI launch)
  secret_hash: string;
  created_at: number;
  expires_at: number;
  revoked_at: number | null;
}

export interface SignalSeenRow {
  tenant: string;
  id: string;
  received_at: number;
}

/** Acknowledged batches not yet folded into rollups. */
export interface InboxRow {
  tenant: string;
  id: string; // time-ordered
  received_at: number;
  items: string; // JSON of IngestItem tuples
  count: number;
}

export interface RollupRow {
  tenant: string;
  course: string; // '' when the signal named no course
  user: string;
  day: number;
  engaged_s: number;
  signals: number;
  logins: number;
  page_views: number;
  heartbeats: number;
  submissions: number;
  posts: number;
  live: number;
  check_ins: number;
  logouts: number;
  first_at: number;
  last_at: number;
}

/** Per course and day: how many students were active, present, partial, and their engaged time (teachers excluded). */
export interface CourseDayRow {
  tenant: string;
  course: string;
  day: number;
  active: number;
  present: number;
  partial: number;
  engaged_s: number;
}

export interface SummaryRow {
  tenant: string;
  course: string;
  user: string;
  present_days: number;
  partial_days: number;
  first_at: number;
  last_at: number;
  last_day: number;
}

export interface FlagRow {
  tenant: string;
  id: string;
  student: string;
  school: string | null;
  reason: string;
  state: string;
  outcome: string | null;
  assignee: string | null;
  created_at: number;
  updated_at: number;
  version: number;
}

export interface FlagRaiserRow {
  tenant: string;
  flag: string;
  course: string;
  teacher: string;
  at: number;
}

export interface FlagEventRow {
  tenant: string;
  flag: string;
  seq: number;
  at: number;
  actor: string;
  kind: string;
  note: string | null;
  method: string | null;
  result: string | null;
  outcome: string | null;
  assignee: string | null;
  course: string | null;
}

export interface FlagRequestRow {
  tenant: string;
  client_request_id: string;
  flag: string;
  at: number;
}

export interface AuditRow {
  tenant: string;
  id: string; // time-ordered
  at: number;
  actor: string;
  action: string;
  target: string;
  detail: string | null;
}

export interface MigrationRow {
  id: string;
  applied_at: number;
}

export interface Database {
  tenants: TenantRow;
  schools: SchoolRow;
  people: PersonRow;
  courses: CourseRow;
  enrollments: EnrollmentRow;
  calendars: CalendarRow;
  credentials: CredentialRow;
  signal_seen: SignalSeenRow;
  inbox: InboxRow;
  rollups: RollupRow;
  summaries: SummaryRow;
  course_days: CourseDayRow;
  flags: FlagRow;
  flag_raisers: FlagRaiserRow;
  flag_events: FlagEventRow;
  flag_requests: FlagRequestRow;
  audit: AuditRow;
  rl_migrations: MigrationRow;
}

