// The one storage interface. Both engines (embedded SQLite, PostgreSQL) are
// served by SqlStore through Kysely, so they share one code path and one test suite.
import type { Calendar } from '../../shared/calendar.ts';
import type { Policy } from '../../shared/policy.ts';
import type { DayFacts } from '../../shared/status.ts';
import type { SignalKind } from '../../shared/signal.ts';

export type Engine = 'sqlite' | 'postgres';

export interface Tenant {
  id: string;
  name: string;
  lmsKind: LmsKind;
  lmsOrigin: string;
  timeZone: string;
  policy: Policy;
  configVersion: number;
  createdAt: number;
}
export const LMS_KINDS = ['canvas', 'schoology', 'moodle', 'classroom'] as const;
export type LmsKind = (typeof LMS_KINDS)[number];

export type CredentialRole = 'teacher' | 'staff' | 'admin' | 'ingest' | 'beacon';
export interface Credential {
  id: string;
  tenant: string;
  role: CredentialRole;
  label: string;
  person: string | null;
  schools: string[];
  courses: string[];
  secretHash: string;
  createdAt: number;
  expiresAt: number;
  revokedAt: number | null;
}

export interface School { id: string; name: string }
export interface Person {
  id: string;
  sisId: string | null;
  ltiSub: string | null;
  role: string;
  givenName: string | null;
  familyName: string | null;
  grade: string | null;
  school: string | null;
  groups: string[];
}
export interface Course { id: string; sisId: string | null; title: string | null; school: string | null }
export interface Enrollment { course: string; person: string; role: 'student' | 'teacher'; startDay: number | null; endDay: number | null }

/** A whole roster to apply at once; rows are upserted by id, so applying twice changes nothing. */
export interface RosterChanges {
  schools: School[];
  people: Person[];
  courses: Course[];
  enrollments: Enrollment[];
  source: 'oneroster' | 'lti';
}
export interface RosterCounts { schools: number; people: number; courses: number; enrollments: number }

/** One signal ready to store: tenant-scoped, clock-corrected, its local day known. */
export interface IngestItem {
  id: string;
  course: string; // '' when none
  user: string;
  day: number;
  at: number;
  kind: SignalKind;
  activeMs: number;
}

/** Given a day's facts before and after new signals, how the present/partial counts move. */
export type DayClassifier = (course: string, day: number, before: DayFacts, after: DayFacts) => { present: number; partial: number };

export interface RosterRow {
  user: string;
  startDay: number | null;
  endDay: number | null;
  presentDays: number | null;
  partialDays: number | null;
  /** The first signal in this course (epoch ms), null when never seen. */
  firstAt?: number | null;
  lastAt: number | null;
  lastDay: number | null;
  today: DayFacts | null;
}

export interface FlagRecord {
  id: string;
  student: string;
  school: string | null;
  reason: string;
  state: string;
  outcome: string | null;
  assignee: string | null;
  createdAt: number;
  updatedAt: number;
  version: number;
  raisers: { course: string; teacher: string; at: number }[];
  events: FlagEventRecord[];
}
export interface FlagEventRecord {
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

export interface RaiseInput {
  newId: string;
  student: string;
  school: string | null;
  reason: string;
  course: string;
  teacher: string;
  actor: string;
  note: string | null;
  at: number;
  clientRequestId: string | null;
}

export interface FlagScope {
  /** Only flags of students in these schools (staff). */
  schools?: string[];
  /** Only flags of students enrolled in these courses (teachers). */
  studentCourses?: string[];
}
export interface FlagFilter {
  school?: string;
  course?: string;
  student?: string;
  state?: string; // a state, or 'active' = not resolved
  reason?: string;
  assignee?: string;
  raisedBy?: string;
  createdBefore?: number;
  limit: number;
  offset: number;
}

export interface FlagUpdate {
  state: string;
  outcome: string | null;
  assignee: string | null;
  event: Omit<FlagEventRecord, 'seq'>;
}

export interface AuditEntry { tenant: string; at: number; actor: string; action: string; target: string; detail: string | null }

export interface TenantSummary {
  schools: number;
  courses: number;
  students: number;
  teachers: number;
  enrollments: number;
  activeStudentsToday: number;
  signalsToday: number;
  unknownCourses: { count: number; sample: string[] };
  unknownUsers: { count: number; sample: string[] };
  flagsByState: Record<string, number>;
  credentials: Record<string, number>;
}

export interface Store {
  readonly engine: Engine;
  close(): Promise<void>;

