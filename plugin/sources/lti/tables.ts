// Row shapes of the LTI tool's tables (created in plugin/store/migrations-lti.ts)
// and a typed handle on the SQL store's Kysely instance.
import type { Kysely } from 'kysely';
import type { Database } from '../../store/schema.ts';
import { SqlStore } from '../../store/sql-store.ts';
import type { Store } from '../../store/store.ts';

export interface LtiToolKeyRow {
  kid: string;
  alg: string;
  public_jwk: string;
  private_jwk: string;
  created_at: number;
  retired_at: number | null;
  unpublish_at: number | null;
}

export interface LtiPlatformRow {
  id: string;
  tenant: string;
  issuer: string;
  client_id: string;
  auth_url: string;
  token_url: string | null;
  token_audience: string | null;
  jwks_url: string;
  product: string | null;
  native_ids: string; // custom | sub
  registered_via: string; // dynamic | manual
  created_at: number;
  updated_at: number;
}

export interface LtiDeploymentRow {
  platform: string;
  deployment_id: string;
  created_at: number;
}

export interface LtiLoginRow {
  state_hash: string;
  nonce: string;
  platform: string;
  browser_hash: string;
  created_at: number;
  expires_at: number;
  used_at: number | null;
}

export interface LtiIdentityRow {
  tenant: string;
  issuer: string;
  sub: string;
  person: string;
  via: string;
  updated_at: number;
}

export interface LtiContextRow {
  tenant: string;
  platform: string;
  context_id: string;
  course: string;
  via: string;
  memberships_url: string | null;
  resource_link: string | null;
  differences_url: string | null;
  synced_at: number | null;
  sync_error: string | null;
  updated_at: number;
}

export interface LtiMemberRow {
  tenant: string;
  platform: string;
  context_id: string;
  sub: string;
  role: string;
  active: number;
  sis_id: string | null;
  person: string | null;
  updated_at: number;
}

export interface LtiRegistrationLinkRow {
  code_hash: string;
  tenant: string | null;
  tenant_name: string | null;
  time_zone: string | null;
  lms_origin: string | null;
  created_at: number;
  expires_at: number;
  used_at: number | null;
  platform: string | null;
}

export interface LtiStaffRow {
  tenant: string;
  person: string;
  role: string;
  schools: string;
  created_at: number;
}

export interface LtiTables {
  lti_tool_keys: LtiToolKeyRow;
  lti_platforms: LtiPlatformRow;
  lti_deployments: LtiDeploymentRow;
  lti_logins: LtiLoginRow;
  lti_identities: LtiIdentityRow;
  lti_contexts: LtiContextRow;
  lti_members: LtiMemberRow;
  lti_registration_links: LtiRegistrationLinkRow;
  lti_staff: LtiStaffRow;
}

export type LtiDb = Kysely<Database & LtiTables>;

export function ltiDb(store: Store): LtiDb {
  if (!(store instanceof SqlStore)) throw new Error('the LTI tool needs the SQL store');
  return store.db as unknown as LtiDb;
}

/** PostgreSQL's bigint columns come back as numbers (see store/open.ts); SQLite's as numbers too. */
export const num = (v: number | string | null): number | null => (v === null ? null : Number(v));
