// Ingest throughput through HTTP, in signals per second, beside the bare
// HTTP ceiling of the same framework with the same bodies, in the same run.
import autocannon from 'autocannon';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../plugin/store/open.ts';
import { issueCredential } from '../../plugin/server/credentials.ts';
import { DEFAULT_POLICY } from '../../shared/policy.ts';
import { startChild } from './child.ts';

export interface IngestFigures {
  /** Acknowledged (durably in the inbox) per second while the load ran. */
  signalsPerSecond: number;
  /** From the first request until every signal was folded into rollups. */
  foldedPerSecond?: number;
  requestsPerSecond: number;
  p99Ms: number;
  errors: number;
}

function bodies(count: number, batch: number, tag: string): string[] {
  const out: string[] = [];
  const now = Date.now();
  for (let r = 0; r < count; r++) {
    const signals = [];
    for (let i = 0; i < batch; i++) {
      const student = (r * batch + i) % 86_000;
      signals.push({ id: `bench-${tag}-${r}-${i}`, course: `c${student % 6}-${Math.floor(student / 35)}`, user: `s${student}`, at: new Date(now - ((r * batch + i) % 3_600_000)).toISOString(), kind: 'heartbeat', activeMs: 30_000 });
    }
    out.push(JSON.stringify({ signals, sentAt: new Date(now).toISOString() }));
  }
  return out;
}

async function load(port: number, token: string | null, payloads: string[], connections: number): Promise<IngestFigures & { batch: number }> {
  let i = 0;
  const batch = (JSON.parse(payloads[0]!) as { signals: unknown[] }).signals.length;
  const started = performance.now();
  const result = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections,
    amount: payloads.length,
    timeout: 60,
    requests: [
      {
        method: 'POST',
        path: '/api/v1/signals',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        setupRequest: (req) => ({ ...req, body: payloads[i++ % payloads.length] }),
      },
    ],
  });
  // autocannon's own duration is whole seconds; wall time is exact.
  const seconds = (performance.now() - started) / 1000;
  const ok = result['2xx'];
  return { batch, signalsPerSecond: Math.round((ok * batch) / seconds), requestsPerSecond: Math.round(ok / seconds), p99Ms: result.latency.p99, errors: result.non2xx + result.errors + result.timeouts };
}

export async function benchIngest(opts: { databaseUrl?: string; batch: number; requests: number; connections: number }): Promise<{ store: IngestFigures; ceiling: IngestFigures }> {
  const dir = mkdtempSync(join(tmpdir(), 'rl-bench-ingest-'));
  const env: Record<string, string> = opts.databaseUrl ? { DATABASE_URL: opts.databaseUrl } : { DATA_DIR: dir };
  const store = await openStore({ dataDir: dir, databaseUrl: opts.databaseUrl });
  const tenant = `bench${Date.now() % 100000}`;
  await store.createTenant({ id: tenant, name: 'Bench', lmsKind: 'canvas', lmsOrigin: 'https://bench.instructure.com', timeZone: 'America/Chicago', policy: DEFAULT_POLICY }, Date.now());
  const { token } = await issueCredential(store, { tenant, role: 'ingest', label: 'bench', ttlMs: 86_400_000 }, Date.now());
  await store.close();

  const tag = `${tenant}`;
  const payloads = bodies(opts.requests, opts.batch, tag);
  const warm = bodies(Math.max(4, Math.floor(opts.requests / 10)), opts.batch, `${tag}w`);

  const bare = await startChild('bare', {});
  await load(bare.port, null, warm, opts.connections);
  const ceiling = await load(bare.port, null, payloads, opts.connections);
  await bare.stop();

  const app = await startChild('app', env);
  const watcher = await openStore({ dataDir: dir, databaseUrl: opts.databaseUrl });
  const drained = async () => {
    while ((await watcher.inboxTenants(1)).length) await new Promise((r) => setTimeout(r, 20));
  };
  await load(app.port, token, warm, opts.connections);
  await drained();
  const started = performance.now();
  const measured = await load(app.port, token, payloads, opts.connections);
  await drained();
  const folded = Math.round((payloads.length * opts.batch) / ((performance.now() - started) / 1000));
  await watcher.close();
  await app.stop();
  rmSync(dir, { recursive: true, force: true });
  return { store: { ...measured, foldedPerSecond: folded }, ceiling };
}
