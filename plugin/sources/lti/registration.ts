// IMS LTI Dynamic Registration 1.0: the admin pastes RosterLens's registration
// link into the LMS; the LMS opens it with `openid_configuration` and
// `registration_token`; RosterLens reads the platform's OpenID configuration,
// registers itself, stores the platform (linked to a tenant, created if new)
// and answers with a page that tells the LMS to close the dialog.
import type { Store } from '../../store/store.ts';
import { LMS_KINDS, type LmsKind } from '../../store/store.ts';
import { NRPS_SCOPE } from './nrps.ts';
import { defaultNativeIds, lmsKindFromProduct, newTenantFor, savePlatform, sha256, type Platform } from './platforms.ts';
import { ltiDb } from './tables.ts';

const PLATFORM_CONFIG = 'https://purl.imsglobal.org/spec/lti-platform-configuration';
const TOOL_CONFIG = 'https://purl.imsglobal.org/spec/lti-tool-configuration';
const HTTP_TIMEOUT_MS = 15_000;

export class RegistrationError extends Error {
  constructor(
    readonly code: string,
    readonly userMessage: string,
    readonly status = 400,
  ) {
    super(`${code}: ${userMessage}`);
  }
}

export interface OpenIdConfiguration {
  issuer: string;
  authorization_endpoint: string;
  registration_endpoint: string;
  jwks_uri: string;
  token_endpoint?: string;
  authorization_server?: string;
  scopes_supported?: string[];
  [PLATFORM_CONFIG]?: {
    product_family_code?: string;
    version?: string;
    messages_supported?: { type: string; placements?: string[] }[];
    variables?: string[];
    [k: string]: unknown;
  };
  [k: string]: unknown;
}

export interface ToolUrls {
  publicUrl: string;
  loginUrl: string;
  launchUrl: string;
  jwksUrl: string;
}

/** Custom parameters that carry the LMS's native ids, for the platforms that can substitute them. */
export function customParametersFor(product: string | null, variables: string[] | undefined): Record<string, string> {
  const offered = (v: string) => !variables || variables.length === 0 || variables.includes(v) || variables.includes(`$${v}`);
  const kind = lmsKindFromProduct(product);
  const out: Record<string, string> = {};
  if (kind === 'canvas') {
    if (offered('Canvas.user.id')) out.canvas_user_id = '$Canvas.user.id';
    if (offered('Canvas.course.id')) out.canvas_course_id = '$Canvas.course.id';
    if (offered('Person.sourcedId')) out.rl_person_sis_id = '$Person.sourcedId';
    return out;
  }
  // Moodle documents $User.id and $Context.id (its user id and course id); other
  // platforms that list these LTI 1.1 variables substitute them the same way.
  if (offered('User.id') && (kind === 'moodle' || variables?.some((v) => v.replace(/^\$/, '') === 'User.id'))) out.rl_user_id = '$User.id';
  if (offered('Context.id') && (kind === 'moodle' || variables?.some((v) => v.replace(/^\$/, '') === 'Context.id'))) out.rl_course_id = '$Context.id';
  if (variables?.some((v) => v.replace(/^\$/, '') === 'Person.sourcedId')) out.rl_person_sis_id = '$Person.sourcedId';
  return out;
}

function coursePlacement(product: string | null, cfg: OpenIdConfiguration[typeof PLATFORM_CONFIG]): string[] {
  const offered = (cfg?.messages_supported ?? []).flatMap((m) => (m.type === 'LtiResourceLinkRequest' ? m.placements ?? [] : []));
  const nav = offered.find((p) => /course_navigation$/.test(p));
  if (nav) return [nav];
  if (lmsKindFromProduct(product) === 'canvas') return ['https://canvas.instructure.com/lti/course_navigation'];
  return ['course_navigation'];
}

