// `npm run demo` without an LMS: a plugin seeded with the sample district
// (plugin/admin/seed.ts) in its own data directory, a teacher credential, and
// practice Canvas People pages (canvas-page.ts, built from
// test/fixtures/rosters/canvas.html) on a second local port. The browser tests
// start the same thing, so what the README shows is what is tested.
import { mkdirSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { buildApp, type App } from '../../plugin/server/app.ts';
import { loadConfig } from '../../plugin/server/config.ts';
import { MODULES } from '../../plugin/server/modules.ts';
import { issueCredential } from '../../plugin/server/credentials.ts';
import { openEmbedded } from '../../plugin/store/open.ts';
import type { SqlStore } from '../../plugin/store/sql-store.ts';
import { seedDemoDistrict, type SeededDistrict } from '../../plugin/admin/seed.ts';
import { practicePages } from './practice-pages.ts';
import { startPracticeServer, type PracticeServer } from './server.ts';

export interface DemoOptions {
  /** Where the embedded store lives; wiped at start so every demo begins the same. */
  dataDir?: string;
  pluginPort?: number;
  lmsPort?: number;
  /** The host names in the printed addresses (both are served on 127.0.0.1): the plugin as 127.0.0.1 and the practice LMS as localhost, so the two are different sites to the browser, as they are in a district. */
  lmsHost?: string;
  pluginHost?: string;
  /** 'afternoon' runs the plugin's clock from the latest weekday 14:30 in New York, so the seeded stories show every state; 'real' uses the computer's clock. */
  clock?: 'afternoon' | 'real';
}

export interface RunningDemo {
  pluginUrl: string;
  lmsUrl: string;
  /** Roster page of course 101 (teacher 9001). */
  rosterUrl: string;
  /** Teacher 9001 (Maria Rivera), who teaches course 101. */
  teacherToken: string;
  /** Teacher 9003 (Aisha Johnson), who does not teach 101: shows the "not a teacher of this course" state. */
  otherTeacherToken: string;
  /** Attendance staff of the seeded North High School, for the dashboard. */
  staffToken: string;
  district: SeededDistrict;
  store: SqlStore;
  app: App;
  close(): Promise<void>;
}

/** The latest weekday at 19:30 UTC (14:30 in New York, 13:30 in winter Chicago) not after `now`. */
export function lastSchoolAfternoon(now: number): number {
  const d = new Date(now);
  d.setUTCHours(19, 30, 0, 0);
  if (d.getTime() > now) d.setUTCDate(d.getUTCDate() - 1);
  while (d.getUTCDay() === 0 || d.getUTCDay() === 6) d.setUTCDate(d.getUTCDate() - 1);
  return d.getTime();
}

export async function startDemo(opts: DemoOptions = {}): Promise<RunningDemo> {
  const dataDir = resolve(opts.dataDir ?? '.rosterlens/demo');
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  const started = Date.now();
  const base = (opts.clock ?? 'afternoon') === 'afternoon' ? lastSchoolAfternoon(started) : started;
  const now = () => base + (Date.now() - started);

  const pluginPort = opts.pluginPort ?? 8787;
  const config = loadConfig({ PORT: String(pluginPort), HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'warn' });
  const store = await openEmbedded(dataDir, { role: 'server' });
  const app = await buildApp({ store, config, now, modules: MODULES });
  let practice: PracticeServer | null = null;
  try {
    await app.listen({ port: pluginPort, host: '127.0.0.1' });
    const addr = app.server.address();
    const pluginUrl = `http://${opts.pluginHost ?? '127.0.0.1'}:${typeof addr === 'object' && addr ? addr.port : pluginPort}`;
    config.publicUrl = pluginUrl;

    // The practice LMS's port must be known before seeding: the tenant records its LMS origin.
    const lmsHost = opts.lmsHost ?? 'localhost';
    const pages = new Map<string, string>();
    practice = await startPracticeServer(pages, { port: opts.lmsPort ?? 8788, host: '127.0.0.1' });
    const lmsUrl = `http://${lmsHost}:${practice.port}`;
    const district = await seedDemoDistrict(store, { tenant: 'demo', lmsKind: 'canvas', lmsOrigin: lmsUrl, now: now() });
    await app.services.ingestIdle();
    for (const [path, html] of await practicePages(store, district)) pages.set(path, html);

    const ttlMs = 30 * 86_400_000;
    const teacher = await issueCredential(store, { tenant: 'demo', role: 'teacher', person: '9001', label: 'Maria Rivera', ttlMs }, now());
    const other = await issueCredential(store, { tenant: 'demo', role: 'teacher', person: '9003', label: 'Aisha Johnson', ttlMs }, now());
    const staff = await issueCredential(store, { tenant: 'demo', role: 'staff', schools: ['sch-north'], label: 'North High attendance office', ttlMs }, now());
    const p = practice;
    return {
      pluginUrl,
      lmsUrl,
      rosterUrl: `${lmsUrl}/courses/101/users`,
      teacherToken: teacher.token,
      otherTeacherToken: other.token,
      staffToken: staff.token,
      district,
      store,
      app,
      close: async () => {
        await p.close();
        await app.close();
        await store.close();
      },
    };
  } catch (e) {
    await practice?.close();
    await app.close();
    await store.close();
    throw e;
  }
}
