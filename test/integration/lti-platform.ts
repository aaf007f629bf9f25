// A small LTI 1.3 platform for the tests, written with jose: its own keys and
// JWKS, an OpenID configuration and a Dynamic Registration endpoint, the OIDC
// authorization endpoint (which answers a browser with an auto-posting form),
// signed launches, a client-credentials token endpoint that checks the tool's
// signed assertion against the tool's JWKS, and NRPS membership pages with
// `Link: rel="next"` and `rel="differences"`. Served on 127.0.0.1.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomBytes, randomUUID } from 'node:crypto';
import { SignJWT, createRemoteJWKSet, exportJWK, generateKeyPair, jwtVerify, type CryptoKey, type JWK, type JWTPayload } from 'jose';

export const ROLE = {
  instructor: 'http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor',
  ta: 'http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant',
  learner: 'http://purl.imsglobal.org/vocab/lis/v2/membership#Learner',
  mentor: 'http://purl.imsglobal.org/vocab/lis/v2/membership#Mentor',
  testUser: 'http://purl.imsglobal.org/vocab/lti/system/person#TestUser',
  institutionAdmin: 'http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator',
};

interface Key {
  kid: string;
  privateKey: CryptoKey;
  jwk: JWK;
}
async function newKey(kid: string): Promise<Key> {
  const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true });
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' } };
}

export interface EmuUser {
  sub: string;
  /** The LMS's own user id (Canvas user id, Moodle user id). */
  nativeId: string;
  sisId?: string;
  givenName?: string;
  familyName?: string;
}

export interface EmuMember {
  sub: string;
  roles: string[];
  status?: 'Active' | 'Inactive' | 'Deleted';
}

interface Course {
  contextId: string;
  nativeId: string;
  title: string;
  members: Map<string, EmuMember & { version: number }>;
  version: number;
}

export interface LaunchOptions {
  user: string; // sub
  context: string;
  roles: string[];
  /** Change claims after they are built (wrong aud, missing deployment, …). */
  mutate?: (claims: Record<string, unknown>) => void;
  /** Sign with an unpublished key (wrong key) or a key published under another kid. */
  signWith?: 'published' | 'rogue' | 'rogue-with-published-kid';
  /** Seconds to shift iat/exp by (negative = in the past). */
  shiftS?: number;
}

export class Platform {
  server!: Server;
  url = '';
  product: string;
  keys: Key[] = [];
  rogue!: Key;
  clientId = `client-${randomBytes(4).toString('hex')}`;
  deploymentId = `dep-${randomBytes(4).toString('hex')}`;
  registrationToken = `regtok-${randomBytes(8).toString('hex')}`;
  /** Custom parameters as registered (DR) or configured; values like $Canvas.user.id are substituted at launch. */
  customParams: Record<string, string> = {};
  registrations: Record<string, any>[] = [];
  toolJwksUrl = '';
  tokenRequests = 0;
  tokenAssertionsRejected = 0;
  nrpsRequests: string[] = [];
  pageSize = 2;
  /** NRPS includes `message` (per-member custom parameters) when asked with ?rlid=. */
  nrpsMessages = true;
  users = new Map<string, EmuUser>();
  courses = new Map<string, Course>();
  private tokens = new Set<string>();
  private toolKeys: ReturnType<typeof createRemoteJWKSet> | null = null;

  constructor(opts: { product?: string } = {}) {
    this.product = opts.product ?? 'canvas';
  }

  get issuer(): string {
    return this.url;
  }

