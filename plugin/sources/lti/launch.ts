// OIDC third-party login initiation and the launch's id_token validation
// (LTI 1.3 Core §5, Security Framework §5.1.3). Each check that fails is an
// LtiRefusal with a stable code and a sentence for the person who launched.
import { createHash, randomBytes } from 'node:crypto';
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, errors, jwtVerify, type JWTPayload } from 'jose';
import type { Store } from '../../store/store.ts';
import { findPlatforms, getPlatform, sha256, type Platform } from './platforms.ts';
import { ltiDb } from './tables.ts';

export const CLAIM = {
  messageType: 'https://purl.imsglobal.org/spec/lti/claim/message_type',
  version: 'https://purl.imsglobal.org/spec/lti/claim/version',
  deploymentId: 'https://purl.imsglobal.org/spec/lti/claim/deployment_id',
  targetLinkUri: 'https://purl.imsglobal.org/spec/lti/claim/target_link_uri',
  resourceLink: 'https://purl.imsglobal.org/spec/lti/claim/resource_link',
  roles: 'https://purl.imsglobal.org/spec/lti/claim/roles',
  context: 'https://purl.imsglobal.org/spec/lti/claim/context',
  custom: 'https://purl.imsglobal.org/spec/lti/claim/custom',
  lis: 'https://purl.imsglobal.org/spec/lti/claim/lis',
  toolPlatform: 'https://purl.imsglobal.org/spec/lti/claim/tool_platform',
  nrps: 'https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice',
} as const;

/** How long a login may take between our redirect and the platform's post back. */
export const LOGIN_TTL_MS = 10 * 60_000;
/** Allowed clock difference with the platform (exp, iat, nbf). */
export const CLOCK_TOLERANCE_S = 60;
/** An id_token issued longer ago than this is refused even if its exp is later. */
export const MAX_TOKEN_AGE_S = 10 * 60;
const ALGS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384'];

export class LtiRefusal extends Error {
  constructor(
    readonly code: string,
    /** For the person: what went wrong and what to do. Never contains student data. */
    readonly userMessage: string,
    readonly status = 400,
    readonly platformId: string | null = null,
  ) {
    super(`${code}: ${userMessage}`);
  }
}

const AGAIN = 'Open RosterLens again from your course in the LMS.';
const ADMIN = 'Ask your district’s RosterLens admin to check the LMS registration.';

// ---- login initiation ----

export interface LoginParams {
  iss?: string;
  login_hint?: string;
  target_link_uri?: string;
  lti_message_hint?: string;
  lti_deployment_id?: string;
  client_id?: string;
}

export interface LoginStart {
  redirect: string;
  cookieName: string;
  cookieValue: string;
  platform: Platform;
}

/** The cookie that ties a login to the browser that started it. */
export const stateCookieName = (state: string) => `rl_lti_${sha256(state).slice(0, 16)}`;

export async function startLogin(store: Store, p: LoginParams, launchUrl: string, now: number): Promise<LoginStart> {
  if (!p.iss) throw new LtiRefusal('login_missing_iss', `The LMS did not say who it is (no iss). ${ADMIN}`);
  if (!p.login_hint) throw new LtiRefusal('login_missing_hint', `The LMS did not send a login_hint. ${ADMIN}`);
  if (!p.target_link_uri) throw new LtiRefusal('login_missing_target', `The LMS did not send a target_link_uri. ${ADMIN}`);
  let target: URL;
  try {
    target = new URL(p.target_link_uri);
  } catch {
    throw new LtiRefusal('login_bad_target', `The LMS sent a target_link_uri that is not a URL. ${ADMIN}`);
  }
  if (target.origin !== new URL(launchUrl).origin) throw new LtiRefusal('login_foreign_target', `The LMS asked to launch a page on another site (${target.origin}). ${ADMIN}`);
  const candidates = await findPlatforms(store, p.iss, p.client_id || null);
  if (!candidates.length) throw new LtiRefusal('platform_unknown', `This LMS (${p.iss.slice(0, 100)}) is not registered with this RosterLens server. ${ADMIN}`, 400);
  if (candidates.length > 1) throw new LtiRefusal('platform_ambiguous', `Several registrations match this LMS and it did not send a client_id. ${ADMIN}`, 400);
  const platform = candidates[0]!;
  const state = randomBytes(32).toString('base64url');
  const nonce = randomBytes(32).toString('base64url');
  const browser = randomBytes(32).toString('base64url');
  const db = ltiDb(store);
  await db.deleteFrom('lti_logins').where('expires_at', '<', now - LOGIN_TTL_MS).execute(); // housekeeping: used nonces are kept until well past expiry
  await db.insertInto('lti_logins').values({ state_hash: sha256(state), nonce, platform: platform.id, browser_hash: sha256(browser), created_at: now, expires_at: now + LOGIN_TTL_MS, used_at: null }).execute();
  const u = new URL(platform.authUrl);
  const q = {
    scope: 'openid',
    response_type: 'id_token',
    response_mode: 'form_post',
    prompt: 'none',
    client_id: platform.clientId,
    redirect_uri: launchUrl,
    login_hint: p.login_hint,
    state,
    nonce,
    ...(p.lti_message_hint ? { lti_message_hint: p.lti_message_hint } : {}),
  };
  for (const [k, v] of Object.entries(q)) u.searchParams.set(k, v);
  return { redirect: u.toString(), cookieName: stateCookieName(state), cookieValue: browser, platform };
}

