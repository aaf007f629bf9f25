// `npm run demo`: the teacher extension working in two minutes, no LMS needed.
//   DEMO_PLUGIN_PORT (8787)  DEMO_LMS_PORT (8788)  DEMO_DATA_DIR (.rosterlens/demo)  DEMO_CLOCK (afternoon | real)
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { startDemo } from './demo.ts';

const env = process.env;
const demo = await startDemo({
  pluginPort: env.DEMO_PLUGIN_PORT ? Number(env.DEMO_PLUGIN_PORT) : undefined,
  lmsPort: env.DEMO_LMS_PORT ? Number(env.DEMO_LMS_PORT) : undefined,
  dataDir: env.DEMO_DATA_DIR,
  clock: env.DEMO_CLOCK === 'real' ? 'real' : 'afternoon',
});
const dist = resolve('dist/extension');
const built = existsSync(`${dist}/manifest.json`);

console.log(`
RosterLens demo — sample district "Demo Unified School District" seeded into ${resolve(env.DEMO_DATA_DIR ?? '.rosterlens/demo')}
${env.DEMO_CLOCK === 'real' ? '' : '(the plugin’s clock runs from the latest weekday afternoon, so every state shows; DEMO_CLOCK=real for this computer’s clock)\n'}
  Plugin (RosterLens server):     ${demo.pluginUrl}
  Practice Canvas roster page:    ${demo.rosterUrl}
                                  (also ${demo.lmsUrl}/courses/102/users and /courses/201/users)

  Teacher credential, Maria Rivera (teaches course 101):
    ${demo.teacherToken}
  Another teacher, Aisha Johnson (does not teach 101 — shows "not a teacher of this course"):
    ${demo.otherTeacherToken}

  Attendance dashboard:           ${demo.pluginUrl}/dashboard/
  Staff credential, North High attendance office (sign in to the dashboard with it):
    ${demo.staffToken}

Load the extension:
  1. ${built ? `The build is at ${dist}` : 'Run `npm run build` first (it writes dist/extension/).'}
  2. In Chrome or Chromium open chrome://extensions, turn on "Developer mode", click "Load unpacked", choose ${dist}
  3. Open the extension's options (chrome://extensions → RosterLens → Details → Extension options). Enter
       RosterLens address:  ${demo.pluginUrl}
       Credential:          Maria Rivera's credential above
     and click "Sign in".
  4. Under "Your LMS", add ${demo.lmsUrl} and click "Add and allow" (a real district adds its own Moodle or
     Canvas domain the same way; *.instructure.com, *.schoology.com and Google Classroom need no step).
  5. Open ${demo.rosterUrl}

Ctrl-C stops the demo.
`);

const stop = async () => {
  await demo.close();
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
