// Names and Role Provisioning Services against the platform emulator, on both
// engines: a service token by a signed client assertion; membership pages
// followed by rel="next"; later only rel="differences"; LTI roles mapped to
// teacher/student; native ids from the NRPS message section, from launches,
// and from SIS ids joined to a OneRoster import.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines, startPlugin, type RunningPlugin } from '../support/plugin.ts';
import { registerPlatformManually, type Platform as PlatformReg } from '../../plugin/sources/lti/platforms.ts';
import { syncCourse } from '../../plugin/sources/lti/nrps.ts';
import { refreshLtiRosters } from '../../plugin/sources/lti/module.ts';
import { ltiDb } from '../../plugin/sources/lti/tables.ts';
import { localDay } from '../../shared/days.ts';
import { DEFAULT_POLICY } from '../../shared/policy.ts';
import { Platform, ROLE, launchAt } from './lti-platform.ts';

const TZ = 'America/Chicago';

for (const engine of engines()) {
  describe(`LTI NRPS rosters (${engine})`, () => {
    let plugin: RunningPlugin;
    let lms: Platform;
    let reg: PlatformReg;
    const today = () => localDay(Date.now(), TZ);
    const enrollments = async (course: string) =>
      (await ltiDb(plugin.store).selectFrom('enrollments').select(['person', 'role', 'start_day', 'end_day', 'source']).where('tenant', '=', 'emu').where('course', '=', course).orderBy('role').orderBy('person').execute()).map((e) => ({
        ...e,
        start_day: e.start_day === null ? null : Number(e.start_day),
        end_day: e.end_day === null ? null : Number(e.end_day),
      }));
    const current = async (course: string) => (await enrollments(course)).filter((e) => e.end_day === null || e.end_day >= today()).map((e) => `${e.role}:${e.person}`);

    beforeAll(async () => {
      plugin = await startPlugin({ engine, env: { RL_LTI_ROSTER_REFRESH_MINUTES: '0' } });
      lms = await new Platform({ product: 'canvas' }).start();
      await plugin.store.createTenant({ id: 'emu', name: 'Emu', lmsKind: 'canvas', lmsOrigin: 'https://emu.instructure.com', timeZone: TZ, policy: DEFAULT_POLICY }, Date.now());
      reg = await registerPlatformManually(plugin.store, { tenant: 'emu', issuer: lms.issuer, clientId: lms.clientId, authUrl: `${lms.url}/auth`, jwksUrl: `${lms.url}/jwks`, tokenUrl: `${lms.url}/token`, deploymentIds: [lms.deploymentId], product: 'canvas', allowHttp: true });
      lms.customParams = { canvas_user_id: '$Canvas.user.id', canvas_course_id: '$Canvas.course.id' };
      lms.toolJwksUrl = `${plugin.url}/lti/jwks`;
      lms.pageSize = 2;
      const people: [string, string, string?][] = [
        ['sub-teacher', '100'],
        ['sub-ta', '101'],
        ['sub-s1', '201'],
        ['sub-s2', '202'],
        ['sub-s3', '203'],
        ['sub-s4', '204'],
        ['sub-mentor', '300'],
        ['sub-test', '399'],
      ];
      for (const [sub, nativeId] of people) lms.addUser({ sub, nativeId, givenName: `G${nativeId}`, familyName: `F${nativeId}` });
      lms.addCourse('ctx-math', '5001', 'Math 7');
      lms.setMember('ctx-math', { sub: 'sub-teacher', roles: [ROLE.instructor] });
      lms.setMember('ctx-math', { sub: 'sub-ta', roles: [ROLE.ta] });
      lms.setMember('ctx-math', { sub: 'sub-s1', roles: [ROLE.learner] });
      lms.setMember('ctx-math', { sub: 'sub-s2', roles: ['Learner'] }); // short form
      lms.setMember('ctx-math', { sub: 'sub-s3', roles: ['http://purl.imsglobal.org/vocab/lis/v2/membership#Learner'] });
      lms.setMember('ctx-math', { sub: 'sub-mentor', roles: [ROLE.mentor] });
      lms.setMember('ctx-math', { sub: 'sub-test', roles: [ROLE.learner, ROLE.testUser] });
    });
    afterAll(async () => {
      await plugin.app.lti?.idle();
      await plugin.close();
      await lms.stop();
    });

    it('a teacher launch pulls the whole roster, page by page, with the native ids from the message section', async () => {
      const r = await launchAt(plugin.url, lms, { user: 'sub-teacher', context: 'ctx-math', roles: [ROLE.instructor] });
      expect(r.reason).toBeNull();
      await plugin.app.lti!.idle();
      expect(lms.tokenRequests).toBe(1);
      expect(lms.tokenAssertionsRejected).toBe(0);
      // 7 members, 2 a page: 4 pages, the first asked with rlid for the message section.
      const pages = lms.nrpsRequests.filter((u) => u.startsWith('/nrps/ctx-math?'));
      expect(pages).toHaveLength(4);
      expect(pages[0]).toContain('rlid=rl-ctx-math');
      expect(pages.slice(1).map((u) => new URLSearchParams(u.split('?')[1]).get('page'))).toEqual(['1', '2', '3']);
      expect(await current('5001')).toEqual(['student:201', 'student:202', 'student:203', 'teacher:100', 'teacher:101']);
      // First look at the course: nobody's start is invented.
      expect((await enrollments('5001')).every((e) => e.start_day === null && e.source === 'lti')).toBe(true);
      const ctx = await ltiDb(plugin.store).selectFrom('lti_contexts').selectAll().where('context_id', '=', 'ctx-math').executeTakeFirstOrThrow();
      expect(ctx.differences_url).toMatch(/\/nrps\/ctx-math\/diff\?since=\d+$/);
      expect(ctx.sync_error).toBeNull();
      // Mapping kept per tenant: subject ↔ native id, and people.lti_sub mirrors it.
      expect((await plugin.store.getPerson('emu', '202'))?.ltiSub).toBe('sub-s2');
      expect(await plugin.store.getPerson('emu', '300')).toBeNull(); // mentors are not kept
      expect(await plugin.store.getPerson('emu', '399')).toBeNull(); // nor Canvas's test student
      // The TA teaches; the verified roster authorizes through the real API.
      const ta = await plugin.issue({ tenant: 'emu', role: 'teacher', person: '101' });
      expect((await fetch(`${plugin.url}/api/v1/courses/5001/status`, { headers: { authorization: `Bearer ${ta}` } })).status).toBe(200);
    });

    it('later syncs read only the differences: joiners, leavers, deactivations, a TA who left loses access', async () => {
      lms.setMember('ctx-math', { sub: 'sub-s4', roles: [ROLE.learner] });
      lms.removeMember('ctx-math', 'sub-s1');
      lms.setMember('ctx-math', { sub: 'sub-s2', roles: [ROLE.learner], status: 'Inactive' });
      lms.removeMember('ctx-math', 'sub-ta');
      lms.nrpsRequests.length = 0;
      const [res] = await syncCourse(plugin.store, 'emu', '5001', { now: Date.now(), today: today() });
      expect(res).toMatchObject({ mode: 'differences', fetched: 4 });
      expect(lms.nrpsRequests.length).toBeGreaterThan(0);
      expect(lms.nrpsRequests.every((u) => u.startsWith('/nrps/ctx-math/diff?since=') && u.includes('rlid=rl-ctx-math'))).toBe(true);
      expect(await current('5001')).toEqual(['student:203', 'student:204', 'teacher:100']);
      const all = await enrollments('5001');
      expect(all.find((e) => e.person === '204')).toMatchObject({ start_day: today(), end_day: null });
      expect(all.find((e) => e.person === '201')).toMatchObject({ end_day: today() - 1 }); // history kept
      expect(all.find((e) => e.person === '202')).toMatchObject({ end_day: today() - 1 });
      expect(all.find((e) => e.person === '101')).toBeUndefined(); // teaching access removed
      const ta = await plugin.issue({ tenant: 'emu', role: 'teacher', person: '101' });
      expect((await fetch(`${plugin.url}/api/v1/courses/5001/status`, { headers: { authorization: `Bearer ${ta}` } })).status).toBe(403);

      // A full resync agrees with the differences.
      const [full] = await syncCourse(plugin.store, 'emu', '5001', { now: Date.now(), today: today(), full: true });
      expect(full!.mode).toBe('full');
      expect(await current('5001')).toEqual(['student:203', 'student:204', 'teacher:100']);
    });

    it('members without a native id wait until a launch or the SIS id says who they are', async () => {
      lms.nrpsMessages = false; // a platform without the message section
      lms.addUser({ sub: 'sub-s5', nativeId: '205' });
      lms.addUser({ sub: 'sub-s6', nativeId: '206', sisId: 'SIS-206' });
      lms.addCourse('ctx-art', '5002', 'Art');
      lms.setMember('ctx-art', { sub: 'sub-teacher', roles: [ROLE.instructor] });
      lms.setMember('ctx-art', { sub: 'sub-s5', roles: [ROLE.learner] });
      lms.setMember('ctx-art', { sub: 'sub-s6', roles: [ROLE.learner] });
      // The OneRoster import knows student 206 by SIS id.
      await plugin.store.applyRoster('emu', { schools: [], people: [{ id: '206', sisId: 'SIS-206', ltiSub: null, role: 'student', givenName: null, familyName: null, grade: '7', school: null, groups: [] }], courses: [], enrollments: [], source: 'oneroster' }, Date.now());

      await launchAt(plugin.url, lms, { user: 'sub-teacher', context: 'ctx-art', roles: [ROLE.instructor] });
      await plugin.app.lti!.idle();
      // The teacher is known from earlier; 206 joins through the SIS id; 205 waits.
      expect(await current('5002')).toEqual(['student:206', 'teacher:100']);
      const pending = await ltiDb(plugin.store).selectFrom('lti_members').select(['person']).where('context_id', '=', 'ctx-art').where('sub', '=', 'sub-s5').executeTakeFirstOrThrow();
      expect(pending.person).toBeNull();

      // 205 launches (from any course): the LMS's custom parameter names them, and the waiting membership joins.
      const r = await launchAt(plugin.url, lms, { user: 'sub-s5', context: 'ctx-math', roles: [ROLE.learner] });
      expect(r.reason).toBeNull();
      await plugin.app.lti!.idle();
      expect(await current('5002')).toEqual(['student:205', 'student:206', 'teacher:100']);
      lms.nrpsMessages = true;
    });

    it('the scheduled refresh syncs courses not synced lately, and records a platform failure without student data', async () => {
      const db = ltiDb(plugin.store);
      await db.updateTable('lti_contexts').set({ synced_at: 0 }).where('tenant', '=', 'emu').execute();
      const before = lms.nrpsRequests.length;
      const r = await refreshLtiRosters(plugin.store, { now: Date.now() });
      expect(r).toEqual({ synced: 2, failed: 0 });
      expect(lms.nrpsRequests.length).toBeGreaterThan(before);
      expect((await refreshLtiRosters(plugin.store, { now: Date.now() })).synced).toBe(0); // fresh now

      lms.courses.delete('ctx-art');
      await db.updateTable('lti_contexts').set({ synced_at: 0 }).where('context_id', '=', 'ctx-art').execute();
      const bad = await refreshLtiRosters(plugin.store, { now: Date.now() });
      expect(bad).toEqual({ synced: 0, failed: 1 });
      const row = await db.selectFrom('lti_contexts').select(['sync_error']).where('context_id', '=', 'ctx-art').executeTakeFirstOrThrow();
      expect(row.sync_error).toBe('the platform refused the membership request: HTTP 404');
      expect(reg.id).toBeTruthy();
    });
  });
}
