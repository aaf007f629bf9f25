// The tool's own keys, on both engines: published at /lti/jwks without any
// private part; rotation makes a new signer and keeps the old public key
// published for the grace period, so signatures made before the rotation
// still verify, and then it is gone. The platform accepts service tokens
// signed with the new key.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignJWT, createLocalJWKSet, jwtVerify, errors, type JWK } from 'jose';
import { engines, startPlugin, type RunningPlugin } from '../support/plugin.ts';
import { currentSigningKey, rotateToolKeys } from '../../plugin/sources/lti/keys.ts';
import { registerPlatformManually } from '../../plugin/sources/lti/platforms.ts';
import { serviceToken, NRPS_SCOPE } from '../../plugin/sources/lti/nrps.ts';
import { ltiDb } from '../../plugin/sources/lti/tables.ts';
import { DEFAULT_POLICY } from '../../shared/policy.ts';
import { Platform } from './lti-platform.ts';

const HOUR = 3_600_000;

for (const engine of engines()) {
  describe(`LTI tool keys (${engine})`, () => {
    const clock = { now: Date.now() };
    let plugin: RunningPlugin;
    const jwks = async () => {
      const r = await fetch(`${plugin.url}/lti/jwks`);
      expect(r.status).toBe(200);
      return (await r.json()) as { keys: JWK[] };
    };
    const sign = async () => {
      const k = await currentSigningKey(plugin.store, clock.now);
      const iat = Math.floor(clock.now / 1000);
      return { kid: k.kid, jwt: await new SignJWT({ purpose: 'test' }).setProtectedHeader({ alg: k.alg, kid: k.kid }).setIssuer('rosterlens').setIssuedAt(iat).setExpirationTime(iat + 7 * 86400).sign(k.key) };
    };
    const verifies = async (jwt: string) => {
      try {
        await jwtVerify(jwt, createLocalJWKSet(await jwks()), { currentDate: new Date(clock.now) });
        return true;
      } catch (e) {
        if (e instanceof errors.JWKSNoMatchingKey) return false;
        throw e;
      }
    };

    beforeAll(async () => {
      plugin = await startPlugin({ engine, now: () => clock.now, env: { RL_LTI_ROSTER_REFRESH_MINUTES: '0' } });
    });
    afterAll(async () => {
      await plugin.close();
    });

    it('publishes one public key on a fresh install, and never a private part', async () => {
      const { keys } = await jwks();
      expect(keys).toHaveLength(1);
      expect(keys[0]).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig' });
      for (const p of ['d', 'p', 'q', 'dp', 'dq', 'qi']) expect(keys[0]).not.toHaveProperty(p);
      expect((await fetch(`${plugin.url}/.well-known/jwks.json`).then((r) => r.json())).keys).toEqual(keys);
    });

    it('rotation keeps the old key verifiable for the grace period, then drops it', async () => {
      const before = await sign();
      expect(await verifies(before.jwt)).toBe(true);

      const rotated = await rotateToolKeys(plugin.store, clock.now, 24 * HOUR);
      expect(rotated.retired).toEqual([before.kid]);
      const after = await sign();
      expect(after.kid).toBe(rotated.kid);
      expect(after.kid).not.toBe(before.kid);
      expect((await jwks()).keys.map((k) => k.kid).sort()).toEqual([before.kid, after.kid].sort());
      expect(await verifies(before.jwt)).toBe(true);
      expect(await verifies(after.jwt)).toBe(true);

      clock.now += 23 * HOUR;
      expect(await verifies(before.jwt)).toBe(true);
      clock.now += 2 * HOUR;
      expect((await jwks()).keys.map((k) => k.kid)).toEqual([after.kid]);
      expect(await verifies(before.jwt)).toBe(false);
      expect(await verifies(after.jwt)).toBe(true);

      // The next rotation deletes keys whose grace is over; private keys never left the table.
      await rotateToolKeys(plugin.store, clock.now, HOUR);
      const rows = await ltiDb(plugin.store).selectFrom('lti_tool_keys').select('kid').execute();
      expect(rows.map((r) => r.kid)).not.toContain(before.kid);
    });

    it('the platform accepts a service token assertion signed with the rotated key', async () => {
      clock.now = Date.now();
      const lms = await new Platform({ product: 'canvas' }).start();
      try {
        await plugin.store.createTenant({ id: 'keys', name: 'Keys', lmsKind: 'canvas', lmsOrigin: 'https://k.instructure.com', timeZone: 'UTC', policy: DEFAULT_POLICY }, clock.now);
        const reg = await registerPlatformManually(plugin.store, { tenant: 'keys', issuer: lms.issuer, clientId: lms.clientId, authUrl: `${lms.url}/auth`, jwksUrl: `${lms.url}/jwks`, tokenUrl: `${lms.url}/token`, deploymentIds: [lms.deploymentId], allowHttp: true });
        lms.toolJwksUrl = `${plugin.url}/lti/jwks`;
        await rotateToolKeys(plugin.store, clock.now);
        expect(await serviceToken(plugin.store, reg, [NRPS_SCOPE], clock.now)).toMatch(/^[0-9a-f]{32}$/);
        expect(lms.tokenAssertionsRejected).toBe(0);
      } finally {
        await lms.stop();
      }
    });
  });
}