/** The registration request RosterLens sends (DR 1.0 §3.5.2). */
export function toolRegistration(urls: ToolUrls, config: OpenIdConfiguration): Record<string, unknown> {
  const pc = config[PLATFORM_CONFIG];
  const product = pc?.product_family_code ?? null;
  const custom = customParametersFor(product, pc?.variables);
  const scopes = (config.scopes_supported ?? [NRPS_SCOPE]).includes(NRPS_SCOPE) ? [NRPS_SCOPE] : [];
  return {
    application_type: 'web',
    response_types: ['id_token'],
    grant_types: ['implicit', 'client_credentials'],
    initiate_login_uri: urls.loginUrl,
    redirect_uris: [urls.launchUrl],
    client_name: 'RosterLens',
    jwks_uri: urls.jwksUrl,
    token_endpoint_auth_method: 'private_key_jwt',
    scope: scopes.join(' '),
    [TOOL_CONFIG]: {
      domain: new URL(urls.publicUrl).host,
      target_link_uri: urls.launchUrl,
      custom_parameters: custom,
      description: 'Attendance and engagement for remote learning: verified sign-in for teachers, verified rosters, daily check-in.',
      // Only who someone is: no names or e-mail in launches (names, where needed, come from the roster service).
      claims: ['iss', 'sub'],
      messages: [{ type: 'LtiResourceLinkRequest', target_link_uri: urls.launchUrl, label: 'RosterLens', placements: coursePlacement(product, pc) }],
    },
  };
}

async function getJson(url: string, token: string | undefined): Promise<unknown> {
  const res = await fetch(url, { headers: { accept: 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, signal: AbortSignal.timeout(HTTP_TIMEOUT_MS) });
  if (!res.ok) throw new RegistrationError('openid_configuration_unavailable', `The LMS’s OpenID configuration could not be read (HTTP ${res.status}). Start the registration again from the LMS.`, 502);
  return res.json();
}

function checkUrl(name: string, v: unknown, allowHttp: boolean): string {
  if (typeof v !== 'string') throw new RegistrationError('openid_configuration_invalid', `The LMS’s OpenID configuration has no ${name}.`, 502);
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw new RegistrationError('openid_configuration_invalid', `The LMS’s OpenID configuration has an invalid ${name}.`, 502);
  }
  if (u.protocol !== 'https:' && !(allowHttp && u.protocol === 'http:')) throw new RegistrationError('openid_configuration_insecure', `The LMS’s ${name} is not https.`, 502);
  return v;
}

export interface RegistrationInput {
  code: string;
  openidConfiguration?: string;
  registrationToken?: string;
  /** The LMS page that opened the registration (Referer), to guess the LMS's web origin for a new tenant. */
  referrerOrigin?: string | null;
  allowHttp: boolean;
  urls: ToolUrls;
  now: number;
}

export interface RegistrationDone {
  platform: Platform;
  tenantCreated: boolean;
}

