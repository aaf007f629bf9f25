// Serves practice roster pages for the sample district in the plugin's store
// (`npm run admin -- seed-demo` seeds it): one Canvas-structured People page
// per course at http://localhost:PRACTICE_PORT/courses/<id>/users. For the
// lead's `npm run demo`, which seeds, starts the plugin and calls this.
//
//   DATA_DIR=./data PRACTICE_PORT=5174 tsx extension/demo/serve.ts
import { openEmbedded } from '../../plugin/store/open.ts';
import type { SeededDistrict } from '../../plugin/admin/seed.ts';
import { practicePages } from './practice-pages.ts';
import { startPracticeServer } from './server.ts';

/** The seeded demo district's shape, read back from the store. */
async function seededDistrict(store: Awaited<ReturnType<typeof openEmbedded>>, tenant: string): Promise<SeededDistrict> {
  const courses: SeededDistrict['courses'] = [];
  for (const [id, teacher] of [['101', '9001'], ['102', '9002'], ['201', '9003']] as const) {
    const course = await store.getCourse(tenant, id);
    if (!course) continue;
    const rows = await store.rosterRows(tenant, id, Math.floor(Date.now() / 86_400_000));
    courses.push({ id, school: course.school ?? '', teacher, students: rows.map((r) => r.user) });
  }
  return { tenant, schools: [], courses, stories: { present: [], partial: [], absentToday: [], notSeen: [], chronic: [], neverLoggedIn: [] } };
}

export async function servePractice(opts: { dataDir?: string; port?: number; tenant?: string } = {}) {
  const store = await openEmbedded(opts.dataDir ?? process.env.DATA_DIR ?? './data', { role: 'server' });
  const district = await seededDistrict(store, opts.tenant ?? 'demo');
  const pages = await practicePages(store, district);
  await store.close();
  const server = await startPracticeServer(pages, { port: opts.port ?? Number(process.env.PRACTICE_PORT ?? 5174), host: '127.0.0.1' });
  return { server, urls: [...pages.keys()].map((p) => `http://localhost:${server.port}${p}`) };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { urls } = await servePractice();
  console.log(`Practice roster pages:\n${urls.map((u) => `  ${u}`).join('\n')}\nIn the extension's options, add http://localhost:${new URL(urls[0] ?? 'http://x:5174').port} under "Your LMS".`);
}
