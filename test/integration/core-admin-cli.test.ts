// The admin command line as a district admin runs it, on both stores: create a
// tenant, import a roster (a rejected one writes nothing and names its lines;
// a second import changes nothing), issue a credential that the API accepts,
// revoke it, and export the audit log of all of it.
import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines, freshStore, type TestStore } from '../support/plugin.ts';
import { verifyToken } from '../../plugin/server/credentials.ts';

const FIX = new URL('../fixtures/oneroster/', import.meta.url).pathname;

describe.each(engines())('admin CLI on %s', (engine) => {
  let t: TestStore;
  let env: NodeJS.ProcessEnv;
  const cli = (...args: string[]) =>
    new Promise<{ code: number; out: string; err: string }>((resolve) => {
      execFile(process.execPath, ['--import', 'tsx', 'plugin/admin/cli.ts', ...args], { env, timeout: 60_000 }, (error, out, err) => resolve({ code: error ? Number(error.code ?? 1) : 0, out, err }));
    });

  beforeAll(async () => {
    t = await freshStore(engine);
    const { DATABASE_URL: _a, DATA_DIR: _b, ...rest } = process.env;
    env = engine === 'postgres' ? { ...rest, DATABASE_URL: t.store.databaseUrl! } : { ...rest, DATA_DIR: t.store.dataDir! };
  });
  afterAll(() => t.close());

  it('creates a tenant and refuses a bad one with what is wrong', async () => {
    const ok = await cli('create-tenant', '--id', 'riverside', '--name', 'Riverside USD', '--lms', 'canvas', '--origin', 'https://riverside.instructure.com', '--tz', 'America/Los_Angeles');
    expect(ok.code).toBe(0);
    expect(await t.store.getTenant('riverside')).toMatchObject({ lmsKind: 'canvas', timeZone: 'America/Los_Angeles' });
    const bad = await cli('create-tenant', '--id', 'x', '--name', 'X', '--lms', 'blackboard', '--origin', 'nope', '--tz', 'Mars/Olympus');
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/lms: one of/);
    expect(bad.err).toMatch(/unknown time zone/);
  });

  it('rejects a broken roster with file and line, writing nothing', async () => {
    const r = await cli('import-roster', '--tenant', 'riverside', '--dir', `${FIX}broken`);
    expect(r.code).toBe(1);
    expect(r.err).toContain('users.csv:5');
    expect(r.err).toContain('enrollments.csv:4');
    expect(await t.store.tenantSummary('riverside', 0)).toMatchObject({ schools: 0, courses: 0, students: 0, enrollments: 0 });
  });

  it('imports a roster, and importing it again changes nothing', async () => {
    const first = await cli('import-roster', '--tenant', 'riverside', '--dir', `${FIX}valid`);
    expect(first.code).toBe(0);
    expect(first.out).toMatch(/imported: 3 orgs, 8 users, 3 classes, 9 enrollments/);
    const before = await t.store.tenantSummary('riverside', 0);
    expect((await cli('import-roster', '--tenant', 'riverside', '--dir', `${FIX}valid`)).code).toBe(0);
    expect(await t.store.tenantSummary('riverside', 0)).toEqual(before);
  });

  it('issues a credential shown once and stored hashed, refuses an incomplete one, and revokes', async () => {
    const r = await cli('issue', '--tenant', 'riverside', '--role', 'teacher', '--label', 'Ms. Park', '--person', '9101', '--days', '2');
    expect(r.code).toBe(0);
    const token = r.out.trim();
    expect(token).toMatch(/^rl_[a-z0-9]{12}\.[A-Za-z0-9_-]{43}$/);
    const v = await verifyToken(t.store, token, Date.now());
    expect(v).toMatchObject({ ok: true, credential: { role: 'teacher', person: '9101', tenant: 'riverside' } });
    const id = token.slice(3, 15);
    expect((await t.store.getCredential(id))!.secretHash).not.toContain(token.slice(16));
    expect((await t.store.getCredential(id))!.expiresAt - Date.now()).toBeLessThanOrEqual(2 * 86_400_000);
    const staff = await cli('issue', '--tenant', 'riverside', '--role', 'staff', '--label', 'Office');
    expect(staff.code).toBe(1);
    expect(staff.err).toMatch(/needs --schools/);
    expect((await cli('revoke', '--id', id)).out).toContain(`revoked ${id}`);
    expect(await verifyToken(t.store, token, Date.now())).toEqual({ ok: false, reason: 'revoked' });
  });

  it('exports the audit log of everything above', async () => {
    const r = await cli('export-audit', '--tenant', 'riverside', '--format', 'jsonl');
    expect(r.code).toBe(0);
    const actions = r.out.trim().split('\n').map((l) => (JSON.parse(l) as { action: string }).action);
    expect(actions).toEqual(['tenant.create', 'roster.import', 'roster.import', 'credential.issue', 'credential.revoke']);
    expect(r.out).not.toContain('rl_');
  });
});