export async function completeRegistration(store: Store, input: RegistrationInput): Promise<RegistrationDone> {
  const db = ltiDb(store);
  const { now } = input;
  const codeHash = sha256(input.code);
  const link = await db.selectFrom('lti_registration_links').selectAll().where('code_hash', '=', codeHash).executeTakeFirst();
  if (!link) throw new RegistrationError('registration_link_unknown', 'This registration link is not valid. Ask your RosterLens admin for a new one.', 403);
  if (link.used_at !== null) throw new RegistrationError('registration_link_used', 'This registration link was already used. Ask your RosterLens admin for a new one.', 403);
  if (Number(link.expires_at) <= now) throw new RegistrationError('registration_link_expired', 'This registration link has expired. Ask your RosterLens admin for a new one.', 403);
  if (!input.openidConfiguration) throw new RegistrationError('missing_openid_configuration', 'The LMS did not send its openid_configuration. Paste this link into the LMS’s “register a tool / tool URL” field, not into a browser.');
  const ocUrl = checkUrl('openid_configuration', input.openidConfiguration, input.allowHttp);

  // Claim the link first so two concurrent attempts cannot both register; released on failure.
  const claimed = await db.updateTable('lti_registration_links').set({ used_at: now }).where('code_hash', '=', codeHash).where('used_at', 'is', null).executeTakeFirst();
  if (Number(claimed.numUpdatedRows) !== 1) throw new RegistrationError('registration_link_used', 'This registration link was already used. Ask your RosterLens admin for a new one.', 403);
  try {
    const config = (await getJson(ocUrl, input.registrationToken)) as OpenIdConfiguration;
    if (!config || typeof config !== 'object') throw new RegistrationError('openid_configuration_invalid', 'The LMS’s OpenID configuration is not a JSON object.', 502);
    const issuer = checkUrl('issuer', config.issuer, input.allowHttp);
    // DR 1.0 §3.5.1: the issuer must be on the host the configuration was read from.
    if (new URL(config.issuer).host !== new URL(ocUrl).host) throw new RegistrationError('issuer_mismatch', 'The LMS’s OpenID configuration names an issuer on a different host than the configuration itself; not registering.', 502);
    const authUrl = checkUrl('authorization_endpoint', config.authorization_endpoint, input.allowHttp);
    const registrationUrl = checkUrl('registration_endpoint', config.registration_endpoint, input.allowHttp);
    const jwksUrl = checkUrl('jwks_uri', config.jwks_uri, input.allowHttp);
    const tokenUrl = config.token_endpoint ? checkUrl('token_endpoint', config.token_endpoint, input.allowHttp) : null;
    const pc = config[PLATFORM_CONFIG];
    const product = typeof pc?.product_family_code === 'string' ? pc.product_family_code.slice(0, 60) : null;

    // The tenant: the one the link names, or a new one for this LMS (created once the LMS has accepted).
    let newTenant: { host: string; name: string; lmsKind: LmsKind; lmsOrigin: string; timeZone: string } | null = null;
    if (!link.tenant) {
      const kind: LmsKind | null = lmsKindFromProduct(product);
      if (!kind)
        throw new RegistrationError(
          'lms_kind_unknown',
          `RosterLens cannot tell which LMS this is (product “${product ?? 'not given'}”); its extension supports ${LMS_KINDS.join(', ')}. Ask your RosterLens admin to create the tenant first and make a registration link for it.`,
        );
      const lmsOrigin = link.lms_origin ?? (input.referrerOrigin && input.referrerOrigin !== new URL(input.urls.publicUrl).origin ? input.referrerOrigin : new URL(issuer).origin);
      const accountName = pc?.['https://canvas.instructure.com/lti/account_name'];
      const name = link.tenant_name ?? (typeof accountName === 'string' && accountName ? accountName : new URL(lmsOrigin).host);
      const timeZone = link.time_zone ?? Intl.DateTimeFormat().resolvedOptions().timeZone ?? 'UTC';
      newTenant = { host: new URL(lmsOrigin).host, name, lmsKind: kind, lmsOrigin, timeZone };
    }

    const body = toolRegistration(input.urls, config);
    const res = await fetch(registrationUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', ...(input.registrationToken ? { authorization: `Bearer ${input.registrationToken}` } : {}) },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(HTTP_TIMEOUT_MS),
    });
    if (!res.ok) throw new RegistrationError('registration_refused', `The LMS refused RosterLens’s registration (HTTP ${res.status}). Start it again from the LMS; if it persists, register manually.`, 502);
    const reg = (await res.json()) as { client_id?: unknown; [TOOL_CONFIG]?: { deployment_id?: unknown } };
    if (typeof reg.client_id !== 'string' || !reg.client_id) throw new RegistrationError('registration_invalid', 'The LMS accepted the registration but returned no client_id.', 502);
    const deploymentId = reg[TOOL_CONFIG]?.deployment_id;
    const tenant = link.tenant ?? (await newTenantFor(store, newTenant!, now)).id;
    const tenantCreated = link.tenant === null;
    const platform = await savePlatform(
      store,
      {
        tenant,
        issuer: config.issuer,
        clientId: reg.client_id,
        authUrl,
        jwksUrl,
        tokenUrl,
        tokenAudience: typeof config.authorization_server === 'string' ? config.authorization_server : null,
        deploymentIds: typeof deploymentId === 'string' && deploymentId ? [deploymentId] : [],
        product,
        nativeIds: defaultNativeIds(product),
        allowHttp: input.allowHttp,
        registeredVia: 'dynamic',
      },
      now,
    );
    await db.updateTable('lti_registration_links').set({ platform: platform.id }).where('code_hash', '=', codeHash).execute();
    return { platform, tenantCreated };
  } catch (e) {
    await db.updateTable('lti_registration_links').set({ used_at: null }).where('code_hash', '=', codeHash).execute();
    throw e;
  }
}
