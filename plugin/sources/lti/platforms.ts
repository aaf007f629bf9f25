// The platforms (LMS instances) RosterLens is registered with, each linked to
// one tenant; their deployments; and the one-use links an admin pastes into
// the LMS to register dynamically.
import { createHash, randomBytes } from 'node:crypto';
import { DEFAULT_POLICY } from '../../../shared/policy.ts';
import { assertTimeZone } from '../../../shared/days.ts';
import { LMS_KINDS, type LmsKind, type Store, type Tenant } from '../../store/store.ts';
import { ltiDb, type LtiPlatformRow } from './tables.ts';

export type NativeIds = 'custom' | 'sub';

export interface Platform {
  id: string;
  tenant: string;
  issuer: string;
  clientId: string;
  authUrl: string;
  tokenUrl: string | null;
  /** `aud` of the client assertion; the token URL unless the platform names an authorization server. */
  tokenAudience: string | null;
  jwksUrl: string;
  product: string | null;
  /** Where the LMS's own user id comes from: a custom parameter (Canvas), or the LTI subject itself (Moodle). */
  nativeIds: NativeIds;
  registeredVia: 'dynamic' | 'manual';
  deployments: string[];
}

export const sha256 = (s: string) => createHash('sha256').update(s).digest('base64url');

function platformFrom(r: LtiPlatformRow, deployments: string[]): Platform {
  return {
    id: r.id,
    tenant: r.tenant,
    issuer: r.issuer,
    clientId: r.client_id,
    authUrl: r.auth_url,
    tokenUrl: r.token_url,
    tokenAudience: r.token_audience,
    jwksUrl: r.jwks_url,
    product: r.product,
    nativeIds: r.native_ids === 'sub' ? 'sub' : 'custom',
    registeredVia: r.registered_via === 'dynamic' ? 'dynamic' : 'manual',
    deployments,
  };
}

async function withDeployments(store: Store, rows: LtiPlatformRow[]): Promise<Platform[]> {
  if (!rows.length) return [];
  const deps = await ltiDb(store).selectFrom('lti_deployments').select(['platform', 'deployment_id']).where('platform', 'in', rows.map((r) => r.id)).execute();
  return rows.map((r) => platformFrom(r, deps.filter((d) => d.platform === r.id).map((d) => d.deployment_id)));
}

export async function getPlatform(store: Store, id: string): Promise<Platform | null> {
  const r = await ltiDb(store).selectFrom('lti_platforms').selectAll().where('id', '=', id).executeTakeFirst();
  return r ? (await withDeployments(store, [r]))[0]! : null;
}

/** Platforms with this issuer (and client id, when given). */
export async function findPlatforms(store: Store, issuer: string, clientId?: string | null): Promise<Platform[]> {
  let q = ltiDb(store).selectFrom('lti_platforms').selectAll().where('issuer', '=', issuer);
  if (clientId) q = q.where('client_id', '=', clientId);
  return withDeployments(store, await q.execute());
}

export async function listPlatforms(store: Store, tenant?: string): Promise<Platform[]> {
  let q = ltiDb(store).selectFrom('lti_platforms').selectAll();
  if (tenant) q = q.where('tenant', '=', tenant);
  return withDeployments(store, await q.orderBy('created_at').execute());
}

/** The product family code → the tenant's LMS kind (the extension's adapter). */
export function lmsKindFromProduct(product: string | null | undefined): LmsKind | null {
  const p = (product ?? '').toLowerCase();
  if (p.includes('canvas')) return 'canvas';
  if (p.includes('moodle')) return 'moodle';
  if (p.includes('schoology')) return 'schoology';
  if (p.includes('classroom') || p.includes('google')) return 'classroom';
  return null;
}

/** Moodle's (and Schoology's) LTI subject is the LMS's own user id; Canvas's and Brightspace's are opaque. */
export function defaultNativeIds(product: string | null | undefined): NativeIds {
  const k = lmsKindFromProduct(product);
  return k === 'moodle' || k === 'schoology' ? 'sub' : 'custom';
}

function assertUrl(name: string, v: string, allowHttp: boolean): string {
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw new Error(`${name}: not a URL: ${JSON.stringify(v.slice(0, 200))}`);
  }
  if (u.protocol !== 'https:' && !(allowHttp && u.protocol === 'http:')) throw new Error(`${name}: must be an https URL`);
  return u.toString();
}

export interface PlatformInput {
  tenant: string;
  issuer: string;
  clientId: string;
  authUrl: string;
  jwksUrl: string;
  tokenUrl?: string | null;
  tokenAudience?: string | null;
  deploymentIds?: string[];
  product?: string | null;
  nativeIds?: NativeIds;
  /** Development and tests only: accept http:// endpoints. */
  allowHttp?: boolean;
}