// ---- launch ----

const remoteSets = new Map<string, ReturnType<typeof createRemoteJWKSet>>();
/** The platform's JWKS, fetched once and cached; refetched when a token names a kid it has not seen (at most every 30 s). */
export function platformKeys(url: string): ReturnType<typeof createRemoteJWKSet> {
  let set = remoteSets.get(url);
  if (!set) {
    set = createRemoteJWKSet(new URL(url), { cacheMaxAge: 10 * 60_000, cooldownDuration: 30_000, timeoutDuration: 10_000 });
    remoteSets.set(url, set);
  }
  return set;
}

export interface VerifiedLaunch {
  platform: Platform;
  claims: JWTPayload & Record<string, unknown>;
  nonce: string;
  deploymentId: string;
  sub: string;
  roles: string[];
  contextId: string;
  contextTitle: string | null;
  resourceLinkId: string;
  custom: Record<string, unknown>;
  sisId: string | null;
  membershipsUrl: string | null;
}

function mapJoseError(e: unknown, platform: Platform): LtiRefusal {
  const id = platform.id;
  if (e instanceof errors.JWTExpired && e.claim === 'iat') return new LtiRefusal('token_too_old', `The sign-in from the LMS was issued too long ago (check the clocks). ${AGAIN}`, 401, id);
  if (e instanceof errors.JWTExpired) return new LtiRefusal('token_expired', `The sign-in from the LMS expired before it reached RosterLens (check the clocks). ${AGAIN}`, 401, id);
  if (e instanceof errors.JWTClaimValidationFailed) {
    switch (e.claim) {
      case 'aud':
        return new LtiRefusal('wrong_audience', `The LMS signed this sign-in for a different tool (audience does not match RosterLens’s client id). ${ADMIN}`, 401, id);
      case 'iss':
        return new LtiRefusal('wrong_issuer', `The sign-in names a different LMS than the one that started it. ${AGAIN}`, 401, id);
      case 'iat':
        return new LtiRefusal('token_too_old', `The sign-in from the LMS is too old or dated in the future (check the clocks). ${AGAIN}`, 401, id);
      case 'nbf':
        return new LtiRefusal('token_not_yet_valid', `The sign-in from the LMS is not valid yet (check the clocks). ${AGAIN}`, 401, id);
      default:
        return new LtiRefusal('invalid_claim', `The sign-in from the LMS has an invalid “${String(e.claim).slice(0, 40)}” claim. ${ADMIN}`, 401, id);
    }
  }
  if (e instanceof errors.JWKSNoMatchingKey) return new LtiRefusal('unknown_signing_key', `The sign-in was signed with a key this LMS does not publish. ${ADMIN}`, 401, id);
  if (e instanceof errors.JWSSignatureVerificationFailed) return new LtiRefusal('bad_signature', `The sign-in’s signature does not verify against the LMS’s keys. ${ADMIN}`, 401, id);
  if (e instanceof errors.JOSEAlgNotAllowed || e instanceof errors.JOSENotSupported) return new LtiRefusal('bad_algorithm', `The sign-in uses a signature algorithm RosterLens does not accept. ${ADMIN}`, 401, id);
  if (e instanceof errors.JWKSTimeout || e instanceof errors.JWKSInvalid || e instanceof TypeError) return new LtiRefusal('platform_keys_unavailable', `RosterLens could not fetch the LMS’s public keys to check the sign-in. Try again in a minute; if it persists, ${ADMIN.toLowerCase()}`, 502, id);
  if (e instanceof errors.JWKSMultipleMatchingKeys) return new LtiRefusal('ambiguous_signing_key', `The LMS publishes several keys that could have signed this. ${ADMIN}`, 401, id);
  return new LtiRefusal('invalid_token', `The sign-in from the LMS could not be verified. ${ADMIN}`, 401, id);
}

