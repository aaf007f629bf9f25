// The store over Kysely: one code path for the embedded SQLite engine and for
// PostgreSQL. Where the two SQL dialects differ (min/max of two values, row
// locks) the difference is one small function here.
import { randomBytes } from 'node:crypto';
import { sql, type Kysely, type Transaction, type Expression, type SqlBool } from 'kysely';
import type { Calendar } from '../../shared/calendar.ts';
import { DEFAULT_POLICY, type Policy } from '../../shared/policy.ts';
import type { DayFacts } from '../../shared/status.ts';
import type { Database, FlagEventRow, FlagRow, RollupRow, TenantRow, CredentialRow, PersonRow } from './schema.ts';
import type {
  AuditEntry,
  Course,
  Credential,
  CredentialRole,
  DayClassifier,
  Engine,
  FlagFilter,
  FlagRecord,
  FlagScope,
  FlagUpdate,
  IngestItem,
  LmsKind,
  Person,
  RaiseInput,
  RosterChanges,
  RosterCounts,
  RosterRow,
  Store,
  Tenant,
  TenantSummary,
} from './store.ts';

type Db = Kysely<Database>;
type Tx = Transaction<Database> | Db;

// A whole ingest batch (1000 signals × 16 columns) fits one statement, well
// under SQLite's (32,766) and PostgreSQL's (65,535) bound-parameter limits.
const CHUNK = 1000;
function* chunks<T>(items: T[], size = CHUNK): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}

const KIND_COLUMN = {
  login: 'logins',
  page_view: 'page_views',
  heartbeat: 'heartbeats',
  submission: 'submissions',
  discussion_post: 'posts',
  live_session: 'live',
  check_in: 'check_ins',
  logout: 'logouts',
} as const;

type Counters = Omit<RollupRow, 'tenant' | 'course' | 'user' | 'day' | 'first_at' | 'last_at'>;
const COUNTER_COLUMNS = ['engaged_s', 'signals', 'logins', 'page_views', 'heartbeats', 'submissions', 'posts', 'live', 'check_ins', 'logouts'] as const;

function factsOf(r: Counters): DayFacts {
  return { engagedSeconds: r.engaged_s, signals: r.signals, submissions: r.submissions, liveSessions: r.live, checkIns: r.check_ins };
}

function tenantFrom(r: TenantRow): Tenant {
  return {
    id: r.id,
    name: r.name,
    lmsKind: r.lms_kind as LmsKind,
    lmsOrigin: r.lms_origin,
    timeZone: r.time_zone,
    policy: { ...DEFAULT_POLICY, ...(JSON.parse(r.policy) as Partial<Policy>) },
    configVersion: Number(r.config_version),
    createdAt: Number(r.created_at),
  };
}

function credentialFrom(r: CredentialRow): Credential {
  return {
    id: r.id,
    tenant: r.tenant,
    role: r.role as CredentialRole,
    label: r.label,
    person: r.person,
    schools: JSON.parse(r.schools) as string[],
    courses: JSON.parse(r.courses) as string[],
    secretHash: r.secret_hash,
    createdAt: Number(r.created_at),
    expiresAt: Number(r.expires_at),
    revokedAt: r.revoked_at === null ? null : Number(r.revoked_at),
  };
}

function personFrom(r: PersonRow): Person {
  return {
    id: r.id,
    sisId: r.sis_id,
    ltiSub: r.lti_sub,
    role: r.role,
    givenName: r.given_name,
    familyName: r.family_name,
    grade: r.grade,
    school: r.school,
    groups: r.groups ? (JSON.parse(r.groups) as string[]) : [],
  };
}

function auditId(at: number): string {
  return `${at.toString(36).padStart(9, '0')}${randomBytes(6).toString('hex')}`;
}

export class SqlStore implements Store {
  constructor(
    readonly db: Db,
    readonly engine: Engine,
    private readonly onClose: () => Promise<void> = async () => {},
    /** Where acknowledged batches wait: the main database unless it is a separate file. */
    readonly inboxDb: Db = db,
    /** The embedded store's folder, so a drain process can open its own connections. */
    readonly dataDir: string | null = null,
    /** PostgreSQL's address, for the same reason. */
    readonly databaseUrl: string | null = null,
  ) {}

  async close(): Promise<void> {
    await this.db.destroy();
    if (this.inboxDb !== this.db) await this.inboxDb.destroy();
    await this.onClose();
  }

  private least(a: Expression<number>, b: Expression<number>) {
    return this.engine === 'postgres' ? sql<number>`LEAST(${a}, ${b})` : sql<number>`MIN(${a}, ${b})`;
  }
  private greatest(a: Expression<number>, b: Expression<number>) {
    return this.engine === 'postgres' ? sql<number>`GREATEST(${a}, ${b})` : sql<number>`MAX(${a}, ${b})`;
  }

  // ---- tenants, policy, calendar ----

  async createTenant(t: Omit<Tenant, 'configVersion' | 'createdAt'>, now: number): Promise<Tenant> {
    const row: TenantRow = {
      id: t.id,
      name: t.name,
      lms_kind: t.lmsKind,
      lms_origin: t.lmsOrigin,
      time_zone: t.timeZone,
      policy: JSON.stringify(t.policy),
      config_version: 1,
      summary_version: 1,
      created_at: now,
    };
    await this.db.insertInto('tenants').values(row).execute();
    return tenantFrom(row);
  }

  async getTenant(id: string): Promise<Tenant | null> {
    const r = await this.db.selectFrom('tenants').selectAll().where('id', '=', id).executeTakeFirst();
    return r ? tenantFrom(r) : null;
  }

  async listTenants(): Promise<Tenant[]> {
    return (await this.db.selectFrom('tenants').selectAll().orderBy('id').execute()).map(tenantFrom);
  }