  createTenant(t: Omit<Tenant, 'configVersion' | 'createdAt'>, now: number): Promise<Tenant>;
  getTenant(id: string): Promise<Tenant | null>;
  listTenants(): Promise<Tenant[]>;
  setPolicy(tenant: string, policy: Policy): Promise<void>;
  getCalendar(tenant: string): Promise<Calendar | null>;
  setCalendar(tenant: string, cal: Calendar, now: number): Promise<void>;

  applyRoster(tenant: string, changes: RosterChanges, now: number): Promise<RosterCounts>;
  getCourse(tenant: string, id: string): Promise<Course | null>;
  getPerson(tenant: string, id: string): Promise<Person | null>;
  coursesTaughtBy(tenant: string, person: string): Promise<string[]>;
  teaches(tenant: string, person: string, course: string): Promise<boolean>;
  isEnrolled(tenant: string, student: string, course: string): Promise<boolean>;

  insertCredential(c: Credential): Promise<void>;
  getCredential(id: string): Promise<Credential | null>;
  revokeCredential(id: string, now: number): Promise<boolean>;
  listCredentials(tenant: string): Promise<Credential[]>;

  /** Durably keeps an acknowledged batch; `drainInbox` folds it into rollups. */
  appendInbox(tenant: string, items: IngestItem[], receivedAt: number): Promise<void>;
  /** Tenants with batches waiting, oldest first. */
  inboxTenants(limit: number): Promise<string[]>;
  /**
   * Folds up to `maxSignals` waiting signals of these tenants into rollups and
   * summaries, deduplicating by signal id, and removes their batches — all in
   * one transaction. Safe to run from several servers at once.
   */
  drainInbox(classifiers: Map<string, DayClassifier>, maxSignals: number): Promise<{ batches: number; signals: number; stored: number; duplicates: number }>;
  /** Folds signals straight into rollups (seeding and imports; the HTTP path uses the inbox). */
  ingest(tenant: string, items: IngestItem[], receivedAt: number, classify: DayClassifier): Promise<{ stored: Set<string>; duplicates: Set<string> }>;
  /** Forgets ids of live signals received before this time (imported rows, `import:…`, are kept). */
  pruneSeen(receivedBefore: number): Promise<number>;
  rosterRows(tenant: string, course: string, today: number): Promise<RosterRow[]>;
  /** Recompute every present/partial count from rollups, after a policy or calendar change. */
  rebuildSummaries(tenant: string, classify: DayClassifier): Promise<number>;

  raiseFlag(tenant: string, input: RaiseInput): Promise<{ flag: FlagRecord; joined: boolean; replayed: boolean }>;
  getFlag(tenant: string, id: string): Promise<FlagRecord | null>;
  /** Flags of these students that are not resolved, or were resolved after `resolvedSince`. */
  recentFlagsOf(tenant: string, students: string[], resolvedSince: number): Promise<FlagRecord[]>;
  listFlags(tenant: string, filter: FlagFilter, scope: FlagScope): Promise<{ flags: FlagRecord[]; total: number }>;
  /** Applies the update only if the flag is still at `version`; false means someone else moved it first. */
  updateFlag(tenant: string, id: string, version: number, update: FlagUpdate): Promise<boolean>;

  appendAudit(entries: AuditEntry[]): Promise<void>;
  readAudit(tenant: string, from: number, to: number): AsyncIterable<AuditEntry & { id: string }>;
  tenantSummary(tenant: string, today: number): Promise<TenantSummary>;
}