/** Checks everything about a launch POST; consumes its state and nonce. */
export async function verifyLaunch(store: Store, input: { idToken?: string; state?: string; cookies: Record<string, string | undefined> }, now: number): Promise<VerifiedLaunch> {
  if (!input.idToken) throw new LtiRefusal('missing_id_token', `The LMS did not send a signed sign-in (id_token). ${AGAIN}`);
  if (!input.state) throw new LtiRefusal('missing_state', `The LMS did not return the sign-in state. ${AGAIN}`);
  const db = ltiDb(store);
  const stateHash = sha256(input.state);
  const login = await db.selectFrom('lti_logins').selectAll().where('state_hash', '=', stateHash).executeTakeFirst();
  if (!login) throw new LtiRefusal('state_unknown', `This sign-in was not started by RosterLens, or it is too old. ${AGAIN}`);
  if (login.used_at !== null) throw new LtiRefusal('state_used', `This sign-in was already used. ${AGAIN}`, 400, login.platform);
  if (Number(login.expires_at) <= now) throw new LtiRefusal('login_expired', `This sign-in took too long (over ${LOGIN_TTL_MS / 60_000} minutes). ${AGAIN}`, 400, login.platform);
  const cookie = input.cookies[stateCookieName(input.state)];
  if (!cookie || sha256(cookie) !== login.browser_hash)
    throw new LtiRefusal(
      'state_mismatch',
      `This sign-in was started in another browser or tab, or your browser blocked RosterLens’s cookie (some browsers block it when RosterLens opens inside the LMS page: open it in a new tab). ${AGAIN}`,
      400,
      login.platform,
    );

  const platform = await getPlatform(store, login.platform);
  if (!platform) throw new LtiRefusal('platform_unknown', `This LMS is no longer registered with RosterLens. ${ADMIN}`);
  let header: ReturnType<typeof decodeProtectedHeader>;
  let unverified: JWTPayload;
  try {
    header = decodeProtectedHeader(input.idToken);
    unverified = decodeJwt(input.idToken);
  } catch {
    throw new LtiRefusal('malformed_token', `The LMS sent a sign-in that is not a well-formed JWT. ${ADMIN}`, 400, platform.id);
  }
  if (!header.kid) throw new LtiRefusal('no_key_id', `The LMS’s sign-in does not say which key signed it (no kid). ${ADMIN}`, 401, platform.id);
  if (unverified.iss !== platform.issuer) throw new LtiRefusal('wrong_issuer', `The sign-in names a different LMS than the one that started it. ${AGAIN}`, 401, platform.id);

  let claims: JWTPayload & Record<string, unknown>;
  try {
    const r = await jwtVerify(input.idToken, platformKeys(platform.jwksUrl), {
      issuer: platform.issuer,
      audience: platform.clientId,
      algorithms: ALGS,
      clockTolerance: CLOCK_TOLERANCE_S,
      maxTokenAge: MAX_TOKEN_AGE_S,
      currentDate: new Date(now),
      requiredClaims: ['exp', 'iat', 'nonce'],
    });
    claims = r.payload as JWTPayload & Record<string, unknown>;
  } catch (e) {
    throw mapJoseError(e, platform);
  }
  const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (aud.length > 1 && claims.azp === undefined) throw new LtiRefusal('missing_azp', `The sign-in is meant for several tools but does not name RosterLens as its authorized party (azp). ${ADMIN}`, 401, platform.id);
  if (claims.azp !== undefined && claims.azp !== platform.clientId) throw new LtiRefusal('wrong_azp', `The sign-in’s authorized party (azp) is another tool. ${ADMIN}`, 401, platform.id);

  const nonce = typeof claims.nonce === 'string' ? claims.nonce : '';
  const byNonce = nonce ? await db.selectFrom('lti_logins').select(['state_hash', 'used_at', 'platform']).where('nonce', '=', nonce).executeTakeFirst() : undefined;
  if (!byNonce) throw new LtiRefusal('nonce_unknown', `The sign-in carries a nonce RosterLens never issued (or issued too long ago). ${AGAIN}`, 401, platform.id);
  if (byNonce.used_at !== null) throw new LtiRefusal('nonce_replayed', `This signed sign-in was already used once; a sign-in cannot be replayed. ${AGAIN}`, 401, platform.id);
  if (byNonce.state_hash !== stateHash) throw new LtiRefusal('nonce_mismatch', `The sign-in belongs to a different login than this one. ${AGAIN}`, 401, platform.id);
  // Consume: whoever flips used_at first owns this launch; a concurrent replay loses.
  const used = await db.updateTable('lti_logins').set({ used_at: now }).where('state_hash', '=', stateHash).where('used_at', 'is', null).executeTakeFirst();
  if (Number(used.numUpdatedRows) !== 1) throw new LtiRefusal('nonce_replayed', `This signed sign-in was already used once; a sign-in cannot be replayed. ${AGAIN}`, 401, platform.id);

  const messageType = claims[CLAIM.messageType];
  if (messageType !== 'LtiResourceLinkRequest')
    throw new LtiRefusal('wrong_message_type', `RosterLens only accepts resource-link launches; the LMS sent “${String(messageType ?? 'none').slice(0, 60)}”. ${ADMIN}`, 400, platform.id);
  const version = claims[CLAIM.version];
  if (version !== '1.3.0') throw new LtiRefusal('wrong_version', `RosterLens speaks LTI 1.3.0; the LMS sent version “${String(version ?? 'none').slice(0, 20)}”. ${ADMIN}`, 400, platform.id);
  const deploymentId = claims[CLAIM.deploymentId];
  if (typeof deploymentId !== 'string' || !deploymentId) throw new LtiRefusal('deployment_missing', `The sign-in does not name the tool’s deployment (deployment_id). ${ADMIN}`, 400, platform.id);
  if (!platform.deployments.includes(deploymentId))
    throw new LtiRefusal('deployment_unknown', `This installation of RosterLens in the LMS (deployment ${deploymentId.slice(0, 64)}) is not registered here. ${ADMIN}`, 403, platform.id);
  if (typeof claims.sub !== 'string' || !claims.sub) throw new LtiRefusal('anonymous_launch', `The LMS launched RosterLens without saying who you are. ${ADMIN}`, 400, platform.id);
  const roles = claims[CLAIM.roles];
  if (!Array.isArray(roles)) throw new LtiRefusal('roles_missing', `The sign-in has no roles claim. ${ADMIN}`, 400, platform.id);
  const link = claims[CLAIM.resourceLink] as { id?: unknown } | undefined;
  if (!link || typeof link.id !== 'string' || !link.id) throw new LtiRefusal('resource_link_missing', `The sign-in has no resource link. ${ADMIN}`, 400, platform.id);
  const context = claims[CLAIM.context] as { id?: unknown; title?: unknown } | undefined;
  if (!context || typeof context.id !== 'string' || !context.id) throw new LtiRefusal('no_course', 'RosterLens works inside a course: open it from a course’s navigation, not from your account menu.', 400, platform.id);
  const custom = (claims[CLAIM.custom] && typeof claims[CLAIM.custom] === 'object' ? claims[CLAIM.custom] : {}) as Record<string, unknown>;
  const lis = claims[CLAIM.lis] as { person_sourcedid?: unknown } | undefined;
  const nrps = claims[CLAIM.nrps] as { context_memberships_url?: unknown } | undefined;
  return {
    platform,
    claims,
    nonce,
    deploymentId,
    sub: claims.sub,
    roles: roles.filter((r): r is string => typeof r === 'string'),
    contextId: context.id,
    contextTitle: typeof context.title === 'string' ? context.title : null,
    resourceLinkId: link.id,
    custom,
    sisId: typeof lis?.person_sourcedid === 'string' && lis.person_sourcedid ? lis.person_sourcedid : null,
    membershipsUrl: typeof nrps?.context_memberships_url === 'string' ? nrps.context_memberships_url : null,
  };
}

/** A stable signal id for one launch: retries of the same launch count once. */
export const launchSignalId = (issuer: string, nonce: string) => `lti-${createHash('sha256').update(`${issuer}\n${nonce}`).digest('base64url').slice(0, 40)}`;
