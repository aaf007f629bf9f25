// LTI 1.3 launches against the platform emulator, on both engines: a good
// launch signs a teacher in (scoped to the launched course) or checks a
// student in; every bad token is refused with a clear reason.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines, startPlugin, type RunningPlugin } from '../support/plugin.ts';
import { registerPlatformManually } from '../../plugin/sources/lti/platforms.ts';
import { DEFAULT_POLICY } from '../../shared/policy.ts';
import { Platform, ROLE, launchAt, pairingData, postLaunch } from './lti-platform.ts';
import { ltiDb } from '../../plugin/sources/lti/tables.ts';
import { grantLtiStaff } from '../../plugin/sources/lti/staff.ts';

const T = { sub: 'f3a1c2d4-0000-4000-8000-000000000001', nativeId: '501' };
const T2 = { sub: 'f3a1c2d4-0000-4000-8000-000000000002', nativeId: '502' };
const S = { sub: 'f3a1c2d4-0000-4000-8000-000000000011', nativeId: '601' };
const GHOST = { sub: 'f3a1c2d4-0000-4000-8000-000000000099', nativeId: '699' };

for (const engine of engines()) {
  describe(`LTI launch (${engine})`, () => {
    let plugin: RunningPlugin;
    let lms: Platform;
    const api = (path: string, token: string) => fetch(`${plugin.url}/api/v1${path}`, { headers: { authorization: `Bearer ${token}` } });

    beforeAll(async () => {
      plugin = await startPlugin({ engine, env: { RL_LTI_ROSTER_REFRESH_MINUTES: '0' } });
      lms = await new Platform({ product: 'canvas' }).start();
      await plugin.store.createTenant({ id: 'emu', name: 'Emu District', lmsKind: 'canvas', lmsOrigin: 'https://emu.instructure.com', timeZone: 'America/Chicago', policy: DEFAULT_POLICY }, Date.now());
      await registerPlatformManually(plugin.store, {
        tenant: 'emu',
        issuer: lms.issuer,
        clientId: lms.clientId,
        authUrl: `${lms.url}/auth`,
        jwksUrl: `${lms.url}/jwks`,
        tokenUrl: `${lms.url}/token`,
        deploymentIds: [lms.deploymentId],
        product: 'canvas',
        allowHttp: true,
      });
      lms.customParams = { canvas_user_id: '$Canvas.user.id', canvas_course_id: '$Canvas.course.id' };
      lms.toolJwksUrl = `${plugin.url}/lti/jwks`;
      for (const u of [T, T2, S, GHOST]) lms.addUser(u);
      lms.addCourse('ctx-a-opaque-hash', '1001', 'Algebra I');
      lms.addCourse('ctx-b-opaque-hash', '1002', 'Biology');
      // The platform's roster agrees with the launches (each launch refreshes it through NRPS).
      lms.setMember('ctx-a-opaque-hash', { sub: T.sub, roles: [ROLE.instructor] });
      lms.setMember('ctx-a-opaque-hash', { sub: S.sub, roles: [ROLE.learner] });
      lms.setMember('ctx-b-opaque-hash', { sub: T2.sub, roles: [ROLE.instructor] });
    });
    afterAll(async () => {
      await plugin.app.lti?.idle();
      await plugin.close();
      await lms.stop();
    });

    it('a teacher launch signs in for the launched course only, through the real API', async () => {
      // Course B exists and is taught by someone else.
      const other = await launchAt(plugin.url, lms, { user: T2.sub, context: 'ctx-b-opaque-hash', roles: [ROLE.instructor] });
      expect(other.status).toBe(200);

      const r = await launchAt(plugin.url, lms, { user: T.sub, context: 'ctx-a-opaque-hash', roles: [ROLE.instructor, ROLE.learner] });
      expect(r.status).toBe(200);
      expect(r.reason).toBeNull();
      expect(r.headers.get('cache-control')).toBe('no-store');
      expect(r.headers.get('content-security-policy')).toContain("frame-ancestors https://emu.instructure.com");
      const pair = pairingData(r.html);
      expect(pair).not.toBeNull();
      expect(pair!.courses).toEqual(['1001']);
      expect(pair!.pluginUrl).toBe(plugin.url);
      expect(Date.parse(pair!.expiresAt)).toBeGreaterThan(Date.now() + 29 * 86_400_000);

      const me = await (await api('/me', pair!.token)).json();
      expect(me).toMatchObject({ tenant: 'emu', role: 'teacher', person: '501' });
      expect((await api('/courses/1001/status', pair!.token)).status).toBe(200);
      const b = await api('/courses/1002/status', pair!.token);
      expect(b.status).toBe(403);
      expect((await b.json()).error).toBe('not_course_teacher');

      // The launch is a verified membership: the store now knows who teaches A, by native ids.
      expect(await plugin.store.teaches('emu', '501', '1001')).toBe(true);
      expect(await plugin.store.teaches('emu', '501', '1002')).toBe(false);
      const person = await plugin.store.getPerson('emu', '501');
      expect(person?.ltiSub).toBe(T.sub);
      const ctx = await ltiDb(plugin.store).selectFrom('lti_contexts').selectAll().where('context_id', '=', 'ctx-a-opaque-hash').executeTakeFirstOrThrow();
      expect(ctx.course).toBe('1001');
      expect(ctx.memberships_url).toBe(`${lms.url}/nrps/ctx-a-opaque-hash`);
    });

    it('a student launch records a verified check-in under the native ids', async () => {
      const r = await launchAt(plugin.url, lms, { user: S.sub, context: 'ctx-a-opaque-hash', roles: [ROLE.learner] });
      expect(r.status).toBe(200);
      expect(r.html).toContain('data-state="recorded"');
      expect(pairingData(r.html)).toBeNull();
      await plugin.drain();
      expect(await plugin.store.isEnrolled('emu', '601', '1001')).toBe(true);
      const teacher = await plugin.issue({ tenant: 'emu', role: 'teacher', person: '501' });
      const res = await api('/courses/1001/status', teacher);
      const status = await res.json();
      expect(status.error ?? res.status).toBe(200);
      const row = status.students.find((s: { user: string }) => s.user === '601');
      expect(row).toBeDefined();
      expect(row.neverLoggedIn).toBe(false);
      expect(row.lastSeenAt).not.toBeNull();
    });

    it('a student whose native id the LMS did not send is told the check-in was not counted', async () => {
      const saved = lms.customParams;
      lms.customParams = {};
      try {
        const r = await launchAt(plugin.url, lms, { user: GHOST.sub, context: 'ctx-a-opaque-hash', roles: [ROLE.learner] });
        expect(r.status).toBe(200);
        expect(r.html).toContain('data-state="not-recorded"');
        expect(await plugin.store.getPerson('emu', GHOST.sub)).toBeNull();
      } finally {
        lms.customParams = saved;
      }
    });

    const bad: [string, Parameters<typeof launchAt>[2] extends infer O ? Partial<O> : never, string, number][] = [
      ['signed with a key the platform does not publish', { signWith: 'rogue' }, 'unknown_signing_key', 401],
      ['signed by another key under the platform’s kid', { signWith: 'rogue-with-published-kid' }, 'bad_signature', 401],
      ['for another client (aud)', { mutate: (c) => void (c.aud = 'someone-else') }, 'wrong_audience', 401],
      ['with a foreign authorized party (azp)', { mutate: (c) => void (c.azp = 'someone-else') }, 'wrong_azp', 401],
      ['expired', { mutate: (c) => void (c.exp = Math.floor(Date.now() / 1000) - 120) }, 'token_expired', 401],
      ['issued too long ago', { shiftS: -3600, mutate: (c) => void (c.exp = Math.floor(Date.now() / 1000) + 300) }, 'token_too_old', 401],
      ['from another issuer', { mutate: (c) => void (c.iss = 'https://evil.example') }, 'wrong_issuer', 401],
      ['without a deployment id', { mutate: (c) => void delete c['https://purl.imsglobal.org/spec/lti/claim/deployment_id'] }, 'deployment_missing', 400],
      ['for an unknown deployment', { mutate: (c) => void (c['https://purl.imsglobal.org/spec/lti/claim/deployment_id'] = 'dep-unknown') }, 'deployment_unknown', 403],
      ['of the wrong message type', { mutate: (c) => void (c['https://purl.imsglobal.org/spec/lti/claim/message_type'] = 'LtiDeepLinkingRequest') }, 'wrong_message_type', 400],
      ['of the wrong version', { mutate: (c) => void (c['https://purl.imsglobal.org/spec/lti/claim/version'] = '1.1.0') }, 'wrong_version', 400],
      ['with a nonce that is not this login’s', { mutate: (c) => void (c.nonce = 'made-up-nonce') }, 'nonce_unknown', 401],
      ['with a tampered state', { tamper: { state: (s: string) => `${s}x` } }, 'state_unknown', 400],
      ['from a browser without the state cookie', { tamper: { dropCookie: true } }, 'state_mismatch', 400],
      ['without a course context', { mutate: (c) => void delete c['https://purl.imsglobal.org/spec/lti/claim/context'] }, 'no_course', 400],
      ['without a subject', { mutate: (c) => void delete c.sub }, 'anonymous_launch', 400],
    ];
    for (const [what, opts, reason, status] of bad) {
      it(`refuses a launch ${what} (${reason})`, async () => {
        const before = (await plugin.store.listCredentials('emu')).length;
        const r = await launchAt(plugin.url, lms, { user: T.sub, context: 'ctx-a-opaque-hash', roles: [ROLE.instructor], ...opts });
        expect(r.reason).toBe(reason);
        expect(r.status).toBe(status);
        expect(r.html).toContain('RosterLens could not sign you in');
        expect(r.html).toMatch(/<p data-refusal="[a-z_]+">[^<]{20,}<\/p>/);
        expect(pairingData(r.html)).toBeNull();
        expect((await plugin.store.listCredentials('emu')).length).toBe(before);
      });
    }

    it('refuses a replayed id_token (nonce already used) and a replayed post (state already used)', async () => {
      const good = await launchAt(plugin.url, lms, { user: T.sub, context: 'ctx-a-opaque-hash', roles: [ROLE.instructor] });
      expect(good.status).toBe(200);
      // The same signed token inside a fresh login: its nonce was consumed.
      const replay = await launchAt(plugin.url, lms, { user: T.sub, context: 'ctx-a-opaque-hash', roles: [ROLE.instructor], tamper: { reuse: { idToken: good.idToken } } });
      expect(replay.reason).toBe('nonce_replayed');
      // The very same form post again.
      const again = await postLaunch(plugin.url, good.idToken, good.state, good.cookie);
      expect(again.reason).toBe('state_used');
    });

    it('a person the district granted staff access also gets a dashboard session from the launch', async () => {
      await grantLtiStaff(plugin.store, 'emu', '502', { role: 'staff', schools: ['sch-1'] });
      const r = await launchAt(plugin.url, lms, { user: T2.sub, context: 'ctx-b-opaque-hash', roles: [ROLE.instructor, ROLE.institutionAdmin] });
      expect(r.reason).toBeNull();
      expect(r.html).toMatch(/href="http:\/\/127\.0\.0\.1:\d+\/dashboard\/#signin=[A-Za-z0-9_-]+"/);
      const dash = r.headers.getSetCookie().find((c) => c.startsWith('rl_dash='));
      expect(dash).toBeDefined();
      const session = await fetch(`${plugin.url}/api/v1/dashboard/session`, { headers: { cookie: dash!.split(';')[0]! } });
      expect(session.status).toBe(200);
      expect(await session.json()).toMatchObject({ tenant: 'emu', role: 'staff', via: 'lti' });
      // A teacher without a grant gets no dashboard session.
      const t = await launchAt(plugin.url, lms, { user: T.sub, context: 'ctx-a-opaque-hash', roles: [ROLE.instructor, ROLE.institutionAdmin] });
      expect(t.headers.getSetCookie().some((c) => c.startsWith('rl_dash='))).toBe(false);
    });

    it('refuses a login from an unregistered LMS and a target on another site', async () => {
      const u = new URL(`${plugin.url}/lti/login`);
      u.search = new URLSearchParams({ iss: 'https://unknown.example', login_hint: 'x', target_link_uri: `${plugin.url}/lti/launch` }).toString();
      const r = await fetch(u, { redirect: 'manual' });
      expect(r.status).toBe(400);
      expect(await r.text()).toContain('<span id="reason">platform_unknown</span>');
      u.search = new URLSearchParams({ iss: lms.issuer, login_hint: 'x', target_link_uri: 'https://evil.example/phish', client_id: lms.clientId }).toString();
      const r2 = await fetch(u, { redirect: 'manual' });
      expect(await r2.text()).toContain('<span id="reason">login_foreign_target</span>');
      // POST login initiation works like GET.
      const r3 = await fetch(`${plugin.url}/lti/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ iss: lms.issuer, login_hint: T.sub, target_link_uri: `${plugin.url}/lti/launch`, client_id: lms.clientId }),
        redirect: 'manual',
      });
      expect(r3.status).toBe(302);
      const loc = new URL(r3.headers.get('location')!);
      expect(loc.origin + loc.pathname).toBe(`${lms.url}/auth`);
      expect(Object.fromEntries(loc.searchParams)).toMatchObject({ scope: 'openid', response_type: 'id_token', response_mode: 'form_post', prompt: 'none', client_id: lms.clientId, redirect_uri: `${plugin.url}/lti/launch`, login_hint: T.sub });
      expect(r3.headers.getSetCookie().some((c) => /^rl_lti_[A-Za-z0-9_-]{16}=/.test(c) && /HttpOnly/i.test(c) && /Path=\/lti/.test(c))).toBe(true);
    });
  });
}
