// Opens the configured store and brings its schema up to date.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely';
import type { Database } from './schema.ts';
import { createInbox, migrate } from './migrations.ts';
import { SqlStore } from './sql-store.ts';

export interface StoreConfig {
  /** postgres://… selects PostgreSQL; otherwise the embedded store under dataDir. */
  databaseUrl?: string | undefined;
  dataDir: string;
}

// PostgreSQL returns bigint (epoch ms) and COUNT as strings; every such value here fits a double.
pg.types.setTypeParser(20, (v) => Number(v));
pg.types.setTypeParser(1700, (v) => Number(v));

export async function openStore(cfg: StoreConfig, role: 'server' | 'tool' = 'tool'): Promise<SqlStore> {
  if (cfg.databaseUrl) return openPostgres(cfg.databaseUrl);
  return openEmbedded(cfg.dataDir, { role: role === 'server' ? 'server' : undefined });
}

function openSqliteFile(file: string, pragmas: string[] = []): Kysely<Database> {
  const raw = new BetterSqlite3(file);
  raw.pragma('journal_mode = WAL');
  // FULL: a batch acknowledged to a client survives a power cut, not only a crash.
  raw.pragma('synchronous = FULL');
  raw.pragma('busy_timeout = 10000');
  raw.pragma('cache_size = -65536');
  raw.pragma('temp_store = MEMORY');
  for (const p of pragmas) raw.pragma(p);
  return new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(raw) }) });
}

/**
 * The embedded store: the data in rosterlens.sqlite and the inbox of
 * acknowledged batches in inbox.sqlite, so that acknowledging a batch never
 * waits for the write lock that folding batches into rollups holds.
 */
export async function openEmbedded(dataDir: string, opts: { migrate?: boolean; role?: 'server' | 'drain' } = {}): Promise<SqlStore> {
  mkdirSync(dataDir, { recursive: true });
  const db = openSqliteFile(join(dataDir, 'rosterlens.sqlite'));
  // The server only appends to the inbox; the drain process, which empties it,
  // also checkpoints its log, so appending never pays for a checkpoint.
  const inbox = openSqliteFile(join(dataDir, 'inbox.sqlite'), opts.role === 'server' ? ['wal_autocheckpoint = 0'] : []);
  if (opts.migrate !== false) {
    await migrate(db);
    await createInbox(inbox);
  }
  return new SqlStore(db, 'sqlite', async () => {}, inbox, dataDir);
}

/**
 * Kysely prepares every query afresh; a batch insert's SQL repeats from batch
 * to batch, so preparing it once saves a large share of ingest time.
 */
function withStatementCache(raw: BetterSqlite3.Database, size = 200): BetterSqlite3.Database {
  const cache = new Map<string, BetterSqlite3.Statement>();
  return new Proxy(raw, {
    get(target, prop) {
      if (prop === 'prepare') {
        return (source: string) => {
          let st = cache.get(source);
          if (st) {
            cache.delete(source);
          } else {
            st = target.prepare(source);
            if (cache.size >= size) cache.delete(cache.keys().next().value!);
          }
          cache.set(source, st);
          return st;
        };
      }
      const v = Reflect.get(target, prop, target);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}

export async function openPostgres(url: string, poolSize = 10): Promise<SqlStore> {
  const pool = new pg.Pool({ connectionString: url, max: poolSize });
  // An idle connection the server ends (a restart, a failover) is replaced on next use; it must not crash the process.
  pool.on('error', (err) => process.emitWarning(`PostgreSQL ended an idle connection: ${err.message}`, { code: 'RL_PG_IDLE' }));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  // Several stateless servers may start at once; one migrates while the others wait.
  await db.connection().execute(async (conn) => {
    await sql`SELECT pg_advisory_lock(724242)`.execute(conn);
    try {
      await migrate(conn);
      await createInbox(conn);
    } finally {
      await sql`SELECT pg_advisory_unlock(724242)`.execute(conn);
    }
  });
  return new SqlStore(db, 'postgres', async () => {}, db, null, url);
}
