// The Caliper / Canvas Live Events endpoint end to end on both engines, with
// Canvas's own published payloads (Caliper 1.1 and Canvas format) and a
// Caliper 1.2 envelope (test/fixtures/events/README.md): status codes, auth
// (header and, for Canvas Data Services, the credential in the URL), Canvas
// global ids → the roster's local ids, per-event reporting, dedupe of a
// redelivered event, and the students' status after the drain.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines, startPlugin, type RunningPlugin } from '../support/plugin.ts';
import { seedDemoDistrict } from '../../plugin/admin/seed.ts';
import { localDay } from '../../shared/days.ts';
import { canvasLocalId, courseFromUrl } from '../../plugin/sources/xapi.ts';
import { mapCanvasEvent } from '../../plugin/sources/caliper.ts';

const NOW = Date.parse('2026-03-11T15:00:00.000Z'); // a Wednesday, 10:00 in New York
const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../fixtures/events/${name}`, import.meta.url), 'utf8')) as Record<string, any>;

describe('Canvas ids', () => {
  it('maps global ids (shard × 10^13 + local) and shard~local to the local id', () => {
    expect(canvasLocalId('21070000000000123')).toBe('123');
    expect(canvasLocalId('123')).toBe('123');
    expect(canvasLocalId(5004)).toBe('5004');
    expect(canvasLocalId('412~17342')).toBe('17342');
    expect(canvasLocalId('abc')).toBeNull();
    expect(courseFromUrl('https://demo.instructure.com/courses/101/assignments')).toBe('101');
    expect(courseFromUrl('https://demo.instructure.com/courses/412~17342/files')).toBe('17342');
    expect(courseFromUrl('https://moodle.example.org/course/view.php?id=2')).toBe('2');
    expect(courseFromUrl('https://moodle.example.org/mod/assign/view.php?id=2')).toBeNull();
  });

  it('ignores system jobs, masquerading and grading in Canvas format', () => {
    const ev = fixture('canvas-live-asset-accessed.json');
    expect(mapCanvasEvent(ev)).toMatchObject({ ok: true, signal: { user: '5024', course: '101', kind: 'page_view' } });
    expect(mapCanvasEvent({ ...ev, metadata: { ...ev.metadata, job_id: '1234', job_tag: 'SIS import' } })).toMatchObject({ ok: false, ignored: true });
    expect(mapCanvasEvent({ ...ev, metadata: { ...ev.metadata, real_user_id: '21070000000000001' } })).toMatchObject({ ok: false, ignored: true });
    expect(mapCanvasEvent({ ...ev, metadata: { ...ev.metadata, event_name: 'grade_change' } })).toMatchObject({ ok: false, ignored: true });
    expect(mapCanvasEvent({ ...ev, metadata: { ...ev.metadata, event_time: 'soon' } })).toMatchObject({ ok: false, ignored: false });
  });
});

describe.each(engines())('Caliper / Canvas Live Events endpoint (%s)', (engine) => {
  let plugin: RunningPlugin;
  let ingest: string;
  let teacher101: string;
  let teacher102: string;
  const today = localDay(NOW, 'America/New_York');

  const send = (path: string, body: unknown, headers: Record<string, string> = {}, raw?: string) =>
    fetch(`${plugin.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ingest}`, ...headers },
      body: raw ?? JSON.stringify(body),
    });
  const status = async (course: string, token: string) => {
    const r = await fetch(`${plugin.url}/api/v1/courses/${course}/status`, { headers: { authorization: `Bearer ${token}` } });
    expect(r.status).toBe(200);
    return (await r.json()) as { students: { user: string; headline: string; neverLoggedIn: boolean; today: { state: string; submitted: boolean } }[] };
  };
  const todayRow = async (course: string, user: string) => (await plugin.store.rosterRows('demo', course, today)).find((r) => r.user === user)!;

  beforeAll(async () => {
    plugin = await startPlugin({ engine, now: () => NOW });
    await seedDemoDistrict(plugin.store, { now: NOW });
    ingest = await plugin.issue({ tenant: 'demo', role: 'ingest', label: 'canvas live events' });
    teacher101 = await plugin.issue({ tenant: 'demo', role: 'teacher', person: '9001' });
    teacher102 = await plugin.issue({ tenant: 'demo', role: 'teacher', person: '9002' });
  });
  afterAll(async () => {
    await plugin?.close();
  });

  it('refuses missing, unknown and non-ingest credentials', async () => {
    const env = fixture('canvas-caliper-batch.json');
    const none = await send('/caliper', env, { authorization: '' });
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    expect((await send('/caliper', env, { authorization: `Bearer ${ingest.slice(0, -3)}AAA` })).status).toBe(401);
    expect((await send('/caliper', env, { authorization: `Bearer ${teacher101}` })).status).toBe(403);
    expect((await send(`/caliper/${encodeURIComponent(ingest.slice(0, -3) + 'AAA')}`, env, { authorization: '' })).status).toBe(401);
    expect((await send('/caliper/not-a-token', env, { authorization: '' })).status).toBe(401);
    await plugin.drain();
    expect((await todayRow('101', '5014')).today).toBeNull();
  });

  it('refuses what is not JSON (415), malformed envelopes (400) and other Caliper versions (422)', async () => {
    const env = fixture('canvas-caliper-batch.json');
    const text = await send('/caliper', undefined, { 'content-type': 'text/plain' }, 'hello');
    expect(text.status).toBe(415);
    const jwt = await send('/caliper', undefined, { 'content-type': 'application/jwt' }, 'eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ.eyJtZXRhZGF0YSI6e319.c2ln');
    expect(jwt.status).toBe(415);
    expect((await jwt.json()).error).toBe('signed_payload_unsupported');
    expect((await send('/caliper', undefined, {}, '{"sensor": ')).status).toBe(400);
    expect((await send('/caliper', [env])).status).toBe(400);
    expect((await send('/caliper', { ...env, sensor: undefined })).status).toBe(400);
    expect((await send('/caliper', { ...env, data: 'nope' })).status).toBe(400);
    expect((await send('/caliper', { ...env, sendTime: 'now' })).status).toBe(400);
    const v10 = await send('/caliper', { ...env, dataVersion: 'http://purl.imsglobal.org/ctx/caliper/v1p0' });
    expect(v10.status).toBe(422);
    expect((await v10.json()).error).toBe('unsupported_data_version');
    expect((await send('/caliper', { ...env, data: Array.from({ length: 1001 }, () => ({ type: 'ViewEvent' })) })).status).toBe(400);
    const huge = await send('/caliper', undefined, {}, JSON.stringify({ ...env, pad: 'x'.repeat(plugin.config.ingestMaxBytes) }));
    expect(huge.status).toBe(413);
    expect((await send('/caliper', undefined, {}, '{"__proto__": {"x": 1}, "sensor": "a"}')).status).toBe(400);
    await plugin.drain();
    expect((await todayRow('101', '5014')).today).toBeNull();
  });

  it("takes Canvas's Caliper 1.1 events, mapping global ids to the roster's local ids", async () => {
    const r = await send('/caliper', fixture('canvas-caliper-batch.json'));
    expect(r.status).toBe(200);
    const body = await r.json();
    // login, navigation, submission, post; the attachment view by the system (SoftwareApplication) is ignored.
    expect(body).toMatchObject({ format: 'caliper', received: 5, accepted: 4, rejected: [], unmapped: [], ignored: 1 });
    await plugin.drain();
    const s = await status('101', teacher101);
    const omar = s.students.find((x) => x.user === '5014')!; // absent today in the seed, then logged in and submitted
    expect(omar.today.submitted).toBe(true);
    expect(omar.headline).toBe('present_today');
    const quinn = s.students.find((x) => x.user === '5017')!; // never logged in, then posted
    expect(quinn.neverLoggedIn).toBe(false);
    expect((await todayRow('101', '5017')).today?.signals).toBe(1);
  });

  it('dedupes a redelivered Caliper envelope', async () => {
    const before = await todayRow('101', '5014');
    const r = await send('/caliper', fixture('canvas-caliper-batch.json'));
    expect(r.status).toBe(200);
    await plugin.drain();
    expect((await todayRow('101', '5014')).today).toEqual(before.today);
  });

  it('takes Canvas-format live events with the credential in the URL (Data Services HTTPS delivery)', async () => {
    const path = `/caliper/${encodeURIComponent(ingest)}`;
    const a = await send(path, fixture('canvas-live-asset-accessed.json'), { authorization: '' });
    expect(a.status).toBe(200);
    expect(await a.json()).toMatchObject({ format: 'canvas', received: 1, accepted: 1 });
    // The submission arrives from a tool's grade passback: no request user or course in metadata; the body names the student.
    const b = await send(path, fixture('canvas-live-submission-created.json'), { authorization: '' });
    expect(await b.json()).toMatchObject({ format: 'canvas', accepted: 1 });
    // Redelivered: counted once.
    await send(path, fixture('canvas-live-asset-accessed.json'), { authorization: '' });
    await plugin.drain();
    const row = await todayRow('101', '5024');
    expect(row.today?.signals).toBe(1); // the course-less submission counts for the student, not for course 101
    const s = await status('101', teacher101);
    expect(s.students.find((x) => x.user === '5024')!.today.state).not.toBe('absent');
  });

  it('takes a Caliper 1.2 envelope from another sensor, and reports events it cannot map by index', async () => {
    const r = await send('/caliper', fixture('caliper-1p2-generic.json'));
    expect(r.status).toBe(200);
    const body = await r.json();
    expect(body).toMatchObject({ format: 'caliper', received: 4, accepted: 2, ignored: 1, rejected: [] });
    expect(body.unmapped).toEqual([{ index: 3, reason: expect.stringMatching(/actor/) }]);
    await plugin.drain();
    const s = await status('102', teacher102);
    const student = s.students.find((x) => x.user === '5039')!; // never logged in, then read a page and submitted
    expect(student.neverLoggedIn).toBe(false);
    expect(student.today.submitted).toBe(true);
    expect(student.today.state).toBe('present');
  });

  it('reports per event what the core refuses for age, and never fails the envelope for one bad event', async () => {
    const env = fixture('caliper-1p2-generic.json');
    const ev = env.data[0];
    const r = await send('/caliper', {
      ...env,
      data: [
        { ...ev, id: 'urn:uuid:00000000-0000-4000-8000-000000000001', eventTime: '2025-01-01T00:00:00Z' },
        { ...ev, id: 'urn:uuid:00000000-0000-4000-8000-000000000002', eventTime: '2026-03-11T20:00:00Z' },
        { ...ev, id: 'urn:uuid:00000000-0000-4000-8000-000000000003', actor: { id: 'https://lms.demo-k12.org/users/' + 'x'.repeat(80), type: 'Person' } },
        42,
        { ...ev, id: 'urn:uuid:00000000-0000-4000-8000-000000000004' },
      ],
    });
    expect(r.status).toBe(200);
    const body = await r.json();
    expect(body.accepted).toBe(1);
    expect(body.rejected).toEqual([
      { index: 0, reason: 'too_old' },
      { index: 1, reason: 'in_future' },
    ]);
    expect(body.unmapped.map((u: { index: number }) => u.index)).toEqual([2, 3]);
  });
});
