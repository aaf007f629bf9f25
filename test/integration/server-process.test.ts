// The server as `npm start` runs it: its logs carry no student data, it serves
// an OpenAPI document of every route, and it stops cleanly.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEmbedded } from '../../plugin/store/open.ts';
import { seedDemoDistrict } from '../../plugin/admin/seed.ts';
import { issueCredential } from '../../plugin/server/credentials.ts';

describe('the server process', () => {
  let proc: ChildProcess;
  let out = '';
  let base = '';
  let teacher = '';
  let ingest = '';
  const student = '5007';
  const note = 'Family said Ava Garcia moved to her aunt at 12 Elm St';

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rl-proc-'));
    const store = await openEmbedded(dir);
    await seedDemoDistrict(store);
    teacher = (await issueCredential(store, { tenant: 'demo', role: 'teacher', person: '9001', label: 'Maria Rivera', ttlMs: 3_600_000 }, Date.now())).token;
    ingest = (await issueCredential(store, { tenant: 'demo', role: 'ingest', label: 'lrs', ttlMs: 3_600_000 }, Date.now())).token;
    await store.close();
    proc = spawn(process.execPath, ['--import', 'tsx', 'plugin/server/main.ts'], { env: { ...process.env, DATA_DIR: dir, PORT: '0', LOG_LEVEL: 'debug' }, stdio: ['ignore', 'pipe', 'pipe'] });
    proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`server did not start:\n${out}`)), 30_000);
      const check = setInterval(() => {
        const m = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
        if (m) {
          clearInterval(check);
          clearTimeout(timer);
          base = m[1]!;
          resolve();
        }
      }, 50);
    });
  });
  afterAll(() => {
    if (proc.exitCode === null) proc.kill('SIGKILL');
  });

  it('logs requests without student ids, names, notes or credentials', async () => {
    const auth = { authorization: `Bearer ${teacher}`, 'content-type': 'application/json' };
    await fetch(`${base}/api/v1/courses/101/status`, { headers: auth });
    await fetch(`${base}/api/v1/flags?student=${student}`, { headers: auth });
    const raised = (await (await fetch(`${base}/api/v1/flags`, { method: 'POST', headers: auth, body: JSON.stringify({ course: '101', student, reason: 'wellbeing', note }) })).json()) as { flag: { id: string } };
    await fetch(`${base}/api/v1/flags/${raised.flag.id}`, { headers: auth });
    await fetch(`${base}/api/v1/flags/${raised.flag.id}/actions`, { method: 'POST', headers: auth, body: JSON.stringify({ action: 'note', note }) });
    await fetch(`${base}/api/v1/flags/f_${student}x/actions`, { method: 'POST', headers: auth, body: JSON.stringify({ action: 'note', note }) });
    await fetch(`${base}/api/v1/flags`, { method: 'POST', headers: auth, body: `{"course":"101","student":"${student}",` });
    // Over the body limit: the server may answer 413 and close before the upload ends.
    await fetch(`${base}/api/v1/flags`, { method: 'POST', headers: auth, body: JSON.stringify({ course: '101', student, reason: 'other', note: `${note} `.repeat(20_000) }) }).catch(() => null);
    await fetch(`${base}/api/v1/courses/${student}/status`, { headers: auth });
    await fetch(`${base}/api/v1/flags`, { method: 'POST', headers: auth, body: JSON.stringify({ course: '101', student, reason: 'not-a-reason', note }) });
    await fetch(`${base}/api/v1/signals`, { method: 'POST', headers: { ...auth, authorization: `Bearer ${ingest}` }, body: JSON.stringify({ signals: [{ id: 'proc-test-1', course: '101', user: student, at: new Date().toISOString(), kind: 'login' }] }) });
    await new Promise((r) => setTimeout(r, 300));
    expect(out).toContain('"route":"/api/v1/courses/:courseId/status"');
    expect(out).toContain('"statusCode":400');
    expect(out).toContain('"statusCode":404');
    expect(out).toContain('"statusCode":413');
    for (const secret of [student, 'Ava', 'Elm St', teacher.slice(16), ingest.slice(16), 'Maria Rivera']) expect(out).not.toContain(secret);
  });

  it('serves an OpenAPI 3.1 document of every route', async () => {
    const doc = (await (await fetch(`${base}/openapi.json`)).json()) as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(doc.openapi).toBe('3.1.0');
    for (const [path, method] of [
      ['/api/v1/me', 'get'],
      ['/api/v1/signals', 'post'],
      ['/api/v1/courses/{courseId}/status', 'get'],
      ['/api/v1/flags', 'post'],
      ['/api/v1/flags', 'get'],
      ['/api/v1/flags/{flagId}', 'get'],
      ['/api/v1/flags/{flagId}/actions', 'post'],
    ] as const) {
      expect(doc.paths[path]?.[method], `${method} ${path}`).toBeDefined();
    }
    const batch = (doc.paths['/api/v1/signals']!.post as { requestBody: { content: Record<string, { schema: { properties: { signals: { maxItems: number } } } }> } }).requestBody.content['application/json']!.schema;
    expect(batch.properties.signals.maxItems).toBe(1000);
  });

  it('stops on SIGTERM', async () => {
    const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
    proc.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(out).toContain('shutting down');
  });
});