  async setPolicy(tenant: string, policy: Policy): Promise<void> {
    await this.db
      .updateTable('tenants')
      .set((eb) => ({ policy: JSON.stringify(policy), config_version: eb('config_version', '+', 1) }))
      .where('id', '=', tenant)
      .execute();
  }

  async getCalendar(tenant: string): Promise<Calendar | null> {
    const r = await this.db.selectFrom('calendars').selectAll().where('tenant', '=', tenant).executeTakeFirst();
    if (!r) return null;
    return {
      start: r.start_day,
      end: r.end_day,
      defaultMinutes: r.default_minutes,
      overrides: new Map(JSON.parse(r.overrides) as [number, number][]),
    };
  }

  async setCalendar(tenant: string, cal: Calendar, now: number): Promise<void> {
    const row = {
      tenant,
      start_day: cal.start,
      end_day: cal.end,
      default_minutes: cal.defaultMinutes,
      overrides: JSON.stringify([...cal.overrides].sort((a, b) => a[0] - b[0])),
      updated_at: now,
    };
    await this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('calendars')
        .values(row)
        .onConflict((oc) => oc.column('tenant').doUpdateSet({ start_day: row.start_day, end_day: row.end_day, default_minutes: row.default_minutes, overrides: row.overrides, updated_at: now }))
        .execute();
      await trx.updateTable('tenants').set((eb) => ({ config_version: eb('config_version', '+', 1) })).where('id', '=', tenant).execute();
    });
  }

  // ---- roster ----

  async applyRoster(tenant: string, ch: RosterChanges, now: number): Promise<RosterCounts> {
    await this.db.transaction().execute(async (trx) => {
      for (const part of chunks(ch.schools)) {
        await trx
          .insertInto('schools')
          .values(part.map((s) => ({ tenant, id: s.id, name: s.name })))
          .onConflict((oc) => oc.columns(['tenant', 'id']).doUpdateSet({ name: (eb) => eb.ref('excluded.name') }))
          .execute();
      }
      for (const part of chunks(ch.people)) {
        await trx
          .insertInto('people')
          .values(
            part.map((p) => ({
              tenant,
              id: p.id,
              sis_id: p.sisId,
              lti_sub: p.ltiSub,
              role: p.role,
              given_name: p.givenName,
              family_name: p.familyName,
              grade: p.grade,
              school: p.school,
              groups: p.groups.length ? JSON.stringify(p.groups) : null,
              updated_at: now,
            })),
          )
          .onConflict((oc) =>
            oc.columns(['tenant', 'id']).doUpdateSet((eb) => ({
              // A source that doesn't know a field (LTI knows no grade) keeps what another source said.
              sis_id: sql`COALESCE(${eb.ref('excluded.sis_id')}, ${eb.ref('people.sis_id')})`,
              lti_sub: sql`COALESCE(${eb.ref('excluded.lti_sub')}, ${eb.ref('people.lti_sub')})`,
              role: eb.ref('excluded.role'),
              given_name: sql`COALESCE(${eb.ref('excluded.given_name')}, ${eb.ref('people.given_name')})`,
              family_name: sql`COALESCE(${eb.ref('excluded.family_name')}, ${eb.ref('people.family_name')})`,
              grade: sql`COALESCE(${eb.ref('excluded.grade')}, ${eb.ref('people.grade')})`,
              school: sql`COALESCE(${eb.ref('excluded.school')}, ${eb.ref('people.school')})`,
              groups: sql`COALESCE(${eb.ref('excluded.groups')}, ${eb.ref('people.groups')})`,
              updated_at: eb.ref('excluded.updated_at'),
            })),
          )
          .execute();
      }
      for (const part of chunks(ch.courses)) {
        await trx
          .insertInto('courses')
          .values(part.map((c) => ({ tenant, id: c.id, sis_id: c.sisId, title: c.title, school: c.school, updated_at: now })))
          .onConflict((oc) =>
            oc.columns(['tenant', 'id']).doUpdateSet((eb) => ({
              sis_id: sql`COALESCE(${eb.ref('excluded.sis_id')}, ${eb.ref('courses.sis_id')})`,
              title: sql`COALESCE(${eb.ref('excluded.title')}, ${eb.ref('courses.title')})`,
              school: sql`COALESCE(${eb.ref('excluded.school')}, ${eb.ref('courses.school')})`,
              updated_at: eb.ref('excluded.updated_at'),
            })),
          )
          .execute();
      }
      for (const part of chunks(ch.enrollments)) {
        await trx
          .insertInto('enrollments')
          .values(part.map((e) => ({ tenant, course: e.course, person: e.person, role: e.role, start_day: e.startDay, end_day: e.endDay, source: ch.source, updated_at: now })))
          .onConflict((oc) =>
            oc.columns(['tenant', 'course', 'role', 'person']).doUpdateSet((eb) => ({
              start_day: eb.ref('excluded.start_day'),
              end_day: eb.ref('excluded.end_day'),
              source: eb.ref('excluded.source'),
              updated_at: eb.ref('excluded.updated_at'),
            })),
          )
          .execute();
      }
    });
    return { schools: ch.schools.length, people: ch.people.length, courses: ch.courses.length, enrollments: ch.enrollments.length };
  }

  async getCourse(tenant: string, id: string): Promise<Course | null> {
    const r = await this.db.selectFrom('courses').select(['id', 'sis_id', 'title', 'school']).where('tenant', '=', tenant).where('id', '=', id).executeTakeFirst();
    return r ? { id: r.id, sisId: r.sis_id, title: r.title, school: r.school } : null;
  }

  async getPerson(tenant: string, id: string): Promise<Person | null> {
    const r = await this.db.selectFrom('people').selectAll().where('tenant', '=', tenant).where('id', '=', id).executeTakeFirst();
    return r ? personFrom(r) : null;
  }

  async coursesTaughtBy(tenant: string, person: string): Promise<string[]> {
    const rows = await this.db
      .selectFrom('enrollments')
      .select('course')
      .where('tenant', '=', tenant)
      .where('person', '=', person)
      .where('role', '=', 'teacher')
      .execute();
    return rows.map((r) => r.course);
  }

  async teaches(tenant: string, person: string, course: string): Promise<boolean> {
    const r = await this.db
      .selectFrom('enrollments')
      .select('person')
      .where('tenant', '=', tenant)
      .where('course', '=', course)
      .where('role', '=', 'teacher')
      .where('person', '=', person)
      .executeTakeFirst();
    return r !== undefined;
  }

  async isEnrolled(tenant: string, student: string, course: string): Promise<boolean> {
    const r = await this.db
      .selectFrom('enrollments')
      .select('person')
      .where('tenant', '=', tenant)
      .where('course', '=', course)
      .where('role', '=', 'student')
      .where('person', '=', student)
      .executeTakeFirst();
    return r !== undefined;
  }

  // ---- credentials ----

  async insertCredential(c: Credential): Promise<void> {
    await this.db
      .insertInto('credentials')
      .values({
        id: c.id,
        tenant: c.tenant,
        role: c.role,
        label: c.label,
        person: c.person,
        schools: JSON.stringify(c.schools),
        courses: JSON.stringify(c.courses),
        secret_hash: c.secretHash,
        created_at: c.createdAt,
        expires_at: c.expiresAt,
        revoked_at: c.revokedAt,
      })
      .execute();
  }

  async getCredential(id: string): Promise<Credential | null> {
    const r = await this.db.selectFrom('credentials').selectAll().where('id', '=', id).executeTakeFirst();
    return r ? credentialFrom(r) : null;
  }

  async revokeCredential(id: string, now: number): Promise<boolean> {
    const r = await this.db.updateTable('credentials').set({ revoked_at: now }).where('id', '=', id).where('revoked_at', 'is', null).executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async listCredentials(tenant: string): Promise<Credential[]> {
    return (await this.db.selectFrom('credentials').selectAll().where('tenant', '=', tenant).orderBy('created_at').execute()).map(credentialFrom);
  }

  // ---- signals ----

  async ingest(tenant: string, items: IngestItem[], receivedAt: number, classify: DayClassifier) {
    return this.db.transaction().execute((trx) => this.foldIn(trx, tenant, items, receivedAt, classify));
  }

  /** Dedupe by id, then fold the new signals into rollups and summaries, inside the caller's transaction. */
  private async foldIn(trx: Tx, tenant: string, items: IngestItem[], receivedAt: number, classify: DayClassifier) {
    const stored = new Set<string>();
    const duplicates = new Set<string>();
    // A batch may carry the same id twice; only its first copy can be new.
    const unique = new Map<string, IngestItem>();
    for (const it of items) {
      if (unique.has(it.id)) duplicates.add(it.id);
      else unique.set(it.id, it);
    }
    const fresh: IngestItem[] = [];
    for (const part of chunks([...unique.values()])) {
      const inserted = await trx
        .insertInto('signal_seen')
        .values(part.map((it) => ({ tenant, id: it.id, received_at: receivedAt })))
        .onConflict((oc) => oc.columns(['tenant', 'id']).doNothing())
        .returning('id')
        .execute();
      const got = new Set(inserted.map((r) => r.id));
      for (const it of part) {
        if (got.has(it.id)) {
          stored.add(it.id);
          fresh.push(it);
        } else duplicates.add(it.id);
      }
    }
    if (fresh.length) await this.applyToRollups(trx, tenant, fresh, classify);
    return { stored, duplicates };
  }

  /**
   * Batches arriving together are written in one transaction: each caller is
   * still answered only after its batch is durable, but concurrent requests
   * share one commit (one fsync) instead of paying for one each.
   */
  appendInbox(tenant: string, items: IngestItem[], receivedAt: number): Promise<void> {
    // Tuples, not objects: the inbox row is written on every request and read once.
    const tuples = items.map((it) => [it.id, it.course, it.user, it.day, it.at, it.kind, it.activeMs]);
    const row: InboxBatch = { tenant, id: auditId(receivedAt), received_at: receivedAt, items: JSON.stringify(tuples), count: items.length };
    return new Promise((resolve, reject) => {
      this.inboxPending.push({ row, resolve, reject });
      if (this.inboxPending.length === 1) setImmediate(() => void this.flushInbox());
    });
  }

  private inboxPending: { row: InboxBatch; resolve: () => void; reject: (e: unknown) => void }[] = [];
  private inboxFlushing: Promise<void> = Promise.resolve();

  private async flushInbox(): Promise<void> {
    // One commit at a time; whatever arrives meanwhile goes into the next one.
    await this.inboxFlushing;
    const batch = this.inboxPending.splice(0);
    if (!batch.length) return;
    this.inboxFlushing = (async () => {
      try {
        const rows = batch.map((b) => b.row);
        let bytes = 0;
        let part: InboxBatch[] = [];
        const parts: InboxBatch[][] = [];
        for (const r of rows) {
          if (part.length && (bytes + r.items.length > 8_000_000 || part.length >= 200)) {
            parts.push(part);
            part = [];
            bytes = 0;
          }
          part.push(r);
          bytes += r.items.length;
        }
        parts.push(part);
        await this.inboxDb.transaction().execute(async (trx) => {
          for (const p of parts) await trx.insertInto('inbox').values(p).execute();
        });
        for (const b of batch) b.resolve();
      } catch (e) {
        for (const b of batch) b.reject(e);
      }
    })();
    await this.inboxFlushing;
    if (this.inboxPending.length) void this.flushInbox();
  }

  async inboxTenants(limit: number): Promise<string[]> {
    const rows = await this.inboxDb.selectFrom('inbox').select('tenant').groupBy('tenant').orderBy((eb) => eb.fn.min('received_at')).limit(limit).execute();
    return rows.map((r) => r.tenant);
  }

  async drainInbox(classifiers: Map<string, DayClassifier>, maxSignals: number) {
    const tenants = [...classifiers.keys()];
    if (!tenants.length) return { batches: 0, signals: 0, stored: 0, duplicates: 0 };
    if (this.inboxDb === this.db) {
      // One transaction claims, folds and removes; several servers each claim batches the others have not.
      return this.db.transaction().execute(async (trx) => {
        let q = trx.selectFrom('inbox').select(['tenant', 'id', 'received_at', 'items', 'count']).where('tenant', 'in', tenants).orderBy('received_at').orderBy('id').limit(2000);
        if (this.engine === 'postgres') q = q.forUpdate().skipLocked();
        const claimed = takeUpTo(await q.execute(), maxSignals);
        const r = await this.foldBatches(trx, claimed, classifiers);
        await this.deleteBatches(trx, claimed);
        return r;
      });
    }
    // The inbox is another file: fold and commit first, then remove. A crash in
    // between folds the batches again, and the dedupe by signal id absorbs that.
    const claimed = takeUpTo(
      await this.inboxDb.selectFrom('inbox').select(['tenant', 'id', 'received_at', 'items', 'count']).where('tenant', 'in', tenants).orderBy('received_at').orderBy('id').limit(2000).execute(),
      maxSignals,
    );
    if (!claimed.length) return { batches: 0, signals: 0, stored: 0, duplicates: 0 };
    const r = await this.db.transaction().execute((trx) => this.foldBatches(trx, claimed, classifiers));
    await this.deleteBatches(this.inboxDb, claimed);
    return r;
  }

  private async foldBatches(trx: Tx, claimed: InboxBatch[], classifiers: Map<string, DayClassifier>) {
    let signals = 0;
    let stored = 0;
    let duplicates = 0;
    const byTenant = new Map<string, { items: IngestItem[]; receivedAt: number }>();
    for (const r of claimed) {
      signals += r.count;
      const entry = byTenant.get(r.tenant) ?? { items: [], receivedAt: Number(r.received_at) };
      for (const [id, course, user, day, at, kind, activeMs] of JSON.parse(r.items) as [string, string, string, number, number, IngestItem['kind'], number][]) {
        entry.items.push({ id, course, user, day, at, kind, activeMs });
      }
      entry.receivedAt = Math.max(entry.receivedAt, Number(r.received_at));
      byTenant.set(r.tenant, entry);
    }
    for (const [tenant, { items, receivedAt }] of byTenant) {
      const r = await this.foldIn(trx, tenant, items, receivedAt, classifiers.get(tenant)!);
      stored += r.stored.size;
      duplicates += items.length - r.stored.size;
    }
    return { batches: claimed.length, signals, stored, duplicates };
  }

  private async deleteBatches(db: Tx, claimed: InboxBatch[]) {
    const idsByTenant = new Map<string, string[]>();
    for (const r of claimed) idsByTenant.set(r.tenant, [...(idsByTenant.get(r.tenant) ?? []), r.id]);
    for (const [tenant, ids] of idsByTenant) for (const part of chunks(ids)) await db.deleteFrom('inbox').where('tenant', '=', tenant).where('id', 'in', part).execute();
  }

  private async applyToRollups(trx: Tx, tenant: string, fresh: IngestItem[], classify: DayClassifier): Promise<void> {
    type Delta = RollupRow;
    const deltas = new Map<string, Delta>();
    for (const it of fresh) {
      const key = `${it.course}\u0000${it.user}\u0000${it.day}`;
      let d = deltas.get(key);
      if (!d) {
        d = { tenant, course: it.course, user: it.user, day: it.day, engaged_s: 0, signals: 0, logins: 0, page_views: 0, heartbeats: 0, submissions: 0, posts: 0, live: 0, check_ins: 0, logouts: 0, first_at: it.at, last_at: it.at };
        deltas.set(key, d);
      }
      d.signals += 1;
      d[KIND_COLUMN[it.kind]] += 1;
      d.engaged_s += it.activeMs / 1000;
      if (it.at < d.first_at) d.first_at = it.at;
      if (it.at > d.last_at) d.last_at = it.at;
    }
    // Engaged time is stored in whole seconds; rounding per rollup, not per signal, loses at most half a second a day.
    for (const d of deltas.values()) d.engaged_s = Math.round(d.engaged_s);

    type Sum = { course: string; user: string; present: number; partial: number; first: number; last: number; lastDay: number };
    const sums = new Map<string, Sum>();
    type CourseDay = { course: string; day: number; active: number; present: number; partial: number; engaged: number };
    const courseDays = new Map<string, CourseDay>();
    // Teachers' own visits to their course are not student activity.
    const teachers = await this.teachersOf(trx, tenant, [...new Set([...deltas.values()].map((d) => d.course))]);
    for (const part of chunks([...deltas.values()])) {
      const after = await trx
        .insertInto('rollups')
        .values(part)
        .onConflict((oc) =>
          oc.columns(['tenant', 'course', 'user', 'day']).doUpdateSet((eb) => {
            const set: Record<string, unknown> = {};
            for (const c of COUNTER_COLUMNS) set[c] = eb(eb.ref(`rollups.${c}`), '+', eb.ref(`excluded.${c}`));
            set.first_at = this.least(eb.ref('rollups.first_at'), eb.ref('excluded.first_at'));
            set.last_at = this.greatest(eb.ref('rollups.last_at'), eb.ref('excluded.last_at'));
            return set as never;
          }),
        )
        .returning(['course', 'user', 'day', ...COUNTER_COLUMNS])
        .execute();
      for (const a of after) {
        const d = deltas.get(`${a.course}\u0000${a.user}\u0000${a.day}`)!;
        const before: Counters = { ...a } as Counters;
        for (const c of COUNTER_COLUMNS) before[c] = Number(a[c]) - d[c];
        const change = classify(a.course, Number(a.day), factsOf(before), factsOf(a as Counters));
        const skey = `${a.course}\u0000${a.user}`;
        let s = sums.get(skey);
        if (!s) {
          s = { course: a.course, user: a.user, present: 0, partial: 0, first: d.first_at, last: d.last_at, lastDay: d.day };
          sums.set(skey, s);
        }
        s.present += change.present;
        s.partial += change.partial;
        if (a.course !== '' && !teachers.has(`${a.course}\u0000${a.user}`)) {
          const ckey = `${a.course}\u0000${a.day}`;
          let cd = courseDays.get(ckey);
          if (!cd) {
            cd = { course: a.course, day: Number(a.day), active: 0, present: 0, partial: 0, engaged: 0 };
            courseDays.set(ckey, cd);
          }
          cd.active += before.signals === 0 && Number(a.signals) > 0 ? 1 : 0;
          cd.present += change.present;
          cd.partial += change.partial;
          cd.engaged += d.engaged_s;
        }
        s.first = Math.min(s.first, d.first_at);
        s.last = Math.max(s.last, d.last_at);
        s.lastDay = Math.max(s.lastDay, d.day);
      }
    }

    for (const part of chunks([...sums.values()])) {
      await trx
        .insertInto('summaries')
        .values(part.map((s) => ({ tenant, course: s.course, user: s.user, present_days: s.present, partial_days: s.partial, first_at: s.first, last_at: s.last, last_day: s.lastDay })))
        .onConflict((oc) =>
          oc.columns(['tenant', 'course', 'user']).doUpdateSet((eb) => ({
            present_days: eb(eb.ref('summaries.present_days'), '+', eb.ref('excluded.present_days')),
            partial_days: eb(eb.ref('summaries.partial_days'), '+', eb.ref('excluded.partial_days')),
            first_at: this.least(eb.ref('summaries.first_at'), eb.ref('excluded.first_at')),
            last_at: this.greatest(eb.ref('summaries.last_at'), eb.ref('excluded.last_at')),
            last_day: this.greatest(eb.ref('summaries.last_day'), eb.ref('excluded.last_day')),
          })),
        )
        .execute();
    }
    await this.addCourseDays(trx, tenant, [...courseDays.values()]);
  }

  private async teachersOf(trx: Tx, tenant: string, courses: string[]): Promise<Set<string>> {
    const out = new Set<string>();
    for (const part of chunks(courses.filter((c) => c !== ''))) {
      const rows = await trx.selectFrom('enrollments').select(['course', 'person']).where('tenant', '=', tenant).where('course', 'in', part).where('role', '=', 'teacher').execute();
      for (const r of rows) out.add(`${r.course}\u0000${r.person}`);
    }
    return out;
  }

  private async addCourseDays(trx: Tx, tenant: string, rows: { course: string; day: number; active: number; present: number; partial: number; engaged: number }[]): Promise<void> {
    for (const part of chunks(rows)) {
      await trx
        .insertInto('course_days')
        .values(part.map((c) => ({ tenant, course: c.course, day: c.day, active: c.active, present: c.present, partial: c.partial, engaged_s: c.engaged })))
        .onConflict((oc) =>
          oc.columns(['tenant', 'course', 'day']).doUpdateSet((eb) => ({
            active: eb(eb.ref('course_days.active'), '+', eb.ref('excluded.active')),
            present: eb(eb.ref('course_days.present'), '+', eb.ref('excluded.present')),
            partial: eb(eb.ref('course_days.partial'), '+', eb.ref('excluded.partial')),
            engaged_s: eb(eb.ref('course_days.engaged_s'), '+', eb.ref('excluded.engaged_s')),
          })),
        )
        .execute();
    }
  }

  async pruneSeen(receivedBefore: number): Promise<number> {
    // Imported rows may be imported again months later (an overlapping report); their ids are kept for good.
    const r = await this.db.deleteFrom('signal_seen').where('received_at', '<', receivedBefore).where('id', 'not like', 'import:%').executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  async rosterRows(tenant: string, course: string, today: number): Promise<RosterRow[]> {
    const rows = await this.db
      .selectFrom('enrollments as e')
      .leftJoin('summaries as s', (j) => j.onRef('s.tenant', '=', 'e.tenant').onRef('s.course', '=', 'e.course').onRef('s.user', '=', 'e.person'))
      .leftJoin('rollups as r', (j) =>
        j.onRef('r.tenant', '=', 'e.tenant').onRef('r.course', '=', 'e.course').onRef('r.user', '=', 'e.person').on('r.day', '=', today),
      )
      .select([
        'e.person',
        'e.start_day',
        'e.end_day',
        's.present_days',
        's.partial_days',
        's.first_at',
        's.last_at',
        's.last_day',
        'r.engaged_s',
        'r.signals',
        'r.submissions',
        'r.live',
        'r.check_ins',
      ])
      .where('e.tenant', '=', tenant)
      .where('e.course', '=', course)
      .where('e.role', '=', 'student')
      .execute();
    return rows.map((r) => ({
      user: r.person,
      startDay: r.start_day,
      endDay: r.end_day,
      presentDays: r.present_days,
      partialDays: r.partial_days,
      firstAt: r.first_at === null ? null : Number(r.first_at),
      lastAt: r.last_at === null ? null : Number(r.last_at),
      lastDay: r.last_day,
      today:
        r.signals === null
          ? null
          : { engagedSeconds: r.engaged_s ?? 0, signals: r.signals, submissions: r.submissions ?? 0, liveSessions: r.live ?? 0, checkIns: r.check_ins ?? 0 },
    }));
  }

  async rebuildSummaries(tenant: string, classify: DayClassifier): Promise<number> {
    let n = 0;
    await this.db.transaction().execute(async (trx) => {
      const counts = new Map<string, { present: number; partial: number }>();
      const teachers = new Set((await trx.selectFrom('enrollments').select(['course', 'person']).where('tenant', '=', tenant).where('role', '=', 'teacher').execute()).map((r) => `${r.course}\u0000${r.person}`));
      const courseDays = new Map<string, { course: string; day: number; active: number; present: number; partial: number; engaged: number }>();
      // Stream in key order so memory holds one page of rollups, not a year of them.
      let after: { course: string; user: string; day: number } | null = null;
      for (;;) {
        let q = trx
          .selectFrom('rollups')
          .select(['course', 'user', 'day', ...COUNTER_COLUMNS])
          .where('tenant', '=', tenant)
          .orderBy('course')
          .orderBy('user')
          .orderBy('day')
          .limit(5000);
        if (after) {
          const a = after;
          q = q.where((eb) =>
            eb.or([
              eb('course', '>', a.course),
              eb.and([eb('course', '=', a.course), eb('user', '>', a.user)]),
              eb.and([eb('course', '=', a.course), eb('user', '=', a.user), eb('day', '>', a.day)]),
            ]),
          );
        }
        const page = await q.execute();
        if (!page.length) break;
        for (const r of page) {
          const c = classify(r.course, r.day, factsOf({ engaged_s: 0, signals: 0, logins: 0, page_views: 0, heartbeats: 0, submissions: 0, posts: 0, live: 0, check_ins: 0, logouts: 0 }), factsOf(r as Counters));
          const key = `${r.course}\u0000${r.user}`;
          const s = counts.get(key) ?? { present: 0, partial: 0 };
          s.present += c.present;
          s.partial += c.partial;
          counts.set(key, s);
          if (r.course !== '' && !teachers.has(key) && r.signals > 0) {
            const ckey = `${r.course}\u0000${r.day}`;
            const cd = courseDays.get(ckey) ?? { course: r.course, day: r.day, active: 0, present: 0, partial: 0, engaged: 0 };
            cd.active += 1;
            cd.present += c.present;
            cd.partial += c.partial;
            cd.engaged += r.engaged_s;
            courseDays.set(ckey, cd);
          }
        }
        const last = page[page.length - 1]!;
        after = { course: last.course, user: last.user, day: last.day };
      }
      for (const [key, c] of counts) {
        const [course, user] = key.split('\u0000') as [string, string];
        await trx
          .updateTable('summaries')
          .set({ present_days: c.present, partial_days: c.partial })
          .where('tenant', '=', tenant)
          .where('course', '=', course)
          .where('user', '=', user)
          .execute();
        n++;
      }
      await trx.deleteFrom('course_days').where('tenant', '=', tenant).execute();
      await this.addCourseDays(trx, tenant, [...courseDays.values()]);
    });
    return n;
  }

  // ---- flags ----

  private async loadFlags(trx: Tx, tenant: string, rows: FlagRow[]): Promise<FlagRecord[]> {
    if (!rows.length) return [];
    const ids = rows.map((r) => r.id);
    const raisers: { flag: string; course: string; teacher: string; at: number }[] = [];
    const events: FlagEventRow[] = [];
    for (const part of chunks(ids)) {
      raisers.push(...(await trx.selectFrom('flag_raisers').select(['flag', 'course', 'teacher', 'at']).where('tenant', '=', tenant).where('flag', 'in', part).orderBy('at').execute()));
      events.push(...(await trx.selectFrom('flag_events').selectAll().where('tenant', '=', tenant).where('flag', 'in', part).orderBy('flag').orderBy('seq').execute()));
    }
    return rows.map((r) => ({
      id: r.id,
      student: r.student,
      school: r.school,
      reason: r.reason,
      state: r.state,
      outcome: r.outcome,
      assignee: r.assignee,
      createdAt: Number(r.created_at),
      updatedAt: Number(r.updated_at),
      version: r.version,
      raisers: raisers.filter((x) => x.flag === r.id).map((x) => ({ course: x.course, teacher: x.teacher, at: Number(x.at) })),
      events: events
        .filter((e) => e.flag === r.id)
        .map((e) => ({ seq: e.seq, at: Number(e.at), actor: e.actor, kind: e.kind, note: e.note, method: e.method, result: e.result, outcome: e.outcome, assignee: e.assignee, course: e.course })),
    }));
  }

  private async nextSeq(trx: Tx, tenant: string, flag: string): Promise<number> {
    const r = await trx.selectFrom('flag_events').select((eb) => eb.fn.max('seq').as('m')).where('tenant', '=', tenant).where('flag', '=', flag).executeTakeFirst();
    return Number(r?.m ?? 0) + 1;
  }

  async raiseFlag(tenant: string, input: RaiseInput): Promise<{ flag: FlagRecord; joined: boolean; replayed: boolean }> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.db.transaction().execute(async (trx) => {
          if (input.clientRequestId) {
            const prior = await trx.selectFrom('flag_requests').select('flag').where('tenant', '=', tenant).where('client_request_id', '=', input.clientRequestId).executeTakeFirst();
            if (prior) {
              const flag = (await this.getFlagIn(trx, tenant, prior.flag))!;
              return { flag, joined: false, replayed: true };
            }
          }
          const open = await trx
            .selectFrom('flags')
            .selectAll()
            .where('tenant', '=', tenant)
            .where('student', '=', input.student)
            .where('reason', '=', input.reason)
            .where('state', '<>', 'resolved')
            .executeTakeFirst();
          let flagId: string;
          let joined: boolean;
          if (open) {
            flagId = open.id;
            joined = true;
            const moved = await trx
              .updateTable('flags')
              .set({ updated_at: input.at, version: open.version + 1 })
              .where('tenant', '=', tenant)
              .where('id', '=', open.id)
              .where('version', '=', open.version)
              .executeTakeFirst();
            if (Number(moved.numUpdatedRows) !== 1) throw new ConflictRetry();
          } else {
            flagId = input.newId;
            joined = false;
            await trx
              .insertInto('flags')
              .values({ tenant, id: flagId, student: input.student, school: input.school, reason: input.reason, state: 'open', outcome: null, assignee: null, created_at: input.at, updated_at: input.at, version: 1 })
              .execute();
          }
          await trx
            .insertInto('flag_raisers')
            .values({ tenant, flag: flagId, course: input.course, teacher: input.teacher, at: input.at })
            .onConflict((oc) => oc.columns(['tenant', 'flag', 'course', 'teacher']).doNothing())
            .execute();
          await trx
            .insertInto('flag_events')
            .values({
              tenant,
              flag: flagId,
              seq: await this.nextSeq(trx, tenant, flagId),
              at: input.at,
              actor: input.actor,
              kind: joined ? 'joined' : 'raised',
              note: input.note,
              method: null,
              result: null,
              outcome: null,
              assignee: null,
              course: input.course,
            })
            .execute();
          if (input.clientRequestId) {
            await trx.insertInto('flag_requests').values({ tenant, client_request_id: input.clientRequestId, flag: flagId, at: input.at }).execute();
          }
          return { flag: (await this.getFlagIn(trx, tenant, flagId))!, joined, replayed: false };
        });
      } catch (e) {
        // Two teachers raising at once: one insert loses the unique race and retries as a join.
        if (attempt < 3 && (e instanceof ConflictRetry || isUniqueViolation(e))) continue;
        throw e;
      }
    }
  }

  private async getFlagIn(trx: Tx, tenant: string, id: string): Promise<FlagRecord | null> {
    const r = await trx.selectFrom('flags').selectAll().where('tenant', '=', tenant).where('id', '=', id).executeTakeFirst();
    if (!r) return null;
    return (await this.loadFlags(trx, tenant, [r]))[0]!;
  }

  getFlag(tenant: string, id: string): Promise<FlagRecord | null> {
    return this.getFlagIn(this.db, tenant, id);
  }

  async recentFlagsOf(tenant: string, students: string[], resolvedSince: number): Promise<FlagRecord[]> {
    const rows: FlagRow[] = [];
    for (const part of chunks(students)) {
      rows.push(
        ...(await this.db
          .selectFrom('flags')
          .selectAll()
          .where('tenant', '=', tenant)
          .where('student', 'in', part)
          .where((eb) => eb.or([eb('state', '<>', 'resolved'), eb('updated_at', '>=', resolvedSince)]))
          .execute()),
      );
    }
    return this.loadFlags(this.db, tenant, rows);
  }

  async listFlags(tenant: string, f: FlagFilter, scope: FlagScope): Promise<{ flags: FlagRecord[]; total: number }> {
    let q = this.db.selectFrom('flags').where('flags.tenant', '=', tenant);
    if (scope.schools) q = scope.schools.length ? q.where('flags.school', 'in', scope.schools) : q.where(sql<SqlBool>`1 = 0`);
    if (scope.studentCourses) {
      const courses = scope.studentCourses;
      q = courses.length
        ? q.where('flags.student', 'in', (eb) =>
            eb.selectFrom('enrollments').select('person').where('enrollments.tenant', '=', tenant).where('enrollments.role', '=', 'student').where('enrollments.course', 'in', courses),
          )
        : q.where(sql<SqlBool>`1 = 0`);
    }
    if (f.school) q = q.where('flags.school', '=', f.school);
    if (f.student) q = q.where('flags.student', '=', f.student);
    if (f.state === 'active') q = q.where('flags.state', '<>', 'resolved');
    else if (f.state) q = q.where('flags.state', '=', f.state);
    if (f.reason) q = q.where('flags.reason', '=', f.reason);
    if (f.assignee) q = q.where('flags.assignee', '=', f.assignee);
    if (f.createdBefore !== undefined) q = q.where('flags.created_at', '<', f.createdBefore);
    if (f.course) {
      const course = f.course;
      q = q.where('flags.id', 'in', (eb) => eb.selectFrom('flag_raisers').select('flag').where('flag_raisers.tenant', '=', tenant).where('flag_raisers.course', '=', course));
    }
    if (f.raisedBy) {
      const by = f.raisedBy;
      q = q.where('flags.id', 'in', (eb) => eb.selectFrom('flag_raisers').select('flag').where('flag_raisers.tenant', '=', tenant).where('flag_raisers.teacher', '=', by));
    }
    const total = await q.select((eb) => eb.fn.countAll().as('n')).executeTakeFirst();
    const rows = await q.selectAll('flags').orderBy('flags.created_at', 'desc').orderBy('flags.id').limit(f.limit).offset(f.offset).execute();
    return { flags: await this.loadFlags(this.db, tenant, rows), total: Number(total?.n ?? 0) };
  }

  async updateFlag(tenant: string, id: string, version: number, u: FlagUpdate): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const moved = await trx
        .updateTable('flags')
        .set({ state: u.state, outcome: u.outcome, assignee: u.assignee, updated_at: u.event.at, version: version + 1 })
        .where('tenant', '=', tenant)
        .where('id', '=', id)
        .where('version', '=', version)
        .executeTakeFirst();
      if (Number(moved.numUpdatedRows) !== 1) return false;
      await trx.insertInto('flag_events').values({ tenant, flag: id, seq: await this.nextSeq(trx, tenant, id), ...u.event }).execute();
      return true;
    });
  }

  // ---- audit ----

  /**
   * Audit entries are durable against a crash of the server, not against a
   * power cut: every read of student status writes one, and an fsync per read
   * would cost more than the read. The changes they describe (flags, rosters,
   * credentials) are fully durable in their own tables; any later commit
   * makes these durable too.
   */
  async appendAudit(entries: AuditEntry[]): Promise<void> {
    if (!entries.length) return;
    const rows = entries.map((e) => ({ tenant: e.tenant, id: auditId(e.at), at: e.at, actor: e.actor, action: e.action, target: e.target, detail: e.detail }));
    if (this.engine === 'postgres') {
      await this.db.transaction().execute(async (trx) => {
        await sql`SET LOCAL synchronous_commit = off`.execute(trx);
        for (const part of chunks(rows)) await trx.insertInto('audit').values(part).execute();
      });
      return;
    }
    // One connection holds the pragma change and the insert, so no other statement runs in between.
    await this.db.connection().execute(async (conn) => {
      await sql`PRAGMA synchronous = NORMAL`.execute(conn);
      try {
        for (const part of chunks(rows)) await conn.insertInto('audit').values(part).execute();
      } finally {
        await sql`PRAGMA synchronous = FULL`.execute(conn);
      }
    });
  }

  async *readAudit(tenant: string, from: number, to: number): AsyncIterable<AuditEntry & { id: string }> {
    let after = '';
    for (;;) {
      const page = await this.db
        .selectFrom('audit')
        .selectAll()
        .where('tenant', '=', tenant)
        .where('at', '>=', from)
        .where('at', '<', to)
        .where('id', '>', after)
        .orderBy('id')
        .limit(1000)
        .execute();
      for (const r of page) yield { tenant: r.tenant, id: r.id, at: Number(r.at), actor: r.actor, action: r.action, target: r.target, detail: r.detail };
      if (page.length < 1000) return;
      after = page[page.length - 1]!.id;
    }
  }

  async tenantSummary(tenant: string, today: number): Promise<TenantSummary> {
    const count = async (table: 'schools' | 'courses') =>
      Number((await this.db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).where('tenant', '=', tenant).executeTakeFirst())?.n ?? 0);
    const people = await this.db.selectFrom('people').select(['role', (eb) => eb.fn.countAll().as('n')]).where('tenant', '=', tenant).groupBy('role').execute();
    const byRole = Object.fromEntries(people.map((r) => [r.role, Number(r.n)]));
    const enrollments = Number((await this.db.selectFrom('enrollments').select((eb) => eb.fn.countAll().as('n')).where('tenant', '=', tenant).executeTakeFirst())?.n ?? 0);
    const todayRow = await this.db
      .selectFrom('rollups')
      .select([(eb) => eb.fn.count('user').distinct().as('users'), (eb) => eb.fn.sum<number>('signals').as('signals')])
      .where('tenant', '=', tenant)
      .where('day', '=', today)
      .executeTakeFirst();
    const unknownCourses = await this.db
      .selectFrom('summaries as s')
      .select('s.course')
      .distinct()
      .where('s.tenant', '=', tenant)
      .where('s.course', '<>', '')
      .where(({ not, exists, selectFrom }) => not(exists(selectFrom('courses as c').select('c.id').whereRef('c.tenant', '=', 's.tenant').whereRef('c.id', '=', 's.course'))))
      .limit(1001)
      .execute();
    const unknownUsers = await this.db
      .selectFrom('summaries as s')
      .select('s.user')
      .distinct()
      .where('s.tenant', '=', tenant)
      .where(({ not, exists, selectFrom }) => not(exists(selectFrom('people as p').select('p.id').whereRef('p.tenant', '=', 's.tenant').whereRef('p.id', '=', 's.user'))))
      .limit(1001)
      .execute();
    const flags = await this.db.selectFrom('flags').select(['state', (eb) => eb.fn.countAll().as('n')]).where('tenant', '=', tenant).groupBy('state').execute();
    const creds = await this.db
      .selectFrom('credentials')
      .select(['role', (eb) => eb.fn.countAll().as('n')])
      .where('tenant', '=', tenant)
      .where('revoked_at', 'is', null)
      .groupBy('role')
      .execute();
    return {
      schools: await count('schools'),
      courses: await count('courses'),
      students: byRole.student ?? 0,
      teachers: byRole.teacher ?? 0,
      enrollments,
      activeStudentsToday: Number(todayRow?.users ?? 0),
      signalsToday: Number(todayRow?.signals ?? 0),
      // Ids only, never names: these may be students the roster hasn't been imported for yet.
      unknownCourses: { count: unknownCourses.length, sample: unknownCourses.slice(0, 10).map((r) => r.course) },
      unknownUsers: { count: unknownUsers.length, sample: unknownUsers.slice(0, 10).map((r) => r.user) },
      flagsByState: Object.fromEntries(flags.map((r) => [r.state, Number(r.n)])),
      credentials: Object.fromEntries(creds.map((r) => [r.role, Number(r.n)])),
    };
  }
}

class ConflictRetry extends Error {}

type InboxBatch = { tenant: string; id: string; received_at: number; items: string; count: number };

/** Whole batches, oldest first, up to about `max` signals (always at least one batch). */
function takeUpTo(rows: InboxBatch[], max: number): InboxBatch[] {
  const out: InboxBatch[] = [];
  let n = 0;
  for (const r of rows) {
    if (out.length && n + r.count > max) break;
    out.push(r);
    n += r.count;
  }
  return out;
}

function isUniqueViolation(e: unknown): boolean {
  const err = e as { code?: string; message?: string };
  return err?.code === '23505' || err?.code === 'SQLITE_CONSTRAINT_UNIQUE' || err?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}