  async start(): Promise<this> {
    this.keys = [await newKey('platform-key-1')];
    this.rogue = await newKey('rogue-key');
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((e) => {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(String(e?.stack ?? e));
      });
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    const addr = this.server.address();
    this.url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections?.();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  openidConfigurationUrl(): string {
    return `${this.url}/.well-known/openid-configuration`;
  }

  // ---- roster ----

  addUser(u: EmuUser): void {
    this.users.set(u.sub, u);
  }

  addCourse(contextId: string, nativeId: string, title: string): void {
    this.courses.set(contextId, { contextId, nativeId, title, members: new Map(), version: 0 });
  }

  /** Adds or changes a member; a status of Deleted keeps it for the differences feed only. */
  setMember(contextId: string, m: EmuMember): void {
    const c = this.courses.get(contextId)!;
    c.version++;
    c.members.set(m.sub, { ...m, status: m.status ?? 'Active', version: c.version });
  }

  removeMember(contextId: string, sub: string): void {
    const c = this.courses.get(contextId)!;
    const m = c.members.get(sub)!;
    c.version++;
    c.members.set(sub, { ...m, status: 'Deleted', version: c.version });
  }

  // ---- launches ----

  private substitute(user: EmuUser, course: Course): Record<string, string> {
    const vars: Record<string, string> = {
      '$Canvas.user.id': user.nativeId,
      '$Canvas.course.id': course.nativeId,
      '$User.id': user.nativeId,
      '$Context.id': course.nativeId,
      '$Person.sourcedId': user.sisId ?? '$Person.sourcedId',
    };
    return Object.fromEntries(Object.entries(this.customParams).map(([k, v]) => [k, vars[v] ?? v]));
  }

  async signLaunch(nonce: string, o: LaunchOptions): Promise<string> {
    const user = this.users.get(o.user)!;
    const course = this.courses.get(o.context)!;
    const now = Math.floor(Date.now() / 1000) + (o.shiftS ?? 0);
    const claims: Record<string, unknown> = {
      iss: this.issuer,
      aud: this.clientId,
      azp: this.clientId,
      sub: user.sub,
      nonce,
      iat: now,
      exp: now + 300,
      'https://purl.imsglobal.org/spec/lti/claim/message_type': 'LtiResourceLinkRequest',
      'https://purl.imsglobal.org/spec/lti/claim/version': '1.3.0',
      'https://purl.imsglobal.org/spec/lti/claim/deployment_id': this.deploymentId,
      'https://purl.imsglobal.org/spec/lti/claim/target_link_uri': 'set-by-test',
      'https://purl.imsglobal.org/spec/lti/claim/resource_link': { id: `rl-${course.contextId}` },
      'https://purl.imsglobal.org/spec/lti/claim/roles': o.roles,
      'https://purl.imsglobal.org/spec/lti/claim/context': { id: course.contextId, title: course.title, type: ['http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering'] },
      'https://purl.imsglobal.org/spec/lti/claim/custom': this.substitute(user, course),
      'https://purl.imsglobal.org/spec/lti/claim/tool_platform': { guid: 'emu', product_family_code: this.product },
      'https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice': { context_memberships_url: `${this.url}/nrps/${encodeURIComponent(course.contextId)}`, service_versions: ['2.0'] },
      ...(user.sisId ? { 'https://purl.imsglobal.org/spec/lti/claim/lis': { person_sourcedid: user.sisId } } : {}),
    };
    o.mutate?.(claims);
    const key = o.signWith === 'rogue' || o.signWith === 'rogue-with-published-kid' ? this.rogue : this.keys[0]!;
    const kid = o.signWith === 'rogue-with-published-kid' ? this.keys[0]!.kid : key.kid;
    return new SignJWT(claims as JWTPayload).setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' }).sign(key.privateKey);
  }

  // ---- HTTP ----

  private async body(req: IncomingMessage): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }

