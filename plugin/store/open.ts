// Opens the configured store and brings its schema up to date.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely';
import type { Database } from './schema.ts';
import { migrate } from './migrations.ts';
import { SqlStore } from './sql-store.ts';

export interface StoreConfig {
  /** postgres://… selects PostgreSQL; otherwise the embedded store under dataDir. */
  databaseUrl?: string | undefined;
  dataDir: string;
}

// PostgreSQL returns bigint (epoch ms) and COUNT as strings; every such value here fits a double.
pg.types.setTypeParser(20, (v) => Number(v));
pg.types.setTypeParser(1700, (v) => Number(v));

export async function openStore(cfg: StoreConfig): Promise<SqlStore> {
  if (cfg.databaseUrl) return openPostgres(cfg.databaseUrl);
  return openEmbedded(cfg.dataDir);
}

export async function openEmbedded(dataDir: string): Promise<SqlStore> {
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, 'rosterlens.sqlite');
  const raw = new BetterSqlite3(file);
  raw.pragma('journal_mode = WAL');
  // FULL: a batch acknowledged to a client survives a power cut, not only a crash.
  raw.pragma('synchronous = FULL');
  raw.pragma('busy_timeout = 5000');
  raw.pragma('cache_size = -65536');
  raw.pragma('temp_store = MEMORY');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: raw }) });
  const store = new SqlStore(db, 'sqlite');
  await migrate(db);
  return store;
}

export async function openPostgres(url: string, poolSize = 10): Promise<SqlStore> {
  const pool = new pg.Pool({ connectionString: url, max: poolSize });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  // Several stateless servers may start at once; one migrates while the others wait.
  await db.connection().execute(async (conn) => {
    await sql`SELECT pg_advisory_lock(724242)`.execute(conn);
    try {
      await migrate(conn);
    } finally {
      await sql`SELECT pg_advisory_unlock(724242)`.execute(conn);
    }
  });
  return new SqlStore(db, 'postgres');
}
