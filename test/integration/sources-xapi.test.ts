// The xAPI statement receiver end to end on both engines, with statements
// shaped as Moodle's xAPI log store sends them (test/fixtures/events/README.md):
// HTTP Basic as logstore_xapi sends it, the version header, 200 with ids,
// per-statement reporting, dedupe of a redelivered batch, the student's status
// after the drain, and hostile input refused cleanly.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines, startPlugin, type RunningPlugin } from '../support/plugin.ts';
import { seedDemoDistrict } from '../../plugin/admin/seed.ts';
import { localDay } from '../../shared/days.ts';

const NOW = Date.parse('2026-03-11T15:00:00.000Z'); // a Wednesday, 10:00 in New York
const batch = JSON.parse(readFileSync(new URL('../fixtures/events/moodle-xapi-batch.json', import.meta.url), 'utf8')) as Record<string, any>[];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Moodle's logstore_xapi: key = the credential's `rl_<id>`, secret = the part after the dot. */
function basic(token: string, mangle?: (secret: string) => string): string {
  const dot = token.indexOf('.');
  const key = token.slice(0, dot);
  const secret = token.slice(dot + 1);
  return `Basic ${Buffer.from(`${key}:${mangle ? mangle(secret) : secret}`).toString('base64')}`;
}

describe.each(engines())('xAPI statement receiver (%s)', (engine) => {
  let plugin: RunningPlugin;
  let ingest: string;
  let teacher: string;
  const today = localDay(NOW, 'America/New_York');

  const post = (body: unknown, headers: Record<string, string> = {}, raw?: string) =>
    fetch(`${plugin.url}/xapi/statements`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-experience-api-version': '1.0.3', authorization: basic(ingest), ...headers },
      body: raw ?? JSON.stringify(body),
    });
  const status = async (course: string) => {
    const r = await fetch(`${plugin.url}/api/v1/courses/${course}/status`, { headers: { authorization: `Bearer ${teacher}` } });
    expect(r.status).toBe(200);
    return (await r.json()) as { students: { user: string; headline: string; neverLoggedIn: boolean; today: { state: string; submitted: boolean; liveSession: boolean } }[] };
  };
  const todayRow = async (user: string) => (await plugin.store.rosterRows('demo', '101', today)).find((r) => r.user === user)!;

  beforeAll(async () => {
    plugin = await startPlugin({ engine, now: () => NOW });
    await seedDemoDistrict(plugin.store, { now: NOW, lmsKind: 'moodle', lmsOrigin: 'https://moodle.demo-k12.org' });
    ingest = await plugin.issue({ tenant: 'demo', role: 'ingest', label: 'moodle logstore' });
    teacher = await plugin.issue({ tenant: 'demo', role: 'teacher', person: '9001' });
  });
  afterAll(async () => {
    await plugin?.close();
  });

  it('answers /xapi/about without credentials', async () => {
    const r = await fetch(`${plugin.url}/xapi/about`);
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ version: ['1.0.3'] });
    expect(r.headers.get('x-experience-api-version')).toBe('1.0.3');
  });

  it('refuses missing, wrong and non-ingest credentials with a Basic challenge', async () => {
    const none = await post(batch, { authorization: '' });
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Basic realm="RosterLens"/);
    const wrong = await post(batch, { authorization: basic(ingest, (s) => s.slice(0, -2) + (s.endsWith('AA') ? 'BB' : 'AA')) });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toMatch(/^Basic realm="RosterLens"/);
    expect((await wrong.json()).error).toBe('credential_unknown');
    const garbage = await post(batch, { authorization: 'Basic %%%not-base64' });
    expect(garbage.status).toBe(401);
    const teacherKey = await post(batch, { authorization: basic(teacher) });
    expect(teacherKey.status).toBe(403);
    // Nothing reached the store.
    await plugin.drain();
    expect((await todayRow('5004')).today).toBeNull();
  });

  it('requires a supported X-Experience-API-Version', async () => {
    const missing = await post(batch, { 'x-experience-api-version': '' });
    expect(missing.status).toBe(400);
    expect((await missing.json()).error).toBe('xapi_version_missing');
    expect(missing.headers.get('x-experience-api-version')).toBe('1.0.3');
    const future = await post(batch, { 'x-experience-api-version': '2.0.0' });
    expect(future.status).toBe(400);
    expect((await future.json()).error).toBe('xapi_version_unsupported');
    expect((await post([], { 'x-experience-api-version': '1.0.0' })).status).toBe(200);
  });

  it("takes Moodle's batch: 200 with one id per statement, counts what gave no signal", async () => {
    const gabeBefore = (await todayRow('5006')).today?.signals ?? 0;
    const r = await post(batch);
    expect(r.status).toBe(200);
    const ids = (await r.json()) as string[];
    expect(ids).toHaveLength(batch.length);
    for (const id of ids) expect(id).toMatch(UUID);
    expect(new Set(ids).size).toBe(batch.length);
    // 9 statements: the badge (achieved) is ignored, the mbox actor has no LMS id.
    expect(r.headers.get('x-rosterlens-accepted')).toBe('7');
    expect(r.headers.get('x-rosterlens-ignored')).toBe('1');
    expect(r.headers.get('x-rosterlens-unmapped')).toBe('1');
    expect(r.headers.get('x-rosterlens-rejected')).toBe('0');

    await plugin.drain();
    const s = await status('101');
    const emma = s.students.find((x) => x.user === '5004')!; // absent today in the seed, then submitted
    expect(emma.headline).toBe('present_today');
    expect(emma.today.submitted).toBe(true);
    const hana = s.students.find((x) => x.user === '5007')!; // never logged in, then replied in the forum
    expect(hana.neverLoggedIn).toBe(false);
    const farah = s.students.find((x) => x.user === '5005')!; // attended the face-to-face session
    expect(farah.today.liveSession).toBe(true);
    expect(farah.today.state).toBe('present');
    // Gabe only received a badge: no new signal.
    expect((await todayRow('5006')).today?.signals ?? 0).toBe(gabeBefore);
  });

  it('a redelivered batch gets the same ids and counts once', async () => {
    const before = await todayRow('5004');
    const again = await post(batch);
    expect(again.status).toBe(200);
    const first = (await (await post(batch)).json()) as string[];
    const second = (await again.json()) as string[];
    expect(second).toEqual(first);
    await plugin.drain();
    const after = await todayRow('5004');
    expect(after.today).toEqual(before.today);
    // Key order does not matter: the same statement with its fields reordered is the same statement.
    const reordered = batch.map((st) => Object.fromEntries(Object.entries(st).reverse()));
    expect((await (await post(reordered)).json()) as string[]).toEqual(first);
  });

  it('keeps a statement id it is given, and PUT ?statementId stores one with 204', async () => {
    const id = '3f1c9a7e-5b2d-4c8e-9f0a-1b2c3d4e5f60';
    const st = { ...batch[1], id, actor: { account: { homePage: 'https://moodle.demo-k12.org', name: '5014' } } };
    const r = await post([st]);
    expect(await r.json()).toEqual([id]);
    const put = await fetch(`${plugin.url}/xapi/statements?statementId=${id}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', 'x-experience-api-version': '1.0.3', authorization: basic(ingest) },
      body: JSON.stringify(st),
    });
    expect(put.status).toBe(204);
    const mismatch = await fetch(`${plugin.url}/xapi/statements?statementId=${id.replace('3f1c', '4f1c')}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', 'x-experience-api-version': '1.0.3', authorization: basic(ingest) },
      body: JSON.stringify(st),
    });
    expect(mismatch.status).toBe(400);
    const noId = await fetch(`${plugin.url}/xapi/statements`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', 'x-experience-api-version': '1.0.3', authorization: basic(ingest) },
      body: JSON.stringify(st),
    });
    expect(noId.status).toBe(400);
    await plugin.drain();
    const row = await todayRow('5014');
    // One statement (posted, then put again with the same id): one signal today.
    expect(row.today?.signals).toBe(1);
  });

  it('accepts a Bearer credential too', async () => {
    const st = { ...batch[1], actor: { account: { homePage: 'https://moodle.demo-k12.org', name: '5015' } } };
    const r = await post([st], { authorization: `Bearer ${ingest}` });
    expect(r.status).toBe(200);
    expect(r.headers.get('x-rosterlens-accepted')).toBe('1');
  });

  it('reports statements the core refuses for their age, still with 200 so Moodle moves on', async () => {
    const old = { ...batch[1], timestamp: '2025-09-01T12:00:00.000Z' };
    const future = { ...batch[1], timestamp: '2026-03-12T12:00:00.000Z' };
    const r = await post([old, future, batch[1]]);
    expect(r.status).toBe(200);
    expect(r.headers.get('x-rosterlens-rejected')).toBe('2');
    expect(r.headers.get('x-rosterlens-accepted')).toBe('1');
  });

  it('refuses hostile and malformed input cleanly, storing nothing from it', async () => {
    const before = await todayRow('5016');
    const mine = (over: Record<string, unknown>) => ({ ...batch[1], actor: { account: { homePage: 'x', name: '5016' } }, ...over });
    const bad = [
      await post(undefined, {}, '{"actor": '), // not JSON
      await post([mine({}), 42]), // not a statement
      await post([mine({}), mine({ id: 'not-a-uuid' })]),
      await post([mine({}), mine({ timestamp: 'yesterday' })]),
      await post([mine({}), mine({ verb: { id: 7 } })]),
      await post([mine({}), { ...mine({}), actor: undefined }]),
      await post(undefined, {}, '{"__proto__": {"admin": true}, "actor": {}}'),
      await post(Array.from({ length: 1001 }, () => mine({}))),
    ];
    for (const r of bad) expect(r.status, await r.clone().text()).toBe(400);
    const huge = await post(undefined, {}, JSON.stringify([mine({ result: { response: 'x'.repeat(plugin.config.ingestMaxBytes) } })]));
    expect(huge.status).toBe(413);
    const form = await post(undefined, { 'content-type': 'application/x-www-form-urlencoded' }, 'a=b');
    expect(form.status).toBe(415);
    // Long or unprintable user ids are not stored, but do not fail the batch.
    const odd = await post([mine({ actor: { account: { homePage: 'x', name: 'x'.repeat(65) } } }), mine({ actor: { account: { homePage: 'x', name: 'has space' } } }), mine({ actor: { objectType: 'Group', member: [] } })]);
    expect(odd.status).toBe(200);
    expect(odd.headers.get('x-rosterlens-unmapped')).toBe('3');
    await plugin.drain();
    expect((await todayRow('5016')).today).toEqual(before.today);
  });

  it('says it is not a full LRS when asked for statements', async () => {
    const r = await fetch(`${plugin.url}/xapi/statements`, { headers: { 'x-experience-api-version': '1.0.3', authorization: basic(ingest) } });
    expect(r.status).toBe(405);
    expect((await r.json()).error).toBe('not_an_lrs');
  });
});