  private json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  }

  /** A browser's launch, as an LMS starts it: third-party initiated login at the tool. */
  pendingBrowserLaunch = new Map<string, LaunchOptions>();
  browserLaunchUrl(toolLoginUrl: string, o: LaunchOptions): string {
    const hint = randomUUID();
    this.pendingBrowserLaunch.set(hint, o);
    const u = new URL(toolLoginUrl);
    u.searchParams.set('iss', this.issuer);
    u.searchParams.set('login_hint', o.user);
    u.searchParams.set('lti_message_hint', hint);
    u.searchParams.set('target_link_uri', toolLoginUrl.replace(/\/lti\/login$/, '/lti/launch'));
    u.searchParams.set('client_id', this.clientId);
    u.searchParams.set('lti_deployment_id', this.deploymentId);
    return u.toString();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const u = new URL(req.url ?? '/', this.url);
    const path = u.pathname;
    if (req.method === 'GET' && path === '/.well-known/openid-configuration') {
      if (req.headers.authorization !== `Bearer ${this.registrationToken}`) return this.json(res, 401, { error: 'invalid_token' });
      return this.json(res, 200, {
        issuer: this.issuer,
        authorization_endpoint: `${this.url}/auth`,
        registration_endpoint: `${this.url}/register`,
        jwks_uri: `${this.url}/jwks`,
        token_endpoint: `${this.url}/token`,
        token_endpoint_auth_methods_supported: ['private_key_jwt'],
        token_endpoint_auth_signing_alg_values_supported: ['RS256'],
        scopes_supported: ['openid', 'https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly'],
        response_types_supported: ['id_token'],
        id_token_signing_alg_values_supported: ['RS256'],
        claims_supported: ['iss', 'sub', 'name', 'given_name', 'family_name', 'email'],
        subject_types_supported: ['public', 'pairwise'],
        'https://purl.imsglobal.org/spec/lti-platform-configuration': {
          product_family_code: this.product,
          version: 'emu-1',
          messages_supported: [{ type: 'LtiResourceLinkRequest', placements: this.product === 'canvas' ? ['https://canvas.instructure.com/lti/course_navigation'] : [] }, { type: 'LtiDeepLinkingRequest' }],
          variables: this.product === 'canvas' ? ['Canvas.user.id', 'Canvas.course.id', 'Person.sourcedId'] : ['User.id', 'Context.id', 'Person.sourcedId'],
          ...(this.product === 'canvas' ? { 'https://canvas.instructure.com/lti/account_name': 'Emu District' } : {}),
        },
      });
    }
    if (req.method === 'POST' && path === '/register') {
      if (req.headers.authorization !== `Bearer ${this.registrationToken}`) return this.json(res, 401, { error: 'invalid_token' });
      const body = JSON.parse(await this.body(req)) as Record<string, any>;
      this.registrations.push(body);
      const cfg = body['https://purl.imsglobal.org/spec/lti-tool-configuration'] ?? {};
      this.customParams = { ...(cfg.custom_parameters ?? {}) };
      this.toolJwksUrl = body.jwks_uri;
      return this.json(res, 200, { ...body, client_id: this.clientId, 'https://purl.imsglobal.org/spec/lti-tool-configuration': { ...cfg, deployment_id: this.deploymentId } });
    }
    if (req.method === 'GET' && path === '/jwks') return this.json(res, 200, { keys: this.keys.map((k) => k.jwk) });
    if (req.method === 'GET' && path === '/auth') {
      // The browser arrives here from the tool's login redirect; answer with an auto-posting form.
      const q = u.searchParams;
      const o = this.pendingBrowserLaunch.get(q.get('lti_message_hint') ?? '');
      if (!o || q.get('client_id') !== this.clientId || q.get('response_mode') !== 'form_post' || q.get('scope') !== 'openid' || q.get('login_hint') !== o.user) {
        res.writeHead(400, { 'content-type': 'text/plain' });
        return void res.end('bad authorization request');
      }
      const idToken = await this.signLaunch(q.get('nonce')!, o);
      const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
      res.writeHead(200, { 'content-type': 'text/html' });
      return void res.end(
        `<!doctype html><form id="f" method="post" action="${esc(q.get('redirect_uri')!)}"><input type="hidden" name="id_token" value="${esc(idToken)}"><input type="hidden" name="state" value="${esc(q.get('state')!)}"></form><script>document.getElementById('f').submit()</script>`,
      );
    }
    if (req.method === 'POST' && path === '/token') {
      this.tokenRequests++;
      const form = new URLSearchParams(await this.body(req));
      if (form.get('grant_type') !== 'client_credentials' || form.get('client_assertion_type') !== 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer') return this.json(res, 400, { error: 'unsupported_grant_type' });
      try {
        this.toolKeys ??= createRemoteJWKSet(new URL(this.toolJwksUrl), { cooldownDuration: 0, cacheMaxAge: 0 });
        await jwtVerify(form.get('client_assertion') ?? '', this.toolKeys, { issuer: this.clientId, subject: this.clientId, audience: `${this.url}/token` });
      } catch {
        this.tokenAssertionsRejected++;
        return this.json(res, 401, { error: 'invalid_client' });
      }
      if (!(form.get('scope') ?? '').split(' ').includes('https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly')) return this.json(res, 400, { error: 'invalid_scope' });
      const token = randomBytes(16).toString('hex');
      this.tokens.add(token);
      return this.json(res, 200, { access_token: token, token_type: 'Bearer', expires_in: 3600, scope: form.get('scope') });
    }
    const nrps = /^\/nrps\/([^/]+)(\/diff)?$/.exec(path);
    if (req.method === 'GET' && nrps) {
      this.nrpsRequests.push(`${path}${u.search}`);
      const auth = req.headers.authorization ?? '';
      if (!auth.startsWith('Bearer ') || !this.tokens.has(auth.slice(7))) return this.json(res, 401, { error: 'invalid_token' });
      if (!(req.headers.accept ?? '').includes('application/vnd.ims.lti-nrps.v2.membershipcontainer+json')) return this.json(res, 406, { error: 'not acceptable' });
      const course = this.courses.get(decodeURIComponent(nrps[1]!));
      if (!course) return this.json(res, 404, { error: 'no such context' });
      const since = nrps[2] ? Number(u.searchParams.get('since')) : null;
      const all = [...course.members.values()].filter((m) => (since === null ? m.status !== 'Deleted' : m.version > since)).sort((a, b) => a.sub.localeCompare(b.sub));
      const page = Number(u.searchParams.get('page') ?? '0');
      const slice = all.slice(page * this.pageSize, page * this.pageSize + this.pageSize);
      const rlid = u.searchParams.get('rlid');
      const members = slice.map((m) => {
        const user = this.users.get(m.sub)!;
        return {
          status: m.status,
          user_id: m.sub,
          roles: m.roles,
          ...(m.status === 'Deleted' ? {} : { given_name: user.givenName, family_name: user.familyName, lis_person_sourcedid: user.sisId }),
          ...(rlid && this.nrpsMessages && m.status !== 'Deleted'
            ? { message: [{ 'https://purl.imsglobal.org/spec/lti/claim/message_type': 'LtiResourceLinkRequest', 'https://purl.imsglobal.org/spec/lti/claim/custom': this.substitute(user, course) }] }
            : {}),
        };
      });
      const links: string[] = [];
      if ((page + 1) * this.pageSize < all.length) {
        const next = new URL(u);
        next.searchParams.set('page', String(page + 1));
        links.push(`<${next}>; rel="next"`);
      } else {
        links.push(`<${this.url}/nrps/${encodeURIComponent(course.contextId)}/diff?since=${course.version}>; rel="differences"`);
      }
      return this.json(res, 200, { id: `${u}`, context: { id: course.contextId, title: course.title }, members }, { 'content-type': 'application/vnd.ims.lti-nrps.v2.membershipcontainer+json', link: links.join(', ') });
    }
    const roster = /^\/courses\/([^/]+)\/users$/.exec(path);
    if (req.method === 'GET' && roster) {
      // A Canvas-like roster page (legacy table), for the browser tests.
      const course = [...this.courses.values()].find((c) => c.nativeId === roster[1]);
      if (!course) return this.json(res, 404, { error: 'no such course' });
      const rows = [...course.members.values()]
        .filter((m) => m.status !== 'Deleted')
        .map((m) => {
          const u = this.users.get(m.sub)!;
          return `<tr id="user_${u.nativeId}" class="rosterUser"><td><a href="/courses/${course.nativeId}/users/${u.nativeId}">${u.givenName ?? 'Student'} ${u.familyName ?? u.nativeId}</a></td><td>${m.roles.some((r) => r.includes('Instructor')) ? 'Teacher' : 'Student'}</td></tr>`;
        })
        .join('');
      res.writeHead(200, { 'content-type': 'text/html' });
      return void res.end(`<!doctype html><html><head><title>People: ${course.title}</title></head><body class="context-course_${course.nativeId}"><div id="content"><table class="roster"><tbody>${rows}</tbody></table></div></body></html>`);
    }
    this.json(res, 404, { error: 'not found' });
  }
}

