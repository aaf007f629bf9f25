// Migrations owned by the attendance dashboard (plugin/dashboard). Appended after the core ones.
// Tables: signed-in dashboard sessions, per-tenant notification settings, and
// a delivery log for webhooks and e-mails (which also keeps digests to one a day).
import type { Kysely } from 'kysely';

const ms = 'bigint' as const;

export const DASHBOARD_MIGRATIONS: { id: string; up: (db: Kysely<any>) => Promise<void> }[] = [
  {
    id: 'dashboard_001_sessions_notifications',
    up: async (db) => {
      await db.schema
        .createTable('dashboard_sessions')
        // The cookie carries `<id>.<secret>`; only a hash of the secret is kept.
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('tenant', 'text', (c) => c.notNull())
        .addColumn('secret_hash', 'text', (c) => c.notNull())
        .addColumn('csrf', 'text', (c) => c.notNull())
        .addColumn('credential', 'text', (c) => c.notNull())
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('label', 'text', (c) => c.notNull())
        .addColumn('person', 'text')
        .addColumn('schools', 'text', (c) => c.notNull()) // JSON string[]
        .addColumn('via', 'text', (c) => c.notNull()) // token | lti
        .addColumn('created_at', ms, (c) => c.notNull())
        .addColumn('last_seen_at', ms, (c) => c.notNull())
        .addColumn('expires_at', ms, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('dashboard_sessions_tenant').on('dashboard_sessions').columns(['tenant', 'expires_at']).execute();

      await db.schema
        .createTable('dashboard_notify')
        .addColumn('tenant', 'text', (c) => c.primaryKey())
        .addColumn('webhook_url', 'text')
        .addColumn('webhook_secret', 'text')
        .addColumn('smtp_url', 'text')
        .addColumn('mail_from', 'text')
        .addColumn('recipients', 'text', (c) => c.notNull()) // JSON {email, schools: string[] | null}[]
        .addColumn('on_new_flag', 'integer', (c) => c.notNull())
        .addColumn('digest', 'integer', (c) => c.notNull())
        .addColumn('digest_hour', 'integer', (c) => c.notNull())
        .addColumn('last_digest_day', 'integer')
        .addColumn('updated_at', ms, (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('dashboard_deliveries')
        .addColumn('tenant', 'text', (c) => c.notNull())
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('at', ms, (c) => c.notNull())
        .addColumn('event', 'text', (c) => c.notNull()) // flag.raised | digest | test
        .addColumn('channel', 'text', (c) => c.notNull()) // webhook | email
        .addColumn('target', 'text', (c) => c.notNull()) // the URL's origin or the e-mail address
        .addColumn('ok', 'integer', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull())
        .addColumn('error', 'text')
        .addPrimaryKeyConstraint('dashboard_deliveries_pk', ['tenant', 'id'])
        .execute();
    },
  },
  {
    id: 'dashboard_002_handoffs',
    up: async (db) => {
      // One-time sign-in codes: an LTI launch inside an LMS iframe hands the
      // person to a top-level dashboard tab, where the session cookie is first-party.
      await db.schema
        .createTable('dashboard_handoffs')
        .addColumn('code_hash', 'text', (c) => c.primaryKey())
        .addColumn('tenant', 'text', (c) => c.notNull())
        .addColumn('credential', 'text', (c) => c.notNull())
        .addColumn('via', 'text', (c) => c.notNull())
        .addColumn('expires_at', ms, (c) => c.notNull())
        .execute();
    },
  },
];

export interface DashboardHandoffRow {
  code_hash: string;
  tenant: string;
  credential: string;
  via: string;
  expires_at: number;
}

export interface DashboardSessionRow {
  id: string;
  tenant: string;
  secret_hash: string;
  csrf: string;
  credential: string;
  role: string;
  label: string;
  person: string | null;
  schools: string;
  via: string;
  created_at: number;
  last_seen_at: number;
  expires_at: number;
}

export interface DashboardNotifyRow {
  tenant: string;
  webhook_url: string | null;
  webhook_secret: string | null;
  smtp_url: string | null;
  mail_from: string | null;
  recipients: string;
  on_new_flag: number;
  digest: number;
  digest_hour: number;
  last_digest_day: number | null;
  updated_at: number;
}

export interface DashboardDeliveryRow {
  tenant: string;
  id: string;
  at: number;
  event: string;
  channel: string;
  target: string;
  ok: number;
  attempts: number;
  error: string | null;
}

export interface DashboardTables {
  dashboard_sessions: DashboardSessionRow;
  dashboard_notify: DashboardNotifyRow;
  dashboard_deliveries: DashboardDeliveryRow;
  dashboard_handoffs: DashboardHandoffRow;
}
