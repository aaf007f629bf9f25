// `npm run bench`: every benchmark the issues ask for, in one run, printed as
// Markdown for BENCHMARKS.md and saved as JSON. Not part of the tests.
//
//   BENCH_STUDENTS (86000)  BENCH_DAYS (180)  BENCH_ONLY=ingest,roster,beacon,extension  BENCH_STORES=sqlite,postgres
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, tmpdir } from 'node:os';
import { join } from 'node:path';
import { execSync } from 'node:child_process';
import pg from 'pg';
import { benchIngest } from './ingest.ts';
import { buildDistrict } from './district.ts';
import { benchRoster } from './roster.ts';
import { startPgServer } from '../support/pg-server.ts';

const only = new Set((process.env.BENCH_ONLY ?? 'ingest,roster,beacon,extension').split(','));
const stores = new Set((process.env.BENCH_STORES ?? 'sqlite,postgres').split(','));
const students = Number(process.env.BENCH_STUDENTS ?? 86_000);
const days = Number(process.env.BENCH_DAYS ?? 180);
const results: Record<string, unknown> = {
  date: new Date().toISOString(),
  machine: `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
  command: `npm run bench${process.env.BENCH_STUDENTS || process.env.BENCH_DAYS ? ` (BENCH_STUDENTS=${students} BENCH_DAYS=${days})` : ''}`,
};
const lines: string[] = [];
const log = (s: string) => {
  lines.push(s);
  console.log(s);
};

async function freshPgDatabase(serverUrl: string, name: string): Promise<string> {
  const c = new pg.Client({ connectionString: serverUrl });
  await c.connect();
  await c.query(`CREATE DATABASE ${name}`);
  await c.end();
  const u = new URL(serverUrl);
  u.pathname = `/${name}`;
  return u.toString();
}

const pgServer = only.has('ingest') || only.has('roster') ? await startPgServer({ shared_buffers: '2GB', effective_cache_size: '8GB', max_wal_size: '8GB', checkpoint_timeout: '30min' }) : null;
try {
  if (only.has('ingest')) {
    log('\n## Ingest through HTTP (500-signal batches, 4 connections, 1,000 requests)\n');
    log('| store | acknowledged signals/s | folded into status, signals/s | bare HTTP ceiling, signals/s | acknowledged ÷ ceiling | p99 ms |');
    log('|---|---|---|---|---|---|');
    const embedded = await benchIngest({ batch: 500, requests: 1000, connections: 4 });
    const pgUrl = await freshPgDatabase(pgServer!.url, 'bench_ingest');
    const postgres = await benchIngest({ batch: 500, requests: 1000, connections: 4, databaseUrl: pgUrl });
    for (const [name, r] of [['embedded (SQLite)', embedded], ['PostgreSQL 15', postgres]] as const) {
      log(`| ${name} | ${r.store.signalsPerSecond.toLocaleString('en')} | ${r.store.foldedPerSecond?.toLocaleString('en')} | ${r.ceiling.signalsPerSecond.toLocaleString('en')} | ${Math.round((r.store.signalsPerSecond / r.ceiling.signalsPerSecond) * 100)}% | ${r.store.p99Ms} |`);
    }
    const small = await benchIngest({ batch: 5, requests: 4000, connections: 16 });
    log(`| embedded, beacon-sized batches (5 signals, 16 connections) | ${small.store.signalsPerSecond.toLocaleString('en')} | ${small.store.foldedPerSecond?.toLocaleString('en')} | ${small.ceiling.signalsPerSecond.toLocaleString('en')} | ${Math.round((small.store.signalsPerSecond / small.ceiling.signalsPerSecond) * 100)}% | ${small.store.p99Ms} |`);
    results.ingest = { embedded, postgres, beaconSized: small };
  }

  if (only.has('roster')) {
    log(`\n## Roster status latency (HTTP, one request at a time, ${students.toLocaleString('en')} students × 6 courses × ${days} school days)\n`);
    log('| store | rollup rows | build s | 35 students p50 / p99 ms | 2,000 students p50 / p99 ms |');
    log('|---|---|---|---|---|');
    const shape = { students, coursesPerStudent: 6, classSize: 35, lectureSize: 2000, days };
    const dir = mkdtempSync(join(tmpdir(), 'rl-bench-district-'));
    const roster: Record<string, unknown> = { shape };
    if (stores.has('sqlite')) {
      const d1 = await buildDistrict({ dataDir: dir }, shape);
      const r1 = await benchRoster({ dataDir: dir }, d1);
      log(`| embedded (SQLite) | ${d1.rollups.toLocaleString('en')} | ${d1.buildSeconds} | ${r1.small.p50Ms} / ${r1.small.p99Ms} | ${r1.lecture.p50Ms} / ${r1.lecture.p99Ms} |`);
      roster.embedded = { district: { ...d1, teacherToken: undefined }, ...r1 };
      rmSync(dir, { recursive: true, force: true });
    }
    if (stores.has('postgres')) {
      const pgUrl = await freshPgDatabase(pgServer!.url, 'bench_district');
      const d2 = await buildDistrict({ dataDir: dir, databaseUrl: pgUrl }, shape);
      const r2 = await benchRoster({ dataDir: dir, databaseUrl: pgUrl }, d2);
      log(`| PostgreSQL 15 | ${d2.rollups.toLocaleString('en')} | ${d2.buildSeconds} | ${r2.small.p50Ms} / ${r2.small.p99Ms} | ${r2.lecture.p50Ms} / ${r2.lecture.p99Ms} |`);
      roster.postgres = { district: { ...d2, teacherToken: undefined }, ...r2 };
    }
    results.roster = roster;
  }
} finally {
  pgServer?.stop();
}

// The browser halves measure themselves; they need `npm run build` first.
for (const [name, file, fn] of [
  ['beacon', './beacon.ts', 'benchBeacon'],
  ['extension', './extension.ts', 'benchExtension'],
] as const) {
  if (!only.has(name)) continue;
  if (!existsSync(new URL(file, import.meta.url))) {
    log(`\n## ${name}\n\n(no benchmark module yet)`);
    continue;
  }
  if (!existsSync('dist')) execSync('npm run build', { stdio: 'inherit' });
  const mod = (await import(file)) as Record<string, () => Promise<Record<string, number | string>>>;
  const r = await mod[fn]!();
  log(`\n## ${name}\n`);
  log('| measure | value |');
  log('|---|---|');
  for (const [k, v] of Object.entries(r)) log(`| ${k} | ${typeof v === 'number' ? v.toLocaleString('en') : v} |`);
  results[name] = r;
}

mkdirSync('test/bench/results', { recursive: true });
writeFileSync('test/bench/results/latest.json', JSON.stringify(results, null, 2));
writeFileSync('test/bench/results/latest.md', `Machine: ${results.machine}\nCommand: ${results.command}\nDate: ${results.date}\n${lines.join('\n')}\n`);
console.log(`\nsaved test/bench/results/latest.{json,md}`);
process.exit(0);