// ---- a node-side browser for the login → launch round trip ----

export interface LaunchResult {
  status: number;
  html: string;
  reason: string | null;
  headers: Headers;
}

/** Runs login initiation at the tool, lets the platform sign a launch, posts it back with the state cookie. */
export async function launchAt(tool: string, p: Platform, o: LaunchOptions & { tamper?: { state?: (s: string) => string; dropCookie?: boolean; idToken?: string; reuse?: { idToken: string } } }): Promise<LaunchResult & { idToken: string; state: string; cookie: string }> {
  const login = new URL(`${tool}/lti/login`);
  login.searchParams.set('iss', p.issuer);
  login.searchParams.set('login_hint', o.user);
  login.searchParams.set('target_link_uri', `${tool}/lti/launch`);
  login.searchParams.set('lti_message_hint', 'x');
  login.searchParams.set('client_id', p.clientId);
  const r1 = await fetch(login, { redirect: 'manual' });
  if (r1.status !== 302) {
    const html = await r1.text();
    return { status: r1.status, html, reason: reasonOf(html), headers: r1.headers, idToken: '', state: '', cookie: '' };
  }
  const loc = new URL(r1.headers.get('location')!);
  const cookie = (r1.headers.getSetCookie?.() ?? []).map((c) => c.split(';')[0]).join('; ');
  const state = loc.searchParams.get('state')!;
  const nonce = loc.searchParams.get('nonce')!;
  const idToken = o.tamper?.reuse?.idToken ?? o.tamper?.idToken ?? (await p.signLaunch(nonce, o));
  const form = new URLSearchParams({ id_token: idToken, state: o.tamper?.state ? o.tamper.state(state) : state });
  const r2 = await fetch(`${tool}/lti/launch`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...(o.tamper?.dropCookie ? {} : { cookie }) }, body: form, redirect: 'manual' });
  const html = await r2.text();
  return { status: r2.status, html, reason: reasonOf(html), headers: r2.headers, idToken, state, cookie };
}

/** Posts an id_token and state again, as a replaying attacker would. */
export async function postLaunch(tool: string, idToken: string, state: string, cookie: string): Promise<LaunchResult> {
  const r = await fetch(`${tool}/lti/launch`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', cookie }, body: new URLSearchParams({ id_token: idToken, state }), redirect: 'manual' });
  const html = await r.text();
  return { status: r.status, html, reason: reasonOf(html), headers: r.headers };
}

export function reasonOf(html: string): string | null {
  return /<span id="reason">([^<]+)<\/span>/.exec(html)?.[1] ?? null;
}

/** The credential the teacher page hands to the extension. */
export function pairingData(html: string): { token: string; pluginUrl: string; expiresAt: string; tenant: string; courses: string[] } | null {
  const m = /<script type="application\/json" id="rl-pair">([^<]+)<\/script>/.exec(html);
  return m ? JSON.parse(m[1]!) : null;
}
