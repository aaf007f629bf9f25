// Configuration from the environment. Every knob is documented in README.md.
import { resolve } from 'node:path';

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  databaseUrl: string | undefined;
  /** Signals stamped further than this into the future (after clock correction) are refused. */
  maxFutureSkewMs: number;
  /** Signals older than this are refused; offline students' queues are kept up to this age. */
  maxSignalAgeMs: number;
  ingestMaxBytes: number;
  rateLimitPerMinute: number;
  ingestRateLimitPerMinute: number;
  /** How long a verified credential is trusted before it is looked up again (revocation delay across servers). */
  credentialCacheMs: number;
  logLevel: string;
  publicUrl: string;
}

function int(env: NodeJS.ProcessEnv, name: string, fallback: number, min = 0): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be a whole number ≥ ${min}, got ${JSON.stringify(raw)}`);
  return n;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const port = int(env, 'PORT', 8080);
  const host = env.HOST || '127.0.0.1';
  const databaseUrl = env.DATABASE_URL || undefined;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) throw new Error('DATABASE_URL must start with postgres:// or postgresql://');
  return {
    port,
    host,
    dataDir: resolve(env.DATA_DIR || './data'),
    databaseUrl,
    maxFutureSkewMs: int(env, 'MAX_FUTURE_SKEW_SECONDS', 300) * 1000,
    maxSignalAgeMs: int(env, 'MAX_SIGNAL_AGE_DAYS', 14, 1) * 86_400_000,
    ingestMaxBytes: int(env, 'INGEST_MAX_BYTES', 1_048_576, 1024),
    rateLimitPerMinute: int(env, 'RATE_LIMIT_PER_MINUTE', 600, 1),
    ingestRateLimitPerMinute: int(env, 'INGEST_RATE_LIMIT_PER_MINUTE', 6000, 1),
    credentialCacheMs: int(env, 'CREDENTIAL_CACHE_SECONDS', 15) * 1000,
    logLevel: env.LOG_LEVEL || 'info',
    publicUrl: (env.PUBLIC_URL || `http://${host === '0.0.0.0' ? 'localhost' : host}:${port}`).replace(/\/$/, ''),
  };
}