/** Creates or updates the platform with this issuer and client id, adding deployments (never removing). */
export async function savePlatform(store: Store, input: PlatformInput & { registeredVia: 'dynamic' | 'manual' }, now: number): Promise<Platform> {
  const allowHttp = input.allowHttp ?? false;
  if (!input.issuer) throw new Error('issuer: required');
  if (!input.clientId) throw new Error('clientId: required');
  const row = {
    tenant: input.tenant,
    issuer: input.issuer,
    client_id: input.clientId,
    auth_url: assertUrl('authUrl', input.authUrl, allowHttp),
    token_url: input.tokenUrl ? assertUrl('tokenUrl', input.tokenUrl, allowHttp) : null,
    token_audience: input.tokenAudience || null,
    jwks_url: assertUrl('jwksUrl', input.jwksUrl, allowHttp),
    product: input.product ?? null,
    native_ids: input.nativeIds ?? defaultNativeIds(input.product),
    registered_via: input.registeredVia,
    updated_at: now,
  };
  const db = ltiDb(store);
  const id = await db.transaction().execute(async (trx) => {
    const existing = await trx.selectFrom('lti_platforms').select(['id', 'tenant']).where('issuer', '=', input.issuer).where('client_id', '=', input.clientId).executeTakeFirst();
    let id: string;
    if (existing) {
      if (existing.tenant !== input.tenant) throw new Error(`this platform (issuer and client id) is already linked to tenant ${existing.tenant}`);
      id = existing.id;
      await trx.updateTable('lti_platforms').set(row).where('id', '=', id).execute();
    } else {
      id = `p_${randomBytes(9).toString('base64url')}`;
      await trx.insertInto('lti_platforms').values({ ...row, id, created_at: now }).execute();
    }
    for (const d of input.deploymentIds ?? []) {
      if (!d) continue;
      await trx.insertInto('lti_deployments').values({ platform: id, deployment_id: d, created_at: now }).onConflict((oc) => oc.columns(['platform', 'deployment_id']).doNothing()).execute();
    }
    return id;
  });
  return (await getPlatform(store, id))!;
}

/**
 * Manual registration, for platforms without Dynamic Registration (Schoology)
 * or admins who prefer it: the client id, endpoints and deployment ids the LMS
 * showed when the tool was added. The tenant must exist.
 */
export async function registerPlatformManually(store: Store, input: PlatformInput, now = Date.now()): Promise<Platform> {
  if (!(await store.getTenant(input.tenant))) throw new Error(`no tenant ${input.tenant}`);
  return savePlatform(store, { ...input, registeredVia: 'manual' }, now);
}

export async function addDeployment(store: Store, platformId: string, deploymentId: string, now = Date.now()): Promise<void> {
  await ltiDb(store).insertInto('lti_deployments').values({ platform: platformId, deployment_id: deploymentId, created_at: now }).onConflict((oc) => oc.columns(['platform', 'deployment_id']).doNothing()).execute();
}

// ---- registration links ----

export const DEFAULT_REGISTRATION_LINK_TTL_MS = 7 * 86_400_000;

export interface RegistrationLinkInput {
  /** Link the platform to this existing tenant; otherwise a tenant is created from the platform's configuration. */
  tenant?: string;
  /** For a new tenant: its name and time zone (default: the platform's name, UTC). */
  tenantName?: string;
  timeZone?: string;
  /** The LMS's web origin for a new tenant, when it differs from the issuer (Canvas's issuer is canvas.instructure.com). */
  lmsOrigin?: string;
  ttlMs?: number;
}

/**
 * Admin function: a one-use Dynamic Registration URL to paste into the LMS.
 * Without it anyone could register a platform with this server.
 */
export async function createRegistrationLink(store: Store, publicUrl: string, input: RegistrationLinkInput = {}, now = Date.now()): Promise<{ url: string; expiresAt: number }> {
  if (input.tenant && !(await store.getTenant(input.tenant))) throw new Error(`no tenant ${input.tenant}`);
  if (input.timeZone) assertTimeZone(input.timeZone);
  if (input.lmsOrigin) new URL(input.lmsOrigin);
  const code = randomBytes(24).toString('base64url');
  const expiresAt = now + (input.ttlMs ?? DEFAULT_REGISTRATION_LINK_TTL_MS);
  await ltiDb(store)
    .insertInto('lti_registration_links')
    .values({
      code_hash: sha256(code),
      tenant: input.tenant ?? null,
      tenant_name: input.tenantName ?? null,
      time_zone: input.timeZone ?? null,
      lms_origin: input.lmsOrigin ? new URL(input.lmsOrigin).origin : null,
      created_at: now,
      expires_at: expiresAt,
      used_at: null,
      platform: null,
    })
    .execute();
  return { url: `${publicUrl.replace(/\/$/, '')}/lti/register/${code}`, expiresAt };
}

/** A tenant id from a host name: `moodle.district.org` → `moodle-district-org`, made unique. */
export async function newTenantFor(store: Store, opts: { host: string; name: string; lmsKind: LmsKind; lmsOrigin: string; timeZone: string }, now: number): Promise<Tenant> {
  const base = opts.host.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 34) || 'lms';
  let id = base.length >= 2 ? base : `lms-${base}`;
  for (let i = 2; await store.getTenant(id); i++) id = `${base}-${i}`;
  return store.createTenant({ id, name: opts.name.slice(0, 200), lmsKind: opts.lmsKind, lmsOrigin: opts.lmsOrigin, timeZone: opts.timeZone, policy: DEFAULT_POLICY }, now);
}

export { LMS_KINDS };
