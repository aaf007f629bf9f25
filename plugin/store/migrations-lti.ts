// Migrations owned by the LTI 1.3 tool (plugin/sources/lti). Appended after the core ones.
// Row shapes are in plugin/sources/lti/tables.ts. Keys lead with the tenant
// where the tenant is known; the platform registry and the sign-in handshake
// are looked up before a tenant is known (by issuer, by state).
import type { Kysely } from 'kysely';

const ms = 'bigint' as const;

export const LTI_MIGRATIONS: { id: string; up: (db: Kysely<any>) => Promise<void> }[] = [
  {
    id: 'lti_001_tool',
    up: async (db) => {
      // The tool's own signing keys. Private keys stay here; only public halves are published.
      await db.schema
        .createTable('lti_tool_keys')
        .addColumn('kid', 'text', (c) => c.primaryKey())
        .addColumn('alg', 'text', (c) => c.notNull())
        .addColumn('public_jwk', 'text', (c) => c.notNull())
        .addColumn('private_jwk', 'text', (c) => c.notNull())
        .addColumn('created_at', ms, (c) => c.notNull())
        .addColumn('retired_at', ms) // no longer signs
        .addColumn('unpublish_at', ms) // no longer in the JWKS (end of the grace period)
        .execute();

      // Platforms (issuer + client id), each linked to one tenant.
      await db.schema
        .createTable('lti_platforms')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('tenant', 'text', (c) => c.notNull())
        .addColumn('issuer', 'text', (c) => c.notNull())
        .addColumn('client_id', 'text', (c) => c.notNull())
        .addColumn('auth_url', 'text', (c) => c.notNull())
        .addColumn('token_url', 'text')
        .addColumn('token_audience', 'text')
        .addColumn('jwks_url', 'text', (c) => c.notNull())
        .addColumn('product', 'text') // product family code (canvas, moodle, desire2learn, schoology, …)
        .addColumn('native_ids', 'text', (c) => c.notNull()) // custom | sub: where the LMS's own user id comes from
        .addColumn('registered_via', 'text', (c) => c.notNull()) // dynamic | manual
        .addColumn('created_at', ms, (c) => c.notNull())
        .addColumn('updated_at', ms, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('lti_platforms_issuer').unique().on('lti_platforms').columns(['issuer', 'client_id']).execute();
      await db.schema.createIndex('lti_platforms_tenant').on('lti_platforms').columns(['tenant']).execute();

      await db.schema
        .createTable('lti_deployments')
        .addColumn('platform', 'text', (c) => c.notNull())
        .addColumn('deployment_id', 'text', (c) => c.notNull())
        .addColumn('created_at', ms, (c) => c.notNull())
        .addPrimaryKeyConstraint('lti_deployments_pk', ['platform', 'deployment_id'])
        .execute();

      // One row per OIDC login: the state (hashed), the nonce, and the browser binding (hashed).
      await db.schema
        .createTable('lti_logins')
        .addColumn('state_hash', 'text', (c) => c.primaryKey())
        .addColumn('nonce', 'text', (c) => c.notNull())
        .addColumn('platform', 'text', (c) => c.notNull())
        .addColumn('browser_hash', 'text', (c) => c.notNull())
        .addColumn('created_at', ms, (c) => c.notNull())
        .addColumn('expires_at', ms, (c) => c.notNull())
        .addColumn('used_at', ms)
        .execute();
      await db.schema.createIndex('lti_logins_nonce').unique().on('lti_logins').columns(['nonce']).execute();
      await db.schema.createIndex('lti_logins_expiry').on('lti_logins').columns(['expires_at']).execute();

      // Who is who: the LTI subject ↔ the LMS's native user id (people.id).
      await db.schema
        .createTable('lti_identities')
        .addColumn('tenant', 'text', (c) => c.notNull())
        .addColumn('issuer', 'text', (c) => c.notNull())
        .addColumn('sub', 'text', (c) => c.notNull())
        .addColumn('person', 'text', (c) => c.notNull())
        .addColumn('via', 'text', (c) => c.notNull()) // custom | sis | sub | message
        .addColumn('updated_at', ms, (c) => c.notNull())
        .addPrimaryKeyConstraint('lti_identities_pk', ['tenant', 'issuer', 'sub'])
        .execute();
      await db.schema.createIndex('lti_identities_person').unique().on('lti_identities').columns(['tenant', 'issuer', 'person']).execute();

      // Which course an LTI context is, and where its roster service lives.
      await db.schema
        .createTable('lti_contexts')
        .addColumn('tenant', 'text', (c) => c.notNull())
        .addColumn('platform', 'text', (c) => c.notNull())
        .addColumn('context_id', 'text', (c) => c.notNull())
        .addColumn('course', 'text', (c) => c.notNull())
        .addColumn('via', 'text', (c) => c.notNull()) // custom | context
        .addColumn('memberships_url', 'text')
        .addColumn('resource_link', 'text')
        .addColumn('differences_url', 'text')
        .addColumn('synced_at', ms)
        .addColumn('sync_error', 'text')
        .addColumn('updated_at', ms, (c) => c.notNull())
        .addPrimaryKeyConstraint('lti_contexts_pk', ['tenant', 'platform', 'context_id'])
        .execute();
      await db.schema.createIndex('lti_contexts_course').on('lti_contexts').columns(['tenant', 'course']).execute();

      // The verified membership of each context as the platform last reported it, keyed by subject.
      // Members whose native id is not known yet wait here until a launch or the SIS id resolves them.
      await db.schema
        .createTable('lti_members')
        .addColumn('tenant', 'text', (c) => c.notNull())
        .addColumn('platform', 'text', (c) => c.notNull())
        .addColumn('context_id', 'text', (c) => c.notNull())
        .addColumn('sub', 'text', (c) => c.notNull())
        .addColumn('role', 'text', (c) => c.notNull()) // teacher | student
        .addColumn('active', 'integer', (c) => c.notNull())
        .addColumn('sis_id', 'text')
        .addColumn('person', 'text') // resolved native id, null while unknown
        .addColumn('updated_at', ms, (c) => c.notNull())
        .addPrimaryKeyConstraint('lti_members_pk', ['tenant', 'platform', 'context_id', 'sub'])
        .execute();
      await db.schema.createIndex('lti_members_sub').on('lti_members').columns(['tenant', 'platform', 'sub']).execute();

      // One-use registration links an admin hands to the LMS.
      await db.schema
        .createTable('lti_registration_links')
        .addColumn('code_hash', 'text', (c) => c.primaryKey())
        .addColumn('tenant', 'text') // link to this tenant; null = create one from the platform
        .addColumn('tenant_name', 'text')
        .addColumn('time_zone', 'text')
        .addColumn('lms_origin', 'text')
        .addColumn('created_at', ms, (c) => c.notNull())
        .addColumn('expires_at', ms, (c) => c.notNull())
        .addColumn('used_at', ms)
        .addColumn('platform', 'text')
        .execute();

      // Attendance staff who sign in to the dashboard by launching RosterLens from the LMS.
      await db.schema
        .createTable('lti_staff')
        .addColumn('tenant', 'text', (c) => c.notNull())
        .addColumn('person', 'text', (c) => c.notNull())
        .addColumn('role', 'text', (c) => c.notNull()) // staff | admin
        .addColumn('schools', 'text', (c) => c.notNull()) // JSON string[]
        .addColumn('created_at', ms, (c) => c.notNull())
        .addPrimaryKeyConstraint('lti_staff_pk', ['tenant', 'person'])
        .execute();
    },
  },
];
