// Schema migrations, written once with Kysely's schema builder so the embedded
// store and PostgreSQL get the same tables. Applied in order on start; each is
// recorded so it runs once.
import { SqliteAdapter, sql, type CreateTableBuilder, type Kysely } from 'kysely';
import type { Database } from './schema.ts';
import { LTI_MIGRATIONS } from './migrations-lti.ts';
import { DASHBOARD_MIGRATIONS } from './migrations-dashboard.ts';

type Migration = { id: string; up: (db: Kysely<any>) => Promise<void> };

const ms = 'bigint' as const;

/**
 * SQLite keeps a hidden rowid B-tree beside a composite primary key; the hot
 * tables are clustered by their key instead, halving the writes per upsert.
 */
function clustered<T extends string>(db: Kysely<any>, b: CreateTableBuilder<T>): CreateTableBuilder<T> {
  return db.getExecutor().adapter instanceof SqliteAdapter ? b.modifyEnd(sql`WITHOUT ROWID`) : b;
}

export const MIGRATIONS: Migration[] = [
  {
    id: '001_core',
    up: async (db) => {
      await db.schema
        .createTable('tenants')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('lms_kind', 'text', (c) => c.notNull())
        .addColumn('lms_origin', 'text', (c) => c.notNull())
        .addColumn('time_zone', 'text', (c) => c.notNull())
        .addColumn('policy', 'text', (c) => c.notNull())
        .addColumn('config_version', 'integer', (c) => c.notNull().defaultTo(1))
        .addColumn('summary_version', 'integer', (c) => c.notNull().defaultTo(1))
        .addColumn('created_at', ms, (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('schools')
        .addColumn('tenant', 'text', (c) => c.notNull())
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('schools_pk', ['tenant', 'id'])
        .execute();

      await db.schema
        .createTable('people')
        .addColumn('tenant', 'text', (c) => c.notNull())
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('sis_id', 'text')
        .addColumn('lti_sub', 'text')
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('given_name', 'text')
        .addColumn('family_name', 'text')
        .addColumn('grade', 'text')
        .addColumn('school', 'text')
        .addColumn('groups', 'text')
        .addColumn('updated_at', ms, (c) => c.notNull())
        .addPrimaryKeyConstraint('people_pk', ['tenant', 'id'])
        .execute();
      await db.schema.createIndex('people_sis').unique().on('people').columns(['tenant', 'sis_id']).execute();
      await db.schema.createIndex('people_lti').unique().on('people').columns(['tenant', 'lti_sub']).execute();
      await db.schema.createIndex('people_school').on('people').columns(['tenant', 'school']).execute();

      await db.schema
        .createTable('courses')
        .addColumn('tenant', 'text', (c) => c.notNull())
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('sis_id', 'text')
        .addColumn('title', 'text')
        .addColumn('school', 'text')
        .addColumn('updated_at', ms, (c) => c.notNull())
        .addPrimaryKeyConstraint('courses_pk', ['tenant', 'id'])
        .execute();
      await db.schema.createIndex('courses_sis').unique().on('courses').columns(['tenant', 'sis_id']).execute();
      await db.schema.createIndex('courses_school').on('courses').columns(['tenant', 'school']).execute();

      await db.schema
        .createTable('enrollments')
        .addColumn('tenant', 'text', (c) => c.notNull())
        .addColumn('course', 'text', (c) => c.notNull())
        .addColumn('person', 'text', (c) => c.notNull())
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('start_day', 'integer')
        .addColumn('end_day', 'integer')
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('updated_at', ms, (c) => c.notNull())
        .addPrimaryKeyConstraint('enrollments_pk', ['tenant', 'course', 'role', 'person'])
        .$call((b) => clustered(db, b))
        .execute();
      await db.schema.createIndex('enrollments_person').on('enrollments').columns(['tenant', 'person', 'role']).execute();

      await db.schema
        .createTable('calendars')
        .addColumn('tenant', 'text', (c) => c.primaryKey())
        .addColumn('start_day', 'integer')
        .addColumn('end_day', 'integer')
        .addColumn('default_minutes', 'integer', (c) => c.notNull())
        .addColumn('overrides', 'text', (c) => c.notNull())
        .addColumn('updated_at', ms, (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('credentials')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('tenant', 'text', (c) => c.notNull())
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('label', 'text', (c) => c.notNull())
        .addColumn('person', 'text')
        .addColumn('schools', 'text', (c) => c.notNull())
        .addColumn('courses', 'text', (c) => c.notNull())
        .addColumn('secret_hash', 'text', (c) => c.notNull())
        .addColumn('created_at', ms, (c) => c.notNull())
        .addColumn('expires_at', ms, (c) => c.notNull())
        .addColumn('revoked_at', ms)
        .execute();
      await db.schema.createIndex('credentials_tenant').on('credentials').columns(['tenant', 'role']).execute();

      await db.schema
        .createTable('signal_seen')
        .addColumn('tenant', 'text', (c) => c.notNull())
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('received_at', ms, (c) => c.notNull())
        .addPrimaryKeyConstraint('signal_seen_pk', ['tenant', 'id'])
        .$call((b) => clustered(db, b))
        .execute();
      await db.schema.createIndex('signal_seen_received').on('signal_seen').columns(['received_at']).execute();

      let rollups = db.schema
        .createTable('rollups')
        .addColumn('tenant', 'text', (c) => c.notNull())
        .addColumn('course', 'text', (c) => c.notNull())
        .addColumn('user', 'text', (c) => c.notNull())
        .addColumn('day', 'integer', (c) => c.notNull());
      for (const col of ['engaged_s', 'signals', 'logins', 'page_views', 'heartbeats', 'submissions', 'posts', 'live', 'check_ins', 'logouts']) {
        rollups = rollups.addColumn(col, 'integer', (c) => c.notNull().defaultTo(0));
      }
      await rollups
        .addColumn('first_at', ms, (c) => c.notNull())
        .addColumn('last_at', ms, (c) => c.notNull())
        .addPrimaryKeyConstraint('rollups_pk', ['tenant', 'course', 'user', 'day'])
        .$call((b) => clustered(db, b))
        .execute();

      await db.schema
        .createTable('summaries')
        .addColumn('tenant', 'text', (c) => c.notNull())
        .addColumn('course', 'text', (c) => c.notNull())
        .addColumn('user', 'text', (c) => c.notNull())
        .addColumn('present_days', 'integer', (c) => c.notNull())
        .addColumn('partial_days', 'integer', (c) => c.notNull())
        .addColumn('first_at', ms, (c) => c.notNull())
        .addColumn('last_at', ms, (c) => c.notNull())
        .addColumn('last_day', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('summaries_pk', ['tenant', 'course', 'user'])
        .$call((b) => clustered(db, b))
        .execute();

      await db.schema
        .createTable('course_days')
        .addColumn('tenant', 'text', (c) => c.notNull())
        .addColumn('course', 'text', (c) => c.notNull())
        .addColumn('day', 'integer', (c) => c.notNull())
        .addColumn('active', 'integer', (c) => c.notNull())
        .addColumn('present', 'integer', (c) => c.notNull())
        .addColumn('partial', 'integer', (c) => c.notNull())
        .addColumn('engaged_s', ms, (c) => c.notNull())
        .addPrimaryKeyConstraint('course_days_pk', ['tenant', 'course', 'day'])
        .$call((b) => clustered(db, b))
        .execute();
      await db.schema.createIndex('course_days_day').on('course_days').columns(['tenant', 'day']).execute();

      await db.schema
        .createTable('flags')
        .addColumn('tenant', 'text', (c) => c.notNull())
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('student', 'text', (c) => c.notNull())
        .addColumn('school', 'text')
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('outcome', 'text')
        .addColumn('assignee', 'text')
        .addColumn('created_at', ms, (c) => c.notNull())
        .addColumn('updated_at', ms, (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('flags_pk', ['tenant', 'id'])
        .execute();
      // One open flag per student and reason: a second teacher joins it.
      await sql`CREATE UNIQUE INDEX flags_one_open ON flags (tenant, student, reason) WHERE state <> 'resolved'`.execute(db);
      await db.schema.createIndex('flags_student').on('flags').columns(['tenant', 'student']).execute();
      await db.schema.createIndex('flags_school_state').on('flags').columns(['tenant', 'school', 'state']).execute();

      await db.schema
        .createTable('flag_raisers')
        .addColumn('tenant', 'text', (c) => c.notNull())
        .addColumn('flag', 'text', (c) => c.notNull())
        .addColumn('course', 'text', (c) => c.notNull())
        .addColumn('teacher', 'text', (c) => c.notNull())
        .addColumn('at', ms, (c) => c.notNull())
        .addPrimaryKeyConstraint('flag_raisers_pk', ['tenant', 'flag', 'course', 'teacher'])
        .execute();
      await db.schema.createIndex('flag_raisers_teacher').on('flag_raisers').columns(['tenant', 'teacher']).execute();

      await db.schema
        .createTable('flag_events')
        .addColumn('tenant', 'text', (c) => c.notNull())
        .addColumn('flag', 'text', (c) => c.notNull())
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addColumn('at', ms, (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('note', 'text')
        .addColumn('method', 'text')
        .addColumn('result', 'text')
        .addColumn('outcome', 'text')
        .addColumn('assignee', 'text')
        .addColumn('course', 'text')
        .addPrimaryKeyConstraint('flag_events_pk', ['tenant', 'flag', 'seq'])
        .execute();

      await db.schema
        .createTable('flag_requests')
        .addColumn('tenant', 'text', (c) => c.notNull())
        .addColumn('client_request_id', 'text', (c) => c.notNull())
        .addColumn('flag', 'text', (c) => c.notNull())
        .addColumn('at', ms, (c) => c.notNull())
        .addPrimaryKeyConstraint('flag_requests_pk', ['tenant', 'client_request_id'])
        .execute();

      await db.schema
        .createTable('audit')
        .addColumn('tenant', 'text', (c) => c.notNull())
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('at', ms, (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('target', 'text', (c) => c.notNull())
        .addColumn('detail', 'text')
        .addPrimaryKeyConstraint('audit_pk', ['tenant', 'id'])
        .execute();
    },
  },
];

/** The inbox of acknowledged batches: in the main database on PostgreSQL, in its own file on SQLite. */
export async function createInbox(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('inbox')
    .ifNotExists()
    .addColumn('tenant', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('received_at', ms, (c) => c.notNull())
    .addColumn('items', 'text', (c) => c.notNull())
    .addColumn('count', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('inbox_pk', ['tenant', 'id'])
    .$call((b) => clustered(db, b))
    .execute();
  await db.schema.createIndex('inbox_order').ifNotExists().on('inbox').columns(['received_at', 'id']).execute();
}

const ALL_MIGRATIONS: Migration[] = [...MIGRATIONS, ...LTI_MIGRATIONS, ...DASHBOARD_MIGRATIONS];

export async function migrate(db: Kysely<Database>): Promise<string[]> {
  await db.schema
    .createTable('rl_migrations')
    .ifNotExists()
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('applied_at', ms, (c) => c.notNull())
    .execute();
  const done = new Set((await db.selectFrom('rl_migrations').select('id').execute()).map((r) => r.id));
  const applied: string[] = [];
  for (const m of ALL_MIGRATIONS) {
    if (done.has(m.id)) continue;
    await db.transaction().execute(async (trx) => {
      await m.up(trx);
      await trx.insertInto('rl_migrations').values({ id: m.id, applied_at: Date.now() }).execute();
    });
    applied.push(m.id);
  }
  return applied;
}
