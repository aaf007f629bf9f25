// Starts the real plugin for a test: a fresh embedded store in a temp dir, or
// a fresh PostgreSQL database when TEST_DATABASE_URL is set (see test/run-all.sh).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { buildApp, type App, type AppDeps } from '../../plugin/server/app.ts';
import { loadConfig, type Config } from '../../plugin/server/config.ts';
import { openEmbedded, openPostgres } from '../../plugin/store/open.ts';
import type { SqlStore } from '../../plugin/store/sql-store.ts';
import type { CredentialRole, Store } from '../../plugin/store/store.ts';
import { issueCredential } from '../../plugin/server/credentials.ts';
import { MODULES } from '../../plugin/server/modules.ts';

export type EngineName = 'sqlite' | 'postgres';

export const PG_MISSING =
  'TEST_DATABASE_URL is not set. Run the whole suite with `npm test` (it starts a throwaway PostgreSQL), ' +
  'or point TEST_DATABASE_URL at a PostgreSQL server whose user may CREATE DATABASE.';

export interface TestStore {
  store: SqlStore;
  close(): Promise<void>;
}

/** A brand-new, empty store of the given engine. */
export async function freshStore(engine: EngineName): Promise<TestStore> {
  if (engine === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'rl-test-'));
    const store = await openEmbedded(dir, { role: 'server' });
    return { store, close: async () => { await store.close(); rmSync(dir, { recursive: true, force: true }); } };
  }
  const url = process.env.TEST_DATABASE_URL;
  if (!url) throw new Error(PG_MISSING);
  const name = `rl_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const u = new URL(url);
  u.pathname = `/${name}`;
  const store = await openPostgres(u.toString(), 5);
  return {
    store,
    close: async () => {
      await store.close();
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

export interface RunningPlugin {
  url: string;
  app: App;
  store: Store;
  config: Config;
  /** Resolves once every acknowledged signal is folded into status. */
  drain(): Promise<void>;
  /** Issues a credential and returns its bearer token. */
  issue(input: { tenant: string; role: CredentialRole; label?: string; person?: string | null; schools?: string[]; courses?: string[]; ttlMs?: number }): Promise<string>;
  close(): Promise<void>;
}

export async function startPlugin(opts: { engine?: EngineName; env?: Record<string, string>; now?: () => number; modules?: AppDeps['modules']; listen?: boolean } = {}): Promise<RunningPlugin> {
  const t = await freshStore(opts.engine ?? 'sqlite');
  const config = loadConfig({ LOG_LEVEL: 'silent', PORT: '0', ...opts.env });
  const app = await buildApp({ store: t.store, config, now: opts.now, modules: opts.modules ?? MODULES });
  let url = '';
  if (opts.listen !== false) {
    await app.listen({ port: 0, host: '127.0.0.1' });
    const addr = app.server.address();
    url = typeof addr === 'object' && addr ? `http://127.0.0.1:${addr.port}` : '';
    config.publicUrl = url;
  }
  return {
    url,
    app,
    store: t.store,
    config,
    drain: () => app.services.ingestIdle(),
    issue: async (i) =>
      (await issueCredential(t.store, { tenant: i.tenant, role: i.role, label: i.label ?? `${i.role}-${i.person ?? 'x'}`, person: i.person ?? null, schools: i.schools, courses: i.courses, ttlMs: i.ttlMs ?? 86_400_000 }, (opts.now ?? Date.now)())).token,
    close: async () => {
      await app.close();
      await t.close();
    },
  };
}

/**
 * The engines a store-backed suite runs on: both, always. A developer iterating
 * locally without PostgreSQL may set RL_SQLITE_ONLY=1; `npm test` never does.
 */
export function engines(): EngineName[] {
  if (process.env.TEST_DATABASE_URL) return ['sqlite', 'postgres'];
  if (process.env.RL_SQLITE_ONLY === '1') return ['sqlite'];
  throw new Error(PG_MISSING);
}
