// Dynamic Registration (IMS LTI DR 1.0) against the platform emulator, on both
// engines: the admin's one-use link, the platform's OpenID configuration, the
// registration request RosterLens sends, the stored platform and its tenant,
// and the page that closes the LMS's dialog. Then a launch works.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines, startPlugin, type RunningPlugin } from '../support/plugin.ts';
import { createRegistrationLink, listPlatforms, registerPlatformManually } from '../../plugin/sources/lti/platforms.ts';
import { NRPS_SCOPE } from '../../plugin/sources/lti/nrps.ts';
import { DEFAULT_POLICY } from '../../shared/policy.ts';
import { Platform, ROLE, launchAt, pairingData, reasonOf } from './lti-platform.ts';

for (const engine of engines()) {
  describe(`LTI Dynamic Registration (${engine})`, () => {
    let plugin: RunningPlugin;
    const platforms: Platform[] = [];
    const lms = async (product: string) => {
      const p = await new Platform({ product }).start();
      platforms.push(p);
      return p;
    };
    const register = async (link: string, p: Platform, headers: Record<string, string> = {}) => {
      const u = new URL(link);
      u.searchParams.set('openid_configuration', p.openidConfigurationUrl());
      u.searchParams.set('registration_token', p.registrationToken);
      const r = await fetch(u, { headers });
      return { status: r.status, html: await r.text() };
    };

    beforeAll(async () => {
      plugin = await startPlugin({ engine, env: { RL_LTI_ROSTER_REFRESH_MINUTES: '0' } });
    });
    afterAll(async () => {
      await plugin.app.lti?.idle();
      await plugin.close();
      for (const p of platforms) await p.stop();
    });

    it('registers a Canvas platform, creates its tenant, and a launch then signs in', async () => {
      const p = await lms('canvas');
      const { url } = await createRegistrationLink(plugin.store, plugin.url, { timeZone: 'America/Denver' });
      expect(url).toMatch(new RegExp(`^${plugin.url}/lti/register/[A-Za-z0-9_-]{32}$`));
      const r = await register(url, p, { referer: 'https://district.instructure.com/accounts/1/developer_keys' });
      expect(r.status).toBe(200);
      expect(r.html).toContain("postMessage({ subject: 'org.imsglobal.lti.close' }, '*')");

      // What RosterLens asked for.
      expect(p.registrations).toHaveLength(1);
      const reg = p.registrations[0]!;
      expect(reg).toMatchObject({
        application_type: 'web',
        response_types: ['id_token'],
        grant_types: expect.arrayContaining(['implicit', 'client_credentials']),
        initiate_login_uri: `${plugin.url}/lti/login`,
        redirect_uris: [`${plugin.url}/lti/launch`],
        jwks_uri: `${plugin.url}/lti/jwks`,
        token_endpoint_auth_method: 'private_key_jwt',
      });
      expect(reg.scope.split(' ')).toContain(NRPS_SCOPE);
      const cfg = reg['https://purl.imsglobal.org/spec/lti-tool-configuration'];
      expect(cfg.target_link_uri).toBe(`${plugin.url}/lti/launch`);
      expect(cfg.custom_parameters).toEqual({ canvas_user_id: '$Canvas.user.id', canvas_course_id: '$Canvas.course.id', rl_person_sis_id: '$Person.sourcedId' });
      expect(cfg.claims).toEqual(['iss', 'sub']);
      expect(cfg.messages).toEqual([{ type: 'LtiResourceLinkRequest', target_link_uri: `${plugin.url}/lti/launch`, label: 'RosterLens', placements: ['https://canvas.instructure.com/lti/course_navigation'] }]);

      // What RosterLens stored.
      const [platform] = (await listPlatforms(plugin.store)).filter((x) => x.issuer === p.issuer);
      expect(platform).toMatchObject({ clientId: p.clientId, authUrl: `${p.url}/auth`, jwksUrl: `${p.url}/jwks`, tokenUrl: `${p.url}/token`, deployments: [p.deploymentId], product: 'canvas', nativeIds: 'custom', registeredVia: 'dynamic' });
      const tenant = await plugin.store.getTenant(platform!.tenant);
      expect(tenant).toMatchObject({ lmsKind: 'canvas', lmsOrigin: 'https://district.instructure.com', name: 'Emu District', timeZone: 'America/Denver' });

      // The link is spent.
      const again = await register(url, p);
      expect(again.status).toBe(403);
      expect(reasonOf(again.html)).toBe('registration_link_used');

      // The registered platform launches.
      p.toolJwksUrl = `${plugin.url}/lti/jwks`;
      p.addUser({ sub: 'canvas-sub-1', nativeId: '77' });
      p.addCourse('ctx-1', '8801', 'History');
      const launch = await launchAt(plugin.url, p, { user: 'canvas-sub-1', context: 'ctx-1', roles: [ROLE.instructor] });
      expect(launch.reason).toBeNull();
      const pair = pairingData(launch.html)!;
      expect(pair.tenant).toBe(platform!.tenant);
      expect(pair.courses).toEqual(['8801']);
      expect(await plugin.store.teaches(platform!.tenant, '77', '8801')).toBe(true);
    });

    it('registers a Moodle platform into an existing tenant with Moodle’s id variables; the subject is the native id', async () => {
      await plugin.store.createTenant({ id: 'moodle-d', name: 'Moodle District', lmsKind: 'moodle', lmsOrigin: 'https://moodle.district.org', timeZone: 'Europe/Madrid', policy: DEFAULT_POLICY }, Date.now());
      const p = await lms('moodle');
      const { url } = await createRegistrationLink(plugin.store, plugin.url, { tenant: 'moodle-d' });
      const r = await register(url, p);
      expect(r.status).toBe(200);
      const cfg = p.registrations[0]!['https://purl.imsglobal.org/spec/lti-tool-configuration'];
      expect(cfg.custom_parameters).toEqual({ rl_user_id: '$User.id', rl_course_id: '$Context.id', rl_person_sis_id: '$Person.sourcedId' });
      expect(cfg.messages[0].placements).toEqual(['course_navigation']);
      const [platform] = await listPlatforms(plugin.store, 'moodle-d');
      expect(platform).toMatchObject({ product: 'moodle', nativeIds: 'sub', tenant: 'moodle-d' });

      // Moodle's subject is its user id; its context id is the course id.
      p.toolJwksUrl = `${plugin.url}/lti/jwks`;
      p.customParams = {};
      p.addUser({ sub: '42', nativeId: '42' });
      p.addCourse('17', '17', 'Geography');
      const launch = await launchAt(plugin.url, p, { user: '42', context: '17', roles: [ROLE.learner] });
      expect(launch.html).toContain('data-state="recorded"');
      expect(await plugin.store.isEnrolled('moodle-d', '42', '17')).toBe(true);
    });

    it('refuses unknown and expired links, and a platform whose issuer is on another host', async () => {
      const p = await lms('canvas');
      const unknown = await register(`${plugin.url}/lti/register/${'x'.repeat(32)}`, p);
      expect(unknown.status).toBe(403);
      expect(reasonOf(unknown.html)).toBe('registration_link_unknown');

      const now = Date.now();
      const { url: old } = await createRegistrationLink(plugin.store, plugin.url, { ttlMs: 1000 }, now - 5000);
      expect(reasonOf((await register(old, p)).html)).toBe('registration_link_expired');

      // Served from 127.0.0.1 but claiming to be localhost: not registered, and the link stays usable.
      const { url } = await createRegistrationLink(plugin.store, plugin.url);
      const u = new URL(url);
      u.searchParams.set('openid_configuration', p.openidConfigurationUrl().replace('127.0.0.1', 'localhost'));
      u.searchParams.set('registration_token', p.registrationToken);
      const mismatch = await fetch(u);
      expect(reasonOf(await mismatch.text())).toBe('issuer_mismatch');
      expect(p.registrations).toHaveLength(0);
      const ok = await register(url, p);
      expect(ok.status).toBe(200);
    });

    it('keeps manual registration possible', async () => {
      await plugin.store.createTenant({ id: 'schoology-d', name: 'Schoology District', lmsKind: 'schoology', lmsOrigin: 'https://district.schoology.com', timeZone: 'America/New_York', policy: DEFAULT_POLICY }, Date.now());
      const p = await lms('schoology');
      const platform = await registerPlatformManually(plugin.store, {
        tenant: 'schoology-d',
        issuer: p.issuer,
        clientId: p.clientId,
        authUrl: `${p.url}/auth`,
        jwksUrl: `${p.url}/jwks`,
        tokenUrl: `${p.url}/token`,
        deploymentIds: [p.deploymentId],
        product: 'schoology',
        allowHttp: true,
      });
      expect(platform).toMatchObject({ registeredVia: 'manual', nativeIds: 'sub', deployments: [p.deploymentId] });
      await expect(registerPlatformManually(plugin.store, { tenant: 'schoology-d', issuer: p.issuer, clientId: 'c2', authUrl: `${p.url}/auth`, jwksUrl: `${p.url}/jwks` })).rejects.toThrow(/https/);
      await expect(registerPlatformManually(plugin.store, { tenant: 'nope', issuer: p.issuer, clientId: 'c3', authUrl: 'https://x.example/a', jwksUrl: 'https://x.example/j' })).rejects.toThrow(/no tenant/);
      // Canvas admins who prefer it paste this JSON under Developer Keys › LTI Key.
      const json = await (await fetch(`${plugin.url}/lti/canvas.json`)).json();
      expect(json).toMatchObject({ oidc_initiation_url: `${plugin.url}/lti/login`, target_link_uri: `${plugin.url}/lti/launch`, public_jwk_url: `${plugin.url}/lti/jwks`, scopes: [NRPS_SCOPE] });
    });
  });
}
